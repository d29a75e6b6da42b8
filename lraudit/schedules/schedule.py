"""A schedule as data (:class:`Schedule`), its evaluation and its key steps.

The composition of warmup, family and floor is done once, here, in :func:`compose`:

.. math::

    lr(s) = \\begin{cases}
        w(s) & 0 \\le s < W \\text{ (warmup)} \\\\
        \\max(f(s), lr_{min}) & s \\ge W
    \\end{cases}

with :math:`w` the warmup shape (:mod:`lraudit.schedules.warmups`) going from ``start_lr`` at
:math:`s=0` towards :math:`T = \\max(f(W), lr_{min})` at :math:`s = W`. A ``warmup_relative``
family (``warmup_stable_decay``) runs on the clock :math:`s - W`: :math:`f(s - W)` replaces
:math:`f(s)` and the warmup target is :math:`\\max(f(0), lr_{min})`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lraudit.errors import ScheduleError
from lraudit.plain import plain
from lraudit.schedules.base import Family, is_number, validate_params
from lraudit.schedules.registry import REGISTRY, get_family
from lraudit.schedules.warmups import SHAPES, Warmup, unknown_shape, validate_warmup


@dataclass(frozen=True, eq=False)
class Schedule:
    """A learning-rate schedule as data: a family from the registry, its params, warmup, floor.

    Evaluate with ``schedule.evaluate(steps)``; the math lives in :mod:`lraudit.schedules`.
    """

    family: str
    params: Mapping[str, Any]
    warmup: Warmup | None = None
    min_lr: float | None = None

    def evaluate(self, steps: Any) -> np.ndarray:
        """Learning rate at each step (vectorised); see the module docstring for conventions."""
        return evaluate(self, steps)

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "params": {k: plain(v) for k, v in self.params.items()},
            "warmup": self.warmup.to_dict() if self.warmup else None,
            "min_lr": None if self.min_lr is None else float(self.min_lr),
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Schedule):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(repr(self.to_dict()))


def level_names(family: str) -> frozenset[str]:
    """The parameters (as :class:`~lraudit.types.FitResult` names them) that are LR levels:
    the family's ``role="level"`` params, ``warmup.start_lr`` and ``min_lr``."""
    fam = get_family(family)
    return frozenset(
        [*(p.name for p in fam.params if p.role == "level"), "warmup.start_lr", "min_lr"]
    )


