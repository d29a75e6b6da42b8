"""What every report formatter shares: :class:`Options`, the ``--fail-on`` levels and the
helpers on them, and :func:`printable`. A leaf of :mod:`lraudit.report` (it imports no
formatter), so the formatters and the package's lookup table can both import it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lraudit.errors import LrauditError
from lraudit.types import AuditReport, RunAudit, Severity


@dataclass(frozen=True)
class Options:
    """Formatter options.

    ``fail_on``: the severity at which a finding fails the check (``error`` | ``warning`` |
    ``info``),
    used by JUnit (``<failure>``) and the status marks. ``width``: text table width in
    characters. ``embed_plots``: the HTML page embeds one PNG per run x tag (needs matplotlib).
    ``color``: ANSI colours in the text table (the CLI sets it when stdout is a terminal and
    ``NO_COLOR`` is not set).
    """

    fail_on: str = "error"
    width: int = 100
    embed_plots: bool = True
    color: bool = False


Formatter = Callable[[AuditReport, Options], str]


#: Severity names accepted by ``--fail-on``.
FAIL_LEVELS: tuple[str, ...] = ("error", "warning", "info")


def printable(text: str) -> str:
    r"""``text`` with control characters (ANSI escapes, carriage returns, ...) made visible.

    Run names, tags and paths come from the file system and may hold anything; written raw to
    a terminal an escape sequence would recolour or rewrite it. Tabs and newlines are kept;
    every other C0/C1 control character becomes ``\xNN``.

    >>> printable("run\x1b[31mred\rX")
    'run\\x1b[31mred\\x0dX'
    """

    def ok(c: str) -> bool:
        return 32 <= ord(c) < 127 or c in "\t\n" or ord(c) > 159

    if all(ok(c) for c in text):
        return text
    return "".join(c if ok(c) else f"\\x{ord(c):02x}" for c in text)


def fail_rank(fail_on: str) -> int:
    """The severity rank at which findings fail (``error`` -> 2, ``warning`` -> 1)."""
    try:
        return Severity(fail_on).rank
    except ValueError:
        raise LrauditError(
            f"--fail-on {fail_on!r} is not a severity; use one of: {', '.join(FAIL_LEVELS)}"
        ) from None


def failing(run: RunAudit, fail_on: str) -> list:
    """The findings of ``run`` at or above ``fail_on``."""
    rank = fail_rank(fail_on)
    return [f for f in run.findings if f.severity.rank >= rank]


def could_not_audit(run: RunAudit) -> bool:
    """True when a run has no series, no fit or a failed fit: it could not be checked.

    JUnit reports these as ``<error>`` rather than ``<failure>``.
    """
    return run.series is None or run.fit is None or run.fit.status == "failed"


__all__ = [
    "FAIL_LEVELS",
    "Formatter",
    "Options",
    "could_not_audit",
    "fail_rank",
    "failing",
    "printable",
]
