"""Continuous refinement of one candidate schedule with :func:`scipy.optimize.least_squares`.

The residual of a candidate with parameters :math:`\\theta` at logged points :math:`(s_i, y_i)` is

.. math:: r_i(\\theta) = \\log(\\max(m(s_i + \\delta; \\theta), 0) + \\epsilon)
                        - \\log(y_i + \\epsilon), \\qquad \\epsilon = 10^{-7} \\max_i |y_i|

i.e. the log-ratio of model to data, softened below ``1e-7`` of the peak so that a warmup from 0
or a decay to 0 does not produce infinite residuals (float32 cannot resolve such values relative to
the peak anyway). Parameters are fitted in a transformed space: ``log`` for LR-scale and
step-scale parameters (so an LR near 1e-4 and a horizon near 1e5 both move in units of relative
change, which is also what ``x_scale=1`` assumes), linear for shape parameters (power, fractions).
Starting points are clipped strictly inside the bounds. Convergence is SciPy's ``trf`` with
bounds; the short screening passes that rank every candidate (a handful of evaluations each) use
:func:`screen`, a bounded Levenberg-Marquardt written for the purpose: SciPy's per-iteration
bookkeeping costs more than the residuals themselves on a few hundred points, and a screening
pass only has to say which candidates deserve convergence.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.optimize import least_squares  # type: ignore[import-untyped]

from lraudit.curves import TINY
from lraudit.errors import ScheduleError
from lraudit.fitting.batch import BAD_RESIDUAL, residual_rows
from lraudit.fitting.lm import forward_jacobian, screen
from lraudit.schedules import REGISTRY, Family, Schedule, Warmup, fast_evaluate
from lraudit.schedules.schedule import compose, validate

#: Softening of the log residual, relative to the largest logged value (see module docstring).
EPS_REL = 1e-7
#: Outcome messages of the screening optimiser by status (:func:`screen`).
SCREEN_MESSAGES = {
    0: "screening pass: stopped on its evaluation budget",
    1: "screening pass: converged (zero gradient or a vanishing step)",
}


@dataclass
class FreeParam:
    """One continuous parameter to refine: name (family param, ``warmup.steps``,
    ``warmup.start_lr`` or ``min_lr``), start value, inclusive bounds, log transform, rounding."""

    name: str
    init: float
    lo: float
    hi: float
    log: bool = False
    integer: bool = False
    scale: float = 1.0
    #: a factor in (0, 1) close to 1 (CLR ``gamma`` per step): fitted as ``log(-log(v))``
    rate: bool = False

    def to_z(self, v: float) -> float:
        if self.rate:
            v = min(max(v, TINY), 1 - 1e-16)
            return math.log(-math.log(v))
        if self.log:
            return math.log(v) if v > 0 else -700.0
        return v / self.scale

    def from_z(self, z: float) -> float:
        if self.rate:
            return math.exp(-math.exp(min(z, 700.0)))
        return math.exp(min(z, 700.0)) if self.log else z * self.scale

    def zbounds(self) -> tuple[float, float]:
        if self.rate:
            # v in [lo, hi] maps to z decreasing in v
            hi_v = min(self.hi, 1 - 1e-16)
            lo_v = max(self.lo, TINY)
            return self.to_z(hi_v), self.to_z(lo_v)
        lo = self.to_z(self.lo) if math.isfinite(self.lo) else -np.inf
        hi = self.to_z(self.hi) if math.isfinite(self.hi) else np.inf
        if self.log:
            # beyond e^60 (1e26) no LR or step count is meaningful; keeps exp() finite
            hi = min(hi, 60.0)
            lo = max(lo, -700.0)
        return lo, hi


@dataclass
class Candidate:
    """A schedule shape to fit: family, fixed (discrete or structural) params, free params,
    warmup shape and fixed warmup/floor values. ``n_structural`` counts the discrete values read
    off the data (boundaries, levels found by structure) for the model-selection penalty."""

    family: str
    fixed: dict[str, Any]
    free: list[FreeParam]
    warmup_shape: str | None = None
    warmup_fixed: dict[str, float] = field(default_factory=dict)
    min_lr: float | None = None
    n_structural: int = 0
    label: str = ""
    #: family params that follow another value (``start_step`` -> ``warmup.steps``: the decay
    #: clock starts where the warmup ends); the bool says whether to round to a whole step
    ties: dict[str, tuple[str, bool]] = field(default_factory=dict)
    #: family params computed from the free values (e.g. SGDR ``period_mult`` from the second
    #: restart position, fitted inside its logging gap); free names starting with ``_`` are
    #: such helper coordinates and are not family params
    derived: dict[str, Callable[[Mapping[str, float]], float]] = field(default_factory=dict)
    #: params held at a conventional value because the data cannot fix them, with the reason
    held: dict[str, str] = field(default_factory=dict)
    #: the transform of the LR its curve is a straight line in between its warmup and its flat
    #: stretches (:mod:`lraudit.fitting.certify`: ``flat``, ``identity``, ``log``, ``inverse``,
    #: ``inverse_sq``), or ``None``: lets the search skip it on curves that are not
    straight_in: str | None = None
    #: monotone after its warmup, the size of its slope rising and falling at most once (a
    #: smooth decay with its holds and floor): lets the search skip it on a staircase
    smooth_decay: bool = False

    @property
    def n_params(self) -> int:
        return len(self.free) + self.n_structural

    def schedule(self, values: Mapping[str, float], exact: bool = True) -> Schedule:
        """The schedule for free-parameter ``values`` (missing names fall back to ``init``).

        With ``exact=False`` integer parameters stay fractional (a continuous relaxation that
        gives the optimiser a gradient); they are rounded in the reported schedule.
        """
        v = {p.name: values.get(p.name, p.init) for p in self.free}
        params, warmup, min_lr = _Plan(self).parts(list(v.values()), exact)
        return Schedule(family=self.family, params=params, warmup=warmup, min_lr=min_lr)


class _Plan:
    """How a candidate turns free values (in ``free`` order) into family params, warmup and
    floor: :meth:`Candidate.schedule` without the per-call name parsing, for the optimiser's
    inner loop (one plan per refinement; the arithmetic is the same, so results are identical).
    """

    __slots__ = ("cand", "names", "integer", "fam_idx", "warm_idx", "min_idx", "convs")

    def __init__(self, cand: Candidate) -> None:
        self.cand = cand
        self.names = [p.name for p in cand.free]
        self.integer = [i for i, p in enumerate(cand.free) if p.integer]
        self.fam_idx = [
            (i, n)
            for i, n in enumerate(self.names)
            if "." not in n and n != "min_lr" and n[0] != "_"
        ]
        self.warm_idx = [(i, n[7:]) for i, n in enumerate(self.names) if n.startswith("warmup.")]
        mins = [i for i, n in enumerate(self.names) if n == "min_lr"]
        self.min_idx = mins[-1] if mins else None
        self.convs = [_converter(p) for p in cand.free]

    def values(self, z: np.ndarray) -> list[float]:
        """The free values at transformed point ``z``."""
        return [f(zi) for f, zi in zip(self.convs, z.tolist(), strict=True)]

    def parts(
        self, vals: list[Any], exact: bool
    ) -> tuple[dict[str, Any], Warmup | None, float | None]:
        """Family params, warmup and floor for free values ``vals`` (in ``free`` order)."""
        c = self.cand
        if exact and self.integer:
            vals = list(vals)
            for i in self.integer:
                vals[i] = round(vals[i])
        params = dict(c.fixed)
        for i, n in self.fam_idx:
            params[n] = vals[i]
        if c.derived:
            # a held warmup value stays known to the derived params (identification holds one)
            held = {f"warmup.{k}": v for k, v in c.warmup_fixed.items()}
            known = {**params, **held, **dict(zip(self.names, vals, strict=True))}
            for name, fn in c.derived.items():
                params[name] = fn(known)
        warmup = None
        if c.warmup_shape is not None:
            wv = dict(c.warmup_fixed)
            for i, k in self.warm_idx:
                wv[k] = vals[i]
            if c.ties:
                v = dict(zip(self.names, vals, strict=True))
                for name, (src, whole) in c.ties.items():
                    t = wv.get(src[7:], 0.0) if src.startswith("warmup.") else v.get(src, 0.0)
                    params[name] = round(t) if whole else float(t)
            warmup = Warmup(
                steps=float(wv["steps"]), start_lr=float(wv["start_lr"]), shape=c.warmup_shape
            )
        min_lr = c.min_lr if self.min_idx is None else vals[self.min_idx]
        return params, warmup, min_lr


def _converter(p: FreeParam) -> Callable[[float], float]:
    """:meth:`FreeParam.from_z` of ``p`` as a closure (same arithmetic, no per-call branching)."""
    if p.rate:
        return lambda z: math.exp(-math.exp(min(z, 700.0)))
    if p.log:
        return lambda z: math.exp(min(z, 700.0))
    scale = p.scale
    return lambda z: z * scale


@dataclass
class Outcome:
    """The refined candidate: its schedule, free values, residuals and least-squares diagnostics."""

    candidate: Candidate
    schedule: Schedule
    values: dict[str, float]
    rss: float
    n: int
    offset: int
    jac: np.ndarray | None
    status: int
    message: str
    active: tuple[str, ...]

    @property
    def mse(self) -> float:
        return self.rss / max(self.n, 1)


def residuals(sched: Schedule, x: np.ndarray, ly: np.ndarray, eps: float) -> np.ndarray:
    """Log-ratio residuals of ``sched`` at ``x`` against ``ly = log(y + eps)``; a schedule that
    breaks its family's parameter ordering (``ParamSpec.at_most``) is not a candidate."""
    fam = REGISTRY.get(sched.family)
    with np.errstate(all="ignore"):
        if fam is None:
            try:
                m = fast_evaluate(sched, x)
            except (ScheduleError, ValueError, TypeError, ZeroDivisionError, OverflowError):
                return np.full(x.shape[0], BAD_RESIDUAL)
            return _log_ratio(m, ly, eps)
        return _residuals(fam, _ordering(fam), sched.params, sched.warmup, sched.min_lr, x, ly, eps)


