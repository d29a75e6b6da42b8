"""Intended schedules from training configs: one parser module per format, auto-detected.

Each parser module registers a :class:`ConfigParser` with :func:`register`. ``detect`` scores
how likely a file is in that format (0 = no, 1 = by content, 2 = by file name and content);
``parse`` returns an :class:`~lraudit.types.IntendedSchedule`. No parser executes or unpickles
anything: Python configs are read with :mod:`ast`, YAML with a safe loader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lraudit.errors import ConfigError
from lraudit.types import IntendedSchedule


@dataclass(frozen=True)
class Units:
    """Overrides the user can pass (CLI ``--steps-per-epoch``, ``--world-size``...)."""

    steps_per_epoch: int | None = None
    world_size: int | None = None
    num_steps: int | None = None


@dataclass(frozen=True)
class ConfigParser:
    name: str
    detect: Callable[[Path, str], int]
    parse: Callable[[Path, str, Units], IntendedSchedule]


PARSERS: dict[str, ConfigParser] = {}


def register(parser: ConfigParser) -> ConfigParser:
    if parser.name in PARSERS:
        raise ValueError(f"config parser {parser.name!r} registered twice")
    PARSERS[parser.name] = parser
    return parser


def _load() -> None:
    from lraudit.configs import formats  # noqa: F401


def detect_format(path: str | Path, text: str | None = None) -> str:
    """The name of the format of ``path``; :class:`ConfigError` when no parser recognises it."""
    _load()
    p = Path(path)
    if text is None:
        text = _read_text(p)
    scores = sorted(
        ((parser.detect(p, text), name) for name, parser in PARSERS.items()), reverse=True
    )
    if not scores or scores[0][0] <= 0:
        known = ", ".join(sorted(PARSERS))
        raise ConfigError(
            f"{p}: cannot tell the config format; pass --config-format with one of: {known}"
        )
    return scores[0][1]


def load_config(path: str | Path, format: str = "auto", **units: Any) -> IntendedSchedule:
    """Parse the intended schedule from a training config.

    ``units`` are the fields of :class:`Units` (``steps_per_epoch``, ``world_size``,
    ``num_steps``); values given here override what the config implies, and every such override
    is recorded in ``IntendedSchedule.assumptions``.
    """
    _load()
    p = Path(path)
    text = _read_text(p)
    name = detect_format(p, text) if format == "auto" else format
    if name not in PARSERS:
        known = ", ".join(["auto", *sorted(PARSERS)])
        raise ConfigError(f"unknown config format {name!r}; use one of: {known}")
    try:
        u = Units(**units)
    except TypeError as exc:
        raise ConfigError(f"load_config: {exc}") from None
    return PARSERS[name].parse(p, text, u)


def _read_text(p: Path) -> str:
    if not p.exists():
        raise ConfigError(f"{p}: config file not found")
    if p.is_dir() or "tfevents" in p.name or p.suffix == ".keras":
        # Binary or directory inputs that a parser reads itself: the HF Trainer's `args` text
        # summary inside an event file (or a run directory), and the `.keras` zip.
        return ""
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        if p.suffix == ".bin":
            raise ConfigError(
                f"{p}: training_args.bin is a pickle and lraudit never unpickles; pass the "
                "run's trainer_state.json or a JSON/YAML of the TrainingArguments instead"
            ) from None
        raise ConfigError(f"{p}: not a UTF-8 text file; pass the training config") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read ({exc.strerror})") from None


__all__ = ["ConfigParser", "PARSERS", "Units", "detect_format", "load_config", "register"]
