"""``--format github``: GitHub Actions workflow commands (``::error``/``::warning``/``::notice``).

One annotation per finding (with ``file=`` the config when one was given as a relative path, and
``line=`` the config line the finding is about when known, ``Finding.line``), escaped per the runner's rules (``toolkit/packages/core/src/
command.ts``): in the message ``%``, ``\\r``, ``\\n`` become ``%25``, ``%0D``, ``%0A``; in
property values also ``:`` and ``,`` become ``%3A`` and ``%2C``.
"""

from __future__ import annotations

from pathlib import PurePath

from lraudit.report.base import Options, printable
from lraudit.report.text import summary_line, unaudited_line
from lraudit.types import AuditReport

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(s: str) -> str:
    """Escape a workflow-command message.

    >>> escape_data("50% done\\nnext")
    '50%25 done%0Anext'
    """
    s = s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return printable(s)


def escape_property(s: str) -> str:
    """Escape a workflow-command property value (``title=...``).

    >>> escape_property("a: b, c")
    'a%3A b%2C c'
    """
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def format_github(report: AuditReport, options: Options | None = None) -> str:
    """One ``::level title=...::message`` line per finding, then a ``::notice`` summary."""
    lines = []
    # Annotations point at the config (when it is a relative path, as GitHub needs) so that in a
    # pull request they show on the file the user would edit.
    cfg = report.config_path
    file_prop = ""
    if cfg and not PurePath(cfg).is_absolute() and not str(cfg).startswith(".."):
        file_prop = f"file={escape_property(PurePath(cfg).as_posix())},"
    for r in report.runs:
        for f in r.findings:
            title = f"lraudit {f.code} {f.name} ({r.run} {r.tag})"
            where = f" (step {f.step})" if f.step is not None else ""
            props = file_prop if r.intended is not None else ""
            if props and f.line is not None:
                props += f"line={int(f.line)},"
            lines.append(
                f"::{_LEVEL[f.severity.value]} {props}title={escape_property(title)}::"
                f"{escape_data(f.message + where)}"
            )
    for r in report.runs:
        for n in dict.fromkeys(r.notes):
            title = escape_property(f"lraudit note ({r.run} {r.tag})")
            lines.append(f"::notice title={title}::{escape_data(n)}")
    skipped = unaudited_line(report)
    if skipped:
        lines.append(f"::notice title=lraudit runs not audited::{escape_data(skipped)}")
    lines.append(f"::notice title=lraudit::{escape_data(summary_line(report))}")
    return "\n".join(lines) + "\n"
