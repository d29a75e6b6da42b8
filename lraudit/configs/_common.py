"""Shared helpers for config parsers: numbers, lookups, and the config readers in one place.

Nothing here executes or imports anything that comes from a config file. The readers live in
their own modules and are re-exported here for the parsers:

* :mod:`lraudit.configs.loaders`: bounded text, YAML and JSON (:func:`load_yaml` also accepts
  PaddleDetection's custom ``!Tag`` nodes, ``!!python/tuple`` and YAML-1.1 floats without a
  dot), YAML ``_BASE_`` includes (:func:`load_yaml_with_bases`);
* :mod:`lraudit.configs.includes`: :func:`merge_dicts` (MMEngine's ``_delete_`` rule) and the
  confinement of includes;
* :mod:`lraudit.configs.pyconfig`: :func:`read_python_config`, the restricted evaluator.
"""

from __future__ import annotations

import math
from typing import Any

from lraudit.configs.includes import merge_dicts, resolve_base
from lraudit.configs.loaders import Loaded, SafeTagLoader, load_yaml, load_yaml_with_bases
from lraudit.configs.pyconfig import (
    UNSAFE_MODULES,
    UNSAFE_NAMES,
    PyConfig,
    Symbol,
    Unresolved,
    check_safe,
    is_number,
    read_python_config,
    type_name,
)
from lraudit.errors import ConfigError

# --------------------------------------------------------------------------- plain values


def f32(x: float) -> float:
    """``x`` rounded to float32 and back, as protobuf ``float`` fields and TF store it.

    >>> f32(0.004)
    0.004000000189989805
    """
    import numpy as np

    return float(np.float32(x))


def as_float(x: Any, where: str) -> float:
    """``x`` as a float; :class:`ConfigError` naming ``where`` when it is not a number."""
    if isinstance(x, Unresolved):
        raise ConfigError(f"{where}: value {x.source!r} cannot be read without running the config")
    if isinstance(x, str):
        try:
            return float(x)
        except ValueError:
            pass
    if not is_number(x):
        raise ConfigError(f"{where}: expected a number, got {_short(x)}")
    try:
        return float(x)
    except OverflowError:
        raise ConfigError(f"{where}: {_short(x)} is too large for a float") from None


def _short(x: Any) -> str:
    """``repr(x)`` cut to 60 characters (a hostile value can be megabytes long)."""
    if isinstance(x, int) and x.bit_length() > 200:
        return f"an integer of {x.bit_length():,} bits"
    r = repr(x)
    return r if len(r) <= 60 else r[:57] + "..."


def as_int(x: Any, where: str) -> int:
    """``x`` as an int (a float must be whole); :class:`ConfigError` otherwise."""
    v = as_float(x, where)
    if not float(v).is_integer():
        raise ConfigError(f"{where}: expected a whole number, got {x!r}")
    return int(v)


def whole(x: float, tol: float = 1e-6) -> float:
    """``x`` snapped to the nearest integer when within ``tol`` of it (``500/184375*737500``).

    >>> whole(1999.9999999999998)
    2000.0
    """
    r = round(x)
    return float(r) if abs(x - r) <= tol * max(1.0, abs(x)) else float(x)


def fmt(x: float) -> str:
    """A short human form of a number for assumption sentences (``90000`` -> ``90,000``)."""
    if float(x).is_integer() and abs(x) >= 1000:
        return f"{int(x):,}"
    return f"{x:g}"


def lookup(data: Any, dotted: str, default: Any = None) -> Any:
    """``data["a"]["b"]`` for ``"a.b"``; ``default`` when any part is missing.

    >>> lookup({"a": {"b": 1}}, "a.b"), lookup({"a": 1}, "a.b", 0)
    (1, 0)
    """
    cur = data
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return default
        cur = cur[part]
    return cur


def plain(x: Any) -> Any:
    """``x`` with :class:`Symbol` -> dotted path, :class:`Unresolved` -> its source, tuples ->
    lists, recursively: safe to put in ``IntendedSchedule.settings`` (JSON-able).

    >>> plain({"type": Symbol("a.B"), "m": (1, 2)})
    {'type': 'a.B', 'm': [1, 2]}
    """
    if isinstance(x, Symbol):
        return x.path
    if isinstance(x, Unresolved):
        return f"<unresolved {x.source}>"
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items() if k != "_delete_"}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    return x


def intify(x: Any) -> Any:
    """Whole floats -> int (also inside lists), other values unchanged.

    >>> intify([8000.0, 1.5]), intify(3.0)
    ([8000, 1.5], 3)
    """
    if isinstance(x, list):
        return [intify(v) for v in x]
    if isinstance(x, float) and math.isfinite(x) and x.is_integer():
        return int(x)
    return x


__all__ = [
    "Loaded",
    "PyConfig",
    "SafeTagLoader",
    "Symbol",
    "UNSAFE_MODULES",
    "UNSAFE_NAMES",
    "Unresolved",
    "as_float",
    "as_int",
    "check_safe",
    "f32",
    "fmt",
    "is_number",
    "load_yaml",
    "load_yaml_with_bases",
    "lookup",
    "intify",
    "merge_dicts",
    "plain",
    "read_python_config",
    "resolve_base",
    "type_name",
    "whole",
]
