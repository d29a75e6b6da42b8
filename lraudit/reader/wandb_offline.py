"""W&B run files (``wandb/offline-run-*/run-<id>.wandb``, ``wandb/run-*/run-<id>.wandb``): the
history a run logged, read with the wandb package's own record message (the optional extra
``wandb``).

The file is what the W&B client writes for every run, offline or not: a 7-byte header
(``:W&B``, magic ``0xBEE1``, version 0) and then a LevelDB-style log: 32 KiB blocks of records,
each a 7-byte header (CRC-32 of the type byte and the data, ``uint16`` length, type ``FULL``,
``FIRST``, ``MIDDLE`` or ``LAST``) and its data; a record that does not fit a block continues
in the next one. The data of a whole record is a ``wandb.proto.wandb_internal_pb2.Record``;
its ``history`` records are the rows of ``run.log``: items ``nested_key`` (joined with ``.``,
as W&B shows nested keys) -> ``value_json``, ``_step`` the step, ``_timestamp`` the wall time.
Every numeric item is a tag; other items (media, tables, histograms) are not. A damaged record
(CRC mismatch, bad type, cut file) ends the reading with a note, keeping the rows before it.
``LRSeries.source = "wandb_run"``.
"""

from __future__ import annotations

import importlib
import json
import math
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lraudit._dist import pip_hint
from lraudit.errors import LogReadError
from lraudit.reader import loggers

HEADER = b":W&B\xe1\xbe\x00"
BLOCK = 32768
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def _proto(path: Path) -> Any:
    try:
        return importlib.import_module("wandb.proto.wandb_internal_pb2")
    except ImportError:
        raise LogReadError(
            f"{path}: a W&B run file is read with the wandb package, which is not installed; "
            f"run: {pip_hint('wandb')}"
        ) from None


def records(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(offset, data) of each whole record after the file header; stops at the first damage
    (raises :class:`ValueError` naming the offset)."""
    pos = len(HEADER)
    parts: list[bytes] = []
    start = pos
    while pos < len(data):
        left = BLOCK - pos % BLOCK
        if left < 7:  # the rest of a block too short for a header is padding
            pos += left
            continue
        if pos + 7 > len(data):
            raise ValueError(f"cut record header at byte {pos}")
        crc, length, kind = struct.unpack_from("<IHB", data, pos)
        if kind == 0 and length == 0 and crc == 0:  # zero padding to the block end
            pos += left
            continue
        body = data[pos + 7 : pos + 7 + length]
        if len(body) < length or length > left - 7:
            raise ValueError(f"cut record at byte {pos}")
        if zlib.crc32(body, zlib.crc32(bytes([kind]))) & 0xFFFFFFFF != crc:
            raise ValueError(f"checksum mismatch at byte {pos}")
        if kind == FULL and not parts:
            yield pos, body
        elif kind == FIRST and not parts:
            start, parts = pos, [body]
        elif kind in (MIDDLE, LAST) and parts:
            parts.append(body)
            if kind == LAST:
                yield start, b"".join(parts)
                parts = []
        else:
            raise ValueError(f"record type {kind} out of order at byte {pos}")
        pos += 7 + length


def is_wandb_run_file(name: str) -> bool:
    return name.startswith("run-") and name.endswith(".wandb")


def read_wandb_run(path: Path) -> tuple[loggers.Columns, list[str]]:
    """Columns (tag -> steps, values, wall times) and notes of one W&B run file."""
    pb = _proto(path)
    loggers.check_size(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise LogReadError(f"{path}: cannot read ({e.strerror or e})") from e
    if not data.startswith(HEADER[:4]):
        raise LogReadError(f"{path}: not a W&B run file (no ':W&B' header)")
    if data[: len(HEADER)] != HEADER:
        raise LogReadError(f"{path}: a W&B run file of an unknown version ({data[4:7].hex()})")
    cols: loggers.Columns = {}
    notes: list[str] = []
    bad = loggers.Skipped(path.name)
    label = ""
    it = records(data)
    while True:
        try:
            off, body = next(it)
        except StopIteration:
            break
        except ValueError as e:
            notes.append(f"{path.name}: damaged ({e}); the records after it are not read")
            break
        rec = pb.Record()
        try:
            rec.ParseFromString(body)
        except Exception:  # protobuf's DecodeError
            bad.add(off, "not a W&B record", "record at byte")
            continue
        kind = rec.WhichOneof("record_type")
        if kind == "run" and not label:
            r = rec.run
            label = f"W&B run {r.display_name or r.run_id!r} (project {r.project!r})"
        elif kind == "history":
            _row(rec.history, cols, bad, off)
    if label:
        notes.insert(0, label)
    return cols, notes + bad.notes("record")


def _row(h: Any, cols: loggers.Columns, bad: loggers.Skipped, off: int) -> None:
    values: dict[str, float] = {}
    step: int | None = h.step.num if h.HasField("step") else None
    wall = math.nan
    for item in h.item:
        key = ".".join(item.nested_key) if item.nested_key else item.key
        try:
            v = json.loads(item.value_json)
        except ValueError:
            continue
        if key == "_step":
            step = loggers.step_of(v)
            if step is None:
                bad.add(off, f"_step {item.value_json[:40]!r} is not a whole number", "row at byte")
                return
        elif key == "_timestamp":
            wall = loggers.number(v) or math.nan
        elif not key.startswith("_"):
            x = loggers.number(v)
            if x is not None and not isinstance(v, str):
                values[key] = x
    if step is None:
        bad.add(off, "no step", "row at byte")
        return
    for k, x in values.items():
        c = cols.setdefault(k, ([], [], []))
        c[0].append(step)
        c[1].append(x)
        c[2].append(wall)


__all__ = ["is_wandb_run_file", "read_wandb_run", "records"]
