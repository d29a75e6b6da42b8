"""Candidate builders of the families that rise and fall: one_cycle, cosine_restarts (SGDR) and
cyclic (CLR), with their second-chance (fallback) builders for short logs and partial cycles.

These families model the initial rise themselves (``own_rise``): the restarts and peaks that
structure detection finds fix their periods to within the logging interval; when the log is too
sparse for that, closed-form grid searches (:mod:`~lraudit.fitting.candidates.grids`) do.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from lraudit.curves import TINY
from lraudit.fitting.candidates.common import (
    LR_REL_MIN,
    LR_SCALE_MIN,
    SHORT_SERIES,
    Builder,
    Ctx,
    choices,
    free,
    has,
    make,
    num,
)
from lraudit.fitting.candidates.grids import cyclic_grid, restart_grid
from lraudit.fitting.engine import Candidate, FreeParam
from lraudit.schedules import Family


def _last_phase_rises(ctx: Ctx) -> bool:
    """The rises after the peak are one run up to the last point, after the curve fell back:
    a three-phase one-cycle whose last phase anneals from ``init_lr`` up to an ``end_lr``
    above it (the two are independent), seen before it ends."""
    st = ctx.st
    if not st.rises or st.rise_end is None:
        return False
    k = st.rises[0] - 1
    return bool(k > st.rise_end and np.all(st.direction[k:] >= 0))


def b_one_cycle(fam: Family, ctx: Ctx) -> list[Candidate]:
    st = ctx.st
    rising_end = has(fam, "three_phase") and _last_phase_rises(ctx)
    if st.rise_end is None or (st.rises and not rising_end):
        return []
    if st.rise_end >= ctx.x.size - 1:
        return _one_cycle_rise(fam, ctx)
    x, y = ctx.x, ctx.y
    r = st.rise_end
    peak = float(y[r])
    total0 = max(float(x[-1]) + 1.0, 2.0)
    # the rise tells the anneal: a straight ramp (linear) or a half cosine (cos)
    anneals = list(choices(fam, "anneal") or ("cos",))
    xs, ys = x[: r + 1], y[: r + 1]
    if xs.size >= 4 and xs[-1] > xs[0]:
        q = (xs - xs[0]) / (xs[-1] - xs[0])
        lin = np.max(np.abs(ys[0] + (ys[-1] - ys[0]) * q - ys))
        cos = np.max(np.abs(ys[-1] + (ys[0] - ys[-1]) * 0.5 * (1 + np.cos(np.pi * q)) - ys))
        if lin < 0.2 * cos:
            anneals = [a for a in anneals if a == "linear"] or anneals
        elif cos < 0.2 * lin:
            anneals = [a for a in anneals if a == "cos"] or anneals
    # three phases fall back to init_lr at about twice the peak step, then keep falling
    threes = list(choices(fam, "three_phase") or (False,))
    x2 = 2.0 * float(x[r])
    if x[-1] >= x2 and threes:
        j = int(np.searchsorted(x, x2))
        near = abs(float(y[min(j, y.size - 1)]) - float(y[0])) <= 0.2 * (peak - float(y[0]))
        if not near:
            threes = [t for t in threes if not t] or threes
    elif threes:
        threes = [t for t in threes if not t] or threes
    if rising_end:
        threes = [True]
    held: dict[str, str] = {}
    if len(threes) == 1 and x[-1] < x2 and has(fam, "three_phase"):
        held["three_phase"] = (
            "the window ends before a third phase could show; a three-phase cycle with other "
            "total_steps and pct_start fits as well"
        )
        for name in ("total_steps", "pct_start", "end_lr"):
            held[name] = held["three_phase"]
    out = []
    for anneal in anneals:
        for three in threes:
            fixed: dict[str, Any] = {}
            if has(fam, "anneal"):
                fixed["anneal"] = anneal
            if has(fam, "three_phase"):
                fixed["three_phase"] = three
            total, end = total0, max(float(y[-1]) * 0.5, peak * LR_REL_MIN)
            if rising_end:
                total, end = _rising_last_phase(x, y, st.rises[0] - 1, anneal, x2)
            hi = _pct_start_max(three)
            pct = min(max((float(x[r]) + 1.0) / total, 0.01), 0.99 * hi)
            frees = [
                free(fam, "max_lr", peak, log=True),
                free(fam, "total_steps", total, float(x[-1]) * 0.5 + 1, None, log=True),
                free(fam, "pct_start", pct, 1e-6, hi, log=False),
                free(fam, "init_lr", max(float(y[0]), peak * 1e-6), log=True),
                free(fam, "end_lr", end, log=True),
            ]
            c = make(fam, fixed, frees, f"one_cycle {anneal} three_phase={three}")
            c.held = dict(held)
            out.append(c)
    return out


def _rising_last_phase(
    x: np.ndarray, y: np.ndarray, k: int, anneal: str, e2: float
) -> tuple[float, float]:
    """``(total_steps, end_lr)`` of a three-phase last phase that rises from point ``k`` (the
    low after the fall, near step ``e2``) towards an ``end_lr`` it has not reached: for each
    length on a log grid, the anneal's amplitude by least squares; the length whose curve
    misses the rising points least. Seen over part of its length, the phase's curvature tells
    where it ends, which a start at the window's end does not."""
    t, v = x[k:] - e2, y[k:]
    span = max(float(x[-1]) - e2, 1.0)
    best = (math.inf, float(x[-1]) + 1.0, float(y[-1]))
    for mult in np.exp(np.linspace(0.0, math.log(100.0), 64)):
        u = np.clip(t / (span * mult), 0.0, 1.0)
        phi = u if anneal == "linear" else 0.5 * (1.0 - np.cos(np.pi * u))
        phi_c = phi - phi.mean()
        den = float(phi_c @ phi_c)
        if den <= 0:
            continue
        amp = float(phi_c @ (v - v.mean())) / den
        base = float(v.mean()) - amp * float(phi.mean())
        err = float(np.max(np.abs(base + amp * phi - v)))
        if amp > 0 and err < best[0]:
            best = (err, e2 + span * mult, base + amp)
    return best[1], best[2]


