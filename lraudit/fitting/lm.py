"""The fitter's inner optimiser pieces: :func:`screen`, a lean bounded Levenberg-Marquardt for
the short first pass, and :func:`forward_jacobian`, SciPy's ``'2-point'`` scheme written out
(SciPy's general wrappers cost more than the residuals on a few hundred points)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from lraudit.curves import TINY
from lraudit.fitting.batch import Rows

__all__ = ["forward_jacobian", "screen"]


def screen(
    fun: Callable[[np.ndarray], np.ndarray],
    z0: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    max_nfev: int,
    tol: float = 1e-10,
    rows: Rows | None = None,
    stall: float | None = None,
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
    ``least_squares``. With ``stall``, a pass that is still above that cost after a step that
    did not halve it ends there (status 0): near an exact fit Gauss-Newton steps cut the cost
    by orders of magnitude, so such a pass is not about to reach one.
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
        jac = forward_jacobian(fun, z, r, lo, hi, rows)
        g = jac.T @ r
        held = ((z <= lo_in) & (g > 0)) | ((z >= hi_in) & (g < 0))
        # (small-array numpy calls cost microseconds each: the common case, nothing held at a
        # bound, skips the masking; the values are the same either way)
        f: slice | np.ndarray = slice(None) if not held.any() else ~held
        gf = g[f]
        if gf.size == 0 or float(np.abs(gf).max()) <= tol * max(cost, TINY):
            return z, 1
        jf = jac[:, f]
        a = jf.T @ jf
        d = np.maximum(a.diagonal(), 1e-30)
        diag = np.arange(d.size)
        accepted = False
        while nfev < max_nfev and lam < 1e16:
            m = a.copy()
            m[diag, diag] += lam * d
            try:
                step = np.linalg.solve(m, -gf)
            except np.linalg.LinAlgError:
                lam *= 10.0
                continue
            if not np.isfinite(step).all():
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
                # np.linalg.norm of a vector, without its per-call cost: sqrt(x @ x)
                dz = zn - z
                small = math.sqrt(float(dz @ dz)) <= tol * (tol + math.sqrt(float(z @ z)))
                done = small or cost - cn <= tol * cost
                slow = stall is not None and cn > stall and cn > 0.5 * cost
                z, r, cost = zn, rn, cn
                lam = max(lam / 3.0, 1e-12)
                accepted = True
                if done and cost <= tol:
                    return z, 1
                if slow:
                    return z, 0
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
    rows: Rows | None = None,
) -> np.ndarray:
    """Forward-difference Jacobian of ``fun`` at ``z`` (``f0 = fun(z)``) inside ``[lo, hi]``.

    ``rows`` (:func:`lraudit.fitting.batch.residual_rows`) evaluates every perturbed point in one
    vectorised call, with the same values; without it, or when it declines, one call per column.

    The steps are SciPy's ``'2-point'`` scheme (``sqrt(eps) * sign(z) * max(1, |z|)``, reversed
    or shrunk at a bound as ``scipy.optimize._numdiff`` does), so the optimiser's path is the
    same; written out because SciPy's general wrapper costs more than the residuals themselves
    on a few hundred points.
    """
    jac = np.empty((f0.size, z.size))
    zs = np.empty((z.size, z.size))
    zp = np.empty(z.size)
    dxs = np.empty(z.size)
    # per coordinate in Python floats (a handful of them: numpy's per-call cost would dominate);
    # the same IEEE operations as the vectorised scheme, NaN propagating as in np.maximum
    for i, (zv, lv, hv) in enumerate(zip(z.tolist(), lo.tolist(), hi.tolist(), strict=True)):
        a = abs(zv)
        h = (_REL_STEP * (1.0 if zv >= 0 else -1.0)) * (a if a != a or a > 1.0 else 1.0)
        lower, upper = zv - lv, hv - zv
        t = zv + h
        fitting = abs(h) <= _nan_max(lower, upper)
        if fitting:
            if t < lv or t > hv:
                h = -h
        elif upper >= lower:
            h = upper
        elif upper < lower:
            h = -lower
        zi = zs[i]
        zi[:] = z
        zi[i] = zv + h
        zp[i] = zi[i]
        dxs[i] = float(zi[i]) - zv
    many = rows(z, zp) if rows is not None and z.size > 1 else None
    if many is not None:
        # column i is (f(z + h_i e_i) - f(z)) / h_i, the same operations as one at a time
        many -= f0
        many /= dxs[:, None]
        jac[:] = many.T
        return jac
    for i in range(z.size):
        jac[:, i] = (fun(zs[i].copy()) - f0) / float(dxs[i])
    return jac


def _nan_max(a: float, b: float) -> float:
    """``np.maximum`` of two floats (NaN if either is)."""
    if a != a or b != b:
        return math.nan
    return a if a >= b else b
