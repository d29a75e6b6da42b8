"""The ``lraudit`` command: parse argv, call the library, write the report, map to an exit code.

Subcommands (contract in docs/cli.md)::

    lraudit report [PATH] [--config FILE] [...] [--format F] [--output FILE] [--plot DIR]
    lraudit check  [PATH] [same options] [--fail-on error|warning|info] [--exit-zero]
    lraudit explain CODE|NAME|CONFIG [--steps N] [--format text|json|markdown]
    lraudit explain --list
    lraudit families [--format text|json]

Exit codes: 0 nothing at or above the fail level (``report``: it ran; ``check --exit-zero``:
whatever it found); 1 ``check`` found findings at or above ``--fail-on``; 2 lraudit could not
audit (unreadable path, no LR series, bad config or settings, usage error). The report goes to
stdout or ``--output``; the one-line summary, progress and errors go to stderr (the summary
only once: when a text report already ends with it on the same terminal, stderr gets the
verdict alone). Every failure, expected or not, becomes one line ``lraudit: error: ...`` on
stderr and exit code 2, never a traceback. Defaults come from ``[tool.lraudit]`` in the nearest
``pyproject.toml`` or ``lraudit.toml`` (:mod:`lraudit.cli_settings`); the command line wins.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

from lraudit.cli_output import (
    ProgressBar,
    SafeStream,
    check_path,
    guard_output,
    isatty,
    printable,
    same_terminal,
    text_width,
    usable_cores,
    use_color,
)
from lraudit.errors import LrauditError
from lraudit.types import AuditReport
from lraudit.vocab import CONFIG_FORMATS

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2

__all__ = ["EXIT_ERROR", "EXIT_FAIL", "EXIT_OK", "ProgressBar", "build_parser", "main"]


class UsageError(Exception):
    """An argparse usage error, turned into exit code 2 with one line on stderr."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            SafeStream(file or sys.stdout).write(message)


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return v


def _positive_seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return v


class _Only:
    """Adds only the arguments whose dest is in ``only`` (shares _audit_options' wording)."""

    def __init__(self, parser: argparse.ArgumentParser, only: Sequence[str]) -> None:
        self.parser, self.only = parser, set(only)

    def add_argument(self, *names: str, **kw: Any) -> None:
        dest = kw.get("dest") or next(
            (n.lstrip("-") for n in names if n.startswith("--")), names[0]
        ).replace("-", "_")
        if dest in self.only:
            self.parser.add_argument(*names, **kw)


_AUDIT_EPILOG = """\
examples:
  lraudit {cmd} runs/ --config configs/pipeline.config
  lraudit {cmd} runs/ --run 'exp*' --tag lr-SGD --format json -o report.json
  lraudit {cmd} runs/ --config hyp.yaml --steps-per-epoch 500 --world-size 8
  lraudit {cmd} runs/ --format sarif -o lraudit.sarif --write markdown=summary.md
  lraudit {cmd} sweeps/ --dask local --jobs 4   # or --dask tcp://scheduler:8786
{extra}
Defaults for every option can be set in [tool.lraudit] of pyproject.toml (or lraudit.toml);
the command line wins. Exit codes: 0 ok, 1 check failed, 2 could not audit.
"""


