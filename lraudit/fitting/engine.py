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
from lraudit.schedules import REGISTRY, Schedule, Warmup, fast_evaluate

#: Softening of the log residual, relative to the largest logged value (see module docstring).
EPS_REL = 1e-7
#: Residual used where a candidate cannot be evaluated (invalid parameter combination).
BAD_RESIDUAL = 30.0
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

    @property
    def n_params(self) -> int:
        return len(self.free) + self.n_structural

    def schedule(self, values: Mapping[str, float], exact: bool = True) -> Schedule:
        """The schedule for free-parameter ``values`` (missing names fall back to ``init``).

        With ``exact=False`` integer parameters stay fractional (a continuous relaxation that
        gives the optimiser a gradient); they are rounded in the reported schedule.
        """
        v = {p.name: values.get(p.name, p.init) for p in self.free}
        if exact:
            for p in self.free:
                if p.integer:
                    v[p.name] = round(v[p.name])
        params = dict(self.fixed)
        params.update(
            {k: val for k, val in v.items() if "." not in k and k != "min_lr" and k[0] != "_"}
        )
        if self.derived:
            known = {**params, **v}
            for name, fn in self.derived.items():
                params[name] = fn(known)
        warmup = None
        if self.warmup_shape is not None:
            wv = dict(self.warmup_fixed)
            wv.update({k[7:]: val for k, val in v.items() if k.startswith("warmup.")})
            for name, (src, whole) in self.ties.items():
                t = wv.get(src[7:], 0.0) if src.startswith("warmup.") else v.get(src, 0.0)
                params[name] = round(t) if whole else float(t)
            warmup = Warmup(
                steps=float(wv["steps"]), start_lr=float(wv["start_lr"]), shape=self.warmup_shape
            )
        min_lr = v.get("min_lr", self.min_lr)
        return Schedule(family=self.family, params=params, warmup=warmup, min_lr=min_lr)


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
    if fam is not None and fam.ordering and not fam.ordered(sched.params):
        return np.full(x.shape[0], BAD_RESIDUAL)
    with np.errstate(all="ignore"):
        try:
            m = fast_evaluate(sched, x)
        except (ScheduleError, ValueError, TypeError, ZeroDivisionError, OverflowError):
            return np.full(x.shape[0], BAD_RESIDUAL)
        # in place on a fresh array (``m`` may be shared with the schedule's own arrays)
        r = np.maximum(m, 0.0)
        r += eps
        np.log(r, out=r)
        r -= ly
    if not np.isfinite(r).all():
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
) -> Outcome:
    """Refine ``cand``'s free parameters on points ``(x, y)`` (observed step ``s`` is evaluated at
    ``s + offset``). Never raises for fit problems; failed evaluations become large residuals.

    ``quick`` runs the screening optimiser (:func:`screen`) instead of ``least_squares``; the
    outcome's ``status`` is 0 when it stopped on ``max_nfev``, as ``least_squares`` reports it.
    """
    if eps is None:
        eps = EPS_REL * float(np.max(np.abs(y))) if y.size else 1e-30
        eps = max(eps, TINY)
    xs = x.astype(np.float64) + offset
    ly = np.log(np.maximum(y, 0.0) + eps)
    free = cand.free

    names = [p.name for p in free]
    convs = [p.from_z for p in free]

    def sched_of(z: np.ndarray, exact: bool = True) -> Schedule:
        vals = {n: f(zi) for n, f, zi in zip(names, convs, z.tolist(), strict=True)}
        return cand.schedule(vals, exact)

    last: list[np.ndarray] = []

    def fun(z: np.ndarray) -> np.ndarray:
        r = residuals(sched_of(z, exact=False), xs, ly, eps)
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
        return forward_jacobian(fun, z, f0, lo, hi)

    def rexact(z: np.ndarray) -> np.ndarray:
        # residuals of the reported schedule (integer params rounded)
        return residuals(sched_of(z), xs, ly, eps)

    if quick:
        zq, status = screen(fun, z0, lo, hi, max_nfev)
        msg = SCREEN_MESSAGES[status]
        return _outcome(cand, sched_of, rexact, free, zq, x.size, offset, None, status, msg, ())
    try:
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


