"""The ``constant`` family."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lraudit.schedules.base import Family, ParamSpec
from lraudit.schedules.text import BARE, Steps, fmt_lr, param


def constant(steps: np.ndarray, lr: float) -> np.ndarray:
    """Constant learning rate.

    .. math:: lr(s) = lr

    >>> constant(np.array([0, 10]), lr=0.1).tolist()
    [0.1, 0.1]
    """
    if isinstance(lr, np.ndarray):  # one LR per row (``Family.elementwise``)
        return np.broadcast_to(lr, np.shape(steps)).astype(np.float64)
    return np.full(np.shape(steps), float(lr))


def _guess(steps: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    finite = values[np.isfinite(values)]
    return {"lr": float(np.median(finite)) if finite.size else 0.0}


def _describe(p: Mapping[str, Any], w: Steps = BARE) -> str:
    return f"constant {fmt_lr(param(p, 'lr'))}"


CONSTANT = Family(
    name="constant",
    fn=constant,
    elementwise=True,
    params=(
        ParamSpec("lr", "float", (0.0, None), log=True, doc="the learning rate", role="level"),
    ),
    guess=_guess,
    summary="no schedule (or a scheduler that never stepped)",
    simplicity=0,
    key_steps=lambda p, w: [],
    smooth=False,
    describe=_describe,
)

FAMILIES = (CONSTANT,)
