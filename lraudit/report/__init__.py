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

#: format -> (module under lraudit.report, function): imported when used, so that writing JSON
#: never imports rich or the HTML/SARIF code (start-up of a cached ``report``)
_FORMATTERS: dict[str, tuple[str, str]] = {
    "text": ("text", "format_text"),
    "json": ("jsonfmt", "format_json"),
    "markdown": ("markdown", "format_markdown"),
    "junit": ("junit", "format_junit"),
    "github": ("github", "format_github"),
    "html": ("html", "format_html"),
    "sarif": ("sarif", "format_sarif"),
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
    import importlib

    try:
        module, func = _FORMATTERS[name]
    except KeyError:
        known = ", ".join(FORMATS)
        raise LrauditError(f"unknown report format {name!r}; use one of: {known}") from None
    fn: Formatter = getattr(importlib.import_module(f"lraudit.report.{module}"), func)
    return fn


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
