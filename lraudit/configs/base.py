"""What every config parser is: a name, a ``detect`` score and a ``parse`` function.

Parser modules build one :class:`ConfigParser` each (``PARSER``) and import nothing from the
:mod:`lraudit.configs` package itself; :mod:`lraudit.configs.formats` lists them in
:data:`~lraudit.configs.formats.FORMATS`. No registration by import side effect.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lraudit.types import IntendedSchedule


@dataclass(frozen=True)
class Units:
    """Overrides the user can pass (CLI ``--steps-per-epoch``, ``--world-size``...)."""

    steps_per_epoch: int | None = None
    world_size: int | None = None
    num_steps: int | None = None


@dataclass(frozen=True)
class ConfigParser:
    """A config format: ``detect(path, text)`` scores how likely ``path`` is in it (0 = no,
    1 = by content, 2 = by file name and content) in time linear in ``text``; ``parse(path,
    text, units)`` returns the intended schedule or raises
    :class:`~lraudit.errors.ConfigError`."""

    name: str
    detect: Callable[[Path, str], int]
    parse: Callable[[Path, str, Units], IntendedSchedule]


__all__ = ["ConfigParser", "Units"]