def _one_cycle_rise(fam: Family, ctx: Ctx) -> list[Candidate]:
    r"""A window that ends during the first phase of a one-cycle: only the rise is seen.

    The rise fixes ``init_lr``, ``max_lr`` and the length of the rise,
    :math:`p\,T` (``pct_start * total_steps``), when its curvature shows; the split of that
    product, ``end_lr`` and ``three_phase`` are not seen and are held. A linear rise is also a
    linear warmup, which the simpler candidates fit.
    """
    if not (has(fam, "max_lr") and has(fam, "total_steps") and has(fam, "pct_start")):
        return []
    x, y = ctx.x, ctx.y
    last, first = float(y[-1]), float(y[0])
    if not last > first > 0 or x[-1] <= x[0]:
        return []
    why = (
        "the window ends during the rise: only its length pct_start * total_steps is seen, "
        "not the two, nor what follows the peak"
    )
    total = 2.0 * float(x[-1]) + 2.0
    out = []
    for anneal in choices(fam, "anneal") or ("cos",):
        fixed: dict[str, Any] = {"end_lr": first * 1e-4}
        if has(fam, "anneal"):
            fixed["anneal"] = anneal
        if has(fam, "three_phase"):
            fixed["three_phase"] = False
        frees = [
            free(fam, "max_lr", last * 1.05, log=True),
            free(fam, "total_steps", total, float(x[-1]) + 1.0, None, log=True),
            free(fam, "pct_start", 0.75, 1e-6, 1.0, log=False),
            free(fam, "init_lr", first, log=True),
        ]
        c = make(fam, fixed, frees, f"one_cycle {anneal} rise only")
        c.held = {n: why for n in ("total_steps", "pct_start", "end_lr", "three_phase")}
        out.append(c)
    return out


def b_cosine_restarts(fam: Family, ctx: Ctx) -> list[Candidate]:
    """SGDR: the restarts (jumps up) fix the first period and the multiplier to within the
    logging interval; they are refined inside those intervals, where the fit is smooth.

    After a warmup the cycles may count from step 0 (torch, TF, timm) or from the warmup end
    (Hugging Face ``cosine_with_restarts``: ``start_step`` follows the fitted warmup length);
    both are tried.
    """
    st = ctx.st
    if not st.rises or st.rises_smooth and len(st.rises) > 3 * max(len(st.peaks), 1):
        return []
    if not [r for r in st.rises if r > ctx.i0]:
        return []
    out = _restarts_from(fam, ctx, (0.0, 0.0))
    if ctx.i0 > 0 and has(fam, "start_step") and _rises_from_start(ctx):
        # the warmup ends in (x[i0 - 1], x[i0]]: the cycles' origin lies there
        out += _restarts_from(fam, ctx, (float(ctx.x[ctx.i0 - 1]), float(ctx.x[ctx.i0])))
    return out


