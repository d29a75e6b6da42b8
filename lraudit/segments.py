"""Split one learning-rate series into segments, each one training with one schedule.

A logdir often holds more than one training under one run x tag: a resume that restarted the
schedule, a new training written into the same folder, a 10-iteration test run. Fitting one
schedule family across them gives a meaningless curve, so the series is cut first and each
segment is fitted on its own.

Public API
----------
``segment_series(series) -> Segmentation``
    Cut an :class:`~lraudit.types.LRSeries`, using the reader's structured restart facts
    (``series.restarts``).
``segment_arrays(steps, values, restarts=()) -> Segmentation``
    The same on plain arrays (steps in logged order; ``restarts``: first steps of later files, or
    :class:`~lraudit.types.Restart` values).
``find_zero_stretches(steps, values) -> tuple[ZeroStretch, ...]``
    Stretches where the LR is 0 while steps go on.

Rules
-----
Let ``v_i`` be the value at step ``s_i``, ``d_i = v_{i+1} - v_i`` and ``g_i = s_{i+1} - s_i``.
A change ``d_i`` is a **jump** when it is far larger than the local slope:

.. math::

    |d_i| > K \\, g_i \\, \\operatorname{median}_{0<|j-i|\\le w} |d_j / g_j|
            + \\epsilon \\max(|v_i|, |v_{i+1}|),

with ``K = 4``, ``w = 3`` and ``epsilon`` = :data:`lraudit.curves.JUMP_RTOL` (far above float32
rounding). A ramp of any shape (linear, cosine, exponential, a triangle's corner) changes by
about its neighbours' amount and is never a jump; a staircase drop, an SGDR restart or a resume
is. The series is then cut, in this order:

1. **step regression** (``step_regression``): ``s_i <= s_{i-1}`` in the given order (a later
   write restarted the step counter). Merged reader series are sorted, so this only happens
   for raw arrays.
2. **reader restart** (``restart``): a later file of the run. When it rewrote earlier steps, the
   rewrite decides: values that differ from the ones they replaced by more than
   :data:`OVERLAP_RTOL` mean the new writer ran another schedule, so the series is cut where the
   file starts; identical values mean a resume that restored the schedule (kept as
   ``Segmentation.continued``, not cut). Without a rewrite, the file start is cut when the LR
   jumps up there or falls and ramps again (a plain drop is what a step decay does at a resume
   from an epoch-boundary checkpoint, so it is not cut). Where a newer file ends and the points
   of an older file go on, the same test applies.
3. **LR discontinuities no family explains**, inside each piece left by 1-2, for jumps of at
   least :data:`EVENT_RTOL` of the level:

   * a jump **up after a decrease** (the LR had come down from a higher value in the piece)
     starts a segment (``lr_jump``, or ``new_warmup`` when the LR keeps rising after it); a jump
     up from a flat start (a constant warmup ending) is not cut, nor one that ends an LR-0
     pause (two or more points at 0, then back to at most the level before them: the
     schedule went on where it was paused, a ``zero_lr`` fact, not a new training);
   * a **fall to a new warmup** (a jump down followed by a rise) starts a segment
     (``new_warmup``); a jump down followed by a flat or falling LR is a step decay
     (piecewise, exponential staircase, ReduceLROnPlateau) and is never cut.

   Jumps that a periodic family explains are not cut; a resume is a reset that *breaks* the
   periodic structure. A jump up is an SGDR / cosine-with-restarts restart when the cycle
   before it is a cosine half-wave reaching its floor inside the jump's logging gap
   (``f + A (1 + cos(pi (t - c) / (r - c))) / 2`` fitted to within 1 % of ``A``, ``c`` in the
   previous restart's gap or up to 3/4 of a cycle before the first point) and the points after
   it start a cosine from the same floor at that step, no higher than the previous peak. Two or
   more jumps (or valleys) of one kind at a constant (or geometric) period with the same (or
   geometrically decaying) level after them are a cyclic schedule; a triangle's valley (two
   straight or ``exp_range``-bent sides meeting on their upper envelope) is CyclicLR. A jump up
   right after a rise at least ``1/K`` as fast is a steep ramp logged coarsely. Jumps closer
   than :data:`DENSE_POINTS` points apart on average are one fast or aliased cycle, not
   resumes, and are not cut. The same explanations hold at reader restarts (rule 2).
4. **stray** segments: a segment of at most :data:`STRAY_POINTS` points and at most a tenth of
   the longest one is marked ``stray`` (a few points of another training); ``main`` is the
   longest segment that is not stray.

Zero stretches: two or more consecutive points whose LR is 0, or below :data:`ZERO_FRACTION` of
the series' peak, while the step goes on (reported whether or not the schedule meant it; a
diagnosis decides). Everything is vectorised numpy, O(n) in the number of points.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from lraudit.curves import JUMP_RTOL
from lraudit.segments_periodic import periodic, sgdr_restart, triangle
from lraudit.types import LRSeries, Restart

__all__ = [
    "DENSE_POINTS",
    "EVENT_RTOL",
    "OVERLAP_RTOL",
    "REASONS",
    "STRAY_POINTS",
    "ZERO_FRACTION",
    "Segment",
    "Segmentation",
    "ZeroStretch",
    "find_zero_stretches",
    "segment_arrays",
    "segment_series",
]

#: Why a segment starts.
REASONS = ("start", "restart", "step_regression", "lr_jump", "new_warmup")
#: A rewrite of a step that differs from the value it replaced by more than this (relative) is
#: another schedule.
OVERLAP_RTOL = 1e-3
#: Smallest jump (relative to the larger of the two values) that can start a segment by itself.
EVENT_RTOL = 0.05
#: A segment of at most this many points (and at most a tenth of the longest) is stray.
STRAY_POINTS = 10
#: Below this fraction of the series' peak an LR counts as zero.
ZERO_FRACTION = 1e-6
#: Jumps closer than this many points apart on average are one pattern, not resumes.
DENSE_POINTS = 4

_K = 4.0  # a jump is this many times the local slope
_W = 3  # neighbours on each side for the local slope


@dataclass(frozen=True)
class Segment:
    """Points ``start:stop`` (indices into the series) of one training.

    ``reason`` is why it starts (one of :data:`REASONS`); ``stray`` marks a few points of
    another training (see the module docstring).
    """

    start: int
    stop: int
    first_step: int
    last_step: int
    reason: str
    stray: bool = False

    @property
    def n_points(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class ZeroStretch:
    """``n_points`` consecutive points (steps ``first_step..last_step``) with LR 0 or nearly;
    ``peak_fraction`` is the largest of them over the series' peak (0.0 for exact zeros)."""

    first_step: int
    last_step: int
    n_points: int
    peak_fraction: float


