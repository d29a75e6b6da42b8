"""One run's audit: read it, segment and fit each series, judge each against its config.

These are the units of work of :mod:`lraudit.pipeline` (which schedules them, in this process
or in worker processes) and of :mod:`lraudit.backends` (one run per Dask task,
:func:`audit_run`), so every backend gives the same report.

Comparison tags
---------------
When a run logs several LR groups and a config is given, the groups the config describes are
compared whole. A group whose LR falls at the start while a sibling's rises, and that later
follows the sibling (the YOLO bias group, which warms *down* from ``warmup_bias_lr``), is compared
only after the sibling's warmup; groups outside ``IntendedSchedule.expected_tags`` when the run
has one inside it are handled the same way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from lraudit.analysis import Analysis, described_segment, restarted_clock
from lraudit.errors import TagNotFoundError
from lraudit.run_configs import ConfigPlan, Resolved
from lraudit.types import (
    FitResult,
    IntendedSchedule,
    LRSeries,
    RunAudit,
    Severity,
)

#: ``progress(done, total, label)``, called after each unit of work (see :mod:`lraudit.pipeline`).
Progress = Callable[[int, int, str], Any]

#: Runs not audited -> the scalar tags they hold when they have no learning-rate tag, or one
#: line on why they gave nothing when their event files could not be read or were damaged.
Bare = dict[str, "tuple[str, ...] | str"]


def _first_segment(a: Analysis, s: LRSeries) -> bool:
    """Whether the main segment is the series' first training (only stray ones before it)."""
    if a.main is None:
        return True
    first_step = int(s.steps[a.main[0]])
    return all(g.stray for g in a.segments if g.first_step < first_step)


def _refit(part: LRSeries) -> FitResult:
    from lraudit.fitting import fit

    return fit(part)


def judge(
    series: Sequence[LRSeries], analyses: Sequence[Analysis], plan: ConfigPlan
) -> list[RunAudit]:
    """Diagnose every series against its run's config, in (run, tag) order."""
    by_run: dict[str, list[int]] = {}
    for i, s in enumerate(series):
        by_run.setdefault(s.run, []).append(i)
    out: dict[int, RunAudit] = {}
    for name, idx in by_run.items():
        judged = judge_run([series[i] for i in idx], [analyses[i] for i in idx], plan.for_run(name))
        out.update(zip(idx, judged, strict=True))
    return [out[i] for i in range(len(series))]


