"""Exact logged values stated by the parser: a log equal to them is the config's own doing."""

from __future__ import annotations

import math

import numpy as np

from lraudit.diagnose.context import Ctx
from lraudit.diagnose.curve import relerr
from lraudit.diagnose.findings import finding
from lraudit.diagnose.horizon import horizon
from lraudit.diagnose.thresholds import REL_TOL
from lraudit.diagnose.warmup import floor_rule, warmup_exceeds_configured
from lraudit.diagnose.words import step_str
from lraudit.types import ExactValues


def logged_exact(ctx: Ctx, x: np.ndarray, ex: ExactValues) -> np.ndarray | None:
    """The intended curve at ``x`` with the parser's exact logged values where it states them.

    A parser states :class:`~lraudit.types.ExactValues` when the framework's own arithmetic
    logs something no family + warmup expresses exactly (YOLOv5: the warmup scales ``lf(e)``,
    the decay after it is logged one epoch late). None when they cover no logged step.
    """
    k0 = float(ex.first_step)
    vals = np.asarray(ex.values, dtype=np.float64).ravel()
    idx = x - k0
    inside = (idx >= 0) & (idx < vals.size) & (idx == np.round(idx))
    if not inside.any():
        return None
    m = np.asarray(ctx.sched.evaluate(x), dtype=np.float64)
    m[inside] = vals[idx[inside].astype(np.int64)]
    return m


def matches_logged_exact(ctx: Ctx, x: np.ndarray, y: np.ndarray) -> bool:
    """The log is exactly what the config makes the framework log: only the config's own
    doing is reported (a warmup stretched by YOLO's floor, a warmup longer than the run, a
    horizon far past the run)."""
    if ctx.it.exact_values is None:
        return False
    m = logged_exact(ctx, x, ctx.it.exact_values)
    if m is None:
        return False
    err = relerr(y, m)
    if err.size == 0 or float(err.max()) > REL_TOL:
        # the same config under another framework version (Ultralytics: no 100-iteration
        # floor from 8.4.1xx, scheduler stepped after logging up to 8.1) or the bias group
        for alt in ctx.it.exact_alternatives:
            ma = logged_exact(ctx, x, alt)
            if ma is not None:
                ea = relerr(y, ma)
                if ea.size and float(ea.max()) <= REL_TOL:
                    horizon(ctx, x)
                    return True
        return False
    if ctx.w_int > 0 and x[-1] < ctx.w_int:
        warmup_exceeds_configured(ctx, x, y, matched=True)
    else:
        warmup_floor_of_config(ctx, x)
    horizon(ctx, x)
    return True


def warmup_floor_of_config(ctx: Ctx, x: np.ndarray) -> None:
    """A framework floor on the warmup (:class:`~lraudit.types.WarmupFloor`, YOLO's
    ``nw = max(round(warmup_epochs * nb), 100)``): the floor ``N``, not the configured warmup,
    sets it when ``warmup_epochs * nb < N``; the config's own doing (like a detectron2
    WARMUP_ITERS longer than MAX_ITER), reported once per weight group."""
    floor = ctx.it.warmup_floor
    nb = ctx.it.steps_per_epoch
    if floor is None or floor.effective is None or floor.iterations is None or not nb:
        return
    wep, eff, nw, n = floor.configured, floor.effective, floor.iterations, floor.min_iterations
    if nw != n or round(wep * nb) >= n or eff <= wep or x[-1] < eff - 1:
        return
    fw, key = floor.framework, floor.key
    ctx.out.append(
        finding(
            "warmup_mismatch",
            f"the warmup lasts {step_str(round(eff, 3))} epochs ({nw} iterations / {nb} per "
            f"epoch), not the configured {key} {step_str(wep)}: {floor_rule(floor)} and "
            f"{step_str(wep)} x {nb} = {step_str(round(wep * nb))} is below the {n}-iteration "
            f"floor; the log follows this exactly (for a {step_str(wep)}-epoch warmup {fw} needs "
            f"at least {math.ceil(n / wep) if wep > 0 else n} iterations per epoch, or set "
            f"{key} to {step_str(round(eff, 3))} to state it)",
            step=eff,
            expected=wep,
            observed=round(eff, 3),
        )
    )
