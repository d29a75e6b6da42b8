"""Candidate schedules for a curve: which families to try, and where each fit starts.

Structure (:mod:`lraudit.fitting.structure`) prunes families cheaply (a monotone curve is not cyclic,
a curve without jumps is not piecewise or staircase) and fixes the discrete parameters (jump
positions, levels, staircase width, warmup shape). Starting values of the continuous parameters
come from closed-form reads of the curve and from each family's own ``guess(steps, values)``.
Families without a builder here are still tried, from their ``guess`` alone, with every
``float`` parameter free.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from lraudit.fitting.engine import Candidate, FreeParam
from lraudit.fitting.structure import Structure
from lraudit.schedules import Family, ParamSpec, families

#: Families considered simplest first; ties in the selection score are broken in this order.
SIMPLICITY = (
    "constant",
    "piecewise",
    "exponential",
    "inverse_time",
    "inverse_sqrt",
    "polynomial",
    "cosine",
    "warmup_stable_decay",
    "one_cycle",
    "cosine_restarts",
    "cyclic",
)

_LR_NAMES = {"lr", "init_lr", "peak_lr", "base_lr", "max_lr", "end_lr"}
_STEP_NAMES = {
    "decay_steps",
    "start_step",
    "first_period",
    "timescale",
    "total_steps",
    "step_size_up",
    "step_size_down",
    "stable_steps",
}


@dataclass
class Ctx:
    """What every builder needs: the finite sorted points, their structure, the post-rise part."""

    x: np.ndarray
    y: np.ndarray
    st: Structure
    i0: int  # first index after the warmup (0 without one)
    top: float  # the value where the decay part starts (peak after warmup, or the first value)
    ymax: float

    @property
    def xp(self) -> np.ndarray:
        return self.x[self.i0 :]

    @property
    def yp(self) -> np.ndarray:
        return self.y[self.i0 :]

    @property
    def x_last(self) -> float:
        return float(self.x[-1])


def registry() -> dict[str, Family]:
    """The registered families (loaded on first use)."""
    return families()


def _polyfit(x: np.ndarray, y: np.ndarray, deg: int) -> np.ndarray:
    """``np.polyfit`` on at most 4000 evenly spaced points (starting values need no more)."""
    if x.size > 4000:
        idx = np.linspace(0, x.size - 1, 4000).astype(np.int64)
        x, y = x[idx], y[idx]
    return np.polyfit(x, y, deg)


def _spec(fam: Family, name: str) -> ParamSpec | None:
    for p in fam.params:
        if p.name == name:
            return p
    return None


def free(
    fam: Family,
    name: str,
    init: float,
    lo: float | None = None,
    hi: float | None = None,
    *,
    log: bool | None = None,
    scale: float = 1.0,
) -> FreeParam:
    """A :class:`FreeParam` for family param ``name`` whose bounds default to the ParamSpec's."""
    spec = _spec(fam, name)
    s_lo, s_hi = spec.bounds if spec is not None else (None, None)
    lo_ = lo if lo is not None else (s_lo if s_lo is not None else -math.inf)
    hi_ = hi if hi is not None else (s_hi if s_hi is not None else math.inf)
    if s_lo is not None:
        lo_ = max(lo_, s_lo)
    if s_hi is not None:
        hi_ = min(hi_, s_hi)
    if log is None:
        log = bool(spec.log) if spec is not None else name in _LR_NAMES | _STEP_NAMES
    if log and lo_ <= 0:
        lo_ = 1e-300 if name in _LR_NAMES or name == "decay_rate" else 1e-3
    integer = bool(spec is not None and spec.kind == "int")
    init = min(max(init, lo_), hi_)
    if log and init <= 0:
        init = max(lo_, 1e-30)
    return FreeParam(
        name, float(init), float(lo_), float(hi_), log=log, integer=integer, scale=scale
    )


def _has(fam: Family, name: str) -> bool:
    return _spec(fam, name) is not None


def _defaults(fam: Family) -> dict[str, Any]:
    return {p.name: p.default for p in fam.params if p.default is not None}


