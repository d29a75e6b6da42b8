"""Infer the schedule behind a logged learning-rate curve: family, parameters, identifiability.

Algorithm
---------
1. **Clean** (:mod:`~lraudit.fitting.api`): keep finite, non-negative points (the others are
   counted in ``warnings``), sort by step, keep the last value of a repeated step.
2. **Structure** (:mod:`~lraudit.fitting.structure`, on the toolbox :mod:`lraudit.curves`): runs
   equal to float32 rounding, jumps between flat stretches, the initial rise (warmup) and its
   shape, a straight initial fall into a gentler slope (a warmup that starts above its target),
   later rises (restarts, cycles), a flat tail.
3. **Candidates** (:mod:`~lraudit.fitting.candidates`): families pruned by structure and by what
   each family is (:class:`lraudit.schedules.Family`: monotone, floorable, own rise), discrete
   values read off the curve (boundaries, levels, staircase width and start, restart
   positions), continuous starting points from closed-form reads of the curve and each
   family's ``guess``; a decay after a warmup starts its clock at the warmup end.
4. **Refine** (:mod:`~lraudit.fitting.engine`): ``least_squares(method="trf")`` on log-ratio
   residuals, log-transformed LR- and step-scale params, bounds (kinks such as a restart or the
   end of a decay are bounded to the logging gap where the curve shows them).
5. **Search** (:mod:`~lraudit.fitting.search`): simplest candidates first, a short first pass
   for each up to the first one at float32 precision, a full second pass for the best few,
   fallback candidates (grid-searched periods) when nothing fits, a polish of the winner and its
   step alignment (``-max_offset..max_offset``, kept only when it wins by more than one
   parameter's penalty).
6. **Select** (:mod:`~lraudit.fitting.select`): BIC with the noise floored at
   :data:`~lraudit.fitting.select.NOISE_FLOOR` (float32), so curves that are indistinguishable
   go to the family with fewer parameters (then the lower ``Family.simplicity``); the best of
   every other family tried becomes an :class:`~lraudit.types.Alternative` with its BIC
   difference.
7. **Identifiability** (:mod:`~lraudit.fitting.identify`): SVD of the Jacobian (covariance and
   null directions), what each family says a window cannot identify (the per-step rate of a
   continuous decay, a hidden flat part), held conventions, a 1 % profile of step parameters
   that sit on a logged step, and, for unidentified horizons, the range of values that still
   fit. Then values indistinguishable from round ones are snapped
   (:mod:`~lraudit.fitting.snap`).

``status`` is ``ok`` when the RMS log error is at most :data:`~lraudit.fitting.api.POOR_RMSE`
and there are enough points, ``poor`` otherwise, ``failed`` when there is nothing to fit; the
result also carries the optimiser's status and message and the winner's BIC.

>>> import numpy as np
>>> r = fit_arrays(np.arange(0, 1000, 10), np.full(100, 0.1, dtype=np.float32))
>>> r.schedule.family, r.status, round(r.schedule.params["lr"], 6)
('constant', 'ok', 0.1)
"""

from __future__ import annotations

from lraudit.fitting.api import fit, fit_arrays
from lraudit.fitting.search import FIT_BUDGET
from lraudit.fitting.select import NOISE_FLOOR

__all__ = ["FIT_BUDGET", "NOISE_FLOOR", "fit", "fit_arrays"]
