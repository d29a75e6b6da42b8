"""One-line, human-readable descriptions of schedules: the one describer of lraudit, used by every
report format, ``explain`` and the findings' messages.

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
(:func:`describe_fit`) a value the logged window does not determine is followed by ``?``
(:data:`~lraudit.schedules.text.UNSURE`, the one "not determined" mark); a value that is not
known at all is the mark alone. Each family writes its own part of the line
(``Family.describe`` in :mod:`lraudit.schedules`); this module adds the warmup and the floor.
Messages that must name the unit pass it (``unit="iteration"``):

>>> describe(Schedule("exponential", {"init_lr": 0.004, "decay_rate": 0.95,
...     "decay_steps": 800720, "staircase": True}), "iteration")
'exponential 0.004 ×0.95 per 800720 iterations staircase'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from lraudit.errors import LrauditError
from lraudit.schedules import REGISTRY, Schedule
from lraudit.schedules.text import BARE, UNSURE, Steps, Unsure, fmt_lr, fmt_step

if TYPE_CHECKING:  # lraudit.types is not imported at run time: report.data, which
    # AuditReport.to_dict imports, goes through this module
    from lraudit.types import FitResult

__all__ = [
    "UNSURE",
    "Steps",
    "Unsure",
    "describe",
    "describe_family",
    "describe_fit",
    "describe_schedule",
    "fit_details",
    "fmt_lr",
    "fmt_step",
    "mark_unsure",
    "warmup_target",
]


def describe_family(family: str, params: Mapping[str, Any], steps: Steps = BARE) -> str:
    """The family part of the line (no warmup, no floor), from the family's own ``describe``;
    ``family(k=v, ...)`` for a family the registry does not know."""
    fam = REGISTRY.get(family)
    if fam is not None and fam.describe is not None:
        return fam.describe(params, steps)
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
    line = describe_schedule(fit.schedule, unsure=fit.unidentified)
    if fit.offset < -1:  # a later training fitted on its own clock (lraudit.analysis)
        line += f" (steps counted from step {-fit.offset:,})"
    return line


def describe_schedule(
    schedule: Schedule | None, unsure: Iterable[str] = (), unit: str | None = None
) -> str:
    """``warmup W (start→target) + <family line>[, floor m]`` in one line; ``—`` for None.

    ``unsure`` names the values the data do not determine (each gets the ``?`` mark); ``unit``
    (``"iteration"``, ``"epoch"``) makes step counts say what they count.

    >>> from lraudit.types import Warmup
    >>> s = Schedule("constant", {"lr": 0.08}, warmup=Warmup(1000, 0.0266666))
    >>> describe_schedule(s)
    'warmup 1000 (0.0267→0.08) + constant 0.08'
    >>> describe_schedule(s, unsure=("warmup.steps",), unit="iteration")
    'warmup 1000? iterations (0.0267→0.08) + constant 0.08'
    """
    if schedule is None:
        return "—"
    words = BARE if unit is None else Steps(unit)
    unsure = set(unsure)
    line = describe_family(schedule.family, mark_unsure(schedule.params, unsure), words)
    w = schedule.warmup
    if w is not None and w.steps > 0:
        target = warmup_target(schedule)
        tgt = fmt_lr(target) if target is not None else UNSURE
        shape = "" if w.shape == "linear" else f"{w.shape} "
        steps = Unsure(w.steps) if "warmup.steps" in unsure else w.steps
        start = Unsure(w.start_lr) if "warmup.start_lr" in unsure else w.start_lr
        if w.shape == "constant":
            line = f"warmup {words.count(steps)} ({shape}{fmt_lr(start)}) + {line}"
        else:
            line = f"warmup {words.count(steps)} ({shape}{fmt_lr(start)}→{tgt}) + {line}"
    if schedule.min_lr is not None:
        floor = Unsure(schedule.min_lr) if "min_lr" in unsure else schedule.min_lr
        line += f", floor {fmt_lr(floor)}"
    return line


def describe(schedule: Schedule, unit: str = "step", unknown: Iterable[str] = ()) -> str:
    """The line for a finding's message: :func:`describe_schedule` with step counts in ``unit``
    and the values named in ``unknown`` (a fit's unidentified ones) marked ``?``.

    >>> describe(Schedule("cosine", {"peak_lr": 0.1, "end_lr": 0.08, "decay_steps": 1e5}),
    ...          unknown=("end_lr", "decay_steps"))
    'cosine 0.1→0.08? over 100000? steps'
    """
    return describe_schedule(schedule, unsure=unknown, unit=unit)


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
