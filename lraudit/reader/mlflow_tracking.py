"""MLflow runs through a tracking URI, with the mlflow client (the optional extra ``mlflow``).

LOGDIR ``mlflow:<tracking-uri>[#<experiment>]``: ``mlflow:http://localhost:5000``,
``mlflow:http://host:5000#my-experiment``, ``mlflow:databricks#/Users/me/exp``,
``mlflow:file:///data/mlruns#0``. Without ``#<experiment>`` every active experiment is read;
``<experiment>`` is a name, else an id. Each active run is one run named
``<experiment id>/<run id>`` (the name a local ``mlruns`` folder gives it), and only the metric
histories that the tag selection keeps are downloaded (``client.get_metric_history``: every
point, not the sampled ``search_runs`` values), so LR detection costs one request per LR key.
The series are those of :mod:`lraudit.reader.loggers`' file-store reader: ``source = "mlflow"``,
wall times from the metric timestamps, a note naming the run and the experiment.

Credentials and server settings come from the client's usual environment
(``MLFLOW_TRACKING_TOKEN``, ``MLFLOW_TRACKING_USERNAME``, ``DATABRICKS_HOST``, ...).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

from lraudit._dist import pip_hint
from lraudit.errors import LogReadError, LrauditError, NoEventFilesError
from lraudit.reader.loggers import Columns
from lraudit.reader.tags import select_tags
from lraudit.types import LRSeries

PREFIX = "mlflow:"
#: runs (and experiments) requested per page
PAGE = 1000
#: most runs read from one tracking URI
MAX_RUNS = 100_000


def is_tracking(path: object) -> bool:
    """True for a LOGDIR of the form ``mlflow:<tracking-uri>[#<experiment>]``."""
    return isinstance(path, str) and path.startswith(PREFIX)


def _client(path: str, uri: str) -> Any:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise LogReadError(
            f"{path}: reading an MLflow tracking URI needs the mlflow client, which is not "
            f"installed; run: {pip_hint('mlflow')}"
        ) from None
    return MlflowClient(tracking_uri=uri)


def _pages(call: Any, **kw: Any) -> Iterator[Any]:
    token = None
    n = 0
    while True:
        page = call(max_results=PAGE, page_token=token, **kw)
        for item in page:
            n += 1
            if n > MAX_RUNS:
                return
            yield item
        token = getattr(page, "token", None)
        if not token:
            return


def _experiments(client: Any, path: str, want: str) -> list[Any]:
    from mlflow.entities import ViewType

    if not want:
        return list(_pages(client.search_experiments, view_type=ViewType.ACTIVE_ONLY))
    exp = client.get_experiment_by_name(want)
    if exp is None and want.isdigit():
        try:
            exp = client.get_experiment(want)
        except Exception:  # the client raises MlflowException for an unknown id
            exp = None
    if exp is None:
        raise LogReadError(f"{path}: no MLflow experiment named {want!r} (nor with that id)")
    return [exp]


def read_tracking(
    path: str, wanted: str | Sequence[str] | None, run: str | None
) -> tuple[list[LRSeries], list[str]]:
    """Series selected by ``wanted`` (None: LR detection) and every metric key seen, from the
    runs of an MLflow tracking URI (see the module docstring)."""
    uri, _, want = path[len(PREFIX) :].partition("#")
    if not uri.strip():
        raise LogReadError(
            f"{path}: give a tracking URI, e.g. mlflow:http://localhost:5000#my-experiment"
        )
    client = _client(path, uri)
    try:
        return _read(client, path, uri, want.strip(), wanted, run)
    except LrauditError:
        raise
    except Exception as e:  # the client and the server raise their own errors: one line
        text = str(e).strip().splitlines()
        why = f"{type(e).__name__}: {text[0][:200]}" if text else type(e).__name__
        raise LogReadError(f"{path}: cannot read from the MLflow tracking URI ({why})") from e


def _read(
    client: Any,
    path: str,
    uri: str,
    want: str,
    wanted: str | Sequence[str] | None,
    run: str | None,
) -> tuple[list[LRSeries], list[str]]:
    from mlflow.entities import ViewType

    from lraudit.reader.sources import _glob_match, _series_from_columns

    out: list[LRSeries] = []
    tags: set[str] = set()
    n_runs = 0
    for exp in _experiments(client, path, want):
        runs = _pages(
            client.search_runs,
            experiment_ids=[exp.experiment_id],
            run_view_type=ViewType.ACTIVE_ONLY,
        )
        for r in runs:
            n_runs += 1
            name = f"{exp.experiment_id}/{r.info.run_id}"
            if run is not None and not _glob_match(name, run):
                continue
            keys = sorted(r.data.metrics)
            tags.update(keys)
            cols: Columns = {}
            for key in select_tags(keys, wanted):
                c = cols.setdefault(key, ([], [], []))
                for m in client.get_metric_history(r.info.run_id, key):
                    c[0].append(int(m.step or 0))
                    c[1].append(float(m.value) if m.value is not None else math.nan)
                    c[2].append(m.timestamp / 1000.0 if m.timestamp is not None else math.nan)
            label = r.info.run_name or r.info.run_id
            notes = [f"MLflow run {label!r} in experiment {exp.name or exp.experiment_id!r}"]
            where = f"{PREFIX}{uri}#{name}"
            out += _series_from_columns(name, where, cols, "*", "mlflow", notes)
    if not n_runs:
        raise NoEventFilesError(f"no active MLflow run at {path}")
    out.sort(key=lambda s: (s.run, s.tag))
    return out, sorted(tags)


__all__ = ["PREFIX", "is_tracking", "read_tracking"]