def _safe_guess(fam: Family, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    if fam.guess is None or x.size < 2:
        return {}
    try:
        with np.errstate(all="ignore"):
            g = fam.guess(x, y)
    except (ValueError, TypeError, ZeroDivisionError, IndexError, FloatingPointError):
        return {}
    return dict(g) if isinstance(g, dict) else {}


def _fnum(v: Any, default: float) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return default
    return f if math.isfinite(f) else default


# --------------------------------------------------------------------------- warmup


def warmup_options(ctx: Ctx) -> list[tuple[str | None, list[FreeParam], dict[str, float], int]]:
    """Ways to model the initial rise: ``(shape, free params, fixed values, n_structural)``."""
    st, x, y = ctx.st, ctx.x, ctx.y
    if st.warmup_end is None:
        return [(None, [], {}, 0)]
    falling = st.rise_end is None
    r = st.warmup_end
    peak = float(y[r])
    whole = r >= x.size - 1  # the run ends inside the rise: the top is never seen
    shape = st.warmup_shape or "linear"
    if shape == "constant":
        return [("constant", [], {"steps": float(x[r]), "start_lr": float(y[0])}, 2)]
    xs, ys = x[: r + 1], y[: r + 1]
    if not whole:
        xs, ys = xs[:-1], ys[:-1]
    opts: list[tuple[str | None, list[FreeParam], dict[str, float], int]] = []
    shapes = [shape] if xs.size >= 4 else ["linear", "exponential"]
    if falling:
        # a straight fall into a gentler decay: either a warmup from above or the family itself
        opts.append((None, [], {}, 0))
        shapes = ["linear"]
    top_start = max(float(np.max(ys)) if ys.size else peak, peak) * 1.0001
    for sh in shapes:
        if sh == "exponential" and np.any(ys <= 0):
            continue
        if xs.size >= 2:
            if sh == "linear":
                slope, icpt = _polyfit(xs, ys, 1)
                start = max(float(icpt), 0.0)
                w0 = (peak - icpt) / slope if slope != 0 else float(x[r])
            else:
                slope, icpt = _polyfit(xs, np.log(ys), 1)
                start = math.exp(icpt)
                w0 = (math.log(peak) - icpt) / slope if slope > 0 else float(x[r])
        else:
            start, w0 = float(y[0]), float(x[r])
        lo_w = float(x[r - 1]) if r >= 1 else 0.0
        hi_w = float(x[r])
        if whole:
            # the top is never reached: W is only bounded below; hold it at the smallest value
            # consistent with the data (reported as not identified)
            fixed = {"steps": float(x[-1]) + 1.0}
            frees = [
                FreeParam("warmup.start_lr", max(start, 0.0), 0.0, peak, scale=max(peak, 1e-30)),
            ]
            if sh == "exponential":
                frees[0] = FreeParam(
                    "warmup.start_lr", max(start, 1e-30), max(peak * 1e-9, 1e-300), peak, log=True
                )
            opts.append((sh, frees, fixed, 0))
            continue
        w0 = min(max(w0, lo_w), hi_w)
        frees = [
            FreeParam(
                "warmup.steps", max(w0, 1e-3), max(lo_w - 1.0, 1e-3) * 0.999, hi_w + 1.0, log=True
            )
        ]
        if sh == "linear":
            frees.append(
                FreeParam("warmup.start_lr", start, 0.0, top_start, scale=max(peak, 1e-30))
            )
        else:
            frees.append(
                FreeParam(
                    "warmup.start_lr", max(start, peak * 1e-9), peak * 1e-9, peak * 1.0001, log=True
                )
            )
        opts.append((sh, frees, {}, 0))
    return opts or [(None, [], {}, 0)]


# --------------------------------------------------------------------------- family builders

Builder = Callable[[Family, Ctx], list[Candidate]]


def _c(
    fam: Family,
    fixed: dict[str, Any],
    frees: list[FreeParam],
    label: str = "",
    n_structural: int = 0,
) -> Candidate:
    base = _defaults(fam)
    base.update(fixed)
    names = {p.name for p in frees}
    base = {k: v for k, v in base.items() if k not in names}
    return Candidate(fam.name, base, frees, n_structural=n_structural, label=label or fam.name)


def b_constant(fam: Family, ctx: Ctx) -> list[Candidate]:
    lr = float(np.median(ctx.yp[:: max(ctx.yp.size // 4000, 1)])) if ctx.yp.size else ctx.top
    return [_c(fam, {}, [free(fam, "lr", max(lr, 1e-30), log=True)])]


def _levels(ctx: Ctx) -> tuple[list[float], list[float]]:
    """Boundaries (first logged step at each new level) and the levels between jumps."""
    st, y = ctx.st, ctx.y
    idx = [ctx.i0, *[j for j in st.jumps if j > ctx.i0], y.size]
    levels = [float(np.median(y[a:b])) for a, b in zip(idx[:-1], idx[1:], strict=True)]
    bounds = [float(ctx.x[j]) for j in idx[1:-1]]
    return bounds, levels


def b_piecewise(fam: Family, ctx: Ctx) -> list[Candidate]:
    if not ctx.st.piecewise_constant:
        return []
    bounds, levels = _levels(ctx)
    if not bounds:
        return []
    b = [int(v) if float(v).is_integer() else v for v in bounds]
    return [_c(fam, {"boundaries": b, "values": levels}, [], n_structural=len(b) + len(levels))]


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


def b_exponential(fam: Family, ctx: Ctx) -> list[Candidate]:
    st = ctx.st
    out: list[Candidate] = []
    top = ctx.top
    has_start = _has(fam, "start_step")
    if st.jumps and st.piecewise_constant:
        sw = _stair_width(ctx)
        bounds, levels = _levels(ctx)
        if sw is not None and len(levels) >= 2:
            d, b = sw
            ratios = [levels[i + 1] / levels[i] for i in range(len(levels) - 1) if levels[i] > 0]
            rate = float(np.median(ratios)) if ratios else 0.5
            fixed: dict[str, Any] = {"staircase": True, "decay_steps": _num(d)}
            if has_start:
                fixed["start_step"] = _num(b)
            frees = [
                free(fam, "init_lr", levels[0], log=True),
                free(fam, "decay_rate", min(max(rate, 1e-6), 1 - 1e-9), 0.0, 1.0, log=True),
            ]
            out.append(_c(fam, fixed, frees, "exponential staircase", n_structural=2))
    if st.smooth_possible:
        dctx = _after_flat(ctx)  # the slope of the decay, not of a burn-in before it
        xp, yp = dctx.xp, dctx.yp
        pos = yp > 0
        k = -1e-6
        if pos.sum() >= 2 and np.ptp(xp[pos]) > 0:
            k = float(_polyfit(xp[pos], np.log(yp[pos]), 1)[0])
        k = min(k, -1e-12)
        # decay_steps is not identified (only k = ln(rate)/D is): hold it at a round number near
        # the e-folding length so that decay_rate stays a readable factor
        d = float(10 ** round(math.log10(max(1.0 / -k, 1.0))))
        rate = math.exp(k * d)
        # the burn-in (flat start) of OD API exponential_decay_with_burnin
        flat = _flat_head(ctx)
        fixed = {"staircase": False, "decay_steps": _num(d)}
        frees = [
            free(fam, "init_lr", top, log=True),
            free(fam, "decay_rate", min(max(rate, 1e-300), 1 - 1e-12), 0.0, 1.0, log=True),
        ]
        if has_start and flat is not None:
            frees.append(free(fam, "start_step", flat, 0.0, float(ctx.x[-1]), log=True))
        elif has_start:
            fixed["start_step"] = _num(round(float(ctx.x[ctx.i0]))) if ctx.i0 > 0 else 0
        out.append(_c(fam, fixed, frees, "exponential continuous"))
    return out


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


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
    q = (float(yp[-1]) - e0) / max(top - e0, 1e-300)
    q = min(max(q, -1.0), 1.0)
    ang = math.acos(2 * q - 1)
    d0 = t_last * math.pi / ang if ang > 1e-9 else _decay_horizon(dctx)
    if ctx.st.tail_flat_from is not None:
        d0 = float(ctx.x[ctx.st.tail_flat_from]) - (flat if flat is not None else s0)
    d0 = max(d0, 1.0)
    starts = [flat if flat is not None else s0]
    for st0 in starts:
        fixed: dict[str, Any] = {}
        frees = [
            free(fam, "peak_lr", top, log=True),
            free(fam, "end_lr", e0, 0.0, top, log=False, scale=max(top, 1e-30)),
            _decay_free(fam, ctx, d0, None if flat is not None else st0),
        ]
        if _has(fam, "start_step"):
            if flat is not None:
                frees.append(free(fam, "start_step", st0, 0.0, float(ctx.x[-1]), log=True))
            else:
                fixed["start_step"] = _num(round(st0))
        if st0 == 0.0 and s0 > 0:
            frees[2] = replace(frees[2], init=frees[2].init + s0)
        out.append(_c(fam, fixed, frees))
    return out


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
    for power in (1.0, 2.0):
        for st0 in starts:
            d0 = _decay_horizon(dctx)
            if xp.size >= 2 and yp[0] > yp[-1] and power == 1.0:
                slope = float(_polyfit(xp, yp, 1)[0])
                if slope < 0:
                    d0 = (top - e0) / -slope
            init = top
            if st0 == 0.0 and s0 > 0:
                # extrapolate the decay back to step 0
                d0 += s0
                init = e0 + (top - e0) / max((1 - s0 / d0) ** power, 1e-9)
            fixed: dict[str, Any] = {}
            frees = [
                free(fam, "init_lr", init, log=True),
                free(fam, "end_lr", e0, 0.0, top, log=False, scale=max(top, 1e-30)),
                _decay_free(fam, ctx, max(d0, 1.0), None if flat is not None else st0),
                free(fam, "power", power, 0.01, 20.0, log=True),
            ]
            if _has(fam, "start_step"):
                if flat is not None:
                    frees.append(free(fam, "start_step", flat, 0.0, float(ctx.x[-1]), log=True))
                else:
                    fixed["start_step"] = _num(round(st0))
            out.append(_c(fam, fixed, frees, f"polynomial p0={power:g} start={st0:g}"))
            tail = ctx.st.tail_flat_from
            if power == 1.0 and (tail is None or float(ctx.y[-1]) == 0.0):
                # a straight line: only its slope and intercept are seen, so end_lr and
                # decay_steps trade off; the canonical member decays to 0 at decay_steps
                lin = [f for f in frees if f.name not in ("end_lr", "power")]
                fx = {**fixed, "end_lr": 0.0, "power": 1.0}
                c = _c(fam, fx, lin, f"linear start={st0:g}")
                why = (
                    "a straight line over the window: only its slope and intercept are "
                    "identified; end_lr is held at 0 and decay_steps is where the line reaches 0"
                )
                if tail is None:
                    c.held = {"end_lr": why, "power": why, "decay_steps": why}
                out.append(c)
    return out


def b_inverse_time(fam: Family, ctx: Ctx) -> list[Candidate]:
    out: list[Candidate] = []
    top = ctx.top
    st = ctx.st
    if st.jumps and st.piecewise_constant:
        sw = _stair_width(ctx)
        _, levels = _levels(ctx)
        if sw is not None and len(levels) >= 2 and sw[1] == 0:
            rate = max(levels[0] / levels[1] - 1.0, 1e-9)
            frees = [
                free(fam, "init_lr", levels[0], log=True),
                free(fam, "decay_rate", rate, 0.0, None, log=True),
            ]
            out.append(
                _c(
                    fam,
                    {"staircase": True, "decay_steps": _num(sw[0])},
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
        slope = float(_polyfit(xp, top / yp, 1)[0])
        rate = max(slope * d, 1e-9)
    frees = [
        free(fam, "init_lr", top, log=True),
        free(fam, "decay_rate", rate, 0.0, None, log=True),
    ]
    out.append(
        _c(fam, {"staircase": False, "decay_steps": _num(d)}, frees, "inverse_time continuous")
    )
    return out


def b_inverse_sqrt(fam: Family, ctx: Ctx) -> list[Candidate]:
    if not ctx.st.smooth_possible:
        return []
    g = _safe_guess(fam, ctx.xp, ctx.yp)
    top = ctx.top
    tau = _fnum(g.get("timescale"), max(float(ctx.x[ctx.i0]), float(np.ptp(ctx.x)) / 10, 1.0))
    peak = _fnum(g.get("peak_lr"), top)
    frees = [
        free(fam, "peak_lr", peak, log=True),
        free(fam, "timescale", tau, 1e-3, None, log=True),
    ]
    return [_c(fam, {}, frees)]


def generic(
    fam: Family, ctx: Ctx, x: np.ndarray | None = None, y: np.ndarray | None = None
) -> list[Candidate]:
    """Every float param free from ``guess``; other params fixed at the guess or default."""
    xg = ctx.x if x is None else x
    yg = ctx.y if y is None else y
    g = _safe_guess(fam, xg, yg)
    fixed: dict[str, Any] = {}
    frees: list[FreeParam] = []
    top = ctx.ymax
    for spec in fam.params:
        v = g.get(spec.name, spec.default)
        if spec.kind == "float":
            if spec.name in _LR_NAMES:
                init = _fnum(v, top)
                if spec.name == "end_lr":
                    frees.append(
                        free(
                            fam,
                            spec.name,
                            max(init, 0.0),
                            0.0,
                            None,
                            log=False,
                            scale=max(top, 1e-30),
                        )
                    )
                    continue
            else:
                init = _fnum(v, 1.0)
            frees.append(free(fam, spec.name, init))
        elif spec.kind == "int" and spec.name in _STEP_NAMES:
            init = _fnum(v, max(float(np.ptp(ctx.x)), 1.0))
            frees.append(free(fam, spec.name, max(init, 1.0), 1.0, None, log=True))
        elif v is not None:
            fixed[spec.name] = v
        else:
            return []
    return [_c(fam, fixed, frees, f"{fam.name} (from guess)")]


def _choices(fam: Family, name: str) -> tuple[Any, ...]:
    spec = _spec(fam, name)
    if spec is None:
        return ()
    if spec.kind == "bool":
        return (False, True)
    return spec.choices


def b_one_cycle(fam: Family, ctx: Ctx) -> list[Candidate]:
    st = ctx.st
    if st.rise_end is None or st.rises:
        return []
    if st.rise_end >= ctx.x.size - 1:
        return _one_cycle_rise(fam, ctx)
    x, y = ctx.x, ctx.y
    r = st.rise_end
    peak = float(y[r])
    total0 = max(float(x[-1]) + 1.0, 2.0)
    # the rise tells the anneal: a straight ramp (linear) or a half cosine (cos)
    anneals = list(_choices(fam, "anneal") or ("cos",))
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
    threes = list(_choices(fam, "three_phase") or (False,))
    x2 = 2.0 * float(x[r])
    if x[-1] >= x2 and threes:
        j = int(np.searchsorted(x, x2))
        near = abs(float(y[min(j, y.size - 1)]) - float(y[0])) <= 0.2 * (peak - float(y[0]))
        if not near:
            threes = [t for t in threes if not t] or threes
    elif threes:
        threes = [t for t in threes if not t] or threes
    held: dict[str, str] = {}
    if len(threes) == 1 and x[-1] < x2 and _has(fam, "three_phase"):
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
            if _has(fam, "anneal"):
                fixed["anneal"] = anneal
            if _has(fam, "three_phase"):
                fixed["three_phase"] = three
            pct = min(max((float(x[r]) + 1.0) / total0, 0.01), 0.99)
            if three:
                pct = pct / 1.0
            frees = [
                free(fam, "max_lr", peak, log=True),
                free(fam, "total_steps", total0, float(x[-1]) * 0.5 + 1, None, log=True),
                free(fam, "pct_start", pct, 1e-6, 1.0, log=False),
                free(fam, "init_lr", max(float(y[0]), peak * 1e-6), log=True),
                free(fam, "end_lr", max(float(y[-1]) * 0.5, peak * 1e-9), log=True),
            ]
            c = _c(fam, fixed, frees, f"one_cycle {anneal} three_phase={three}")
            c.held = dict(held)
            out.append(c)
    return out


def _one_cycle_rise(fam: Family, ctx: Ctx) -> list[Candidate]:
    r"""A window that ends during the first phase of a one-cycle: only the rise is seen.

    The rise fixes ``init_lr``, ``max_lr`` and the length of the rise,
    :math:`p\,T` (``pct_start * total_steps``), when its curvature shows; the split of that
    product, ``end_lr`` and ``three_phase`` are not seen and are held. A linear rise is also a
    linear warmup, which the simpler candidates fit.
    """
    if not (_has(fam, "max_lr") and _has(fam, "total_steps") and _has(fam, "pct_start")):
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
    for anneal in _choices(fam, "anneal") or ("cos",):
        fixed: dict[str, Any] = {"end_lr": first * 1e-4}
        if _has(fam, "anneal"):
            fixed["anneal"] = anneal
        if _has(fam, "three_phase"):
            fixed["three_phase"] = False
        frees = [
            free(fam, "max_lr", last * 1.05, log=True),
            free(fam, "total_steps", total, float(x[-1]) + 1.0, None, log=True),
            free(fam, "pct_start", 0.75, 1e-6, 1.0, log=False),
            free(fam, "init_lr", first, log=True),
        ]
        c = _c(fam, fixed, frees, f"one_cycle {anneal} rise only")
        c.held = {n: why for n in ("total_steps", "pct_start", "end_lr", "three_phase")}
        out.append(c)
    return out


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
    for shape in _choices(fam, "decay_shape") or ("linear",):
        fixed = {"decay_shape": shape} if _has(fam, "decay_shape") else {}
        inv = _wsd_inverted(x[j + 1 :], y[j + 1 :], top, ends, shape)
        for k, (s0, dd) in enumerate(starts):
            e_init = e0
            if k == 0 and inv is not None:
                s0, dd, e_init = max(inv[0] - origin, 1.0), inv[1], inv[2]
            frees = [
                free(fam, "peak_lr", top, log=True),
                free(fam, "stable_steps", s0, 1.0, None, log=True),
                free(fam, "decay_steps", dd, 1.0, None, log=True),
                free(fam, "end_lr", e_init, 0.0, top, log=False, scale=max(top, 1e-30)),
            ]
            out.append(_c(fam, fixed, frees, f"wsd {shape}" + (" (mid-gap start)" if k else "")))
    return out


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


def b_cosine_restarts(fam: Family, ctx: Ctx) -> list[Candidate]:
    """SGDR: the restarts (jumps up) fix the first period and the multiplier to within the
    logging interval; they are refined inside those intervals, where the fit is smooth."""
    st = ctx.st
    if not st.rises or st.rises_smooth and len(st.rises) > 3 * max(len(st.peaks), 1):
        return []
    x, y = ctx.x, ctx.y
    rs = [r for r in st.rises if r > ctx.i0]
    if not rs:
        return []
    top = float(y[ctx.i0])
    r1 = rs[0]
    f_lo, f_hi = float(x[r1 - 1]), float(x[r1])
    f0 = f_hi
    frees = [
        free(fam, "peak_lr", top, log=True),
        free(fam, "end_lr", float(np.min(y)) * 0.5, 0.0, top, log=False, scale=max(top, 1e-30)),
        free(fam, "first_period", f0, max(f_lo, 1e-3) * (1 + 1e-12), f_hi, log=True),
    ]
    a = (float(y[r1]) - float(np.min(y))) / max(top - float(np.min(y)), 1e-300)
    decay = free(fam, "peak_decay", min(max(a, 1e-3), 1.0), 1e-4, 1.0, log=True)
    has_mult = _has(fam, "period_mult")
    # variants: (label, extra free params, fixed, derived, held)
    variants: list[tuple[str, list[FreeParam], dict[str, Any], dict[str, Any], dict[str, str]]]
    variants = []
    if len(rs) >= 2 and has_mult:
        r2 = rs[1]
        s_lo, s_hi = float(x[r2 - 1]), float(x[r2])
        if 2 * f_lo < s_hi and 2 * f_hi >= s_lo:
            # equal periods (T_mult = 1, the common case) fit the second restart's gap
            variants.append(("T_mult=1", [], {"period_mult": 1.0}, {}, {}))
        # the second restart refined inside its own logging gap; the multiplier follows from it
        r2free = FreeParam("_restart2", s_hi, s_lo * (1 + 1e-12), s_hi, log=True)
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
    elif has_mult and float(x[-1]) >= 2.0 * f_hi:
        # one restart, and the window runs past where a second one of equal length would be:
        # the second period is longer; its multiplier is only bounded below, so it is held at
        # the smallest whole value that fits (2, the common choice, when that is enough)
        t_lo = (float(x[-1]) - f_hi) / f_hi
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
    for label, extra, fixed, derived, held in variants:
        # the restart lies somewhere in (x[r1 - 1], x[r1]]: start at its end (and in its middle)
        starts = (f_hi, (f_lo + f_hi) / 2) if f_hi - f_lo > 1 else (f_hi,)
        for f_start in starts:
            fr = [replace(p, init=f_start) if p.name == "first_period" else p for p in frees]
            c = _c(
                fam,
                fixed,
                [*fr, *extra, decay],
                f"cosine_restarts {label} F0={f_start:g}",
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
    modes = list(_choices(fam, "mode") or ("triangular",))
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
            free(fam, "base_lr", max(base, mx * 1e-9), log=True),
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
            frees.append(replace(fp, rate=True, lo=1e-300, hi=1 - 1e-15))
        elif _has(fam, "gamma"):
            fixed["gamma"] = 1.0
        out.append(_c(fam, fixed, frees, f"cyclic {mode}"))
    return out


BUILDERS: dict[str, Builder] = {
    "constant": b_constant,
    "piecewise": b_piecewise,
    "exponential": b_exponential,
    "cosine": b_cosine,
    "polynomial": b_polynomial,
    "inverse_time": b_inverse_time,
    "inverse_sqrt": b_inverse_sqrt,
    "one_cycle": b_one_cycle,
    "warmup_stable_decay": b_warmup_stable_decay,
    "cosine_restarts": b_cosine_restarts,
    "cyclic": b_cyclic,
}

#: Decaying families that may be clamped by a ``min_lr`` floor.
_FLOORED = {"exponential", "cosine", "polynomial", "inverse_time", "inverse_sqrt"}

#: Families that never go back up after they start to fall.
_MONOTONE = {
    "exponential",
    "cosine",
    "polynomial",
    "inverse_time",
    "inverse_sqrt",
    "warmup_stable_decay",
    "one_cycle",
}


def _rise_size(ctx: Ctx) -> float:
    """Largest relative rise after the initial one (restarts, cycles, resets)."""
    y = ctx.y
    best = 0.0
    for r in ctx.st.rises:
        if r >= 1 and y[r - 1] > 0:
            best = max(best, float(y[r] / y[r - 1] - 1.0))
        elif r >= 1:
            best = max(best, 1.0)
    return best


#: Families that model the initial rise themselves (a separate warmup is not added to them).
_OWN_RISE = {"one_cycle", "cyclic"}


def build(ctx: Ctx, names: Iterable[str] | None = None) -> list[Candidate]:
    """Every candidate worth refining for this curve (pruned by structure)."""
    fams = registry()
    wanted = list(fams) if names is None else [n for n in names if n in fams]
    st = ctx.st
    out: list[Candidate] = []
    if st.constant:
        wanted = [n for n in wanted if n == "constant"] or wanted[:1]
    whole_rise = st.rise_end is not None and st.rise_end >= ctx.x.size - 1
    if st.rises and _rise_size(ctx) > 0.01:
        # the curve goes back up after falling: a monotone decay cannot explain that
        wanted = [n for n in wanted if n not in _MONOTONE]
    for name in wanted:
        fam = fams[name]
        builder = BUILDERS.get(name)
        if name in _OWN_RISE:
            sub = Ctx(ctx.x, ctx.y, st, 0, float(ctx.y[0]), ctx.ymax)
            cands = builder(fam, sub) if builder else generic(fam, sub)
            out.extend(cands)
            continue
        if whole_rise and name != "constant":
            continue
        for shape, wfree, wfixed, nstruct in warmup_options(ctx):
            sub = ctx
            if shape is None and st.fall_end is not None:
                # no warmup: the family explains the initial fall too
                sub = Ctx(ctx.x, ctx.y, st, 0, float(ctx.y[0]), ctx.ymax)
            if shape is None and st.rise_end is not None:
                # no separate warmup: the family has to produce the rise (rarely right; cheap
                # families only)
                continue
            cands = builder(fam, sub) if builder else generic(fam, sub, sub.xp, sub.yp)
            for c in cands:
                if shape is not None:
                    c = replace(
                        c,
                        free=[*c.free, *wfree],
                        warmup_shape=shape,
                        warmup_fixed=dict(wfixed),
                        n_structural=c.n_structural + nstruct,
                    )
                    sp = _spec(fam, "start_step")
                    tie = c.fixed.get("start_step") and not c.fixed.get("staircase")
                    if sp is not None and tie and "start_step" not in {p.name for p in c.free}:
                        # the decay clock starts where the warmup ends (OD API burn-in, HF,
                        # optax, Keras): follow the fitted warmup length, not a logged step
                        c.fixed.pop("start_step")
                        c.ties["start_step"] = ("warmup.steps", sp.kind == "int")
                out.append(c)
                if st.tail_flat_from is not None and name in _FLOORED:
                    # a flat tail after a decay: a min_lr clamp (OD API min_learning_rate)
                    # the clamp, not the end of the decay, makes the tail: free the horizon
                    unb = [
                        replace(p, lo=1.0, hi=math.inf, init=p.init * 1.5)
                        if p.name == "decay_steps"
                        else p
                        for p in c.free
                    ]
                    out.append(
                        replace(
                            c,
                            free=unb,
                            min_lr=float(ctx.y[-1]),
                            n_structural=c.n_structural + 1,
                            fixed=dict(c.fixed),
                            ties=dict(c.ties),
                            label=c.label + " + min_lr",
                        )
                    )
    if not out:
        fam = fams["constant"]
        out = b_constant(fam, ctx)
    return out


def make_ctx(x: np.ndarray, y: np.ndarray, st: Structure) -> Ctx:
    i0 = st.warmup_end if st.warmup_end is not None else 0
    i0 = min(i0, x.size - 1)
    top = float(y[i0])
    ymax = float(np.max(np.abs(y))) if y.size else 0.0
    return Ctx(x, y, st, i0, top, ymax)


#: Series with at most this many points get multi-start fallback candidates for the cyclic
#: families: with one or two points per phase, structure detection cannot read their periods.
SHORT_SERIES = 24
#: Points used by the grid search of cyclic periods (longer series are thinned evenly).
_GRID_POINTS = 200


def _cyclic_grid(x: np.ndarray, y: np.ndarray, n_best: int = 3) -> list[tuple[float, float]]:
    """The ``(step_size_up, step_size_down)`` pairs that best explain ``y`` as a triangle wave.

    For fixed periods the CLR curve ``base + (max - base) h(x) a(s)`` is linear in ``base`` and
    ``max - base``, so every pair of a geometric grid (half the logging interval to twice the
    window) is solved in closed form by relative least squares (weights ``1/y``); modes
    triangular and triangular2 are both scored (exp_range starts from them, gamma near 1).
    Cycles shorter than two logging intervals are aliases of longer ones and are skipped.
    """
    if x.size > _GRID_POINTS:
        idx = np.unique(np.linspace(0, x.size - 1, _GRID_POINTS).round().astype(int))
        x, y = x[idx], y[idx]
    span = max(float(x[-1]), 1.0)
    gap = float(np.median(np.diff(x))) if x.size > 1 else 1.0
    lo = max(gap / 4.0, 0.5)
    grid = np.unique(np.geomspace(lo, 2.0 * span, 48))
    u = grid[:, None, None]
    d = grid[None, :, None]
    s = np.maximum(x, 0.0)[None, None, :]
    tot = u + d
    cyc = np.floor(s / tot)
    pos = s - cyc * tot
    h = np.where(pos <= u, pos / u, (tot - pos) / d)
    # LR scale removed and zeros softened (as in the fit residuals) so the weights stay finite
    y = y / max(float(np.max(y)), 1e-300)
    w = 1.0 / np.maximum(y, 1e-7)[None, None, :]
    best: list[tuple[float, float, float]] = []
    for amp in (np.ones_like(cyc), 0.5**cyc):
        f = h * amp
        # weighted least squares of y ~ b + a f
        s0 = np.sum(w * w, axis=2)
        s1 = np.sum(w * w * f, axis=2)
        s2 = np.sum(w * w * f * f, axis=2)
        t0 = np.sum(w * w * y, axis=2)
        t1 = np.sum(w * w * f * y, axis=2)
        det = s0 * s2 - s1 * s1
        with np.errstate(all="ignore"):
            b = (s2 * t0 - s1 * t1) / det
            a = (s0 * t1 - s1 * t0) / det
            r = np.sum((w * (b[..., None] + a[..., None] * f - y)) ** 2, axis=2)
        # a cycle shorter than two logging intervals is an alias of a longer one: not offered
        r[~np.isfinite(r) | (a <= 0) | (b <= 0) | (tot[..., 0] < 2.0 * gap)] = np.inf
        for k in np.argsort(r, axis=None)[: 2 * n_best]:
            i, j = np.unravel_index(k, r.shape)
            if np.isfinite(r[i, j]):
                best.append((float(r[i, j]), float(grid[i]), float(grid[j])))
    best.sort()
    out: list[tuple[float, float]] = []
    for _, up, dn in best:
        if all(abs(up / a - 1) > 0.05 or abs(dn / b - 1) > 0.05 for a, b in out):
            out.append((up, dn))
        if len(out) >= n_best:
            break
    return out


def fallback(ctx: Ctx, names: Iterable[str] | None = None) -> list[Candidate]:
    """Second-chance candidates, refined only when no regular candidate fits to float32.

    * cyclic with periods from a closed-form grid search (:func:`_cyclic_grid`): cycles logged
      with one or two points per phase, and a window that ends inside the first cycle (no second
      rise for the structure to see);
    * one_cycle in every anneal / phase variant from several ``pct_start`` and ``total_steps``
      starts when the series is short or the structure read of the ramp may be wrong.

    They come last because they can imitate simpler curves (a rise and a straight fall is also a
    partial triangle): a schedule that a regular candidate fits exactly keeps that family.
    """
    fams = registry()
    wanted = set(fams) if names is None else {n for n in names if n in fams}
    st = ctx.st
    x, y = ctx.x, ctx.y
    if st.constant or x.size < 4:
        return []
    short = x.size <= SHORT_SERIES
    out: list[Candidate] = []
    mx = float(np.max(y))
    if "cyclic" in wanted and (short or st.rise_end is not None or st.rises):
        fam = fams["cyclic"]
        modes = list(_choices(fam, "mode") or ("triangular",))
        for up, dn in _cyclic_grid(x, y):
            for mode in modes:
                fixed: dict[str, Any] = {"mode": mode}
                frees = [
                    free(fam, "base_lr", max(float(np.min(y)), mx * 1e-9), log=True),
                    free(fam, "max_lr", mx, log=True),
                    free(fam, "step_size_up", up, 1e-3, None, log=True),
                    free(fam, "step_size_down", dn, 1e-3, None, log=True),
                ]
                if mode == "exp_range":
                    fp = free(fam, "gamma", 1 - 1e-4, 0.0, 1.0, log=False)
                    frees.append(replace(fp, rate=True, lo=1e-300, hi=1 - 1e-15))
                elif _has(fam, "gamma"):
                    fixed["gamma"] = 1.0
                out.append(_c(fam, fixed, frees, f"cyclic {mode} grid U={up:.3g} D={dn:.3g}"))
    if "exponential" in wanted and short and not st.rises and bool(np.all(y > 0)):
        stair = _stair_grid(x, y)
        fam = fams["exponential"]
        if stair is not None and _has(fam, "staircase"):
            d, init, rate = stair
            fixed = {"staircase": True, "decay_steps": _num(d)}
            if _has(fam, "start_step"):
                fixed["start_step"] = 0
            frees = [
                free(fam, "init_lr", init, log=True),
                free(fam, "decay_rate", min(max(rate, 1e-6), 1 - 1e-9), 0.0, 1.0, log=True),
            ]
            out.append(
                _c(fam, fixed, frees, f"exponential staircase D={d:g} (fallback)", n_structural=2)
            )
    if "cosine_restarts" in wanted and short and st.rises:
        fam = fams["cosine_restarts"]
        mults = (1.0, 2.0) if _has(fam, "period_mult") else (1.0,)
        for f0, mult in _restart_grid(fam, x, y, mults):
            fixed = {"period_mult": mult} if _has(fam, "period_mult") else {}
            frees = [
                free(fam, "peak_lr", mx, log=True),
                free(fam, "end_lr", float(np.min(y)) * 0.5, 0.0, mx, log=False, scale=mx),
                free(fam, "first_period", f0, 1e-3, None, log=True),
                free(fam, "peak_decay", 0.9, 1e-4, 1.0, log=True),
            ]
            label = f"cosine_restarts grid T0={f0:.3g} mult={mult:g} (fallback)"
            out.append(_c(fam, fixed, frees, label))
    if "one_cycle" in wanted and short and not st.rises:
        fam = fams["one_cycle"]
        pk = int(np.argmax(y))
        if 0 < pk < x.size - 1:
            span = float(x[-1]) + 1.0
            for anneal in _choices(fam, "anneal") or ("cos",):
                for three in _choices(fam, "three_phase") or (False,):
                    for tot in (span, 1.5 * span) if not three else (span, 1.2 * span):
                        fixed = {}
                        if _has(fam, "anneal"):
                            fixed["anneal"] = anneal
                        if _has(fam, "three_phase"):
                            fixed["three_phase"] = three
                        pct = min(max((float(x[pk]) + 1.0) / tot, 0.01), 0.99)
                        frees = [
                            free(fam, "max_lr", mx, log=True),
                            free(fam, "total_steps", tot, float(x[-1]) * 0.5 + 1, None, log=True),
                            free(fam, "pct_start", pct, 1e-6, 1.0, log=False),
                            free(fam, "init_lr", max(float(y[0]) * 0.8, mx * 1e-6), log=True),
                            free(fam, "end_lr", max(float(y[-1]) * 0.5, mx * 1e-9), log=True),
                        ]
                        label = f"one_cycle {anneal} three_phase={three} T0={tot:g} (fallback)"
                        out.append(_c(fam, fixed, frees, label))
    return out


def _stair_grid(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float] | None:
    """Staircase width of ``y = init * rate ** floor(x / D)`` by a grid over whole ``D``.

    A staircase logged once or twice per stair shows no flat stretches for structure to read.
    For fixed ``D`` the log of the curve is linear in ``(log init, log rate)``: every ``D`` is
    solved in closed form; among the widths that give the best stair pattern the middle one is
    returned (all of them fit the log equally), with its ``init`` and ``rate``; None when no
    pattern decays.
    """
    span = max(float(x[-1]), 1.0)
    gap = float(np.median(np.diff(x))) if x.size > 1 else 1.0
    grid = np.unique(np.round(np.geomspace(max(gap / 2.0, 1.0), 2.0 * span, 400)))
    grid = grid[grid >= 1]
    f = np.floor(np.maximum(x, 0.0)[None, :] / grid[:, None])
    ly = np.log(y)[None, :]
    fm = f.mean(axis=1, keepdims=True)
    lm = ly.mean(axis=1, keepdims=True)
    var = ((f - fm) ** 2).sum(axis=1)
    with np.errstate(all="ignore"):
        b = ((f - fm) * (ly - lm)).sum(axis=1) / var
    ok = (var > 0) & (b < 0)
    if not ok.any():
        return None
    a = lm[:, 0] - b * fm[:, 0]
    r = ((a[:, None] + b[:, None] * f - ly) ** 2).sum(axis=1)
    r[~ok] = np.inf
    i = int(np.argmin(r))
    same = np.nonzero(np.all(f == f[i], axis=1))[0]
    j = int(same[same.size // 2])
    return float(grid[j]), float(np.exp(a[j])), float(np.exp(b[j]))


def _restart_grid(
    fam: Family, x: np.ndarray, y: np.ndarray, mults: tuple[float, ...], n_best: int = 3
) -> list[tuple[float, float]]:
    """``(first_period, period_mult)`` pairs that best explain a short SGDR log.

    With ``peak_decay = 1`` the curve is ``end + (peak - end) h(s)`` for the unit restart shape
    ``h``, linear in ``end`` and ``peak - end``: every first period of a geometric grid (half the
    logging interval to twice the window) is solved by relative least squares. A log with a
    few points per period and a first log after step 0 gives structure no usable read of the
    peak or of the period.
    """
    span = max(float(x[-1]), 1.0)
    gap = float(np.median(np.diff(x))) if x.size > 1 else 1.0
    grid = np.unique(np.geomspace(max(gap / 2.0, 0.5), 2.0 * span, 64))
    yn = y / max(float(np.max(y)), 1e-300)
    w2 = 1.0 / np.maximum(yn, 1e-7) ** 2
    found: list[tuple[float, float, float]] = []
    for mult in mults:
        for f0 in grid:
            h = np.asarray(
                fam.fn(
                    x, peak_lr=1.0, end_lr=0.0, first_period=f0, period_mult=mult, peak_decay=1.0
                ),
                dtype=np.float64,
            )
            a = np.stack([np.ones_like(h), h], axis=1) * np.sqrt(w2)[:, None]
            coef, *_ = np.linalg.lstsq(a, yn * np.sqrt(w2), rcond=None)
            if coef[1] <= 0 or coef[0] < -1e-9:
                continue
            r = float(np.sum((a @ coef - yn * np.sqrt(w2)) ** 2))
            found.append((r, float(f0), mult))
    found.sort()
    out: list[tuple[float, float]] = []
    for _, f0, mult in found:
        if all(abs(f0 / g - 1) > 0.05 or mult != m for g, m in out):
            out.append((f0, mult))
        if len(out) >= n_best:
            break
    return out
