"""Helpers shared by the family modules: data cleaning for ``guess`` and common checks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from lraudit.errors import ScheduleError

#: relative change between consecutive logged values treated as "no change" (float32 logs
#: round at ~6e-8; a decay over one logging interval is usually far above 1e-5)
FLAT_RTOL = 1e-5
#: relative drop between consecutive values treated as a jump (staircase / piecewise)
JUMP_RTOL = 1e-3


def clean(steps: Any, values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Finite points sorted by step, as float64 arrays."""
    x = np.asarray(steps, dtype=np.float64).ravel()
    y = np.asarray(values, dtype=np.float64).ravel()
    n = min(x.size, y.size)
    x, y = x[:n], y[:n]
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    order = np.argsort(x, kind="stable")
    return x[order], y[order]


def span(x: np.ndarray) -> float:
    """Length of the observed window (at least 1)."""
    return max(float(x[-1] - x[0]), 1.0) if x.size else 1.0


def round_decade(v: float) -> float:
    """The power of ten nearest to ``v`` (a conventional ``decay_steps`` for a continuous fit)."""
    return float(10 ** round(math.log10(max(v, 1.0))))


def flat_head_end(x: np.ndarray, y: np.ndarray) -> float:
    """First step after the initial flat stretch (0 when the curve changes at once)."""
    if y.size < 3:
        return 0.0
    ref = abs(y[0]) if y[0] != 0 else 1.0
    moved = np.nonzero(np.abs(y - y[0]) > FLAT_RTOL * ref)[0]
    if moved.size == 0 or moved[0] <= 1:
        return 0.0
    return float(x[moved[0] - 1])


def jumps(y: np.ndarray) -> np.ndarray:
    """Indices ``i`` where ``y[i]`` differs from ``y[i-1]`` by more than :data:`JUMP_RTOL`."""
    if y.size < 2:
        return np.zeros(0, dtype=np.int64)
    prev = np.abs(y[:-1])
    rel = np.abs(np.diff(y)) / np.where(prev > 0, prev, 1.0)
    return np.nonzero(rel > JUMP_RTOL)[0] + 1


def positive(where: str, v: float) -> None:
    if not v > 0:
        raise ScheduleError(f"{where} must be > 0, got {v!r}")


def check_positive(family: str, params: Mapping[str, Any], *names: str) -> None:
    """Each named param must be strictly positive (bounds in ParamSpec are inclusive)."""
    for n in names:
        positive(f"{family}.{n}", float(params[n]))


def log_rmse(model: np.ndarray, y: np.ndarray) -> float:
    """RMS of ``log(model) - log(y)`` over points where both are positive (inf if none)."""
    ok = (model > 0) & (y > 0)
    if not ok.any():
        return math.inf
    with np.errstate(all="ignore"):
        r = np.log(model[ok]) - np.log(y[ok])
    v = float(np.sqrt(np.mean(r * r)))
    return v if math.isfinite(v) else math.inf


def best_of(
    fn: Any, x: np.ndarray, y: np.ndarray, candidates: list[dict[str, Any]]
) -> dict[str, Any]:
    """The candidate param dict whose curve is closest to the data (log RMS); guesses use it to
    settle discrete choices (shape, mode) and a few coarse values without a full fit."""
    best, score = candidates[0], math.inf
    for c in candidates:
        try:
            with np.errstate(all="ignore"):
                v = log_rmse(np.asarray(fn(x, **c), dtype=np.float64), y)
        except (ValueError, ZeroDivisionError, FloatingPointError):
            continue
        if v < score:
            best, score = c, v
    return best
