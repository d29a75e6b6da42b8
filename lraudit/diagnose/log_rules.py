"""Rules that need no config, or only what any config states whatever the axis: non-finite
values, too few points, a constant LR, a warmup that never ends, a peak above the configured one."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lraudit.diagnose.curve import is_periodic, peak_of, rel_range, rise_end
from lraudit.diagnose.findings import finding
from lraudit.diagnose.resets import reset_findings
from lraudit.diagnose.scale import scale_cause
from lraudit.diagnose.thresholds import FLAT_TOL, HYP_TOL, LONG_RUN_POINTS, MIN_POINTS
from lraudit.diagnose.words import lr_str, ratio_str, step_str
from lraudit.types import Finding, FitResult, IntendedSchedule, Severity


def rule_non_finite(x: np.ndarray, y: np.ndarray) -> list[Finding]:
    bad = ~np.isfinite(y)
    if not bad.any():
        return []
    i = int(np.flatnonzero(bad)[0])
    kinds = "NaN" if np.isnan(y[i]) else "inf"
    before = np.flatnonzero(~bad[:i])
    last_ok = (
        f"; the last finite LR before it was {lr_str(y[before[-1]])} at step {step_str(x[before[-1]])}"
        if before.size
        else ""
    )
    return [
        finding(
            "non_finite_lr",
            f"{int(bad.sum())} of {y.size} logged LR values are not finite ({kinds} first at "
            f"step {step_str(x[i])}){last_ok}: the optimizer state or the schedule diverged",
            step=x[i],
            observed=int(bad.sum()),
        )
    ]


#: a series of at most this many points is an eval or test stub (info, not a warning: it must
#: not fail ``check --fail-on warning`` on a correct logdir)
STUB_POINTS = 2


def rule_too_few(x: np.ndarray, fit: FitResult | None) -> list[Finding]:
    n = int(x.size)
    need = MIN_POINTS
    if fit is not None:
        need = max(need, sum(1 for p in fit.params if p.name != "rate_per_step") + 1)
    if n >= need:
        return []
    span = f" (steps {step_str(x[0])}-{step_str(x[-1])})" if n >= 2 else ""
    stub = n <= STUB_POINTS
    return [
        finding(
            "too_few_points",
            f"only {n} finite LR point{'s' if n != 1 else ''}{span}: too few to fit a schedule "
            f"(need at least {need}); "
            + (
                "a run that logs the LR once or twice is an eval or test stub, not a training "
                "to audit"
                if stub
                else "log the LR more often or audit a longer run"
            ),
            severity=Severity.INFO if stub else None,
            expected=need,
            observed=n,
        )
    ]


def rules_without_config(
    x: np.ndarray,
    y: np.ndarray,
    fit: FitResult | None,
    constant_ok: bool = False,
    notes: Sequence[str] = (),
) -> list[Finding]:
    out: list[Finding] = []
    n = x.size
    if n == 0:
        return out
    if n >= LONG_RUN_POINTS and rel_range(y) <= FLAT_TOL and not constant_ok:
        out.append(
            finding(
                "constant_lr",
                f"the LR stays at {lr_str(y[0])} at all {n:,} logged points (steps {step_str(x[0])}-"
                f"{step_str(x[-1])}): no schedule ran (scheduler never stepped, TF1 global_step not "
                "incremented) unless a constant LR was intended; pass --config to check",
                severity=Severity.WARNING,
                step=x[0],
                observed=float(y[0]),
            )
        )
    periodic = (
        fit is not None and fit.status != "failed" and is_periodic(fit.schedule, float(x[-1]))
    )
    if not periodic:
        out += reset_findings(x, y, None, notes)
    if n >= 3:
        _, to_end = rise_end(x, y)
        fit_says = (
            fit is not None
            and fit.status != "failed"
            and fit.schedule.warmup is not None
            and float(fit.schedule.warmup.steps) - fit.offset >= x[-1]
        )
        if to_end or (fit_says and y[-1] > y[0]):
            out.append(
                finding(
                    "warmup_exceeds_run",
                    f"the LR rises at every one of the {n} logged points, from {lr_str(y[0])} at "
                    f"step {step_str(x[0])} to {lr_str(y[-1])} at step {step_str(x[-1])}, and never levels "
                    "off: the warmup is longer than the run",
                    step=x[-1],
                    observed=float(y[-1]),
                )
            )
    return out


def rule_unknown_unit(intended: IntendedSchedule) -> list[Finding]:
    return [
        finding(
            "step_unit_mismatch",
            f"the config ({intended.format}) counts its schedule in {intended.unit}s but the LR is "
            f"logged per {intended.log_unit} and the number of {intended.log_unit}s per "
            f"{intended.unit} is unknown: pass --steps-per-epoch to compare the run with the "
            "config (only log-based checks were made)",
            severity=Severity.INFO,
        )
    ]


def rule_peak_without_axis(
    x: np.ndarray, y: np.ndarray, intended: IntendedSchedule
) -> list[Finding]:
    """Without the steps per epoch the curves cannot be aligned, but the LR's peak needs no
    axis: a log above the configured curve's maximum (by more than :data:`HYP_TOL`) is a scale
    error whatever the axis (an 8x LR from ``auto_scale_lr`` on 8 GPUs, a hand-scaled LR)."""
    if y.size == 0:
        return []
    end = float(intended.horizon) if intended.horizon else max(float(x[-1]), 1.0)
    peak = peak_of(intended.schedule, end)
    obs = float(np.max(y))
    if not (peak > 0 and obs > peak * (1 + HYP_TOL)):
        return []
    k = obs / peak
    i = int(np.argmax(y))
    return [
        finding(
            "lr_scale_mismatch",
            f"the logged LR peaks at {lr_str(obs)}, {ratio_str(k)} the configured peak {lr_str(peak)}, "
            f"which no alignment of the axes can explain: {scale_cause(k, intended.world_size)}",
            step=float(x[i]),
            expected=peak,
            observed=obs,
        )
    ]