def judge_run(
    series: Sequence[LRSeries], analyses: Sequence[Analysis], resolved: Resolved
) -> list[RunAudit]:
    """Diagnose the series of one run against the config ``resolved`` for it
    (:meth:`ConfigPlan.for_run`), in the order given."""
    # judging needs the rules and the fitter: imported here, not by a report whose every run
    # comes whole from the cache (lraudit.cache), which needs neither
    from lraudit.analysis import sub_series
    from lraudit.configs.fits_logs import config_describes
    from lraudit.diagnose import diagnose, sort_findings
    from lraudit.run_findings import (
        FIT_SHAPED,
        config_mismatch,
        explained,
        merge_findings,
        segment_findings,
        segment_unexplained,
        unexplained,
        zero_findings,
    )

    mains = [
        s if a.main is None else sub_series(s, *a.main)
        for s, a in zip(series, analyses, strict=True)
    ]
    intended, run_cfg, cfg_notes = resolved
    mismatch = None
    if intended is not None:
        mismatch = config_describes(intended, mains)
    compared = None if mismatch else intended
    starts = comparison_starts(mains, [a.fit for a in analyses], compared)
    if compared is not None:
        from lraudit.configs._intent import for_tag  # the config parsers: only with a config
    out: list[RunAudit] = []
    for s, a, m in zip(series, analyses, mains, strict=True):
        it = None if compared is None else for_tag(compared, s.tag)
        seg_found, seg_notes = segment_findings(s, a.segments)
        m_fit = a.fit
        other = described_segment(s, a, it)
        own = None if other else restarted_clock(m, it, first=_first_segment(a, s))
        if other is not None:
            m, m_fit = sub_series(s, other[0], other[1]), other[2]
            seg_notes = [
                *seg_notes,
                f"{s.tag}: compared with the config on the training of steps "
                f"{int(m.steps[0]):,}-{int(m.steps[-1]):,}, the one it describes",
            ]
        elif own is not None:
            seg_notes = [
                *seg_notes,
                f"{s.tag}: compared with the config on the clock of the training that "
                f"restarted the schedule at step {int(m.steps[0]):,} (steps counted from "
                "there)",
            ]
            m, m_fit = own, _refit(own)
        diag = diagnose(m, m_fit, it, compare_from=starts.get((s.run, s.tag)))
        found = merge_findings(seg_found, diag)
        if it is None and not explained(a.fit):
            # with a config, the comparison says what differs; without one, a fit that
            # misses the curve is not a result, and nothing that rests on its shape is said
            found = [f for f in found if f.name not in FIT_SHAPED] + unexplained(a.fit, m)
        # every other training's fit is a result only when it explains its curve
        judged = (a.fit, other[2] if other is not None else None)
        found += segment_unexplained(s, a.segments, a.spans, judged)
        if it is None or not any(f.severity is Severity.ERROR for f in found):
            # with a config, an error already says the LR differs there (a schedule run
            # twice as fast reaches its final 0 halfway): the zero stretch is its consequence
            found += zero_findings(a.zero_stretches, it, s)
        if mismatch is not None and intended is not None:
            found.append(config_mismatch(mismatch, intended))
        out.append(
            RunAudit(
                run=s.run,
                tag=s.tag,
                series=s,
                fit=a.fit if other is None else other[2],
                intended=it,
                findings=sort_findings(found),
                segments=a.segments,
                config=run_cfg,
                extra_notes=(*cfg_notes, *seg_notes),
            )
        )
    return out


def fit_series(series: LRSeries) -> Analysis:
    from lraudit.analysis import analyse

    with np.errstate(all="ignore"):  # inf / nan LRs are findings, not numpy warnings
        return analyse(series)


def read_run(path: str, tag: str | None, run: str) -> tuple[list[LRSeries], Bare]:
    """The series of exactly one run, or none and the tags it holds when it has no LR tag.

    The run's own directory is read (no walk over the whole logdir per run); runs nested below
    it are left to their own task.
    """
    from lraudit.reader import fs, read_lr_runs

    if run == ".":
        target = path
    elif fs.is_url(path):
        target = fs.join(path, *run.split("/"))
    else:
        target = os.path.join(path, *run.split("/"))
    unread: dict[str, str] = {}
    try:
        got, _ = read_lr_runs(target, tag=tag, run=".", unread=unread)
    except TagNotFoundError as e:
        if unread:
            return [], {run: next(iter(unread.values()))}
        return [], {run: tuple(sorted(e.tags))}
    return [dataclasses.replace(s, run=run) for s in got if s.run == "."], {}


@dataclasses.dataclass(frozen=True)
class RunOutcome:
    """One run's audit (:func:`audit_run`): its series' audits in tag order, the scalar tags it
    holds when it has no LR tag (else None), and the seconds spent per phase."""

    audits: tuple[RunAudit, ...]
    bare: tuple[str, ...] | str | None
    seconds: Mapping[str, float]


def audit_run(path: str, tag: str | None, run: str, resolved: Resolved) -> RunOutcome:
    """Read, fit and diagnose the run ``run`` of ``path`` against ``resolved`` (its config, from
    :meth:`ConfigPlan.for_run`): the work one remote worker does per run, made of the functions
    the local pipeline uses (:func:`read_run`, :func:`fit_series`, :func:`judge_run`), so the two
    cannot disagree."""
    t0 = time.perf_counter()
    series, bare = read_run(path, tag, run)
    series.sort(key=lambda s: s.tag)
    t1 = time.perf_counter()
    analyses = [fit_series(s) for s in series]
    t2 = time.perf_counter()
    audits = judge_run(series, analyses, resolved) if series else []
    t3 = time.perf_counter()
    return RunOutcome(
        tuple(audits), bare.get(run), {"read": t1 - t0, "fit": t2 - t1, "diagnose": t3 - t2}
    )


