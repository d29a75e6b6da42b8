"""Intended schedules from training configs: one parser module per format, auto-detected.

The formats are the explicit tuple :data:`lraudit.configs.formats.FORMATS` of
:class:`~lraudit.configs.base.ConfigParser`. ``detect`` scores how likely a file is in that
format (0 = no, 1 = by content, 2 = by file name and content) in linear time, and during
detection each text is parsed at most once whatever the number of parsers looking at it;
``parse`` returns an :class:`~lraudit.types.IntendedSchedule`. No parser executes or unpickles
anything: Python configs are read by a restricted evaluator (:mod:`lraudit.configs.pyconfig`),
YAML and JSON by bounded loaders (:mod:`lraudit.configs.loaders`), within the budgets of
:mod:`lraudit.configs.limits`; includes stay inside the config's project
(:mod:`lraudit.configs.includes`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from lraudit.configs.base import ConfigParser, Units
from lraudit.configs.load import detect_format, load_local, parsers
from lraudit.errors import ConfigError
from lraudit.types import IntendedSchedule

if TYPE_CHECKING:
    from lraudit.configs.formats import FORMATS

    #: Format name -> parser (read-only view of :data:`FORMATS`), built on first use.
    PARSERS: MappingProxyType[str, ConfigParser]


def __getattr__(name: str) -> Any:
    if name == "PARSERS":
        return parsers()
    if name == "FORMATS":
        from lraudit.configs.formats import FORMATS

        return FORMATS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_config(
    path: str | Path,
    format: str = "auto",
    *,
    max_bytes: int | None = None,
    include_roots: Sequence[str | os.PathLike[str]] = (),
    **units: Any,
) -> IntendedSchedule:
    """Parse the intended schedule from a training config.

    ``units`` are the fields of :class:`Units` (``steps_per_epoch``, ``world_size``,
    ``num_steps``); values given here override what the config implies, and every such override
    is recorded in ``IntendedSchedule.assumptions``. ``max_bytes`` caps the size of each config
    file (default ``$LRAUDIT_MAX_CONFIG_BYTES`` or 10 MB); ``include_roots`` are folders, besides
    the config's own project, that ``_base_`` / ``_BASE_`` includes may come from.
    """
    from lraudit.reader import fs

    if fs.is_url(path):  # copied into a private folder, parsed there (lraudit.configs.remote)
        from lraudit.configs.remote import load_url_config

        if format != "auto" and format not in parsers():
            known = ", ".join(["auto", *sorted(parsers())])
            raise ConfigError(f"unknown config format {format!r}; use one of: {known}")
        return load_url_config(
            str(path), format, max_bytes=max_bytes, include_roots=tuple(include_roots), **units
        )
    return load_local(path, format, max_bytes=max_bytes, include_roots=include_roots, **units)


__all__ = ["FORMATS", "ConfigParser", "PARSERS", "Units", "detect_format", "load_config"]
