"""The protobuf runtime as an oracle for :mod:`lraudit.reader.wire` (needs ``tensorboard``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lraudit.reader import wire
from lraudit.reader.decode import tensor_scalar


def _summary(ev: Any) -> list[tuple[Any, ...]]:
    out = []
    for v in ev.summary.value:
        kind = v.WhichOneof("value")
        x = None
        if kind == "simple_value":
            x = float(np.float32(v.simple_value))
        elif kind == "tensor":
            t = v.tensor
            x = tensor_scalar(
                wire.TensorFields(
                    dtype=t.dtype,
                    ndim=len(t.tensor_shape.dim),
                    tensor_content=t.tensor_content if len(t.tensor_content) <= 16 else b"",
                    content_len=len(t.tensor_content),
                    float_val=list(t.float_val),
                    double_val=list(t.double_val),
                    half_val=[h & 0xFFFFFFFF for h in t.half_val],
                )
            )
        name = v.metadata.plugin_data.plugin_name if v.HasField("metadata") else None
        out.append((v.tag, kind, x, name))
    return out


def by_protobuf(data: bytes) -> tuple[Any, ...] | None:
    """What the protobuf runtime reads from one record, or None when it rejects it."""
    from google.protobuf.message import DecodeError
    from tensorboard.compat.proto import event_pb2

    try:
        ev = event_pb2.Event.FromString(data)
    except DecodeError:
        return None
    what = ev.WhichOneof("what")
    vals = _summary(ev) if what == "summary" else []
    status = int(ev.session_log.status) if what == "session_log" else 0
    return (ev.wall_time, ev.step, what, vals, status)


def by_wire(data: bytes) -> tuple[Any, ...] | None:
    """The same from :func:`lraudit.reader.wire.decode_event`."""
    try:
        ev = wire.decode_event(data)
    except wire.WireError:
        return None
    vals = []
    for v in ev.values:
        x = None
        if v.kind == "simple_value":
            x = v.simple_value
        elif v.kind == "tensor" and v.tensor is not None:
            x = tensor_scalar(v.tensor)
        vals.append((v.tag, v.kind, x, v.plugin_name if v.has_metadata else None))
    status = ev.session_status if ev.what == "session_log" else 0
    return (ev.wall_time, ev.step, ev.what, vals, status)


def same(a: tuple[Any, ...] | None, b: tuple[Any, ...] | None) -> bool:
    """Equal, with NaN equal to NaN."""
    return repr(a) == repr(b)
