"""Schedules that follow a monitored metric (ReduceLROnPlateau and its kin): only what the
config fixes is compared."""

from __future__ import annotations

import math

import numpy as np

from lraudit.diagnose.context import Ctx, uncheckable
from lraudit.diagnose.curve import best_offset, explains, interval, relerr
from lraudit.diagnose.findings import finding
from lraudit.diagnose.resets import find_resets, reset_findings
from lraudit.diagnose.scale import scale_cause
from lraudit.diagnose.thresholds import HYP_TOL
from lraudit.diagnose.warmup_phase import warmup_phase
from lraudit.diagnose.words import lr_str, ratio_str, step_str


def follows_metric(ctx: Ctx, x: np.ndarray, y: np.ndarray) -> None:
    """The schedule follows a monitored metric (ReduceLROnPlateau and its kin).

    The config cannot say where the drops are, so only what it does fix is checked: the
    configured warmup (when there is one), that the LR starts at the configured base LR and
    never exceeds it (such a scheduler only lowers the LR; a rise after a decrease is a
    reset), and, when the parser knows the factor (``metric_driven.factor``), that
    every drop is by a whole power of it or down to the floor. Nothing else is compared and
    no finding says so: the config's assumptions carry the explanation.
    """
    if ctx.secondary:
        return
    if ctx.w_int > 0 and x[0] < ctx.w_int:
        inside = x < ctx.w_int
        if not explains(best_offset(x[inside], y[inside], ctx.sched).err):
            x, y = warmup_phase(ctx, x, y)
        else:
            x, y = x[~inside], y[~inside]
    if x.size == 0:
        return
    resets = find_resets(x, y)
    if resets:
        ctx.out.extend(reset_findings(x, y, ctx.it, ctx.notes))
        x, y = x[: resets[0][0]], y[: resets[0][0]]
        if x.size == 0:
            return
    base = float(ctx.sched.evaluate([x[0]])[0])
    if not (math.isfinite(base) and base > 0):
        return
    top = int(np.argmax(y))
    starts_at_base = x[0] <= ctx.w_int + interval(x)  # logged from the schedule's start
    k = None
    if y[top] > base * (1 + HYP_TOL):
        k, at = float(y[top] / base), top
        what = f"reaches {lr_str(y[top])} at {ctx.unit} {step_str(x[top])}, above"
    elif starts_at_base and relerr(y[:1], np.array([base]))[0] > HYP_TOL:
        k, at = float(y[0] / base), 0
        what = f"starts at {lr_str(y[0])} at {ctx.unit} {step_str(x[0])}, not at"
    if k is not None:
        how = uncheckable(ctx.it)
        ctx.out.append(
            finding(
                "lr_scale_mismatch",
                f"the logged LR {what} the configured base LR {lr_str(base)} ({ratio_str(k)}), "
                f"which {how} can only lower: {scale_cause(k, ctx.it.world_size)}",
                step=x[at],
                expected=base,
                observed=float(y[at]),
            )
        )
        return
    plateau_drops(ctx, x, y)


def plateau_drops(ctx: Ctx, x: np.ndarray, y: np.ndarray) -> None:
    """Each drop of a metric-driven schedule is by ``factor**n`` (n >= 1) or to the floor."""
    md = ctx.it.metric_driven
    f = md.factor if md is not None else None
    if f is None or not 0 < f < 1:
        return
    floor = ctx.sched.min_lr
    for i in range(1, y.size):
        if not y[i] < y[i - 1] * (1 - HYP_TOL) or y[i - 1] <= 0:
            continue
        if floor is not None and relerr(y[i : i + 1], np.array([floor]))[0] <= HYP_TOL:
            continue
        n = math.log(y[i] / y[i - 1]) / math.log(f)
        if round(n) >= 1 and abs(y[i] / (y[i - 1] * f ** round(n)) - 1) <= HYP_TOL:
            continue
        ctx.out.append(
            finding(
                "decay_mismatch",
                f"the LR drops from {lr_str(y[i - 1])} to {lr_str(y[i])} at {ctx.unit} "
                f"{step_str(x[i])} (x{lr_str(y[i] / y[i - 1])}), not by the configured factor "
                f"{lr_str(f)} or a power of it",
                step=x[i],
                expected=f,
                observed=float(y[i] / y[i - 1]),
            )
        )
        return
