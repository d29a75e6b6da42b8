"""``--format html``: one self-contained page (no external files, scripts or fonts, no network).

The page holds the verdict (``failed`` at the ``--fail-on`` level, ``passed with warnings``,
``passed``), the runs table (each row links to its chart), the findings, the fit details as
one compact table, the config assumptions, and one interactive chart per run x tag (inline
SVG and script, :mod:`lraudit.report.chart`: zoom, pan, hover values). With
``Options.embed_plots`` each chart is followed by the static PNG plot with residuals (needs
matplotlib; :mod:`lraudit.report.plot`), collapsed.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from html import escape

from lraudit.describe import describe_fit, describe_schedule
from lraudit.report.base import Options, fail_rank
from lraudit.report.text import (
    points_cell,
    segment_points,
    segment_reason,
    segment_status,
    summary_line,
    unaudited_line,
)
from lraudit.types import AuditReport, RunAudit, Severity

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f3f3f3} code{font-size:.85rem}
.ok{color:#1a7f37;font-weight:600} .warning{color:#9a6700;font-weight:600}
.error{color:#cf222e;font-weight:600} .info{color:#0969da;font-weight:600}
.nowrap{white-space:nowrap} figure{margin:1rem 0} img{max-width:100%;border:1px solid #ddd}
table.fit td{font-size:.85rem} h3{font-size:1rem;margin:1.5rem 0 .3rem} h3 a{font-size:.8rem}
""".strip()


def verdict(report: AuditReport, fail_on: str) -> tuple[str, str]:
    """The heading's word and CSS class: ``failed`` (findings at or above ``fail_on``),
    ``passed with warnings`` (warnings below the gate), else ``passed``."""
    rank = fail_rank(fail_on)
    sev = [f.severity for r in report.runs for f in r.findings]
    if any(x.rank >= rank for x in sev):
        return "failed", "error"
    if any(x is Severity.WARNING for x in sev):
        return "passed with warnings", "warning"
    return "passed", "ok"


def _fit_table(report: AuditReport) -> list[str]:
    """Fit details as one compact table: a row per fitted run x tag."""
    e = escape
    fitted = [(i, r) for i, r in enumerate(report.runs) if r.fit is not None]
    if not fitted:
        return []
    out = [
        '<h2>Fit details</h2><table class="fit"><thead><tr>'
        "<th>run · tag</th><th>fit</th><th>rmse_log</th><th>identified</th>"
        "<th>not identified (why)</th><th>alternatives (ΔBIC)</th></tr></thead><tbody>"
    ]
    for i, r in fitted:
        f = r.fit
        assert f is not None
        status = e(f.status) + (f", offset {f.offset:+d}" if f.offset else "")
        why = "<br>".join(
            f"<code>{e(n)}</code>" + (f": {e(w.removeprefix(f'{n}: '))}" if w else "")
            for n, w in f.unidentified.items()
        )
        alts = ", ".join(f"{e(a.family)} ({a.delta_bic:.3g})" for a in f.alternatives)
        notes = "".join(f"<br><small>{e(w)}</small>" for w in f.warnings)
        out.append(
            f'<tr><td><a href="#plot-{i}"><code>{e(r.run)}</code> <code>{e(r.tag)}</code></a></td>'
            f"<td>{status}{notes}</td><td>{f.rmse_log:.2g}</td>"
            f"<td>{', '.join(f'<code>{e(n)}</code>' for n in f.identified) or '—'}</td>"
            f"<td>{why or '—'}</td><td>{alts or '—'}</td></tr>"
        )
    out.append("</tbody></table>")
    return out


def _header(report: AuditReport, opts: Options, chart_css: str) -> list[str]:
    """Document head, verdict, summary line, the logs and config audited, what was skipped."""
    word, cls = verdict(report, opts.fail_on)
    e = escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>lraudit: {e(str(report.path))}</title>",
        f"<style>{_CSS}\n{chart_css}</style></head><body>",
        f'<h1>lraudit: <span class="{cls}">{word}</span></h1>',
        f"<p>{e(summary_line(report))} (--fail-on {e(opts.fail_on)}). "
        f"Logs: <code>{e(str(report.path))}</code>",
    ]
    if report.config_path:
        fmt = f" ({e(report.config_format)})" if report.config_format else ""
        out.append(f" · config: <code>{e(str(report.config_path))}</code>{fmt}")
    out.append("</p>")
    skipped = unaudited_line(report)
    if skipped:
        out.append(f"<p>{e(skipped)}</p>")
    return out


