"""Write small TensorBoard event files without any ML framework (for tests and examples).

The records are framed exactly as TFRecord defines it (length, masked CRC32C of the length, data,
masked CRC32C of the data) and hold ``tensorboard``'s own ``Event`` protos, so every reader that
accepts TensorBoard logs accepts them. The fixtures under ``fixtures/`` that prove compatibility
with each real writer are produced by the real libraries (``fixtures/generate.py``); this module
is for synthesising many cases cheaply.

>>> import tempfile, lraudit
>>> d = tempfile.mkdtemp()
>>> _ = write_scalars(d, "learning_rate", [0, 1, 2], [0.1, 0.1, 0.05])
>>> [s.values.tolist() for s in lraudit.read_lr_series(d)]  # doctest: +SKIP
[[0.1, 0.1, 0.05]]
"""

from __future__ import annotations

import os
import struct
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import google_crc32c
import numpy as np

try:  # tensorboard's Event protos: a test dependency (the reader decodes the wire format itself)
    from tensorboard.compat.proto import event_pb2, tensor_pb2, types_pb2
except ImportError as _exc:  # pragma: no cover
    from lraudit._dist import pip_hint

    raise ImportError(
        f"lraudit.testing writes events with tensorboard, which is not installed; "
        f"run: {pip_hint('test')}"
    ) from _exc

_MASK_DELTA = 0xA282EAD8


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC32C: ``((crc >> 15) | (crc << 17)) + 0xa282ead8`` mod 2**32."""
    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def frame(data: bytes) -> bytes:
    """One TFRecord: the payload with its length and both checksums."""
    header = struct.pack("<Q", len(data))
    return (
        header
        + struct.pack("<I", masked_crc32c(header))
        + data
        + struct.pack("<I", masked_crc32c(data))
    )


def scalar_event(
    tag: str, step: int, value: float, wall_time: float, kind: str = "simple"
) -> event_pb2.Event:
    """An ``Event`` holding one scalar.

    ``kind``: ``simple`` (``simple_value``, as torch ``add_scalar``, tensorboardX, TF1),
    ``tensor`` (0-d DT_FLOAT tensor in ``float_val`` with plugin ``scalars``, as
    ``add_scalar(new_style=True)``), ``tensor_content`` (raw 4 bytes, as TF2's C++ writer),
    ``double`` (DT_DOUBLE in ``double_val``).
    """
    ev = event_pb2.Event(step=int(step), wall_time=float(wall_time))
    v = ev.summary.value.add(tag=tag)
    if kind == "simple":
        v.simple_value = float(value)
        return ev
    v.metadata.plugin_data.plugin_name = "scalars"
    if kind == "tensor":
        v.tensor.CopyFrom(tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[value]))
    elif kind == "tensor_content":
        v.tensor.CopyFrom(
            tensor_pb2.TensorProto(
                dtype=types_pb2.DT_FLOAT, tensor_content=np.float32(value).tobytes()
            )
        )
    elif kind == "double":
        v.tensor.CopyFrom(tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE, double_val=[value]))
    else:
        raise ValueError(f"kind={kind!r}; use simple, tensor, tensor_content or double")
    return ev


def write_events(path: str | os.PathLike[str], events: Iterable[event_pb2.Event]) -> Path:
    """Write a file version header then ``events`` to the event file ``path``."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    header = event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2")
    with open(p, "wb") as f:
        f.write(frame(header.SerializeToString()))
        for ev in events:
            f.write(frame(ev.SerializeToString()))
    return p


def write_scalars(
    logdir: str | os.PathLike[str],
    tag: str | Sequence[str],
    steps: Sequence[int] | np.ndarray,
    values: Sequence[float] | np.ndarray | Sequence[Sequence[float]],
    *,
    kind: str = "simple",
    wall_time0: float = 1.7e9,
    name: str = "events.out.tfevents.1700000000.host.1.0",
) -> Path:
    """Write one event file in ``logdir`` with the series ``values`` of ``tag`` at ``steps``.

    ``tag`` may be a list of tags, with ``values`` then a list of series (one per tag).
    Wall times increase by one second per step index.
    """
    tags = [tag] if isinstance(tag, str) else list(tag)
    series: list[Any] = [values] if isinstance(tag, str) else list(values)
    events = [
        scalar_event(t, int(s), float(v), wall_time0 + i, kind)
        for i, s in enumerate(steps)
        for t, vals in zip(tags, series, strict=True)
        for v in [vals[i]]
    ]
    return write_events(Path(logdir) / name, events)


def peak_rss_mb() -> float:
    """This process's own peak resident set size in MB.

    ``VmHWM`` from ``/proc/self/status`` where available: Linux carries a forking parent's
    peak over into the child's ``ru_maxrss`` (across exec), so ``ru_maxrss`` of a subprocess
    started by a big test runner reports the runner's size, not the subprocess's.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale
