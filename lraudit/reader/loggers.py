"""Learning rates from other loggers' files: detectron2, Lightning CSVLogger, W&B, MLflow.

Each reader returns every numeric key as a tag (LR detection picks the LR ones later), keeps
every readable line, and records the lines it could not read as one note per file
(``"metrics.json: 2 malformed line(s) skipped (first: line 7, ...)"``). Points are merged as
event files are (:func:`lraudit.reader.merge.merge_tag`): in step order, the later write of a
step wins and the earlier one is kept in ``LRSeries.replaced``.

==================  ===================================================  =======================
writer              file and shape                                       ``LRSeries.source``
==================  ===================================================  =======================
detectron2          ``metrics.json`` (``JSONWriter``): one JSON object   ``detectron2_json``
                    per line, ``iteration`` + scalars (``lr``, losses);
                    evaluation lines carry only their metrics. No wall
                    time (``time`` is seconds per iteration).
Lightning           ``metrics.csv`` (``CSVLogger``): a ``step`` column,  ``lightning_csv``
                    usually ``epoch``, and one column per metric, each
                    row filling only the metrics logged at that step
                    (``lr-SGD``, ``lr-AdamW/pg1`` by
                    ``LearningRateMonitor``). No wall time.
W&B (UI export)     CSV ``Step,<run> - <key>,<run> - <key>__MIN,...``:   ``wandb_csv``
                    one column per run and key; ``__MIN``/``__MAX``
                    are the bucket bounds of a downsampled panel (noted
                    when they differ, not read as tags).
W&B (history)       CSV of ``run.history()``: ``_step``, keys, and       ``wandb_csv``
                    ``_timestamp`` (the wall time) / ``_runtime``.
MLflow file store   ``mlruns/<experiment id>/<run id>/metrics/<key>``    ``mlflow``
                    (a key with ``/`` is a sub-folder), lines
                    ``<timestamp ms> <value> <step>``; run name in
                    ``tags/mlflow.runName``.
==================  ===================================================  =======================

Budgets: a file above :func:`max_source_bytes` (256 MB, ``$LRAUDIT_MAX_SOURCE_BYTES``) is not
read (one clear error); files are read line by line, so memory grows with the points kept,
not the file; a line longer than :data:`MAX_LINE_CHARS` is skipped and noted. File-shape
detection reads at most :data:`SNIFF_BYTES` of a file.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from lraudit.errors import LogReadError

#: environment variable overriding :func:`max_source_bytes`
ENV_MAX_SOURCE_BYTES = "LRAUDIT_MAX_SOURCE_BYTES"
#: default largest text log source read (a 90k-iteration detectron2 metrics.json is ~5 MB)
MAX_SOURCE_BYTES = 256 * 1024 * 1024
#: a longer line (JSON object or CSV row) is skipped and noted
MAX_LINE_CHARS = 1_000_000
#: bytes read to recognise a file's shape
SNIFF_BYTES = 8192

#: tag -> (steps, values, wall times)
Columns = dict[str, tuple[list[int], list[float], list[float]]]


def max_source_bytes() -> int:
    """The size budget of one text source: ``$LRAUDIT_MAX_SOURCE_BYTES`` or 256 MB."""
    raw = os.environ.get(ENV_MAX_SOURCE_BYTES, "").strip()
    if raw:
        try:
            return int(float(raw))
        except (ValueError, OverflowError):
            raise LogReadError(
                f"{ENV_MAX_SOURCE_BYTES}={raw!r}: expected a number of bytes (e.g. 500000000)"
            ) from None
    return MAX_SOURCE_BYTES


def check_size(path: Path) -> None:
    """Raise one clear :class:`LogReadError` when ``path`` is above the size budget."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise LogReadError(f"{path}: cannot read ({e.strerror or e})") from e
    limit = max_source_bytes()
    if size > limit:
        raise LogReadError(
            f"{path}: {size / 1e6:.0f} MB, above the {limit / 1e6:.0f} MB budget for text log "
            f"sources; set {ENV_MAX_SOURCE_BYTES} to read it"
        )


