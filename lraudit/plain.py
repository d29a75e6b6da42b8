"""Plain JSON-able values from numpy scalars, arrays and tuples (used by every ``to_dict``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def plain(v: Any) -> Any:
    """``v`` as plain Python: numpy scalars unwrapped, sequences as lists, non-finite floats as
    None.

    >>> plain((np.float32(0.5), [np.int64(3), float("inf")]))
    [0.5, [3, None]]
    """
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (np.ndarray, list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v
