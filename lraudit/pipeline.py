"""The audit pipeline: read every LR series, load the config once, fit, diagnose, report.

:func:`audit` never prints and never exits; it returns an :class:`~lraudit.types.AuditReport`
and raises an :class:`~lraudit.errors.LrauditError` subclass only when nothing can be audited
(missing path, no event files, no LR tag anywhere, a config that cannot be read).

Parallelism and order
---------------------
With ``jobs > 1`` runs are read and series fitted in a
:class:`~concurrent.futures.ProcessPoolExecutor`: each run is read in a worker as soon as one is
free, and each of its series is fitted as soon as the run has been read. Results are put back in
(run, tag) order, so the report does not depend on ``jobs`` or on which worker finished first.

``jobs=None`` means every core *when the work pays for the workers*: starting a pool costs about
0.05-0.1 s and a fit 0.03-0.5 s, so a logdir with fewer than :data:`AUTO_MIN_RUNS` runs is read
here, and its series are fitted in workers only when there are several and they hold at least
:data:`AUTO_MIN_POINTS` points in all; otherwise everything runs in this process. Measured on
the 2-core (busy) development machine, serial vs 2 workers: the real YOLOv5 logdir (2 runs, 6
series) 0.55 s vs 0.55 s, the TFOD one (2 series) 0.17 vs 0.23 s, 4 synthetic runs of 300
points 0.12 vs 0.18 s, 3 runs of 2,000 points 0.11 vs 0.14 s, 20 runs of 200 points 0.65 vs
0.73 s, 8 copies of the real exp2 run (24 series) 3.05 vs 3.18 s: a pool only pays from several
runs of real work on, never for a small logdir.

Progress
--------
``progress(done, total, label)`` is called in the calling process after every finished unit of
work: ``label`` is ``"read <run>"`` or ``"fit <run> <tag>"``. ``total`` counts the runs to read
plus the series found so far, so it grows while runs are being read, and ``done == total`` at
the end. Exceptions raised by the callback propagate.

The work of one run (read, fit, judge; the comparison tags) is in :mod:`lraudit.run_audit`.
"""

from __future__ import annotations

import fnmatch
import multiprocessing
import os
import re
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from lraudit.analysis import Analysis
from lraudit.errors import LogReadError, TagNotFoundError
from lraudit.run_audit import (
    Bare,
    Progress,
    RunOutcome,
    audit_run,
    comparison_starts,
)
from lraudit.run_audit import fit_series as _fit
from lraudit.run_audit import judge as _judge
from lraudit.run_audit import judge_run as _judge_run
from lraudit.run_audit import read_run as _read_run
from lraudit.run_audit import timed as _timed
from lraudit.run_configs import ConfigPlan
from lraudit.types import (
    AuditReport,
    LRSeries,
    RunAudit,
)

__all__ = ["Progress", "RunOutcome", "audit", "audit_run", "comparison_starts"]


