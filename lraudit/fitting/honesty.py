"""Is the fit a result? The tolerance the data allow, the worst misfit, and the data's range.

Tolerance
---------
A logged LR carries two kinds of error that no schedule can reproduce:

* **float32 resolution at the LR level.** Event files store float32 (relative rounding
  :math:`u = 2^{-24}`) and frameworks often compute the schedule in float32, where a formula
  such as :math:`lr_e + (lr_p - lr_e)(1 + \\cos)/2` loses precision *relative to its peak*, not to
  the value it returns (a cosine that ends at 0 has absolute errors near :math:`u\\,lr_p` in its
  tail). Point :math:`i` may be off by :math:`c\\,\\epsilon_{32}(y_i + \\hat y)` with
  :math:`\\epsilon_{32} = 2^{-23}`, :math:`c` = :data:`F32_ULPS` and :math:`\\hat y` the largest
  logged value.
* **logging noise**: values written as text with a few digits, an LR averaged over groups or
  iterations. It is measured where the curve is locally smooth: on every four consecutive points
  whose log-values move by less than :data:`SMOOTH_STEP` per step (no jump, a curve the logging
  resolves), the third difference of :math:`\\log y` is noise plus a negligible smooth term
  (:math:`f''' h^3`; the second difference would still carry the curvature of a cosine);
  :math:`\\hat\\sigma = 1.4826\\,\\mathrm{median}|\\Delta^3 \\log y| / \\sqrt{20}` (white noise has
  :math:`\\mathrm{Var}\\,\\Delta^3 = 20\\sigma^2`). Points may be off by :data:`NOISE_SIGMAS`
  :math:`\\hat\\sigma` relative.

With :math:`t = \\max(c\\,\\epsilon_{32}, k\\hat\\sigma)`, point :math:`i` is explained when
:math:`|m_i - y_i| \\le t\\,y_i + c\\,\\epsilon_{32}\\,\\hat y`; the fit is ``explained`` when every
point is. The worst point is the one with the largest ratio of its error to its tolerance.

Range
-----
A schedule that reaches far above every logged value *between* the logged steps (an aliased
cycle whose peaks fall between the logs, a max_lr 19x above the data) is not what ran: the fitted
curve, evaluated at the steps of the window, must stay below :data:`RANGE_CAP` times the largest
logged value (:func:`inside_range`). The step parameters of a family are bounded by
:func:`step_cap` (a horizon may reach far past the run, other step counts may not).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lraudit.schedules import Schedule, fast_evaluate
from lraudit.types import FitResult

#: float32 machine epsilon (2**-23).
EPS32 = float(np.finfo(np.float32).eps)
#: Allowed error in float32 epsilons: rounding of the stored value plus float32 arithmetic in the
#: framework (a handful of operations, each within one ulp).
F32_ULPS = 16.0
#: A step where log y moves by less than this between logged points is locally smooth (no jump,
#: a curve the logging resolves): its second difference measures the noise.
SMOOTH_STEP = 1e-2
#: A point may be off by this many noise standard deviations: far beyond any Gaussian excursion,
#: as the common logging noise is rounding to a few digits, bounded but up to 10x larger in
#: relative terms at a mantissa of 1.0 than at 9.9 (the median measures the typical one).
NOISE_SIGMAS = 10.0
#: Fewer smooth quadruples than this give no noise estimate (float32 alone sets the tolerance).
MIN_SMOOTH = 5
#: The fitted curve may exceed the largest logged value by this factor between logged steps
#: (a peak that falls between two sparse logs), not more.
RANGE_CAP = 3.0
#: Points of the window at which the curve is checked against :data:`RANGE_CAP` (every step
#: when the window is shorter).
RANGE_POINTS = 20_000
#: A step parameter that is not a horizon is at most this many times the run's last step (a
#: period or a phase longer than that is never seen); a horizon at most :data:`HORIZON_CAP`.
STEP_CAP = 10.0
#: Largest horizon, in multiples of the run's last step: a decay seen over 0.01 % of its
#: length is indistinguishable from a constant.
HORIZON_CAP = 1e4


@dataclass(frozen=True)
class Verdict:
    """Whether the fit explains the data, the worst point and the tolerance used."""

    explained: bool
    misfit_step: float | None
    misfit_rel: float | None
    tolerance_rel: float


def noise_sigma(y: np.ndarray) -> float:
    """Relative logging noise measured where the curve is locally smooth (0 when not seen)."""
    pos = y > 0
    if int(pos.sum()) < MIN_SMOOTH + 2:
        return 0.0
    ly = np.log(y[pos])
    d1 = np.diff(ly)
    d3 = np.diff(d1, 2)
    small = np.abs(d1) < SMOOTH_STEP
    smooth = small[:-2] & small[1:-1] & small[2:]
    if int(smooth.sum()) < MIN_SMOOTH:
        return 0.0
    return float(1.4826 * np.median(np.abs(d3[smooth])) / math.sqrt(20.0))


def tolerance_rel(y: np.ndarray) -> float:
    """The relative tolerance of a point: float32 resolution or the measured logging noise."""
    return max(F32_ULPS * EPS32, NOISE_SIGMAS * noise_sigma(y))


def verdict(sched: Schedule, offset: int, x: np.ndarray, y: np.ndarray) -> Verdict:
    """Does ``sched`` (observed step ``s`` evaluated at ``s + offset``) reproduce ``(x, y)``?"""
    tol = tolerance_rel(y)
    if x.size == 0:
        return Verdict(False, None, None, tol)
    with np.errstate(all="ignore"):
        m = fast_evaluate(sched, x.astype(np.float64) + offset)
    peak = float(np.max(np.abs(y)))
    err = np.abs(m - y)
    allowed = tol * np.abs(y) + F32_ULPS * EPS32 * peak
    ratio = np.where(np.isfinite(err), err / np.maximum(allowed, 1e-300), np.inf)
    i = int(np.argmax(ratio))
    rel = float(err[i] / abs(y[i])) if y[i] != 0 else (math.inf if err[i] > 0 else 0.0)
    return Verdict(bool(ratio[i] <= 1.0), float(x[i]), rel, tol)


def window_steps(x: np.ndarray) -> np.ndarray:
    """The steps of the window ``[x[0], x[-1]]``: all of them, or :data:`RANGE_POINTS` evenly
    spaced plus the logged ones."""
    lo, hi = float(x[0]), float(x[-1])
    if hi - lo + 1 <= RANGE_POINTS:
        return np.arange(math.floor(lo), math.floor(hi) + 1, dtype=np.float64)
    return np.union1d(np.linspace(lo, hi, RANGE_POINTS), x.astype(np.float64))


def inside_range(sched: Schedule, offset: int, grid: np.ndarray, ymax: float) -> bool:
    """The curve stays below :data:`RANGE_CAP` times the largest logged value over the window."""
    with np.errstate(all="ignore"):
        m = fast_evaluate(sched, grid + offset)
    top = float(np.nanmax(m)) if m.size else 0.0
    return bool(np.isfinite(top) and top <= RANGE_CAP * ymax)


def step_cap(x_last: float, horizon: bool) -> float:
    """Upper bound of a step parameter (see :data:`STEP_CAP`, :data:`HORIZON_CAP`)."""
    return (HORIZON_CAP if horizon else STEP_CAP) * max(float(x_last), 1.0)


#: a fit whose worst point is within this relative error is a result even when it is not exact
#: (a per-batch warmup read once per epoch is no family's exact shape, yet 3 % off at one point
#: changes no conclusion); beyond it, and beyond float32 + logging noise, it is not
MATERIAL_MISS = 0.05


def explained(fit: FitResult | None) -> bool:
    """Whether ``fit`` reproduces its curve: within float32 precision + logging noise
    (``fit.explained``), or with no point off by :data:`MATERIAL_MISS` or more."""
    if fit is None or fit.explained:
        return True
    return fit.misfit_rel is not None and fit.misfit_rel < MATERIAL_MISS
