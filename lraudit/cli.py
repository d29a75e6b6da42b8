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
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from lraudit.cli_args import UsageError, build_parser, config_spec
from lraudit.cli_args import extra_outputs as _extra_outputs
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

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2

__all__ = ["EXIT_ERROR", "EXIT_FAIL", "EXIT_OK", "ProgressBar", "build_parser", "main"]


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
    cache = _cache(args)
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
        _plots(report, args, stderr)
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


def _cache(args: argparse.Namespace) -> Any:
    """The run cache (``--cache DIR``, default the user's cache dir), None with ``--no-cache``."""
    if args.no_cache:
        return None
    from lraudit.cache import RunCache

    check_path("--cache", args.cache)
    return RunCache(args.cache)


def _plots(report: AuditReport, args: argparse.Namespace, stderr: IO[str]) -> None:
    """``--plot DIR``: one PNG per run x tag, with a progress bar on a terminal."""
    from lraudit.report.plot import write_plots

    bar = ProgressBar(stderr) if not args.no_progress and isatty(stderr) else None
    try:
        paths = write_plots(report, args.plot, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    if not args.quiet:
        print(f"lraudit: wrote {len(paths)} plot(s) to {printable(args.plot)}", file=stderr)


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
