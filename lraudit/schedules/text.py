"""Number formatting for the one-line schedule descriptions (see :mod:`lraudit.describe`), and
the key-step helpers shared by family modules.

Learning rates get 3 significant digits (:func:`fmt_lr`), step counts are integers when whole
(:func:`fmt_step`). A value the logged window does not determine is wrapped in :class:`Unsure`
and printed with a trailing :data:`UNSURE` mark; a value that is not known at all prints as the
mark alone. Family modules build their line from these helpers only, so every family reads the
same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The one "not determined" mark: after a value the data do not fix (``0.08?``), alone for a
#: value that is not known (``?``).
UNSURE = "?"


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
        return f"{self.value}{UNSURE}"


def fmt_lr(x: Any) -> str:
    """A learning rate with 3 significant digits: ``0.0266666`` -> ``'0.0267'``, ``0.0`` -> ``'0'``.

    >>> fmt_lr(0.0266666), fmt_lr(0.08), fmt_lr(0.0), fmt_lr(1e-5), fmt_lr(float("nan"))
    ('0.0267', '0.08', '0', '1e-05', 'nan')
    """
    if isinstance(x, Unsure):
        return fmt_lr(x.value) + UNSURE
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
        return fmt_step(x.value) + UNSURE
    if x is None:
        return UNSURE
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(v):
        return str(v)
    if v.is_integer():
        return str(int(v))
    return f"{v:.4g}"


def param(params: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """``params[name]``, or ``default`` when it is absent or None."""
    v = params.get(name, default)
    return default if v is None else v


@dataclass(frozen=True)
class Steps:
    """How step counts read in a description: bare (``unit=None``, the report tables) or with
    the unit the schedule counts (``"iteration"``, ``"epoch"``: messages that must say which).

    >>> Steps().count(500), Steps("epoch").count(500), Steps("epoch").count(1)
    ('500', '500 epochs', '1 epoch')
    >>> Steps().span(10, 20), Steps("iteration").span(10, 20), Steps("epoch").at(3)
    ('steps 10–20', 'iterations 10–20', 'epoch 3')
    """

    unit: str | None = None

    def count(self, x: Any) -> str:
        """A length: ``500`` or ``500 epochs``."""
        if self.unit is None:
            return fmt_step(x)
        one = not isinstance(x, Unsure) and _is_one(x)
        return f"{fmt_step(x)} {self.unit}{'' if one else 's'}"

    def at(self, x: Any) -> str:
        """A position: ``1000`` or ``iteration 1000``."""
        return fmt_step(x) if self.unit is None else f"{self.unit} {fmt_step(x)}"

    def span(self, a: Any, b: Any) -> str:
        """From ``a`` to ``b``: ``steps 1000–50000`` or ``iterations 1000–50000``."""
        return f"{self.unit or 'step'}s {fmt_step(a)}–{fmt_step(b)}"

    def suffix(self) -> str:
        """``""``, or ``" (epochs)"`` after a list of positions."""
        return "" if self.unit is None else f" ({self.unit}s)"


def _is_one(x: Any) -> bool:
    try:
        return float(x) == 1.0
    except (TypeError, ValueError):
        return False


#: Bare step counts (the report tables).
BARE = Steps()


def from_start(params: Mapping[str, Any], words: Steps = BARE) -> str:
    """``" from 1000"`` for a decay whose clock starts later than step 0, else ``""``."""
    start = param(params, "start_step", 0)
    try:
        return f" from {words.at(start)}" if float(start) > 0 else ""
    except (TypeError, ValueError):
        return ""


def decay_span(params: Mapping[str, Any], words: Steps = BARE) -> str:
    """``"50000"`` for a decay from step 0, ``"steps 1000–50000"`` for one that starts later."""
    d = param(params, "decay_steps")
    start = param(params, "start_step", 0)
    try:
        if float(start) > 0 and d is not None:
            end: Any = float(start) + float(d)
            if isinstance(d, Unsure) or isinstance(start, Unsure):
                end = Unsure(end)
            return words.span(start, end)
    except (TypeError, ValueError):
        pass
    return words.count(d)


def start_mark(params: Mapping[str, Any]) -> list[float]:
    """``[start_step]`` when the family's clock starts after step 0 (a key step), else ``[]``."""
    s = params.get("start_step")
    return [float(s)] if s else []


def decay_end_marks(p: Mapping[str, Any], w: float) -> list[float]:
    """Key steps of a decay with a start and a length: its start (when later than 0), its end."""
    marks = start_mark(p)
    if p.get("decay_steps"):
        marks.append(float(p.get("start_step") or 0) + float(p["decay_steps"]))
    return marks


#: Lists longer than this are described (and key-stepped) by their ends only: a schedule sampled
#: per epoch can have thousands of levels.
MAX_LISTED = 12
