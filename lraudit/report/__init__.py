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
from collections.abc import Mapping

from lraudit.errors import LrauditError
from lraudit.report.base import (
    FAIL_LEVELS,
    Formatter,
    Options,
    could_not_audit,
    fail_rank,
    failing,
    printable,
)
from lraudit.types import AuditReport


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
