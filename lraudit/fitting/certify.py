"""Shape certificates: candidates that cannot fit a curve to float32 precision, told without
fitting them.

Several decays are a straight line in a transform of the learning rate once their warmup and
their flat stretches are set aside (:attr:`lraudit.fitting.engine.Candidate.straight_in`):

============== ===================== ==========================================================
transform      :math:`g(y)`          candidates
============== ===================== ==========================================================
``flat``       :math:`y`, constant   constant (after its warmup)
``identity``   :math:`y`             a linear decay (polynomial of power 1)
``log``        :math:`\\ln y`        continuous exponential decay
``inverse``    :math:`1/y`           continuous inverse-time decay
``inverse_sq`` :math:`1/y^2`         inverse square root
============== ===================== ==========================================================

A candidate fitted to float32 precision (RMS log error :math:`\\le \\epsilon` =
:data:`~lraudit.fitting.select.NOISE_FLOOR` on the ``n`` fitting points) is within
:math:`\\epsilon\\sqrt{n/m}` RMS of the data on any ``m`` of them, so on the points of its
straight part :math:`g(y)` lies within a relative RMS of :math:`k\\,\\epsilon\\sqrt{n/m}` of a
line (:math:`k` = 1, or 2 for :math:`1/y^2`; absolute for :math:`\\ln y`). The points tested
are the fitting points after every candidate's warmup (past the logging gap where the rise ends,
plus a step for the warmup length's play and one for a logging offset), strictly between the
curve's top stretch (a hold at the peak, a burn-in) and its bottom stretch (a floor, an end
LR), and far above the log-residual softening. When the weighted least-squares line misses by
more than :data:`SAFETY` times that bound the candidate cannot fit to float32 precision.

Smooth decays (:attr:`lraudit.fitting.engine.Candidate.smooth_decay`: exponential, inverse-time,
inverse square root, cosine, polynomial, WSD, with their holds and floors) are monotone after
their warmup and the size of their slope rises and falls at most once: they cannot drop, stay
flat, then drop again (a MultiStep staircase). Between two logged points a monotone curve's
slope reaches the points' mean slope somewhere, so when some interval's largest possible mean
slope (the points moved by the exact-fit bound) is :data:`SAFETY` times below the smallest
possible one of an interval before it and of one after it, no smooth decay fits.

The search (:func:`lraudit.fitting.search._converge`) screens such candidates only when nothing
else fits to float32 precision: the simplest exact fit is the same with or without them, at a
fraction of the cost (each screened candidate costs ~1 ms of optimiser iterations; a
certificate ~20 us).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from lraudit.fitting.select import NOISE_FLOOR

__all__ = ["SAFETY", "TRANSFORMS", "Shapes"]

#: How far beyond the bound an exact fit obeys a line must miss before a candidate is skipped.
SAFETY = 30.0
#: Points closer than this (relative, in units of the exact-fit bound) to the top or bottom
#: value belong to a flat stretch and are not tested.
_PLATEAU = 3.0
#: Tested points lie this far above the log-residual softening (``eps``).
_ABOVE_EPS = 1e3
#: Fewer tested points than this certify nothing.
_MIN_POINTS = 4

#: ``name -> (g, k)``: the transform and its relative sensitivity ``|d ln g / d ln y|``
#: (``k = 0``: the residual is absolute, for ``ln y``).
TRANSFORMS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], float]] = {
    "identity": (lambda y: y, 1.0),
    "log": (np.log, 0.0),
    "inverse": (lambda y: 1.0 / y, 1.0),
    "inverse_sq": (lambda y: 1.0 / (y * y), 2.0),
}


class Shapes:
    """The certificates of one curve: which transforms its straight part is a line in.

    ``x, y``: the fitting points (sorted); ``warmup_end``: the first step every candidate's
    warmup is over by, or ``None`` without a warmup; ``eps``: the log-residual softening.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, warmup_end: float | None, eps: float):
        self.n = int(x.size)
        if warmup_end is not None:
            after = x >= warmup_end
            x, y = x[after], y[after]
        # the points a smooth decay is tested on; the straight ones also far above eps
        self._after = (x, y)
        keep = y > _ABOVE_EPS * eps
        xs, ys = x[keep], y[keep]
        # the largest per-point log error of a fit at float32 precision
        self.point_bound = NOISE_FLOOR * math.sqrt(max(self.n, 1))
        tol = _PLATEAU * self.point_bound
        self.flat = True
        self.xs = self.ys = np.zeros(0)
        if ys.size:
            top, bottom = float(np.max(ys)), float(np.min(ys))
            self.flat = math.log(top / bottom) <= 2 * tol
            at_top = np.flatnonzero(ys >= top * math.exp(-tol))
            at_bottom = np.flatnonzero(ys <= bottom * math.exp(tol))
            lo, hi = int(at_top[-1]) + 1, int(at_bottom[0])
            if hi > lo:
                self.xs, self.ys = xs[lo:hi], ys[lo:hi]
        self._straight: dict[str, bool] = {}
        self._smooth: bool | None = None

    @classmethod
    def of(
        cls, x: np.ndarray, y: np.ndarray, x_all: np.ndarray, warmup_end: int | None, eps: float
    ) -> Shapes:
        """The certificates of fitting points ``x, y`` of a curve whose warmup ends (as structure
        detection reads it) at index ``warmup_end`` of all its points ``x_all``."""
        after = None
        if warmup_end is not None:
            # a warmup ends inside (x[r-1], x[r] + 1] (its length is free there); the point
            # after that may still be one logging offset away
            after = float(x_all[min(warmup_end, x_all.size - 1)]) + 2.0
        return cls(x, y, after, eps)

    def admits(self, straight_in: str | None, smooth_decay: bool = False) -> bool:
        """Whether a candidate straight in ``straight_in`` (``None``: in no transform), a smooth
        decay or not, can fit to float32 precision."""
        if smooth_decay and not self.smooth_possible():
            return False
        if straight_in is None:
            return True
        if straight_in == "flat":
            return self.flat
        hit = self._straight.get(straight_in)
        if hit is None:
            hit = self._straight[straight_in] = self._is_straight(straight_in)
        return hit

    def _is_straight(self, name: str) -> bool:
        g_of, k = TRANSFORMS[name]
        m = self.xs.size
        if m < _MIN_POINTS:
            return True
        with np.errstate(all="ignore"):
            g = g_of(self.ys)
        if not np.all(np.isfinite(g)):
            return True
        # the weighted least-squares line g ~ a + b u (weights 1/|g|: relative residuals), in
        # closed form on the weighted-centred abscissa (np.linalg.lstsq costs ~50 us a call)
        w2 = np.ones(m) if k == 0.0 else 1.0 / (g * g)
        span = float(np.ptp(self.xs)) or 1.0
        u = (self.xs - float(self.xs[0])) / span
        sw = float(w2.sum())
        uc = u - float(w2 @ u) / sw
        gm = float(w2 @ g) / sw
        suu = float(w2 @ (uc * uc))
        b = float(w2 @ (uc * (g - gm))) / suu if suu > 0 else 0.0
        r = (g - gm - b * uc) * np.sqrt(w2)
        rms = math.sqrt(float(r @ r) / m)
        bound = max(k, 1.0) * NOISE_FLOOR * math.sqrt(self.n / m)
        return rms <= SAFETY * bound

    def smooth_possible(self) -> bool:
        """Whether a monotone curve whose slope rises and falls at most once can fit (no
        interval far flatter than one before it and one after it)."""
        if self._smooth is None:
            self._smooth = self._unimodal_slope()
        return self._smooth

    def _unimodal_slope(self) -> bool:
        x, y = self._after
        if x.size < 4:
            return True
        dx = np.diff(x)
        if not np.all(dx > 0):
            return True
        # each interval's mean slope, at most and at least, with every point free to move by
        # the exact-fit bound
        play = 2.0 * self.point_bound * np.maximum(y[1:], y[:-1])
        dy = np.abs(np.diff(y))
        most = (dy + play) / dx
        least = (dy - play) / dx
        before = np.maximum.accumulate(least)
        after = np.maximum.accumulate(least[::-1])[::-1]
        # interval j against the steepest interval strictly before and strictly after it
        b = np.concatenate(([-np.inf], before[:-1]))
        a = np.concatenate((after[1:], [-np.inf]))
        return not bool(np.any(np.minimum(a, b) > SAFETY * most))
