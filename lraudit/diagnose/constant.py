"""The logged LR never moves although the configured one does (``constant_lr``)."""

from __future__ import annotations

import numpy as np

from lraudit.diagnose.context import Ctx
from lraudit.diagnose.curve import Match, best_offset, explains, rel_range, relerr
from lraudit.diagnose.findings import finding
from lraudit.diagnose.thresholds import FLAT_TOL, HYP_TOL, REL_TOL
from lraudit.diagnose.words import describe, lr_str, signed_pct_str, step_str
from lraudit.types import Schedule


def constant(ctx: Ctx, x: np.ndarray, y: np.ndarray, match: Match) -> bool:
    if x.size < 2 or rel_range(y) > FLAT_TOL:
        return False
    m = match.model
    if rel_range(m) <= REL_TOL:
        return False
    if ctx.sched.warmup is not None and not ctx.secondary:
        # flat at the post-warmup value of a schedule that is flat after its warmup: the
        # warmup is what is missing, not the schedule
        nowarm = Schedule(ctx.sched.family, ctx.sched.params, None, ctx.sched.min_lr)
        if explains(best_offset(x, y, nowarm).err):
            return False
    moved = np.flatnonzero(relerr(m, np.full_like(m, m[0])) > REL_TOL)
    s_move = x[moved[0]] if moved.size else x[-1]
    a, b = float(m[0]), float(m[-1])
    at0 = float(ctx.sched.evaluate([0.0])[0])
    if relerr(np.array([y[0]]), np.array([at0]))[0] <= HYP_TOL:
        where = f", the configured LR at {ctx.unit} 0,"
    elif relerr(np.array([y[0]]), np.array([a]))[0] <= HYP_TOL:
        where = " (its first configured value)"
    else:
        where = ""
    ctx.out.append(
        finding(
            "constant_lr",
            f"the config ({describe(ctx.sched, ctx.unit)}) moves the LR from {lr_str(a)} to "
            f"{lr_str(b)} ({signed_pct_str(a, b)}) between {ctx.unit}s {step_str(x[0])} and "
            f"{step_str(x[-1])}, but the logged LR stays at {lr_str(y[0])}{where} at all {x.size:,} "
            "points: the schedule never advanced (TF1 global_step not passed to minimize(), "
            "or scheduler.step() never called)",
            step=s_move,
            expected=[a, b],
            observed=float(y[0]),
        )
    )
    return True
