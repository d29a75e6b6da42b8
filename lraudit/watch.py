"""``lraudit watch``: follow a logdir while it is written and report each finding once, when
it becomes certain.

Every ``--interval`` seconds a *tick* looks for runs and event files (as the reader discovers
them), reads only what was appended since the last tick (:mod:`lraudit.reader.incremental`:
a record still being written is waited for, not reported as damage), and hands each run x LR
tag that has new points to its :class:`~lraudit.live.LiveAudit`, which decides when a finding
is certain (the rules are in :mod:`lraudit.live`: a constant LR as soon as the intended schedule
predicts a change beyond float32 precision at two logged points, a warmup mismatch once the
warmup should have ended, a restart two points after it, ...). A run that has no new points
costs a ``stat`` per file.

How a watch ends, and its exit code:

- ``--fail-fast``: at the first finding at or above ``--fail-on`` (default ``error``): exit 1,
  so a job wrapper can stop the training;
- ``--idle-exit S``: once the logdir has not grown for ``S`` seconds the runs are over: the
  whole logdir is audited as ``lraudit check`` audits it (fits included), what was not reported
  yet is reported, and the exit code is ``check``'s: 1 when a finding (reported live or at the
  end) is at or above ``--fail-on``, 0 otherwise, 2 when nothing could be audited;
- Ctrl-C (SIGINT) or SIGTERM: the summary of what was reported so far, exit 1 when that holds a
  finding at or above ``--fail-on``, else 0.

Output: ``--format text`` prints one line per finding on stdout and the summary on stderr;
``--format json`` prints one JSON object per line on stdout: ``{"event": "finding", ...}`` (the
run, tag, points seen, last step, whether it came from the end-of-run audit, and the finding as
in the JSON report) and a final ``{"event": "summary", ...}``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

from lraudit.live import LiveAudit, LiveEvent, finding_key
from lraudit.reader.incremental import RunFollower
from lraudit.types import AuditReport, Severity

__all__ = ["Watcher", "WatchSummary", "run_watch", "watch_loop"]


class Watcher:
    """The state of one watch: a follower per run, a live audit per run x tag.

    ``config``: one config for every run, ``"auto"`` (each run's own, found beside it) or None;
    the other arguments as :func:`lraudit.audit` takes them. :meth:`tick` reads what is new and
    returns the findings that became certain; :meth:`finish` audits the whole logdir.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        config: str | os.PathLike[str] | None = "auto",
        *,
        config_format: str = "auto",
        tag: str | None = None,
        run: str | None = None,
        run_configs: Mapping[str, str | os.PathLike[str]] | None = None,
        steps_per_epoch: int | None = None,
        world_size: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from lraudit.reader import _run_filter
        from lraudit.reader.tags import make_tag_filter
        from lraudit.run_configs import ConfigPlan

        self.path = os.fspath(path)
        discover = config is not None and os.fspath(config) == "auto"
        self.audit_args: dict[str, Any] = dict(
            config=config,
            config_format=config_format,
            tag=tag,
            run=run,
            run_configs=run_configs,
            steps_per_epoch=steps_per_epoch,
            world_size=world_size,
        )
        # a given or pinned config that cannot be read fails here, before any waiting
        self.plan = ConfigPlan(
            self.path,
            None if discover else config,
            run_configs=run_configs,
            discover=discover,
            config_format=config_format,
            steps_per_epoch=steps_per_epoch,
            world_size=world_size,
        )
        self.tag = tag
        self._keep_run = _run_filter(run)
        self._want = make_tag_filter(tag)
        self.runs: dict[str, RunFollower] = {}
        self.lives: dict[tuple[str, str], LiveAudit] = {}
        self.events: list[LiveEvent] = []
        self._clock = clock
        self.last_growth = clock()
        self.ticks = 0

    # ------------------------------------------------------------------ ticks

    def _discover(self) -> dict[str, tuple[str, ...]]:
        from lraudit.reader.discovery import discover_runs

        try:
            runs = discover_runs(self.path)
        except FileNotFoundError:
            return {}
        return {r: fs for r, fs in runs.items() if self._keep_run(r)}

    def _live(self, run: str, tag: str) -> LiveAudit:
        from lraudit.configs._intent import for_tag

        live = self.lives.get((run, tag))
        if live is None:
            intended, _, _ = self.plan.for_run(run)
            it = None if intended is None else for_tag(intended, tag)
            live = self.lives[(run, tag)] = LiveAudit(it, run=run, tag=tag)
        return live

    def tick(self) -> list[LiveEvent]:
        """Read what is new; the findings that became certain (each reported once)."""
        self.ticks += 1
        out: list[LiveEvent] = []
        grew = False
        for name, files in self._discover().items():
            rf = self.runs.get(name)
            if rf is None:
                rf = self.runs[name] = RunFollower(name, self._want)
            if not rf.poll(files):
                continue
            grew = True
            for tag, upd in rf.updates(self.tag).items():
                live = self._live(name, tag)
                live.update(upd.series, prefix=upd.prefix)
                out += live.poll()
        if grew:
            self.last_growth = self._clock()
        self.events += out
        return out

    def idle_for(self) -> float:
        """Seconds since the logdir last grew (or since the watch started)."""
        return self._clock() - self.last_growth

    def finish(self) -> tuple[list[LiveEvent], AuditReport]:
        """The end of the runs: audit the whole logdir as ``check`` does; the findings not
        reported yet (as end-of-run events) and the report."""
        import lraudit

        report = lraudit.audit(self.path, **self.audit_args)
        out: list[LiveEvent] = []
        for r in report.runs:
            live = self.lives.get((r.run, r.tag))
            seen = {finding_key(f) for f in live.reported} if live is not None else set()
            n = 0 if r.series is None else len(r.series)
            last = int(r.series.steps[-1]) if r.series is not None and n else None
            for f in r.findings:
                if finding_key(f) not in seen:
                    seen.add(finding_key(f))
                    out.append(LiveEvent(r.run, r.tag, f, n, last, final=True))
        self.events += out
        return out, report


# --------------------------------------------------------------------------- the command


@dataclass
class WatchSummary:
    """What a watch reported, why it stopped, and its exit code."""

    reason: str
    exit_code: int
    events: list[LiveEvent] = field(default_factory=list)
    runs: int = 0
    ticks: int = 0

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Severity}
        for e in self.events:
            out[e.finding.severity.value] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        c = self.counts()
        return {
            "event": "summary",
            "reason": self.reason,
            "exit_code": self.exit_code,
            "runs": self.runs,
            "ticks": self.ticks,
            "findings": len(self.events),
            "errors": c["error"],
            "warnings": c["warning"],
            "info": c["info"],
        }

    def line(self) -> str:
        c = self.counts()
        return (
            f"watch: {self.runs} run(s), {c['error']} error(s), {c['warning']} warning(s), "
            f"{c['info']} info reported; stopped: {self.reason}"
        )


