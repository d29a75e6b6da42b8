"""The evaluator's budgets: steps, wall time, and the size of every value before it is built.

Time is bounded by counting steps (one per node evaluated, plus one per element an operation
copies, compares or prints) and, as a safety net, by the wall clock. Memory is bounded by
estimating the size of a result *before* building it:

* ``a ** b`` (ints): ``bits(a) * b`` must stay under ``max_int_bits``;
* ``a * b`` (ints): ``bits(a) + bits(b)``; a sequence times ``n``: ``len * n`` elements or
  characters;
* ``a + b`` (sequences): ``len(a) + len(b)``;
* ``fmt % args``: every width and precision in ``fmt`` (``%999999999d``), ``*`` refused;
* integer literals: ``max_int_bits``; containers: :func:`~lraudit.configs.limits.measure`
  before anything walks them deeply (``str``, comparisons, ``sorted``, ``sum``...).

Each breach raises one :class:`~lraudit.configs.limits.ConfigLimitError` naming the file, the
line and the limit.
"""

from __future__ import annotations

import ast
import re
import time
from pathlib import Path
from typing import Any

from lraudit.configs.limits import ConfigLimitError, Limits, measure
from lraudit.configs.pyconfig.values import is_number

_WIDTHS = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d*)(?:\.(\*|\d*))?")
_CHECK_EVERY = 4096


class Budget:
    """Counters of one config read (shared by the files it imports)."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = path
        self.limits = limits
        self.steps = 0
        self.next_clock = _CHECK_EVERY
        self.deadline = time.monotonic() + limits.max_seconds
        self.line = 0

    def fail(self, what: str) -> ConfigLimitError:
        at = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return ConfigLimitError(f"{at}: {what}; lraudit refuses to evaluate it")

    def step(self, n: int = 1) -> None:
        self.steps += n
        if self.steps > self.limits.max_steps:
            raise self.fail(
                f"evaluating the config takes more than {self.limits.max_steps:,} steps"
            )
        if self.steps >= self.next_clock:
            self.next_clock = self.steps + _CHECK_EVERY
            if time.monotonic() > self.deadline:
                raise self.fail(
                    f"evaluating the config takes more than {self.limits.max_seconds} s"
                )

    def walk(self, value: Any) -> None:
        """Charge a deep walk of ``value`` (str, compare, sort...): its expanded size, bounded."""
        if isinstance(value, (list, tuple, dict, set)):
            self.step(measure(value, f"{self.path}:{self.line}", self.limits))

    def int_ok(self, bits: int, what: str) -> None:
        if bits > self.limits.max_int_bits:
            raise self.fail(
                f"{what} gives an integer of about {bits:,} bits (limit "
                f"{self.limits.max_int_bits:,})"
            )

    def length_ok(self, n: int, seq: Any, what: str) -> None:
        limit = self.limits.max_str if isinstance(seq, str) else self.limits.max_items
        kind = "characters" if isinstance(seq, str) else "elements"
        if n > limit:
            raise self.fail(f"{what} gives {n:,} {kind} (limit {limit:,})")
        self.step(n // 64 if isinstance(seq, str) else n)

    def constant(self, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            self.int_ok(value.bit_length(), "a literal")
        elif isinstance(value, (str, bytes)):
            self.length_ok(len(value), value, "a literal")

    def binop(self, op: ast.operator, a: Any, b: Any) -> None:
        """Refuse ``a op b`` when its result would exceed a budget (checked before computing)."""
        ints = isinstance(a, int) and isinstance(b, int)
        if isinstance(op, ast.Pow) and ints and b > 0 and abs(a) > 1:
            self.int_ok(a.bit_length() * b, "'**'")
        elif isinstance(op, ast.Mult):
            if ints:
                self.int_ok(a.bit_length() + b.bit_length(), "'*'")
            for seq, n in ((a, b), (b, a)):
                if isinstance(seq, (list, tuple, str)) and isinstance(n, int):
                    self.length_ok(len(seq) * max(n, 0), seq, "'*'")
        elif isinstance(op, ast.Add):
            for kind in (str, list, tuple):
                if isinstance(a, kind) and isinstance(b, kind):
                    self.length_ok(len(a) + len(b), a, "'+'")
        elif isinstance(op, ast.Mod) and isinstance(a, str):
            self.format_ok(a, b)
        elif ints and isinstance(op, (ast.LShift,)):
            self.int_ok(a.bit_length() + b, "'<<'")

    def format_ok(self, fmt: str, args: Any) -> None:
        total = len(fmt)
        for m in _WIDTHS.finditer(fmt):
            for part in m.groups():
                if part == "*":
                    raise self.fail("'%' with a '*' width")
                if part:
                    if len(part) > 7:
                        raise self.fail(f"'%' with a width of {len(part)} digits")
                    total += int(part)
        self.walk(args)
        self.length_ok(total, fmt, "'%'")


def number_size_ok(budget: Budget, value: Any) -> None:
    """Check a value produced by a builtin call (``int('9' * 5000)`` is caught by Python)."""
    if is_number(value) and isinstance(value, int):
        budget.int_ok(value.bit_length(), "a call")


__all__ = ["Budget", "number_size_ok"]
