"""Configs at a URL (``--config s3://bucket/cfg.yaml``) and configs saved beside remote runs.

The parsers read local paths, so the config is copied into a private temporary copy
(:class:`lraudit.reader.mirror.Mirror`), parsed there under the same
:mod:`~lraudit.configs.limits` as a local file, and every path in the result (the schedule's
``source``, its assumptions, error messages) is the URL again.

* The config file itself: at most ``Limits.max_bytes`` are downloaded (a larger one is refused
  with the local message, from its true size). An event file (the HF Trainer's ``args`` text)
  is read from its first :data:`~lraudit.configs.discover.EVENT_SCAN_BYTES` only, where the
  callback writes it.
* Includes (``_base_``, ``_BASE_``, ``read_base()``, Python imports): when the config's text
  names any, the small config files (:data:`CONFIG_SUFFIXES`, each within ``Limits.max_bytes``,
  at most :data:`MAX_TREE_FILES` and :data:`MAX_TREE_BYTES` in all, nearest folders first) of
  its project folder are copied too: the folder two levels above the config's, as for a local
  config without ``.git`` (:func:`lraudit.configs.includes.project_root`), never above the
  bucket, nor above the logdir for a config found beside a run. An include outside the copy is
  a missing base (noted), never a local file.
* Beside a run (``--config auto``): the files :func:`lraudit.configs.discover.find_run_config`
  probes, level by level from the run folder up to the logdir, nearest first: the named config
  files, the ``*.py`` an MMEngine work_dir holds, the ``trainer_state.json`` of the three
  highest ``checkpoint-N``, and the head of the run's event files. The search is then the local
  one, on the copy.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lraudit.errors import ConfigError, LogReadError, LrauditError
from lraudit.reader import fs
from lraudit.reader.mirror import Mirror
from lraudit.types import IntendedSchedule

#: file names copied with a config that includes others
CONFIG_SUFFIXES = (".yaml", ".yml", ".py", ".json", ".config", ".cfg", ".pbtxt", ".txt")
#: most files copied for a config's includes ...
MAX_TREE_FILES = 256
#: ... and most bytes
MAX_TREE_BYTES = 32_000_000
#: folder levels below the project folder listed for includes
TREE_DEPTH = 8
#: the names the beside-run probes look for (:mod:`lraudit.configs.discover`)
NAMED = (
    "opt.yaml",
    "hyp.yaml",
    "args.yaml",
    "config.yaml",
    "hparams.yaml",
    "config.py",
    "pipeline.config",
    "trainer_state.json",
)
#: event files at the run folder whose heads are copied for the HF ``args`` text
MAX_EVENT_HEADS = 8

_INCLUDES = re.compile(r"_base_|read_base|^\s*(?:from|import)\s", re.IGNORECASE | re.MULTILINE)

Load = Callable[[Path, str], IntendedSchedule]


def _top(url: str) -> str:
    """``scheme://first-part``: the bucket (or the first folder) of ``url``."""
    scheme, rest = url.split("://", 1)
    parts = rest.split("/")
    keep = 2 if parts[0] == "" else 1
    return f"{scheme}://" + "/".join(parts[:keep])


def _up(url: str, levels: int, floor: str) -> str:
    """``levels`` folders above ``url``, never above ``floor``."""
    for _ in range(levels):
        if url.rstrip("/") == floor.rstrip("/"):
            break
        url = fs.parent(url)
    return url


def _limits(max_bytes: int | None) -> Any:
    from lraudit.configs.limits import Limits

    return Limits.from_env(max_bytes)


def _copy_config(m: Mirror, url: str, max_bytes: int) -> Path:
    """Copy the config ``url`` (or the event files of a run folder ``url``) into ``m``."""
    from lraudit.configs.discover import EVENT_SCAN_BYTES

    kind = "file" if fs.is_file(url) else "directory" if fs.is_dir(url) else None
    if kind is None:
        raise ConfigError(f"{url}: config file not found (or no such bucket)")
    if kind == "directory":  # a run folder: the HF args text in its event files
        for name, is_dir, _ in fs.listdir(url)[:MAX_EVENT_HEADS]:
            if not is_dir and "tfevents" in name:
                m.fetch(fs.join(url, name), limit=EVENT_SCAN_BYTES, head=EVENT_SCAN_BYTES)
        m.local(url).mkdir(parents=True, exist_ok=True)
        return m.local(url)
    if "tfevents" in posixpath.basename(url):
        return m.fetch(url, limit=EVENT_SCAN_BYTES, head=EVENT_SCAN_BYTES)
    return m.fetch(url, limit=max_bytes, head=0)


