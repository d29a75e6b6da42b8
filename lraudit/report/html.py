"""``--format html``: one self-contained page (no external files, scripts or fonts).

The page holds the verdict, the runs table, the findings, the config assumptions and, with
``Options.embed_plots``, one plot per run x tag embedded as a base64 PNG ``data:`` URI (needs
matplotlib; :mod:`lraudit.report.plot`).
"""

from __future__ import annotations

import base64
from html import escape

from lraudit.describe import describe_fit, describe_schedule, fit_details
from lraudit.report import Options, fail_rank
from lraudit.report.text import points_cell, summary_line, unaudited_line
from lraudit.types import AuditReport

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f3f3f3} code{font-size:.85rem}
.ok{color:#1a7f37;font-weight:600} .warning{color:#9a6700;font-weight:600}
.error{color:#cf222e;font-weight:600} .info{color:#0969da;font-weight:600}
.nowrap{white-space:nowrap} figure{margin:1rem 0} img{max-width:100%;border:1px solid #ddd}
""".strip()


def format_html(report: AuditReport, options: Options | None = None) -> str:
    """The report as one HTML document."""
    opts = options or Options()
    rank = fail_rank(opts.fail_on)
    failed = any(f.severity.rank >= rank for r in report.runs for f in r.findings)
    verdict = "failed" if failed else "passed"
    e = escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>lraudit: {e(str(report.path))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f'<h1>lraudit: <span class="{"error" if failed else "ok"}">{verdict}</span></h1>',
        f"<p>{e(summary_line(report))}. Logs: <code>{e(str(report.path))}</code>",
    ]
    if report.config_path:
        fmt = f" ({e(report.config_format)})" if report.config_format else ""
        out.append(f" · config: <code>{e(str(report.config_path))}</code>{fmt}")
    out.append("</p>")
    skipped = unaudited_line(report)
    if skipped:
        out.append(f"<p>{e(skipped)}</p>")
    with_intended = any(r.intended is not None for r in report.runs)
    head = ["run", "tag", "points", "inferred schedule"]
    head += ["intended"] if with_intended else []
    head += ["status", "findings"]
    out.append('<table id="runs"><thead><tr>')
    out += [f"<th>{h}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for r in report.runs:
        cells = [
            f"<code>{e(r.run)}</code>",
            f"<code>{e(r.tag)}</code>",
            f'<span class="nowrap">{e(points_cell(r))}</span>',
            e(describe_fit(r.fit)),
        ]
        if with_intended:
            cells.append(e(describe_schedule(r.intended.schedule if r.intended else None)))
        cells.append(f'<span class="{r.status}">{r.status}</span>')
        cells.append(", ".join(f"{e(f.code)} {e(f.name)}" for f in r.findings) or "—")
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table>")
    findings = [(r, f) for r in report.runs for f in r.findings]
    if findings:
        out.append("<h2>Findings</h2><ul>")
        for r, f in findings:
            where = f", step {f.step}" if f.step is not None else ""
            out.append(
                f'<li><span class="{f.severity.value}">{f.severity.value}</span> '
                f"<code>{e(f.code)}</code> <b>{e(f.name)}</b> "
                f"(<code>{e(r.run)}</code> <code>{e(r.tag)}</code>{where}): {e(f.message)}</li>"
            )
        out.append("</ul>")
    fitted = [r for r in report.runs if r.fit is not None]
    if fitted:
        out.append("<h2>Fit details</h2><ul>")
        for r in fitted:
            assert r.fit is not None
            items = "".join(f"<li>{e(d)}</li>" for d in fit_details(r.fit))
            out.append(f"<li><code>{e(r.run)}</code> <code>{e(r.tag)}</code><ul>{items}</ul></li>")
        out.append("</ul>")
    if report.intended is not None and report.intended.assumptions:
        out.append("<h2>Config assumptions</h2><ul>")
        out += [f"<li>{e(a)}</li>" for a in report.intended.assumptions]
        out.append("</ul>")
    if opts.embed_plots and report.runs:
        from lraudit.report.plot import render_png

        out.append("<h2>Plots</h2>")
        for r in report.runs:
            data = base64.b64encode(render_png(r)).decode("ascii")
            alt = f"learning rate of {r.run} {r.tag}"
            out.append(
                f'<figure><img alt="{e(alt)}" src="data:image/png;base64,{data}">'
                f"<figcaption><code>{e(r.run)}</code> · <code>{e(r.tag)}</code></figcaption>"
                "</figure>"
            )
    out.append("</body></html>")
    return "\n".join(out) + "\n"
