"""Model selection and identifiability.

Score
-----
Each refined candidate gets a BIC on the log residuals with the noise variance floored:

.. math:: \\mathrm{BIC} = n \\log \\max(\\mathrm{RSS}/n, \\sigma_0^2) + k \\log n,
          \\qquad \\sigma_0 = 10^{-6}

:math:`\\sigma_0` (:data:`NOISE_FLOOR`, about 8 float32 ulps in log terms) is the level below which a
misfit is float32 rounding of the logged value plus float32 arithmetic inside the framework that
computed the LR. Two candidates that both fit below it have the same first term, so the one with
fewer parameters wins, and ties go to the simpler family (``Family.simplicity``). ``k`` counts
the refined parameters plus the discrete values read off the curve (boundaries, levels).

Identifiability
---------------
The Jacobian :math:`J` of the residuals with respect to the fitted (log- or scale-transformed)
parameters is evaluated on all points at the solution. With :math:`J = U S V^T` the covariance is
:math:`\\sigma^2 V S^{-2} V^T` over the singular values above ``1e-7 * s_max`` (the ``curve_fit``
pseudo-inverse), :math:`\\sigma = \\max(\\mathrm{RMSE}, \\sigma_0)`. A parameter is *identified* when its
relative standard error is at most :data:`IDENT_REL` and no null direction of :math:`J` involves it.
Parameters held fixed because the data cannot determine them (the ``decay_steps`` of a continuous
exponential, a warmup that outlasts the run) are reported as not identified with the reason.
"""

from __future__ import annotations

import math

import numpy as np

from lraudit.fitting.batch import residual_rows
from lraudit.fitting.engine import Outcome, _Plan, residual_fn, residuals
from lraudit.schedules import REGISTRY

#: Log-residual RMS regarded as float32 precision (see the module docstring).
NOISE_FLOOR = 1e-6
#: Largest relative standard error of an identified parameter.
IDENT_REL = 2e-3


def bic(out: Outcome) -> float:
    """Floored BIC of an outcome (lower is better)."""
    n = max(out.n, 1)
    mse = max(out.rss / n, NOISE_FLOOR**2)
    return n * math.log(mse) + out.candidate.n_params * math.log(max(n, 2))


def rank_key(out: Outcome) -> tuple[float, int, float]:
    """Sort key: BIC (to 6 decimals), then fewer parameters, then the simpler family."""
    fam = REGISTRY.get(out.candidate.family)
    order = fam.simplicity if fam is not None else math.inf
    return (round(bic(out), 6), out.candidate.n_params, order)


def rmse(out: Outcome) -> float:
    return math.sqrt(out.rss / max(out.n, 1))


def jacobian(out: Outcome, x: np.ndarray, y: np.ndarray, eps: float) -> np.ndarray | None:
    """Forward-difference Jacobian of the residuals wrt the transformed free parameters."""
    cand = out.candidate
    if not cand.free:
        return None
    xs = x.astype(np.float64) + out.offset
    ly = np.log(np.maximum(y, 0.0) + eps)
    z0 = np.array([p.to_z(out.values[p.name]) for p in cand.free])
    r0 = residuals(out.schedule, xs, ly, eps)
    plan = _Plan(cand)
    fun = residual_fn(cand, xs, ly, eps, plan)
    # central differences: the truncation error must stay far below the null-space threshold;
    # z is a log or O(1)-scaled value, so an absolute step is a relative one
    h = 1e-7
    bounds = [p.zbounds() for p in cand.free]
    hp = np.array([min(h, hi - z0[i]) for i, (_, hi) in enumerate(bounds)])
    hm = np.array([min(h, z0[i] - lo) for i, (lo, _) in enumerate(bounds)])
    rows = residual_rows(cand, plan, xs, ly, eps) if z0.size > 1 else None
    with np.errstate(all="ignore"):
        # every +h point in one vectorised evaluation, every -h point in another (the same
        # values as one at a time), else one call per point
        up = rows(z0, z0 + hp) if rows is not None else None
        down = rows(z0, z0 - hm) if up is not None and rows is not None else None
        cols = []
        for i in range(z0.size):
            if up is not None and down is not None:
                rp, rm = up[i], down[i]
            else:
                zp, zm = z0.copy(), z0.copy()
                zp[i] += hp[i]
                zm[i] -= hm[i]
                rp, rm = fun(zp), fun(zm)
            den = hp[i] + hm[i]
            cols.append((rp - rm) / den if den > 0 else np.zeros_like(r0))
    return np.column_stack(cols)


def stderrs(jac: np.ndarray | None, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Standard errors in transformed space and a mask of params touched by a null direction."""
    if jac is None or jac.size == 0:
        return np.zeros(0), np.zeros(0, dtype=bool)
    _, s, vt = np.linalg.svd(jac, full_matrices=False)
    p = jac.shape[1]
    if s.size == 0 or s[0] == 0:
        return np.full(p, np.inf), np.ones(p, dtype=bool)
    keep = s > 1e-7 * s[0]
    v = vt[keep].T
    cov = (v / s[keep] ** 2) @ v.T * sigma**2
    sd = np.sqrt(np.maximum(np.diag(cov), 0.0))
    null = np.zeros(p, dtype=bool)
    if not keep.all():
        vnull = vt[~keep]
        null = np.any(np.abs(vnull) > 1e-3, axis=0)
    sd[null] = np.inf
    return sd, null