#: Seconds spent per phase ("read", "fit", "diagnose") by audits in this process, summed, when
#: set to a dict (``benchmarks/bench_scale.py`` does); None, the default, records nothing. Work
#: done in local worker processes is not counted; Dask workers report theirs with each run.
PHASE_SECONDS: dict[str, float] | None = None


@contextlib.contextmanager
def timed(phase: str) -> Iterator[None]:
    if PHASE_SECONDS is None:
        yield
        return
    t0 = time.perf_counter()
    try:
        yield
    finally:
        add_phase_seconds({phase: time.perf_counter() - t0})


def add_phase_seconds(seconds: Mapping[str, float]) -> None:
    """Add ``seconds`` (phase -> s) to :data:`PHASE_SECONDS` when it is set."""
    if PHASE_SECONDS is not None:
        for k, v in seconds.items():
            PHASE_SECONDS[k] = PHASE_SECONDS.get(k, 0.0) + v


def comparison_starts(
    series: Sequence[LRSeries],
    fits: Sequence[FitResult | None],
    intended: IntendedSchedule | None,
) -> dict[tuple[str, str], float]:
    """``(run, tag) -> step`` from which a secondary LR group is compared with the config.

    A secondary group is one outside ``intended.expected_tags`` in a run that logs a tag inside
    it, or one that falls during the warmup while a sibling rises and later follows that sibling
    (see :func:`~lraudit.diagnose.explains`). It is compared after the sibling's warmup end.
    """
    out: dict[tuple[str, str], float] = {}
    if intended is None:
        return out
    by_run: dict[str, list[int]] = {}
    for i, s in enumerate(series):
        by_run.setdefault(s.run, []).append(i)
    expected = set(intended.expected_tags)
    w = intended.schedule.warmup
    w_end = float(w.steps) if w is not None else 0.0
    for idx in by_run.values():
        if len(idx) < 2:
            continue
        ends = {i: _warmup_end(series[i], fits[i]) for i in idx}
        rising = [i for i in idx if ends[i] is not None]
        primary = [i for i in idx if series[i].tag in expected]
        for i in idx:
            s = series[i]
            if ends[i] is not None:
                continue  # a group that warms up: compared whole
            refs: list[int] = []
            if _falls_at_start(s):
                # after the config's warmup too: a fitted end inside the last warmup epoch
                # leaves a still-warming point that fails a short run (< 20 points, no miss
                # allowed)
                refs = [j for j in rising if _follows(s, series[j], max(ends[j] or 0.0, w_end))]
            if not refs and primary and s.tag not in expected:
                refs = [j for j in primary if j in rising]
            if not refs:
                continue
            end = max(max(float(ends[j] or 0.0) for j in refs), w_end)
            out[(s.run, s.tag)] = end + 1
    return out


def _warmup_end(s: LRSeries, f: FitResult | None) -> float | None:
    from lraudit.diagnose import observed_warmup_end

    x = np.asarray(s.steps, dtype=np.float64)
    y = np.asarray(s.values, dtype=np.float64)
    ok = np.isfinite(y)
    end, to_end = observed_warmup_end(x[ok], y[ok], f)
    if to_end and ok.any():
        return float(x[ok][-1])
    return end


def _falls_at_start(s: LRSeries) -> bool:
    y = np.asarray(s.values, dtype=np.float64)
    y = y[np.isfinite(y)]
    return y.size >= 2 and y[1] < y[0]


def _follows(s: LRSeries, ref: LRSeries, ref_end: float | None) -> bool:
    """Whether ``s`` equals ``ref`` at the common steps after ``ref``'s warmup."""
    from lraudit.diagnose import explains, relerr

    if ref_end is None:
        return False
    common, i, j = np.intersect1d(s.steps, ref.steps, return_indices=True)
    after = common > ref_end
    if after.sum() < 2:
        return False
    a = np.asarray(s.values, dtype=np.float64)[i][after]
    b = np.asarray(ref.values, dtype=np.float64)[j][after]
    return explains(relerr(a, b))