@dataclass(frozen=True)
class Segmentation:
    """The segments of one series (in order, covering every point) and its zero stretches.

    ``continued`` holds the first step of every reader restart at which the schedule went on
    unchanged (a correct resume): a fact for reports, not a cut.
    """

    segments: tuple[Segment, ...]
    zero_stretches: tuple[ZeroStretch, ...] = ()
    continued: tuple[int, ...] = ()

    @property
    def main(self) -> Segment | None:
        """The longest segment that is not stray (the later one on a tie); None when empty."""
        best: Segment | None = None
        for seg in self.segments:
            if not seg.stray and (best is None or seg.n_points >= best.n_points):
                best = seg
        return best

    def __len__(self) -> int:
        return len(self.segments)


# --------------------------------------------------------------------------- public API


def segment_series(series: LRSeries) -> Segmentation:
    """Segments of ``series``, using its structured reader restarts (``series.restarts``)."""
    return segment_arrays(series.steps, series.values, series.restarts)


def segment_arrays(
    steps: Sequence[int] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    restarts: Iterable[int | Restart] = (),
) -> Segmentation:
    """Segments of the series ``(steps, values)`` in logged order (see the module rules).

    ``restarts``: the first step of each later file (tested for a discontinuity there), or the
    reader's :class:`~lraudit.types.Restart` values (their rewrites decide when there are any).

    >>> x = np.arange(0, 200, 10)
    >>> y = np.r_[np.linspace(1, 0.5, 10), np.linspace(1, 0.5, 10)]  # restarted at step 100
    >>> [(s.first_step, s.reason) for s in segment_arrays(x, y).segments]
    [(0, 'start'), (100, 'lr_jump')]
    """
    s = np.asarray(steps, dtype=np.int64).reshape(-1)
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if s.shape != v.shape:
        raise ValueError(
            f"steps and values differ in length ({s.shape[0]} and {v.shape[0]}); pass one value "
            "per logged step"
        )
    n = s.shape[0]
    zeros = find_zero_stretches(s, v)
    if n == 0:
        return Segmentation((), zeros)
    jumps = _jumps(s, v)
    cuts: dict[int, str] = {}
    for i in (np.flatnonzero(s[1:] <= s[:-1]) + 1).tolist():
        cuts[i] = "step_regression"
    continued: list[int] = []
    for r in restarts:
        _restart_cuts(r, s, v, jumps, cuts, continued)
    bounds = [0, *sorted(i for i in cuts if 0 < i < n), n]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        for i, why in _lr_events(s, v, jumps, a, b):
            cuts.setdefault(i, why)
    starts = [0, *sorted(i for i in cuts if 0 < i < n)]
    stops = [*starts[1:], n]
    longest = max(b - a for a, b in zip(starts, stops, strict=True))
    segs = tuple(
        Segment(
            a,
            b,
            int(s[a]),
            int(s[b - 1]),
            "start" if a == 0 else cuts[a],
            stray=(b - a) <= STRAY_POINTS and 10 * (b - a) <= longest,
        )
        for a, b in zip(starts, stops, strict=True)
    )
    return Segmentation(segs, zeros, tuple(sorted(set(continued))))


