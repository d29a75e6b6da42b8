"""Building, ordering and de-duplicating :class:`~lraudit.types.Finding` objects."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lraudit.types import Finding, Severity
from lraudit.vocab import FINDINGS


def finding(
    name: str,
    message: str,
    *,
    severity: Severity | None = None,
    step: float | None = None,
    expected: Any = None,
    observed: Any = None,
) -> Finding:
    """A :class:`Finding` called ``name`` with its stable code and (default) severity."""
    code, default = FINDINGS[name]
    st = None if step is None else int(round(float(step)))
    return Finding(name, code, severity or default, message, st, expected, observed)


def sort_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Worst first, then by code, step and message: the same input gives the same order."""
    return tuple(
        sorted(
            findings,
            key=lambda f: (-f.severity.rank, f.code, -1 if f.step is None else f.step, f.message),
        )
    )


def dedupe(findings: list[Finding]) -> list[Finding]:
    """One ``schedule_reset`` per step (a resume seen both in the merge and in the values)."""
    out: list[Finding] = []
    seen: set[tuple[str, int | None]] = set()
    for f in findings:
        key = (f.name, f.step) if f.name == "schedule_reset" else (f.name, id(f))
        if key in seen:
            continue
        seen.add(key)
        out.append(f)
    return out
