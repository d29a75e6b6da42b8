"""Helpers shared by the family modules: data cleaning for ``guess`` and common checks (curve
shape reads come from :mod:`lraudit.curves`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from lraudit.errors import ScheduleError


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
