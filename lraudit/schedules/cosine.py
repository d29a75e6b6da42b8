"""Cosine families: ``cosine`` (one half-period, then flat) and ``cosine_restarts`` (SGDR)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from lraudit.curves import TINY, flat_head_end, settled_from
from lraudit.schedules._common import check_positive, clean
from lraudit.schedules.base import WHOLE_MULT, WHOLE_STEP, Family, ParamSpec
from lraudit.schedules.text import BARE, Steps, decay_end_marks, decay_span, fmt_lr, param

# --------------------------------------------------------------------------- cosine


def cosine(
    steps: np.ndarray,
    peak_lr: float,
    end_lr: float,
    decay_steps: float,
    start_step: float = 0.0,
    after_end: str = "hold",
) -> np.ndarray:
    """Cosine decay, clamped (TF ``cosine_decay``, Keras ``CosineDecay``, torch
    ``CosineAnnealingLR`` up to ``T_max``, HF ``cosine``, OD API ``cosine_decay_with_warmup``).

    .. math::

        lr(s) = \\begin{cases}
            lr_p & s < s_0 \\\\
            lr_e + \\frac{lr_p - lr_e}{2}
                \\left(1 + \\cos\\frac{\\pi (s - s_0)}{D}\\right) & s_0 \\le s < s_0 + D \\\\
            lr_e & s \\ge s_0 + D
        \\end{cases}

    with :math:`lr_p` = ``peak_lr``, :math:`lr_e` = ``end_lr``, :math:`D` = ``decay_steps``,
    :math:`s_0` = ``start_step`` (the end of a warmup plus any hold at the peak). With
    ``after_end="hold"`` (the default: TF, Keras, OD API, timm) the LR stays at ``end_lr`` after
    :math:`s_0 + D`; with ``after_end="rise"`` the middle case holds for every
    :math:`s \\ge s_0`: the cosine climbs back to ``peak_lr`` at :math:`s_0 + 2D` and keeps
    oscillating with period :math:`2D`, as torch's ``CosineAnnealingLR`` does past ``T_max``
    (a run longer than ``T_max``, or ``T_max`` in epochs with the scheduler stepped every
    iteration).

    >>> s = np.array([0, 9, 10, 60, 109, 110, 200])
    >>> cosine(s, peak_lr=1.0, end_lr=0.1, decay_steps=100, start_step=10).round(6).tolist()
    [1.0, 1.0, 1.0, 0.55, 0.100222, 0.1, 0.1]
    >>> s = np.array([60, 110, 160, 210])
    >>> cosine(s, 1.0, 0.1, 100, 10, after_end="rise").round(6).tolist()
    [0.55, 0.1, 0.55, 1.0]
    """
    t = np.array(steps, dtype=np.float64)
    t -= start_step
    if after_end == "rise":
        np.maximum(t, 0.0, out=t)
    else:
        np.minimum(np.maximum(t, 0.0, out=t), decay_steps, out=t)  # np.clip, cheaper
    t *= np.pi / decay_steps
    np.cos(t, out=t)
    t += 1.0
    t *= 0.5 * (peak_lr - end_lr)
    t += end_lr
    return t


def _check_cosine(p: Mapping[str, Any]) -> None:
    check_positive("cosine", p, "decay_steps")


def _decay_part(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    i = int(np.argmax(y)) if y.size else 0
    return x[i:], y[i:]


def _guess_cosine(steps: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    x, y = clean(steps, values)
    if y.size < 2:
        v = float(y[0]) if y.size else 1.0
        return {"peak_lr": v, "end_lr": 0.0, "decay_steps": 1.0, "start_step": 0.0}
    x, y = _decay_part(x, y)
    peak = float(y[0])
    start = max(flat_head_end(x, y), float(x[0]))
    lo = float(y[-1])
    # a flat tail means the decay completed: end_lr and the horizon are read off directly
    tail = settled_from(y)
    if tail is not None:
        end, d = lo, float(x[tail]) - start
    else:
        end = 0.0
        q = np.clip((lo - end) / max(peak - end, TINY), -1.0, 1.0)
        ang = float(np.arccos(2 * q - 1))
        d = (float(x[-1]) - start) * np.pi / ang if ang > 1e-6 else 10 * (float(x[-1]) + 1)
    return {"peak_lr": peak, "end_lr": end, "decay_steps": max(d, 1.0), "start_step": start}


def _describe_cosine(p: Mapping[str, Any], w: Steps = BARE) -> str:
    peak, end = fmt_lr(param(p, "peak_lr")), fmt_lr(param(p, "end_lr", 0.0))
    text = f"cosine {peak}→{end} over {decay_span(p, w)}"
    if param(p, "after_end", "hold") == "rise":
        text += ", then rising again (period 2x that: torch CosineAnnealingLR past T_max)"
    return text


COSINE = Family(
    name="cosine",
    fn=cosine,
    elementwise=True,
    params=(
        ParamSpec(
            "peak_lr", "float", (0.0, None), log=True, doc="LR at the decay start", role="level"
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
            "start_step",
            "float",
            (0.0, None),
            default=0,
            doc="decay start (warmup + hold); flat at peak_lr before it",
            role="step",
            snap=WHOLE_STEP,
        ),
        ParamSpec(
            "after_end",
            "choice",
            choices=("hold", "rise"),
            default="hold",
            doc="past start_step + decay_steps: hold end_lr, or rise again along the cosine "
            "(torch CosineAnnealingLR past T_max)",
            role="choice",
        ),
    ),
    guess=_guess_cosine,
    summary="half cosine from peak_lr to end_lr over decay_steps from start_step, then flat "
    "(or rising again)",
    check=_check_cosine,
    simplicity=6,
    horizon=("decay_steps",),
    key_steps=decay_end_marks,
    describe=_describe_cosine,
    monotone=True,
    rising={"after_end": "rise"},
    floorable=True,
)

# --------------------------------------------------------------------------- cosine_restarts


def cosine_restarts(
    steps: np.ndarray,
    peak_lr: float,
    end_lr: float,
    first_period: float,
    period_mult: float = 1.0,
    peak_decay: float = 1.0,
    start_step: float = 0.0,
) -> np.ndarray:
    """Cosine with warm restarts, SGDR (TF ``cosine_decay_restarts``, Keras
    ``CosineDecayRestarts``, torch ``CosineAnnealingWarmRestarts``, HF ``cosine_with_restarts``,
    i.e. ``get_cosine_with_hard_restarts_schedule_with_warmup``).

    .. math::

        lr(s) = lr_e + (lr_p - lr_e)\\, m^{i} \\, \\tfrac12 \\left(1 + \\cos \\pi \\varphi\\right)

    where, on the clock :math:`u = \\max(s - s_0, 0)`, cycle :math:`i` starts at
    :math:`S_i = F (1 + t + \\dots + t^{i-1})` and lasts :math:`F t^i` steps,
    :math:`\\varphi = (u - S_i) / (F t^i) \\in [0, 1)`; :math:`lr_p` = ``peak_lr``,
    :math:`lr_e` = ``end_lr``, :math:`F` = ``first_period``, :math:`t` = ``period_mult``,
    :math:`m` = ``peak_decay``, :math:`s_0` = ``start_step`` (default 0; the warmup end when the
    cycles are counted from there, as Hugging Face does; ``peak_lr`` before it). Only the
    amplitude decays; the floor is not scaled (TF's ``alpha * lr``). The LR never reaches
    ``end_lr``: it restarts at ``peak`` first.

    >>> s = np.array([0, 5, 9, 10, 20, 30])
    >>> cosine_restarts(s, 1.0, 0.0, first_period=10, period_mult=2.0, peak_decay=0.5).round(
    ...     6).tolist()
    [1.0, 0.5, 0.024472, 0.5, 0.25, 0.25]
    >>> cosine_restarts(s + 4, 1.0, 0.0, 10, 2.0, 0.5, start_step=4).round(6).tolist()
    [1.0, 0.5, 0.024472, 0.5, 0.25, 0.25]
    """
    u = np.maximum(np.subtract(steps, start_step, dtype=np.float64), 0.0)
    u /= first_period
    if period_mult == 1.0:
        i = np.floor(u)
        phi = u - i
    else:
        # cycle starts S_i = 1 + t + ... + t^(i-1) (in units of first_period), as a table; the
        # cumulative sum is exact for whole t, so restarts fall exactly where torch and TF put them
        u_max = float(np.max(u)) if u.size else 0.0
        lt = math.log(period_mult)
        n = int(math.log1p(u_max * (period_mult - 1.0)) / lt) + 2
        if n <= 100_000:
            starts = np.zeros(n + 1)
            powers = np.power(float(period_mult), np.arange(n, dtype=np.float64))
            np.cumsum(powers, out=starts[1:])
            k = np.searchsorted(starts, u, side="right") - 1
            phi = u - starts[k]
            phi /= starts[k + 1] - starts[k]
            i = k.astype(np.float64)
        else:  # very many short cycles (a fitter far from the data): closed form
            i = np.floor(np.log1p(u * (period_mult - 1.0)) / lt)
            length = np.exp(i * lt)
            phi = u - (length - 1.0) / (period_mult - 1.0)
            phi /= length
        np.minimum(np.maximum(phi, 0.0, out=phi), 1.0, out=phi)  # np.clip, cheaper
    # amplitude: (peak - end) * peak_decay^i * (1 + cos(pi phi)) / 2
    phi *= np.pi
    np.cos(phi, out=phi)
    phi += 1.0
    phi *= 0.5 * (peak_lr - end_lr)
    if peak_decay != 1.0:
        i *= math.log(peak_decay) if peak_decay > 0 else -np.inf
        phi *= np.exp(i)
    phi += end_lr
    return phi


def _check_restarts(p: Mapping[str, Any]) -> None:
    # period_mult >= 1 is a ParamSpec bound: shrinking periods end after finitely many steps
    check_positive("cosine_restarts", p, "first_period", "peak_decay")


def _guess_restarts(steps: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    x, y = clean(steps, values)
    if y.size < 2:
        v = float(y[0]) if y.size else 1.0
        return {"peak_lr": v, "end_lr": 0.0, "first_period": 1.0}
    # restarts: upward jumps
    up = np.nonzero(np.diff(y) > 1e-3 * np.max(np.abs(y)))[0] + 1
    peak = float(y[0])
    end = max(float(np.min(y)) * 0.5, 0.0)
    if up.size == 0:
        return {
            "peak_lr": peak,
            "end_lr": end,
            "first_period": max(float(x[-1] - x[0]) * 2, 1.0),
            "period_mult": 1.0,
            "peak_decay": 1.0,
        }
    starts = x[up]
    first = float(starts[0])
    mult = float((starts[1] - starts[0]) / first) if starts.size >= 2 and first > 0 else 1.0
    decay = float((y[up[0]] - end) / max(peak - end, TINY))
    return {
        "peak_lr": peak,
        "end_lr": end,
        "first_period": max(first, 1.0),
        "period_mult": max(mult, 1.0),
        "peak_decay": min(max(decay, 1e-6), 1.0),
    }


def _describe_restarts(p: Mapping[str, Any], w: Steps = BARE) -> str:
    return (
        f"cosine restarts {fmt_lr(param(p, 'peak_lr'))}→{fmt_lr(param(p, 'end_lr', 0.0))} "
        f"period {w.count(param(p, 'first_period'))} ×{fmt_lr(param(p, 'period_mult', 1.0))}, "
        f"peak ×{fmt_lr(param(p, 'peak_decay', 1.0))}"
    )


def _restart_marks(p: Mapping[str, Any], w: float) -> list[float]:
    s0 = float(p.get("start_step") or 0.0)
    return [s0 + float(p["first_period"])] if p.get("first_period") else []


COSINE_RESTARTS = Family(
    name="cosine_restarts",
    fn=cosine_restarts,
    params=(
        ParamSpec("peak_lr", "float", (0.0, None), log=True, doc="LR at step 0", role="level"),
        ParamSpec(
            "end_lr",
            "float",
            (0.0, None),
            default=0.0,
            doc="floor of every cycle",
            role="level",
            end=True,
        ),
        ParamSpec(
            "first_period",
            "float",
            (0.0, None),
            log=True,
            doc="first cycle length",
            role="step",
            snap=WHOLE_STEP,
        ),
        ParamSpec(
            "period_mult",
            "float",
            (1.0, None),
            default=1.0,
            log=True,
            doc="cycle growth",
            role="rate",
            snap=WHOLE_MULT,
        ),
        ParamSpec(
            "peak_decay",
            "float",
            (0.0, None),
            default=1.0,
            log=True,
            doc="amplitude factor per cycle",
            role="rate",
        ),
        ParamSpec(
            "start_step",
            "float",
            (0.0, None),
            default=0,
            doc="where the first cycle starts (a warmup end); peak_lr before it",
            role="step",
            snap=WHOLE_STEP,
        ),
    ),
    guess=_guess_restarts,
    summary="SGDR: cosine cycles of length first_period * period_mult**i",
    check=_check_restarts,
    simplicity=9,
    horizon=("first_period",),
    key_steps=_restart_marks,
    describe=_describe_restarts,
)

FAMILIES = (
    COSINE,
    COSINE_RESTARTS,
)