def audit(
    path: str | os.PathLike[str],
    config: str | os.PathLike[str] | None = None,
    *,
    config_format: str = "auto",
    tag: str | None = None,
    run: str | None = None,
    steps_per_epoch: int | None = None,
    world_size: int | None = None,
    jobs: int | None = 1,
    progress: Progress | None = None,
    run_configs: Mapping[str, str | os.PathLike[str]] | None = None,
    dask: str | None = None,
    cache: Any = None,
) -> AuditReport:
    """Audit every LR series under ``path`` against its intended schedule.

    ``config`` is one config for every run, ``"auto"`` to compare each run with the config its
    framework saved beside it (:mod:`lraudit.run_configs`), or None for none; ``run_configs``
    pins a run's own config (run name -> file). ``tag`` / ``run`` select series as
    :func:`lraudit.read_lr_series` does; ``steps_per_epoch`` and ``world_size`` override what
    the config implies; ``jobs`` is the number of worker processes (``None``: all cores; 1: in
    this process); ``progress`` see the module docstring. ``dask``: ``"local"`` or a scheduler
    address to audit each run on a Dask worker (:mod:`lraudit.backends`; ``jobs`` is then the
    number of local workers); ``cache`` a
    :class:`lraudit.cache.RunCache` (runs whose event files did not change are not read or
    fitted again) or None.
    """

    n_jobs = _jobs(jobs)
    auto = jobs is None and n_jobs > 1
    if dask is not None:
        from lraudit.backends import require

        require(dask)  # before any work: distributed installed, an address of a known form
    discover = config is not None and os.fspath(config) == "auto"
    plan = ConfigPlan(
        path,
        None if discover else config,
        run_configs=run_configs,
        discover=discover,
        config_format=config_format,
        steps_per_epoch=steps_per_epoch,
        world_size=world_size,
    )
    failed: dict[str, str] = {}
    bare: Bare
    names = None if dask is None else _runs_to_read(os.fspath(path), run, min_runs=1)
    if dask is not None and names is not None:
        from lraudit.backends import audit_on_dask

        runs, tags, failed = audit_on_dask(dask, os.fspath(path), tag, names, plan, jobs, progress)
        bare = dict(tags)
        if not runs:
            _nothing_audited(os.fspath(path), tag, run, failed)
    elif (got := _cached_audits(path, tag, run, n_jobs, progress, plan, cache)) is not None:
        runs, bare = got
    else:
        series, analyses, bare = _read_and_fit(path, tag, run, n_jobs, progress, auto=auto)
        with _timed("diagnose"):
            runs = _judge(series, analyses, plan)
    given = plan.shared
    return AuditReport(
        path=os.fspath(path),
        runs=tuple(runs),
        config_path=plan.given_path,
        config_format=None if given is None else given.format,
        intended=given,
        unaudited=tuple(sorted((r, t) for r, t in bare.items() if not isinstance(t, str))),
        failed=tuple(sorted({**failed, **_unreadable(bare)}.items())),
    )


def _unreadable(bare: Mapping[str, tuple[str, ...] | str]) -> dict[str, str]:
    """The runs of ``bare`` whose files could not be read, with why."""
    return {r: why for r, why in bare.items() if isinstance(why, str)}


def _nothing_audited(
    path: str, tag: str | None, run: str | None, failed: Mapping[str, str]
) -> None:
    """Raise why no run gave a series: the reader's own error (listing the tags it saw), or the
    first failure when every run failed."""
    from lraudit.errors import LrauditError
    from lraudit.reader import read_lr_series

    if failed:
        name, why = next(iter(sorted(failed.items())))
        raise LrauditError(
            f"{path}: no run could be audited; {len(failed)} failed, e.g. {name}: {why}"
        )
    read_lr_series(path, tag=tag, run=run)
    raise TagNotFoundError(f"no learning-rate tag found under {path}")  # pragma: no cover


# --------------------------------------------------------------------------- reading & fitting


#: ``jobs=None``: read runs in workers from this many runs on (see the module docstring) ...
AUTO_MIN_RUNS = 8
#: ... else fit the series in workers only when they hold at least this many points in all.
AUTO_MIN_POINTS = 200_000


def _jobs(jobs: int | None) -> int:
    if jobs is None:
        return max(os.cpu_count() or 1, 1)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs={jobs!r}: use a whole number >= 1, or None for all cores")
    return jobs


