"""The curve arithmetic every rule shares: the point-wise relative error, whether a hypothesis
explains the points, the best logging alignment, and a few facts read off a curve or a schedule
(its logging interval, the end of its initial rise, its decay end, its peak)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lraudit.diagnose.thresholds import FLAT_TOL, HYP_TOL, PERIODIC
from lraudit.types import FitResult, Schedule


def relerr(y: np.ndarray, m: np.ndarray, scale: float | None = None) -> np.ndarray:
    """Point-wise relative disagreement in [0, 1] (see the module docstring); nan -> 1."""
    y = np.asarray(y, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    if scale is None:
        fin = m[np.isfinite(m)]
        scale = float(np.max(np.abs(fin))) if fin.size else 1.0
    den = np.maximum(np.maximum(np.abs(y), np.abs(m)), 1e-6 * scale + 1e-300)
    with np.errstate(invalid="ignore"):
        e = np.abs(y - m) / den
    return np.where(np.isfinite(e), e, 1.0)


def explains(err: np.ndarray) -> bool:
    """Whether a hypothesis explains the points: all within :data:`HYP_TOL` but about 1 %.

    A few points may miss (a boundary that falls between two logged steps, a ±1 step offset):
    ``floor(n / 100)`` of them, plus one from 20 points on.
    """
    n = int(err.size)
    if n == 0:
        return True
    allowed = n // 100 + (1 if n >= 20 else 0)
    return int(np.sum(err > HYP_TOL)) <= allowed


@dataclass(frozen=True)
class Match:
    offset: int
    err: np.ndarray  # relerr per point at that offset
    model: np.ndarray

    @property
    def worst(self) -> float:
        return float(self.err.max()) if self.err.size else 0.0


def best_offset(x: np.ndarray, y: np.ndarray, sched: Schedule) -> Match:
    """The alignment offset in {0, -1, +1} that explains most points, then with the smallest
    worst-point error (0 on ties)."""
    cands = []
    for d in (0, -1, 1):
        m = np.asarray(sched.evaluate(x + d), dtype=np.float64)
        cands.append(Match(d, relerr(y, m), m))
    return min(
        cands,
        key=lambda c: (
            int(np.sum(c.err > HYP_TOL)),
            round(c.worst, 12),
            float(c.err.mean()),
            abs(c.offset),
        ),
    )


def rel_range(v: np.ndarray) -> float:
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 0.0
    hi = float(np.max(np.abs(v)))
    return float(np.max(v) - np.min(v)) / hi if hi > 0 else 0.0


def interval(x: np.ndarray, at: float | None = None) -> float:
    """The logging interval (median spacing, or the spacing around ``at``)."""
    if x.size < 2:
        return 1.0
    d = np.diff(x)
    if at is None:
        return float(np.median(d))
    i = int(np.clip(np.searchsorted(x, at), 1, x.size - 1))
    return float(d[i - 1])


def rise_end(x: np.ndarray, y: np.ndarray) -> tuple[int, bool]:
    """Index of the end of the initial rise (0 = no rise) and whether it lasts to the last point."""
    n = y.size
    i = 0
    while i + 1 < n and y[i + 1] > y[i] * (1 + FLAT_TOL) + 1e-300 and y[i + 1] > 0:
        i += 1
    return i, (i == n - 1 and n >= 2 and i > 0)


def observed_warmup_end(
    x: np.ndarray, y: np.ndarray, fit: FitResult | None = None
) -> tuple[float | None, bool]:
    """Where the logged warmup ends (in logged steps), and whether it lasts the whole run.

    The fit's warmup is used when it has one (``warmup.steps - offset``); otherwise the end of the
    initial rise, refined by extending the ramp's line to the level reached after it.
    """
    if x.size < 2:
        return None, False
    e, to_end = rise_end(x, y)
    if to_end:
        return None, True
    if e == 0:
        return None, False
    if fit is not None and fit.status != "failed" and fit.schedule.warmup is not None:
        w = float(fit.schedule.warmup.steps) - fit.offset
        if w > 0 and abs(w - x[e]) <= 2 * interval(x, x[e]) + 1:
            return w, False
    if y[e] <= y[0] * (1 + 0.05):
        return None, False
    if e >= 2:
        slope = np.polyfit(x[:e], y[:e], 1)[0]
        if slope > 0:
            w = float(x[0] + (y[e] - y[0]) / slope)
            return float(np.clip(w, x[e - 1], x[e])), False
    return float(x[e]), False


HORIZON_PARAM = {
    "exponential": "decay_steps",
    "inverse_time": "decay_steps",
    "cosine": "decay_steps",
    "polynomial": "decay_steps",
    "piecewise": "boundaries",
    "one_cycle": "total_steps",
    "cosine_restarts": "first_period",
    "cyclic": "step_size_up",
    "inverse_sqrt": "timescale",
    "warmup_stable_decay": "decay_steps",
}


def decay_end(s: Schedule) -> float | None:
    """The step at which the family's decay ends (or, for exponentials, its first period)."""
    p = s.params
    f = s.family
    try:
        if f in ("cosine", "polynomial", "exponential", "inverse_time"):
            return float(p.get("start_step") or 0) + float(p["decay_steps"])
        if f == "piecewise":
            b = list(p.get("boundaries", ()))
            return float(b[-1]) if b else None
        if f == "one_cycle":
            return float(p["total_steps"])
        if f == "warmup_stable_decay":
            w = float(s.warmup.steps) if s.warmup else 0.0
            return w + float(p["stable_steps"]) + float(p["decay_steps"])
        if f == "cosine_restarts":
            return float(p.get("start_step") or 0) + float(p["first_period"])
    except (KeyError, TypeError, ValueError):
        return None
    return None


def peak_of(sched: Schedule, end: float) -> float:
    """The largest LR of ``sched`` over steps ``[0, end]`` (4001 evenly spaced steps)."""
    return float(np.max(sched.evaluate(np.linspace(0.0, end, 4001))))


def is_periodic(s: Schedule, until: float | None = None) -> bool:
    """Whether ``s`` rises again by design (restarts, cycles, a cosine past its end) before
    step ``until`` (any step when None)."""
    if s.family in PERIODIC:
        return True
    if s.family == "cosine" and s.params.get("after_end") == "rise":
        end = float(s.params.get("start_step", 0) or 0) + float(s.params["decay_steps"])
        return until is None or end < until
    if s.family == "piecewise":
        v = [float(a) for a in s.params.get("values", ())]
        return any(b > a for a, b in zip(v, v[1:], strict=False))
    return False


def is_constant_schedule(s: Schedule) -> bool:
    if s.family == "constant":
        return s.warmup is None or s.warmup.steps <= 0
    return False


def is_num(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def logged_levels(x: np.ndarray, y: np.ndarray) -> tuple[list[float], list[float]] | None:
    """``(boundaries, values)`` of a logged staircase: each boundary is the first logged step at
    a new level (the change happened after the previous logged step); None unless every level
    is held for at least two points."""
    if x.size < 2:
        return None
    new = np.flatnonzero(relerr(y[1:], y[:-1]) > HYP_TOL) + 1
    starts = np.concatenate([[0], new, [x.size]])
    if np.any(np.diff(starts) < 2):
        return None
    return [float(x[i]) for i in new], [float(y[i]) for i in starts[:-1]]
