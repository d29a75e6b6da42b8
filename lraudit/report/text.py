"""``--format text``: a table (run, tag, points, inferred schedule, intended, status), then findings.

Rendered with :mod:`rich` into a string at a fixed width without colour, so the output is
deterministic (golden-tested) and reads the same in a terminal, a log file or CI.
"""

from __future__ import annotations

import io
import textwrap

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from lraudit.describe import describe_fit, describe_schedule, fmt_step
from lraudit.report.base import Options, printable
from lraudit.types import AuditReport, RunAudit, SegmentAudit

_STYLE = {"ok": "green", "warning": "yellow", "error": "bold red", "info": "blue"}
_ANSI = {"ok": "32", "warning": "33", "error": "1;31", "info": "34"}


def _paint(text: str, status: str, color: bool) -> str:
    return f"\x1b[{_ANSI[status]}m{text}\x1b[0m" if color and status in _ANSI else text


def points_cell(run: RunAudit) -> str:
    """``"50 (100–5000)"``: number of points and the step range, ``"0"`` without a series."""
    s = run.series
    if s is None or len(s) == 0:
        return "0"
    return f"{len(s)} ({fmt_step(s.steps[0])}–{fmt_step(s.steps[-1])})"


_REASONS = {
    "start": "first",
    "restart": "restart",
    "step_regression": "steps go back",
    "lr_jump": "LR jumps",
    "new_warmup": "new warmup",
}


def segment_reason(seg: SegmentAudit) -> str:
    """Why a segment starts, in two words (``"restart"``, ``"new warmup"``; ``"stray"`` first)."""
    why = _REASONS.get(seg.starts_because, seg.starts_because)
    return f"stray, {why}" if seg.stray else why


def segment_status(seg: SegmentAudit) -> str:
    """A segment row's status: ``"poor fit"`` when its fit misses its curve (not a result; an
    ``unexplained_lr`` finding says where), else empty (the run row carries the status)."""
    return "poor fit" if seg.fit is not None and seg.fit.status == "poor" and not seg.stray else ""


def segment_points(seg: SegmentAudit) -> str:
    """``"20\n100–2000"``: a segment's points and step range (two lines, as the run rows)."""
    return f"{seg.n_points}\n{fmt_step(seg.first_step)}–{fmt_step(seg.last_step)}"


def intended_cell(run: RunAudit) -> str:
    """The intended schedule's line, or ``"= inferred"`` when it reads the same as the fit's."""
    if run.intended is None:
        return "—"
    line = describe_schedule(run.intended.schedule)
    if run.fit is not None and line == describe_schedule(run.fit.schedule):
        return "= inferred"
    return line


def unaudited_line(report: AuditReport) -> str | None:
    """A sentence naming the runs not audited for want of an LR tag, with their tags, and one
    naming the runs whose audit failed, with the reason; or None."""
    failed = "; ".join(f"{run} ({why})" for run, why in report.failed)
    if failed:
        n = len(report.failed)
        failed = f"Not audited, failed in {n} run{'s' if n > 1 else ''}: {failed}."
    if not report.unaudited:
        return failed or None
    parts = []
    for run, tags in report.unaudited:
        shown = ", ".join(tags[:8]) + (f", ... ({len(tags)} in all)" if len(tags) > 8 else "")
        parts.append(f"{run} ({shown or 'no scalar tags'})")
    n = len(report.unaudited)
    return (
        f"Not audited, no learning-rate tag in {n} run{'s' if n > 1 else ''}: "
        f"{'; '.join(parts)}; name the tag with --tag if one of these is the LR."
        + (f" {failed}" if failed else "")
    )


def summary_line(report: AuditReport) -> str:
    """``"2 runs: 1 error, 0 warnings, 1 info"``; ``"5 runs (9 series): ..."`` when runs log
    several LR tags (a run is a run directory; a series is one run x LR tag)."""
    n = len({r.run for r in report.runs})
    n_series = len(report.runs)
    infos = sum(f.severity.value == "info" for r in report.runs for f in r.findings)
    s = report.summary

    def plural(k: int, word: str) -> str:
        return f"{k} {word}" + ("" if k == 1 or word == "info" else "s")

    series = f" ({n_series} series)" if n_series != n else ""
    return (
        f"{plural(n, 'run')}{series}: {plural(s['errors'], 'error')}, "
        f"{plural(s['warnings'], 'warning')}, {plural(infos, 'info')}"
    )


