"""A constant factor on the LR (``y = k m``): alone, or together with a clock or staircase fault."""

from __future__ import annotations

import math

import numpy as np

from lraudit.diagnose.clock import held_per_epoch, staircase, time_scale
from lraudit.diagnose.context import Ctx
from lraudit.diagnose.curve import Match, decay_end, explains, peak_of
from lraudit.diagnose.findings import finding
from lraudit.diagnose.thresholds import HYP_TOL
from lraudit.diagnose.words import lr_str, ratio_str, step_str


def scale(ctx: Ctx, x: np.ndarray, y: np.ndarray, match: Match) -> bool:
    found = None
    for d in (match.offset, 0, -1, 1):
        m = np.asarray(ctx.sched.evaluate(x + d), dtype=np.float64)
        tiny = 1e-6 * float(np.max(np.abs(m[np.isfinite(m)]), initial=0.0))
        both_zero = (np.abs(m) <= tiny) & (np.abs(y) <= tiny)  # consistent with any k
        ok = (m > tiny) & (y > tiny)
        if ok.sum() < 2 or not explains((~ok & ~both_zero).astype(float)):
            continue
        r = y[ok] / m[ok]
        k = float(np.median(r))
        if abs(math.log(k)) > math.log1p(10 * HYP_TOL) and explains(np.abs(r / k - 1)):
            found = (m, ok, k)
            break
    if found is None:
        return False
    m, ok, k = found
    ws = ctx.it.world_size
    cause = scale_cause(k, ws)
    ctx.out.append(
        finding(
            "lr_scale_mismatch",
            f"the logged LR is {ratio_str(k)} the configured one at every point ({lr_str(y[ok][0])} "
            f"vs {lr_str(m[ok][0])} at {ctx.unit} {step_str(x[ok][0])}): {cause}",
            step=x[ok][0],
            expected=1.0,
            observed=k,
        )
    )
    return True


def scaled_and_other(ctx: Ctx, x: np.ndarray, y: np.ndarray) -> bool:
    """Two causes at once: a whole factor on the LR (GPU count, batch scaling) and another
    clock or staircase flag. The factor is read off the first logged point or the peak
    (both survive a change of clock: the curve starts at the same place and keeps its
    maximum); the log divided by it must then be explained by one of the clock or staircase
    hypotheses, whose finding follows the ``lr_scale_mismatch``."""
    if x.size < 6:
        return False
    peak = peak_of(ctx.sched, max(float(x[-1]), decay_end(ctx.sched) or 0.0))
    m0 = float(ctx.sched.evaluate([float(x[0])])[0])
    ks: list[float] = []
    for k in (float(y[0]) / m0 if m0 > 0 else 0.0, float(np.max(y)) / peak if peak else 0.0):
        whole = whole_factor(k)
        if whole is not None and all(abs(whole / q - 1) > 1e-9 for q in ks):
            ks.append(whole)
    for k in ks:
        mark = len(ctx.out)
        yk = y / k
        if held_per_epoch(ctx, x, yk) or time_scale(ctx, x, yk) or staircase(ctx, x, yk):
            rest = ctx.out[mark:]
            del ctx.out[mark:]
            ctx.out.append(
                finding(
                    "lr_scale_mismatch",
                    f"the logged LR is {ratio_str(k)} the configured one ({lr_str(float(y[0]))} vs "
                    f"{lr_str(m0)} at {ctx.unit} {step_str(x[0])}): {scale_cause(k, ctx.it.world_size)}"
                    f"; divided by {k:g} the log is the configured schedule with a second "
                    "fault, below (its numbers are the log divided by that factor)",
                    step=x[0],
                    expected=1.0,
                    observed=k,
                )
            )
            ctx.out.extend(rest)
            return True
    return False


def whole_factor(k: float) -> float | None:
    """``k`` rounded to a whole factor or its inverse (2, 8, 1/4, ...) when within 1 % of one;
    ``None`` for factors near 1 or far from whole."""
    if not (k > 0 and math.isfinite(k)):
        return None
    r = float(round(k)) if k >= 1 else 1.0 / round(1 / k)
    if r == 1.0 or abs(k / r - 1) > 0.01:
        return None
    return r


def scale_cause(k: float, ws: int | None) -> str:
    near = lambda a, b: abs(a / b - 1) <= 0.02  # noqa: E731
    if ws and ws > 1:
        if near(k, ws):
            return f"the LR was multiplied by the world size {ws} (linear scaling rule)"
        if near(k, math.sqrt(ws)):
            return f"the LR was multiplied by √{ws} (square-root scaling, e.g. timm with Adam)"
        if near(k, 1 / ws):
            return f"the LR was divided by the world size {ws}"
    if k > 1 and near(k, round(k)):
        return (
            f"a whole factor {round(k)}: likely the number of GPUs or global batch / reference "
            "batch (linear scaling rule: Detectron2 REFERENCE_WORLD_SIZE, MMEngine "
            "auto_scale_lr, custom Goyal scaling); pass --world-size if that is intended"
        )
    if k < 1 and near(1 / k, round(1 / k)):
        return (
            f"a whole factor 1/{round(1 / k)}: likely the LR was scaled down by the number of "
            "GPUs or by batch size / reference batch, or a different param group was logged"
        )
    return (
        "likely batch-size scaling (global batch / base batch), a different param group, or a "
        "different base LR than configured"
    )
