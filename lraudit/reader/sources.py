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
* Other loggers (:mod:`lraudit.reader.loggers`): detectron2 ``metrics.json``, Lightning
  ``metrics.csv``, W&B CSV exports, MLflow file-store runs; W&B run files ``run-<id>.wandb``
  (:mod:`lraudit.reader.wandb_offline`, with the wandb package).

:func:`find_sources` walks a logdir without event files and recognises each file by its name
and first bytes; :func:`read_beside` is the fallback for a run folder whose event files hold no
LR tag (the event files are the primary source).
"""

from __future__ import annotations

import csv
import fnmatch
import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from lraudit.errors import LogReadError
from lraudit.reader import loggers, wandb_offline
from lraudit.reader.decode import FileData, TagPoints
from lraudit.reader.merge import merge_tag
from lraudit.reader.tags import select_tags
from lraudit.types import LRSeries

_EXPORT_NAME = re.compile(r"run[-_](?P<run>.*?)[-_]tag[-_](?P<tag>.+)$")
_CKPT = re.compile(r"checkpoint-(\d+)$")


@dataclass(frozen=True)
class Found:
    """A log source found in a directory: the ``run`` it gives (a multi-run file such as a W&B
    export: the prefix of its runs), the writer ``kind`` and the ``path`` (file or run folder)."""

    run: str
    kind: str
    path: Path


#: entries of one directory looked at by :func:`sources_in`
MAX_LISTING = 2000
#: directories walked by :func:`find_sources` at most (a logdir that is a dataset tree)
MAX_SOURCE_DIRS = 100_000


def _kind_of_file(p: Path) -> str | None:
    """The writer of a file found while walking a logdir, from its name and first bytes."""
    name = p.name.lower()
    if name == "trainer_state.json":
        return "trainer_state"
    if wandb_offline.is_wandb_run_file(p.name):
        return "wandb_run"
    if name == "metrics.json":
        return "detectron2" if loggers.looks_like_detectron2(loggers.sniff(p)) else None
    if name.endswith(".csv"):
        kind = loggers.csv_kind(loggers.csv_header(loggers.sniff(p)))
        if kind == "lightning" and name != "metrics.csv":
            return None  # a wide CSV with a step column is Lightning's only under its name
        return kind
    return None


#: the public name of the writer detection, for :mod:`lraudit.reader.remote_sources`
kind_of_file = _kind_of_file


def find_sources(root: Path) -> list[Found]:
    """Every non-event log source under ``root`` (a directory without event files), by run.

    ``trainer_state.json``: in ``checkpoint-N`` directories only the highest N (it holds the
    whole history), the run being the directory above. detectron2 ``metrics.json``, Lightning
    ``metrics.csv``, W&B and TensorBoard CSV exports: recognised by name and first bytes, the run
    being their directory. MLflow: every run folder of a file store (deleted runs skipped).
    """
    best: dict[str, tuple[int, Path]] = {}
    found: list[Found] = []
    seen: set[str] = set()
    for n_dirs, (dirpath, dirnames, filenames) in enumerate(os.walk(root, followlinks=True)):
        real = os.path.realpath(dirpath)
        if real in seen or n_dirs >= MAX_SOURCE_DIRS:
            dirnames[:] = []
            continue
        seen.add(real)
        # real folders before links to them (wandb's latest-run): a run keeps its own name
        dirnames.sort(key=lambda n: (os.path.islink(os.path.join(dirpath, n)), n))
        d = Path(dirpath)
        rel = os.path.relpath(d, root)
        run = "." if rel == "." else Path(rel).as_posix()
        if loggers.is_mlflow_run(d):
            dirnames[:] = []  # metrics/, params/, tags/, artifacts/ are the run's own
            if not loggers.mlflow_deleted(d):
                found.append(Found(run, "mlflow", d))
            continue
        here = [(f, k) for f in sorted(filenames) if (k := _kind_of_file(d / f))]
        for f, kind in here:
            if kind == "trainer_state":
                m = _CKPT.match(d.name)
                rank = int(m.group(1)) if m else 1 << 62
                rd = d.parent if m else d
                rel_rd = os.path.relpath(rd, root)
                r = "." if rel_rd == "." else Path(rel_rd).as_posix()
                if r not in best or rank > best[r][0]:
                    best[r] = (rank, d / f)
            else:
                # several single-run sources in one folder: each its own run, named by the file
                single = [x for x, k in here if k in ("detectron2", "lightning")]
                alone = kind in ("tensorboard", "wandb", "wandb_run") or len(single) == 1
                found.append(Found(run if alone else _joined(run, f), kind, d / f))
    found += [Found(r, "trainer_state", p) for r, (_, p) in best.items()]
    return sorted(found, key=lambda f: (f.run, f.path))


def sources_in(d: Path) -> list[Found]:
    """The log sources directly in ``d`` (not below it), as runs named ``"."``: what a run
    folder whose event files hold no LR tag can be read from instead."""
    try:
        names = sorted(os.listdir(d))[:MAX_LISTING]
    except OSError:
        return []
    return [
        Found(".", k, d / f) for f in names if (k := _kind_of_file(d / f)) and (d / f).is_file()
    ]


def _series_from_columns(
    run: str,
    file: str,
    cols: dict[str, tuple[list[int], list[float], list[float]]],
    wanted: str | Sequence[str] | None,
    source: str,
    notes: Sequence[str] = (),
) -> list[LRSeries]:
    fd = FileData(path=file)
    for tag, (s, v, w) in cols.items():
        fd.points[tag] = TagPoints(
            np.asarray(s, dtype=np.int64),
            np.asarray(v, dtype=np.float64),
            np.asarray(w, dtype=np.float64),
        )
    return [merge_tag(run, t, [file], [fd], notes, source) for t in select_tags(cols, wanted)]


def read_trainer_state(path: Path, run: str, wanted: str | Sequence[str] | None) -> list[LRSeries]:
    """Series from a Hugging Face ``trainer_state.json`` (see the module docstring).

    An entry whose ``step`` is not a whole number within int64 (``"abc"``, ``1e400``,
    ``2**70``) is skipped, and the skipped entries are one note; a ``log_history`` that is not
    a list is one :class:`LogReadError` naming the file.
    """
    loggers.check_size(path)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        history = state["log_history"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise LogReadError(f"{path}: not a readable trainer_state.json ({e!r})") from e
    if not isinstance(history, list):
        raise LogReadError(
            f"{path}: not a readable trainer_state.json (log_history is a "
            f"{type(history).__name__}, expected a list of entries)"
        )
    cols: dict[str, tuple[list[int], list[float], list[float]]] = {}
    bad = loggers.Skipped(path.name)
    for i, entry in enumerate(history):
        if not isinstance(entry, dict) or "step" not in entry:
            continue
        step = loggers.step_of(entry["step"])
        if step is None:
            bad.add(i + 1, f"step {str(entry['step'])[:40]!r} is not a whole number", "entry")
            continue
        for k, v in entry.items():
            if k in ("step", "epoch") or isinstance(v, bool) or not isinstance(v, (int, float)):
                continue
            c = cols.setdefault(k, ([], [], []))
            c[0].append(step)
            c[1].append(float(v) if isinstance(v, float) or abs(v) < 2**1023 else math.inf)
            c[2].append(math.nan)
    if bad.n and not cols:
        raise LogReadError(f"{path}: no readable log_history entry ({bad.first})")
    return _series_from_columns(
        run, os.fspath(path), cols, wanted, "trainer_state", bad.notes("entry")
    )


def _lower_keys(row: dict[str, str]) -> dict[str, str]:
    return {k.strip().lower().replace(" ", "_"): v for k, v in row.items() if k is not None}


def read_export(path: Path, wanted: str | Sequence[str] | None, run: str | None) -> list[LRSeries]:
    """Series from a TensorBoard CSV or JSON scalar export (see the module docstring)."""
    m = _EXPORT_NAME.match(path.stem)
    run_name = m.group("run") if m else "."
    tag0 = m.group("tag") if m else path.stem
    by_run: dict[str, dict[str, tuple[list[int], list[float], list[float]]]] = {}
    bad = loggers.Skipped(path.name)
    loggers.check_size(path)
    try:
        if path.suffix.lower() == ".json":
            source = "json"
            rows = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(rows, list):
                raise TypeError(f"a JSON {type(rows).__name__}, not a list of rows")
            c = by_run.setdefault(run_name, {}).setdefault(tag0, ([], [], []))
            for i, item in enumerate(rows, start=1):
                got = _export_row(item)
                if isinstance(got, str):
                    bad.add(i, got, "row")
                    continue
                c[0].append(got[1])
                c[1].append(got[2])
                c[2].append(got[0])
        else:
            source = "csv"
            with open(path, newline="", encoding="utf-8") as f:
                for no, raw in enumerate(csv.DictReader(f), start=2):
                    row = _lower_keys(raw)
                    step = loggers.step_of(row["step"])
                    value = loggers.number(row["value"])
                    wall = loggers.number(row.get("wall_time") or "nan")
                    if step is None or value is None or wall is None:
                        what = "step" if step is None else "value" if value is None else "wall time"
                        cell = str(row.get(what.replace(" ", "_")))[:40]
                        kind = "a whole number" if step is None else "a number"
                        bad.add(no, f"{what} {cell!r} is not {kind}")
                        continue
                    r = row.get("run") or row.get("dir_name") or run_name
                    t = row.get("tag") or tag0
                    c = by_run.setdefault(r or ".", {}).setdefault(t, ([], [], []))
                    c[0].append(step)
                    c[1].append(value)
                    c[2].append(wall)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise LogReadError(
            f"{path}: not a TensorBoard scalar export (expected Wall time,Step,Value) ({e!r})"
        ) from e
    if bad.n and not any(c[0] for cols in by_run.values() for c in cols.values()):
        raise LogReadError(
            f"{path}: not a TensorBoard scalar export: no readable row ({bad.first})"
        )
    out: list[LRSeries] = []
    for r, cols in sorted(by_run.items()):
        if run is None or _glob_match(r, run):
            out += _series_from_columns(r, os.fspath(path), cols, wanted, source, bad.notes("row"))
    return out


def _export_row(item: object) -> tuple[float, int, float] | str:
    """(wall time, step, value) of one ``[wall_time, step, value]`` row, or why not."""
    if not isinstance(item, list) or len(item) != 3:
        return "expected [wall_time, step, value]"
    wall, step, value = loggers.number(item[0]), loggers.step_of(item[1]), loggers.number(item[2])
    if step is None:
        return f"step {str(item[1])[:40]!r} is not a whole number"
    if wall is None or value is None:
        return "wall time and value must be numbers"
    return wall, step, value


def _glob_match(name: str, pattern: str) -> bool:
    """The run selection of event files: the whole name, or (a pattern without ``/``) its last
    directory name."""
    if name == pattern or fnmatch.fnmatchcase(name, pattern):
        return True
    return "/" not in pattern and fnmatch.fnmatchcase(name.rsplit("/", 1)[-1], pattern)


def _select(
    everything: list[LRSeries], wanted: str | Sequence[str] | None
) -> tuple[list[LRSeries], list[str]]:
    tags = sorted({s.tag for s in everything})
    keep = set(select_tags(tags, wanted))
    return [s for s in everything if s.tag in keep], tags


_SOURCE_NAMES = {
    "detectron2": "detectron2_json",
    "lightning": "lightning_csv",
    "wandb": "wandb_csv",
    "mlflow": "mlflow",
    "wandb_run": "wandb_run",
}
_CSV_FORMS = (
    "TensorBoard 'Wall time,Step,Value', Lightning metrics.csv 'step,epoch,<metric>,...', "
    "W&B 'Step,<run> - <key>,...' or '_step,<key>,...'"
)


def _joined(prefix: str, inner: str) -> str:
    if prefix == ".":
        return inner
    return prefix if inner == "." else f"{prefix}/{inner}"


def read_found(f: Found) -> list[LRSeries]:
    """Every scalar series of one source :func:`find_sources` found (all tags)."""
    file = os.fspath(f.path)
    if f.kind == "trainer_state":
        return read_trainer_state(f.path, f.run, "*")
    if f.kind == "tensorboard":
        return [replace(s, run=_joined(f.run, s.run)) for s in read_export(f.path, "*", None)]
    source = _SOURCE_NAMES[f.kind]
    if f.kind == "wandb":
        by_run, notes = loggers.read_wandb_csv(f.path)
        return [
            s
            for r, cols in sorted(by_run.items())
            for s in _series_from_columns(_joined(f.run, r), file, cols, "*", source, notes)
        ]
    if f.kind == "detectron2":
        cols, notes = loggers.read_detectron2(f.path)
    elif f.kind == "lightning":
        cols, notes = loggers.read_lightning_csv(f.path)
    elif f.kind == "wandb_run":
        cols, notes = wandb_offline.read_wandb_run(f.path)
    else:
        cols, notes = loggers.read_mlflow_run(f.path)
    return _series_from_columns(f.run, file, cols, "*", source, notes)


def _file_kind(path: Path) -> str:
    """The writer of a file given as the path (a name need not be the writer's own)."""
    name = path.name.lower()
    if name.endswith(".wandb"):
        return "wandb_run"
    if name.endswith(".json"):
        if loggers.looks_like_detectron2(loggers.sniff(path)):
            return "detectron2"
        return "json"
    if name.endswith(".csv"):
        header = loggers.csv_header(loggers.sniff(path))
        kind = loggers.csv_kind(header)
        if kind is None:
            cols = ", ".join(header[:8]) + (", ..." if len(header) > 8 else "")
            raise LogReadError(
                f"{path}: a CSV with columns {cols or '(none)'} is not a known learning-rate "
                f"export (expected {_CSV_FORMS})"
            )
        return kind
    raise LogReadError(
        f"{path}: not an event file (name without 'tfevents'), trainer_state.json, detectron2 "
        f"metrics.json, or a CSV/JSON export (TensorBoard, Lightning, W&B); pass the log "
        f"directory instead"
    )


def read_source(
    path: Path, wanted: str | Sequence[str] | None, run: str | None
) -> tuple[list[LRSeries], list[str]]:
    """Series selected by ``wanted`` and every tag, from one non-event file given as the path."""
    kind = _file_kind(path)
    if kind == "json":
        loggers.check_size(path)
        try:
            head = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise LogReadError(f"{path}: not valid JSON ({e})") from e
        if isinstance(head, dict) and "log_history" in head:  # a (renamed) trainer state
            if run is not None and not _glob_match(".", run):
                return [], []
            return _select(read_trainer_state(path, ".", "*"), wanted)
        return _select(read_export(path, "*", run), wanted)
    series = read_found(Found(".", kind, path))
    return _select([s for s in series if run is None or _glob_match(s.run, run)], wanted)


def read_sources(
    found: Sequence[Found], wanted: str | Sequence[str] | None, run: str | None
) -> tuple[list[LRSeries], list[str]]:
    """Series from the sources :func:`find_sources` found, selected by ``wanted`` and ``run``."""
    out: list[LRSeries] = []
    tags: set[str] = set()
    for f in found:
        series = [s for s in read_found(f) if run is None or _glob_match(s.run, run)]
        sel, found_tags = _select(series, wanted)
        out += sel
        tags.update(found_tags)
    out.sort(key=lambda s: (s.run, s.tag))
    return out, sorted(tags)


def read_beside(d: Path, run: str, wanted: str | Sequence[str] | None) -> list[LRSeries]:
    """The series a run folder's other log files give when its event files hold no tag that
    ``wanted`` selects (detectron2 writes ``metrics.json`` beside its event file, a Lightning
    run may have both loggers). The event files are the primary source; this is the fallback,
    and each series says so in a note. Files that cannot be read give nothing here (the
    run is then reported as the event files left it)."""
    out: list[LRSeries] = []
    for f in sources_in(d):
        try:
            series = read_found(replace(f, run=run))
        except LogReadError:
            continue
        why = f"no selected tag in the event files of this run; read from {f.path.name}"
        out += [replace(s, notes=(why, *s.notes)) for s in _select(series, wanted)[0]]
    return out
