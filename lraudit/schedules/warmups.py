"""Warmups: the value type and the table of shapes.

A warmup covers steps ``0 <= s < W`` and replaces the family there. With ``q = s / W``, ``a`` the
start LR and ``T`` the target (the family's value where the warmup ends, floored by ``min_lr``):

* ``linear``: :math:`a + (T - a) q`
* ``constant``: :math:`a`
* ``exponential``: :math:`a (T / a)^{q}` (needs :math:`a > 0`, :math:`T > 0`)
* ``log``: :math:`a + (T - a) \\ln(s + 1) / \\ln W` (DeepSpeed ``WarmupLR`` /
  ``WarmupDecayLR`` with ``warmup_type="log"``, their default; ``W`` at least 2): reaches
  :math:`T` at :math:`s = W - 1`, a steep rise that flattens
* ``linear_factor`` (multiplicative): :math:`F(s) (r_0 + (1 - r_0) q)` with :math:`F(s)` the
  running schedule at ``s`` and :math:`r_0 = a / F(0)`: torch ``LinearLR`` chained with a decay,
  MMEngine's overlapping ``LinearLR``, old detectron2 factor warmup, YOLOv5.

Each shape is one function of :data:`SHAPES`; adding a shape is adding a row.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lraudit.errors import ScheduleError
from lraudit.schedules.base import is_number


@dataclass(frozen=True)
class Warmup:
    """Warmup over ``0 <= s < steps`` from ``start_lr`` towards the family's value at ``steps``.

    ``steps`` is a whole number of steps, or fractional when the schedule counts epochs and the
    warmup ends inside one (YOLOv5: 100 iterations at 8 iterations per epoch = 12.5 epochs).

    ``shape``: ``linear`` (``start + (target - start) * s / steps``), ``constant`` (``start``),
    ``exponential`` (``start * (target / start) ** (s / steps)``), ``log``
    (``start + (target - start) * ln(s + 1) / ln(max(steps, 2))``, DeepSpeed), ``linear_factor``
    (multiplicative: ``f(s) * (r0 + (1 - r0) * s / steps)`` with ``f`` the running schedule at
    ``s`` and ``r0 = start / f(0)``; torch LinearLR chained, MMEngine, YOLOv5).
    """

    steps: float
    start_lr: float
    shape: str = "linear"

    def to_dict(self) -> dict[str, Any]:
        steps = int(self.steps) if float(self.steps).is_integer() else float(self.steps)
        return {"steps": steps, "start_lr": float(self.start_lr), "shape": self.shape}


#: ``shape(q, start, target, running, f0, steps) -> lr``: ``q`` the warmup fraction ``s / W`` of
#: the points inside it, ``running()`` the floored family values there, ``f0`` the family at step
#: 0, ``steps`` the warmup length ``W``
Shape = Callable[[np.ndarray, float, float, Callable[[], np.ndarray], float, float], np.ndarray]


def _linear(
    q: np.ndarray,
    start: float,
    target: float,
    running: Callable[[], np.ndarray],
    f0: float,
    steps: float = 0.0,
) -> np.ndarray:
    return start + (target - start) * q


def _constant(
    q: np.ndarray,
    start: float,
    target: float,
    running: Callable[[], np.ndarray],
    f0: float,
    steps: float = 0.0,
) -> np.ndarray:
    return np.full_like(q, start)


def _exponential(
    q: np.ndarray,
    start: float,
    target: float,
    running: Callable[[], np.ndarray],
    f0: float,
    steps: float = 0.0,
) -> np.ndarray:
    if start <= 0 or target <= 0:
        raise ScheduleError(
            f"an exponential warmup needs warmup.start_lr > 0 and a positive LR at its end, "
            f"got {start!r} -> {target!r}"
        )
    return start * (target / start) ** q


def _log(
    q: np.ndarray,
    start: float,
    target: float,
    running: Callable[[], np.ndarray],
    f0: float,
    steps: float = 0.0,
) -> np.ndarray:
    # DeepSpeed: gamma = ln(s + 1) / ln(W), W = max(warmup_num_steps, 2); s = q W
    w = max(float(steps), 2.0)
    return start + (target - start) * np.log1p(q * float(steps)) / math.log(w)


def _linear_factor(
    q: np.ndarray,
    start: float,
    target: float,
    running: Callable[[], np.ndarray],
    f0: float,
    steps: float = 0.0,
) -> np.ndarray:
    # multiplicative: the factor r0 -> 1 scales the running schedule F(s), r0 = start / F(0)
    if f0 > 0:
        r0 = start / f0
    elif start == 0:
        r0 = 0.0
    else:
        raise ScheduleError(
            f"a linear_factor warmup needs a positive LR at step 0 to scale, got {f0!r} "
            f"with warmup.start_lr={start!r}; use a linear warmup"
        )
    return running() * (r0 + (1.0 - r0) * q)


#: The warmup shapes by name, in the order they are documented.
SHAPES: dict[str, Shape] = {
    "linear": _linear,
    "constant": _constant,
    "exponential": _exponential,
    "log": _log,
    "linear_factor": _linear_factor,
}

WARMUP_SHAPES = tuple(SHAPES)


def unknown_shape(shape: Any) -> ScheduleError:
    """The error for a warmup shape that is not in :data:`SHAPES`."""
    names = ", ".join(repr(s) for s in WARMUP_SHAPES[:-1])
    return ScheduleError(f"unknown warmup shape {shape!r}; use {names} or {WARMUP_SHAPES[-1]!r}")


def validate_warmup(w: Warmup | None) -> None:
    """Finite, non-negative steps and start, a known shape, a positive start for exponential."""
    if w is None:
        return
    for name, v in (("steps", w.steps), ("start_lr", w.start_lr)):
        if not (is_number(v) and math.isfinite(float(v)) and float(v) >= 0):
            raise ScheduleError(f"warmup.{name} must be a finite number >= 0, got {v!r}")
    if w.shape not in SHAPES:
        raise unknown_shape(w.shape)
    if w.shape == "exponential" and w.steps > 0 and float(w.start_lr) <= 0:
        raise ScheduleError(
            f"an exponential warmup needs warmup.start_lr > 0, got {w.start_lr!r}; use a "
            "linear warmup to start from 0"
        )
