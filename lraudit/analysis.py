"""One series, analysed: split into segments, each segment fitted (the worker's unit of work).

A run's LR series may hold several trainings: a resume that restarted the schedule, a stray
test run of a few iterations, a second training written into the same folder. Fitting all of it
as one curve gives an absurd schedule that looks like a result, so :func:`analyse` first splits
the series (:func:`lraudit.segments.segment_series`), then fits every segment on its own. The
run's *main* segment (the longest that is not stray) is the one compared with the config; the
others are reported as segments, and the boundaries between trainings become findings
(:mod:`lraudit.run_findings`).

Everything here is picklable and free of I/O, so that :mod:`lraudit.pipeline` can run it in a
worker process.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from lraudit.types import FitResult, IntendedSchedule, LRSeries, ReplacedSegment, SegmentAudit

#: segments with fewer points than this are not fitted (the fitter needs a few points a parameter)
MIN_SEGMENT_POINTS = 6


@dataclass(frozen=True, eq=False)
class Analysis:
    """What the worker hands back for one series.

    ``fit`` is the main segment's fit (the whole series' when it is one segment); ``segments``
    lists every segment when there is more than one, else is empty; ``main`` is the main
    segment's index range ``(start, stop)`` in the series; ``zero_stretches`` the stretches of
    LR 0 (:class:`lraudit.segments.ZeroStretch`); ``spans`` each segment's index range.
    """

    fit: FitResult | None
    segments: tuple[SegmentAudit, ...] = ()
    main: tuple[int, int] | None = None
    zero_stretches: tuple[object, ...] = ()
    spans: tuple[tuple[int, int], ...] = ()


def _fit(series: LRSeries) -> FitResult:
    """The fit of ``series``, its ``status`` ``"poor"`` when it misses the curve materially
    (:func:`lraudit.fitting.honesty.explained`): such a fit is not a result, in any format."""
    from lraudit.fitting import fit
    from lraudit.fitting.honesty import explained

    f = fit(series)
    if f.status == "ok" and not explained(f):
        f = dataclasses.replace(f, status="poor")
    if f.status == "failed" or f.explained:
        return f
    return _before_zero_tail(series, f)


def _before_zero_tail(series: LRSeries, f: FitResult) -> FitResult:
    """The fit of ``series`` without its trailing LR-0 stretch, when that explains the curve
    better than the fit with it (``f``): ``f`` is poor and the other is not, or ``f`` only
    approximates the curve (within :data:`lraudit.fitting.honesty.MATERIAL_MISS`) and the other
    reproduces it to float32 precision.

    A training whose LR was set to exactly 0 at the end while steps went on (a schedule that
    ended, an OD API run past ``total_steps``) is a schedule followed by a stretch no family
    reaches: fitted together, the best try is a decay to 0 that misses the schedule, or that
    comes close (a one-cycle ending at a small LR, taken for a warmup and a linear decay that
    reaches 0 where the stretch starts). The stretch itself is a ``zero_lr`` fact
    (:func:`lraudit.segments.find_zero_stretches`); the schedule is the fit of the points
    before it. A schedule that does decay to 0 and stays there (polynomial or cosine with an
    end LR of 0) is explained with its zeros and keeps them.
    """
    v = np.asarray(series.values)
    nz = np.flatnonzero(v != 0)
    k = v.size - (int(nz[-1]) + 1 if nz.size else 0)
    if k < 2 or v.size - k < MIN_SEGMENT_POINTS:
        return f
    g = _fit(sub_series(series, 0, v.size - k))
    if g.status != "ok" or (f.status == "ok" and not g.explained):
        return f
    note = (
        f"fitted on the points before the LR-0 stretch from step {int(series.steps[-k])} "
        f"({k} points at 0 that no schedule of this family reaches)"
    )
    return dataclasses.replace(g, warnings=(*g.warnings, note))


def sub_series(series: LRSeries, start: int, stop: int) -> LRSeries:
    """The points ``[start, stop)`` of ``series`` as a series of their own (same run, tag,
    files and notes; the replaced points that fall inside its step range)."""
    steps = series.steps[start:stop]
    replaced: tuple[ReplacedSegment, ...] = ()
    if steps.size and series.replaced:
        lo, hi = steps[0], steps[-1]
        replaced = tuple(r for r in series.replaced if np.any((r.steps >= lo) & (r.steps <= hi)))
    return dataclasses.replace(
        series,
        steps=steps,
        values=series.values[start:stop],
        wall_times=series.wall_times[start:stop],
        replaced=replaced,
    )


def analyse(series: LRSeries) -> Analysis:
    """Segment ``series`` and fit each segment (see the module docstring)."""
    from lraudit.segments import segment_series

    seg = segment_series(series)
    zeros = tuple(seg.zero_stretches)
    if len(seg.segments) <= 1:
        return Analysis(fit=_fit(series), zero_stretches=zeros)
    main = seg.main
    out: list[SegmentAudit] = []
    main_fit: FitResult | None = None
    for g in seg.segments:
        part = sub_series(series, g.start, g.stop)
        f = _fit(part) if len(part) >= MIN_SEGMENT_POINTS else None
        if f is not None and g.start > 0 and not g.stray:
            f = _own_clock(part, f)
        if main is not None and g.start == main.start:
            main_fit = f
        out.append(
            SegmentAudit(
                first_step=int(g.first_step),
                last_step=int(g.last_step),
                n_points=int(g.stop - g.start),
                starts_because=g.reason,
                stray=bool(g.stray),
                fit=f,
            )
        )
    span = None if main is None else (int(main.start), int(main.stop))
    spans = tuple((int(g.start), int(g.stop)) for g in seg.segments)
    return Analysis(fit=main_fit, segments=tuple(out), main=span, zero_stretches=zeros, spans=spans)


#: a segment's fit on its own clock replaces the absolute one when it is this much closer
OWN_CLOCK_GAIN = 10.0


def _own_clock(part: LRSeries, f: FitResult) -> FitResult:
    """The fit of a later training on its own clock, when that explains its curve and the
    absolute one does not.

    A training that restarted its schedule at step ``s0`` runs ``f(s - s0)``: on the absolute
    clock no family's warmup (always from step 0) can start at ``s0``, and the best try is a
    warmup over thousands of steps that never ran. Fitted on steps counted from its first
    point, the same segment is one family at float32 precision; the fit keeps absolute steps
    with ``offset = -s0`` (observed step ``s`` is schedule step ``s - s0``).
    """
    if f.explained:
        return f
    s0 = int(part.steps[0])
    own = _fit(dataclasses.replace(part, steps=part.steps - s0))
    if not own.explained or own.rmse_log * OWN_CLOCK_GAIN > f.rmse_log:
        return f
    at = None if own.misfit_step is None else own.misfit_step + s0
    return dataclasses.replace(own, offset=own.offset - s0, misfit_step=at)


def _median_relerr(y: np.ndarray, want: np.ndarray) -> float:
    with np.errstate(all="ignore"):
        e = np.abs(want - y) / np.maximum(np.abs(y), 1e-30)
    return float(np.nanmedian(e)) if e.size else float("inf")


#: a segment whose median relative difference from the config is below this is one the config
#: describes on the absolute clock
DESCRIBED_RTOL = 0.01


def described_segment(
    series: LRSeries, a: Analysis, intended: IntendedSchedule | None
) -> tuple[int, int, FitResult | None] | None:
    """The segment the config describes, when it is not the main one.

    A run holding several trainings is compared with its config on the training the config
    was written for: the fitted, non-stray segment closest to the config on the absolute clock
    (median relative difference below :data:`DESCRIBED_RTOL`). None when that is the main
    segment, when no segment is that close (the main one is compared), or without a config.
    """
    if intended is None or len(a.spans) < 2 or intended.unit != intended.log_unit:
        return None
    best: tuple[float, int] | None = None
    for k, ((start, stop), g) in enumerate(zip(a.spans, a.segments, strict=True)):
        if g.stray or g.fit is None:
            continue
        x = np.asarray(series.steps[start:stop], dtype=float)
        y = np.asarray(series.values[start:stop], dtype=float)
        with np.errstate(all="ignore"):
            e = _median_relerr(y, np.asarray(intended.evaluate(x), dtype=float))
        if np.isfinite(e) and (best is None or e < best[0]):
            best = (e, k)
    if best is None or best[0] > DESCRIBED_RTOL or a.spans[best[1]] == a.main:
        return None
    start, stop = a.spans[best[1]]
    return start, stop, a.segments[best[1]].fit


def restarted_clock(
    part: LRSeries, intended: IntendedSchedule | None, *, first: bool
) -> LRSeries | None:
    """``part`` on its own clock (steps counted from its first step) when the schedule
    restarted there, else None.

    A training that restarted its schedule at step ``s0`` (a resume that began the warmup
    again, a new training written into the same run) runs ``f(s - s0)`` where the config says
    ``f(s)``. That restart is reported as ``schedule_reset``; comparing the segment with the
    config on the absolute clock would report its consequences again (a warmup "3,000 steps
    late", a decay "out of phase"). The segment's own clock is used when, on the log axis,
    it matches the config at least twice as well (median relative difference) as the absolute
    clock. The first segment of a series is always on the absolute clock.
    """
    if first or intended is None or len(part) < MIN_SEGMENT_POINTS:
        return None
    if intended.unit != intended.log_unit:
        return None
    s0 = int(part.steps[0])
    if s0 <= 0:
        return None
    y = np.asarray(part.values, dtype=float)
    x = np.asarray(part.steps, dtype=float)
    with np.errstate(all="ignore"):
        e_abs = _median_relerr(y, np.asarray(intended.evaluate(x), dtype=float))
        e_own = _median_relerr(y, np.asarray(intended.evaluate(x - s0), dtype=float))
    if not np.isfinite(e_own) or e_own * 2 > e_abs:
        return None
    return dataclasses.replace(part, steps=part.steps - s0)