#: ``Family.ordering`` by family object (a property that rebuilds its tuple on every access).
_ORDERING: dict[int, tuple[Family, tuple[tuple[str, str], ...]]] = {}


def _ordering(fam: Family) -> tuple[tuple[str, str], ...]:
    hit = _ORDERING.get(id(fam))
    if hit is None or hit[0] is not fam:
        hit = _ORDERING[id(fam)] = (fam, fam.ordering)
    return hit[1]


def _residuals(
    fam: Family,
    ordering: tuple[tuple[str, str], ...],
    params: Mapping[str, Any],
    warmup: Warmup | None,
    min_lr: float | None,
    x: np.ndarray,
    ly: np.ndarray,
    eps: float,
    ascending: bool = False,
) -> np.ndarray:
    """:func:`residuals` of a schedule given by its parts (under ``np.errstate(all="ignore")``,
    which the caller holds); ``ascending``: ``x`` is sorted (see :func:`compose`)."""
    for a, b in ordering:
        if a in params and b in params and not float(params[a]) <= float(params[b]):
            return np.full(x.shape[0], BAD_RESIDUAL)
    try:
        m = compose(x, fam, params, warmup, min_lr, ascending)
    except (ScheduleError, ValueError, TypeError, ZeroDivisionError, OverflowError):
        return np.full(x.shape[0], BAD_RESIDUAL)
    return _log_ratio(m, ly, eps)


