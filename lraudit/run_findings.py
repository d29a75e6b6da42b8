"""Findings about a whole run that the per-series diagnosis cannot see.

:func:`lraudit.diagnose.diagnose` compares one curve with one schedule. What a real run adds is
decided here, from the :class:`~lraudit.analysis.Analysis` of the series:

- ``schedule_reset`` at each boundary where a new training starts (a resume that restarted the
  schedule, a new warmup, a second training written into the same folder), with the step and
  both segments' schedules, with or without a config, whatever family fits best;
- ``zero_lr`` for a stretch of LR 0 while steps continue (error when the config does not ask for
  it, warning without a config, nothing when the config's schedule is 0 there);
- ``unexplained_lr`` when the best fit misses the curve beyond float32 and logging noise: the
  fit is then not a result, and the findings that rest on the fit's shape are withdrawn;
- ``config_mismatch`` when the config cannot describe the logs at all.

Stray segments (a few points from another training) are not findings: they become notes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lraudit.describe import describe_fit, fmt_lr
from lraudit.diagnose import finding
from lraudit.fitting.honesty import explained
from lraudit.types import Finding, FitResult, IntendedSchedule, LRSeries, SegmentAudit, Severity

#: findings that rest on the fitted shape: withdrawn when the fit does not explain the curve
FIT_SHAPED = frozenset({"family_mismatch", "horizon_exceeds_run"})

#: at most this many schedule_reset findings per series; further boundaries are summarised
MAX_RESETS = 5

_WHY = {
    "restart": "an event file restarts at or before the previous file's last step",
    "step_regression": "the steps go back",
    "lr_jump": "the LR jumps up after having decreased",
    "new_warmup": "the LR falls to a new warmup",
}


def merge_findings(first: Sequence[Finding], then: Sequence[Finding]) -> list[Finding]:
    """``first`` and ``then`` with one ``schedule_reset`` per step (``first`` wins): a restart
    seen both as a segment boundary and in the reader's overwritten points is one finding."""
    out = list(first)
    seen = {f.step for f in first if f.name == "schedule_reset"}
    out += [f for f in then if not (f.name == "schedule_reset" and f.step in seen)]
    return out


def unexplained(fit: FitResult | None, series: LRSeries, where: str = "") -> list[Finding]:
    """``unexplained_lr`` when ``fit`` misses the curve (see :func:`explained`)."""
    if fit is None or explained(fit) or fit.n_points < 6:
        return []
    y = np.asarray(series.values, dtype=np.float64)
    x = np.asarray(series.steps, dtype=np.float64)
    ok = np.isfinite(y) & (y > 0)
    worst_step: float | None = getattr(fit, "misfit_step", None)
    rel: float | None = getattr(fit, "misfit_rel", None)
    if worst_step is None and ok.any():
        m = fit.evaluate(x[ok])
        err = np.abs(m - y[ok]) / np.maximum(np.abs(y[ok]), 1e-300)
        i = int(np.argmax(err))
        worst_step, rel = float(x[ok][i]), float(err[i])
    at = ""
    if worst_step is not None and rel is not None:
        at = f", worst at step {_step(worst_step)} ({rel:.0%} off)"
    msg = (
        f"no schedule family explains the LR curve{where}: the best try, "
        f"{describe_fit(fit)}, misses it by {fit.rmse_log:.2g} RMS in log terms{at}; the fit is "
        "not a result (an adaptive schedule such as ReduceLROnPlateau, manual LR changes, or "
        "several schedules in one run); look at the plot (--plot DIR)"
    )
    return [finding("unexplained_lr", msg, step=worst_step, observed=fit.rmse_log)]


def segment_unexplained(
    series: LRSeries,
    segments: Sequence[SegmentAudit],
    spans: Sequence[tuple[int, int]],
    skip: Sequence[FitResult | None] = (),
) -> list[Finding]:
    """``unexplained_lr`` for every segment (not stray) whose fit misses its curve, except the
    fits in ``skip`` (the one the run's own rule already judges: compared with the config, or
    flagged as the run's fit)."""
    out: list[Finding] = []
    for k, (g, (start, stop)) in enumerate(zip(segments, spans, strict=True)):
        if g.stray or g.fit is None or any(g.fit is f for f in skip):
            continue
        part = _part(series, start, stop)
        where = (
            f" of segment {k + 1} (steps {_step(g.first_step)}-{_step(g.last_step)}, "
            "a training of its own)"
        )
        out += unexplained(g.fit, part, where)
    return out