def find_zero_stretches(
    steps: Sequence[int] | np.ndarray, values: Sequence[float] | np.ndarray
) -> tuple[ZeroStretch, ...]:
    """Runs of >= 2 consecutive points with LR 0 (or below :data:`ZERO_FRACTION` of the peak)
    while the step increases.

    >>> find_zero_stretches([0, 1, 2, 3, 4], [1.0, 0.5, 0.0, 0.0, 0.0])
    (ZeroStretch(first_step=2, last_step=4, n_points=3, peak_fraction=0.0),)
    """
    s = np.asarray(steps, dtype=np.int64).reshape(-1)
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if s.shape[0] < 2:
        return ()
    a = np.abs(v)
    fin = np.isfinite(a)
    peak = float(a[fin].max()) if fin.any() else 0.0
    low = fin & ((a == 0) | (a < ZERO_FRACTION * peak))
    # a pair of consecutive low points while the step goes on
    pair = low[1:] & low[:-1] & (s[1:] > s[:-1])
    if not pair.any():
        return ()
    edge = np.diff(np.r_[0, pair.astype(np.int8), 0])
    out = []
    for p0, p1 in zip(np.flatnonzero(edge == 1), np.flatnonzero(edge == -1), strict=True):
        i0, i1 = int(p0), int(p1)  # points i0 .. i1 (pairs p0 .. p1-1)
        frac = float(a[i0 : i1 + 1].max() / peak) if peak > 0 else 0.0
        out.append(ZeroStretch(int(s[i0]), int(s[i1]), i1 - i0 + 1, frac))
    return tuple(out)


# --------------------------------------------------------------------------- jumps


#: changes whose neighbour median is computed at a time (bounded memory on long series)
_CHUNK = 1 << 16


@dataclass(frozen=True)
class _Jumps:
    """Per change ``d[i] = v[i+1] - v[i]``: whether it is a jump, and its relative size."""

    d: np.ndarray
    jump: np.ndarray
    rel: np.ndarray


def _jumps(s: np.ndarray, v: np.ndarray) -> _Jumps:
    """The jump test of the module docstring, vectorised over every change."""
    n = s.shape[0]
    if n < 2:
        e = np.zeros(0)
        return _Jumps(e, e.astype(bool), e)
    d = np.diff(v)
    g = np.diff(s).astype(np.float64)
    g = np.where(g > 0, g, np.nan)  # regressions carry no slope
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.abs(d / g)
        m = d.shape[0]
        pad = np.full(m + 2 * _W, np.nan)
        pad[_W : _W + m] = slope
        ref = np.empty(m)
        # row by row the same medians; in chunks, so that the neighbour table and nanmedian's
        # masked copies stay a few MB instead of ~250 MB on a 1M-point series
        for a in range(0, m, _CHUNK):
            b = min(a + _CHUNK, m)
            nb = np.stack(
                [pad[_W + k + a : _W + k + b] for k in range(-_W, _W + 1) if k != 0], axis=1
            )
            ref[a:b] = _row_nanmedian(nb)
        ref = np.where(np.isfinite(ref), ref, 0.0)
        scale = np.maximum(np.abs(v[1:]), np.abs(v[:-1]))
        jump = np.abs(d) > _K * ref * np.where(np.isfinite(g), g, 0.0) + JUMP_RTOL * scale
        rel = np.where(scale > 0, np.abs(d) / np.where(scale > 0, scale, 1.0), 0.0)
    jump &= np.isfinite(d)
    return _Jumps(d, jump, np.where(np.isfinite(rel), rel, 0.0))