def _copy_includes(m: Mirror, config_url: str, local: Path, max_bytes: int) -> None:
    """Copy the config files of ``config_url``'s project folder when its text includes any."""
    try:
        head = local.read_bytes()[:max_bytes].decode("utf-8", "replace") if local.is_file() else ""
    except OSError:
        return
    if not _INCLUDES.search(head):
        return
    project = _up(fs.parent(config_url), 2, m.base)
    here = m.rel(fs.parent(config_url))
    there = m.rel(project)
    files = fs.files_under(project, maxdepth=TREE_DEPTH)

    def nearness(rel: str) -> tuple[int, str]:
        full = posixpath.join(there, rel) if there else rel
        inside = full.startswith(here + "/") if here else True
        return (0 if inside else 1 + full.count("/"), full)

    picked = [
        r
        for r, size in files.items()
        if r.lower().endswith(CONFIG_SUFFIXES) and size <= max_bytes and ".git" not in r.split("/")
    ]
    total = 0
    for rel in sorted(picked, key=nearness)[:MAX_TREE_FILES]:
        total += files[rel]
        if total > MAX_TREE_BYTES:
            break
        m.fetch(fs.join(project, rel), limit=max_bytes, head=0)


def _load_in(m: Mirror, local: Path, url: str, fmt: str, load: Load) -> IntendedSchedule:
    try:
        got = load(local, fmt)
    except LrauditError as e:
        raise m.error(e) from None
    return m.rebase(got)


def load_url_config(
    url: str,
    fmt: str = "auto",
    *,
    max_bytes: int | None = None,
    include_roots: tuple[Any, ...] = (),
    **units: Any,
) -> IntendedSchedule:
    """:func:`lraudit.configs.load_config` for a URL (see the module docstring)."""
    from lraudit.configs.load import load_local as load_config

    limit = _limits(max_bytes).max_bytes
    try:
        with Mirror(_up(fs.parent(url), 2, _top(url)), 8 * MAX_TREE_BYTES + limit) as m:
            local = _copy_config(m, url, limit)
            _copy_includes(m, url, local, limit)

            def load(p: Path, f: str) -> IntendedSchedule:
                roots = (*include_roots, m.root)
                return load_config(p, f, max_bytes=max_bytes, include_roots=roots, **units)

            return _load_in(m, local, url, fmt, load)
    except LogReadError as e:  # the URL could not be read: a config error for the caller
        raise ConfigError(str(e)) from None


# ---------------------------------------------------------------------- beside a remote run


def _levels(run_url: str, root_url: str) -> Iterator[tuple[int, str]]:
    d, dist = run_url.rstrip("/"), 0
    root = root_url.rstrip("/")
    while True:
        yield dist, d
        if d == root or not d.startswith(root + "/"):
            return
        d, dist = fs.parent(d), dist + 1


def _copy_level(m: Mirror, d: str, dist: int) -> None:
    """Copy what the beside-run probes look at in the folder ``d`` (``dist`` above the run)."""
    from lraudit.configs.discover import EVENT_SCAN_BYTES, MAX_CONFIG_BYTES

    entries = fs.listdir(d)
    m.local(d).mkdir(parents=True, exist_ok=True)
    name = posixpath.basename(d)
    pys = [n for n, is_dir, _ in entries if not is_dir and n.endswith(".py")]
    others = [n for n in pys if n not in (name + ".py", "config.py")]
    heads = 0
    for n, is_dir, size in entries:
        url = fs.join(d, n)
        if is_dir:
            continue
        if n in NAMED or n == name + ".py" or (n in others and len(others) == 1):
            if size <= MAX_CONFIG_BYTES:
                m.fetch(url, limit=MAX_CONFIG_BYTES, head=0)
        elif dist == 0 and "tfevents" in n and heads < MAX_EVENT_HEADS:
            heads += 1
            m.fetch(url, limit=EVENT_SCAN_BYTES, head=EVENT_SCAN_BYTES)
    ckpts = [
        (int(n.split("-")[1]), n)
        for n, is_dir, _ in entries
        if is_dir and re.fullmatch(r"checkpoint-\d+", n)
    ]
    for _, n in sorted(ckpts, reverse=True)[:3]:
        state = fs.join(d, n, "trainer_state.json")
        m.local(fs.join(d, n)).mkdir(parents=True, exist_ok=True)
        if fs.is_file(state):
            m.fetch(state, limit=MAX_CONFIG_BYTES, head=0)


def find_url_run_config(
    run_url: str, root_url: str, **units: Any
) -> tuple[str, str, IntendedSchedule | ConfigError] | None:
    """The config saved nearest to the run folder ``run_url`` below the logdir ``root_url``:
    (its URL, its format, its schedule or why it could not be read), or None. ``units`` as
    :func:`lraudit.configs.load_config` takes them."""
    from lraudit.configs.discover import find_run_config
    from lraudit.configs.load import load_local as load_config

    with Mirror(root_url, 8 * MAX_TREE_BYTES) as m:
        local_run = m.local(run_url)
        for _dist, d in _levels(run_url, root_url):
            _copy_level(m, d, _dist)
            found = find_run_config(local_run, m.local(d))
            if found is None:
                continue
            url = m.url(found.path)
            _copy_includes(m, url, found.path, _limits(None).max_bytes)

            def load(p: Path, f: str) -> IntendedSchedule:
                return load_config(p, f, include_roots=(m.root,), **units)

            try:
                return url, found.format, _load_in(m, found.path, url, found.format, load)
            except ConfigError as e:
                return url, found.format, e
    return None


__all__ = ["find_url_run_config", "load_url_config"]