def _part(series: LRSeries, start: int, stop: int) -> LRSeries:
    from lraudit.analysis import sub_series

    return sub_series(series, start, stop)


def segment_findings(
    series: LRSeries, segments: Sequence[SegmentAudit]
) -> tuple[list[Finding], list[str]]:
    """``schedule_reset`` findings at the boundaries between trainings, and notes on strays."""
    out: list[Finding] = []
    notes: list[str] = []
    prev: SegmentAudit | None = None
    boundaries: list[tuple[SegmentAudit, SegmentAudit]] = []
    for g in segments:
        if g.stray:
            notes.append(
                f"steps {_step(g.first_step)}-{_step(g.last_step)} ({g.n_points} point"
                f"{'s' if g.n_points != 1 else ''}) look like a separate short training (a "
                "stray test run): left out of the fit and the comparison"
            )
            continue
        if prev is not None:
            boundaries.append((prev, g))
        prev = g
    x = np.asarray(series.steps)
    y = np.asarray(series.values, dtype=np.float64)
    for k, (a, b) in enumerate(boundaries):
        if k == MAX_RESETS:
            rest = ", ".join(_step(g.first_step) for _, g in boundaries[k:])
            out.append(
                finding(
                    "schedule_reset",
                    f"{len(boundaries) - k} more trainings start at steps {rest}: the run was "
                    "restarted many times, each time with a schedule of its own",
                    step=boundaries[k][1].first_step,
                )
            )
            break
        out.append(_reset(a, b, x, y))
    return out, notes


def _step(step: int | float) -> str:
    """A step as messages write it (``3,000``)."""
    return f"{int(step):,}" if float(step).is_integer() else f"{step:,.4g}"


def _value_at(x: np.ndarray, y: np.ndarray, step: int) -> float | None:
    i = np.flatnonzero(x == step)
    return float(y[i[-1]]) if i.size else None


def _new_horizon(a: FitResult | None, b: FitResult | None) -> str | None:
    """What a jump means when the schedule after it is the one before it on the same step
    clock (same family, same levels and start) with another horizon: the resume kept the step
    count but changed the training length (detectron2 MAX_ITER, HF max_steps, epochs)."""
    from lraudit.schedules import get_family

    if a is None or b is None or a.schedule.family != b.schedule.family:
        return None
    if b.offset < -1 or a.offset < -1:  # fitted on its own clock: a restart, not this
        return None
    fam = get_family(a.schedule.family)
    pa, pb = a.schedule.params, b.schedule.params
    changed = [h for h in fam.horizon if h in pa and h in pb and _differs(pa[h], pb[h], 0.02)]
    levels = [p.name for p in fam.params if p.role == "level" and p.name in pa and p.name in pb]
    if not changed or any(_differs(pa[k], pb[k], 0.05) for k in levels if k.startswith("peak")):
        return None
    h = changed[0]
    return (
        f"the schedule went on counting the same steps with another horizon ({h} "
        f"{_step(float(pa[h]))} before, {_step(float(pb[h]))} after): a resume that changed the "
        "training length (MAX_ITER, max_steps, epochs) rather than one that restarted the schedule"
    )


def _differs(u: object, v: object, rtol: float) -> bool:
    if not isinstance(u, (int, float)) or not isinstance(v, (int, float)):
        return False
    return abs(float(u) - float(v)) > rtol * max(abs(float(u)), abs(float(v)), 1e-12)