def event_line(e: LiveEvent) -> str:
    """One text line for a finding event."""
    from lraudit.cli_output import printable

    f = e.finding
    where = "at the end of the run" if e.final else f"after {e.n_points} point(s)"
    step = f" (last step {e.last_step:,})" if e.last_step is not None else ""
    return printable(
        f"{e.run} {e.tag}: {f.code} {f.name} [{f.severity.value}] {where}{step}: {f.message}"
    )


class _Out:
    def __init__(self, fmt: str, stdout: IO[str], stderr: IO[str], quiet: bool) -> None:
        self.fmt, self.stdout, self.stderr, self.quiet = fmt, stdout, stderr, quiet

    def event(self, e: LiveEvent) -> None:
        if self.fmt == "json":
            from lraudit.report.data import _clean

            text = json.dumps(_clean(e.to_dict()), allow_nan=False)
        else:
            text = event_line(e)
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def summary(self, s: WatchSummary) -> None:
        if self.fmt == "json":
            self.stdout.write(json.dumps(s.to_dict()) + "\n")
            self.stdout.flush()
        if not self.quiet:
            print(f"lraudit: {s.line()}", file=self.stderr)


class _Stop(Exception):
    """SIGTERM during a watch: end as Ctrl-C does."""


def _on_term(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def watch_loop(
    watcher: Watcher,
    out: _Out,
    *,
    interval: float,
    fail_fast: bool,
    idle_exit: float | None,
    fail_rank: int,
    sleep: Callable[[float], None] = time.sleep,
) -> WatchSummary:
    """Tick until fail-fast, idle exit or an interrupt (see the module docstring)."""

    def failing(events: list[LiveEvent]) -> bool:
        return any(e.finding.severity.rank >= fail_rank for e in events)

    main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGTERM, _on_term) if main else None
    try:
        while True:
            for e in watcher.tick():
                out.event(e)
                if fail_fast and e.finding.severity.rank >= fail_rank:
                    return _summary(watcher, "fail-fast", 1)
            if idle_exit is not None and watcher.idle_for() >= idle_exit:
                break
            sleep(interval)
    except (KeyboardInterrupt, _Stop):
        return _summary(watcher, "interrupted", int(failing(watcher.events)))
    finally:
        if main:
            signal.signal(signal.SIGTERM, old)
    final, report = watcher.finish()
    for e in final:
        out.event(e)
    from lraudit.report import failing as report_failing

    rank_name = {2: "error", 1: "warning", 0: "info"}[fail_rank]
    bad = failing(watcher.events) or any(report_failing(r, rank_name) for r in report.runs)
    return _summary(watcher, f"idle for {idle_exit:g} s", int(bad))