#: Logged points a rise needs before SGDR cycles are counted from its end: on a sparse log a first
#: cycle seen in two or three samples also looks like a rise, and with ``period_mult`` m a
#: "warmup" of F steps followed by cycles of m F from there restarts exactly where cycles of F
#: from step 0 do.
RISE_MIN_POINTS = 4


def _rises_from_start(ctx: Ctx) -> bool:
    """The curve climbs at every logged point up to the end of the detected warmup, over at least
    :data:`RISE_MIN_POINTS` points: a warmup, not a first cycle seen between a few samples."""
    return ctx.i0 + 1 >= RISE_MIN_POINTS and bool(np.all(np.diff(ctx.y[: ctx.i0 + 1]) > 0))


def _restarts_from(fam: Family, ctx: Ctx, origin: tuple[float, float]) -> list[Candidate]:
    """The SGDR candidates with the cycles counted from a step inside ``origin = (lo, hi]``
    (``(0, 0)``: from step 0); a restart logged in ``(a, b]`` is at ``(a - hi, b - lo]`` on that
    clock."""
    st, x, y = ctx.st, ctx.x, ctx.y
    o_lo, o_hi = origin
    shifted = o_hi > 0
    rs = [r for r in st.rises if r > ctx.i0]
    top = float(y[ctx.i0])
    r1 = rs[0]
    f_lo, f_hi = float(x[r1 - 1]) - o_hi, float(x[r1]) - o_lo
    if f_hi <= 0:
        return []
    f0 = f_hi
    # from step 0 the restart is inside its logging gap; from a warmup end known to within a gap
    # the period may sit on either end of the widened interval
    f_min = max(f_lo, 1e-3) * (1 - 1e-9 if shifted else 1 + 1e-12)
    frees = [
        free(fam, "peak_lr", top, log=True),
        free(
            fam, "end_lr", float(np.min(y)) * 0.5, 0.0, top, log=False, scale=max(top, LR_SCALE_MIN)
        ),
        free(fam, "first_period", f0, f_min, f_hi, log=True),
    ]
    a = (float(y[r1]) - float(np.min(y))) / max(top - float(np.min(y)), TINY)
    decay = free(fam, "peak_decay", min(max(a, 1e-3), 1.0), 1e-4, 1.0, log=True)
    has_mult = has(fam, "period_mult")
    # variants: (label, extra free params, fixed, derived, held)
    variants: list[tuple[str, list[FreeParam], dict[str, Any], dict[str, Any], dict[str, str]]]
    variants = []
    if len(rs) >= 2 and has_mult:
        r2 = rs[1]
        s_lo, s_hi = float(x[r2 - 1]) - o_hi, float(x[r2]) - o_lo
        if 2 * f_lo < s_hi and 2 * f_hi >= s_lo:
            # equal periods (T_mult = 1, the common case) fit the second restart's gap
            variants.append(("T_mult=1", [], {"period_mult": 1.0}, {}, {}))
        # the second restart refined inside its own logging gap; the multiplier follows from it
        # (on the cycles' clock, like the first period)
        lo2 = max(s_lo, 1e-3) * (1 - 1e-9 if shifted else 1 + 1e-12)
        r2free = FreeParam("_restart2", s_hi, lo2, s_hi, log=True)
        variants.append(
            (
                "restart2",
                [r2free],
                {},
                {"period_mult": lambda v: max(v["_restart2"] / v["first_period"] - 1.0, 1.0)},
                {},
            )
        )
        t0 = max(s_hi / f0 - 1.0, 1.0)
        t_lo = max(s_lo / f_hi - 1.0, 1.0)
        t_hi = max(s_hi / max(f_lo, 1e-3) - 1.0, t_lo * (1 + 1e-9))
        tfree = free(fam, "period_mult", min(max(t0, t_lo), t_hi), t_lo, t_hi, log=True)
        variants.append(("T_mult free", [tfree], {}, {}, {}))
    elif has_mult and float(x[-1]) - o_lo >= 2.0 * f_hi:
        # one restart, and the window runs past where a second one of equal length would be:
        # the second period is longer; its multiplier is only bounded below, so it is held at
        # the smallest whole value that fits (2, the common choice, when that is enough)
        t_lo = (float(x[-1]) - o_lo - f_hi) / f_hi
        mult = float(max(math.ceil(t_lo + 1e-9), 2))
        why = (
            f"only one restart in the window: the period multiplier is at least {t_lo:.3g} "
            f"(no second restart before the last step); held at {mult:g}"
        )
        variants.append(
            (
                "one restart, longer second period",
                [],
                {"period_mult": mult},
                {},
                {"period_mult": why},
            )
        )
    else:
        why = "only one restart in the window: the period multiplier is not seen"
        variants.append(
            (
                "one restart",
                [],
                {"period_mult": 1.0} if has_mult else {},
                {},
                {"period_mult": why} if has_mult else {},
            )
        )
    out = []
    if shifted:
        label_of = "from the warmup end "
        for _, _, fixed, _, _ in variants:
            fixed["start_step"] = num(o_hi)  # tied to the fitted warmup length by build()
    else:
        label_of = ""
    for label, extra, fixed, derived, held in variants:
        # the restart lies somewhere in (x[r1 - 1], x[r1]]: start at its end (and in its middle)
        starts = (f_hi, (f_lo + f_hi) / 2) if f_hi - f_lo > 1 else (f_hi,)
        for f_start in starts:
            fr = [replace(p, init=f_start) if p.name == "first_period" else p for p in frees]
            c = make(
                fam,
                fixed,
                [*fr, *extra, decay],
                f"cosine_restarts {label_of}{label} F0={f_start:g}",
                n_structural=0,
            )
            c.held = dict(held)
            c.derived = dict(derived)
            if derived:
                c.fixed.pop("period_mult", None)
            out.append(c)
    return out


