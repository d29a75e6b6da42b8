"""A matching run that looks flat because the schedule's horizon lies far past it
(``horizon_exceeds_run``, info: the config's own doing)."""

from __future__ import annotations

import numpy as np

from lraudit.diagnose.context import Ctx
from lraudit.diagnose.curve import Match, decay_end, is_constant_schedule
from lraudit.diagnose.findings import finding
from lraudit.diagnose.thresholds import HORIZON_FACTOR, HORIZON_FLAT
from lraudit.diagnose.warmup import warmup_exceeds_configured
from lraudit.diagnose.words import lr_str, pct_str, step_str, units_str


def after_match(ctx: Ctx, x: np.ndarray, y: np.ndarray, match: Match) -> None:
    """The run agrees with the config: say when a flat curve is the config's doing."""
    if not ctx.secondary and ctx.w_int > 0 and x[-1] < ctx.w_int:
        warmup_exceeds_configured(ctx, x, y, matched=True)
    horizon(ctx, x)


def horizon(ctx: Ctx, x: np.ndarray) -> None:
    s = ctx.sched
    if is_constant_schedule(s) or s.family == "constant":
        return
    end = decay_end(s)
    if end is None:
        end = float(ctx.it.horizon) if ctx.it.horizon else None
    last = float(x[-1])
    if end is None or last <= 0 or end < HORIZON_FACTOR * last:
        return
    first = max(ctx.w_int, float(x[0]))
    if first >= last:
        return
    a, b = (float(v) for v in s.evaluate([first, last]))
    if a == 0:
        return
    change = abs(b - a) / abs(a)
    if change >= HORIZON_FLAT:
        return
    cover = 100.0 * last / end
    p = s.params
    u = ctx.unit
    if s.family in ("exponential", "inverse_time") and p.get("staircase"):
        first_drop = float(p.get("start_step") or 0) + float(p["decay_steps"])
        what = (
            f"configured decay_rate {lr_str(p['decay_rate'])} every "
            f"{units_str(p['decay_steps'], u)} (staircase) first changes the LR at {u} "
            f"{step_str(first_drop)}, after this {step_str(last)}-{u} run ends"
        )
    elif s.family in ("exponential", "inverse_time"):
        what = (
            f"configured decay_rate {lr_str(p['decay_rate'])} every "
            f"{units_str(p['decay_steps'], u)} changes the LR by {pct_str(100 * change)} % over "
            f"this {step_str(last)}-{u} run"
        )
    elif s.family == "piecewise":
        b0 = [float(v) for v in p.get("boundaries", ()) if float(v) > last]
        what = (
            f"the first configured boundary after the run is at {u} {step_str(b0[0])}"
            if b0
            else f"the configured boundaries lie beyond this {step_str(last)}-{u} run"
        ) + f", so the LR stays at {lr_str(b)} over this {step_str(last)}-{u} run"
    else:
        what = (
            f"the configured {s.family} decay over {units_str(end, u)} changes the LR by "
            f"{pct_str(100 * change)} % ({lr_str(a)} -> {lr_str(b)}) over this {step_str(last)}-{u} run"
        )
    if s.family in ("exponential", "inverse_time"):
        span = f"one {step_str(end)}-{u} decay period"
    else:
        span = f"the schedule's {step_str(end)}-{u} horizon"
    ctx.out.append(
        finding(
            "horizon_exceeds_run",
            f"{what}, which covers {pct_str(cover)} % of {span}: flat in TensorBoard and "
            "consistent with the config",
            expected=end,
            observed=last,
        )
    )