def _box(free: list[FreeParam]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bounds of the free parameters in transformed space, and the start strictly inside them
    (as trf requires)."""
    lo = np.array([p.zbounds()[0] for p in free])
    hi = np.array([p.zbounds()[1] for p in free])
    z0 = np.array([p.to_z(min(max(p.init, p.lo), p.hi)) for p in free])
    span = np.where(np.isfinite(hi - lo), hi - lo, 1.0)
    pad = np.minimum(1e-6 * span, 1e-3)
    return lo, hi, np.minimum(np.maximum(z0, lo + pad), hi - pad)


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
    # tell apart
    z = z_raw.copy()
    for i, p in enumerate(free):
        if not p.log and not p.rate and p.lo == 0.0 and 0.0 < z[i] * p.scale < 1e-7 * p.scale:
            z[i] = 0.0
    sched = sched_of(z)
    r = rexact(z)
    if not np.array_equal(z, z_raw):
        r_raw = rexact(z_raw)
        if float(r_raw @ r_raw) < float(r @ r):
            z, r = z_raw, r_raw
            sched = sched_of(z)
    return Outcome(
        cand, sched, _vals(free, z), float(r @ r), n, offset, jac, status, message, active
    )


def screen(
    fun: Callable[[np.ndarray], np.ndarray],
    z0: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    max_nfev: int,
    tol: float = 1e-10,
) -> tuple[np.ndarray, int]:
    r"""A few Levenberg-Marquardt steps on ``sum(fun(z)**2)`` inside the box ``[lo, hi]``.

    Each iteration solves :math:`(J_F^T J_F + \lambda\,\mathrm{diag}(J_F^T J_F))\,\delta =
    -J_F^T r` over the free coordinates ``F`` (those not held at a bound by a gradient pointing
    out of the box) and accepts the step if the cost drops; :math:`\lambda` shrinks by 3 on
    success and grows by 10 on failure (Marquardt's scaling makes the step independent of the
    coordinates' units). A step that leaves the box goes 99.5 % of the way to the bound, never
    onto it, and the box is shrunk by ``1e-10`` relative, as ``trf`` keeps its iterates strictly
    feasible: a corner of the box is a false stationary point. ``max_nfev`` counts evaluations of
    ``fun`` outside the Jacobian, as ``least_squares`` does with a callable Jacobian. Returns the
    best point and a status: 1 when it converged (zero gradient, or a vanishing step at a
    negligible cost), else 0, so that the caller converges the promising candidates with
    ``least_squares``.
    """
    # strictly inside the box, as for ``least_squares`` (a bound can be an invalid value)
    lo_in = lo + 1e-10 * np.maximum(1.0, np.abs(lo))
    hi_in = hi - 1e-10 * np.maximum(1.0, np.abs(hi))
    z = np.clip(z0.astype(np.float64), lo_in, hi_in)
    r = fun(z)
    cost = float(r @ r)
    nfev = 1
    lam = 1e-3
    while nfev < max_nfev:
        jac = forward_jacobian(fun, z, r, lo, hi)
        g = jac.T @ r
        held = ((z <= lo_in) & (g > 0)) | ((z >= hi_in) & (g < 0))
        f = ~held
        if not f.any() or float(np.max(np.abs(g[f]))) <= tol * max(cost, TINY):
            return z, 1
        jf = jac[:, f]
        a = jf.T @ jf
        d = np.maximum(np.diag(a).copy(), 1e-30)
        accepted = False
        while nfev < max_nfev and lam < 1e16:
            try:
                step = np.linalg.solve(a + lam * np.diag(d), -g[f])
            except np.linalg.LinAlgError:
                lam *= 10.0
                continue
            if not np.all(np.isfinite(step)):
                break
            zn = z.copy()
            zn[f] += step
            # a step out of the box goes most of the way to the bound, never onto it (a corner
            # of the box is a false stationary point): the interior rule of ``trf``
            below, above = zn < lo_in, zn > hi_in
            zn[below] = z[below] + 0.995 * (lo_in[below] - z[below])
            zn[above] = z[above] + 0.995 * (hi_in[above] - z[above])
            rn = fun(zn)
            nfev += 1
            cn = float(rn @ rn)
            if cn < cost:
                small = float(np.linalg.norm(zn - z)) <= tol * (tol + float(np.linalg.norm(z)))
                done = small or cost - cn <= tol * cost
                z, r, cost = zn, rn, cn
                lam = max(lam / 3.0, 1e-12)
                accepted = True
                if done and cost <= tol:
                    return z, 1
                break
            lam *= 10.0
        if not accepted:
            break
    return z, 0


_REL_STEP = float(np.finfo(np.float64).eps) ** 0.5


def forward_jacobian(
    fun: Callable[[np.ndarray], np.ndarray],
    z: np.ndarray,
    f0: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> np.ndarray:
    """Forward-difference Jacobian of ``fun`` at ``z`` (``f0 = fun(z)``) inside ``[lo, hi]``.

    The steps are SciPy's ``'2-point'`` scheme (``sqrt(eps) * sign(z) * max(1, |z|)``, reversed
    or shrunk at a bound as ``scipy.optimize._numdiff`` does), so the optimiser's path is the
    same; written out because SciPy's general wrapper costs more than the residuals themselves
    on a few hundred points.
    """
    sign = np.where(z >= 0, 1.0, -1.0)
    h = _REL_STEP * sign * np.maximum(1.0, np.abs(z))
    lower, upper = z - lo, hi - z
    t = z + h
    violated = (t < lo) | (t > hi)
    fitting = np.abs(h) <= np.maximum(lower, upper)
    h[violated & fitting] *= -1
    forward = (upper >= lower) & ~fitting
    h[forward] = upper[forward]
    backward = (upper < lower) & ~fitting
    h[backward] = -lower[backward]
    jac = np.empty((f0.size, z.size))
    for i in range(z.size):
        zi = z.copy()
        zi[i] = z[i] + h[i]
        dx = zi[i] - z[i]
        jac[:, i] = (fun(zi) - f0) / dx
    return jac


def _vals(free: list[FreeParam], z: np.ndarray) -> dict[str, float]:
    out = {}
    for p, zi in zip(free, z, strict=True):
        v = p.from_z(float(zi))
        out[p.name] = float(round(v)) if p.integer else v
    return out


def rescore(out: Outcome, x: np.ndarray, y: np.ndarray, eps: float) -> Outcome:
    """The same schedule scored on other points (the full series after fitting on a subset)."""
    ly = np.log(np.maximum(y, 0.0) + eps)
    r = residuals(out.schedule, x.astype(np.float64) + out.offset, ly, eps)
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
