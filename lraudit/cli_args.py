"""The ``lraudit`` command line: the argument parser and the parsing of option values.

:func:`build_parser` builds every subcommand's options (help text and examples included);
:func:`config_spec` reads the ``--config`` forms (FILE, ``auto``, ``RUN=FILE``) and
:func:`extra_outputs` the ``--write FMT=FILE`` ones. :mod:`lraudit.cli` runs the commands;
:mod:`lraudit.watch` reuses the audit options.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from lraudit.cli_output import SafeStream, check_path
from lraudit.vocab import CONFIG_FORMATS


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
    _output_options(p, command)


def _output_options(p: Any, command: str) -> None:
    """The ``report``/``check`` options about output, workers, the verdict and verbosity."""
    from lraudit.report import FAIL_LEVELS, FORMATS

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
    from lraudit._version import __version__

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


def extra_outputs(specs: Sequence[str]) -> list[tuple[str, str]]:
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
