"""The ``piecewise`` family: constant levels between boundaries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lraudit.curves import big_changes
from lraudit.errors import ScheduleError
from lraudit.schedules._common import clean
from lraudit.schedules.base import Family, ParamSpec
from lraudit.schedules.text import BARE, MAX_LISTED, UNSURE, Steps, fmt_lr, fmt_step, param


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
    j = big_changes(y)
    seg = np.split(y, j)
    levels = [float(np.median(s)) for s in seg]
    # a boundary is only known to lie in (x[j-1], x[j]]; take the first step at the new level
    bounds = [float(x[i]) for i in j]
    return {"boundaries": bounds, "values": levels}


def _describe_piecewise(p: Mapping[str, Any], w: Steps = BARE) -> str:
    values = list(param(p, "values", []))
    bounds = list(param(p, "boundaries", []))
    parts = [fmt_lr(values[0])] if values else [UNSURE]
    pairs = list(zip(bounds, values[1:], strict=False))
    if len(pairs) > MAX_LISTED:
        # a schedule sampled per epoch can have thousands of levels: name the ends only
        pairs = pairs[:2] + pairs[-1:]
        parts += [f"{fmt_lr(v)} @{fmt_step(b)}" for b, v in pairs[:2]]
        parts += [
            f"… ({len(values)} levels)",
            f"{fmt_lr(pairs[-1][1])} @{fmt_step(pairs[-1][0])}",
        ]
        return "piecewise " + " → ".join(parts) + w.suffix()
    for b, v in pairs:
        parts.append(f"{fmt_lr(v)} @{fmt_step(b)}")
    return "piecewise " + " → ".join(parts) + w.suffix()


def _boundary_marks(p: Mapping[str, Any], w: float) -> list[float]:
    bounds = [float(b) for b in p.get("boundaries", [])]
    # thousands of levels (sampled per epoch): the ends are enough
    return bounds if len(bounds) <= MAX_LISTED else bounds[:2] + bounds[-1:]


PIECEWISE = Family(
    name="piecewise",
    fn=piecewise,
    params=(
        ParamSpec(
            "boundaries",
            "floats",
            doc="steps where the next value starts (non-decreasing)",
            role="step",
        ),
        ParamSpec("values", "floats", (0.0, None), doc="len(boundaries) + 1 levels", role="level"),
    ),
    guess=_guess_piecewise,
    summary="values[i+1] from boundaries[i] on (>=)",
    check=_check_piecewise,
    simplicity=1,
    key_steps=_boundary_marks,
    smooth=False,
    describe=_describe_piecewise,
)

FAMILIES = (PIECEWISE,)