def _audit_options(
    p: argparse.ArgumentParser, command: str, only: Sequence[str] | None = None
) -> None:
    """The options of ``report``/``check``; ``only``: just these (by dest), for ``watch``."""
    from lraudit.report import FAIL_LEVELS, FORMATS

    if only is not None:
        p = _Only(p, only)  # type: ignore[assignment]

    p.add_argument(
        "path",
        metavar="PATH",
        nargs="?",
        help="logdir, run directory or event file (default: 'path' in the settings)",
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        action="append",
        help="training config holding the intended LR schedule, applied to every run; 'auto' "
        "(the default) compares each run with the config its framework saved beside it "
        "(hyp.yaml/opt.yaml, args.yaml, config.yaml, pipeline.config, ...); RUN=FILE pins one "
        "run's config (repeatable), e.g. --config runs/train/exp2=hyp.yaml",
    )
    p.add_argument(
        "--no-config",
        action="store_true",
        help="audit the logs alone: no config, none discovered",
    )
    p.add_argument(
        "--config-format",
        choices=CONFIG_FORMATS,
        metavar="FMT",
        help="config format: auto (default: detect from name and content), "
        + ", ".join(CONFIG_FORMATS[1:]),
    )
    p.add_argument("--tag", help="LR tag to audit, exact or glob (default: detect)")
    p.add_argument("--run", metavar="GLOB", help="only runs whose path (relative) matches GLOB")
    p.add_argument(
        "--steps-per-epoch",
        type=_positive_int,
        metavar="N",
        help="iterations per epoch, when the config counts epochs and cannot know it",
    )
    p.add_argument(
        "--world-size",
        type=_positive_int,
        metavar="N",
        help="number of processes/GPUs, when the LR is scaled by it",
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        metavar="FMT",
        help="report format: auto (default: github under GitHub Actions, else text), "
        + ", ".join(FORMATS[1:]),
    )
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE, not stdout")
    p.add_argument(
        "--write",
        metavar="FMT=FILE",
        action="append",
        default=[],
        help="also write the same audit as FMT to FILE (repeatable), e.g. sarif=lraudit.sarif",
    )
    p.add_argument("--plot", metavar="DIR", help="write one PNG per run x tag into DIR")
    p.add_argument(
        "--jobs",
        "-j",
        type=_positive_int,
        metavar="N",
        help="processes for reading and fitting (default: usable cores, when it pays)",
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="audit each run on a Dask worker: 'local' starts a local cluster of --jobs "
        "workers (default 2), or give a scheduler, e.g. --dask tcp://scheduler:8786 "
        "(needs pip install 'lraudit-tb[dask]')",
    )
    p.add_argument(
        "--fail-on",
        choices=FAIL_LEVELS,
        help="severity that fails the check: error (default), warning or info"
        + ("" if command in ("check", "watch") else " (marks in junit/markdown/html)"),
    )
    p.add_argument(
        "--exit-zero",
        action="store_true",
        default=None,
        help="exit 0 even when findings fail the check (2 still means could not audit)",
    )
    p.add_argument(
        "--no-progress", action="store_true", default=None, help="never show a progress bar"
    )
    p.add_argument(
        "--cache",
        metavar="DIR",
        help="cache of each run's series and fits, reused while its event files are unchanged "
        "(default: $XDG_CACHE_HOME/lraudit or ~/.cache/lraudit)",
    )
    p.add_argument("--no-cache", action="store_true", help="read and fit every run again")
    p.add_argument(
        "--isolated", action="store_true", help="ignore pyproject.toml / lraudit.toml settings"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    p.add_argument(
        "-v", "--verbose", action="store_true", help="also say which settings and jobs were used"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``lraudit`` command (documented in docs/cli.md)."""
    from lraudit import __version__

    raw = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog="lraudit",
        description="Audit learning-rate schedules in TensorBoard logs against the training "
        "config.",
        epilog="examples:\n  lraudit report runs/ --config pipeline.config\n"
        "  lraudit check runs/ --fail-on warning\n  lraudit explain LRA003\n"
        "  lraudit explain pipeline.config\n\nRun 'lraudit COMMAND --help' for a command's "
        "options.",
        formatter_class=raw,
    )
    parser.add_argument("--version", action="version", version=f"lraudit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    rep = sub.add_parser(
        "report",
        help="audit a logdir and print the report (exit 0 if it ran)",
        description="Read every LR series under PATH, infer its schedule, compare it with the "
        "config, and print the report. Exits 0 whenever the audit ran.",
        epilog=_AUDIT_EPILOG.format(cmd="report", extra=""),
        formatter_class=raw,
    )
    _audit_options(rep, "report")
    chk = sub.add_parser(
        "check",
        help="CI gate: exit 1 on findings at or above --fail-on",
        description="The same audit as 'report', as a CI gate: exit 1 when a finding is at or "
        "above --fail-on.",
        epilog=_AUDIT_EPILOG.format(
            cmd="check",
            extra="  lraudit check runs/ --fail-on warning --exit-zero   # report only\n",
        ),
        formatter_class=raw,
    )
    _audit_options(chk, "check")

    exp = sub.add_parser(
        "explain",
        help="explain a finding (code or name) or the intended schedule of a config",
        description="Explain a finding (LRA003, constant_lr: what it means, why it matters, "
        "how to fix it, an example), list every finding (--list), or show the intended "
        "schedule of a training config without any logs.",
        epilog="examples:\n  lraudit explain LRA003\n  lraudit explain constant_lr\n"
        "  lraudit explain --list\n  lraudit explain pipeline.config --steps 5000",
        formatter_class=raw,
    )
    exp.add_argument(
        "config",
        metavar="CODE|NAME|CONFIG",
        nargs="?",
        help="a finding code (LRA003) or name (constant_lr), or a training config file",
    )
    exp.add_argument("--list", action="store_true", help="list every finding with its code")
    exp.add_argument(
        "--config-format",
        default="auto",
        choices=CONFIG_FORMATS,
        metavar="FMT",
        help="config format (default: auto)",
    )
    exp.add_argument("--steps", type=_positive_int, metavar="N", help="planned training steps")
    exp.add_argument(
        "--steps-per-epoch", type=_positive_int, metavar="N", help="iterations per epoch"
    )
    exp.add_argument(
        "--world-size", type=_positive_int, metavar="N", help="number of processes/GPUs"
    )
    exp.add_argument(
        "--format", default="text", choices=("text", "json", "markdown"), help="output format"
    )
    exp.add_argument("--output", "-o", metavar="FILE", help="write to FILE, not stdout")

    _watch_parser(sub, raw)

    fam = sub.add_parser(
        "families",
        help="the schedule vocabulary with formulas",
        description="Every schedule family with its parameters and formula, and every finding.",
        epilog="examples:\n  lraudit families\n  lraudit families --format json",
        formatter_class=raw,
    )
    fam.add_argument("--format", default="text", choices=("text", "json"), help="output format")
    fam.add_argument("--output", "-o", metavar="FILE", help="write to FILE, not stdout")
    return parser


def _watch_parser(sub: Any, raw: Any) -> None:
    """``lraudit watch``: the audit's selection options, plus how to follow and when to end
    (the command itself is :mod:`lraudit.watch`)."""
    interval = 2.0

    w = sub.add_parser(
        "watch",
        help="follow a logdir while it is written; report each finding once it is certain",
        description="Follow a logdir that is being written (new runs, new files, appended "
        "records) and report each finding once, the first time it is certain. Ends at the "
        "first failing finding (--fail-fast), after the logdir stopped growing (--idle-exit, "
        "then with check's exit code) or on Ctrl-C (with the summary).",
        epilog="examples:\n  lraudit watch runs/ --config pipeline.config --fail-fast\n"
        "  lraudit watch runs/ --interval 30 --idle-exit 600 --format json\n\n"
        "Exit codes: 0 nothing at or above --fail-on, 1 a finding at or above it, 2 could not "
        "audit.",
        formatter_class=raw,
    )
    _audit_options(w, "watch", only=("path", "config", "no_config", "config_format", "tag",
                                    "run", "steps_per_epoch", "world_size", "fail_on",
                                    "isolated", "quiet"))  # fmt: skip
    w.add_argument(
        "--interval",
        type=_positive_seconds,
        default=interval,
        metavar="S",
        help=f"seconds between looks at the logdir (default {interval:g})",
    )
    w.add_argument(
        "--fail-fast",
        action="store_true",
        help="exit 1 at the first finding at or above --fail-on (default: error)",
    )
    w.add_argument(
        "--idle-exit",
        type=_positive_seconds,
        metavar="S",
        help="end after the logdir has not grown for S seconds, with check's exit code",
    )
    w.add_argument("--format", default="text", choices=("text", "json"), help="text, or JSON lines")


# --------------------------------------------------------------------------- settings


def _merge(args: argparse.Namespace) -> tuple[argparse.Namespace, str | None]:
    """Fill unset options from the settings file; returns the args and the file used."""
    from lraudit.cli_settings import discover

    settings = discover(isolated=args.isolated)
    for key in ("path", "config", "tag", "run", "steps_per_epoch", "world_size", "output"):
        if getattr(args, key) is None:
            setattr(args, key, settings.get(key))
    if isinstance(args.config, str):
        args.config = [args.config]
    if args.plot is None:
        args.plot = settings.get("plot")
    args.config_format = args.config_format or settings.get("config_format", "auto")
    args.format = args.format or settings.get("format", "auto")
    args.fail_on = args.fail_on or settings.get("fail_on", "error")
    args.jobs = args.jobs or settings.get("jobs")
    if args.exit_zero is None:
        args.exit_zero = bool(settings.get("exit_zero", False))
    if args.no_progress is None:
        args.no_progress = not settings.get("progress", True)
    if args.path is None:
        raise UsageError(
            "give the logdir to audit (PATH), or set 'path' in [tool.lraudit] of pyproject.toml"
        )
    return args, None if settings.source is None else str(settings.source)


# --------------------------------------------------------------------------- commands


def _write(text: str, output: str | None, stdout: IO[str], option: str = "--output") -> None:
    if output is None:
        stdout.write(text)
        stdout.flush()
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise LrauditError(f"{option} {output}: cannot write ({exc.strerror})") from None


def run_audit(path: str, **kwargs: Any) -> AuditReport:
    """:func:`lraudit.audit` (a seam the tests replace with a stub)."""
    import lraudit

    return lraudit.audit(path, **kwargs)


def _extra_outputs(specs: Sequence[str]) -> list[tuple[str, str]]:
    from lraudit.report import FORMATS

    out = []
    for spec in specs:
        fmt, sep, target = spec.partition("=")
        if not sep or fmt not in FORMATS or fmt == "auto" or not target:
            raise UsageError(
                f"--write {spec!r}: use FMT=FILE with FMT one of {', '.join(FORMATS[1:])}"
            )
        check_path("--write", target)
        out.append((fmt, target))
    return out


def config_spec(values: list[str] | None, *, no_config: bool) -> tuple[str | None, dict[str, str]]:
    """``--config`` values -> (the config for every run, or ``"auto"`` / None; run -> file).

    No ``--config`` means ``auto``; ``RUN=FILE`` pins one run (the others stay ``auto`` unless
    a plain FILE is also given); ``--no-config`` turns every config off.
    """
    if no_config:
        if values:
            raise UsageError("--no-config and --config exclude each other; keep one")
        return None, {}
    shared: str | None = None
    pinned: dict[str, str] = {}
    for v in values or []:
        run, sep, file = v.partition("=")
        if v == "auto":
            shared = shared or "auto"
        elif sep and run and file and not Path(v).exists():
            pinned[run.strip("/") or "."] = file
        elif shared not in (None, "auto"):
            raise UsageError(
                f"--config given twice ({shared}, {v}): one FILE applies to every run; pin a "
                "run's own with --config RUN=FILE"
            )
        else:
            shared = v
    return ("auto" if shared is None else shared), pinned


def _cmd_audit(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    from lraudit.report import Options, fail_rank, failing, get_formatter, resolve_format
    from lraudit.report.locate import attach_lines
    from lraudit.types import Severity

    args, settings_file = _merge(args)
    for option in ("PATH", "--output", "--plot"):
        check_path(option, getattr(args, option.lstrip("-").lower()))
    shared, pinned = config_spec(args.config, no_config=args.no_config)
    for target in [shared, *pinned.values()]:
        if target != "auto":
            check_path("--config", target)
    extra = _extra_outputs(args.write)
    inputs = [args.path, *(t for t in [shared, *pinned.values()] if t not in (None, "auto"))]
    for option, target in [("--output", args.output), *(("--write", t) for _, t in extra)]:
        if target is not None:
            guard_output(option, target, inputs)
    fmt = resolve_format(args.format)
    env = os.environ
    to_terminal = fmt == "text" and args.output is None
    width = text_width(stdout, env) if to_terminal else 100
    if args.plot or fmt == "html" or any(f == "html" for f, _ in extra):
        # fail before the audit, not after the report was written
        from lraudit.report.plot import require

        require()
    cores = usable_cores()
    jobs = None if args.jobs is None else min(args.jobs, cores)
    if args.verbose:
        print(f"lraudit: settings: {settings_file or 'none'}", file=stderr)
        print(f"lraudit: jobs: {jobs or 'auto'} (usable cores: {cores})", file=stderr)
        if args.dask:
            print(f"lraudit: dask: {args.dask}", file=stderr)
    cache = None
    if not args.no_cache:
        from lraudit.cache import RunCache

        check_path("--cache", args.cache)
        cache = RunCache(args.cache)
    t0 = time.monotonic()
    progress = None
    if not args.no_progress and not args.quiet and isatty(stderr):
        progress = ProgressBar(stderr)
    try:
        report = run_audit(
            args.path,
            config=shared,
            config_format=args.config_format,
            tag=args.tag,
            run=args.run,
            run_configs=pinned,
            steps_per_epoch=args.steps_per_epoch,
            world_size=args.world_size,
            jobs=jobs,  # None: usable cores when the work pays for workers
            progress=progress,
            dask=args.dask,
            cache=cache,
        )
    finally:
        if progress is not None:
            progress.close()
    if not report.runs:
        raise LrauditError(f"{args.path}: no learning-rate series found; pass --tag to choose one")
    report = attach_lines(report)
    fail_on = args.fail_on
    color = use_color(stdout, env, to_file=args.output is not None) if fmt == "text" else False
    text = get_formatter(fmt)(report, Options(fail_on=fail_on, width=width, color=color))
    _write(text, args.output, stdout)
    for xfmt, target in extra:
        xtext = get_formatter(xfmt)(report, Options(fail_on=fail_on))
        _write(xtext, target, stdout, option="--write")
    if args.plot:
        from lraudit.report.plot import write_plots

        bar = ProgressBar(stderr) if not args.no_progress and isatty(stderr) else None
        try:
            paths = write_plots(report, args.plot, progress=bar)
        finally:
            if bar is not None:
                bar.close()
        if not args.quiet:
            print(f"lraudit: wrote {len(paths)} plot(s) to {printable(args.plot)}", file=stderr)
    bad = sum(len(failing(r, fail_on)) for r in report.runs)
    if report.failed and fail_rank(fail_on) <= Severity.WARNING.rank:
        bad += len(report.failed)  # a run that could not be read is a warning: it was not checked
    verdict = ""
    if args.command == "check":
        verdict = f"check {'failed' if bad else 'passed'} (--fail-on {fail_on})"
        if bad and args.exit_zero:
            verdict += ", --exit-zero"
    if args.verbose:
        verdict += ("; " if verdict else "") + f"{time.monotonic() - t0:.2f} s"
    if not args.quiet:
        from lraudit.report.text import summary_line  # rich: only when a summary is printed

        # A text report ends with the summary; on the terminal it shares, say the rest only.
        shown = to_terminal and same_terminal(stdout, stderr)
        line = verdict if shown else "; ".join(x for x in (summary_line(report), verdict) if x)
        if line:
            print(f"lraudit: {line}", file=stderr)
    if args.command == "check" and bad and not args.exit_zero:
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
    check_path("CONFIG", target)
    check_path("--output", args.output)
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
    if args.output is not None:
        guard_output("--output", args.output, [target])
    text = explain(
        target,
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

    check_path("--output", args.output)
    _write(format_families(args.format), args.output, stdout)
    return EXIT_OK


def _cmd_watch(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    from lraudit.watch import run_watch

    return run_watch(args, stdout, stderr)


def _error_line(exc: BaseException) -> str:
    if isinstance(exc, (LrauditError, UsageError)):
        msg = str(exc)
    elif isinstance(exc, OSError):
        # An I/O failure that a lower layer did not word itself: still one line.
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        msg = f"{where}{exc.strerror or exc}"
    elif isinstance(exc, RecursionError):
        msg = "input nested too deeply to process (RecursionError)"
    elif isinstance(exc, MemoryError):
        msg = "out of memory while auditing; audit fewer runs at a time (--run GLOB)"
    else:
        msg = (
            f"internal error ({type(exc).__name__}: {exc}); please report it with the "
            "command that caused it"
        )
    return "lraudit: error: " + (printable(" ".join(msg.split())) or type(exc).__name__)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lraudit`` command with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    stdout: IO[str] = SafeStream(sys.stdout)  # type: ignore[assignment]
    stderr: IO[str] = SafeStream(sys.stderr)  # type: ignore[assignment]
    commands = {
        "report": _cmd_audit,
        "check": _cmd_audit,
        "explain": _cmd_explain,
        "families": _cmd_families,
        "watch": _cmd_watch,
    }
    try:
        try:
            args = build_parser().parse_args(list(argv) if argv is not None else None)
        except SystemExit as exc:  # --help / --version
            return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_OK
        return commands[args.command](args, stdout, stderr)
    except KeyboardInterrupt:
        print("lraudit: interrupted", file=stderr)
        return 130
    except BrokenPipeError:
        # the reader of stdout went away (| head): nothing more can be shown there
        _silence_stdout()
        print("lraudit: error: output closed before the report was written", file=stderr)
        return EXIT_ERROR
    except Exception as exc:  # every failure ends in one line and exit 2, never a traceback
        print(_error_line(exc), file=stderr)
        return EXIT_ERROR


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main_entry() -> None:
    """Console-script entry point (``lraudit``)."""
    sys.exit(main())
