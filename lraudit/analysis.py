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

from lraudit.types import FitResult, LRSeries, ReplacedSegment, SegmentAudit

#: segments with fewer points than this are not fitted (the fitter needs a few points a parameter)
MIN_SEGMENT_POINTS = 6


@dataclass(frozen=True, eq=False)
class Analysis:
    """What the worker hands back for one series.

    ``fit`` is the main segment's fit (the whole series' when it is one segment); ``segments``
    lists every segment when there is more than one, else is empty; ``main`` is the main
    segment's index range ``(start, stop)`` in the series; ``zero_stretches`` the stretches of
    LR 0 (:class:`lraudit.segments.ZeroStretch`).
    """

    fit: FitResult | None
    segments: tuple[SegmentAudit, ...] = ()
    main: tuple[int, int] | None = None
    zero_stretches: tuple[object, ...] = ()


def _fit(series: LRSeries) -> FitResult:
    from lraudit.fitting import fit

    return fit(series)


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
    return Analysis(fit=main_fit, segments=tuple(out), main=span, zero_stretches=zeros)
