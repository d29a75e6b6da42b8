"""Run discovery, as TensorBoard does it.

* An *event file* is a file whose name contains ``tfevents`` (and does not end in
  ``.profile-empty``, TensorBoard's profiler marker).
* Every directory that directly holds at least one event file is a *run*; its name is the
  directory relative to the log dir, with ``/`` separators, ``"."`` for the log dir itself.
  A single event file passed as the path is the run ``"."``.
* Within a run, files are read in the order they were started: by the creation timestamp in
  the name (``events.out.tfevents.<unix time>.<host>.<pid>.<n>``), then by name.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from lraudit.errors import LogReadError
from lraudit.reader import fs

_TS = re.compile(r"tfevents\.(\d+)")


def is_event_file(name: str) -> bool:
    """True for TensorBoard event file names (``*tfevents*``, not ``*.profile-empty``)."""
    return "tfevents" in name and not name.endswith(".profile-empty")


def file_order_key(path: str | os.PathLike[str]) -> tuple[int, str]:
    """Sort key of an event file within its run: (timestamp in the name, name)."""
    name = os.path.basename(os.fspath(path))
    m = _TS.search(name)
    return (int(m.group(1)) if m else 0, name)


def discover_runs(path: str | os.PathLike[str]) -> dict[str, tuple[str, ...]]:
    """Map run name -> its event files in read order (see the module docstring).

    Runs are sorted by name; symlinked directories are followed once each. Raises
    :class:`~lraudit.errors.LogReadError` when ``path`` does not exist; returns ``{}`` when it
    holds no event files.

    >>> import tempfile, lraudit.testing as t
    >>> d = tempfile.mkdtemp()
    >>> _ = t.write_scalars(d + "/a b/train", "lr", [0], [0.1])
    >>> list(discover_runs(d))
    ['a b/train']
    """
    if fs.is_url(path):
        return _discover_url(str(path))
    root = Path(path)
    if not root.exists():
        raise LogReadError(f"{os.fspath(path)}: no such file or directory")
    if root.is_file():
        return {".": (os.fspath(path),)} if is_event_file(root.name) else {}
    runs: dict[str, list[str]] = {}
    seen: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:  # a symlink loop or a directory linked twice
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames.sort()
        files = [f for f in filenames if is_event_file(f)]
        if not files:
            continue
        rel = os.path.relpath(dirpath, root)
        run = "." if rel == "." else Path(rel).as_posix()
        runs[run] = [os.path.join(dirpath, f) for f in files]
    return {r: tuple(sorted(fs, key=file_order_key)) for r, fs in sorted(runs.items())}


def _discover_url(url: str) -> dict[str, tuple[str, ...]]:
    """:func:`discover_runs` for an fsspec URL (object stores have no symlinks to follow)."""
    kind = "file" if fs.is_file(url) else "directory" if fs.is_dir(url) else None
    if kind is None:
        raise LogReadError(f"{url}: no such file or directory (or no such bucket)")
    if kind == "file":
        return {".": (url,)} if is_event_file(fs.basename(url)) else {}
    runs: dict[str, list[str]] = {}
    for rel, names in fs.walk(url):
        files = [n for n in names if is_event_file(n)]
        if files:
            runs[rel] = [fs.join(url, n) if rel == "." else fs.join(url, rel, n) for n in files]
    return {r: tuple(sorted(f, key=file_order_key)) for r, f in sorted(runs.items())}