def sniff(path: Path) -> str:
    """The first :data:`SNIFF_BYTES` of ``path`` as text ('' when unreadable)."""
    try:
        with open(path, "rb") as f:
            return f.read(SNIFF_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""


class Skipped:
    """Malformed lines of one file: a count and the first one, for a single note."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.n = 0
        self.first = ""

    def add(self, line_no: int, why: str, unit: str = "line") -> None:
        self.n += 1
        if not self.first:
            self.first = f"{unit} {line_no}: {why}"

    def notes(self, unit: str = "line") -> list[str]:
        if not self.n:
            return []
        return [f"{self.name}: {self.n} malformed {unit}(s) skipped (first: {self.first})"]


def _add(cols: Columns, tag: str, step: int, value: float, wall: float = math.nan) -> None:
    c = cols.setdefault(tag, ([], [], []))
    c[0].append(step)
    c[1].append(value)
    c[2].append(wall)


def _number(v: object) -> float | None:
    """A JSON/CSV scalar as float, None when it is not a number (bools are not numbers)."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        return float(v) if abs(v) < 2**1023 else math.copysign(math.inf, v)
    if isinstance(v, float):
        return v
    if isinstance(v, str):
        s = v.strip()
        if not s:
            return None
        try:
            return float(s)
        except ValueError:
            return None
    return None


def _step(v: object) -> int | None:
    x = _number(v)
    if x is None or not math.isfinite(x) or x != int(x) or abs(x) >= 2**63:
        return None
    return int(x)


#: public names of the two cell parsers, for the other text sources
number = _number
step_of = _step


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    check_size(path)
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            yield from enumerate(f, start=1)
    except OSError as e:
        raise LogReadError(f"{path}: cannot read ({e.strerror or e})") from e


# ---------------------------------------------------------------- detectron2 metrics.json


def looks_like_detectron2(head: str) -> bool:
    """First line is a JSON object with an ``iteration`` key (detectron2's JSONWriter)."""
    first = head.lstrip().split("\n", 1)[0]
    return first.startswith("{") and '"iteration"' in first


def read_detectron2(path: Path) -> tuple[Columns, list[str]]:
    """Columns of a detectron2 ``metrics.json`` and notes (see the module docstring)."""
    cols: Columns = {}
    bad = Skipped(path.name)
    n_ok = 0
    for no, line in _lines(path):
        if not line.strip():
            continue
        if len(line) > MAX_LINE_CHARS:
            bad.add(no, f"longer than {MAX_LINE_CHARS} characters")
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            bad.add(no, f"not JSON ({e})")
            continue
        if not isinstance(obj, dict):
            bad.add(no, "not a JSON object")
            continue
        step = _step(obj.get("iteration"))
        if step is None:
            bad.add(no, "no integer 'iteration'")
            continue
        n_ok += 1
        for k, v in obj.items():
            x = _number(v) if not isinstance(v, str) else None
            if k != "iteration" and x is not None:
                _add(cols, k, step, x)
    if n_ok == 0:
        why = f" ({bad.first})" if bad.first else " (empty)"
        raise LogReadError(
            f"{path}: not a detectron2 metrics.json: no line is a JSON object with 'iteration'{why}"
        )
    return cols, bad.notes()


# ---------------------------------------------------------------- CSV (Lightning, W&B)


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str] | None]]:
    """(line number, cells) per CSV row; cells None for an over-long row."""
    for no, line in _lines(path):
        if len(line) > MAX_LINE_CHARS:
            yield no, None
            continue
        try:
            row = next(csv.reader(io.StringIO(line)), [])
        except csv.Error:
            yield no, None
            continue
        yield no, row


def csv_header(head: str) -> list[str]:
    """The header cells of a CSV from its first bytes ([] when there is none)."""
    first = head.split("\n", 1)[0].strip("\r\ufeff")
    try:
        return [c.strip() for c in next(csv.reader([first]), [])]
    except csv.Error:
        return []


def csv_kind(header: Iterable[str]) -> str | None:
    """Which writer a CSV header comes from: ``tensorboard``, ``wandb``, ``lightning`` or None."""
    cols = [c.strip() for c in header]
    low = {c.lower().replace(" ", "_") for c in cols}
    if {"step", "value"} <= low and ("wall_time" in low or "tag" in low):
        return "tensorboard"
    if "_step" in cols or any(" - " in c for c in cols[1:]):
        return "wandb"
    if "step" in cols:
        return "lightning"
    return None


def _read_csv_table(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str] | None]]]:
    rows = _csv_rows(path)
    for _no, row in rows:
        if row:
            return [c.strip().lstrip("\ufeff") for c in row], rows
    raise LogReadError(f"{path}: empty CSV (no header row)")


def read_lightning_csv(path: Path) -> tuple[Columns, list[str]]:
    """Columns of a Lightning ``metrics.csv``: every cell that holds a number, at its row's step."""
    header, rows = _read_csv_table(path)
    if "step" not in header:
        raise LogReadError(
            f"{path}: not a Lightning metrics.csv (no 'step' column; columns: "
            f"{', '.join(header[:10])})"
        )
    si = header.index("step")
    cols: Columns = {}
    bad = Skipped(path.name)
    for no, row in rows:
        if row is None or len(row) != len(header):
            if row != []:
                bad.add(no, "wrong number of cells" if row is not None else "unreadable row")
            continue
        step = _step(row[si])
        if step is None:
            bad.add(no, f"step {row[si]!r} is not an integer")
            continue
        for name, cell in zip(header, row, strict=True):
            if name in ("step", "epoch") or not cell.strip():
                continue
            x = _number(cell)
            if x is None:
                bad.add(no, f"{name} = {cell!r} is not a number")
                continue
            _add(cols, name, step, x)
    return cols, bad.notes()


