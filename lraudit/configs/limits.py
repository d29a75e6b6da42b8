"""Budgets for reading a config: what a hostile or broken config may cost, and what it may read.

A config is untrusted input. Reading one must end in bounded time and memory, with one clear
:class:`ConfigLimitError` (a :class:`~lraudit.errors.ConfigError`) naming the file and the limit
when a budget is exceeded. :class:`Limits` holds every budget; :func:`reading` opens a
:class:`Session` (the limits, the folders includes may come from, and the memo of files already
loaded) for one :func:`lraudit.configs.load_config` call, and every loader reads it with
:func:`session`.

The defaults are far above what real configs need (the largest example config in
``config-examples`` is ~40 kB, nests 8 levels and evaluates in a few thousand steps) and low
enough that the worst input stays under a second and a few hundred MB.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lraudit.errors import ConfigError

#: Environment variable overriding :attr:`Limits.max_bytes`.
ENV_MAX_BYTES = "LRAUDIT_MAX_CONFIG_BYTES"
#: Environment variable adding folders includes may come from (``os.pathsep``-separated).
ENV_ROOTS = "LRAUDIT_CONFIG_ROOTS"


class ConfigLimitError(ConfigError):
    """A config exceeds one of the :class:`Limits` (size, nesting, evaluation budget)."""


@dataclass(frozen=True)
class Limits:
    """Every budget for reading one config (with its includes).

    Data (every format): ``max_bytes`` per file, ``max_depth`` nesting levels, ``max_nodes``
    values in the loaded data counted as expanded (a YAML alias or a shared Python list counts
    each time it is reachable), ``max_items`` elements of one list or mapping,
    ``max_int_digits`` digits of one integer, ``max_files`` distinct include files and
    ``max_include_refs`` include references in total.

    Python configs (the restricted evaluator): at most ``max_bytes // 20`` bytes of source
    (the syntax tree takes ~1 kB per value: 500 kB of ``1,`` is 250 MB), ``max_steps`` evaluation steps (one per node
    evaluated, plus one per element copied, compared or printed), ``max_seconds`` wall time,
    ``max_str`` characters of one string, ``max_int_bits`` bits of one integer,
    ``max_calls`` nested calls of functions defined in the config.
    """

    max_bytes: int = 10_000_000
    max_depth: int = 100
    max_nodes: int = 500_000
    max_items: int = 100_000
    max_int_digits: int = 4300
    max_files: int = 256
    max_include_refs: int = 2000
    max_steps: int = 400_000
    max_seconds: float = 5.0
    max_str: int = 1_000_000
    max_int_bits: int = 14_300  # 4300 decimal digits
    max_calls: int = 40

    @classmethod
    def from_env(cls, max_bytes: int | None = None) -> Limits:
        """The defaults, with ``max_bytes`` from the argument, else ``$LRAUDIT_MAX_CONFIG_BYTES``."""
        limits = cls()
        if max_bytes is None:
            raw = os.environ.get(ENV_MAX_BYTES, "").strip()
            if raw:
                try:
                    max_bytes = int(float(raw))
                except (ValueError, OverflowError):
                    raise ConfigError(
                        f"{ENV_MAX_BYTES}={raw!r}: expected a number of bytes (e.g. 50000000)"
                    ) from None
        if max_bytes is not None:
            if max_bytes <= 0:
                raise ConfigError(
                    f"max_bytes: expected a positive number of bytes, got {max_bytes}"
                )
            # more bytes allowed: as many more values (one per 20 bytes), never fewer
            nodes = max(limits.max_nodes, int(max_bytes) // 20)
            limits = replace(limits, max_bytes=int(max_bytes), max_nodes=nodes)
        return limits


@dataclass
class Session:
    """What one config read may use: its limits, allowed include roots, and loaded files."""

    limits: Limits = field(default_factory=Limits)
    roots: tuple[Path, ...] = ()
    #: resolved path -> parsed value of a file already loaded (each file is loaded once)
    cache: dict[tuple[str, Path], Any] = field(default_factory=dict)
    #: files being loaded right now (include cycles)
    stack: list[Path] = field(default_factory=list)
    include_refs: int = 0


_SESSION: ContextVar[Session | None] = ContextVar("lraudit_config_session", default=None)


def session() -> Session:
    """The current :class:`Session` (a fresh default one outside :func:`reading`)."""
    s = _SESSION.get()
    return s if s is not None else Session(Limits.from_env())


def env_roots() -> tuple[Path, ...]:
    raw = os.environ.get(ENV_ROOTS, "")
    return tuple(Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip())


@contextlib.contextmanager
def reading(
    limits: Limits | None = None, roots: tuple[Path, ...] | list[Path] = ()
) -> Iterator[Session]:
    """Open a :class:`Session` for reading one config (nested calls reuse the outer one)."""
    outer = _SESSION.get()
    if outer is not None:
        yield outer
        return
    s = Session(limits or Limits.from_env(), tuple(roots) + env_roots())
    token = _SESSION.set(s)
    try:
        yield s
    finally:
        _SESSION.reset(token)


def measure(value: Any, where: str | Path, limits: Limits | None = None) -> int:
    """Count the values reachable from ``value`` as if every shared part were copied.

    Raises :class:`ConfigLimitError` naming ``where`` when the count exceeds
    ``limits.max_nodes`` (a YAML alias bomb, a Python list doubled by ``[a, a]``, a cycle),
    when nesting exceeds ``limits.max_depth`` or when one container holds more than
    ``limits.max_items``. Iterative, and stops as soon as a budget is exceeded, so its cost is
    at most ``max_nodes`` steps whatever the input.

    >>> a = [1]
    >>> for _ in range(3):
    ...     a = [a, a]
    >>> measure(a, "x")
    23
    """
    lim = limits or session().limits
    count = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        obj, depth = stack.pop()
        count += 1
        if count > lim.max_nodes:
            raise ConfigLimitError(
                f"{where}: more than {lim.max_nodes:,} values once aliases and shared parts are "
                "expanded (an alias bomb or a self-referencing value?); lraudit refuses it"
            )
        if isinstance(obj, dict):
            children: Any = [*obj.keys(), *obj.values()]
        elif isinstance(obj, (list, tuple, set, frozenset)):
            children = obj
        else:
            continue
        if depth > lim.max_depth:
            raise ConfigLimitError(
                f"{where}: values nested more than {lim.max_depth} levels deep; lraudit refuses it"
            )
        if len(obj) > lim.max_items:
            raise ConfigLimitError(
                f"{where}: a list or mapping with {len(obj):,} elements (limit "
                f"{lim.max_items:,}); lraudit refuses it"
            )
        stack.extend((c, depth + 1) for c in children)
    return count


__all__ = [
    "ENV_MAX_BYTES",
    "ENV_ROOTS",
    "ConfigLimitError",
    "Limits",
    "Session",
    "env_roots",
    "measure",
    "reading",
    "session",
]
