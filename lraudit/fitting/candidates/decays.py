"""Candidate builders of the decaying families: constant, piecewise, exponential, inverse_time,
inverse_sqrt, cosine, polynomial and warmup_stable_decay.

Structure fixes the discrete values (jump positions and levels, staircase width and start, the
end of a flat head or the start of a flat tail); closed-form reads of the curve give the starting
points of the continuous ones. A decay after a warmup starts its clock at the warmup end.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from lraudit.curves import TINY
from lraudit.curves import levels as _medians
from lraudit.fitting.candidates.common import (
    LR_SCALE_MIN,
    OVERLAID,
    SHORT_SERIES,
    Builder,
    Ctx,
    choices,
    fnum,
    free,
    has,
    make,
    num,
    polyfit,
    safe_guess,
)
from lraudit.fitting.candidates.grids import stair_grid
from lraudit.fitting.engine import Candidate, FreeParam
from lraudit.schedules import Family


def b_constant(fam: Family, ctx: Ctx) -> list[Candidate]:
    lr = float(np.median(ctx.yp[:: max(ctx.yp.size // 4000, 1)])) if ctx.yp.size else ctx.top
    return [_shaped(make(fam, {}, [free(fam, "lr", max(lr, LR_SCALE_MIN), log=True)]), "flat")]


def _roundest(lo: float, hi: float) -> float:
    """The roundest whole step in ``(lo, hi]`` (most trailing zeros), ``hi`` when none is whole.

    A jump logged between steps ``lo`` and ``hi`` puts the boundary anywhere in ``(lo, hi]``;
    configured milestones are round numbers, so the roundest step there is the likeliest, and
    being the configured one it still explains the jump when the log is one step early or late
    (the boundary stays fixed while the step offset is refitted).
    """
    p = 10 ** int(math.floor(math.log10(max(hi, 1.0))))
    while p >= 1:
        c = (math.floor(lo / p) + 1) * p
        if c <= hi:
            return float(c)
        p //= 10
    return hi


def _levels(ctx: Ctx) -> tuple[list[float], list[float]]:
    """Boundaries (roundest step where each new level can start) and the levels between jumps."""
    st, x, y = ctx.st, ctx.x, ctx.y
    idx = [ctx.i0, *[j for j in st.jumps if j > ctx.i0], y.size]
    levels = _medians(y, idx)
    bounds = [_roundest(float(x[j - 1]), float(x[j])) for j in idx[1:-1]]
    return bounds, levels


def b_piecewise(fam: Family, ctx: Ctx) -> list[Candidate]:
    if not ctx.st.piecewise_constant:
        return []
    bounds, levels = _levels(ctx)
    if not bounds:
        return []
    b = [int(v) if float(v).is_integer() else v for v in bounds]
    return [make(fam, {"boundaries": b, "values": levels}, [], n_structural=len(b) + len(levels))]


def _stair_width(ctx: Ctx) -> tuple[float, float] | None:
    """Staircase width D and start B from the jump positions, each known to within the cadence.

    Boundary ``k`` (1-based) sits at ``B + k D`` inside ``(x[j_k - 1], x[j_k]]``; D is the
    midpoint of the interval consistent with every pair of boundaries.
    """
    st, x = ctx.st, ctx.x
    js = [j for j in st.jumps if j > ctx.i0]
    if len(js) < 1:
        return None
    lo = np.array([x[j - 1] for j in js], dtype=float)
    hi = np.array([x[j] for j in js], dtype=float)
    if len(js) == 1:
        return float(hi[0]), 0.0
    d_lo, d_hi = 0.0, math.inf
    for k in range(1, len(js)):
        d_lo = max(d_lo, (lo[k] - hi[0]) / k)
        d_hi = min(d_hi, (hi[k] - lo[0]) / k)
    if not d_lo <= d_hi:
        return None
    d = (d_lo + d_hi) / 2
    # prefer a whole number of steps when one is consistent
    if math.ceil(d_lo) <= d_hi:
        d = float(round(d)) if d_lo <= round(d) <= d_hi else float(math.ceil(d_lo))
    # B: boundaries at B + k D must sit in (lo_k, hi_k]
    b_lo = max(lo[k] - (k + 1) * d for k in range(len(js)))
    b_hi = min(hi[k] - (k + 1) * d for k in range(len(js)))
    # B in (b_lo, b_hi]: the smallest whole step consistent, 0 when the data allow it
    b = float(math.floor(b_lo) + 1) if b_lo >= 0 else 0.0
    if b > b_hi:
        b = (b_lo + b_hi) / 2
    return d, max(b, 0.0)


#: Drops a staircase needs before it is offered: two drops are as many milestones (torch
#: ``MultiStepLR``, detectron2 and Paddle steps) and a period read off two is a guess that
#: predicts a third drop the log never shows; from three drops at one period on, the period is
#: seen (StepLR, staircase ``exponential_decay``).
STAIR_MIN_DROPS = 3


def _stairs_seen(ctx: Ctx) -> bool:
    """The curve drops by jumps between flat stretches at least :data:`STAIR_MIN_DROPS` times."""
    st = ctx.st
    drops = [j for j in st.jumps if j > ctx.i0]
    return st.piecewise_constant and len(drops) >= STAIR_MIN_DROPS


def b_exponential(fam: Family, ctx: Ctx) -> list[Candidate]:
    st = ctx.st
    out: list[Candidate] = []
    top = ctx.top
    has_start = has(fam, "start_step")
    if _stairs_seen(ctx):
        sw = _stair_width(ctx)
        bounds, levels = _levels(ctx)
        if sw is not None and len(levels) >= 2:
            d, b = sw
            ratios = [levels[i + 1] / levels[i] for i in range(len(levels) - 1) if levels[i] > 0]
            rate = float(np.median(ratios)) if ratios else 0.5
            fixed: dict[str, Any] = {"staircase": True, "decay_steps": num(d)}
            if has_start:
                fixed["start_step"] = num(b)
            frees = [
                free(fam, "init_lr", levels[0], log=True),
                free(fam, "decay_rate", min(max(rate, 1e-6), 1 - 1e-9), 0.0, 1.0, log=True),
            ]
            out.append(make(fam, fixed, frees, "exponential staircase", n_structural=2))
    if st.smooth_possible:
        dctx = _after_flat(ctx)  # the slope of the decay, not of a burn-in before it
        xp, yp = dctx.xp, dctx.yp
        pos = yp > 0
        k = -1e-6
        if pos.sum() >= 2 and np.ptp(xp[pos]) > 0:
            k = float(polyfit(xp[pos], np.log(yp[pos]), 1)[0])
        k = min(k, -1e-12)
        # decay_steps is not identified (only k = ln(rate)/D is): hold it at a round number near
        # the e-folding length so that decay_rate stays a readable factor
        d = float(10 ** round(math.log10(max(1.0 / -k, 1.0))))
        rate = math.exp(k * d)
        # the burn-in (flat start) of OD API exponential_decay_with_burnin
        flat = _flat_head(ctx)
        fixed = {"staircase": False, "decay_steps": num(d)}
        frees = [
            free(fam, "init_lr", top, log=True),
            free(fam, "decay_rate", min(max(rate, TINY), 1 - 1e-12), 0.0, 1.0, log=True),
        ]
        if has_start and flat is not None:
            frees.append(free(fam, "start_step", flat, 0.0, float(ctx.x[-1]), log=True))
        elif has_start:
            fixed["start_step"] = num(round(float(ctx.x[ctx.i0]))) if ctx.i0 > 0 else 0
        # ln(lr) falls linearly after the start step
        out.append(_shaped(make(fam, fixed, frees, "exponential continuous"), "log", True))
        if has_start and flat is None and ctx.i0 > 0:
            # the decay running from step 0 under the warmup (torch ChainedScheduler of LinearLR
            # and ExponentialLR): its clock does not restart where the warmup ends, and init_lr
            # is the decay extrapolated back to step 0
            s0 = float(ctx.x[ctx.i0])
            init0 = top * math.exp(min(-k * s0, 50.0))
            frees0 = [free(fam, "init_lr", init0, log=True), *frees[1:]]
            fixed0 = {**fixed, "start_step": 0}
            out.append(_shaped(make(fam, fixed0, frees0, f"{fam.name} {OVERLAID}"), "log", True))
    return out


def _leading_flat(d: np.ndarray) -> int:
    """Number of leading equal transitions."""
    nz = np.flatnonzero(d)
    return int(nz[0]) if nz.size else int(d.size)


def _flat_head(ctx: Ctx) -> float | None:
    """End of a flat stretch at the start of the post-warmup part (hold / burn-in), or None."""
    d = ctx.st.direction[ctx.i0 :]
    k = _leading_flat(d)
    # a smooth decay is flat to float32 for a few points at its start; a hold is longer
    long_in_points = k >= max(3, 0.03 * d.size)
    # sparse logging: two equal transitions that span a good part of the window are a hold too
    span = float(ctx.x[-1] - ctx.x[ctx.i0])
    # in a short series (a few points over the whole run) one equal pair is a hold as well: a
    # smooth decay moves by far more than float32 rounding between such sparse points
    k_min = 1 if d.size <= SHORT_SERIES else 2
    long_in_steps = (
        k >= k_min and span > 0 and float(ctx.x[ctx.i0 + k] - ctx.x[ctx.i0]) >= 0.03 * span
    )
    if (long_in_points or long_in_steps) and k < d.size:
        return float(ctx.x[ctx.i0 + k])
    return None


def _after_flat(ctx: Ctx) -> Ctx:
    """``ctx`` re-based at the end of a flat head (hold / stable phase), for decay estimates."""
    d = ctx.st.direction[ctx.i0 :]
    k = _leading_flat(d)
    if _flat_head(ctx) is None:
        return ctx
    return Ctx(ctx.x, ctx.y, ctx.st, ctx.i0 + k, ctx.top, ctx.ymax)


def _decay_free(fam: Family, ctx: Ctx, d0: float, start: float | None) -> FreeParam:
    """``decay_steps``: free from ``d0``; when the decay visibly ends in a flat tail and the start
    is known, bounded to the logging gap where it ends (the fit is smooth inside it)."""
    t = ctx.st.tail_flat_from
    if start is not None and t is not None and t >= 1:
        lo, hi = float(ctx.x[t - 1]) - start, float(ctx.x[t]) - start
        if ctx.i0 > 0:
            # the decay may start up to one logging interval before the first post-warmup point
            hi += float(ctx.x[ctx.i0] - ctx.x[ctx.i0 - 1])
        if lo > 0 and hi > lo:
            return free(fam, "decay_steps", min(max(d0, lo), hi), lo * (1 + 1e-12), hi, log=True)
    return free(fam, "decay_steps", d0, 1.0, None, log=True)


def _decay_horizon(ctx: Ctx) -> float:
    """Rough decay length from where the curve stops falling, or by extrapolating a line."""
    st = ctx.st
    if st.tail_flat_from is not None and st.tail_flat_from > ctx.i0:
        return max(float(ctx.x[st.tail_flat_from]) - float(ctx.x[ctx.i0]), 1.0)
    xp, yp = ctx.xp, ctx.yp
    if xp.size >= 2 and yp[0] > yp[-1]:
        frac = (yp[0] - yp[-1]) / yp[0]
        return max(float(xp[-1] - xp[0]) / max(frac, 1e-6), 1.0)
    return max(float(ctx.x[-1]) * 10, 10.0)


def b_cosine(fam: Family, ctx: Ctx) -> list[Candidate]:
    if not ctx.st.smooth_possible:
        return []
    top = ctx.top
    s0 = float(ctx.x[ctx.i0]) if ctx.i0 > 0 else 0.0
    flat = _flat_head(ctx)
    dctx = _after_flat(ctx)
    xp, yp = dctx.xp, dctx.yp
    ends = [0.0]
    if ctx.st.tail_flat_from is not None:
        ends = [float(ctx.y[-1])]
    out = []
    # read D off the last point assuming end = ends[0]: y = e + (top - e)(1 + cos(pi t / D)) / 2
    t_last = float(xp[-1]) - (flat if flat is not None else s0)
    e0 = ends[0]
    q = (float(yp[-1]) - e0) / max(top - e0, TINY)
    q = min(max(q, -1.0), 1.0)
    ang = math.acos(2 * q - 1)
    d0 = t_last * math.pi / ang if ang > 1e-9 else _decay_horizon(dctx)
    if ctx.st.tail_flat_from is not None:
        d0 = float(ctx.x[ctx.st.tail_flat_from]) - (flat if flat is not None else s0)
    d0 = max(d0, 1.0)
    starts = [flat if flat is not None else s0]
    if flat is None and s0 > 0 and has(fam, "start_step"):
        # the warmup laid over a cosine that runs from step 0 (detectron2 WarmupCosineLR, timm):
        # the cosine's clock does not restart where the warmup ends
        starts.append(0.0)
    for st0 in starts:
        fixed: dict[str, Any] = {}
        frees = [
            free(fam, "peak_lr", top, log=True),
            free(fam, "end_lr", e0, 0.0, top, log=False, scale=max(top, LR_SCALE_MIN)),
            _decay_free(fam, ctx, d0, None if flat is not None else st0),
        ]
        if has(fam, "start_step"):
            if flat is not None:
                frees.append(free(fam, "start_step", st0, 0.0, float(ctx.x[-1]), log=True))
            else:
                fixed["start_step"] = num(round(st0))
        label = ""
        if st0 == 0.0 and s0 > 0:
            frees[2] = replace(frees[2], init=frees[2].init + s0)
            label = f"{fam.name} {OVERLAID}"
        out.append(make(fam, fixed, frees, label=label))
    return _smooth(out)


def _smooth(cands: list[Candidate]) -> list[Candidate]:
    """``cands`` marked as smooth decays (:attr:`Candidate.smooth_decay`)."""
    return [replace(c, smooth_decay=True) for c in cands]


def _shaped(c: Candidate, straight_in: str, smooth: bool = False) -> Candidate:
    """``c`` with the shape facts its certificates test (:mod:`lraudit.fitting.certify`)."""
    return replace(c, straight_in=straight_in, smooth_decay=smooth)


def b_cosine_rising(fam: Family, ctx: Ctx) -> list[Candidate]:
    """The cosine that rises again past its end (``after_end="rise"``, torch
    ``CosineAnnealingLR`` past ``T_max``): the half period read off the first valley, the
    lowest point before the first rise after the decay starts."""
    st = ctx.st
    rises = [r for r in st.rises if r > ctx.i0 + 1]
    if not rises or not has(fam, "after_end"):
        return []
    r = rises[0]
    s0 = float(ctx.x[ctx.i0]) if ctx.i0 > 0 else 0.0
    v = ctx.i0 + int(np.argmin(ctx.y[ctx.i0 : r]))
    # the valley lies within a logging interval of its lowest logged point
    lo = max(float(ctx.x[max(v - 1, ctx.i0)]) - s0, 1.0)
    hi = max(float(ctx.x[min(v + 1, r)]) - s0, lo * 1.001)
    d0 = min(max(float(ctx.x[v]) - s0, lo), hi)
    top = ctx.top
    low = float(np.min(ctx.y[ctx.i0 :]))
    frees = [
        free(fam, "peak_lr", top, log=True),
        free(fam, "end_lr", low, 0.0, top, log=False, scale=max(top, LR_SCALE_MIN)),
        free(fam, "decay_steps", d0, lo, hi, log=True),
    ]
    fixed: dict[str, Any] = {"after_end": "rise"}
    if has(fam, "start_step"):
        fixed["start_step"] = num(round(s0))
    return [make(fam, fixed, frees, label=f"{fam.name} rising again")]


def _steepens(xp: np.ndarray, yp: np.ndarray) -> bool:
    """The decay falls at least twice as fast (per step) over its last quarter of points as
    over its first: a power below 1 (``(1 - t/D)^p`` with ``p < 1`` ends with an unbounded
    slope), which from the seeds 1 and 2 the optimiser does not reach when the end is seen."""
    q = xp.size // 4
    if q < 2 or xp[-1] <= xp[0]:
        return False
    first = (yp[0] - yp[q]) / max(float(xp[q] - xp[0]), 1.0)
    last = (yp[-q - 1] - yp[-1]) / max(float(xp[-1] - xp[-q - 1]), 1.0)
    return bool(first > 0 and last > 2.0 * first)


def b_polynomial(fam: Family, ctx: Ctx) -> list[Candidate]:
    if not ctx.st.smooth_possible:
        return []
    top = ctx.top
    s0 = float(ctx.x[ctx.i0]) if ctx.i0 > 0 else 0.0
    flat = _flat_head(ctx)
    dctx = _after_flat(ctx)
    xp, yp = dctx.xp, dctx.yp
    e0 = float(ctx.y[-1]) if ctx.st.tail_flat_from is not None else 0.0
    out = []
    # after a warmup the decay clock starts at W in every framework we know (OD API, HF, optax,
    # Keras, SequentialLR); for a straight line the choice does not matter
    starts = [s0]
    for power in (1.0, 2.0, 0.5) if _steepens(xp, yp) else (1.0, 2.0):
        for st0 in starts:
            d0 = _decay_horizon(dctx)
            init = top
            if xp.size >= 2 and yp[0] > yp[-1] and power == 1.0:
                on = yp > e0 + 1e-6 * (top - e0)  # the straight part, not a flat tail
                if on.sum() < 2:
                    on[:] = True
                slope, icpt = (float(v) for v in polyfit(xp[on], yp[on], 1))
                if slope < 0:
                    if flat is None and icpt + slope * st0 > 0:
                        # the line through the decay, not through its first point, which may
                        # still be the warmup's last (a warmup that ends between logged steps)
                        init = icpt + slope * st0
                    d0 = (init - e0) / -slope
            if st0 == 0.0 and s0 > 0:
                # extrapolate the decay back to step 0
                d0 += s0
                init = e0 + (top - e0) / max((1 - s0 / d0) ** power, 1e-9)
            fixed: dict[str, Any] = {}
            frees = [
                free(fam, "init_lr", init, log=True),
                free(fam, "end_lr", e0, 0.0, top, log=False, scale=max(top, LR_SCALE_MIN)),
                _decay_free(fam, ctx, max(d0, 1.0), None if flat is not None else st0),
                free(fam, "power", power, 0.01, 20.0, log=True),
            ]
            if has(fam, "start_step"):
                if flat is not None:
                    frees.append(free(fam, "start_step", flat, 0.0, float(ctx.x[-1]), log=True))
                else:
                    fixed["start_step"] = num(round(st0))
            out.append(make(fam, fixed, frees, f"polynomial p0={power:g} start={st0:g}"))
            tail = ctx.st.tail_flat_from
            if power == 1.0 and (tail is None or float(ctx.y[-1]) == 0.0):
                # a straight line: only its slope and intercept are seen, so end_lr and
                # decay_steps trade off; the canonical member decays to 0 at decay_steps
                lin = [f for f in frees if f.name not in ("end_lr", "power")]
                fx = {**fixed, "end_lr": 0.0, "power": 1.0}
                c = _shaped(make(fam, fx, lin, f"linear start={st0:g}"), "identity")
                why = (
                    "a straight line over the window: only its slope and intercept are "
                    "identified; end_lr is held at 0 and decay_steps is where the line reaches 0"
                )
                if tail is None:
                    c.held = {"end_lr": why, "power": why, "decay_steps": why}
                out.append(c)
    return _smooth(out)


def b_inverse_time(fam: Family, ctx: Ctx) -> list[Candidate]:
    out: list[Candidate] = []
    top = ctx.top
    st = ctx.st
    if _stairs_seen(ctx):
        sw = _stair_width(ctx)
        _, levels = _levels(ctx)
        if sw is not None and len(levels) >= 2 and sw[1] == 0:
            rate = max(levels[0] / levels[1] - 1.0, 1e-9)
            frees = [
                free(fam, "init_lr", levels[0], log=True),
                free(fam, "decay_rate", rate, 0.0, None, log=True),
            ]
            out.append(
                make(
                    fam,
                    {"staircase": True, "decay_steps": num(sw[0])},
                    frees,
                    "inverse_time staircase",
                    n_structural=1,
                )
            )
    if not st.smooth_possible:
        return out
    xp, yp = ctx.xp, ctx.yp
    span = max(float(np.ptp(ctx.x)), 1.0)
    d = float(10 ** round(math.log10(span)))
    # 1/y is linear in s: top / y = 1 + rate * s / D
    rate = 1.0
    if xp.size >= 2 and np.all(yp > 0) and np.ptp(xp) > 0:
        slope = float(polyfit(xp, top / yp, 1)[0])
        rate = max(slope * d, 1e-9)
    frees = [
        free(fam, "init_lr", top, log=True),
        free(fam, "decay_rate", rate, 0.0, None, log=True),
    ]
    c = make(fam, {"staircase": False, "decay_steps": num(d)}, frees, "inverse_time continuous")
    out.append(_shaped(c, "inverse", True))
    return out


def b_inverse_sqrt(fam: Family, ctx: Ctx) -> list[Candidate]:
    if not ctx.st.smooth_possible:
        return []
    g = safe_guess(fam, ctx.xp, ctx.yp)
    top = ctx.top
    tau = fnum(g.get("timescale"), max(float(ctx.x[ctx.i0]), float(np.ptp(ctx.x)) / 10, 1.0))
    peak = fnum(g.get("peak_lr"), top)
    frees = [
        free(fam, "peak_lr", peak, log=True),
        free(fam, "timescale", tau, 1e-3, None, log=True),
    ]
    # 1/lr^2 = s / (peak^2 tau) after the timescale
    return [_shaped(make(fam, {}, frees), "inverse_sq", True)]


def b_warmup_stable_decay(fam: Family, ctx: Ctx) -> list[Candidate]:
    if not ctx.st.smooth_possible:
        return []
    flat = _flat_head(ctx)
    if flat is None:
        return []
    top = ctx.top
    e0 = float(ctx.y[-1]) if ctx.st.tail_flat_from is not None else 0.0
    d0 = _decay_horizon(_after_flat(ctx))
    # the family's clock starts at the end of the warmup, or at step 0 without one (the first
    # logged step may come later)
    origin = float(ctx.x[ctx.i0]) if ctx.i0 > 0 else 0.0
    starts = [(max(flat - origin, 1.0), max(d0, 1.0))]
    x, y = ctx.x, ctx.y
    j = int(np.searchsorted(x, flat))  # last flat point
    if 0 < x.size - 1 - j <= _FEW_DECAY_POINTS:
        # a decay seen at a few points: the stable phase ends somewhere in the gap after the
        # last flat point, and a decay to 0 ends in the gap before the first zero (a start at
        # the logged points sits on the log barrier of that zero); start in the middles
        s_mid = 0.5 * (float(x[j]) + float(x[j + 1])) - origin
        zero = np.nonzero(y[j + 1 :] <= 0)[0]
        d_mid = max(d0 + (flat - origin) - s_mid, 1.0)
        if zero.size and j + zero[0] >= j + 1:
            z = j + 1 + int(zero[0])
            d_mid = max(0.5 * (float(x[z - 1]) + float(x[z])) - origin - s_mid, 1.0)
        starts.append((max(s_mid, 1.0), d_mid))
    # a decay that ends at the last point leaves no flat tail: its level may be the end
    ends = [e0] if ctx.st.tail_flat_from is not None else [e0, float(y[-1])]
    out = []
    for shape in choices(fam, "decay_shape") or ("linear",):
        fixed = {"decay_shape": shape} if has(fam, "decay_shape") else {}
        inv = _wsd_inverted(x[j + 1 :], y[j + 1 :], top, ends, shape)
        for k, (s0, dd) in enumerate(starts):
            e_init = e0
            if k == 0 and inv is not None:
                s0, dd, e_init = max(inv[0] - origin, 1.0), inv[1], inv[2]
            frees = [
                free(fam, "peak_lr", top, log=True),
                free(fam, "stable_steps", s0, 1.0, None, log=True),
                free(fam, "decay_steps", dd, 1.0, None, log=True),
                free(fam, "end_lr", e_init, 0.0, top, log=False, scale=max(top, LR_SCALE_MIN)),
            ]
            out.append(make(fam, fixed, frees, f"wsd {shape}" + (" (mid-gap start)" if k else "")))
    return _smooth(out)


def _wsd_inverted(
    x: np.ndarray, y: np.ndarray, top: float, ends: Sequence[float], shape: str
) -> tuple[float, float, float] | None:
    r"""Start, length and end level of a WSD decay read off the points inside it, for one shape.

    Each point strictly between the peak and an end level gives its progress
    :math:`u = (lr_p - y) / (lr_p - lr_e)`, which the shape maps to the fraction of the decay
    :math:`p = g^{-1}(1 - u)` (``linear``: :math:`u`; ``cosine``:
    :math:`\arccos(1 - 2u) / \pi`; ``1-sqrt``: :math:`u^2`); :math:`s = s_0 + D p` is then a
    line through the points. Of the end levels ``ends`` tried (a flat tail's level, 0, the last
    value), the one whose points lie best on a line wins. ``None`` with fewer than two points."""
    best: tuple[float, float, float, float] | None = None
    for end in ends:
        if top <= end:
            continue
        u = (top - y) / (top - end)
        inside = (u > 1e-6) & (u < 1 - 1e-6)
        if int(inside.sum()) < 2:
            continue
        u, xs = u[inside], x[inside].astype(np.float64)
        if shape == "cosine":
            p = np.arccos(1.0 - 2.0 * u) / np.pi
        elif shape == "1-sqrt":
            p = u * u
        else:
            p = u
        if np.ptp(p) <= 0:
            continue
        (d, s0), res, *_ = np.polyfit(p, xs, 1, full=True)
        if not (d > 0 and np.isfinite(s0)):
            continue
        # misfit of the line in units of the decay length; 2 points always fit exactly
        mis = float(np.sqrt(res[0] / xs.size)) / d if res.size else 0.0
        if best is None or mis < best[0]:
            best = (mis, float(s0), float(d), float(end))
    return None if best is None else best[1:]


#: A decay seen at no more than this many points gets a second, mid-gap start.
_FEW_DECAY_POINTS = 8


def fb_exponential(fam: Family, ctx: Ctx) -> list[Candidate]:
    """A staircase logged once or twice per stair (no flat stretches for structure to read): its
    width from a closed-form grid (:func:`~lraudit.fitting.candidates.grids.stair_grid`)."""
    x, y, st = ctx.x, ctx.y, ctx.st
    if not (x.size <= SHORT_SERIES and not st.rises and bool(np.all(y > 0))):
        return []
    stair = stair_grid(x, y)
    if stair is None or not has(fam, "staircase"):
        return []
    d, init, rate = stair
    fixed: dict[str, Any] = {"staircase": True, "decay_steps": num(d)}
    if has(fam, "start_step"):
        fixed["start_step"] = 0
    frees = [
        free(fam, "init_lr", init, log=True),
        free(fam, "decay_rate", min(max(rate, 1e-6), 1 - 1e-9), 0.0, 1.0, log=True),
    ]
    label = f"exponential staircase D={d:g} (fallback)"
    return [make(fam, fixed, frees, label, n_structural=2)]


#: Regular builders by family name.
BUILDERS: dict[str, Builder] = {
    "constant": b_constant,
    "piecewise": b_piecewise,
    "exponential": b_exponential,
    "cosine": b_cosine,
    "polynomial": b_polynomial,
    "inverse_time": b_inverse_time,
    "inverse_sqrt": b_inverse_sqrt,
    "warmup_stable_decay": b_warmup_stable_decay,
}

#: Second-chance builders (see :func:`lraudit.fitting.candidates.fallback`) by family name.
FALLBACKS: dict[str, Builder] = {"exponential": fb_exponential}

#: Builders of a monotone family's variant that rises again (``Family.rising``).
RISING: dict[str, Builder] = {"cosine": b_cosine_rising}
