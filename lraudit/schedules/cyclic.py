"""Families that rise and fall: ``cyclic`` (CLR) and ``one_cycle``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from lraudit.curves import TINY, settled_from
from lraudit.errors import ScheduleError
from lraudit.schedules._common import best_of, check_positive, clean
from lraudit.schedules.base import WHOLE_STEP, Family, ParamSpec
from lraudit.schedules.text import BARE, Steps, fmt_lr, param

# --------------------------------------------------------------------------- cyclic

_MODES = ("triangular", "triangular2", "exp_range")


def cyclic(
    steps: np.ndarray,
    base_lr: float,
    max_lr: float,
    step_size_up: float,
    step_size_down: float,
    mode: str = "triangular",
    gamma: float = 1.0,
) -> np.ndarray:
    """Cyclical LR (Smith 2017; bckenstler/CLR ``CyclicLR``; torch ``CyclicLR``).

    With :math:`C = U + D_n` and :math:`c(s) = \\lfloor s / C \\rfloor` (0-based cycle),
    :math:`x = s - cC` the position in the cycle:

    .. math::

        lr(s) = lr_b + (lr_m - lr_b)\\, h(x)\\, a(s), \\qquad h(x) = \\begin{cases}
            x / U & 0 \\le x \\le U \\\\
            (C - x) / D_n & U < x < C
        \\end{cases}

    with amplitude :math:`a = 1` (``triangular``), :math:`2^{-c}` (``triangular2``) or
    :math:`\\gamma^{s}` (``exp_range``, :math:`s` = iterations since the start, as the CLR and
    torch code do); :math:`lr_b` = ``base_lr``, :math:`lr_m` = ``max_lr``, :math:`U` =
    ``step_size_up``, :math:`D_n` = ``step_size_down`` (CLR's symmetric ``step_size`` is
    :math:`U = D_n`), :math:`\\gamma` = ``gamma``. Peaks at :math:`U + kC`.

    >>> s = np.array([0, 2, 5, 7, 12])
    >>> cyclic(s, 0.1, 1.0, step_size_up=2, step_size_down=3).round(6).tolist()
    [0.1, 1.0, 0.1, 1.0, 1.0]
    >>> cyclic(s, 0.1, 1.0, 2, 3, mode="triangular2").round(6).tolist()
    [0.1, 1.0, 0.1, 0.55, 0.325]
    >>> cyclic(np.array([0, 2]), 0.1, 1.0, 2, 3, mode="exp_range", gamma=0.9).round(6).tolist()
    [0.1, 0.829]
    """
    s = np.maximum(steps, 0.0)
    total = step_size_up + step_size_down
    ratio = step_size_up / total
    x = s / total
    cyc = np.floor(x)  # 0-based cycle index
    x -= cyc
    # rise x / r up to the peak, fall (1 - x) / (1 - r) after it: the smaller of the two
    h = np.subtract(1.0, x)
    h /= 1.0 - ratio
    x /= ratio
    np.minimum(x, h, out=h)
    if mode == "triangular2":
        cyc *= -math.log(2.0)
        h *= np.exp(cyc, out=cyc)
    elif mode == "exp_range":
        h *= np.power(float(gamma), s)
    h *= max_lr - base_lr
    h += base_lr
    return h


def _check_cyclic(p: Mapping[str, Any]) -> None:
    check_positive("cyclic", p, "step_size_up", "step_size_down", "gamma")


def _guess_cyclic(steps: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    x, y = clean(steps, values)
    if y.size < 3:
        v = float(y[0]) if y.size else 1.0
        return {"base_lr": v, "max_lr": v, "step_size_up": 1.0, "step_size_down": 1.0}
    base, top = float(np.min(y)), float(np.max(y))
    d = np.sign(np.diff(y))
    peaks = np.nonzero((d[:-1] > 0) & (d[1:] <= 0))[0] + 1
    troughs = np.nonzero((d[:-1] < 0) & (d[1:] >= 0))[0] + 1
    up = float(x[peaks[0]] - x[0]) if peaks.size else float(x[-1] - x[0])
    down = up
    if peaks.size and troughs.size:
        after = troughs[troughs > peaks[0]]
        if after.size:
            down = float(x[after[0]] - x[peaks[0]])
    mode = "triangular"
    if peaks.size >= 2:
        r = (y[peaks[1]] - base) / max(y[peaks[0]] - base, TINY)
        if abs(r - 0.5) < 0.05:
            mode = "triangular2"
        elif r < 0.97:
            mode = "exp_range"
    gamma = 1.0
    if mode == "exp_range" and peaks.size >= 2:
        r = (y[peaks[1]] - base) / max(y[peaks[0]] - base, TINY)
        gamma = float(r ** (1.0 / max(x[peaks[1]] - x[peaks[0]], 1.0)))
    return {
        "base_lr": base,
        "max_lr": top,
        "step_size_up": max(up, 1.0),
        "step_size_down": max(down, 1.0),
        "mode": mode,
        "gamma": gamma,
    }


def _describe_cyclic(p: Mapping[str, Any], w: Steps = BARE) -> str:
    mode = param(p, "mode", "triangular")
    gamma = param(p, "gamma", 1.0)
    g = f" γ {fmt_lr(gamma)}" if mode == "exp_range" else ""
    return (
        f"cyclic {mode} {fmt_lr(param(p, 'base_lr'))}↔{fmt_lr(param(p, 'max_lr'))} "
        f"up {w.count(param(p, 'step_size_up'))} down {w.count(param(p, 'step_size_down'))}{g}"
    )


CYCLIC = Family(
    name="cyclic",
    fn=cyclic,
    elementwise=True,
    params=(
        ParamSpec(
            "base_lr", "float", (0.0, None), log=True, doc="LR at each cycle start", role="level"
        ),
        ParamSpec(
            "max_lr", "float", (0.0, None), log=True, doc="peak of the first cycle", role="level"
        ),
        ParamSpec("step_size_up", "float", (0.0, None), log=True, doc="rise length U", role="step"),
        ParamSpec("step_size_down", "float", (0.0, None), log=True, doc="fall length", role="step"),
        ParamSpec(
            "mode",
            "choice",
            choices=_MODES,
            default="triangular",
            doc="amplitude policy: triangular | triangular2 | exp_range",
            role="choice",
        ),
        ParamSpec(
            "gamma",
            "float",
            (0.0, None),
            default=1.0,
            log=True,
            doc="exp_range factor",
            role="rate",
        ),
    ),
    guess=_guess_cyclic,
    summary="triangular cycles between base_lr and max_lr (CLR modes)",
    check=_check_cyclic,
    simplicity=10,
    key_steps=lambda p, w: [],
    describe=_describe_cyclic,
    own_rise=True,
)

# --------------------------------------------------------------------------- one_cycle

_ANNEAL = ("cos", "linear")


def _anneal(start: Any, end: Any, pct: np.ndarray, anneal: str) -> np.ndarray:
    if anneal == "cos":
        return end + (start - end) * 0.5 * (1.0 + np.cos(np.pi * pct))
    return start + (end - start) * pct


def one_cycle(
    steps: np.ndarray,
    max_lr: float,
    total_steps: float,
    pct_start: float = 0.3,
    init_lr: float = 0.0,
    end_lr: float = 0.0,
    anneal: str = "cos",
    three_phase: bool = False,
) -> np.ndarray:
    """One-cycle policy (torch ``OneCycleLR``; optax ``cosine_onecycle_schedule``).

    Phase ends (torch's convention, 0-based steps): :math:`e_1 = pT - 1`, then
    :math:`e_3 = T - 1` and, with ``three_phase``, :math:`e_2 = 2pT - 2`:

    .. math::

        lr(s) = \\begin{cases}
            A(lr_0, lr_m, s / e_1) & s \\le e_1 \\\\
            A(lr_m, lr_e, (s - e_1)/(e_3 - e_1)) & e_1 < s \\text{ (two phases)} \\\\
            A(lr_m, lr_0, (s - e_1)/(e_2 - e_1)) & e_1 < s \\le e_2 \\text{ (three phases)} \\\\
            A(lr_0, lr_e, (s - e_2)/(e_3 - e_2)) & s > e_2 \\text{ (three phases)}
        \\end{cases}

    :math:`A(a, b, q) = b + \\frac{a - b}{2}(1 + \\cos \\pi q)` (``anneal="cos"``) or
    :math:`a + (b - a) q` (``"linear"``), with :math:`q` clipped to [0, 1] (torch extrapolates
    one step past :math:`T - 1`, then raises; this family stays at ``end_lr``). :math:`lr_m` =
    ``max_lr``, :math:`T` = ``total_steps``, :math:`p` = ``pct_start``, :math:`lr_0` =
    ``init_lr`` (torch ``max_lr / div_factor``), :math:`lr_e` = ``end_lr`` (torch
    ``init_lr / final_div_factor``).

    >>> s = np.array([0, 2, 9, 10])
    >>> one_cycle(s, 1.0, total_steps=10, pct_start=0.3, init_lr=0.04, end_lr=4e-6).round(
    ...     6).tolist()
    [0.04, 1.0, 4e-06, 4e-06]
    >>> one_cycle(np.array([0, 2, 4, 9]), 1.0, 10, 0.3, 0.04, 4e-6, "linear", True).round(
    ...     6).tolist()
    [0.04, 1.0, 0.04, 4e-06]
    """
    s = np.asarray(steps, dtype=np.float64)
    e1 = float(pct_start) * total_steps - 1.0
    e3 = float(total_steps) - 1.0
    q1 = np.clip(s / e1, 0.0, 1.0) if e1 > 0 else np.ones_like(s)
    out = _anneal(init_lr, max_lr, q1, anneal)
    if three_phase:
        e2 = 2.0 * float(pct_start) * total_steps - 2.0
        q2 = np.clip((s - e1) / (e2 - e1), 0.0, 1.0) if e2 > e1 else np.ones_like(s)
        q3 = np.clip((s - e2) / (e3 - e2), 0.0, 1.0) if e3 > e2 else np.ones_like(s)
        out = np.where(s <= e1, out, _anneal(max_lr, init_lr, q2, anneal))
        return np.where(s <= e2, out, _anneal(init_lr, end_lr, q3, anneal))
    q2 = np.clip((s - e1) / (e3 - e1), 0.0, 1.0) if e3 > e1 else np.ones_like(s)
    return np.where(s <= e1, out, _anneal(max_lr, end_lr, q2, anneal))


def _check_one_cycle(p: Mapping[str, Any]) -> None:
    check_positive("one_cycle", p, "total_steps", "pct_start")
    if float(p["pct_start"]) >= 1.0:
        raise ScheduleError(f"one_cycle.pct_start must be in (0, 1), got {p['pct_start']!r}")
    if p["three_phase"] and float(p["pct_start"]) > 0.5:
        raise ScheduleError(
            f"one_cycle.pct_start must be <= 0.5 with three_phase, got {p['pct_start']!r}"
        )


def _guess_one_cycle(steps: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    x, y = clean(steps, values)
    if y.size < 3:
        v = float(y[0]) if y.size else 1.0
        return {"max_lr": v, "total_steps": 2.0, "init_lr": v, "end_lr": v}
    i = int(np.argmax(y))
    # the curve is flat at end_lr from step T - 1 on; otherwise T is past the last point
    lo = float(y[-1])
    tail = settled_from(y)
    if tail is not None:
        totals = [float(x[tail]) + 1.0]
    else:  # the run ends inside the cycle, at T - 1 or up to one logging interval before
        cad = float(np.median(np.diff(x))) if x.size > 1 else 0.0
        totals = [float(x[-1]) + 1.0, float(x[-1]) + 1.0 + cad / 2, float(x[-1]) + 1.0 + cad]
    cands = []
    for total in totals:
        pct = min(max((float(x[i]) + 1.0) / total, 0.01), 0.99)
        base = {"max_lr": float(y[i]), "total_steps": total, "init_lr": float(y[0]), "end_lr": lo}
        for a in _ANNEAL:
            cands.append({**base, "pct_start": pct, "anneal": a, "three_phase": False})
            cands.append({**base, "pct_start": min(pct, 0.5), "anneal": a, "three_phase": True})
    return best_of(one_cycle, x, y, cands)


def _describe_one_cycle(p: Mapping[str, Any], w: Steps = BARE) -> str:
    phases = "three-phase " if param(p, "three_phase", False) else ""
    return (
        f"one_cycle {phases}{fmt_lr(param(p, 'init_lr'))}→{fmt_lr(param(p, 'max_lr'))}"
        f"→{fmt_lr(param(p, 'end_lr'))} over {w.count(param(p, 'total_steps'))} "
        f"(peak at {fmt_lr(param(p, 'pct_start'))}, {param(p, 'anneal', 'cos')})"
    )


def _one_cycle_marks(p: Mapping[str, Any], w: float) -> list[float]:
    return [float(p["total_steps"])] if p.get("total_steps") else []


ONE_CYCLE = Family(
    name="one_cycle",
    fn=one_cycle,
    params=(
        ParamSpec("max_lr", "float", (0.0, None), log=True, doc="peak LR", role="level"),
        ParamSpec(
            "total_steps",
            "float",
            (0.0, None),
            log=True,
            doc="T (last step T-1)",
            role="step",
            snap=WHOLE_STEP,
        ),
        ParamSpec(
            "pct_start",
            "float",
            (0.0, 1.0),
            default=0.3,
            doc="share of T spent rising",
            role="shape",
        ),
        ParamSpec(
            "init_lr",
            "float",
            (0.0, None),
            log=True,
            doc="LR at step 0 (<= max_lr)",
            role="level",
            at_most="max_lr",
        ),
        ParamSpec(
            "end_lr",
            "float",
            (0.0, None),
            log=True,
            doc="LR at step T-1 (<= max_lr)",
            role="level",
            end=True,
            at_most="max_lr",
        ),
        ParamSpec(
            "anneal", "choice", choices=_ANNEAL, default="cos", doc="cos | linear", role="choice"
        ),
        ParamSpec(
            "three_phase", "bool", default=False, doc="fall back to init_lr first", role="choice"
        ),
    ),
    guess=_guess_one_cycle,
    summary="rise init_lr -> max_lr over pct_start*T, anneal to end_lr at T-1",
    check=_check_one_cycle,
    simplicity=8,
    horizon=("total_steps",),
    key_steps=_one_cycle_marks,
    describe=_describe_one_cycle,
    monotone=True,
    own_rise=True,
)

FAMILIES = (
    CYCLIC,
    ONE_CYCLE,
)
