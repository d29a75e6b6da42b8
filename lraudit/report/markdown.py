"""``--format markdown``: GitHub-flavoured Markdown for ``$GITHUB_STEP_SUMMARY`` and PR comments."""

from __future__ import annotations

from lraudit.describe import describe_fit, fit_details
from lraudit.report.base import Options, fail_rank, printable
from lraudit.report.text import (
    intended_cell,
    points_cell,
    run_config_lines,
    segment_points,
    segment_reason,
    segment_status,
    summary_line,
    unaudited_line,
)
from lraudit.types import AuditReport

_MARK = {"ok": "✅ ok", "warning": "⚠️ warning", "error": "❌ error"}
_SEV = {"info": "ℹ️ info", "warning": "⚠️ warning", "error": "❌ error"}


def md_cell(text: str) -> str:
    """Text safe inside a table cell: pipes escaped, newlines as spaces.

    >>> md_cell("a|b\\nc")
    'a\\\\|b c'
    """
    flat = text.replace("\r", " ").replace("\n", " ")
    return printable(flat.replace("\\", "\\\\").replace("|", "\\|"))


def _code(text: str) -> str:
    return "`" + printable(text).replace("`", "'") + "`" if text else "—"


def md_text(text: str) -> str:
    r"""Free text on one line with HTML-significant characters escaped.

    >>> md_text("a <b> & c\nd")
    'a &lt;b&gt; &amp; c d'
    """
    flat = printable(" ".join(text.split()))
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def format_markdown(report: AuditReport, options: Options | None = None) -> str:
    """A heading with the verdict, the runs table, then the findings as a list."""
    opts = options or Options()
    rank = fail_rank(opts.fail_on)
    failed = any(f.severity.rank >= rank for r in report.runs for f in r.findings)
    warned = any(f.severity.rank >= 1 for r in report.runs for f in r.findings)
    verdict = "❌ failed" if failed else ("⚠️ passed with warnings" if warned else "✅ passed")
    lines = [f"## lraudit: {verdict} ({summary_line(report)})", ""]
    src = f"Logs: {_code(str(report.path))}"
    if report.config_path:
        fmt = f" ({report.config_format})" if report.config_format else ""
        src += f" · config: {_code(str(report.config_path))}{fmt}"
    lines += [src, ""]
    skipped = unaudited_line(report)
    if skipped:
        lines += [md_cell(skipped), ""]
    with_intended = any(r.intended is not None for r in report.runs)
    head = ["run", "tag", "points", "inferred schedule"]
    if with_intended:
        head.append("intended")
    head.append("status")
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for r in report.runs:
        cells = [
            _code(md_cell(r.run)),
            _code(md_cell(r.tag)),
            points_cell(r),
            md_cell(describe_fit(r.fit)),
        ]
        if with_intended:
            cells.append(md_cell(intended_cell(r)))
        cells.append(_MARK.get(r.status, r.status))
        lines.append("| " + " | ".join(cells) + " |")
        for i, g in enumerate(r.segments):
            fit = describe_fit(g.fit) if g.fit is not None else "too short to fit"
            seg = ["", f"↳ segment {i + 1} ({segment_reason(g)})"]
            seg += [segment_points(g).replace("\n", " "), md_cell(fit)]
            if with_intended:
                seg.append("")
            bad = segment_status(g)
            lines.append("| " + " | ".join(seg) + f" | {'⚠️ ' + bad if bad else ''} |")
    findings = [(r, f) for r in report.runs for f in r.findings]
    if findings:
        lines += ["", "### Findings", ""]
        for r, f in findings:
            where = f", step {f.step}" if f.step is not None else ""
            lines.append(
                f"- {_SEV[f.severity.value]} {_code(f.code)} **{f.name}** "
                f"({_code(r.run)} {_code(r.tag)}{where}): {md_text(f.message)}"
            )
    configs = run_config_lines(report)
    if configs:
        lines += ["", "### Configs", ""]
        lines += [f"- {md_text(c)}" for c in configs]
    notes = [(r, n) for r in report.runs for n in dict.fromkeys(r.notes)]
    if notes:
        lines += ["", "### Reader notes", ""]
        lines += [f"- {_code(r.run)} {_code(r.tag)}: {md_text(n)}" for r, n in notes]
    fitted = [r for r in report.runs if r.fit is not None]
    if fitted:
        lines += ["", "<details><summary>Fit details</summary>", ""]
        for r in fitted:
            assert r.fit is not None
            lines.append(f"- {_code(r.run)} {_code(r.tag)}")
            lines += [f"  - {md_text(d)}" for d in fit_details(r.fit)]
        lines += ["", "</details>"]
    assumptions = report.intended.assumptions if report.intended is not None else ()
    if assumptions:
        lines += ["", "<details><summary>Config assumptions</summary>", ""]
        lines += [f"- {md_text(a)}" for a in assumptions]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
