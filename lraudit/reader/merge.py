"""Merge the points of one tag from the files of one run into an :class:`LRSeries`.

Policy (documented in the README): **the newest write of a step wins.** Files are taken in
the order they were started (timestamp in the file name, then name), records within a file in
file order; when a step was written more than once, the last write is kept and every earlier
write goes to ``LRSeries.replaced`` (one :class:`ReplacedSegment` per file the stale points came
from), with a note ``"resume at step N in FILE replaced M points from FILE"``. The merged series
is in step order, so a schedule that jumps back after a restart stays visible. Steps the newer
file did not rewrite are kept from the older file, with one exception: when a restart rewrote
the steps it overlaps with *different* LR values from the older file's first step on (a new
training launched into the same folder) and ended before the older file's last step, the older
file's points after the restart's last step belong to the training the restart superseded; they are moved to
``LRSeries.replaced`` and noted ("superseded ..."), as TensorBoard purges the orphaned steps of an
out-of-order restart. Otherwise the merged series would splice the old training's tail after the
new one's, and its jump would read as a new training starting there. ``SessionLog`` START records
and file boundaries are noted, never acted on.

Every later file that holds the tag is also recorded as a structured :class:`Restart` in
``LRSeries.restarts`` (its first and last step, the previous file's last step, how many points it
rewrote and how far the rewritten values are from those they replaced), so that segmentation
(:mod:`lraudit.segments`) can tell a resume that reproduced the schedule from one that did not.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from lraudit.reader.decode import FileData
from lraudit.types import LRSeries, ReplacedSegment, Restart

_SESSION_STATUS = {1: "START", 2: "STOP", 3: "CHECKPOINT"}

#: A rewrite farther than this (relative) from the value it replaced is another schedule: well
#: above float32 rounding and the printing of a logger that rounds, well below any real change.
REWRITE_RTOL = 1e-3


def _name(path: str) -> str:
    return os.path.basename(path)


def _gather(
    tag: str, files: Sequence[str], data: Sequence[FileData], notes: list[str]
) -> tuple[list[np.ndarray], list[tuple[int, int, int, int]]]:
    """The tag's (steps, values, wall times, file index) arrays in read order, and per later file
    its span (file index, first, last, previous file's last step); file boundaries noted."""
    cols: list[list[np.ndarray]] = [[], [], [], []]
    prev_last: int | None = None
    spans: list[tuple[int, int, int, int]] = []  # (file index, first, last, previous last)
    for fi, fd in enumerate(data):
        tp = fd.points.get(tag)
        if tp is None or len(tp.steps) == 0:
            continue
        fidx = np.full(len(tp.steps), fi, dtype=np.int64)
        for col, arr in zip(cols, (tp.steps, tp.values, tp.wall_times, fidx), strict=True):
            col.append(arr)
        first = int(tp.steps[0])
        if prev_last is not None:
            spans.append((fi, first, int(tp.steps.max()), prev_last))
            if first <= prev_last:
                notes.append(
                    f"restart: {_name(files[fi])} starts at step {first}, at or before the last "
                    f"step {prev_last} of the previous file"
                )
            else:
                notes.append(
                    f"{_name(files[fi])} continues from step {first} (previous file ended at "
                    f"step {prev_last})"
                )
        prev_last = int(tp.steps.max())
    if not cols[0]:
        return [], spans
    return [np.concatenate(c) for c in cols], spans


def _newest_wins(
    steps: np.ndarray,
    vals: np.ndarray,
    walls: np.ndarray,
    fidx: np.ndarray,
    files: Sequence[str],
    notes: list[str],
) -> tuple[np.ndarray, list[ReplacedSegment], dict[int, tuple[int, float]]]:
    """The indices kept (the last write of each step, in step order), the stale writes per file
    they came from, and per rewriting file :func:`_rewrites`; each replacement noted."""
    pos = np.arange(len(steps))
    order = np.lexsort((pos, steps))  # by step, then by write order
    s_sorted = steps[order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = s_sorted[1:] != s_sorted[:-1]  # the last write of each step wins
    keep = order[last]
    replaced: list[ReplacedSegment] = []
    if last.all():
        return keep, replaced, {}
    stale_at = np.flatnonzero(~last)
    stale = order[stale_at]
    # the write that replaced each stale point: the next write of the same step
    winner = order[stale_at + 1]
    for src in np.unique(fidx[stale]).tolist():
        sel = stale[fidx[stale] == src]
        replaced.append(
            ReplacedSegment(files[src], steps[sel].copy(), vals[sel].copy(), walls[sel].copy())
        )
    rewrites = _rewrites(fidx[winner], vals[winner], vals[stale])
    pairs = np.stack([fidx[winner], fidx[stale]], axis=1)
    for new_f, old_f in np.unique(pairs, axis=0).tolist():
        m = (fidx[winner] == new_f) & (fidx[stale] == old_f)
        n_rep = int(m.sum())
        first_step = int(steps[stale[m]].min())
        if new_f == old_f:
            notes.append(
                f"{n_rep} step(s) written more than once in {_name(files[new_f])} (first at "
                f"step {first_step}); kept the later write"
            )
        else:
            notes.append(
                f"resume at step {first_step} in {_name(files[new_f])} replaced {n_rep} "
                f"point(s) from {_name(files[old_f])}"
            )
    return keep, replaced, rewrites


def merge_tag(
    run: str,
    tag: str,
    files: Sequence[str],
    data: Sequence[FileData],
    run_notes: Sequence[str] = (),
    source: str = "tfevents",
) -> LRSeries:
    """Merge ``tag`` over ``data`` (one :class:`FileData` per file of ``files``, in read order)."""
    notes: list[str] = list(run_notes)
    cols, spans = _gather(tag, files, data, notes)
    if not cols:
        e = np.zeros(0)
        return LRSeries(run, tag, e.astype(np.int64), e, e, tuple(files), tuple(notes), (), source)
    steps, vals, walls, fidx = cols
    keep, replaced, rewrites = _newest_wins(steps, vals, walls, fidx, files, notes)
    keep, replaced = _drop_superseded(
        steps, vals, walls, fidx, files, keep, replaced, spans, rewrites, notes
    )
    for fi, fd in enumerate(data):
        for step, status in fd.sessions:
            if status == 1:
                notes.append(
                    f"SessionLog START at step {step} in {_name(files[fi])} (the writer marked "
                    f"a restart)"
                )
    out_v = vals[keep]
    bad = ~np.isfinite(out_v)
    if bad.any():
        notes.append(
            f"{int(bad.sum())} non-finite value(s) kept (first at step {int(steps[keep][bad][0])})"
        )
    return LRSeries(
        run=run,
        tag=tag,
        steps=steps[keep],
        values=out_v,
        wall_times=walls[keep],
        files=tuple(files),
        notes=tuple(notes),
        replaced=tuple(replaced),
        source=source,
        restarts=tuple(
            Restart(files[fi], first, last, prev, *rewrites.get(fi, (0, None)))  # type: ignore[arg-type]
            for fi, first, last, prev in spans
        ),
    )


def _rewrites(
    new_file: np.ndarray, new_vals: np.ndarray, old_vals: np.ndarray
) -> dict[int, tuple[int, float]]:
    """Per rewriting file: (points rewritten, largest relative difference to the old value).

    Two non-finite values count as equal when both are NaN or the same infinity; a finite value
    rewritten as non-finite (or the reverse) differs by 1.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        den = np.maximum(np.abs(new_vals), np.abs(old_vals))
        rel = np.where(den > 0, np.abs(new_vals - old_vals) / np.where(den > 0, den, 1.0), 0.0)
    same_nf = (np.isnan(new_vals) & np.isnan(old_vals)) | (new_vals == old_vals)
    rel = np.where(same_nf, 0.0, np.where(np.isfinite(rel), rel, 1.0))
    out: dict[int, tuple[int, float]] = {}
    for f in np.unique(new_file).tolist():
        m = new_file == f
        out[int(f)] = (int(m.sum()), float(rel[m].max()))
    return out


def _drop_superseded(
    steps: np.ndarray,
    vals: np.ndarray,
    walls: np.ndarray,
    fidx: np.ndarray,
    files: Sequence[str],
    keep: np.ndarray,
    replaced: list[ReplacedSegment],
    spans: Sequence[tuple[int, int, int, int]],
    rewrites: dict[int, tuple[int, float]],
    notes: list[str],
) -> tuple[np.ndarray, list[ReplacedSegment]]:
    """Move out of ``keep`` the points of earlier files after the last step of a restart that
    rewrote them differently (module docstring); each file's superseded tail is noted."""
    for fi, first, last, prev in spans:
        n_rew, diff = rewrites.get(fi, (0, None))
        if first > prev or not n_rew or diff is None or diff <= REWRITE_RTOL:
            continue
        # written by an earlier file, past this file's end, before this file's first write
        # (a writer still running beside it is another process, not a superseded training)
        t0 = float(walls[fidx == fi].min())
        k = keep[(fidx[keep] < fi) & (steps[keep] > last) & (walls[keep] <= t0)]
        if k.size == 0:
            continue
        for src in np.unique(fidx[k]).tolist():
            if first > int(steps[fidx == src].min()):
                # a resume in the middle of that training (perhaps still being written): its
                # tail stays, and segmentation reads the jump back to it
                continue
            sel = k[fidx[k] == src]
            keep = np.setdiff1d(keep, sel, assume_unique=True)
            replaced.append(
                ReplacedSegment(files[src], steps[sel].copy(), vals[sel].copy(), walls[sel].copy())
            )
            notes.append(
                f"superseded: {len(sel)} point(s) of {_name(files[src])} at steps "
                f"{int(steps[sel].min())}-{int(steps[sel].max())} come after the last step {last} "
                f"of {_name(files[fi])}, which restarted at step {first} with a different LR; "
                f"they belong to the earlier training and are left out of the series"
            )
    return keep[np.argsort(steps[keep], kind="stable")], replaced
