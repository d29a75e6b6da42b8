"""The ``constant`` family."""

from __future__ import annotations

from typing import Any

import numpy as np

from lraudit.schedules import Family, ParamSpec, register


def constant(steps: np.ndarray, lr: float) -> np.ndarray:
    """Constant learning rate.

    .. math:: lr(s) = lr

    >>> constant(np.array([0, 10]), lr=0.1).tolist()
    [0.1, 0.1]
    """
    return np.full(np.shape(steps), float(lr))


def _guess(steps: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    finite = values[np.isfinite(values)]
    return {"lr": float(np.median(finite)) if finite.size else 0.0}


register(
    Family(
        name="constant",
        fn=constant,
        params=(ParamSpec("lr", "float", (0.0, None), log=True, doc="the learning rate"),),
        guess=_guess,
        summary="no schedule (or a scheduler that never stepped)",
    )
)
