"""Schedule families: pure vectorised math, parameter specs, guesses, and the registry.

Each family module (``constant``, ``cosine``, ``cyclic``, ``exponential``, ``piecewise``,
``polynomial``) builds one :class:`~lraudit.schedules.base.Family` per family, carrying all that
is known about it: the function ``f(steps, **params)`` (float64 in and out), its parameter specs
with their roles, a data-driven ``guess``, its horizon, key steps and one-line description
(:mod:`lraudit.schedules.base`). :mod:`~lraudit.schedules.registry` lists them in an explicit
tuple. Warmup shapes are a table of functions (:mod:`~lraudit.schedules.warmups`); warmup,
family and floor compose in :func:`~lraudit.schedules.schedule.compose`:

.. math::

    lr(s) = \\begin{cases}
        w(s) & 0 \\le s < W \\text{ (warmup)} \\\\
        \\max(f(s), lr_{min}) & s \\ge W
    \\end{cases}

with :math:`w` the warmup shape going from ``start_lr`` at :math:`s=0` towards
:math:`T = \\max(f(W), lr_{min})` at :math:`s = W`: linear :math:`start + (T - start) s / W`,
constant :math:`start`, exponential :math:`start (T / start)^{s / W}`.

The ``linear_factor`` shape is multiplicative instead: the warmup scales the *running* schedule,
:math:`w(s) = F(s) (r_0 + (1 - r_0) s / W)` with :math:`F(s) = \\max(f(s), lr_{min})` (the family
value at :math:`s`, not at :math:`W`) and :math:`r_0 = start / F(0)`. This is the convention of
torch ``LinearLR`` chained with a decay, MMEngine's ``LinearLR`` overlapping the main scheduler,
old detectron2 ``WarmupMultiStepLR`` (factor warmup) and YOLOv5 (``np.interp`` towards
``lr0 * lf(epoch)``). For a ``warmup_relative`` family :math:`F` is constant over the warmup
(:math:`F(0)` on its clock), so ``linear_factor`` equals ``linear`` there.

>>> s = Schedule("polynomial", {"init_lr": 1.0, "end_lr": 0.0, "decay_steps": 10, "power": 1.0},
...              warmup=Warmup(steps=4, start_lr=0.1, shape="linear_factor"))
>>> [round(float(v), 6) for v in s.evaluate([0, 2, 4])]  # f(2)=0.8 scaled by 0.55; then f(4)
[0.1, 0.44, 0.6]

Families are evaluated on absolute steps, except those with ``warmup_relative=True``
(``warmup_stable_decay``, whose stable phase starts where the warmup ends, as in Hugging Face):
their clock is :math:`s - W`, i.e. :math:`f(s - W)` replaces :math:`f(s)` above and the warmup
target is :math:`\\max(f(0), lr_{min})`.

Parameters are validated once, at :func:`evaluate` (kinds, bounds, choices and each family's own
cross-parameter ``check``); the family functions themselves are plain vectorised math that the
fitter calls directly many times.

Nothing in this package imports the rest of lraudit (only :mod:`lraudit.errors` and
:mod:`lraudit.plain`): :class:`Schedule` and :class:`Warmup` live here and
:mod:`lraudit.types` re-exports them.
"""

from __future__ import annotations

from lraudit.schedules.base import ROLES, Family, ParamSpec, robust_guess, validate_params
from lraudit.schedules.registry import FAMILIES, REGISTRY, families, get_family
from lraudit.schedules.schedule import (
    Schedule,
    compose,
    evaluate,
    fast_evaluate,
    key_steps,
)
from lraudit.schedules.warmups import WARMUP_SHAPES, Warmup

__all__ = [
    "FAMILIES",
    "Family",
    "ParamSpec",
    "REGISTRY",
    "ROLES",
    "Schedule",
    "WARMUP_SHAPES",
    "Warmup",
    "compose",
    "evaluate",
    "families",
    "fast_evaluate",
    "get_family",
    "key_steps",
    "robust_guess",
    "validate_params",
]