def _pool(workers: int) -> ProcessPoolExecutor:
    """A process pool; ``fork`` only while this process has no other thread (a progress bar's
    refresh thread may hold a lock that a forked child would inherit locked), else the
    platform's safe start method (``forkserver``/``spawn``)."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        ctx: Any = multiprocessing.get_context("fork")
    elif "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        # the server imports these once; every worker forked from it starts warm
        ctx.set_forkserver_preload(["lraudit.pipeline", "lraudit.fitting", "lraudit.reader"])
    else:
        ctx = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


def _runs_to_read(path: str, run: str | None, min_runs: int = 2) -> list[str] | None:
    """Run names to read one by one, or None to read ``path`` in one call (a file, or fewer
    than ``min_runs`` runs).

    ``run`` selects as the reader does: the exact name, or a glob over run names.
    """
    from lraudit.reader import fs
    from lraudit.reader.discovery import discover_runs

    if fs.is_url(path):  # a logdir URL: its runs are read one by one as well
        if not fs.is_dir(path):
            return None
    elif not Path(path).is_dir():
        return None
    runs = discover_runs(path)
    if run is not None:
        rx = re.compile(fnmatch.translate(run))
        runs = {r: f for r, f in runs.items() if r == run or rx.fullmatch(r)}
    chosen = list(runs)
    return chosen if len(chosen) >= max(min_runs, 1) else None


def _must_exist(p: str) -> None:
    from lraudit.reader import fs
    from lraudit.reader.mlflow_tracking import is_tracking

    if not is_tracking(p) and not fs.exists(p):
        more = " (or no such bucket)" if fs.is_url(p) else ""
        raise LogReadError(f"{p}: no such file or directory{more}")


def _cached_audits(
    path: str | os.PathLike[str],
    tag: str | None,
    run: str | None,
    jobs: int,
    progress: Progress | None,
    plan: ConfigPlan,
    cache: Any,
) -> tuple[list[RunAudit], Bare] | None:
    """The audits of a logdir with ``cache`` (:meth:`lraudit.cache.RunCache.audit_runs`: a run
    whose files and config did not change is neither read, fitted nor judged again); None
    without a cache, or when no run has a series (then audited as usual, which says why)."""
    if cache is None:
        return None
    p = os.fspath(path)
    _must_exist(p)
    got = cache.audit_runs(
        p,
        tag,
        run,
        plan,
        lambda names: _runs_read_and_fit(p, tag, names, jobs, progress),
        _judge_run,
    )
    return got if got is not None and got[0] else None


def _read_and_fit(
    path: str | os.PathLike[str],
    tag: str | None,
    run: str | None,
    jobs: int,
    progress: Progress | None,
    auto: bool = False,
) -> tuple[list[LRSeries], list[Analysis], Bare]:
    """Series and their fits in (run, tag) order, and the runs without an LR tag; ``auto``:
    ``jobs`` is an upper bound used only when the work is big enough (module docstring)."""
    p = os.fspath(path)
    _must_exist(p)
    if jobs > 1:
        try:
            return _read_and_fit_jobs(p, tag, run, jobs, progress, auto)
        except (OSError, BrokenProcessPool):
            # no usable process pool here (a sandbox without semaphores, a killed worker):
            # the same work in this process gives the same report
            pass
    return _read_and_fit_jobs(p, tag, run, 1, progress)


def _read_and_fit_jobs(
    p: str,
    tag: str | None,
    run: str | None,
    jobs: int,
    progress: Progress | None,
    auto: bool = False,
) -> tuple[list[LRSeries], list[Analysis], Bare]:
    from lraudit.reader import read_lr_runs

    runs = _runs_to_read(p, run) if jobs > 1 else None
    if auto and runs is not None and len(runs) < AUTO_MIN_RUNS:
        runs = None  # a few runs: read here; the fits may still go to workers (below)
    if runs is None:
        with _timed("read"):
            unread: dict[str, str] = {}
            series, tags = read_lr_runs(p, tag=tag, run=run, unread=unread)  # raises if none
            bare: Bare = {**tags, **unread}
        total = 1 + len(series)
        _tick(progress, 1, total, f"read {p}")
        big = not auto or sum(int(s.steps.size) for s in series) >= AUTO_MIN_POINTS
        if jobs > 1 and len(series) > 1 and big:
            with _pool(min(jobs, len(series))) as ex:
                futs = [ex.submit(_fit, s) for s in series]
                fits = _collect_fits(futs, series, progress, 1, total)
        else:
            fits = []
            for i, s in enumerate(series):
                with _timed("fit"):
                    fits.append(_fit(s))
                _tick(progress, 2 + i, total, f"fit {s.run} {s.tag}")
        return series, fits, bare
    return _pipelined(p, tag, run, runs, jobs, progress)


def _runs_read_and_fit(
    p: str, tag: str | None, names: list[str], jobs: int, progress: Progress | None
) -> tuple[list[LRSeries], list[Analysis], Bare]:
    """The runs ``names`` of the logdir ``p``, read and fitted (in workers when several)."""
    if jobs > 1 and len(names) > 1:
        try:
            return _pipelined(p, tag, None, names, jobs, progress)
        except (OSError, BrokenProcessPool, TagNotFoundError):
            pass  # no pool here, or none of these runs has an LR tag: the same work here
    series: list[LRSeries] = []
    fits: list[Analysis] = []
    bare: Bare = {}
    total = len(names)
    for i, name in enumerate(names):
        got, missing = _read_run(p, tag, name)
        bare.update(missing)
        total += len(got)
        _tick(progress, len(series) + i + 1, total, f"read {name}")
        for s in got:
            series.append(s)
            fits.append(_fit(s))
            _tick(progress, len(series) + i + 1, total, f"fit {s.run} {s.tag}")
    return series, fits, bare


def _collect_fits(
    futs: Sequence[Future[Analysis]],
    series: Sequence[LRSeries],
    progress: Progress | None,
    done: int,
    total: int,
) -> list[Analysis]:
    index = {f: i for i, f in enumerate(futs)}
    pending = set(futs)
    while pending:
        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
        for f in sorted(finished, key=index.__getitem__):
            s = series[index[f]]
            done += 1
            _tick(progress, done, total, f"fit {s.run} {s.tag}")
    return [f.result() for f in futs]


def _pipelined(
    path: str,
    tag: str | None,
    run: str | None,
    runs: list[str],
    jobs: int,
    progress: Progress | None,
) -> tuple[list[LRSeries], list[Analysis], Bare]:
    """Read each run in a worker, then fit each of its series in a worker."""
    from lraudit.reader import read_lr_series

    total = len(runs)
    done = 0
    got: list[LRSeries] = []
    bare: Bare = {}
    fit_futs: dict[Future[Any], LRSeries] = {}
    with _pool(min(jobs, max(len(runs), 2))) as ex:
        read_futs: dict[Future[Any], str] = {ex.submit(_read_run, path, tag, r): r for r in runs}
        pending: set[Future[Any]] = set(read_futs)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in sorted(
                finished, key=lambda f: (f in fit_futs, _label(f, read_futs, fit_futs))
            ):
                if f in read_futs:
                    new, missing = f.result()
                    got.extend(new)
                    bare.update(missing)
                    total += len(new)
                    done += 1
                    _tick(progress, done, total, f"read {read_futs[f]}")
                    for s in new:
                        ff = ex.submit(_fit, s)
                        fit_futs[ff] = s
                        pending.add(ff)
                else:
                    s = fit_futs[f]
                    done += 1
                    _tick(progress, done, total, f"fit {s.run} {s.tag}")
        if not got:
            # no run had an LR tag: let the reader raise its own error, listing the tags it saw
            read_lr_series(path, tag=tag, run=run)
            raise TagNotFoundError(f"no learning-rate tag found under {path}")  # pragma: no cover
        results = {(s.run, s.tag): fut.result() for fut, s in fit_futs.items()}
    got.sort(key=lambda s: (s.run, s.tag))
    return got, [results[(s.run, s.tag)] for s in got], bare


def _label(f: Future[Any], reads: dict[Future[Any], str], fits: dict[Future[Any], LRSeries]) -> str:
    if f in reads:
        return reads[f]
    s = fits[f]
    return f"{s.run}\0{s.tag}"


def _tick(progress: Progress | None, done: int, total: int, label: str) -> None:
    if progress is not None:
        progress(done, total, label)
