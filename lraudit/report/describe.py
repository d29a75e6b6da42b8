"""One-line, human-readable descriptions of schedules, shared by every text-like formatter.

The line names the phases in order, with the numbers a person checks against a config:

>>> from lraudit.types import Schedule, Warmup
>>> describe_schedule(Schedule("constant", {"lr": 0.01}))
'constant 0.01'
>>> describe_schedule(Schedule("piecewise", {"boundaries": [30000, 40000], "values": [0.1, 0.01, 0.001]}))
'piecewise 0.1 → 0.01 @30000 → 0.001 @40000'
>>> describe_schedule(Schedule("polynomial", {"init_lr": 1e-3, "end_lr": 0.0, "decay_steps": 8000, "power": 1.0}))
'linear 0.001→0 over 8000'
>>> describe_schedule(Schedule("cosine", {"peak_lr": 0.08, "end_lr": 0.0, "decay_steps": 49000,
...     "start_step": 1000}, warmup=Warmup(1000, 0.0266666)))
'warmup 1000 (0.0267→0.08) + cosine 0.08→0 over steps 1000–50000'

Numbers: learning rates with 3 significant digits (``fmt_lr``), steps as integers when whole
(``fmt_step``), so the same report always gives the same line. In fitted schedules
(:func:`describe_fit`) a value the logged window does not determine is followed by ``?``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from lraudit.errors import LrauditError
from lraudit.types import FitResult, Schedule


class Unsure:
    """A parameter value the data do not determine; formatted with a trailing ``?``."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __float__(self) -> float:
        return float(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def __str__(self) -> str:
        return f"{self.value}?"


def fmt_lr(x: Any) -> str:
    """A learning rate with 3 significant digits: ``0.0266666`` -> ``'0.0267'``, ``0.0`` -> ``'0'``.

    >>> fmt_lr(0.0266666), fmt_lr(0.08), fmt_lr(0.0), fmt_lr(1e-5), fmt_lr(float("nan"))
    ('0.0267', '0.08', '0', '1e-05', 'nan')
    """
    if isinstance(x, Unsure):
        return fmt_lr(x.value) + "?"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if v == 0.0:
        return "0"
    return f"{v:.3g}"


def fmt_step(x: Any) -> str:
    """A step count: whole numbers as integers, fractions with up to 4 significant digits.

    >>> fmt_step(50000.0), fmt_step(12.5), fmt_step(None)
    ('50000', '12.5', '?')
    """
    if isinstance(x, Unsure):
        return fmt_step(x.value) + "?"
    if x is None:
        return "?"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(v):
        return str(v)
    if v.is_integer():
        return str(int(v))
    return f"{v:.4g}"


def _p(params: Mapping[str, Any], name: str, default: Any = None) -> Any:
    v = params.get(name, default)
    return default if v is None else v


def _from(params: Mapping[str, Any]) -> str:
    start = _p(params, "start_step", 0)
    try:
        return f" from {fmt_step(start)}" if float(start) > 0 else ""
    except (TypeError, ValueError):
        return ""


def _span(params: Mapping[str, Any]) -> str:
    """``"50000"`` for a decay from step 0, ``"steps 1000–50000"`` for one that starts later."""
    d = _p(params, "decay_steps")
    start = _p(params, "start_step", 0)
    try:
        if float(start) > 0 and d is not None:
            end: Any = float(start) + float(d)
            if isinstance(d, Unsure) or isinstance(start, Unsure):
                end = Unsure(end)
            return f"steps {fmt_step(start)}–{fmt_step(end)}"
    except (TypeError, ValueError):
        pass
    return fmt_step(d)


def describe_family(family: str, params: Mapping[str, Any]) -> str:
    """The family part of the line (no warmup, no floor)."""
    p = params
    if family == "constant":
        return f"constant {fmt_lr(_p(p, 'lr'))}"
    if family == "exponential":
        stair = " staircase" if _p(p, "staircase", False) else ""
        return (
            f"exponential {fmt_lr(_p(p, 'init_lr'))} ×{fmt_lr(_p(p, 'decay_rate'))} "
            f"per {fmt_step(_p(p, 'decay_steps'))}{stair}{_from(p)}"
        )
    if family == "piecewise":
        values = list(_p(p, "values", []))
        bounds = list(_p(p, "boundaries", []))
        parts = [fmt_lr(values[0])] if values else ["?"]
        pairs = list(zip(bounds, values[1:], strict=False))
        if len(pairs) > 12:
            # a schedule sampled per epoch can have thousands of levels: name the ends only
            pairs = pairs[:2] + pairs[-1:]
            parts += [f"{fmt_lr(v)} @{fmt_step(b)}" for b, v in pairs[:2]]
            parts += [
                f"… ({len(values)} levels)",
                f"{fmt_lr(pairs[-1][1])} @{fmt_step(pairs[-1][0])}",
            ]
            return "piecewise " + " → ".join(parts)
        for b, v in pairs:
            parts.append(f"{fmt_lr(v)} @{fmt_step(b)}")
        return "piecewise " + " → ".join(parts)
    if family == "cosine":
        return f"cosine {fmt_lr(_p(p, 'peak_lr'))}→{fmt_lr(_p(p, 'end_lr', 0.0))} over {_span(p)}"
    if family == "cosine_restarts":
        return (
            f"cosine restarts {fmt_lr(_p(p, 'peak_lr'))}→{fmt_lr(_p(p, 'end_lr', 0.0))} "
            f"period {fmt_step(_p(p, 'first_period'))} ×{fmt_lr(_p(p, 'period_mult', 1.0))}, "
            f"peak ×{fmt_lr(_p(p, 'peak_decay', 1.0))}"
        )
    if family == "polynomial":
        power = _p(p, "power", 1.0)
        name = "linear" if float(power) == 1.0 else f"polynomial^{fmt_lr(power)}"
        return f"{name} {fmt_lr(_p(p, 'init_lr'))}→{fmt_lr(_p(p, 'end_lr', 0.0))} over {_span(p)}"
    if family == "inverse_time":
        stair = " staircase" if _p(p, "staircase", False) else ""
        return (
            f"inverse_time {fmt_lr(_p(p, 'init_lr'))} / (1 + {fmt_lr(_p(p, 'decay_rate'))}"
            f"·s/{fmt_step(_p(p, 'decay_steps'))}){stair}"
        )
    if family == "inverse_sqrt":
        return f"inverse_sqrt {fmt_lr(_p(p, 'peak_lr'))} timescale {fmt_step(_p(p, 'timescale'))}"
    if family == "cyclic":
        mode = _p(p, "mode", "triangular")
        gamma = _p(p, "gamma", 1.0)
        g = f" γ {fmt_lr(gamma)}" if mode == "exp_range" else ""
        return (
            f"cyclic {mode} {fmt_lr(_p(p, 'base_lr'))}↔{fmt_lr(_p(p, 'max_lr'))} "
            f"up {fmt_step(_p(p, 'step_size_up'))} down {fmt_step(_p(p, 'step_size_down'))}{g}"
        )
    if family == "one_cycle":
        phases = "three-phase " if _p(p, "three_phase", False) else ""
        return (
            f"one_cycle {phases}{fmt_lr(_p(p, 'init_lr'))}→{fmt_lr(_p(p, 'max_lr'))}"
            f"→{fmt_lr(_p(p, 'end_lr'))} over {fmt_step(_p(p, 'total_steps'))} "
            f"(peak at {fmt_lr(_p(p, 'pct_start'))}, {_p(p, 'anneal', 'cos')})"
        )
    if family == "warmup_stable_decay":
        return (
            f"stable {fmt_lr(_p(p, 'peak_lr'))} for {fmt_step(_p(p, 'stable_steps'))} + "
            f"{_p(p, 'decay_shape', 'linear')} decay →{fmt_lr(_p(p, 'end_lr', 0.0))} "
            f"over {fmt_step(_p(p, 'decay_steps'))}"
        )
    inner = ", ".join(f"{k}={v}" for k, v in params.items())
    return f"{family}({inner})"


def warmup_target(schedule: Schedule) -> float | None:
    """The LR the warmup ramps to (the schedule's value at the warmup's last step), if computable."""
    if schedule.warmup is None:
        return None
    try:
        return float(schedule.evaluate([float(schedule.warmup.steps)])[0])
    except (LrauditError, ValueError, TypeError, KeyError):
        # A family the registry cannot evaluate: fall back on its starting value, which is the
        # target whenever the decay starts at the end of the warmup (the usual composition).
        p = schedule.params
        for key in ("peak_lr", "init_lr", "lr", "max_lr", "base_lr"):
            if p.get(key) is not None:
                return float(p[key])
        values = p.get("values")
        return float(values[0]) if values else None


def mark_unsure(params: Mapping[str, Any], unsure: Iterable[str]) -> dict[str, Any]:
    """``params`` with the values named in ``unsure`` wrapped in :class:`Unsure`."""
    names = set(unsure)
    out: dict[str, Any] = {}
    for k, v in params.items():
        if k in names and v is not None:
            out[k] = [Unsure(x) for x in v] if isinstance(v, (list, tuple)) else Unsure(v)
        else:
            out[k] = v
    return out


def describe_fit(fit: FitResult | None) -> str:
    """The fitted schedule's line, with ``?`` after every value the data do not determine.

    >>> from lraudit.types import FitResult, ParamEstimate
    >>> f = FitResult(Schedule("cosine", {"peak_lr": 0.08, "end_lr": 0.0, "decay_steps": 49000,
    ...     "start_step": 0}), 1e-8, params=(ParamEstimate("peak_lr", 0.08, True),
    ...     ParamEstimate("end_lr", 0.0, False, reason="end not reached"),
    ...     ParamEstimate("decay_steps", 49000, False, reason="4% seen")))
    >>> describe_fit(f)
    'cosine 0.08→0? over 49000?'
    """
    if fit is None:
        return "—"
    return describe_schedule(fit.schedule, unsure=fit.unidentified)


def describe_schedule(schedule: Schedule | None, unsure: Iterable[str] = ()) -> str:
    """``warmup W (start→target) + <family line>[, floor m]`` in one line; ``—`` for None.

    >>> from lraudit.types import Warmup
    >>> s = Schedule("constant", {"lr": 0.08}, warmup=Warmup(1000, 0.0266666))
    >>> describe_schedule(s)
    'warmup 1000 (0.0267→0.08) + constant 0.08'
    """
    if schedule is None:
        return "—"
    unsure = set(unsure)
    line = describe_family(schedule.family, mark_unsure(schedule.params, unsure))
    w = schedule.warmup
    if w is not None and w.steps > 0:
        target = warmup_target(schedule)
        tgt = fmt_lr(target) if target is not None else "?"
        shape = "" if w.shape == "linear" else f"{w.shape} "
        steps = Unsure(w.steps) if "warmup.steps" in unsure else w.steps
        start = Unsure(w.start_lr) if "warmup.start_lr" in unsure else w.start_lr
        if w.shape == "constant":
            line = f"warmup {fmt_step(steps)} ({shape}{fmt_lr(start)}) + {line}"
        else:
            line = f"warmup {fmt_step(steps)} ({shape}{fmt_lr(start)}→{tgt}) + {line}"
    if schedule.min_lr is not None:
        floor = Unsure(schedule.min_lr) if "min_lr" in unsure else schedule.min_lr
        line += f", floor {fmt_lr(floor)}"
    return line


def fit_details(fit: FitResult) -> list[str]:
    """Plain-text lines on how well the data determine a fit, for the detail sections.

    >>> from lraudit.types import FitResult, ParamEstimate
    >>> f = FitResult(Schedule("constant", {"lr": 0.1}), 2e-8,
    ...     params=(ParamEstimate("lr", 0.1, True),))
    >>> fit_details(f)
    ['rmse_log 2e-08, fit ok', 'identified: lr']
    """
    lines = [f"rmse_log {fit.rmse_log:.2g}, fit {fit.status}"]
    if fit.offset:
        lines[0] += f", step offset {fit.offset:+d}"
    if fit.identified:
        lines.append("identified: " + ", ".join(fit.identified))
    for name, why in fit.unidentified.items():
        why = why.removeprefix(f"{name}: ")
        lines.append(f"not identified: {name}" + (f" ({why})" if why else ""))
    if fit.alternatives:
        alts = ", ".join(f"{a.family} (ΔBIC {a.delta_bic:.3g})" for a in fit.alternatives)
        lines.append("alternatives: " + alts)
    lines += [f"note: {w}" for w in fit.warnings]
    return lines