def run_config_lines(report: AuditReport) -> list[str]:
    """One line per run saying which config it was compared with, when runs may differ
    (configs discovered beside the runs or pinned per run); empty when one ``--config`` (or
    none) applies to all."""
    seen: dict[str, str] = {}
    for r in report.runs:
        c = r.config
        if c is None or r.run in seen:
            continue
        if c.found == "none" or c.path is None:
            seen[r.run] = "no config found beside the run (audited from its logs alone)"
        else:
            where = {"beside_run": "saved beside the run", "given": "--config"}.get(
                c.found, c.found
            )
            seen[r.run] = f"{c.path} ({c.format or 'unknown format'}, {where})"
    if all(r.config is None or r.config.found == "given" for r in report.runs):
        return []
    return [f"{run}: {what}" for run, what in seen.items()]


def format_text(report: AuditReport, options: Options | None = None) -> str:
    """The report as a plain-text table plus one line per finding."""
    opts = options or Options()
    buf = io.StringIO()
    console = Console(
        file=buf,
        width=opts.width,
        color_system="standard" if opts.color else None,
        force_terminal=opts.color,
        force_jupyter=False,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )
    title = f"lraudit {report.path}"
    if report.config_path:
        fmt = f" ({report.config_format})" if report.config_format else ""
        title += f" vs {report.config_path}{fmt}"
    console.print(printable(title), markup=False)
    with_intended = any(r.intended is not None for r in report.runs)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False, leading=1)
    # run and tag share a column (tag on the second line) to leave room for the schedules.
    table.add_column("run\n  tag", overflow="fold", ratio=2)
    table.add_column("points", ratio=1)
    table.add_column("inferred schedule", overflow="fold", ratio=3)
    if with_intended:
        table.add_column("intended", overflow="fold", ratio=3)
    table.add_column("status", no_wrap=True)
    for r in report.runs:
        n = len(r.series) if r.series is not None else 0
        span = points_cell(r)[len(str(n)) :].strip()
        cells = [printable(f"{r.run}\n  {r.tag or '—'}"), f"{n}\n{span}", describe_fit(r.fit)]
        if with_intended:
            cells.append(intended_cell(r))
        table.add_row(*cells, Text(r.status, style=_STYLE.get(r.status, "")))
        for i, g in enumerate(r.segments):
            seg = [f"  segment {i + 1}\n  {segment_reason(g)}", segment_points(g)]
            seg.append(describe_fit(g.fit) if g.fit is not None else "too short to fit")
            if with_intended:
                seg.append("")
            table.add_row(*seg, Text(segment_status(g), style=_STYLE["warning"]))
    console.print(table)
    findings = [(r, f) for r in report.runs for f in r.findings]
    lines = [line.rstrip() for line in buf.getvalue().splitlines()]
    configs = run_config_lines(report)
    if configs:
        lines += ["", "configs:"]
        for c in configs:
            lines += textwrap.wrap(
                printable(c), width=opts.width, initial_indent="  ", subsequent_indent=" " * 4
            )
    if findings:
        lines += ["", "findings:"]
        for r, f in findings:
            where = f" step {f.step}" if f.step is not None else ""
            sev = _paint(f"{f.severity.value:<7}", f.severity.value, opts.color)
            head = (
                f"  {sev} {f.code} {f.name} [{printable(r.run)} {printable(r.tag or '—')}{where}]"
            )
            if len(head) > opts.width and not opts.color:
                lines += textwrap.wrap(head, width=opts.width, subsequent_indent=" " * 10)
            else:
                lines.append(head)
            lines += textwrap.wrap(
                printable(" ".join(f.message.split())),
                width=opts.width,
                initial_indent=" " * 10,
                subsequent_indent=" " * 10,
            )
    notes = [(r, n) for r in report.runs for n in dict.fromkeys(r.notes)]
    if notes:
        lines += ["", "notes:"]
        for r, note in notes:
            lines += textwrap.wrap(
                printable(f"[{r.run} {r.tag}] {' '.join(note.split())}"),
                width=opts.width,
                initial_indent="  ",
                subsequent_indent=" " * 4,
            )
    skipped = unaudited_line(report)
    if skipped:
        lines += [""] + textwrap.wrap(printable(skipped), width=opts.width, subsequent_indent="  ")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
