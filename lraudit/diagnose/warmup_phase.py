"""The warmup phase compared on its own (its end, its values) before the phase after it."""

from __future__ import annotations

import numpy as np

from lraudit.diagnose.context import Ctx
from lraudit.diagnose.curve import best_offset, explains, interval, observed_warmup_end
from lraudit.diagnose.findings import finding
from lraudit.diagnose.thresholds import WARMUP_KNOCK_ON
from lraudit.diagnose.warmup import floor_explains, warmup_hint, warmup_missing, warmup_ramp
from lraudit.diagnose.words import lr_str, pct_str, ratio_str, step_str, units_str
from lraudit.types import Schedule, Severity


def warmup_phase(ctx: Ctx, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Warmup findings; returns the points after both warmups, for the main comparison."""
    if ctx.secondary:
        return x, y
    w_obs, to_end = observed_warmup_end(x, y, ctx.fit)
    w_int = ctx.w_int
    ramp = warmup_ramp(ctx, x, y) if w_obs is not None else None
    if ramp is not None:
        w_obs = ramp[0]
    res = interval(x, w_obs if w_obs is not None else w_int)
    unit = ctx.unit
    if to_end:
        ctx.out.append(
            finding(
                "warmup_exceeds_run",
                f"the logged LR rises at every point up to the last one ({lr_str(y[-1])} at "
                f"{unit} {step_str(x[-1])}), but the configured warmup "
                + (f"ends at {unit} {step_str(w_int)}" if w_int else "does not exist")
                + ": the warmup is stretched over the whole run",
                step=x[-1],
                expected=w_int,
                observed=float(x[-1]),
            )
        )
        return x[:0], y[:0]
    if w_int > 0 and w_obs is None and x[0] < w_int:
        nowarm = Schedule(ctx.sched.family, ctx.sched.params, None, ctx.sched.min_lr)
        inside = x < w_int
        mm = best_offset(x[inside], y[inside], nowarm)
        if explains(mm.err):
            warmup_missing(ctx, x, y)
            return x[x >= w_int + 1], y[x >= w_int + 1]
    if w_int > 0 and w_obs is None and x[0] < w_int:
        inside = x < w_int
        mm = best_offset(x[inside], y[inside], ctx.sched)
        if inside.sum() >= 2 and not explains(mm.err):
            xi, yi = x[inside], y[inside]
            ctx.out.append(
                finding(
                    "warmup_mismatch",
                    f"during the configured warmup ({unit}s 0-{step_str(w_int)}) the logged LR "
                    f"goes from {lr_str(yi[0])} to {lr_str(yi[-1])} instead of rising from "
                    f"{lr_str(mm.model[0])} to {lr_str(mm.model[-1])}: a different warmup, or a "
                    "param group with its own (the YOLO bias group warms down)",
                    step=xi[0],
                    expected=[float(mm.model[0]), float(mm.model[-1])],
                    observed=[float(yi[0]), float(yi[-1])],
                )
            )
    if w_obs is not None and w_int <= 0:
        ctx.out.append(
            finding(
                "warmup_mismatch",
                f"the logged LR ramps up from {lr_str(y[0])} over the first ≈"
                f"{units_str(w_obs, unit)}, but the config has no warmup",
                step=w_obs,
                expected=0,
                observed=w_obs,
            )
        )
    elif w_obs is not None and abs(w_obs - w_int) > max(2 * res, 0.1 * w_int, 1.0):
        floored = floor_explains(ctx, ramp[1] if ramp else None)
        if floored is not None and ctx.it.warmup_floor is not None:
            nb, eff = floored
            fl = ctx.it.warmup_floor
            n = fl.min_iterations
            msg = (
                f"the warmup lasts ≈{step_str(round(eff, 2))} epochs, not the configured "
                f"{step_str(w_int)}: the logged ramp rises by {pct_str(100 * nb / n)} % of the "
                f"target per epoch, i.e. ≈{nb} iterations per epoch, and {fl.framework} warms "
                f"up for max({fl.key} x iterations per epoch, {n}) iterations, so the "
                f"{n}-iteration floor gives {n}/{nb} = {step_str(round(eff, 2))} epochs (the "
                f"logged ramp ends at ≈epoch {step_str(round(w_obs, 1))} of the log)"
            )
            observed = round(eff, 3)
        else:
            msg = (
                f"the logged warmup ends at ≈{unit} {step_str(round(w_obs, 1))}, the config's at "
                f"{unit} {step_str(w_int)} ({ratio_str(w_obs / w_int)} "
                f"{'longer' if w_obs > w_int else 'shorter'})" + warmup_hint(ctx, w_obs)
            )
            observed = round(w_obs, 3)
        ctx.out.append(
            finding("warmup_mismatch", msg, step=w_obs, expected=w_int, observed=observed)
        )
    elif w_obs is not None and w_int > 0:
        warmup_values(ctx, x, y, min(w_obs, w_int))
    start = max(w_int, w_obs or 0.0)
    if start <= 0:
        return x, y
    keep = x >= start + 1
    return x[keep], y[keep]


def warmup_values(ctx: Ctx, x: np.ndarray, y: np.ndarray, end: float) -> None:
    """Same warmup length: the values on the ramp must agree too (its start, its shape)."""
    inside = x < end
    if inside.sum() < 2:
        return
    xi, yi = x[inside], y[inside]
    mm = best_offset(xi, yi, ctx.sched)
    if explains(mm.err):
        return
    post = x >= end
    # a ramp that ends within a few percent of the config's while the schedule after it
    # differs: the ramp follows (or heads for) that schedule, so the difference is the main
    # comparison's finding, not a second one about the warmup
    if (
        float(np.max(mm.err)) <= WARMUP_KNOCK_ON
        and post.sum() >= 2
        and not explains(best_offset(x[post], y[post], ctx.sched).err)
    ):
        return
    w = ctx.sched.warmup
    assert w is not None
    j = int(np.argmax(mm.err))
    # a parser that knows its warmup values are approximate says why (YOLO without the
    # batches per epoch): then a difference is worth a note, not a warning
    approx = ctx.it.warmup_values_approximate
    ctx.out.append(
        finding(
            "warmup_mismatch",
            f"the warmup has the configured length ({units_str(ctx.w_int, ctx.unit)}) but "
            f"other values: at {ctx.unit} {step_str(xi[j])} the config gives "
            f"{lr_str(mm.model[j])} ({w.shape} from {lr_str(w.start_lr)}), the log "
            f"{lr_str(yi[j])}" + (f"; {approx}" if isinstance(approx, str) else ""),
            severity=Severity.INFO if isinstance(approx, str) else None,
            step=xi[j],
            expected=float(mm.model[j]),
            observed=float(yi[j]),
        )
    )
