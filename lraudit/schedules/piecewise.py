"""The ``piecewise`` family: constant levels between boundaries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lraudit.errors import ScheduleError
from lraudit.schedules import Family, ParamSpec, register
from lraudit.schedules._common import clean, jumps


def piecewise(steps: np.ndarray, boundaries: Any, values: Any) -> np.ndarray:
    """Piecewise-constant LR (torch ``MultiStepLR``, OD API ``manual_stepping``, Paddle
    ``PiecewiseDecay``, optax ``piecewise_constant_schedule``, Detectron2 multi-step).

    .. math::

        lr(s) = \\begin{cases}
            v_0 & s < b_0 \\\\
            v_{i+1} & b_i \\le s < b_{i+1} \\\\
            v_n & s \\ge b_{n-1}
        \\end{cases}

    with :math:`b` = ``boundaries`` (non-decreasing, :math:`n` of them) and :math:`v` =
    ``values`` (:math:`n + 1`). The new value applies **at** the boundary step (``>=``). TF
    ``piecewise_constant`` / Keras ``PiecewiseConstantDecay`` switch one step later (``>``):
    map their boundaries to ``b + 1`` on integer steps. A boundary listed twice skips a level
    (torch ``MultiStepLR`` with a repeated milestone).

    >>> s = np.array([0, 9, 10, 19, 20, 30])
    >>> piecewise(s, boundaries=[10, 20], values=[1.0, 0.1, 0.01]).tolist()
    [1.0, 1.0, 0.1, 0.1, 0.01, 0.01]
    """
    b = np.asarray(boundaries, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    return v[np.searchsorted(b, steps, side="right")]


def _check_piecewise(p: Mapping[str, Any]) -> None:
    b, v = list(p["boundaries"]), list(p["values"])
    if len(v) != len(b) + 1:
        raise ScheduleError(
            f"piecewise needs len(values) = len(boundaries) + 1, got {len(v)} values for "
            f"{len(b)} boundaries"
        )
    if any(b2 < b1 for b1, b2 in zip(b[:-1], b[1:], strict=True)):
        raise ScheduleError(f"piecewise.boundaries must be non-decreasing, got {b}")


def _guess_piecewise(steps: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    x, y = clean(steps, values)
    if y.size == 0:
        return {"boundaries": [], "values": [1.0]}
    j = jumps(y)
    seg = np.split(y, j)
    levels = [float(np.median(s)) for s in seg]
    # a boundary is only known to lie in (x[j-1], x[j]]; take the first step at the new level
    bounds = [float(x[i]) for i in j]
    return {"boundaries": bounds, "values": levels}


register(
    Family(
        name="piecewise",
        fn=piecewise,
        params=(
            ParamSpec(
                "boundaries",
                "floats",
                doc="steps where the next value starts (non-decreasing)",
            ),
            ParamSpec("values", "floats", (0.0, None), doc="len(boundaries) + 1 levels"),
        ),
        guess=_guess_piecewise,
        summary="values[i+1] from boundaries[i] on (>=)",
        check=_check_piecewise,
    )
)
