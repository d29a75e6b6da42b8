"""Parsing a local config file: format detection and the parser call, within budgets.

:func:`lraudit.configs.load_config` is the public entry point (it also takes URLs, through
:mod:`lraudit.configs.remote`, which copies them and parses the copy with :func:`load_local`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from lraudit.configs.base import ConfigParser, Units
from lraudit.configs.limits import Limits, reading
from lraudit.errors import ConfigError, ScheduleError
from lraudit.types import IntendedSchedule

if TYPE_CHECKING:
    #: Format name -> parser (read-only view of :data:`lraudit.configs.formats.FORMATS`).
    PARSERS: MappingProxyType[str, ConfigParser]

_PARSERS: list[MappingProxyType[str, ConfigParser]] = []


def parsers() -> MappingProxyType[str, ConfigParser]:
    """:data:`PARSERS`, built on first use: importing every parser costs ~0.1 s of start-up,
    which a command that finds no config (or a cached report) never needs."""
    if not _PARSERS:
        from lraudit.configs.formats import FORMATS

        _PARSERS.append(MappingProxyType({p.name: p for p in FORMATS}))
    return _PARSERS[0]


def __getattr__(name: str) -> Any:
    if name == "PARSERS":
        return parsers()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def detect_format(
    path: str | Path, text: str | None = None, *, max_bytes: int | None = None
) -> str:
    """The name of the format of ``path``; :class:`ConfigError` when no parser recognises it."""
    p = Path(path)
    with reading(Limits.from_env(max_bytes)):
        if text is None:
            text = _read_text(p)
        return _detect(p, text)


def _detect(p: Path, text: str) -> str:
    from lraudit.configs.loaders import probing

    with probing():
        scores = sorted(
            ((parser.detect(p, text), parser.name) for parser in parsers().values()),
            reverse=True,
        )
    if not scores or scores[0][0] <= 0:
        known = ", ".join(sorted(parsers()))
        raise ConfigError(
            f"{p}: cannot tell the config format; pass --config-format with one of: {known}"
        )
    return scores[0][1]


def load_local(
    path: str | Path,
    format: str = "auto",
    *,
    max_bytes: int | None = None,
    include_roots: Sequence[str | os.PathLike[str]] = (),
    **units: Any,
) -> IntendedSchedule:
    """:func:`lraudit.configs.load_config` for a local file (the parsing itself)."""
    p = Path(path)
    if format != "auto" and format not in parsers():
        known = ", ".join(["auto", *sorted(parsers())])
        raise ConfigError(f"unknown config format {format!r}; use one of: {known}")
    try:
        u = Units(**units)
    except TypeError as exc:
        raise ConfigError(f"load_config: {exc}") from None
    roots = tuple(Path(r).expanduser() for r in include_roots)
    with reading(Limits.from_env(max_bytes), roots):
        text = _read_text(p)
        name = _detect(p, text) if format == "auto" else format
        try:
            return parsers()[name].parse(p, text, u)
        except ScheduleError as e:  # the config's numbers make an invalid schedule
            raise ConfigError(f"{p}: {e}") from None
        except (TypeError, ValueError, OverflowError, AttributeError, KeyError, IndexError) as e:
            # a parser met a value of a type or size it does not expect: the config is odd,
            # not lraudit broken; say which file, never a traceback
            raise ConfigError(
                f"{p}: a value in this {name} config has an unexpected type or size "
                f"({type(e).__name__}: {str(e)[:120]}); check the schedule keys"
            ) from None


def _read_text(p: Path) -> str:
    from lraudit.configs.loaders import read_text  # YAML: imported when a config is read

    if not p.exists():
        raise ConfigError(f"{p}: config file not found")
    if p.is_dir() or "tfevents" in p.name or p.suffix == ".keras":
        # Binary or directory inputs that a parser reads itself: the HF Trainer's `args` text
        # summary inside an event file (or a run directory), and the `.keras` zip.
        return ""
    try:
        return read_text(p)
    except ConfigError as exc:
        if p.suffix == ".bin" and "UTF-8" in str(exc):
            raise ConfigError(
                f"{p}: training_args.bin is a pickle and lraudit never unpickles; pass the "
                "run's trainer_state.json or a JSON/YAML of the TrainingArguments instead"
            ) from None
        raise
