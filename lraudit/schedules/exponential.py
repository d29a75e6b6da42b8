"""Exponential-type decays: ``exponential``, ``inverse_time`` and ``inverse_sqrt``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from lraudit.curves import big_changes, flat_head_end
from lraudit.schedules._common import check_positive, clean, round_decade, span
from lraudit.schedules.base import WHOLE_STEP, Family, ParamSpec
from lraudit.schedules.text import BARE, Steps, fmt_lr, fmt_step, from_start, param, start_mark

# --------------------------------------------------------------------------- exponential


def exponential(
    steps: np.ndarray,
    init_lr: float,
    decay_rate: float,
    decay_steps: float,
    staircase: bool = False,
    start_step: float = 0.0,
) -> np.ndarray:
    """Exponential decay (TF ``exponential_decay``, Keras/optax ``ExponentialDecay``, torch
    ``ExponentialLR`` and ``StepLR``, the OD API burn-in schedule).

    .. math::

        lr(s) = \\begin{cases}
            lr_0 & s < s_0 \\\\
            lr_0 \\, r^{p(s)} & s \\ge s_0
        \\end{cases}
        \\qquad p(s) = \\frac{s - s_0}{D}
        \\quad (\\lfloor \\cdot \\rfloor \\text{ if staircase})

    with :math:`lr_0` = ``init_lr``, :math:`r` = ``decay_rate``, :math:`D` = ``decay_steps``,
    :math:`s_0` = ``start_step``. A staircase drops at :math:`s_0 + kD` (``>=``: the new value
    applies at the boundary step itself, as in TF's float floor).

    >>> s = np.array([0, 5, 10, 15])
    >>> exponential(s, init_lr=1.0, decay_rate=0.5, decay_steps=10).round(6).tolist()
    [1.0, 0.707107, 0.5, 0.353553]
    >>> exponential(s, 1.0, 0.5, 10, staircase=True).tolist()
    [1.0, 1.0, 0.5, 0.5]
    >>> exponential(np.array([0, 4, 5, 14, 15]), 1.0, 0.5, 10, True, start_step=5).tolist()
    [1.0, 1.0, 1.0, 1.0, 0.5]
    """
    # in-place on one work array: the fitter calls this thousands of times on 1e4-1e6 points
    t = np.array(steps, dtype=np.float64)
    t -= start_step
    np.maximum(t, 0.0, out=t)
    t /= decay_steps
    if staircase:
        np.floor(t, out=t)
    if isinstance(decay_rate, np.ndarray):
        # one rate per row (a batched evaluation, ``Family.elementwise``): the same math.log
        # of each, so each row is the one-at-a-time value
        if not np.all(decay_rate > 0):
            raise ValueError("batched rows need decay_rate > 0")
        t *= np.array([math.log(v) for v in decay_rate.ravel().tolist()]).reshape(decay_rate.shape)
        np.exp(t, out=t)
    elif decay_rate > 0:
        t *= math.log(decay_rate)
        np.exp(t, out=t)
    else:
        t = np.power(float(decay_rate), t)
    t *= init_lr
    return t


def _check_exponential(p: Mapping[str, Any]) -> None:
    check_positive("exponential", p, "decay_rate", "decay_steps")


def _decay_part(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points from the maximum on (skips a warmup ramp)."""
    i = int(np.argmax(y)) if y.size else 0
    return x[i:], y[i:]


def _guess_exponential(steps: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    x, y = clean(steps, values)
    x, y = _decay_part(x, y)
    pos = y > 0
    x, y = x[pos], y[pos]
    if x.size < 2 or np.ptp(x) == 0:
        return {"init_lr": float(y[0]) if y.size else 1.0, "decay_rate": 1.0, "decay_steps": 1.0}
    start = flat_head_end(x, y)
    j = big_changes(y)
    # a staircase: mostly flat with a few large jumps
    if j.size and j.size < 0.2 * y.size and np.all(np.abs(np.diff(np.log(y)))[j - 1] > 0):
        levels = np.split(y, j)
        ratios = [b[0] / a[-1] for a, b in zip(levels[:-1], levels[1:], strict=True)]
        d = float(np.median(np.diff(x[j]))) if j.size >= 2 else float(x[j[0]] - x[0])
        first = float(x[j[0]])
        return {
            "init_lr": float(y[0]),
            "decay_rate": float(np.median(ratios)),
            "decay_steps": max(d, 1.0),
            "staircase": True,
            "start_step": max(first - d, 0.0),
        }
    k = float(np.polyfit(x, np.log(y), 1)[0])
    d = round_decade(span(x))
    return {
        "init_lr": float(y[0]),
        "decay_rate": float(math.exp(min(k * d, 0.0))),
        "decay_steps": d,
        "staircase": False,
        "start_step": start,
    }


def _describe_exponential(p: Mapping[str, Any], w: Steps = BARE) -> str:
    stair = " staircase" if param(p, "staircase", False) else ""
    return (
        f"exponential {fmt_lr(param(p, 'init_lr'))} ×{fmt_lr(param(p, 'decay_rate'))} "
        f"per {w.count(param(p, 'decay_steps'))}{stair}{from_start(p, w)}"
    )


def _rate_exponential(p: Mapping[str, Any]) -> tuple[float, float] | None:
    """k = ln(r) / D per step, dk/dln(r) = 1 / D; None for a staircase (r and D both seen)."""
    if p.get("staircase"):
        return None
    r, d = float(p["decay_rate"]), float(p["decay_steps"])
    if not (r > 0 and d > 0):
        return math.nan, math.nan
    return math.log(r) / d, 1.0 / d


EXPONENTIAL = Family(
    name="exponential",
    fn=exponential,
    elementwise=True,
    params=(
        ParamSpec(
            "init_lr", "float", (0.0, None), log=True, doc="LR before the decay", role="level"
        ),
        ParamSpec(
            "decay_rate",
            "float",
            (0.0, None),
            log=True,
            doc="factor per decay_steps (> 0)",
            role="rate",
        ),
        ParamSpec(
            "decay_steps",
            "float",
            (0.0, None),
            log=True,
            doc="steps per factor (> 0)",
            role="step",
            snap=WHOLE_STEP,
        ),
        ParamSpec("staircase", "bool", default=False, doc="floor the exponent", role="choice"),
        ParamSpec(
            "start_step",
            "float",
            (0.0, None),
            default=0,
            doc="decay clock origin; flat at init_lr before it (OD API burnin_steps)",
            role="step",
            snap=WHOLE_STEP,
        ),
    ),
    guess=_guess_exponential,
    summary="init_lr * decay_rate ** ((s - start_step) / decay_steps), optionally floored",
    check=_check_exponential,
    simplicity=2,
    horizon=("decay_steps",),
    key_steps=lambda p, w: start_mark(p),
    describe=_describe_exponential,
    monotone=True,
    floorable=True,
    per_step_rate=_rate_exponential,
    rate_expr="ln(decay_rate)",
)

# --------------------------------------------------------------------------- inverse_time


def inverse_time(
    steps: np.ndarray,
    init_lr: float,
    decay_rate: float,
    decay_steps: float,
    staircase: bool = False,
) -> np.ndarray:
    """Inverse-time decay (TF ``inverse_time_decay``, Keras ``InverseTimeDecay``, Paddle).

    .. math::

        lr(s) = \\frac{lr_0}{1 + r \\, p(s)} \\qquad p(s) = \\frac{\\max(s, 0)}{D}
        \\quad (\\lfloor \\cdot \\rfloor \\text{ if staircase})

    with :math:`lr_0` = ``init_lr``, :math:`r` = ``decay_rate``, :math:`D` = ``decay_steps``.

    >>> s = np.array([0, 5, 10, 20])
    >>> inverse_time(s, init_lr=1.0, decay_rate=1.0, decay_steps=10).round(6).tolist()
    [1.0, 0.666667, 0.5, 0.333333]
    >>> inverse_time(s, 1.0, 1.0, 10, staircase=True).round(6).tolist()
    [1.0, 1.0, 0.5, 0.333333]
    """
    t = np.maximum(steps, 0.0)
    t /= decay_steps
    if staircase:
        np.floor(t, out=t)
    t *= decay_rate
    t += 1.0
    return np.divide(init_lr, t, out=t)


def _check_inverse_time(p: Mapping[str, Any]) -> None:
    check_positive("inverse_time", p, "decay_steps")


def _guess_inverse_time(steps: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    x, y = clean(steps, values)
    x, y = _decay_part(x, y)
    pos = y > 0
    x, y = x[pos], y[pos]
    if x.size < 2 or np.ptp(x) == 0:
        return {"init_lr": float(y[0]) if y.size else 1.0, "decay_rate": 0.0, "decay_steps": 1.0}
    # 1/lr is a straight line in s: lr0 / lr = 1 + r s / D
    slope, icpt = np.polyfit(x, 1.0 / y, 1)
    init = 1.0 / icpt if icpt > 0 else float(y[0])
    d = round_decade(span(x))
    return {
        "init_lr": float(init),
        "decay_rate": float(max(slope * init * d, 0.0)),
        "decay_steps": d,
        "staircase": False,
    }


def _describe_inverse_time(p: Mapping[str, Any], w: Steps = BARE) -> str:
    stair = " staircase" if param(p, "staircase", False) else ""
    return (
        f"inverse_time {fmt_lr(param(p, 'init_lr'))} / (1 + {fmt_lr(param(p, 'decay_rate'))}"
        f"·s/{fmt_step(param(p, 'decay_steps'))}){stair}"
    )


def _rate_inverse_time(p: Mapping[str, Any]) -> tuple[float, float] | None:
    """k = r / D per step, dk/dln(r) = k; None for a staircase (r and D both seen)."""
    if p.get("staircase"):
        return None
    r, d = float(p["decay_rate"]), float(p["decay_steps"])
    if not (r > 0 and d > 0):
        return math.nan, math.nan
    return r / d, abs(r / d)


INVERSE_TIME = Family(
    name="inverse_time",
    fn=inverse_time,
    elementwise=True,
    params=(
        ParamSpec("init_lr", "float", (0.0, None), log=True, doc="LR at step 0", role="level"),
        ParamSpec(
            "decay_rate", "float", (0.0, None), log=True, doc="r in 1 / (1 + r s/D)", role="rate"
        ),
        ParamSpec(
            "decay_steps",
            "float",
            (0.0, None),
            log=True,
            doc="D (> 0)",
            role="step",
            snap=WHOLE_STEP,
        ),
        ParamSpec("staircase", "bool", default=False, doc="floor s / D", role="choice"),
    ),
    guess=_guess_inverse_time,
    summary="init_lr / (1 + decay_rate * s / decay_steps), optionally floored",
    check=_check_inverse_time,
    simplicity=3,
    horizon=("decay_steps",),
    key_steps=lambda p, w: [],
    describe=_describe_inverse_time,
    monotone=True,
    floorable=True,
    per_step_rate=_rate_inverse_time,
    rate_expr="decay_rate",
)

# --------------------------------------------------------------------------- inverse_sqrt


def inverse_sqrt(steps: np.ndarray, peak_lr: float, timescale: float) -> np.ndarray:
    """Inverse square-root decay (Noam / "Attention is all you need", fairseq and HF
    ``inverse_sqrt`` with the default ``timescale = num_warmup_steps``).

    .. math::

        lr(s) = \\begin{cases}
            lr_p & s < \\tau \\\\
            lr_p \\sqrt{\\tau / s} & s \\ge \\tau
        \\end{cases}

    with :math:`lr_p` = ``peak_lr`` and :math:`\\tau` = ``timescale``. With a warmup of
    :math:`W = \\tau` steps this is Noam's
    :math:`d^{-1/2} \\min(s^{-1/2}, s W^{-3/2})` with :math:`lr_p = (d W)^{-1/2}`.

    >>> inverse_sqrt(np.array([0, 99, 100, 400]), peak_lr=1.0, timescale=100).tolist()
    [1.0, 1.0, 1.0, 0.5]
    """
    return peak_lr * np.sqrt(timescale / np.maximum(steps, timescale))


def _check_inverse_sqrt(p: Mapping[str, Any]) -> None:
    check_positive("inverse_sqrt", p, "timescale")


def _guess_inverse_sqrt(steps: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    x, y = clean(steps, values)
    x, y = _decay_part(x, y)
    if y.size == 0:
        return {"peak_lr": 1.0, "timescale": 1.0}
    peak = float(y[0])
    later = (x > 0) & (y > 0) & (y < peak * (1 - 1e-6))
    if not later.any():
        return {"peak_lr": peak, "timescale": max(float(x[-1]), 1.0)}
    # lr = peak sqrt(tau / s)  =>  tau = s (lr / peak)^2
    tau = float(np.median(x[later] * (y[later] / peak) ** 2))
    return {"peak_lr": peak, "timescale": max(tau, 1.0)}


def _describe_inverse_sqrt(p: Mapping[str, Any], w: Steps = BARE) -> str:
    return f"inverse_sqrt {fmt_lr(param(p, 'peak_lr'))} timescale {w.count(param(p, 'timescale'))}"


#: A point this close below ``timescale`` (relative) is on the flat part.
_BEFORE = 1e-9


def _hidden_inverse_sqrt(
    p: Mapping[str, Any], x: np.ndarray, first_seen: float
) -> tuple[tuple[str, ...], str] | None:
    """The flat part before ``timescale`` hidden by a warmup or before the first logged step:
    ``peak_lr * sqrt(timescale / s)`` then fixes only ``peak_lr * sqrt(timescale)``."""
    if "timescale" not in p:
        return None
    tau = float(p["timescale"])
    # the point at the warmup end itself is the warmup's target, not a view of the flat part
    if int(np.sum((x > first_seen) & (x < tau * (1 - _BEFORE)))) >= 2:
        return None
    why = (
        "the flat part before timescale is not observed (warmup or first logged step "
        "after it): only peak_lr * sqrt(timescale) is identified"
    )
    return ("peak_lr", "timescale"), why


INVERSE_SQRT = Family(
    name="inverse_sqrt",
    fn=inverse_sqrt,
    elementwise=True,
    params=(
        ParamSpec(
            "peak_lr", "float", (0.0, None), log=True, doc="LR for s <= timescale", role="level"
        ),
        ParamSpec(
            "timescale",
            "float",
            (0.0, None),
            log=True,
            doc="step where the decay starts",
            role="step",
        ),
    ),
    guess=_guess_inverse_sqrt,
    summary="peak_lr * sqrt(timescale / max(s, timescale))",
    check=_check_inverse_sqrt,
    simplicity=4,
    horizon=("timescale",),
    key_steps=lambda p, w: [],
    describe=_describe_inverse_sqrt,
    monotone=True,
    floorable=True,
    hidden=_hidden_inverse_sqrt,
)

FAMILIES = (
    EXPONENTIAL,
    INVERSE_TIME,
    INVERSE_SQRT,
)
