"""lraudit: audit the learning-rate schedule of a training run from its TensorBoard logs.

>>> import lraudit
>>> sorted(lraudit.__all__)[:3]
['AuditReport', 'ConfigError', 'Finding']
"""

from __future__ import annotations

from typing import Any

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
    Schedule,
    Severity,
    Warmup,
)

__version__ = "0.1.0"


def read_lr_series(path: Any, tag: str | None = None, run: str | None = None) -> list[LRSeries]:
    """Every learning-rate series under ``path`` (see :func:`lraudit.reader.read_lr_series`)."""
    from lraudit.reader import read_lr_series as _impl

    return _impl(path, tag=tag, run=run)


def read_scalars(path: Any, tags: Any = None, run: str | None = None) -> list[LRSeries]:
    """Every scalar series (any tag) under ``path`` (see :func:`lraudit.reader.read_scalars`)."""
    from lraudit.reader import read_scalars as _impl

    return _impl(path, tags=tags, run=run)


def fit(series: LRSeries, **kwargs: Any) -> FitResult:
    """Infer the schedule family and parameters of one series (see :mod:`lraudit.fitting`)."""
    from lraudit.fitting import fit as _impl

    return _impl(series, **kwargs)


def load_config(path: Any, format: str = "auto", **units: Any) -> IntendedSchedule:
    """The intended schedule from a training config (see :mod:`lraudit.configs`)."""
    from lraudit.configs import load_config as _impl

    return _impl(path, format=format, **units)


def audit(path: Any, config: Any = None, **kwargs: Any) -> AuditReport:
    """Read, fit and diagnose every LR series under ``path`` (see :mod:`lraudit.pipeline`)."""
    from lraudit.pipeline import audit as _impl

    return _impl(path, config=config, **kwargs)


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