def scaled(schedule: Schedule, e: int) -> Schedule:
    """``schedule`` with every LR level multiplied by ``2**e``: the schedule ``2**e * lr(s)``,
    exactly (a power of two only changes the floating-point exponent).

    Every family, warmup shape and floor is homogeneous of degree one in its levels
    (:math:`lr(s; k\\theta_{level}, \\theta_{other}) = k\\, lr(s; \\theta)` with :math:`k = 2^e`),
    so only the ``role="level"`` params, ``warmup.start_lr`` and ``min_lr`` change.
    """
    levels = level_names(schedule.family)

    def mul(v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return type(v)(math.ldexp(float(x), e) for x in v)
        return math.ldexp(float(v), e)

    params = {n: mul(v) if n in levels else v for n, v in schedule.params.items()}
    w = schedule.warmup
    warm = None if w is None else Warmup(w.steps, math.ldexp(w.start_lr, e), w.shape)
    floor = None if schedule.min_lr is None else math.ldexp(schedule.min_lr, e)
    return Schedule(schedule.family, params, warm, floor)


def evaluate(schedule: Schedule, steps: Any) -> np.ndarray:
    """Learning rate of ``schedule`` at ``steps`` (any array-like of numbers, or a number),
    float64 with the shape of ``steps``."""
    family = get_family(schedule.family)
    params = validate_params(family, schedule.params)
    _validate_extras(schedule)
    shape = np.shape(steps)
    # family functions work in place on 1-d arrays; a scalar is evaluated as one point
    s = np.asarray(steps, dtype=np.float64).reshape(-1)
    return compose(s, family, params, schedule.warmup, schedule.min_lr).reshape(shape)


def validate(schedule: Schedule) -> None:
    """Raise :class:`~lraudit.errors.ScheduleError` when :func:`evaluate` would refuse
    ``schedule`` (unknown family, a param outside its bounds or constraints, a bad warmup or
    floor)."""
    validate_params(get_family(schedule.family), schedule.params)
    _validate_extras(schedule)


def fast_evaluate(sched: Schedule, x: np.ndarray) -> np.ndarray:
    """:func:`evaluate` without re-validating params (for callers that build them, the fitter)."""
    fam = REGISTRY.get(sched.family)
    if fam is None:
        return evaluate(sched, x)
    return compose(x, fam, sched.params, sched.warmup, sched.min_lr)


def compose(
    s: np.ndarray,
    family: Family,
    params: Mapping[str, Any],
    w: Warmup | None,
    min_lr: float | None,
    ascending: bool = False,
) -> np.ndarray:
    """The family, its floor and its warmup at steps ``s`` (1-d float64), params already valid.

    ``ascending`` promises that ``s`` is sorted (the fitter's points): the warmup's points are
    then a prefix, sliced instead of masked (the same values, without the mask's cost).

    The family is evaluated once, on its own clock (shifted by the warmup for
    ``warmup_relative`` families) extended by the two points the warmup needs: its end, where
    the ramp arrives, and step 0, which a ``linear_factor`` warmup scales.
    """
    if w is None or not w.steps > 0:
        lr = np.asarray(family.fn(s, **params), dtype=np.float64)
        return lr if min_lr is None else np.maximum(lr, min_lr)
    rel = family.warmup_relative
    clock = np.empty(s.size + 2)
    clock[:-2] = s
    if rel:
        clock[:-2] -= w.steps
    clock[-2] = 0.0 if rel else float(w.steps)
    clock[-1] = 0.0
    full = np.asarray(family.fn(clock, **params), dtype=np.float64)
    if min_lr is not None:
        full = np.maximum(full, min_lr)
    lr, target, f0 = full[:-2], float(full[-2]), float(full[-1])
    mask: np.ndarray | slice
    if ascending:
        mask = slice(0, int(s.searchsorted(w.steps)))
        if mask.stop == 0:
            return lr
    else:
        mask = s < w.steps
        if not mask.any():
            return lr
    shape = SHAPES.get(w.shape)
    if shape is None:
        raise unknown_shape(w.shape)
    # np.clip(., 0.0, None) is np.maximum(., 0.0), without the wrapper's per-call cost
    frac = np.maximum(s[mask], 0.0) / w.steps
    if rel:
        # F is F(0) on its own clock until the warmup ends
        wv = shape(frac, w.start_lr, target, lambda: np.full_like(frac, target), target, w.steps)
    else:
        # lr is max(f(s), min_lr)
        wv = shape(frac, w.start_lr, target, lambda: lr[mask], f0, w.steps)
    out = lr.copy()
    out[mask] = wv
    return out


def _validate_extras(schedule: Schedule) -> None:
    """The warmup and the floor: finite, non-negative, a known warmup shape."""
    m = schedule.min_lr
    if m is not None and not (is_number(m) and math.isfinite(float(m)) and float(m) >= 0):
        raise ScheduleError(f"min_lr must be a finite number >= 0 or None, got {m!r}")
    validate_warmup(schedule.warmup)


def key_steps(schedule: Schedule, end: float | None) -> list[float]:
    """The steps worth looking at: 0, each phase boundary ``b`` with ``b - 1``, the end.

    The phase boundaries are the warmup end and the family's own ``key_steps``; when ``end`` is
    given, marks after it are dropped and, for a family with a continuous phase, the middle of
    the last phase is added.

    >>> key_steps(Schedule("piecewise", {"boundaries": [30, 40], "values": [1, .1, .01]}), 50)
    [0.0, 29.0, 30.0, 39.0, 40.0, 50.0]
    >>> key_steps(Schedule("constant", {"lr": 1.0}, warmup=Warmup(10, 0.1)), 100)
    [0.0, 9.0, 10.0, 100.0]
    >>> key_steps(Schedule("cosine", {"peak_lr": 1.0, "end_lr": 0.0, "decay_steps": 90,
    ...     "start_step": 10}, warmup=Warmup(10, 0.1)), 100)
    [0.0, 9.0, 10.0, 55.0, 99.0, 100.0]
    """
    p = schedule.params
    marks: list[float] = []
    w = schedule.warmup.steps if schedule.warmup is not None else 0
    if w:
        marks.append(float(w))
    fam = REGISTRY.get(schedule.family)
    if fam is not None and fam.key_steps is not None:
        marks += fam.key_steps(p, float(w))
    out = {0.0}
    for b in marks:
        if end is None or b <= end:
            out.update({max(0.0, b - 1.0), b})
    if end is not None:
        # Half-way through the last phase shows the shape of a continuous decay.
        if fam is None or fam.smooth:
            last = max(x for x in out if x < end - 1) if min(out) < end - 1 else end
            if end - last > 2:
                out.add(float(np.floor((last + end) / 2)))
        out.add(float(end))
    return sorted(out)
