"""The ``lraudit`` command: parse argv, call the library, write the report, map to an exit code.

Subcommands (contract in docs/cli.md)::

    lraudit report PATH [--config FILE] [...] [--format F] [--output FILE] [--plot DIR]
    lraudit check  PATH [same options] [--fail-on error|warning]
    lraudit explain CONFIG [--steps N] [--format text|json|markdown]
    lraudit families [--format text|json]

Exit codes: 0 nothing at or above the fail level (``report``: it ran); 1 ``check`` found findings
at or above ``--fail-on``; 2 lraudit could not audit (unreadable path, no LR series, bad config,
usage error). The report goes to stdout or ``--output``; the one-line summary, progress and
errors go to stderr. Every :class:`~lraudit.errors.LrauditError` becomes one line
``lraudit: error: ...`` on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

from lraudit.errors import LrauditError
from lraudit.types import AuditReport
from lraudit.vocab import CONFIG_FORMATS

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """An argparse usage error, turned into exit code 2 with one line on stderr."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return v


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``lraudit`` command (documented in docs/cli.md)."""
    from lraudit import __version__
    from lraudit.report import FAIL_LEVELS, FORMATS

    parser = _Parser(
        prog="lraudit",
        description="Audit learning-rate schedules in TensorBoard logs against the training config.",
    )
    parser.add_argument("--version", action="version", version=f"lraudit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def audit_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("path", metavar="PATH", help="logdir, run directory or event file")
        p.add_argument("--config", metavar="FILE", help="training config with the intended LR")
        p.add_argument("--config-format", default="auto", choices=CONFIG_FORMATS)
        p.add_argument("--tag", help="LR tag to audit (default: detect)")
        p.add_argument("--run", metavar="GLOB", help="only runs whose path matches GLOB")
        p.add_argument("--steps-per-epoch", type=_positive_int, metavar="N")
        p.add_argument("--world-size", type=_positive_int, metavar="N")
        p.add_argument("--format", default="auto", choices=FORMATS)
        p.add_argument("--output", "-o", metavar="FILE", help="write the report here")
        p.add_argument("--plot", metavar="DIR", help="write one PNG per run x tag into DIR")
        p.add_argument(
            "--jobs",
            "-j",
            type=_positive_int,
            default=None,
            metavar="N",
            help="processes for reading and fitting (default: all cores)",
        )
        p.add_argument("--no-progress", action="store_true", help="never show a progress bar")

    rep = sub.add_parser("report", help="audit a logdir and print the report (exit 0 if it ran)")
    audit_options(rep)
    chk = sub.add_parser("check", help="CI gate: exit 1 on findings at or above --fail-on")
    audit_options(chk)
    chk.add_argument("--fail-on", default="error", choices=FAIL_LEVELS)

    exp = sub.add_parser(
        "explain",
        help="explain a finding (code or name) or the intended schedule of a config",
        description="Explain a finding (LRA003, constant_lr: what it means, why it matters, "
        "how to fix it, an example), list every finding (--list), or show the intended "
        "schedule of a training config without any logs.",
        epilog="examples:\n  lraudit explain LRA003\n  lraudit explain constant_lr\n"
        "  lraudit explain --list\n  lraudit explain pipeline.config --steps 5000",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    exp.add_argument(
        "config",
        metavar="CODE|NAME|CONFIG",
        nargs="?",
        help="a finding code (LRA003) or name (constant_lr), or a training config file",
    )
    exp.add_argument("--list", action="store_true", help="list every finding with its code")
    exp.add_argument("--config-format", default="auto", choices=CONFIG_FORMATS)
    exp.add_argument("--steps", type=_positive_int, metavar="N", help="planned training steps")
    exp.add_argument("--steps-per-epoch", type=_positive_int, metavar="N")
    exp.add_argument("--world-size", type=_positive_int, metavar="N")
    exp.add_argument("--format", default="text", choices=("text", "json", "markdown"))
    exp.add_argument("--output", "-o", metavar="FILE")

    fam = sub.add_parser("families", help="the schedule vocabulary with formulas")
    fam.add_argument("--format", default="text", choices=("text", "json"))
    fam.add_argument("--output", "-o", metavar="FILE")
    return parser


# --------------------------------------------------------------------------- progress


class ProgressBar:
    """A ``progress(done, total, label)`` callback drawing a rich bar on a terminal stream.

    The bar appears only once the work has taken more than ``delay`` seconds, so quick audits
    print nothing; it is transient (erased when done) so the summary line stays clean.
    """

    def __init__(self, stream: IO[str], delay: float = 0.5) -> None:
        self.stream = stream
        self.delay = delay
        self.t0 = time.monotonic()
        self._progress: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int, label: str = "") -> None:
        if self._progress is None:
            if time.monotonic() - self.t0 < self.delay or done >= total:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            console = Console(file=self.stream, stderr=True)
            self._progress = Progress(
                TextColumn("lraudit"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                console=console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(label, total=total)
        self._progress.update(self._task, completed=done, total=total, description=label)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


# --------------------------------------------------------------------------- commands


def _write(text: str, output: str | None, stdout: IO[str]) -> None:
    if output is None:
        stdout.write(text)
        stdout.flush()
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise LrauditError(f"--output {output}: cannot write ({exc.strerror})") from None


def run_audit(path: str, **kwargs: Any) -> AuditReport:
    """:func:`lraudit.audit` (a seam the tests replace with a stub)."""
    import lraudit

    return lraudit.audit(path, **kwargs)


def _cmd_audit(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    from lraudit.report import Options, failing, get_formatter, resolve_format
    from lraudit.report.text import summary_line

    fmt = resolve_format(args.format)
    # Fixed width (deterministic) unless the table goes straight to a terminal.
    width = _terminal_width(stdout) if fmt == "text" and args.output is None else 100
    fail_on = getattr(args, "fail_on", "error")
    if args.plot or fmt == "html":
        # fail before the audit, not after the report was written
        from lraudit.report.plot import require

        require()
    progress = None
    if not args.no_progress and _isatty(stderr):
        progress = ProgressBar(stderr)
    try:
        report = run_audit(
            args.path,
            config=args.config,
            config_format=args.config_format,
            tag=args.tag,
            run=args.run,
            steps_per_epoch=args.steps_per_epoch,
            world_size=args.world_size,
            jobs=args.jobs,  # None: every core
            progress=progress,
        )
    finally:
        if progress is not None:
            progress.close()
    if not report.runs:
        raise LrauditError(f"{args.path}: no learning-rate series found; pass --tag to choose one")
    from lraudit.report.locate import attach_lines

    report = attach_lines(report)
    color = args.output is None and _isatty(stdout) and not os.environ.get("NO_COLOR")
    text = get_formatter(fmt)(report, Options(fail_on=fail_on, width=width, color=color))
    _write(text, args.output, stdout)
    if args.plot:
        from lraudit.report.plot import write_plots

        bar = ProgressBar(stderr) if not args.no_progress and _isatty(stderr) else None
        try:
            paths = write_plots(report, args.plot, progress=bar)
        finally:
            if bar is not None:
                bar.close()
        print(f"lraudit: wrote {len(paths)} plot(s) to {args.plot}", file=stderr)
    bad = sum(len(failing(r, fail_on)) for r in report.runs)
    line = f"lraudit: {summary_line(report)}"
    if args.command == "check":
        verdict = "failed" if bad else "passed"
        line += f"; check {verdict} (--fail-on {fail_on})"
    print(line, file=stderr)
    if args.command == "check" and bad:
        return EXIT_FAIL
    return EXIT_OK


def _cmd_explain(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    from lraudit import findings_doc
    from lraudit.explain import explain

    target = args.config
    if args.list:
        _write(findings_doc.format_finding_list(args.format), args.output, stdout)
        return EXIT_OK
    if target is None:
        raise UsageError("explain needs a finding code or name, a config file, or --list")
    if not Path(target).exists():
        doc = findings_doc.find_doc(target)
        if doc is not None:
            _write(findings_doc.format_finding_doc(doc, args.format), args.output, stdout)
            return EXIT_OK
        if findings_doc.looks_like_finding(target):
            close = findings_doc.suggest(target)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise LrauditError(
                f"{target!r} is neither a finding nor a config file{hint} "
                "(see 'lraudit explain --list')"
            )
    text = explain(
        args.config,
        format=args.format,
        config_format=args.config_format,
        steps=args.steps,
        steps_per_epoch=args.steps_per_epoch,
        world_size=args.world_size,
    )
    _write(text, args.output, stdout)
    return EXIT_OK


def _cmd_families(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    from lraudit.explain import format_families

    _write(format_families(args.format), args.output, stdout)
    return EXIT_OK


def _isatty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _terminal_width(stream: IO[str]) -> int:
    if _isatty(stream):
        import shutil

        return max(60, shutil.get_terminal_size((100, 24)).columns)
    return 100


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lraudit`` command with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    stdout, stderr = sys.stdout, sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except UsageError as exc:
        print(f"lraudit: error: {exc}", file=stderr)
        return EXIT_ERROR
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_OK
    commands = {
        "report": _cmd_audit,
        "check": _cmd_audit,
        "explain": _cmd_explain,
        "families": _cmd_families,
    }
    try:
        return commands[args.command](args, stdout, stderr)
    except UsageError as exc:
        print(f"lraudit: error: {exc}", file=stderr)
        return EXIT_ERROR
    except LrauditError as exc:
        msg = " ".join(str(exc).split()) or type(exc).__name__
        print(f"lraudit: error: {msg}", file=stderr)
        return EXIT_ERROR
    except OSError as exc:
        # An I/O failure that a lower layer did not word itself: still one line, no traceback.
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"lraudit: error: {where}{exc.strerror or exc}", file=stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("lraudit: interrupted", file=stderr)
        return 130


def main_entry() -> None:
    """Console-script entry point (``lraudit``)."""
    sys.exit(main())
