"""Which config each run is compared with: given, pinned per run, found beside it, or none.

- ``config=FILE`` applies one config to every run (``--config FILE``);
- ``run_configs={RUN: FILE}`` pins a run's own config (``--config RUN=FILE``, repeatable), and
  wins over the others for that run;
- ``discover=True`` (``--config auto``, the default) looks for the config each run's framework
  saved beside it (:func:`lraudit.configs.discover.find_run_config`), nearest first.

A given or pinned config that cannot be read stops the audit (the user asked for it); a
*discovered* one that cannot be read is noted and the run is audited from its logs alone, so one
broken file beside one run never costs the others.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lraudit.errors import ConfigError, LrauditError
from lraudit.types import IntendedSchedule, RunConfig

#: (intended schedule or None, how it was found, notes about the search)
Resolved = tuple[IntendedSchedule | None, RunConfig, tuple[str, ...]]


class ConfigPlan:
    """Resolves and caches the intended schedule of each run (see the module docstring)."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        config: str | os.PathLike[str] | None = None,
        *,
        run_configs: Mapping[str, str | os.PathLike[str]] | None = None,
        discover: bool = False,
        config_format: str = "auto",
        steps_per_epoch: int | None = None,
        world_size: int | None = None,
    ) -> None:
        self.root = os.fspath(root)
        self.discover = discover and config is None
        self.format = config_format
        self.units: dict[str, Any] = {}
        if steps_per_epoch is not None:
            self.units["steps_per_epoch"] = steps_per_epoch
        if world_size is not None:
            self.units["world_size"] = world_size
        self._cache: dict[str, IntendedSchedule | LrauditError] = {}
        self._levels: dict[Any, Any] = {}  # configs.discover.LevelMemo, shared by the runs
        # given and pinned configs first: a broken one fails before any log is read
        self.given = None if config is None else self.load(os.fspath(config), config_format)
        self.given_path = None if config is None else os.fspath(config)
        self.pinned = {
            run.strip("/") or ".": (os.fspath(p), self.load(os.fspath(p), config_format))
            for run, p in (run_configs or {}).items()
        }

    def load(self, path: str, fmt: str = "auto") -> IntendedSchedule:
        """The intended schedule of ``path`` (cached), with the caller's unit facts applied."""
        from lraudit.configs import load_config

        key = f"{fmt}\0{path}"
        got = self._cache.get(key)
        if got is None:
            try:
                got = self._with_units(load_config(path, format=fmt, **self.units))
            except LrauditError as exc:
                got = exc
            self._cache[key] = got
        if isinstance(got, LrauditError):
            raise got
        return got

    def _with_units(self, intended: IntendedSchedule) -> IntendedSchedule:
        # what the caller said about the run, for the messages (k = world size, ...)
        ws, spe = self.units.get("world_size"), self.units.get("steps_per_epoch")
        if ws is not None and intended.world_size is None:
            intended = dataclasses.replace(intended, world_size=ws)
        if spe is not None and intended.steps_per_epoch is None:
            intended = dataclasses.replace(intended, steps_per_epoch=spe)
        return intended

    @property
    def shared(self) -> IntendedSchedule | None:
        """The config given for every run, if any."""
        return self.given

    def for_run(self, run: str) -> Resolved:
        """The config ``run`` is compared with, how it was found, and notes on the search."""
        if run in self.pinned:
            path, intended = self.pinned[run]
            return intended, RunConfig(path, intended.format, "given"), ()
        if self.given is not None:
            return self.given, RunConfig(self.given_path, self.given.format, "given"), ()
        if not self.discover:
            return None, RunConfig(None, None, "none"), ()
        return self._discovered(run)

    def _discovered(self, run: str) -> Resolved:
        from lraudit.configs.discover import find_run_config
        from lraudit.reader import fs

        if fs.is_url(self.root):
            return self._discovered_url(run)
        root = Path(self.root)
        if not root.is_dir():
            root = root.parent
        run_dir = root if run == "." else root.joinpath(*run.split("/"))
        found = find_run_config(run_dir, root, self._levels)
        if found is None:
            return None, RunConfig(None, None, "none"), ()
        path = _as_given(found.path, self.root)
        try:
            intended = self.load(path, found.format or "auto")
        except ConfigError as exc:
            note = f"config found beside the run, {path}, could not be read ({exc}): not compared"
            return None, RunConfig(path, found.format, "none"), (note,)
        return intended, RunConfig(path, intended.format, "beside_run"), ()

    def _discovered_url(self, run: str) -> Resolved:
        """:meth:`_discovered` for a logdir URL (:mod:`lraudit.configs.remote`)."""
        from lraudit.configs.remote import find_url_run_config
        from lraudit.reader import fs

        root = self.root.rstrip("/")
        try:
            if fs.is_file(root):
                root = fs.parent(root)
            run_url = root if run == "." else fs.join(root, *run.split("/"))
            found = find_url_run_config(run_url, root, **self.units)
        except LrauditError as exc:  # the search itself failed (listing denied, ...)
            note = f"no config looked for beside the run ({exc})"
            return None, RunConfig(None, None, "none"), (note,)
        if found is None:
            return None, RunConfig(None, None, "none"), ()
        url, fmt, got = found
        key = f"{fmt}\0{url}"
        if key not in self._cache:
            self._cache[key] = got if isinstance(got, LrauditError) else self._with_units(got)
        intended = self._cache[key]
        if isinstance(intended, LrauditError):
            note = (
                f"config found beside the run, {url}, could not be read ({intended}): not compared"
            )
            return None, RunConfig(url, fmt, "none"), (note,)
        return intended, RunConfig(url, intended.format, "beside_run"), ()


def _as_given(found: str | os.PathLike[str], root: str) -> str:
    """``found`` as the user would write it: under the logdir as given (relative stays
    relative), else as found."""
    p = Path(found)
    try:
        rel = p.resolve().relative_to(Path(root).resolve())
    except (ValueError, OSError):
        return os.fspath(p)
    base = Path(root) if Path(root).is_dir() else Path(root).parent
    return os.fspath(base / rel) if Path(root).is_dir() else os.fspath(p)
