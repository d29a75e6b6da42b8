"""Decode the scalar points of one event file.

Scalars come in two encodings (both are read):

* ``Summary.Value.simple_value`` (float32): torch ``add_scalar``, tensorboardX, TF1;
* a rank-0 ``tensor`` whose tag carries plugin ``scalars`` metadata: TF2 ``tf.summary.scalar``
  (value in ``tensor_content``), Keras, torch ``add_scalar(new_style=True)`` (``float_val``),
  DT_DOUBLE (``double_val``), DT_HALF and DT_BFLOAT16 (``half_val``, the 16 bits of the value).
  The metadata may be present only on the
  first value of a tag (TF1 strips it from later ones), so which tags are scalars is decided per
  run, from every file of the run (:attr:`FileData.plugins`).

Two decoders give identical results: :func:`decode_protobuf` (:func:`~lraudit.reader.wire.decode_event`, which follows the protobuf parser, on every
record; the reference) and the columnar decoder in :mod:`lraudit.reader.columnar` (numpy over
all records at once; the fast path), which hands records of unusual layout to the first.
Image, histogram, audio, graph and run-metadata payloads are never decoded by the fast path.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from lraudit.reader.framing import Framing
from lraudit.reader.wire import TensorFields, WireError, decode_event

DT_FLOAT, DT_DOUBLE, DT_BFLOAT16, DT_HALF = 1, 2, 14, 19


@dataclass
class TagPoints:
    """Points of one tag in one file, in record order. ``tensor``: came as tensor summaries."""

    steps: np.ndarray
    values: np.ndarray
    wall_times: np.ndarray
    tensor: bool = False


@dataclass
class FileData:
    """What one event file holds that the reader uses.

    ``points``: decoded points of the tags that were asked for (simple_value tags, and tensor
    tags that are 0-d floats; whether a tensor tag is a scalar is settled with ``plugins``).
    ``tags``: every scalar-candidate tag seen (simple_value or 0-d float tensor), decoded or
    not, with ``True`` for tensor ones. ``plugins``: tag -> plugin name from metadata seen.
    ``sessions``: ``(step, status)`` of SessionLog records (1 = START, 2 = STOP, 3 = CHECKPOINT).
    ``first`` / ``plugin_at``: record index where each tag / its plugin metadata was first seen.
    ``n_protobuf``: how many records were decoded with protobuf (the rest by the fast path).
    """

    path: str
    points: dict[str, TagPoints] = field(default_factory=dict)
    tags: dict[str, bool] = field(default_factory=dict)
    plugins: dict[str, str] = field(default_factory=dict)
    sessions: list[tuple[int, int]] = field(default_factory=list)
    first: dict[str, int] = field(default_factory=dict)
    plugin_at: dict[str, int] = field(default_factory=dict)
    n_protobuf: int = 0
    notes: list[str] = field(default_factory=list)
    n_records: int = 0
    #: why the file could not be read at all (None when it was read, even partly)
    unread: str | None = None
    #: file offset after the last complete good record (where a later read can resume)
    end_offset: int = 0


def tensor_scalar(t: TensorFields) -> float | None:
    """The value of a rank-0 float tensor (``TensorProto`` fields), or None if it is not one."""
    if t.ndim != 0:
        return None
    dtype, content = t.dtype, t.tensor_content
    if t.content_len > 16:
        return None
    if dtype == DT_FLOAT:
        if content:
            return float(np.frombuffer(content, "<f4", count=1)[0]) if len(content) == 4 else None
        vals = t.float_val
    elif dtype == DT_DOUBLE:
        if content:
            return float(np.frombuffer(content, "<f8", count=1)[0]) if len(content) == 8 else None
        vals = t.double_val
    elif dtype in (DT_HALF, DT_BFLOAT16):
        if content:
            if len(content) != 2:
                return None
            bits = int(np.frombuffer(content, "<u2", count=1)[0])
        else:
            if len(t.half_val) != 1:
                return None
            bits = t.half_val[0] & 0xFFFF  # half_val is int32 on the wire; the low 16 bits
        if dtype == DT_HALF:
            return float(np.array([bits], dtype=np.uint16).view(np.float16)[0])
        # bfloat16 is the upper half of a float32
        return float(np.array([bits << 16], dtype=np.uint32).view(np.float32)[0])
    else:
        return None
    if len(vals) != 1:
        return None
    # float_val is float32 on disk, widened exactly
    return float(vals[0])


class _Collector:
    """Accumulates points per tag in record order (lists; turned into arrays at the end)."""

    def __init__(self) -> None:
        self.cols: dict[str, tuple[list[int], list[float], list[float], bool]] = {}

    def add(self, tag: str, step: int, value: float, wall: float, tensor: bool) -> None:
        c = self.cols.get(tag)
        if c is None:
            c = self.cols[tag] = ([], [], [], tensor)
        c[0].append(step)
        c[1].append(value)
        c[2].append(wall)

    def into(self, fd: FileData) -> None:
        for tag, (s, v, w, tensor) in self.cols.items():
            fd.points[tag] = TagPoints(
                np.asarray(s, dtype=np.int64),
                np.asarray(v, dtype=np.float64),
                np.asarray(w, dtype=np.float64),
                tensor,
            )


def decode_records(
    buf: bytes,
    starts: np.ndarray,
    lengths: np.ndarray,
    want: Callable[[str], bool],
    fd: FileData,
    order: np.ndarray | None = None,
) -> list[tuple[int, str, int, float, float, bool]]:
    """Decode the given records one by one (:func:`lraudit.reader.wire.decode_event`); returns ``(order, tag, step, value, wall, tensor)``.

    ``order`` (default: the record index) keys each point so callers can merge these points
    with points decoded elsewhere back into record order. Updates ``fd.tags``, ``fd.plugins``
    and ``fd.sessions``.
    """
    out: list[tuple[int, str, int, float, float, bool]] = []
    keys = range(len(starts)) if order is None else order.tolist()
    for k, s, ln in zip(keys, starts.tolist(), lengths.tolist(), strict=True):
        try:
            ev = decode_event(buf, s, s + ln)
        except WireError as e:
            # CRC-valid bytes that are not an Event: skip the record, say where
            fd.notes.append(
                f"{os.path.basename(fd.path)}: record at byte {s - 12} is not a valid Event "
                f"({e}); skipped"
            )
            continue
        if ev.what == "summary":
            for v in ev.values:
                tag = v.tag
                if v.kind == "simple_value":
                    x: float | None = v.simple_value
                    tensor = False
                elif v.kind == "tensor" and v.tensor is not None:
                    x = tensor_scalar(v.tensor)
                    tensor = True
                else:
                    continue
                if x is None:
                    continue
                if tag not in fd.tags:
                    fd.tags[tag] = tensor
                    fd.first[tag] = k
                if tag not in fd.plugins and v.has_metadata and v.plugin_name:
                    fd.plugins[tag] = v.plugin_name
                    fd.plugin_at[tag] = k
                if want(tag):
                    out.append((k, tag, ev.step, x, ev.wall_time, tensor))
        elif ev.what == "session_log":
            fd.sessions.append((ev.step, ev.session_status))
    return out


def decode_protobuf(
    buf: bytes, framing: Framing, want: Callable[[str], bool], path: str
) -> FileData:
    """Decode every record of a framed file one by one (the reference decoder)."""
    fd = FileData(path=path, n_records=len(framing.starts), n_protobuf=len(framing.starts))
    col = _Collector()
    for _, tag, step, value, wall, tensor in decode_records(
        buf, framing.starts, framing.lengths, want, fd
    ):
        col.add(tag, step, value, wall, tensor)
    col.into(fd)
    return fd


def concat_filedata(path: str, parts: list[FileData], offsets: list[int]) -> FileData:
    """Join the results of decoding consecutive record windows of one file (in order).

    ``offsets[i]`` is the index of the first record of window ``i``.
    """
    fd = FileData(path=path)
    cols: dict[str, list[TagPoints]] = {}
    for part, off in zip(parts, offsets, strict=True):
        for tag, is_tensor in part.tags.items():
            if tag not in fd.tags:
                fd.tags[tag] = is_tensor
                fd.first[tag] = part.first[tag] + off
        for tag, name in part.plugins.items():
            if tag not in fd.plugins:
                fd.plugins[tag] = name
                fd.plugin_at[tag] = part.plugin_at[tag] + off
        for tag, tp in part.points.items():
            cols.setdefault(tag, []).append(tp)
        fd.sessions += part.sessions
        fd.notes += part.notes
        fd.n_records += part.n_records
        fd.n_protobuf += part.n_protobuf
    for tag, tps in cols.items():
        fd.points[tag] = TagPoints(
            np.concatenate([t.steps for t in tps]),
            np.concatenate([t.values for t in tps]),
            np.concatenate([t.wall_times for t in tps]),
            tps[0].tensor,
        )
    return fd
