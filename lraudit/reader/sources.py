"""Learning-rate sources other than event files.

* Hugging Face ``trainer_state.json``: ``log_history[*]`` entries with a ``step``; every numeric
  key is a tag (``learning_rate`` is the LR). A directory without event files is searched for
  ``trainer_state.json``; in ``checkpoint-N`` directories only the highest N is read (it holds
  the whole history) and the run is the directory above it. ``source = "trainer_state"``;
  wall times are unknown (NaN).
* TensorBoard's scalar export, CSV (``Wall time,Step,Value``, as the UI downloads it; the tag
  and run come from the file name ``run-<run>-tag-<tag>.csv`` when it has that form, otherwise
  the tag is the file stem) or JSON (``[[wall_time, step, value], ...]``); a CSV with a ``tag``
  column (and optionally ``run``/``dir_name``), as tbparse writes, is read as several tags.
  ``source = "csv"`` / ``"json"``.
"""

from __future__ import annotations

import csv
import fnmatch
import json
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lraudit.errors import LogReadError
from lraudit.reader.decode import FileData, TagPoints
from lraudit.reader.merge import merge_tag
from lraudit.reader.tags import select_tags
from lraudit.types import LRSeries

_EXPORT_NAME = re.compile(r"run[-_](?P<run>.*?)[-_]tag[-_](?P<tag>.+)$")
_CKPT = re.compile(r"checkpoint-(\d+)$")


def find_sources(root: Path) -> dict[str, Path]:
    """Run name -> ``trainer_state.json`` under ``root`` (no event files there)."""
    best: dict[str, tuple[int, Path]] = {}
    for p in sorted(root.rglob("trainer_state.json")):
        d = p.parent
        m = _CKPT.match(d.name)
        rank = int(m.group(1)) if m else 1 << 62
        rd = d.parent if m else d
        rel = os.path.relpath(rd, root)
        run = "." if rel == "." else Path(rel).as_posix()
        if run not in best or rank > best[run][0]:
            best[run] = (rank, p)
    return {r: p for r, (_, p) in sorted(best.items())}


def _series_from_columns(
    run: str,
    file: str,
    cols: dict[str, tuple[list[int], list[float], list[float]]],
    wanted: str | Sequence[str] | None,
    source: str,
) -> list[LRSeries]:
    fd = FileData(path=file)
    for tag, (s, v, w) in cols.items():
        fd.points[tag] = TagPoints(
            np.asarray(s, dtype=np.int64),
            np.asarray(v, dtype=np.float64),
            np.asarray(w, dtype=np.float64),
        )
    return [merge_tag(run, t, [file], [fd], (), source) for t in select_tags(cols, wanted)]


def read_trainer_state(path: Path, run: str, wanted: str | Sequence[str] | None) -> list[LRSeries]:
    """Series from a Hugging Face ``trainer_state.json`` (see the module docstring)."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        history = state["log_history"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise LogReadError(f"{path}: not a readable trainer_state.json ({e})") from e
    cols: dict[str, tuple[list[int], list[float], list[float]]] = {}
    for entry in history:
        if not isinstance(entry, dict) or "step" not in entry:
            continue
        step = int(entry["step"])
        for k, v in entry.items():
            if k in ("step", "epoch") or isinstance(v, bool) or not isinstance(v, (int, float)):
                continue
            c = cols.setdefault(k, ([], [], []))
            c[0].append(step)
            c[1].append(float(v))
            c[2].append(math.nan)
    return _series_from_columns(run, os.fspath(path), cols, wanted, "trainer_state")


def _lower_keys(row: dict[str, str]) -> dict[str, str]:
    return {k.strip().lower().replace(" ", "_"): v for k, v in row.items() if k is not None}


def read_export(path: Path, wanted: str | Sequence[str] | None, run: str | None) -> list[LRSeries]:
    """Series from a TensorBoard CSV or JSON scalar export (see the module docstring)."""
    m = _EXPORT_NAME.match(path.stem)
    run_name = m.group("run") if m else "."
    tag0 = m.group("tag") if m else path.stem
    by_run: dict[str, dict[str, tuple[list[int], list[float], list[float]]]] = {}
    try:
        if path.suffix.lower() == ".json":
            source = "json"
            rows = json.loads(path.read_text(encoding="utf-8"))
            c = by_run.setdefault(run_name, {}).setdefault(tag0, ([], [], []))
            for wall, step, value in rows:
                c[0].append(int(step))
                c[1].append(float(value))
                c[2].append(float(wall))
        else:
            source = "csv"
            with open(path, newline="", encoding="utf-8") as f:
                for raw in csv.DictReader(f):
                    row = _lower_keys(raw)
                    r = row.get("run") or row.get("dir_name") or run_name
                    t = row.get("tag") or tag0
                    c = by_run.setdefault(r or ".", {}).setdefault(t, ([], [], []))
                    c[0].append(int(float(row["step"])))
                    c[1].append(float(row["value"]))
                    c[2].append(float(row.get("wall_time") or "nan"))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise LogReadError(
            f"{path}: not a TensorBoard scalar export (expected Wall time,Step,Value) ({e!r})"
        ) from e
    out: list[LRSeries] = []
    for r, cols in sorted(by_run.items()):
        if run is None or _glob_match(r, run):
            out += _series_from_columns(r, os.fspath(path), cols, wanted, source)
    return out


def _glob_match(name: str, pattern: str) -> bool:
    return name == pattern or fnmatch.fnmatchcase(name, pattern)


def _select(
    everything: list[LRSeries], wanted: str | Sequence[str] | None
) -> tuple[list[LRSeries], list[str]]:
    tags = sorted({s.tag for s in everything})
    keep = set(select_tags(tags, wanted))
    return [s for s in everything if s.tag in keep], tags


def read_source(
    path: Path, wanted: str | Sequence[str] | None, run: str | None
) -> tuple[list[LRSeries], list[str]]:
    """Series selected by ``wanted`` and every tag, from one non-event file given as the path."""
    name = path.name.lower()
    if name.endswith(".json"):
        try:
            head = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise LogReadError(f"{path}: not valid JSON ({e})") from e
        if isinstance(head, dict) and "log_history" in head:  # a (renamed) trainer state
            if run is not None and not _glob_match(".", run):
                return [], []
            return _select(read_trainer_state(path, ".", "*"), wanted)
        return _select(read_export(path, "*", run), wanted)
    if name.endswith(".csv"):
        return _select(read_export(path, "*", run), wanted)
    raise LogReadError(
        f"{path}: not an event file (name without 'tfevents'), trainer_state.json or "
        f"TensorBoard CSV/JSON export; pass the log directory instead"
    )


def read_sources(
    root: Path, found: dict[str, Path], wanted: str | Sequence[str] | None, run: str | None
) -> tuple[list[LRSeries], list[str]]:
    """Series from the ``trainer_state.json`` files :func:`find_sources` found under ``root``."""
    out: list[LRSeries] = []
    tags: set[str] = set()
    for r, p in found.items():
        if run is not None and not _glob_match(r, run):
            continue
        sel, found_tags = _select(read_trainer_state(p, r, "*"), wanted)
        out += sel
        tags.update(found_tags)
    return out, sorted(tags)
