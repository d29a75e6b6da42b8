"""Includes (``_BASE_``, ``_base_``, relative imports of config files): where they may come from.

A config names other files to merge under it. Following those names is the only way a config
makes lraudit open a file, so it is confined:

* an include resolves inside the config's **project**: the nearest folder above the config
  holding ``.git``, or else the config's folder and up to two levels above it (never a
  top-level folder such as ``/home`` or ``/tmp``), so detectron2's ``../Base-RCNN-FPN.yaml``
  and MMDetection's ``../_base_/...`` keep working; folders given by the caller
  (``include_roots=``, ``$LRAUDIT_CONFIG_ROOTS``) are allowed as well;
* system locations (``/etc``, ``/proc``, ``/sys``, ``/dev``, ...) are refused unless one of
  those explicit folders holds them; symlinks are resolved before the check;
* only regular files are read (a FIFO or a device would hang or never end);
* each file is loaded once per :func:`lraudit.configs.load_config` call (a diamond of bases
  costs one load per file, not one per path to it), and a file that includes itself, directly
  or not, is an error.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from lraudit.configs.limits import ConfigLimitError, session
from lraudit.errors import ConfigError

T = TypeVar("T")

#: Locations a config has no reason to include from, whatever its project.
SYSTEM_DIRS = tuple(
    Path(p)
    for p in ("/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/run", "/var", "/usr", "/bin")
)
_URL = re.compile(r"[a-z][a-z0-9+.-]*://")


def base_list(value: Any, path: Path, key: str) -> list[str]:
    """The include references of ``key`` (a path or a list of paths)."""
    if value is None:
        return []
    refs = [value] if isinstance(value, str) else value
    if isinstance(refs, (list, tuple)) and all(isinstance(v, str) for v in refs):
        for ref in refs:
            if not _plausible_path(ref):
                raise ConfigError(f"{path}: {key} {_short(ref)} is not a file name")
        return list(refs)
    raise ConfigError(f"{path}: {key} must be a path or a list of paths, got {_short(value)}")


def _plausible_path(ref: str) -> bool:
    """A name the filesystem could hold: no NUL, at most 4096 bytes, parts at most 255."""
    if not ref or "\x00" in ref or len(ref.encode("utf-8", "surrogateescape")) > 4096:
        return False
    return all(len(part.encode("utf-8", "surrogateescape")) <= 255 for part in ref.split("/"))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def resolve_base(ref: str, path: Path) -> Path | None:
    """The file a base reference points to (relative to ``path``'s folder), None for URLs."""
    if _URL.match(ref):
        return None
    p = Path(ref).expanduser()
    return p if p.is_absolute() else (path.parent / p)


def project_root(config: Path) -> Path:
    """The folder a config's includes must stay inside (see the module docstring)."""
    folder = config.resolve().parent
    for d in (folder, *folder.parents):
        if d == d.parent:  # the filesystem root never counts as a project
            break
        if (d / ".git").exists():
            return d
    root = folder
    for _ in range(2):
        up = root.parent
        if len(up.parts) <= 2:  # "/" + one name (/home, /tmp) is too broad
            break
        root = up
    return root


def _inside(p: Path, root: Path) -> bool:
    return p == root or root in p.parents


def confine(target: Path, includer: Path, key: str, ref: str) -> Path:
    """``target`` resolved, or :class:`ConfigError` when ``includer`` may not include it."""
    real = target.resolve()
    explicit = session().roots
    if any(_inside(real, r.resolve()) for r in explicit):
        return real
    root = project_root(includer)
    system = next((d for d in SYSTEM_DIRS if _inside(real, d)), None)
    if system is None and not _inside(real, root) and not real.exists():
        # a fragment copied out of its repository: its base is simply missing (noted by
        # the caller), as it would be inside the project
        return real
    if system is not None or not _inside(real, root):
        raise ConfigError(
            f"{includer}: {key} {ref!r} resolves to {real}, outside the config's project "
            f"{root}; lraudit reads includes only inside it (allow a folder with "
            "include_roots= or $LRAUDIT_CONFIG_ROOTS)"
        )
    return real


def load_once(kind: str, target: Path, includer: Path, load: Callable[[Path], T]) -> T:
    """``load(target)`` the first time ``target`` is included in this session, a copy after.

    Raises :class:`ConfigError` on an include cycle and :class:`ConfigLimitError` past
    :attr:`~lraudit.configs.limits.Limits.max_files` distinct files or
    :attr:`~lraudit.configs.limits.Limits.max_include_refs` references.
    """
    s = session()
    s.include_refs += 1
    if s.include_refs > s.limits.max_include_refs:
        raise ConfigLimitError(
            f"{includer}: more than {s.limits.max_include_refs} include references in one "
            "config; lraudit refuses it"
        )
    if not target.is_file():
        raise ConfigError(f"{target}: not a regular file; a config may only include files")
    if target in s.stack:
        raise ConfigError(f"{includer}: includes {target.name} which includes it back (cycle)")
    key = (kind, target)
    if key not in s.cache:
        if len(s.cache) >= s.limits.max_files:
            raise ConfigLimitError(
                f"{includer}: more than {s.limits.max_files} files included; lraudit refuses it"
            )
        s.stack.append(target)
        try:
            s.cache[key] = load(target)
        finally:
            s.stack.pop()
    return copy.deepcopy(s.cache[key])


def merge_dicts(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` merged onto ``base`` (new dict; neither input is modified).

    Dicts merge recursively; lists and scalars replace. A dict in ``over`` with
    ``_delete_: True`` replaces the base value instead of merging (MMEngine).

    >>> merge_dicts({"a": {"x": 1, "y": 2}, "l": [1]}, {"a": {"y": 3}, "l": [2]})
    {'a': {'x': 1, 'y': 3}, 'l': [2]}
    >>> merge_dicts({"a": {"x": 1}}, {"a": {"_delete_": True, "z": 0}})
    {'a': {'z': 0}}
    """
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict):
            if value.get("_delete_"):
                out[key] = {k: copy.deepcopy(v) for k, v in value.items() if k != "_delete_"}
            elif isinstance(out.get(key), dict):
                out[key] = merge_dicts(out[key], value)
            else:
                out[key] = {k: copy.deepcopy(v) for k, v in value.items() if k != "_delete_"}
        else:
            out[key] = copy.deepcopy(value)
    return out


__all__ = [
    "SYSTEM_DIRS",
    "base_list",
    "confine",
    "load_once",
    "merge_dicts",
    "project_root",
    "resolve_base",
]
