"""Report formatters: pure functions ``AuditReport -> str``, looked up by name.

>>> sorted(FORMATS)
['auto', 'github', 'html', 'json', 'junit', 'markdown', 'sarif', 'text']
>>> resolve_format("auto", {"GITHUB_ACTIONS": "true"}), resolve_format("auto", {})
('github', 'text')

Every formatter takes the report and an :class:`Options` value and returns the whole output;
none prints, reads files or looks at the environment (``auto`` is resolved by the caller with
:func:`resolve_format`), so the same report always gives the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
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


def _formatters() -> dict[str, Formatter]:
    from lraudit.report.github import format_github
    from lraudit.report.html import format_html
    from lraudit.report.jsonfmt import format_json
    from lraudit.report.junit import format_junit
    from lraudit.report.markdown import format_markdown
    from lraudit.report.sarif import format_sarif
    from lraudit.report.text import format_text

    return {
        "text": format_text,
        "json": format_json,
        "markdown": format_markdown,
        "junit": format_junit,
        "github": format_github,
        "html": format_html,
        "sarif": format_sarif,
    }


#: Names accepted by ``--format`` for ``report`` and ``check``.
FORMATS: tuple[str, ...] = (
    "auto",
    "text",
    "json",
    "markdown",
    "junit",
    "github",
    "html",
    "sarif",
)

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


def resolve_format(name: str, environ: Mapping[str, str] | None = None) -> str:
    """``auto`` -> ``github`` under GitHub Actions (``GITHUB_ACTIONS=true``), else ``text``."""
    if name != "auto":
        return name
    env = os.environ if environ is None else environ
    return "github" if env.get("GITHUB_ACTIONS") == "true" else "text"


def get_formatter(name: str) -> Formatter:
    """The formatter called ``name`` (``auto`` must be resolved first)."""
    table = _formatters()
    try:
        return table[name]
    except KeyError:
        known = ", ".join(FORMATS)
        raise LrauditError(f"unknown report format {name!r}; use one of: {known}") from None


def render(report: AuditReport, fmt: str = "text", options: Options | None = None) -> str:
    """Format ``report`` as ``fmt`` (``auto`` resolved against the current environment)."""
    return get_formatter(resolve_format(fmt))(report, options or Options())


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
    "FORMATS",
    "Formatter",
    "Options",
    "could_not_audit",
    "fail_rank",
    "failing",
    "get_formatter",
    "printable",
    "render",
    "resolve_format",
]