def _row_nanmedian(a: np.ndarray) -> np.ndarray:
    """``np.nanmedian(a, axis=1)`` (NaN for an all-NaN row), by one sort: numpy's own goes
    through masked arrays on short rows, ~20x slower."""
    srt = np.sort(a, axis=1)  # NaN sorts last
    k = np.sum(~np.isnan(a), axis=1)
    lo = np.take_along_axis(srt, np.maximum((k - 1) // 2, 0)[:, None], axis=1)[:, 0]
    hi = np.take_along_axis(srt, np.maximum(k // 2, 0)[:, None], axis=1)[:, 0]
    # the mean of the middle two, as np.median computes it
    return np.where(k > 0, (lo + hi) / 2.0, np.nan)


def _rises_after(v: np.ndarray, i: int, stop: int) -> bool:
    """The LR goes up from point ``i`` to the next one (beyond rounding), inside ``:stop``."""
    if i + 1 >= stop or not (np.isfinite(v[i]) and np.isfinite(v[i + 1])):
        return False
    return bool(v[i + 1] - v[i] > JUMP_RTOL * max(abs(v[i]), abs(v[i + 1])))


# --------------------------------------------------------------------------- reader restarts


def _index_of(s: np.ndarray, step: int) -> int | None:
    """Index of the first point at ``step`` (or the first after it in a sorted series)."""
    hit = np.flatnonzero(s == step)
    if hit.size:
        return int(hit[0])
    if s.shape[0] > 1 and bool(np.all(s[1:] > s[:-1])):
        i = int(np.searchsorted(s, step, side="left"))
        return i if i < s.shape[0] else None
    return None


def _breaks(v: np.ndarray, jumps: _Jumps, i: int) -> bool:
    """The LR is discontinuous at a file boundary between points ``i-1`` and ``i`` in a way a
    resume explains: a jump up, or a fall (of any size) followed by a rise, i.e. a new warmup
    starting at the boundary. A plain drop is a step decay and does not break."""
    if i <= 0 or i >= v.shape[0] or not np.isfinite(v[i - 1 : i + 1]).all():
        return False
    if jumps.jump[i - 1] and jumps.d[i - 1] > 0:
        return True
    fell = v[i] < v[i - 1] - JUMP_RTOL * abs(v[i - 1])
    return bool(fell and _rises_after(v, i, v.shape[0]))


def _restart_cuts(
    r: int | Restart,
    s: np.ndarray,
    v: np.ndarray,
    jumps: _Jumps,
    cuts: dict[int, str],
    continued: list[int],
) -> None:
    """Add the cuts one reader restart makes (module rule 2)."""
    first = r.first_step if isinstance(r, Restart) else int(r)
    i = _index_of(s, first)
    diff = r.overlap_max_rel_diff if isinstance(r, Restart) else None
    if diff is not None and r.overlapped_points > 0:  # type: ignore[union-attr]
        if diff <= OVERLAP_RTOL:
            continued.append(first)
        elif i is not None and i > 0:
            cuts.setdefault(i, "restart")
    elif i is not None and i > 0:
        if _breaks(v, jumps, i) and not _explained_at(s, v, jumps, i):
            cuts.setdefault(i, "restart")
        elif isinstance(r, Restart):
            continued.append(first)
    if isinstance(r, Restart) and bool(np.all(s[1:] > s[:-1])):
        # the points of an older file that go on after this file's last step
        # (their values were written before this file: any jump there is another training)
        j = int(np.searchsorted(s, r.last_step, side="right"))
        if 0 < j < s.shape[0] and r.overlaps and jumps.jump[j - 1]:
            cuts.setdefault(j, "restart")


def _explained_at(s: np.ndarray, v: np.ndarray, jumps: _Jumps, i: int) -> bool:
    """A break at a file boundary that the series' own structure explains: a steep ramp seen
    coarsely (a jump up right after a rise), an SGDR restart (a jump up from a cosine's floor),
    a triangular cycle's valley, jumps or valleys that repeat at a constant period, or a cycle
    as fast as the logging."""
    if _oscillates(v):
        return True
    n = v.shape[0]
    if jumps.d[i - 1] > 0 and jumps.jump[i - 1]:
        if _ramp_continues(s, v, i):
            return True
        big = jumps.jump & (jumps.rel >= EVENT_RTOL)
        ups = (np.flatnonzero(big & (jumps.d > 0)) + 1).tolist()
        if i not in ups:
            ups = sorted([*ups, i])
        if sgdr_restart(s, v, i, 0, ups, n):
            return True
        return len(ups) >= 2 and periodic(s, v, ups, 0, up=True)
    if triangle(s, v, i, 0, n):
        return True
    runmax = np.fmax.accumulate(np.where(np.isfinite(v), v, -np.inf))
    valleys = _valleys(v, 0, n, runmax)
    near = [m for m in valleys if abs(m - i) <= 1]
    return bool(near) and len(valleys) >= 2 and periodic(s, v, valleys, 0, up=False)


def _ramp_continues(s: np.ndarray, v: np.ndarray, i: int) -> bool:
    """The jump up into point ``i`` continues a rise: the change before it rose at least
    ``1/K`` as fast (per step). A warmup or a one-cycle's rise logged every few points is one
    steep ramp, not a resume."""
    if i < 2 or not np.isfinite(v[i - 2 : i + 1]).all():
        return False
    x = s.astype(np.float64)
    before = (v[i - 1] - v[i - 2]) / max(x[i - 1] - x[i - 2], 1.0)
    jump = (v[i] - v[i - 1]) / max(x[i] - x[i - 1], 1.0)
    return bool(before > 0 and _K * before >= jump)


# --------------------------------------------------------------------------- LR events


def _lr_events(
    s: np.ndarray, v: np.ndarray, jumps: _Jumps, a: int, b: int
) -> list[tuple[int, str]]:
    """Cuts inside points ``a:b`` at LR discontinuities no family explains (module rule 3)."""
    if b - a < 3 or _oscillates(v[a:b]):
        return []
    idx = np.arange(a + 1, b)  # a change between points i-1 and i
    d = jumps.d[a : b - 1]
    big = jumps.jump[a : b - 1] & (jumps.rel[a : b - 1] >= EVENT_RTOL)
    vv = v[a:b]
    runmax = np.fmax.accumulate(np.where(np.isfinite(vv), vv, -np.inf))
    # index i: the max of points a..i-1 is above v[i-1], i.e. the LR had come down before i
    came_down = runmax[:-1] > v[idx - 1] * (1 + JUMP_RTOL)
    up_all = set(idx[big & (d > 0)].tolist())
    down_all = set(idx[big & (d < 0)].tolist())
    # a run of jumps up is one steep ramp: the event is its first jump
    ups = [
        i
        for i in idx[big & (d > 0) & came_down].tolist()
        if i - 1 not in up_all and not _ends_pause(v, i, a)
    ]
    downs = [i for i in sorted(down_all) if _rises_after(v, i, b)]
    valleys = [m for m in _valleys(v, a, b, runmax) if m not in down_all and m + 1 not in up_all]
    events: list[tuple[int, str]] = []
    if ups and not _dense(ups, a, b) and not periodic(s, v, ups, a, up=True):
        for i in ups:
            if sgdr_restart(s, v, i, a, ups, b):
                continue
            if _rises_after(v, i, b):
                events.append((_ramp_start(s, v, i, a), "new_warmup"))
            else:
                events.append((i, "lr_jump"))
    if downs and not _dense(downs, a, b) and not periodic(s, v, downs, a, up=False):
        events.extend((i, "new_warmup") for i in downs)
    if valleys and not _dense(valleys, a, b) and not periodic(s, v, valleys, a, up=False):
        for m in valleys:
            if not triangle(s, v, m, a, b):
                events.append((_ramp_start(s, v, m + 1, a), "new_warmup"))
    return events


def _ends_pause(v: np.ndarray, i: int, a: int) -> bool:
    """The jump up at ``i`` ends a pause: it leaves a zero stretch (two or more points at 0, or
    below :data:`ZERO_FRACTION` of the peak so far) back to at most the level the LR had just
    before the stretch. Training paused with LR 0 and the schedule went on where it was (or
    lower, a decay that fell inside the pause); the stretch is a ``zero_lr`` fact, not a new
    training."""
    vv = np.abs(v[a : i + 1])
    fin = np.isfinite(vv)
    if not fin.any():
        return False
    low = fin & (vv <= ZERO_FRACTION * float(vv[fin].max()))
    j = i - 1 - a  # walk back over the stretch
    while j >= 0 and low[j]:
        j -= 1
    if j < 0 or (i - 1 - a) - j < 2 or not np.isfinite(v[a + j]):
        return False
    return bool(v[i] <= v[a + j] * (1 + EVENT_RTOL))


def _valleys(v: np.ndarray, a: int, b: int, runmax: np.ndarray) -> list[int]:
    """Points ``m`` in ``a:b`` where a fall (or a flat stretch after one) turns into a rise of
    at least two changes that gains a fifth of where it ends, the LR having come down by a sixth
    from its earlier maximum."""
    vv = v[a:b]
    d = np.diff(vv)
    scale = np.maximum(np.abs(vv[1:]), np.abs(vv[:-1]))
    up = d > 1e-5 * scale
    # m: change m-1 -> m is not a rise, m -> m+1 and m+1 -> m+2 are rises
    cand = np.flatnonzero(~up[:-2] & up[1:-1] & up[2:]) + 1
    out: list[int] = []
    for m in cand.tolist():
        top_after = m
        while top_after + 1 < vv.shape[0] and up[top_after]:
            top_after += 1
        gain = vv[top_after] - vv[m]
        if gain >= 0.2 * abs(vv[top_after]) and runmax[m - 1] >= 1.2 * vv[m]:
            out.append(a + m)
    return out


def _ramp_start(s: np.ndarray, v: np.ndarray, i: int, a: int) -> int:
    """Where a new warmup whose first rise ends at ``i`` starts: at ``i-1`` when that point lies
    on the new ramp (its backward line) at least as well as on the old curve (its forward
    line), each miss measured in its own curve's change over that logging interval.

    A ramp that rises faster as it goes (a cosine or exponential rise from a tiny LR, a
    one-cycle's start) passes above its backward line by a fraction of its first rise, an
    absolute miss that can exceed the whole level of the old curve; a point off a flat or
    slowly moving old curve by a fall of many of its own changes is not on it."""
    if i - 2 < a or i + 1 >= v.shape[0]:
        return i
    x = s.astype(np.float64)
    rise = (v[i + 1] - v[i]) * (x[i] - x[i - 1]) / (x[i + 1] - x[i])
    new = v[i] - rise
    old, move = v[i - 2], 0.0
    if i - 3 >= a:
        move = (v[i - 2] - v[i - 3]) * (x[i - 1] - x[i - 2]) / (x[i - 2] - x[i - 3])
        old = v[i - 2] + move
    floor = JUMP_RTOL * abs(v[i - 1]) + 1e-300
    miss_new = abs(v[i - 1] - new) / (abs(rise) + floor)
    miss_old = abs(v[i - 1] - old) / (abs(move) + floor)
    return i - 1 if miss_new <= miss_old else i


def _oscillates(y: np.ndarray) -> bool:
    """The curve turns (a peak or a valley) every few points: a cycle about as fast as the
    logging, aliased. Its jumps are one pattern, not resumes."""
    dirs = np.sign(np.diff(y))
    dirs = dirs[dirs != 0]
    turns = int(np.count_nonzero(dirs[1:] != dirs[:-1]))
    return turns >= 3 and y.shape[0] / (turns + 1) < DENSE_POINTS


def _dense(ev: list[int], a: int, b: int) -> bool:
    """Events closer than :data:`DENSE_POINTS` points apart on average (one aliased pattern)."""
    return len(ev) >= 3 and (b - a) / (len(ev) + 1) < DENSE_POINTS
