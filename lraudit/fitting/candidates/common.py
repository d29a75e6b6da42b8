"""What every candidate builder shares: the curve context, free-parameter and candidate makers,
and the reads of a family's parameter specs (roles, bounds, choices)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lraudit.curves import TINY
from lraudit.fitting.engine import Candidate, FreeParam
from lraudit.fitting.structure import Structure
from lraudit.schedules import Family

#: Smallest scale (and log-space start) given to an LR-valued free parameter.
LR_SCALE_MIN = 1e-30
#: Smallest LR a fit starts from or is bounded at, relative to the curve's peak.
LR_REL_MIN = 1e-9
#: Lower bound of a log-fitted step-scale parameter whose spec allows 0.
STEP_LOG_MIN = 1e-3
#: Label suffix of a candidate whose decay runs from step 0 underneath the warmup (its clock does
#: not restart where the warmup ends): its warmup may also be multiplicative (``linear_factor``).
OVERLAID = "under the warmup"
#: Series with at most this many points get multi-start fallback candidates for the cyclic
#: families: with one or two points per phase, structure detection cannot read their periods.
SHORT_SERIES = 24


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

    def from_start(self) -> Ctx:
        """The same points with no warmup part (the family explains the curve from its start)."""
        return Ctx(self.x, self.y, self.st, 0, float(self.y[0]), self.ymax)


def make_ctx(x: np.ndarray, y: np.ndarray, st: Structure) -> Ctx:
    """The context of points ``(x, y)`` with structure ``st``."""
    i0 = st.warmup_end if st.warmup_end is not None else 0
    i0 = min(i0, x.size - 1)
    top = float(y[i0])
    ymax = float(np.max(np.abs(y))) if y.size else 0.0
    return Ctx(x, y, st, i0, top, ymax)


#: ``builder(family, ctx) -> candidates`` (regular), ``fallback(family, ctx) -> candidates``
Builder = Callable[[Family, Ctx], list[Candidate]]


def polyfit(x: np.ndarray, y: np.ndarray, deg: int) -> np.ndarray:
    """``np.polyfit`` on at most 4000 evenly spaced points (starting values need no more); a
    straight line in closed form (centred least squares: ``np.polyfit``'s SVD costs ~50 us a
    call, and candidates are built from dozens of lines)."""
    if x.size > 4000:
        idx = np.linspace(0, x.size - 1, 4000).astype(np.int64)
        x, y = x[idx], y[idx]
    if deg == 1 and x.size >= 2:
        xm, ym = float(x.mean()), float(y.mean())
        dx = x - xm
        sxx = float(dx @ dx)
        if sxx > 0 and math.isfinite(sxx) and math.isfinite(ym):
            slope = float(dx @ (y - ym)) / sxx
            return np.array([slope, ym - slope * xm])
    return np.polyfit(x, y, deg)


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
    """A :class:`FreeParam` for family param ``name`` whose bounds default to the ParamSpec's
    (and are never wider); a log-fitted level or rate may go down to :data:`TINY`, a step-scale
    value to :data:`STEP_LOG_MIN`."""
    spec = fam.spec(name)
    s_lo, s_hi = spec.bounds if spec is not None else (None, None)
    lo_ = lo if lo is not None else (s_lo if s_lo is not None else -math.inf)
    hi_ = hi if hi is not None else (s_hi if s_hi is not None else math.inf)
    if s_lo is not None:
        lo_ = max(lo_, s_lo)
    if s_hi is not None:
        hi_ = min(hi_, s_hi)
    if log is None:
        log = bool(spec.log) if spec is not None else False
    if log and lo_ <= 0:
        lo_ = TINY if spec is not None and spec.role in ("level", "rate") else STEP_LOG_MIN
    integer = bool(spec is not None and spec.kind == "int")
    init = min(max(init, lo_), hi_)
    if log and init <= 0:
        init = max(lo_, LR_SCALE_MIN)
    return FreeParam(
        name, float(init), float(lo_), float(hi_), log=log, integer=integer, scale=scale
    )


def has(fam: Family, name: str) -> bool:
    """Whether ``fam`` has a parameter ``name``."""
    return fam.spec(name) is not None


def choices(fam: Family, name: str) -> tuple[Any, ...]:
    """The values a choice (or bool) parameter can take; ``()`` when ``fam`` has no ``name``."""
    spec = fam.spec(name)
    if spec is None:
        return ()
    if spec.kind == "bool":
        return (False, True)
    return spec.choices


def make(
    fam: Family,
    fixed: dict[str, Any],
    frees: list[FreeParam],
    label: str = "",
    n_structural: int = 0,
) -> Candidate:
    """A candidate of ``fam``: defaults, then ``fixed``, with the ``frees`` left to the fit.

    The switches of the family's rising variant (``Family.rising``) are left out unless fixed:
    a candidate that never rises keeps the contract's parameters."""
    base = {k: v for k, v in fam.defaults().items() if k not in (fam.rising or {})}
    base.update(fixed)
    names = {p.name for p in frees}
    base = {k: v for k, v in base.items() if k not in names}
    return Candidate(fam.name, base, frees, n_structural=n_structural, label=label or fam.name)


def safe_guess(fam: Family, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """The family's ``guess`` on ``(x, y)``, ``{}`` when it has none or it fails."""
    if fam.guess is None or x.size < 2:
        return {}
    try:
        with np.errstate(all="ignore"):
            g = fam.guess(x, y)
    except (ValueError, TypeError, ZeroDivisionError, IndexError, FloatingPointError):
        return {}
    return dict(g) if isinstance(g, dict) else {}


def fnum(v: Any, default: float) -> float:
    """``v`` as a finite float, else ``default``."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return default
    return f if math.isfinite(f) else default


def num(v: float) -> int | float:
    """A whole value as an int (as configs write step counts), else the float."""
    return int(v) if float(v).is_integer() else float(v)


def generic(
    fam: Family, ctx: Ctx, x: np.ndarray | None = None, y: np.ndarray | None = None
) -> list[Candidate]:
    """Every float param free from ``guess``; other params fixed at the guess or default.

    The builder of a family that has no builder of its own: its ``guess`` and the roles of its
    parameters (levels start near the data's top, an end level linear from 0) are enough.
    """
    xg = ctx.x if x is None else x
    yg = ctx.y if y is None else y
    g = safe_guess(fam, xg, yg)
    fixed: dict[str, Any] = {}
    frees: list[FreeParam] = []
    top = ctx.ymax
    for spec in fam.params:
        v = g.get(spec.name, spec.default)
        if spec.kind == "float":
            if spec.role == "level":
                init = fnum(v, top)
                if spec.end:
                    scale = max(top, LR_SCALE_MIN)
                    p = free(fam, spec.name, max(init, 0.0), 0.0, None, log=False, scale=scale)
                    frees.append(p)
                    continue
            else:
                init = fnum(v, 1.0)
            frees.append(free(fam, spec.name, init))
        elif spec.kind == "int" and spec.role == "step":
            init = fnum(v, max(float(np.ptp(ctx.x)), 1.0))
            frees.append(free(fam, spec.name, max(init, 1.0), 1.0, None, log=True))
        elif v is not None:
            fixed[spec.name] = v
        else:
            return []
    return [make(fam, fixed, frees, f"{fam.name} (from guess)")]