def b_cyclic(fam: Family, ctx: Ctx) -> list[Candidate]:
    st = ctx.st
    if not st.rises:
        # one rise and one fall is a warmup and a decay, not a cycle
        return []
    x, y = ctx.x, ctx.y
    base = float(np.min(y))
    mx = float(np.max(y))
    pk = st.peaks[0] if st.peaks else int(np.argmax(y))
    up0 = max(float(x[pk]) - float(x[0]), 1.0)
    dr = st.direction
    troughs = np.nonzero((dr[:-1] < 0) & (dr[1:] >= 0))[0] + 1
    down0 = up0
    t = troughs[troughs > pk]
    if t.size:
        down0 = max(float(x[t[0]]) - float(x[pk]), 1.0)
    modes = list(choices(fam, "mode") or ("triangular",))
    if len(st.peaks) >= 2 and y[st.peaks[0]] > base:
        # the envelope tells the mode: constant (triangular), halving (triangular2), geometric
        a = (y[st.peaks[1]] - base) / (y[st.peaks[0]] - base)
        # sampled peaks miss the true top: a constant envelope can look slightly shrinking
        keep = {"exp_range", "triangular"}
        if a >= 0.995:
            keep = {"triangular"}
        elif 0.3 < a < 0.7:
            keep = {"triangular2", "exp_range"}
        modes = [m for m in modes if m in keep] or modes
    out = []
    for mode in modes:
        fixed: dict[str, Any] = {"mode": mode}
        frees = [
            free(fam, "base_lr", max(base, mx * LR_REL_MIN), log=True),
            free(fam, "max_lr", mx, log=True),
            free(fam, "step_size_up", up0, 1.0, None, log=True),
            free(fam, "step_size_down", down0, 1.0, None, log=True),
        ]
        if mode == "exp_range":
            # envelope ratio between the first two peaks over their distance: gamma per step
            g0 = 1 - 1e-4
            if len(st.peaks) >= 2 and y[st.peaks[0]] > base:
                a = (y[st.peaks[1]] - base) / (y[st.peaks[0]] - base)
                dist = float(x[st.peaks[1]] - x[st.peaks[0]])
                if 0 < a < 1 and dist > 0:
                    g0 = math.exp(math.log(a) / dist)
            fp = free(fam, "gamma", min(g0, 1 - 1e-12), 0.0, 1.0, log=False)
            frees.append(replace(fp, rate=True, lo=TINY, hi=1 - 1e-15))
        elif has(fam, "gamma"):
            fixed["gamma"] = 1.0
        out.append(make(fam, fixed, frees, f"cyclic {mode}"))
    return out


