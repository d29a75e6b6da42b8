"""Exact logged values stated by the parser: a log equal to them is the config's own doing."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from lraudit.diagnose.context import Ctx, settings_of
from lraudit.diagnose.curve import is_num, relerr
from lraudit.diagnose.findings import finding
from lraudit.diagnose.horizon import horizon
from lraudit.diagnose.thresholds import REL_TOL
from lraudit.diagnose.warmup import warmup_exceeds_configured
from lraudit.diagnose.words import step_str


def logged_exact(ctx: Ctx, x: np.ndarray, ex: Any = None) -> np.ndarray | None:
    """The intended curve at ``x`` with the parser's exact logged values where it states them.

    A parser sets ``settings["logged_lr_exact"] = {"first_step": k0, "values": [...]}`` when
    the framework's own arithmetic logs something no family + warmup expresses exactly
    (YOLOv5: the warmup scales ``lf(e)``, the decay after it is logged one epoch late).
    """
    if ex is None:
        ex = settings_of(ctx.it.settings).get("logged_lr_exact")
    if not isinstance(ex, Mapping):
        return None
    try:
        k0 = float(ex["first_step"])
        vals = np.asarray(ex["values"], dtype=np.float64).ravel()
    except (KeyError, TypeError, ValueError):
        return None
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
    m = logged_exact(ctx, x)
    if m is None:
        return False
    err = relerr(y, m)
    if err.size == 0 or float(err.max()) > REL_TOL:
        # the same config under another framework version (Ultralytics: no 100-iteration
        # floor from 8.4.1xx, scheduler stepped after logging up to 8.1) or the bias group
        for alt in settings_of(ctx.it.settings).get("logged_lr_exact_alternatives") or ():
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
    """YOLO's ``nw = max(round(warmup_epochs * nb), 100)``: the floor, not ``warmup_epochs``,
    sets the warmup when ``warmup_epochs * nb < 100``; the config's own doing (like a
    detectron2 WARMUP_ITERS longer than MAX_ITER), reported once per weight group."""
    st = settings_of(ctx.it.settings)
    wep, eff, nw = (
        st.get(k) for k in ("warmup_epochs", "warmup_epochs_effective", "warmup_iterations")
    )
    nb = ctx.it.steps_per_epoch
    if not all(is_num(v) for v in (wep, eff, nw, nb)):
        return
    wep, eff, nw, nb = float(wep), float(eff), int(nw), int(nb)
    if nw != 100 or round(wep * nb) >= 100 or eff <= wep or x[-1] < eff - 1:
        return
    ctx.out.append(
        finding(
            "warmup_mismatch",
            f"the warmup lasts {step_str(round(eff, 3))} epochs ({nw} iterations / {nb} per "
            f"epoch), not the configured warmup_epochs {step_str(wep)}: YOLO warms up for "
            f"max(round(warmup_epochs x iterations per epoch), 100) iterations and "
            f"{step_str(wep)} x {nb} = {step_str(round(wep * nb))} is below the 100-iteration floor; "
            f"the log follows this exactly (for a {step_str(wep)}-epoch warmup YOLO needs at "
            f"least {math.ceil(100 / wep) if wep > 0 else 100} iterations per epoch, or set "
            f"warmup_epochs to {step_str(round(eff, 3))} to state it)",
            step=eff,
            expected=wep,
            observed=round(eff, 3),
        )
    )