def _log_ratio(m: np.ndarray, ly: np.ndarray, eps: float) -> np.ndarray:
    # in place on a fresh array (``m`` may be shared with the schedule's own arrays)
    r = np.maximum(m, 0.0)
    r += eps
    np.log(r, out=r)
    r -= ly
    # one reduction instead of a mask (an overflowing sum of finite values only costs the
    # masked pass, which then changes nothing)
    if not math.isfinite(float(r.sum())):
        r[~np.isfinite(r)] = BAD_RESIDUAL
    return r


def refine(
    cand: Candidate,
    x: np.ndarray,
    y: np.ndarray,
    *,
    offset: int = 0,
    eps: float | None = None,
    max_nfev: int = 200,
    quick: bool = False,
    stall: float | None = None,
) -> Outcome:
    """Refine ``cand``'s free parameters on points ``(x, y)`` (observed step ``s`` is evaluated at
    ``s + offset``). Never raises for fit problems; failed evaluations become large residuals.

    ``quick`` runs the screening optimiser (:func:`screen`) instead of ``least_squares``; the
    outcome's ``status`` is 0 when it stopped on ``max_nfev``, as ``least_squares`` reports it.
    ``stall`` (RMS of the residuals, quick only): the screening pass ends once a step above it
    fails to halve the cost.
    """
    if eps is None:
        eps = EPS_REL * float(np.max(np.abs(y))) if y.size else 1e-30
        eps = max(eps, TINY)
    xs = x.astype(np.float64) + offset
    ly = np.log(np.maximum(y, 0.0) + eps)
    free = cand.free

    plan = _Plan(cand)
    relaxed = residual_fn(cand, xs, ly, eps, plan)
    rows = residual_rows(cand, plan, xs, ly, eps)

    def sched_of(z: np.ndarray, exact: bool = True) -> Schedule:
        params, warmup, min_lr = plan.parts(plan.values(z), exact)
        return Schedule(family=cand.family, params=params, warmup=warmup, min_lr=min_lr)

    last: list[np.ndarray] = []

    def fun(z: np.ndarray) -> np.ndarray:
        r = relaxed(z)
        last[:] = [z.copy(), r]
        return r

    if not free:
        sched = cand.schedule({})
        r = residuals(sched, xs, ly, eps)
        return Outcome(cand, sched, {}, float(r @ r), x.size, offset, None, 0, "nothing to fit", ())

    lo, hi, z0 = _box(free)

    def jac(z: np.ndarray) -> np.ndarray:
        # the residuals at ``z`` were just computed by ``fun`` (trf asks for the Jacobian at the
        # point it accepted): reuse them
        f0 = last[1] if last and np.array_equal(last[0], z) else fun(z)
        return forward_jacobian(fun, z, f0, lo, hi, rows)

    def rexact(z: np.ndarray) -> np.ndarray:
        # residuals of the reported schedule (integer params rounded)
        return residuals(sched_of(z), xs, ly, eps)

    if quick:
        with np.errstate(all="ignore"):
            give_up = None if stall is None else stall * stall * x.size
            zq, status = screen(fun, z0, lo, hi, max_nfev, rows=rows, stall=give_up)
        msg = SCREEN_MESSAGES[status]
        return _outcome(cand, sched_of, rexact, free, zq, x.size, offset, None, status, msg, ())
    try:
        with np.errstate(all="ignore"):
            res = least_squares(
                fun,
                z0,
                jac=jac,
                bounds=(lo, hi),
                method="trf",
                x_scale=1.0,
                max_nfev=max_nfev,
                xtol=1e-10,
                ftol=1e-10,
                gtol=1e-10,
            )
    except (ValueError, np.linalg.LinAlgError) as exc:
        with np.errstate(all="ignore"):
            sched, r, why = sched_of(z0), fun(z0), f"least_squares failed: {exc}"
        return Outcome(
            cand, sched, _vals(free, z0), float(r @ r), x.size, offset, None, -1, why, ()
        )
    active = tuple(p.name for p, a in zip(free, res.active_mask, strict=True) if a != 0)
    return _outcome(
        cand,
        sched_of,
        rexact,
        free,
        res.x,
        x.size,
        offset,
        res.jac,
        int(res.status),
        str(res.message),
        active,
    )