def fb_cyclic(fam: Family, ctx: Ctx) -> list[Candidate]:
    """Cyclic with periods from a closed-form grid search
    (:func:`~lraudit.fitting.candidates.grids.cyclic_grid`): cycles logged with one or two points
    per phase, and a window that ends inside the first cycle (no second rise for structure)."""
    st, x, y = ctx.st, ctx.x, ctx.y
    if not (x.size <= SHORT_SERIES or st.rise_end is not None or st.rises):
        return []
    mx = float(np.max(y))
    out: list[Candidate] = []
    modes = list(choices(fam, "mode") or ("triangular",))
    for up, dn in cyclic_grid(x, y):
        for mode in modes:
            fixed: dict[str, Any] = {"mode": mode}
            frees = [
                free(fam, "base_lr", max(float(np.min(y)), mx * LR_REL_MIN), log=True),
                free(fam, "max_lr", mx, log=True),
                free(fam, "step_size_up", up, 1e-3, None, log=True),
                free(fam, "step_size_down", dn, 1e-3, None, log=True),
            ]
            if mode == "exp_range":
                fp = free(fam, "gamma", 1 - 1e-4, 0.0, 1.0, log=False)
                frees.append(replace(fp, rate=True, lo=TINY, hi=1 - 1e-15))
            elif has(fam, "gamma"):
                fixed["gamma"] = 1.0
            out.append(make(fam, fixed, frees, f"cyclic {mode} grid U={up:.3g} D={dn:.3g}"))
    return out


def fb_cosine_restarts(fam: Family, ctx: Ctx) -> list[Candidate]:
    """SGDR on a short log with restarts: first period and multiplier from a closed-form grid
    (:func:`~lraudit.fitting.candidates.grids.restart_grid`)."""
    st, x, y = ctx.st, ctx.x, ctx.y
    if not (x.size <= SHORT_SERIES and st.rises):
        return []
    mx = float(np.max(y))
    out: list[Candidate] = []
    mults = (1.0, 2.0) if has(fam, "period_mult") else (1.0,)
    for f0, mult in restart_grid(fam, x, y, mults):
        fixed = {"period_mult": mult} if has(fam, "period_mult") else {}
        frees = [
            free(fam, "peak_lr", mx, log=True),
            free(fam, "end_lr", float(np.min(y)) * 0.5, 0.0, mx, log=False, scale=mx),
            free(fam, "first_period", f0, 1e-3, None, log=True),
            free(fam, "peak_decay", 0.9, 1e-4, 1.0, log=True),
        ]
        label = f"cosine_restarts grid T0={f0:.3g} mult={mult:g} (fallback)"
        out.append(make(fam, fixed, frees, label))
    return out


def fb_one_cycle(fam: Family, ctx: Ctx) -> list[Candidate]:
    """Every anneal / phase variant of a short one-cycle log from several ``pct_start`` and
    ``total_steps`` starts (the structure read of the ramp may be wrong)."""
    st, x, y = ctx.st, ctx.x, ctx.y
    pk = int(np.argmax(y))
    if not (x.size <= SHORT_SERIES and not st.rises and 0 < pk < x.size - 1):
        return []
    mx = float(np.max(y))
    out: list[Candidate] = []
    span = float(x[-1]) + 1.0
    for anneal in choices(fam, "anneal") or ("cos",):
        for three in choices(fam, "three_phase") or (False,):
            for tot in (span, 1.5 * span) if not three else (span, 1.2 * span):
                fixed = {}
                if has(fam, "anneal"):
                    fixed["anneal"] = anneal
                if has(fam, "three_phase"):
                    fixed["three_phase"] = three
                hi = _pct_start_max(three)
                pct = min(max((float(x[pk]) + 1.0) / tot, 0.01), 0.99 * hi)
                frees = [
                    free(fam, "max_lr", mx, log=True),
                    free(fam, "total_steps", tot, float(x[-1]) * 0.5 + 1, None, log=True),
                    free(fam, "pct_start", pct, 1e-6, hi, log=False),
                    free(fam, "init_lr", max(float(y[0]) * 0.8, mx * 1e-6), log=True),
                    free(fam, "end_lr", max(float(y[-1]) * 0.5, mx * LR_REL_MIN), log=True),
                ]
                label = f"one_cycle {anneal} three_phase={three} T0={tot:g} (fallback)"
                out.append(make(fam, fixed, frees, label))
    return out


def _pct_start_max(three_phase: Any) -> float:
    """The largest ``pct_start`` of a one-cycle: the rise and the symmetric fall of torch's
    ``three_phase`` take ``2 * pct_start`` of the cycle, so at most half of it."""
    return 0.5 if three_phase else 1.0


#: Regular builders by family name.
BUILDERS: dict[str, Builder] = {
    "one_cycle": b_one_cycle,
    "cosine_restarts": b_cosine_restarts,
    "cyclic": b_cyclic,
}

#: Second-chance builders (see :func:`lraudit.fitting.candidates.fallback`) by family name.
FALLBACKS: dict[str, Builder] = {
    "cyclic": fb_cyclic,
    "cosine_restarts": fb_cosine_restarts,
    "one_cycle": fb_one_cycle,
}