def read_wandb_csv(path: Path) -> tuple[dict[str, Columns], list[str]]:
    """Run name -> columns of a W&B CSV export (UI panel export or ``run.history()``).

    The UI export's first column is the x axis (``Step``, or the custom x axis the panel used);
    ``<run> - <key>`` columns are split at the last ``" - "``. The history export is one run,
    named ``"."``; its ``_timestamp`` column gives the wall times.
    """
    header, rows = _read_csv_table(path)
    history = "_step" in header
    if history:
        xi = header.index("_step")
        ti = header.index("_timestamp") if "_timestamp" in header else None
        keys = {
            i: (".", h)
            for i, h in enumerate(header)
            if h and not h.startswith("_") and not h.startswith("Unnamed")
        }
    else:
        xi, ti = 0, None
        keys = {}
        for i, h in enumerate(header[1:], start=1):
            run, sep, key = h.rpartition(" - ")
            if sep and not key.endswith(("__MIN", "__MAX")):
                keys[i] = (run, key)
    if not keys:
        raise LogReadError(
            f"{path}: a W&B CSV export without metric columns (expected 'Step,<run> - <key>' "
            f"or '_step,<key>,...'; columns: {', '.join(header[:10])})"
        )
    bounds = {
        i: (header.index(header[i] + "__MIN"), header.index(header[i] + "__MAX"))
        for i in keys
        if header[i] + "__MIN" in header and header[i] + "__MAX" in header
    }
    out: dict[str, Columns] = {}
    bad = Skipped(path.name)
    bucketed: set[str] = set()
    for no, row in rows:
        if row is None or len(row) != len(header):
            if row != []:
                bad.add(no, "wrong number of cells" if row is not None else "unreadable row")
            continue
        step = _step(row[xi])
        if step is None:
            bad.add(no, f"{header[xi]} {row[xi]!r} is not an integer")
            continue
        wall = _number(row[ti]) if ti is not None else None
        for i, (run, key) in keys.items():
            cell = row[i]
            if not cell.strip():
                continue
            x = _number(cell)
            if x is None:
                bad.add(no, f"{header[i]} = {cell!r} is not a number")
                continue
            _add(out.setdefault(run, {}), key, step, x, math.nan if wall is None else wall)
            if i in bounds:
                lo, hi = (_number(row[j]) for j in bounds[i])
                if lo is not None and hi is not None and lo != hi:
                    bucketed.add(header[i])
    notes = bad.notes()
    if header[xi] not in ("Step", "_step"):
        notes.append(f"{path.name}: x axis is the column {header[xi]!r}, read as the step")
    for h in sorted(bucketed):
        notes.append(
            f"{path.name}: {h!r} was downsampled by the W&B panel (its __MIN and __MAX differ); "
            f"export the full history (run.history() or the API) for every point"
        )
    return out, notes


# ---------------------------------------------------------------- MLflow file store


def is_mlflow_run(d: Path) -> bool:
    """A folder of an MLflow file store that holds one run (``meta.yaml`` + ``metrics/``)."""
    return (d / "meta.yaml").is_file() and (d / "metrics").is_dir()


def _meta(path: Path) -> dict[str, str]:
    """The flat ``key: value`` lines of an MLflow ``meta.yaml`` (no YAML library needed)."""
    out: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")[:SNIFF_BYTES]
    except OSError:
        return out
    for line in text.splitlines():
        k, sep, v = line.partition(":")
        if sep and not line.startswith((" ", "-")):
            out[k.strip()] = v.strip().strip("'\"")
    return out


def mlflow_deleted(d: Path) -> bool:
    return _meta(d / "meta.yaml").get("lifecycle_stage") == "deleted"


def read_mlflow_run(d: Path) -> tuple[Columns, list[str]]:
    """Columns of one MLflow file-store run folder (every metric file under ``metrics/``)."""
    cols: Columns = {}
    notes: list[str] = []
    mdir = d / "metrics"
    files = sorted(p for p in mdir.rglob("*") if p.is_file())
    for p in files:
        key = p.relative_to(mdir).as_posix()
        bad = Skipped(f"metrics/{key}")
        for no, line in _lines(p):
            parts = line.split()
            if not parts:
                continue
            if len(parts) < 2 or len(line) > MAX_LINE_CHARS:
                bad.add(no, "expected '<timestamp> <value> <step>'")
                continue
            ts, val = _number(parts[0]), _number(parts[1])
            step = _step(parts[2]) if len(parts) > 2 else 0  # MLflow < 1.0 wrote no step
            if ts is None or val is None or step is None:
                bad.add(no, "expected '<timestamp> <value> <step>'")
                continue
            _add(cols, key, step, val, ts / 1000.0)
        notes += bad.notes()
    name = _tag(d / "tags" / "mlflow.runName") or _meta(d / "meta.yaml").get("run_name")
    exp = _meta(d.parent / "meta.yaml").get("name")
    if name or exp:
        notes.insert(0, f"MLflow run {name or d.name!r} in experiment {exp or d.parent.name!r}")
    return cols, notes


def _tag(p: Path) -> str | None:
    try:
        return p.read_text(encoding="utf-8", errors="replace")[:1000].strip() or None
    except OSError:
        return None