def residual_fn(
    cand: Candidate, xs: np.ndarray, ly: np.ndarray, eps: float, plan: _Plan | None = None
) -> Callable[[np.ndarray], np.ndarray]:
    """``z -> residuals`` of ``cand`` at transformed free values ``z``, integer params relaxed
    (``Candidate.schedule(..., exact=False)``): the optimiser's inner loop, from the candidate's
    parts straight to the family function. Call it under ``np.errstate(all="ignore")``."""
    plan = plan or _Plan(cand)
    fam = REGISTRY.get(cand.family)
    if fam is None:

        def unknown(z: np.ndarray) -> np.ndarray:
            params, warmup, min_lr = plan.parts(plan.values(z), False)
            return residuals(Schedule(cand.family, params, warmup, min_lr), xs, ly, eps)

        return unknown
    ordering = _ordering(fam)
    ascending = bool(xs.size < 2 or np.all(xs[1:] >= xs[:-1]))

    def fun(z: np.ndarray) -> np.ndarray:
        params, warmup, min_lr = plan.parts(plan.values(z), False)
        return _residuals(fam, ordering, params, warmup, min_lr, xs, ly, eps, ascending)

    return fun


def _box(free: list[FreeParam]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bounds of the free parameters in transformed space, and the start strictly inside them
    (as trf requires)."""
    lo = np.array([p.zbounds()[0] for p in free])
    hi = np.array([p.zbounds()[1] for p in free])
    z0 = np.array([p.to_z(min(max(p.init, p.lo), p.hi)) for p in free])
    span = np.where(np.isfinite(hi - lo), hi - lo, 1.0)
    pad = np.minimum(1e-6 * span, 1e-3)
    return lo, hi, np.minimum(np.maximum(z0, lo + pad), hi - pad)


#: A zero-bounded linear parameter below this (in its scale's units) is tried at 0.
ZERO_SNAP = 1e-5


def _outcome(
    cand: Candidate,
    sched_of: Callable[..., Schedule],
    rexact: Callable[[np.ndarray], np.ndarray],
    free: list[FreeParam],
    z_raw: np.ndarray,
    n: int,
    offset: int,
    jac: np.ndarray | None,
    status: int,
    message: str,
    active: tuple[str, ...],
) -> Outcome:
    """The outcome at the optimiser's solution ``z_raw``."""
    # an optimiser stops just inside a bound: a start/end LR of 1e-15 is a 0 the data cannot
    # tell apart, and one of 1e-7 that logged zeros pull towards 0 (trf's strictly feasible
    # iterates only approach the bound) is a 0 too; the better of the two is kept
    z = z_raw.copy()
    for i, p in enumerate(free):
        if not p.log and not p.rate and p.lo == 0.0 and 0.0 < z[i] < ZERO_SNAP:
            z[i] = 0.0
    sched = sched_of(z)
    r = rexact(z)
    if not np.array_equal(z, z_raw):
        r_raw = rexact(z_raw)
        if float(r_raw @ r_raw) < float(r @ r):
            z, r = z_raw, r_raw
            sched = sched_of(z)
    rss, status, message = _checked(sched, float(r @ r), status, message)
    return Outcome(cand, sched, _vals(free, z), rss, n, offset, jac, status, message, active)


def _checked(sched: Schedule, rss: float, status: int, message: str) -> tuple[float, int, str]:
    """``rss, status, message`` of an outcome, or ``inf, -1`` and why when ``sched`` breaks a
    constraint of its family that the parameter box does not express (one-cycle ``three_phase``
    needs ``pct_start <= 0.5``): not a schedule, ranked last."""
    if sched.family in REGISTRY:
        try:
            validate(sched)
        except ScheduleError as exc:
            return math.inf, -1, f"not a valid schedule: {exc}"
    return rss, status, message


def at_start(cand: Candidate, x: np.ndarray, y: np.ndarray, eps: float) -> Outcome:
    """``cand`` scored at its starting values, not refined: a rough rank for a candidate the
    search had no need to fit (:mod:`lraudit.fitting.certify`)."""
    vals = {}
    for p in cand.free:
        v = min(max(p.init, p.lo), p.hi)
        vals[p.name] = float(round(v)) if p.integer else v
    sched = cand.schedule(vals)
    ly = np.log(np.maximum(y, 0.0) + eps)
    r = residuals(sched, x.astype(np.float64), ly, eps)
    rss, status, message = _checked(sched, float(r @ r), 0, "scored at its starting values")
    return Outcome(cand, sched, vals, rss, x.size, 0, None, status, message, ())


def _vals(free: list[FreeParam], z: np.ndarray) -> dict[str, float]:
    out = {}
    for p, zi in zip(free, z, strict=True):
        v = p.from_z(float(zi))
        out[p.name] = float(round(v)) if p.integer else v
    return out


def rescore(
    out: Outcome, x: np.ndarray, y: np.ndarray, eps: float, ly: np.ndarray | None = None
) -> Outcome:
    """The same schedule scored on other points (the full series after fitting on a subset);
    ``ly``: ``log(y + eps)`` when the caller keeps it. An outcome that is not a valid schedule
    (:func:`_checked`) stays ranked last."""
    if out.rss == math.inf:
        return replace(out, n=int(x.size))
    if ly is None:
        ly = np.log(np.maximum(y, 0.0) + eps)
    r = residuals(out.schedule, x + out.offset if out.offset else x, ly, eps)
    return replace(out, rss=float(r @ r), n=int(x.size))


def with_fixed(cand: Candidate, name: str, value: float) -> Candidate:
    """``cand`` with free parameter ``name`` held at ``value`` (for profiles and snapping)."""
    free = [p for p in cand.free if p.name != name]
    c = replace(cand, free=free, fixed=dict(cand.fixed), warmup_fixed=dict(cand.warmup_fixed))
    if name.startswith("warmup."):
        c.warmup_fixed[name[7:]] = value
    elif name == "min_lr":
        c.min_lr = value
    else:
        c.fixed[name] = value
    return c


def start_from(cand: Candidate, values: Mapping[str, float]) -> Candidate:
    """``cand`` with its free parameters starting at ``values``."""
    free = [replace(p, init=float(values.get(p.name, p.init))) for p in cand.free]
    return replace(cand, free=free)