def _runs_table(report: AuditReport) -> list[str]:
    """One row per run (linked to its plot), one indented row per segment."""
    e = escape
    with_intended = any(r.intended is not None for r in report.runs)
    head = ["run", "tag", "points", "inferred schedule"]
    head += ["intended"] if with_intended else []
    head += ["status", "findings"]
    out = ['<table id="runs"><thead><tr>']
    out += [f"<th>{h}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for i, r in enumerate(report.runs):
        cells = [
            f'<a href="#plot-{i}" title="plot"><code>{e(r.run)}</code></a>',
            f"<code>{e(r.tag)}</code>",
            f'<span class="nowrap">{e(points_cell(r))}</span>',
            e(describe_fit(r.fit)),
        ]
        if with_intended:
            cells.append(e(describe_schedule(r.intended.schedule if r.intended else None)))
        cells.append(f'<span class="{r.status}">{r.status}</span>')
        cells.append(", ".join(f"{e(f.code)} {e(f.name)}" for f in r.findings) or "—")
        out.append(f'<tr id="run-{i}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        for k, g in enumerate(r.segments):
            fit = describe_fit(g.fit) if g.fit is not None else "too short to fit"
            seg = ["", f"↳ segment {k + 1} ({e(segment_reason(g))})"]
            seg += [e(segment_points(g).replace("\n", " ")), e(fit)]
            if with_intended:
                seg.append("")
            bad = segment_status(g)
            seg.append(f'<span class="warning">{e(bad)}</span>' if bad else "")
            seg += [""] * (len(head) - len(seg))
            out.append('<tr class="segment">' + "".join(f"<td>{c}</td>" for c in seg) + "</tr>")
    out.append("</tbody></table>")
    return out


def _findings_and_notes(report: AuditReport) -> list[str]:
    """Every finding and every distinct reader note, each linked to its run's plot."""
    e = escape
    out: list[str] = []
    findings = [(i, r, f) for i, r in enumerate(report.runs) for f in r.findings]
    if findings:
        out.append("<h2>Findings</h2><ul>")
        for i, r, f in findings:
            where = f", step {f.step}" if f.step is not None else ""
            out.append(
                f'<li><span class="{f.severity.value}">{f.severity.value}</span> '
                f"<code>{e(f.code)}</code> <b>{e(f.name)}</b> "
                f'(<a href="#plot-{i}"><code>{e(r.run)}</code> <code>{e(r.tag)}</code></a>'
                f"{where}): {e(f.message)}</li>"
            )
        out.append("</ul>")
    notes = [(i, r, n) for i, r in enumerate(report.runs) for n in dict.fromkeys(r.notes)]
    if notes:
        out.append("<h2>Reader notes</h2><ul>")
        out += [
            f'<li><a href="#plot-{i}"><code>{e(r.run)}</code> <code>{e(r.tag)}</code></a>: '
            f"{e(n)}</li>"
            for i, r, n in notes
        ]
        out.append("</ul>")
    return out


def _plots(report: AuditReport, opts: Options, chart: Callable[[RunAudit, int], str]) -> list[str]:
    """One section per run: its interactive chart, and the static PNG when asked for."""
    e = escape
    out = ["<h2>Plots</h2>"] if report.runs else []
    for i, r in enumerate(report.runs):
        out.append(
            f'<section id="plot-{i}"><h3><code>{e(r.run)}</code> · <code>{e(r.tag)}</code> · '
            f'<span class="{r.status}">{r.status}</span> <a href="#run-{i}">↑ table</a></h3>'
        )
        out.append(chart(r, i))
        if opts.embed_plots:
            from lraudit.report.plot import render_png

            data = base64.b64encode(render_png(r)).decode("ascii")
            alt = f"learning rate of {r.run} {r.tag}"
            out.append(
                "<details><summary>static plot with residuals (PNG)</summary>"
                f'<img alt="{e(alt)}" src="data:image/png;base64,{data}"></details>'
            )
        out.append("</section>")
    return out


def format_html(report: AuditReport, options: Options | None = None) -> str:
    """The report as one self-contained HTML document (inline CSS and script, no network)."""
    from lraudit.report.chart import CSS as CHART_CSS
    from lraudit.report.chart import SCRIPT, chart_html

    opts = options or Options()
    out = _header(report, opts, CHART_CSS)
    out += _runs_table(report)
    out += _findings_and_notes(report)
    out += _fit_table(report)
    if report.intended is not None and report.intended.assumptions:
        out.append("<h2>Config assumptions</h2><ul>")
        out += [f"<li>{escape(a)}</li>" for a in report.intended.assumptions]
        out.append("</ul>")
    out += _plots(report, opts, chart_html)
    out.append(f"<script>{SCRIPT}</script>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