def _reset(a: SegmentAudit, b: SegmentAudit, x: np.ndarray, y: np.ndarray) -> Finding:
    before, after = _value_at(x, y, a.last_step), _value_at(x, y, b.first_step)
    lr = ""
    if before is not None and after is not None:
        lr = f" (LR {fmt_lr(before)} at step {_step(a.last_step)}, {fmt_lr(after)} at step "
        lr += f"{_step(b.first_step)})"
    why = _WHY.get(b.starts_because, b.starts_because)
    scratch = b.first_step <= a.first_step
    what = (
        "a new training was written into the same run from scratch"
        if scratch
        else _new_horizon(a.fit, b.fit)
        or "a resume restarted the schedule instead of continuing it"
    )
    msg = (
        f"a new training starts at step {_step(b.first_step)}{lr}: {why}; before it the run "
        f"followed {describe_fit(a.fit) if a.fit else 'too few points to fit'} (steps "
        f"{_step(a.first_step)}-{_step(a.last_step)}), after it "
        f"{describe_fit(b.fit) if b.fit else 'too few points to fit'} (steps "
        f"{_step(b.first_step)}-{_step(b.last_step)}): {what}"
    )
    return finding(
        "schedule_reset",
        msg,
        severity=Severity.WARNING if scratch else None,
        step=b.first_step,
        expected=before,
        observed=after,
    )


def zero_findings(
    stretches: Sequence[object],
    intended: IntendedSchedule | None,
    series: LRSeries | None = None,
) -> list[Finding]:
    """``zero_lr`` for each stretch of LR 0 that the config does not ask for.

    Without a config it is an error when the LR comes back after the stretch (``series``): a
    pause in the middle of training is not a schedule that ended; a stretch that runs to the
    end may be a schedule decayed to 0, a warning then."""
    out: list[Finding] = []
    for z in stretches:
        first = int(getattr(z, "first_step"))  # noqa: B009 (duck-typed ZeroStretch)
        last = int(getattr(z, "last_step"))  # noqa: B009
        n = int(getattr(z, "n_points"))  # noqa: B009
        sev: Severity | None = Severity.WARNING
        tail = "; pass --config to check whether the schedule asks for it"
        back = None if series is None else _comes_back(series, last)
        if back is not None:
            sev = Severity.ERROR
            tail = (
                f"; the LR comes back to {fmt_lr(back[1])} at step {_step(back[0])}, so this is "
                "a pause in training, not a schedule that ended (a scheduler or optimizer left "
                "at 0, an LR multiplied by 0 for a while)"
            )
        if intended is not None:
            want = np.asarray(intended.evaluate(np.array([first, last], dtype=np.float64)))
            peak = _peak(intended)
            if peak > 0 and np.all(np.abs(want) <= 1e-3 * peak):
                continue  # the schedule is meant to be at 0 there
            sev, tail = (
                None,
                (f"; the config asks for {fmt_lr(float(want[0]))} at step {_step(first)}"),
            )
        out.append(
            finding(
                "zero_lr",
                f"the LR is 0 (or a negligible fraction of its peak) at all {n} points from step "
                f"{_step(first)} to {_step(last)} while training goes on: those steps do "
                f"not move the weights{tail}",
                severity=sev,
                step=first,
                observed=0.0,
            )
        )
    return out


def _comes_back(series: LRSeries, last: int) -> tuple[int, float] | None:
    """The first (step, LR) after ``last`` where the LR is back above 1e-3 of the series' peak,
    or None when the stretch runs to the end."""
    x = np.asarray(series.steps, dtype=np.float64)
    y = np.asarray(series.values, dtype=np.float64)
    ok = np.isfinite(y)
    if not ok.any():
        return None
    peak = float(np.max(y[ok]))
    after = np.flatnonzero((x > last) & ok & (y > 1e-3 * peak))
    if peak <= 0 or after.size == 0:
        return None
    i = int(after[0])
    return int(x[i]), float(y[i])


def _peak(intended: IntendedSchedule) -> float:
    h = intended.horizon or 1000
    grid = np.linspace(0, max(h, 1), 512)
    v = np.asarray(intended.evaluate(grid), dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(v.max()) if v.size else 0.0


def config_mismatch(reason: str, intended: IntendedSchedule) -> Finding:
    """The one finding made when the config cannot describe the logs."""
    return finding(
        "config_mismatch",
        f"{intended.source} ({intended.format}) does not describe these logs: {reason}; the "
        "schedule is not compared with it (pass this run's own config with --config RUN=FILE, "
        "or --no-config)",
    )