def _summary(watcher: Watcher, reason: str, code: int) -> WatchSummary:
    return WatchSummary(reason, code, list(watcher.events), len(watcher.runs), watcher.ticks)


def _settings(args: argparse.Namespace) -> argparse.Namespace:
    """Unset options from ``[tool.lraudit]`` (the keys ``report`` uses that apply here)."""
    from lraudit.cli_args import UsageError
    from lraudit.cli_settings import discover

    settings = discover(isolated=args.isolated)
    for key in ("path", "config", "tag", "run", "steps_per_epoch", "world_size"):
        if getattr(args, key) is None:
            setattr(args, key, settings.get(key))
    if isinstance(args.config, str):
        args.config = [args.config]
    args.config_format = args.config_format or settings.get("config_format", "auto")
    args.fail_on = args.fail_on or settings.get("fail_on", "error")
    if args.path is None:
        raise UsageError(
            "give the logdir to watch (PATH), or set 'path' in [tool.lraudit] of pyproject.toml"
        )
    return args


def run_watch(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    """The ``lraudit watch`` command (argument wiring in :mod:`lraudit.cli`)."""
    from lraudit.cli_args import config_spec
    from lraudit.cli_output import check_path, printable
    from lraudit.errors import LogReadError
    from lraudit.report import fail_rank

    args = _settings(args)
    check_path("PATH", args.path)
    if not Path(args.path).exists():
        raise LogReadError(f"{args.path}: no such file or directory")
    shared, pinned = config_spec(args.config, no_config=args.no_config)
    for target in [shared, *pinned.values()]:
        if target not in (None, "auto"):
            check_path("--config", target)
    watcher = Watcher(
        args.path,
        shared,
        config_format=args.config_format,
        tag=args.tag,
        run=args.run,
        run_configs=pinned,
        steps_per_epoch=args.steps_per_epoch,
        world_size=args.world_size,
    )
    out = _Out(args.format, stdout, stderr, args.quiet)
    if not args.quiet:
        idle = f", ending after {args.idle_exit:g} s without growth" if args.idle_exit else ""
        print(
            f"lraudit: watching {printable(args.path)} every {args.interval:g} s{idle}; "
            "Ctrl-C to stop",
            file=stderr,
        )
    summary = watch_loop(
        watcher,
        out,
        interval=args.interval,
        fail_fast=args.fail_fast,
        idle_exit=args.idle_exit,
        fail_rank=fail_rank(args.fail_on),
    )
    out.summary(summary)
    return summary.exit_code
