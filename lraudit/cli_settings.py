"""Project settings for the ``lraudit`` command: ``[tool.lraudit]`` in ``pyproject.toml`` or ``lraudit.toml``.

Discovery: from the current directory upwards, the first directory holding ``lraudit.toml``
(its top-level keys, or its ``[tool.lraudit]`` table) or a ``pyproject.toml`` with a
``[tool.lraudit]`` table; ``lraudit.toml`` wins when both are in one directory (as ``ruff.toml``
does over ``pyproject.toml``). The walk stops at the repository root (a directory holding
``.git``). ``--isolated`` ignores every settings file.

Keys (dashes or underscores): ``path``, ``config``, ``config-format``, ``tag``, ``run``,
``steps-per-epoch``, ``world-size``, ``format``, ``output``, ``plot``, ``jobs``, ``fail-on``,
``exit-zero``, ``progress``. Relative paths are relative to the settings file's directory.
The command line wins over the file. An unknown key or a wrong type is an error naming the
file and the key.

.. code-block:: toml

    [tool.lraudit]
    path = "runs"
    config = "configs/pipeline.config"
    fail-on = "warning"
    jobs = 2
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lraudit.errors import LrauditError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: key -> kind: ``path`` (resolved against the file's directory), ``str``, ``int`` (>= 1),
#: ``bool``, or a tuple of allowed strings.
KEYS: dict[str, Any] = {
    "path": "path",
    "config": "path",
    "config_format": "config_format",
    "tag": "str",
    "run": "str",
    "steps_per_epoch": "int",
    "world_size": "int",
    "format": "format",
    "output": "path",
    "plot": "path",
    "jobs": "int",
    "fail_on": ("error", "warning", "info"),
    "exit_zero": "bool",
    "progress": "bool",
}


class SettingsError(LrauditError):
    """A settings file cannot be read or holds an unknown key or a wrong value."""


@dataclass(frozen=True)
class Settings:
    """Values from a settings file (normalised key -> value) and where they came from."""

    values: Mapping[str, Any] = field(default_factory=dict)
    source: Path | None = None

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def _has_table(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        # broken TOML: ours to report only when it holds our table
        return "[tool.lraudit" in text
    return isinstance(data.get("tool"), dict) and "lraudit" in data["tool"]


def find_settings(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The settings file that applies in ``start`` (default: the current directory), or None."""
    here = Path(start if start is not None else os.getcwd()).resolve()
    for d in (here, *here.parents):
        own = d / "lraudit.toml"
        if own.is_file():
            return own
        pyproject = d / "pyproject.toml"
        if pyproject.is_file() and _has_table(pyproject):
            return pyproject
        if (d / ".git").exists():
            break
    return None


def _table(path: Path) -> Mapping[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read ({exc.strerror})") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})") from None
    tool = data.get("tool")
    if isinstance(tool, dict) and isinstance(tool.get("lraudit"), dict):
        return tool["lraudit"]
    if path.name == "pyproject.toml":
        return {}
    return {k: v for k, v in data.items() if k != "tool"}


def _check(path: Path, where: str, key: str, kind: Any, value: Any) -> Any:
    from lraudit.report import FORMATS
    from lraudit.vocab import CONFIG_FORMATS

    def bad(expected: str) -> SettingsError:
        return SettingsError(f"{path} {where}: {key} = {value!r}: expected {expected}")

    if kind == "bool":
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise bad("a whole number >= 1")
        return value
    if not isinstance(value, str) or not value.strip():
        raise bad("a non-empty string")
    choices = {"format": FORMATS, "config_format": CONFIG_FORMATS}.get(kind, kind)
    if isinstance(choices, tuple) and value not in choices:
        raise bad("one of " + ", ".join(choices))
    if kind == "path":
        p = Path(value).expanduser()
        if not p.is_absolute():
            p = path.parent / p
        try:
            rel = os.path.relpath(p, os.getcwd())
        except ValueError:  # another drive on Windows
            return str(p)
        return rel if not rel.startswith("..") else str(p)
    return value


def load_settings(path: str | os.PathLike[str]) -> Settings:
    """Read and check the ``lraudit`` settings in ``path`` (keys normalised to snake_case)."""
    p = Path(path)
    table = _table(p)
    where = "[tool.lraudit]" if p.name == "pyproject.toml" else ""
    values: dict[str, Any] = {}
    for raw, value in table.items():
        key = str(raw).replace("-", "_")
        if key not in KEYS:
            known = [k.replace("_", "-") for k in KEYS]
            close = difflib.get_close_matches(str(raw).replace("_", "-"), known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(known)}"
            raise SettingsError(f"{p} {where}: unknown key {raw!r}{hint}".replace("  ", " "))
        values[key] = _check(p, where, str(raw), KEYS[key], value)
    return Settings(values, p)


def discover(isolated: bool = False) -> Settings:
    """The settings in force: none with ``isolated``, else those of :func:`find_settings`."""
    if isolated:
        return Settings()
    found = find_settings()
    return load_settings(found) if found is not None else Settings()


__all__ = ["KEYS", "Settings", "SettingsError", "discover", "find_settings", "load_settings"]
