"""Dask backend: audit each run of a logdir on a ``distributed`` worker.

``audit(..., dask="local")`` starts a :class:`distributed.LocalCluster` (``jobs`` worker
processes, 2 by default, one thread each) for the audit and closes it after;
``dask="tcp://host:8786"`` (any scheduler address) uses a running cluster, whose workers must
have lraudit installed (the same version) and must reach ``path`` themselves.

Division of work
----------------
The client lists the runs (:func:`lraudit.pipeline._runs_to_read`) and resolves each run's
config (:meth:`~lraudit.run_configs.ConfigPlan.for_run`); it sends each worker only the path,
the run name and that config, never the data. The worker reads, fits and diagnoses the run with
:func:`lraudit.run_audit.audit_run`, the functions the local pipeline uses, so both backends give
the same report. The client gathers the results in (run, tag) order.

A run whose task fails (an exception in lraudit, a worker lost, lraudit missing on the worker)
is reported as not audited with the reason (``AuditReport.failed``); the other runs are not
lost. ``progress(done, total, "audit <run>")`` is called on the client as each run finishes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from lraudit._dist import pip_hint
from lraudit.errors import LrauditError
from lraudit.run_audit import Progress, RunOutcome, add_phase_seconds, audit_run
from lraudit.run_configs import ConfigPlan
from lraudit.types import RunAudit

__all__ = [
    "DEFAULT_LOCAL_WORKERS",
    "DaskUnavailableError",
    "audit_on_dask",
    "client_for",
    "require",
]

#: Worker processes of ``dask="local"`` when ``jobs`` is not given.
DEFAULT_LOCAL_WORKERS = 2

INSTALL_HINT = pip_hint("dask")
#: How long to try reaching a scheduler given by address.
CONNECT_TIMEOUT = "10s"


class DaskUnavailableError(LrauditError):
    """``dask=`` was asked for, but distributed is not installed or the scheduler is unreachable."""


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise DaskUnavailableError(
            f"--dask needs the distributed package, which is not installed: {INSTALL_HINT}"
        ) from None
    return distributed


def require(address: str) -> None:
    """Raise :class:`DaskUnavailableError` (one line, with the install hint) unless distributed
    is installed and ``address`` is ``"local"`` or a scheduler address."""
    _distributed()
    if not isinstance(address, str) or not address.strip() or address.startswith("-"):
        raise DaskUnavailableError(
            f"--dask {address!r}: use 'local' or a scheduler address such as tcp://host:8786"
        )


def client_for(address: str, workers: int | None = None) -> tuple[Any, Any]:
    """A ``distributed.Client`` for ``address`` (``"local"`` or a scheduler address) and the
    cluster started for it (None for an existing scheduler); close both when done."""
    require(address)
    distributed = _distributed()
    if address == "local":
        try:
            cluster = distributed.LocalCluster(
                n_workers=workers or DEFAULT_LOCAL_WORKERS,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
        except (OSError, RuntimeError) as exc:
            raise DaskUnavailableError(
                f"--dask local: cannot start a local Dask cluster ({exc}); try --jobs instead"
            ) from None
        return distributed.Client(cluster), cluster
    try:
        return distributed.Client(address, timeout=CONNECT_TIMEOUT), None
    except (OSError, TimeoutError, ValueError) as exc:
        raise DaskUnavailableError(
            f"--dask {address}: cannot reach the Dask scheduler ({exc}); start one with "
            "`dask scheduler` or use --dask local"
        ) from None


def audit_on_dask(
    address: str,
    path: str,
    tag: str | None,
    runs: Sequence[str],
    plan: ConfigPlan,
    jobs: int | None,
    progress: Progress | None,
) -> tuple[list[RunAudit], dict[str, tuple[str, ...]], dict[str, str]]:
    """Audit ``runs`` of ``path`` on Dask workers: (the series' audits in (run, tag) order, the
    runs without an LR tag -> their tags, the runs that failed -> why)."""
    client, cluster = client_for(address, jobs)
    try:
        outcomes = _gather(client, path, tag, runs, plan, progress)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    audits: list[RunAudit] = []
    bare: dict[str, tuple[str, ...]] = {}
    failed: dict[str, str] = {}
    for run, got in outcomes.items():
        if isinstance(got, str):
            failed[run] = got
            continue
        add_phase_seconds(got.seconds)
        audits.extend(got.audits)
        if isinstance(got.bare, str):
            failed[run] = got.bare  # its files could not be read
        elif got.bare is not None:
            bare[run] = got.bare
    audits.sort(key=lambda a: (a.run, a.tag))
    return audits, bare, failed


def _gather(
    client: Any,
    path: str,
    tag: str | None,
    runs: Sequence[str],
    plan: ConfigPlan,
    progress: Progress | None,
) -> dict[str, RunOutcome | str]:
    """Submit one task per run, then collect each result (or the reason it failed) as it
    finishes, ticking ``progress``."""
    distributed = _distributed()
    futures = {
        client.submit(audit_run, path, tag, r, plan.for_run(r), pure=False, retries=0): r
        for r in runs
    }
    out: dict[str, RunOutcome | str] = {}
    for done, fut in enumerate(distributed.as_completed(futures), start=1):
        run = futures[fut]
        out[run] = _result(fut)
        if progress is not None:
            progress(done, len(futures), f"audit {run}")
    return out


def _result(fut: Any) -> RunOutcome | str:
    """The run's outcome, or a one-line reason why it has none."""
    try:
        got = fut.result()
    except Exception as exc:  # a worker's exception, re-raised here: the reason is the report
        text = str(exc).splitlines()[0] if str(exc) else ""
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    if not isinstance(got, RunOutcome):
        return f"the worker returned {type(got).__name__}, not a run's audit"
    return got
