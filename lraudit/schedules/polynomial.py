"""Polynomial decays: ``polynomial`` (linear when power 1) and ``warmup_stable_decay`` (WSD)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lraudit.curves import flat_head_end, settled_from
from lraudit.schedules._common import best_of, check_positive, clean
from lraudit.schedules.base import WHOLE_STEP, Family, ParamSpec
from lraudit.schedules.text import BARE, Steps, decay_end_marks, decay_span, fmt_lr, param

# --------------------------------------------------------------------------- polynomial


def polynomial(
    steps: np.ndarray,
    init_lr: float,
    end_lr: float,
    decay_steps: float,
    power: float = 1.0,
    start_step: float = 0.0,
) -> np.ndarray:
    """Polynomial decay, clamped (TF ``polynomial_decay`` without ``cycle``, Keras/Paddle
    ``PolynomialDecay``, torch ``PolynomialLR`` and decaying ``LinearLR``, HF ``linear`` and
    ``polynomial``, optax ``polynomial_schedule``/``linear_schedule``).

    .. math::

        lr(s) = \\begin{cases}
            lr_0 & s < s_0 \\\\
            lr_e + (lr_0 - lr_e) \\left(1 - \\frac{s - s_0}{D}\\right)^{k}
                & s_0 \\le s < s_0 + D \\\\
            lr_e & s \\ge s_0 + D
        \\end{cases}

    with :math:`lr_0` = ``init_lr``, :math:`lr_e` = ``end_lr``, :math:`D` = ``decay_steps``,
    :math:`k` = ``power``, :math:`s_0` = ``start_step``.

    >>> s = np.array([0, 10, 15, 20, 30])
    >>> polynomial(s, init_lr=1.0, end_lr=0.0, decay_steps=10, power=2.0,
    ...            start_step=10).tolist()
    [1.0, 1.0, 0.25, 0.0, 0.0]
    """
    t = np.array(steps, dtype=np.float64)
    t -= start_step
    # np.clip without its wrapper's per-call cost (the optimiser calls this thousands of times)
    np.minimum(np.maximum(t, 0.0, out=t), decay_steps, out=t)
    t /= -decay_steps
    t += 1.0
    if isinstance(power, np.ndarray):
        # one power per row (a batched evaluation, ``Family.elementwise``): row by row with a
        # scalar power, so each row is the one-at-a-time value (numpy's power with an array
        # exponent can differ in the last bit)
        for row, pw in zip(t, np.broadcast_to(power, (t.shape[0], 1))[:, 0].tolist(), strict=True):
            if pw != 1.0:
                np.power(row, pw, out=row)
    elif power != 1.0:
        np.power(t, power, out=t)
    t *= init_lr - end_lr
    t += end_lr
    return t


def _check_polynomial(p: Mapping[str, Any]) -> None:
    check_positive("polynomial", p, "decay_steps", "power")


def _decay_part(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    i = int(np.argmax(y)) if y.size else 0
    return x[i:], y[i:]


def _flat_tail(x: np.ndarray, y: np.ndarray) -> float | None:
    """First step of a flat tail at the last value (the decay has ended), or None."""
    tail = settled_from(y)
    return None if tail is None else float(x[tail])


def _guess_polynomial(steps: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    x, y = clean(steps, values)
    if y.size < 2:
        v = float(y[0]) if y.size else 1.0
        return {"init_lr": v, "end_lr": 0.0, "decay_steps": 1.0, "power": 1.0, "start_step": 0}
    x, y = _decay_part(x, y)
    init = float(y[0])
    start = max(flat_head_end(x, y), float(x[0]))
    stop = _flat_tail(x, y)
    if stop is not None:
        end, d = float(y[-1]), stop - start
    else:
        end = 0.0
        slope = float(np.polyfit(x, y, 1)[0]) if x.size >= 2 and np.ptp(x) > 0 else 0.0
        d = (init - end) / -slope if slope < 0 else 10 * (float(x[-1]) + 1)
    d = max(d, 1.0)
    power = 1.0
    # (y - end) / (init - end) = (1 - t / D)^power: a straight line through 0 in log-log
    t = (x - start) / d
    q = (y - end) / (init - end) if init > end else np.zeros_like(y)
    ok = (t > 0) & (t < 1) & (q > 0) & (q < 1)
    if ok.sum() >= 2:
        lx, ly = np.log1p(-t[ok]), np.log(q[ok])
        power = float(np.clip(np.dot(lx, ly) / np.dot(lx, lx), 0.05, 20.0))
    base = {"init_lr": init, "end_lr": end, "decay_steps": d, "start_step": start}
    if stop is not None:
        return {**base, "power": power}
    # the horizon is not seen: power and D trade off; keep the best of a few pairs
    cands = [{**base, "power": power}]
    for pw in (0.5, 1.0, 2.0, 3.0):
        slope = float(np.polyfit(x, y, 1)[0]) if np.ptp(x) > 0 else 0.0
        dd = pw * (init - end) / -slope if slope < 0 else d
        cands.append({**base, "power": pw, "decay_steps": max(dd, float(x[-1] - start) + 1)})
    return best_of(polynomial, x, y, cands)


def _describe_polynomial(p: Mapping[str, Any], w: Steps = BARE) -> str:
    power = param(p, "power", 1.0)
    name = "linear" if float(power) == 1.0 else f"polynomial^{fmt_lr(power)}"
    init, end = fmt_lr(param(p, "init_lr")), fmt_lr(param(p, "end_lr", 0.0))
    return f"{name} {init}→{end} over {decay_span(p, w)}"


POLYNOMIAL = Family(
    name="polynomial",
    fn=polynomial,
    elementwise=True,
    params=(
        ParamSpec(
            "init_lr", "float", (0.0, None), log=True, doc="LR at the decay start", role="level"
        ),
        ParamSpec(
            "end_lr",
            "float",
            (0.0, None),
            default=0.0,
            doc="LR after the decay",
            role="level",
            end=True,
        ),
        ParamSpec(
            "decay_steps",
            "float",
            (0.0, None),
            log=True,
            doc="length D (> 0)",
            role="step",
            snap=WHOLE_STEP,
        ),
        ParamSpec(
            "power", "float", (0.0, None), default=1.0, log=True, doc="exponent k > 0", role="shape"
        ),
        ParamSpec(
            "start_step",
            "float",
            (0.0, None),
            default=0,
            doc="decay start; flat at init_lr before it",
            role="step",
            snap=WHOLE_STEP,
        ),
    ),
    guess=_guess_polynomial,
    summary="end_lr + (init_lr - end_lr) (1 - (s - start_step)/decay_steps)**power, clamped",
    check=_check_polynomial,
    simplicity=5,
    horizon=("decay_steps",),
    key_steps=decay_end_marks,
    describe=_describe_polynomial,
    monotone=True,
    floorable=True,
)

# --------------------------------------------------------------------------- WSD

_SHAPES = ("linear", "cosine", "1-sqrt")


def warmup_stable_decay(
    steps: np.ndarray,
    peak_lr: float,
    stable_steps: float,
    decay_steps: float,
    end_lr: float = 0.0,
    decay_shape: str = "cosine",
) -> np.ndarray:
    """Warmup-stable-decay (HF ``warmup_stable_decay``), counted from the end of the warmup.

    The family's clock starts where the warmup ends (:math:`u = s - W`; the registry shifts it,
    ``warmup_relative``), so ``stable_steps`` and ``decay_steps`` are HF's
    ``num_stable_steps`` and ``num_decay_steps``:

    .. math::

        lr(u) = \\begin{cases}
            lr_p & u < S \\\\
            lr_e + (lr_p - lr_e)\\, g\\!\\left(\\frac{u - S}{D}\\right) & S \\le u < S + D \\\\
            lr_e & u \\ge S + D
        \\end{cases}
        \\qquad g(p) = \\begin{cases}
            1 - p & \\text{linear} \\\\
            \\tfrac12 (1 + \\cos \\pi p) & \\text{cosine} \\\\
            1 - \\sqrt{p} & \\text{1-sqrt}
        \\end{cases}

    with :math:`lr_p` = ``peak_lr``, :math:`S` = ``stable_steps``, :math:`D` = ``decay_steps``,
    :math:`lr_e` = ``end_lr`` (HF ``min_lr_ratio * lr``), :math:`g` = ``decay_shape``.

    >>> u = np.array([0, 2, 3, 5, 7, 9])
    >>> warmup_stable_decay(u, 1.0, stable_steps=3, decay_steps=4, end_lr=0.1,
    ...                     decay_shape="linear").round(6).tolist()
    [1.0, 1.0, 1.0, 0.55, 0.1, 0.1]
    """
    p = np.clip((steps - stable_steps) / decay_steps, 0.0, 1.0)
    if decay_shape == "linear":
        g = 1.0 - p
    elif decay_shape == "cosine":
        g = 0.5 * (1.0 + np.cos(np.pi * p))
    else:
        g = 1.0 - np.sqrt(p)
    return end_lr + (peak_lr - end_lr) * g


def _check_wsd(p: Mapping[str, Any]) -> None:
    check_positive("warmup_stable_decay", p, "decay_steps")


def _guess_wsd(steps: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    x, y = clean(steps, values)
    if y.size < 2:
        v = float(y[0]) if y.size else 1.0
        return {"peak_lr": v, "stable_steps": 0.0, "decay_steps": 1.0, "end_lr": 0.0}
    x, y = _decay_part(x, y)
    # the clock is relative to the warmup end, taken here as the first point at the peak
    x = x - x[0]
    stop = flat_head_end(x, y)
    tail = _flat_tail(x, y)
    end = float(y[-1]) if tail is not None else 0.0
    d = (tail - stop) if tail is not None else 2 * (float(x[-1]) - stop)
    base = {"peak_lr": float(y[0]), "stable_steps": stop, "decay_steps": max(d, 1.0)}
    cands = [{**base, "end_lr": end, "decay_shape": sh} for sh in _SHAPES]
    return best_of(warmup_stable_decay, x, y, cands)


def _describe_wsd(p: Mapping[str, Any], w: Steps = BARE) -> str:
    return (
        f"stable {fmt_lr(param(p, 'peak_lr'))} for {w.count(param(p, 'stable_steps'))} + "
        f"{param(p, 'decay_shape', 'linear')} decay →{fmt_lr(param(p, 'end_lr', 0.0))} "
        f"over {w.count(param(p, 'decay_steps'))}"
    )


def _wsd_marks(p: Mapping[str, Any], w: float) -> list[float]:
    # the clock starts at the warmup end: the decay starts W + stable_steps
    return [float(w) + float(p["stable_steps"])] if p.get("stable_steps") is not None else []


WSD = Family(
    name="warmup_stable_decay",
    fn=warmup_stable_decay,
    elementwise=True,
    params=(
        ParamSpec(
            "peak_lr", "float", (0.0, None), log=True, doc="LR of the stable phase", role="level"
        ),
        ParamSpec(
            "stable_steps",
            "float",
            (0.0, None),
            log=True,
            doc="stable length after warmup",
            role="step",
            snap=WHOLE_STEP,
        ),
        ParamSpec(
            "decay_steps",
            "float",
            (0.0, None),
            log=True,
            doc="decay length (> 0)",
            role="step",
            snap=WHOLE_STEP,
        ),
        ParamSpec(
            "end_lr",
            "float",
            (0.0, None),
            default=0.0,
            doc="LR after the decay",
            role="level",
            end=True,
        ),
        ParamSpec(
            "decay_shape",
            "choice",
            choices=_SHAPES,
            default="cosine",
            doc="linear | cosine | 1-sqrt (HF decay_type, default cosine)",
            role="choice",
        ),
    ),
    guess=_guess_wsd,
    summary="peak_lr for stable_steps after the warmup, then a decay to end_lr",
    check=_check_wsd,
    warmup_relative=True,
    simplicity=7,
    horizon=("stable_steps", "decay_steps"),
    key_steps=_wsd_marks,
    describe=_describe_wsd,
    monotone=True,
)

FAMILIES = (
    POLYNOMIAL,
    WSD,
)
