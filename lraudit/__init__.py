"""lraudit: audit the learning-rate schedule of a training run from its TensorBoard logs.

>>> import lraudit
>>> sorted(lraudit.__all__)[:3]
['AuditReport', 'ConfigError', 'Finding']
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from lraudit._version import __version__
from lraudit.errors import (
    ConfigError,
    LogReadError,
    LrauditError,
    NoEventFilesError,
    TagNotFoundError,
)
from lraudit.types import (
    AuditReport,
    Finding,
    FitResult,
    IntendedSchedule,
    LRSeries,
    RunAudit,
    ScalarSeries,
    Schedule,
    Severity,
    Warmup,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def _series_frame(series: list[LRSeries]) -> pd.DataFrame:
    """One long DataFrame (tbparse style): ``run, tag, step, value, wall_time`` per point."""
    from lraudit._dist import optional

    optional("pandas", "pandas", "DataFrames (as_frame=True)")
    import pandas as pd

    cols = ["run", "tag", "step", "value", "wall_time"]
    frames = [s.to_dataframe() for s in series if len(s)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(cols, _DTYPES, strict=True)})
    return pd.concat(frames, ignore_index=True)[cols]


_DTYPES = ("object", "object", "int64", "float64", "float64")


@overload
def read_lr_series(
    path: str | os.PathLike[str],
    tag: str | None = ...,
    run: str | None = ...,
    *,
    as_frame: Literal[False] = ...,
) -> list[LRSeries]: ...
@overload
def read_lr_series(
    path: str | os.PathLike[str],
    tag: str | None = ...,
    run: str | None = ...,
    *,
    as_frame: Literal[True],
) -> pd.DataFrame: ...
def read_lr_series(
    path: str | os.PathLike[str],
    tag: str | None = None,
    run: str | None = None,
    *,
    as_frame: bool = False,
) -> list[LRSeries] | pd.DataFrame:
    """Every learning-rate series under ``path`` (a logdir, run directory or file).

    ``tag``: the LR tag (exact or glob; default: detected); ``run``: a run name or glob.
    Returns one :class:`LRSeries` per run x tag in (run, tag) order, or with ``as_frame=True``
    one long DataFrame with columns ``run, tag, step, value, wall_time`` (as tbparse's
    ``SummaryReader(...).scalars``). See :func:`lraudit.reader.read_lr_series`.
    """
    from lraudit.reader import read_lr_series as _impl

    got = _impl(path, tag=tag, run=run)
    return _series_frame(got) if as_frame else got


def read_scalars(
    path: str | os.PathLike[str],
    tags: str | Sequence[str] | None = None,
    run: str | None = None,
    *,
    as_frame: bool = False,
) -> list[LRSeries] | pd.DataFrame:
    """Every scalar series (any tag: loss, accuracy, LR) under ``path``, by (run, tag).

    Series of learning-rate tags are :class:`LRSeries`; the others are :class:`ScalarSeries`
    (a subclass with the same fields). ``as_frame=True``: one long DataFrame as
    :func:`read_lr_series`. See :func:`lraudit.reader.read_scalars`.
    """
    import dataclasses

    from lraudit.reader import read_scalars as _impl
    from lraudit.reader.tags import is_lr_tag

    got: list[LRSeries] = []
    for s in _impl(path, tags=tags, run=run):
        if not is_lr_tag(s.tag) and type(s) is LRSeries:
            fields = {f.name: getattr(s, f.name) for f in dataclasses.fields(s)}
            s = ScalarSeries(**fields)
        got.append(s)
    return _series_frame(got) if as_frame else got


def fit(
    series: LRSeries,
    *,
    families: Iterable[str] | None = None,
    max_offset: int = 1,
    budget: int = 300,
) -> FitResult:
    """Infer the schedule family and parameters of one series; never raises on fit problems.

    ``families`` restricts the candidates (default: every registered family); ``max_offset``
    is the largest step-alignment shift tried; ``budget`` the number of points fitted per
    candidate. See :mod:`lraudit.fitting`.
    """
    from lraudit.fitting import fit as _impl

    return _impl(series, families=families, max_offset=max_offset, budget=budget)


def load_config(
    path: str | os.PathLike[str],
    format: str = "auto",
    *,
    steps_per_epoch: int | None = None,
    world_size: int | None = None,
    num_steps: int | None = None,
) -> IntendedSchedule:
    """The intended schedule of a training config (see :mod:`lraudit.configs`).

    ``format``: ``auto`` (detected from name and content) or one of
    :data:`lraudit.vocab.CONFIG_FORMATS`; ``steps_per_epoch``, ``world_size`` and ``num_steps``
    override what the config implies (each override is recorded in ``assumptions``).
    """
    from lraudit.configs import load_config as _impl

    units: dict[str, Any] = {
        k: v
        for k, v in (
            ("steps_per_epoch", steps_per_epoch),
            ("world_size", world_size),
            ("num_steps", num_steps),
        )
        if v is not None
    }
    return _impl(os.fspath(path), format=format, **units)


def audit(
    path: str | os.PathLike[str],
    config: str | os.PathLike[str] | None = None,
    *,
    config_format: str = "auto",
    tag: str | None = None,
    run: str | None = None,
    steps_per_epoch: int | None = None,
    world_size: int | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int, str], Any] | None = None,
    run_configs: Mapping[str, str | os.PathLike[str]] | None = None,
    dask: str | None = None,
    cache: Any = None,
) -> AuditReport:
    """Read, fit and diagnose every LR series under ``path`` against ``config`` (optional).

    ``config="auto"`` compares each run with the config its framework saved beside it;
    ``run_configs`` pins one run's config (run name -> file).

    ``jobs``: worker processes; None (the default, as in the CLI) uses the usable cores when
    the work pays for the workers, else this process; a number is capped at the usable cores.
    ``progress(done, total, label)`` is called after each unit of work. ``dask``: ``"local"``
    (a ``distributed.LocalCluster`` of ``jobs`` workers, 2 by default) or a scheduler address
    (``"tcp://host:8786"``) audits each run on a Dask worker, with the same report; needs the
    ``[dask]`` extra (:mod:`lraudit.backends`). Findings carry the
    config line they are about where it can be found (``Finding.line``). See
    :mod:`lraudit.pipeline`. ``cache``: a :class:`lraudit.cache.RunCache` (runs whose event
    files did not change are neither read nor fitted again) or None.
    """
    from lraudit.cli_output import usable_cores
    from lraudit.pipeline import audit as _impl
    from lraudit.report.locate import attach_lines

    if jobs is not None and not isinstance(jobs, bool) and isinstance(jobs, int) and jobs > 1:
        jobs = min(jobs, usable_cores())
    report = _impl(
        path,
        config=config,
        config_format=config_format,
        tag=tag,
        run=run,
        steps_per_epoch=steps_per_epoch,
        world_size=world_size,
        jobs=jobs,
        progress=progress,
        run_configs=run_configs,
        dask=dask,
        cache=cache,
    )
    return attach_lines(report)


__all__ = [
    "AuditReport",
    "ConfigError",
    "Finding",
    "FitResult",
    "IntendedSchedule",
    "LRSeries",
    "LogReadError",
    "LrauditError",
    "NoEventFilesError",
    "RunAudit",
    "ScalarSeries",
    "Schedule",
    "Severity",
    "TagNotFoundError",
    "Warmup",
    "__version__",
    "audit",
    "fit",
    "load_config",
    "read_lr_series",
    "read_scalars",
]
