"""Protobuf wire-format decoding of TensorBoard ``Event`` records, without generated classes.

This is the reference decoder of :mod:`lraudit.reader.decode` (so the package does not need
``tensorboard`` for its ``.proto`` classes). It follows the protobuf (upb) parser's rules, so a
record is accepted or rejected as ``tensorboard.compat.proto.event_pb2.Event.FromString`` would
accept or reject it (tested against it, record by record, on mutated files):

* a key is a varint ``field << 3 | wire_type``; field 0 (except inside an unknown group, which
  upb skips without checking it), wire types 6 and 7, a varint longer
  than 10 bytes, a length past the end of its message, an unmatched group end, and nesting
  deeper than :data:`MAX_DEPTH` are errors (:class:`WireError`);
* a known field that arrives with another wire type is an unknown field (skipped); repeated
  numeric fields are accepted packed and unpacked;
* ``string`` fields must be valid UTF-8 (``bytes`` fields need not be); every submessage is
  validated, down to the leaves (an image, a histogram, a tensor's shape);
* a scalar field seen twice keeps the last value; a message field seen twice is merged (its
  occurrences parse as their concatenation); a ``oneof`` keeps the case seen last, and
  switching case drops what the previous case held.

:func:`decode_event` returns only what the reader uses: wall time, step, which case of
``Event.what`` is set, the summary values (tag, value case, metadata presence, plugin name, and
for tensors the fields :func:`lraudit.reader.decode.tensor_scalar` reads), and a session log's
status.

>>> ev = decode_event(b"\\x09" + bytes(8) + b"\\x10\\x05*\\x0b\\n\\t\\n\\x02lr\\x15\\x00\\x00\\x80?")
>>> ev.step, ev.what, [(v.tag, v.kind, v.simple_value) for v in ev.values]
(5, 'summary', [('lr', 'simple_value', 1.0)])
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

#: Nesting limit (messages and groups), as the protobuf runtime's default recursion limit.
MAX_DEPTH = 100

_VARINT, _I64, _LEN, _SGROUP, _EGROUP, _I32 = 0, 1, 2, 3, 4, 5


class WireError(ValueError):
    """The bytes are not a valid protobuf encoding of the message."""


# -- schema: message name -> {field number: (kind, submessage name or None)} ----------------------
# kinds: "v" varint, "d" fixed64, "f" fixed32, "s" string (UTF-8), "b" bytes, "m" message,
# "pv" / "pd" / "pf": repeated varint / fixed64 / fixed32 (packed or not)

_SCHEMA: dict[str, dict[int, tuple[str, str | None]]] = {
    "Event": {
        1: ("d", None),
        2: ("v", None),
        3: ("s", None),
        4: ("b", None),
        5: ("m", "Summary"),
        6: ("m", "LogMessage"),
        7: ("m", "SessionLog"),
        8: ("m", "TaggedRunMetadata"),
        9: ("b", None),
        10: ("m", "SourceMetadata"),
    },
    "LogMessage": {1: ("v", None), 2: ("s", None)},
    "SessionLog": {1: ("v", None), 2: ("s", None), 3: ("s", None)},
    "TaggedRunMetadata": {1: ("s", None), 2: ("b", None)},
    "SourceMetadata": {1: ("s", None)},
    "Summary": {1: ("m", "Value")},
    "Value": {
        7: ("s", None),
        1: ("s", None),
        9: ("m", "SummaryMetadata"),
        2: ("f", None),
        3: ("b", None),
        4: ("m", "Image"),
        5: ("m", "Histogram"),
        6: ("m", "Audio"),
        8: ("m", "Tensor"),
    },
    "SummaryMetadata": {
        1: ("m", "PluginData"),
        2: ("s", None),
        3: ("s", None),
        4: ("v", None),
    },
    "PluginData": {1: ("s", None), 2: ("b", None)},
    "Image": {1: ("v", None), 2: ("v", None), 3: ("v", None), 4: ("b", None)},
    "Histogram": {
        1: ("d", None),
        2: ("d", None),
        3: ("d", None),
        4: ("d", None),
        5: ("d", None),
        6: ("pd", None),
        7: ("pd", None),
    },
    "Audio": {1: ("f", None), 2: ("v", None), 3: ("v", None), 4: ("b", None), 5: ("s", None)},
    "Tensor": {
        1: ("v", None),
        2: ("m", "Shape"),
        3: ("v", None),
        4: ("b", None),
        13: ("pv", None),
        5: ("pf", None),
        6: ("pd", None),
        7: ("pv", None),
        8: ("b", None),
        9: ("pf", None),
        10: ("pv", None),
        11: ("pv", None),
        12: ("pd", None),
        14: ("m", "ResourceHandle"),
        15: ("m", "Variant"),
        16: ("pv", None),
        17: ("pv", None),
    },
    "Shape": {2: ("m", "Dim"), 3: ("v", None)},
    "Dim": {1: ("v", None), 2: ("s", None)},
    "ResourceHandle": {
        1: ("s", None),
        2: ("s", None),
        3: ("s", None),
        4: ("v", None),
        5: ("s", None),
        6: ("m", "DtypeAndShape"),
        7: ("s", None),
    },
    "DtypeAndShape": {1: ("v", None), 2: ("m", "Shape")},
    "Variant": {1: ("s", None), 2: ("b", None), 3: ("m", "Tensor")},
}

_WIRE_OF = {"v": _VARINT, "d": _I64, "f": _I32, "s": _LEN, "b": _LEN, "m": _LEN}
_PACKED_WIRE = {"pv": _VARINT, "pd": _I64, "pf": _I32}
_F32 = struct.Struct("<f")
_F64 = struct.Struct("<d")


def read_varint(buf: bytes, p: int, end: int) -> tuple[int, int]:
    """(value mod 2**64, next position) of the varint at ``p``; :class:`WireError` when it is
    truncated or longer than 10 bytes."""
    result = shift = 0
    for i in range(10):
        if p + i >= end:
            raise WireError("truncated varint")
        b = buf[p + i]
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result & 0xFFFFFFFFFFFFFFFF, p + i + 1
        shift += 7
    raise WireError("varint longer than 10 bytes")


def encode_varint(v: int) -> bytes:
    """The varint encoding of ``v >= 0``.

    >>> encode_varint(300)
    b'\\xac\\x02'
    """
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if not v:
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def _fields(buf: bytes, p: int, end: int, depth: int, group: int | None = None):  # noqa: ANN202
    """Yield ``(field, wire_type, value, start, stop)`` over ``buf[p:end]`` (one message).

    ``value`` is the integer for varint / fixed fields, None for length-delimited ones (their
    bytes are ``buf[start:stop]``). Unknown groups are skipped (their contents checked).
    """
    if depth > MAX_DEPTH:
        raise WireError("nesting too deep")
    while p < end:
        key, p = read_varint(buf, p, end)
        num, wt = key >> 3, key & 7
        if num == 0 or num > 0x1FFFFFFF:
            raise WireError("invalid field number")
        if wt == _VARINT:
            v, p = read_varint(buf, p, end)
            yield num, wt, v, p, p
        elif wt == _I64:
            if p + 8 > end:
                raise WireError("truncated fixed64")
            yield num, wt, int.from_bytes(buf[p : p + 8], "little"), p, p + 8
            p += 8
        elif wt == _I32:
            if p + 4 > end:
                raise WireError("truncated fixed32")
            yield num, wt, int.from_bytes(buf[p : p + 4], "little"), p, p + 4
            p += 4
        elif wt == _LEN:
            n, p = read_varint(buf, p, end)
            if n > end - p:
                raise WireError("length past the end of the message")
            yield num, wt, None, p, p + n
            p += n
        elif wt == _SGROUP:
            p = _skip_group(buf, p, end, num, depth + 1)
        elif wt == _EGROUP:
            if group == num:
                return
            raise WireError("unmatched end of group")
        else:
            raise WireError(f"invalid wire type {wt}")
    if group is not None:
        raise WireError("unterminated group")


def _skip_group(buf: bytes, p: int, end: int, num: int, depth: int) -> int:
    """Position after the group ``num`` that starts at ``p`` (checking what it holds)."""
    if depth > MAX_DEPTH:
        raise WireError("nesting too deep")
    while True:
        if p >= end:
            raise WireError("unterminated group")
        key, p = read_varint(buf, p, end)
        n, wt = key >> 3, key & 7
        if n > 0x1FFFFFFF:  # field 0 is accepted inside a skipped group, as upb does
            raise WireError("invalid field number")
        if wt == _EGROUP:
            if n != num:
                raise WireError("unmatched end of group")
            return p
        if wt == _VARINT:
            _, p = read_varint(buf, p, end)
        elif wt in (_I64, _I32):
            p += 8 if wt == _I64 else 4
            if p > end:
                raise WireError("truncated fixed field")
        elif wt == _LEN:
            ln, p = read_varint(buf, p, end)
            if ln > end - p:
                raise WireError("length past the end of the message")
            p += ln
        elif wt == _SGROUP:
            p = _skip_group(buf, p, end, n, depth + 1)
        else:
            raise WireError(f"invalid wire type {wt}")


def validate(buf: bytes, p: int, end: int, msg: str, depth: int = 1) -> None:
    """Raise :class:`WireError` unless ``buf[p:end]`` is a valid encoding of ``msg``."""
    schema = _SCHEMA[msg]
    for num, wt, _v, s, e in _fields(buf, p, end, depth):
        spec = schema.get(num)
        if spec is None or wt != _LEN:
            continue  # unknown, or a scalar (its bytes were checked by _fields)
        kind, sub = spec
        if kind == "s":
            _utf8(buf, s, e)
        elif kind == "m":
            validate(buf, s, e, sub or "", depth + 1)
        elif kind in _PACKED_WIRE:
            _packed(buf, s, e, kind, want=False)


def _utf8(buf: bytes, s: int, e: int) -> str:
    try:
        return bytes(buf[s:e]).decode("utf-8")
    except UnicodeDecodeError:
        raise WireError("string field is not valid UTF-8") from None


def _packed(buf: bytes, s: int, e: int, kind: str, want: bool = True) -> list[int]:
    """The elements of a packed repeated field (raw integers; checked only if not ``want``)."""
    if kind == "pv":
        out, p = [], s
        while p < e:
            v, p = read_varint(buf, p, e)
            if want:
                out.append(v)
        return out
    width = 8 if kind == "pd" else 4
    if (e - s) % width:
        raise WireError("packed field length is not a multiple of its element size")
    if not want:
        return []
    return [int.from_bytes(buf[i : i + width], "little") for i in range(s, e, width)]


@dataclass
class TensorFields:
    """The parts of a ``TensorProto`` a scalar is read from (same names as the proto)."""

    dtype: int = 0
    ndim: int = 0
    #: ``tensor_content`` when it is at most 16 bytes (a scalar's), else empty; its length
    tensor_content: bytes = b""
    content_len: int = 0
    float_val: list[float] = field(default_factory=list)
    double_val: list[float] = field(default_factory=list)
    half_val: list[int] = field(default_factory=list)


@dataclass
class ValueFields:
    """One ``Summary.Value``: ``kind`` is the set case of its ``value`` oneof (or None)."""

    tag: str = ""
    kind: str | None = None
    simple_value: float = 0.0
    tensor: TensorFields | None = None
    has_metadata: bool = False
    plugin_name: str = ""


@dataclass
class EventFields:
    """An ``Event``: ``what`` is the set case of its oneof (``summary``, ``session_log``, ...)."""

    wall_time: float = 0.0
    step: int = 0
    what: str | None = None
    values: list[ValueFields] = field(default_factory=list)
    session_status: int = 0


_EVENT_WHAT = {
    3: "file_version",
    4: "graph_def",
    5: "summary",
    6: "log_message",
    7: "session_log",
    8: "tagged_run_metadata",
    9: "meta_graph_def",
}
_VALUE_KIND = {
    2: "simple_value",
    3: "obsolete_old_style_histogram",
    4: "image",
    5: "histo",
    6: "audio",
    8: "tensor",
}


def _int64(v: int) -> int:
    return v - (1 << 64) if v >> 63 else v


def _concat(buf: bytes, parts: list[tuple[int, int]]) -> tuple[bytes, int, int]:
    """The bytes of a message's occurrences, joined (merging = parsing the concatenation)."""
    if len(parts) == 1:
        return buf, parts[0][0], parts[0][1]
    data = b"".join(bytes(buf[s:e]) for s, e in parts)
    return data, 0, len(data)


def decode_event(buf: bytes, start: int = 0, end: int | None = None) -> EventFields:
    """Decode the ``Event`` in ``buf[start:end]``; raises :class:`WireError` when invalid."""
    end = len(buf) if end is None else end
    ev = EventFields()
    what: int | None = None
    parts: list[tuple[int, int]] = []  # occurrences of the current `what` message field
    for num, wt, v, s, e in _fields(buf, start, end, 1):
        spec = _SCHEMA["Event"].get(num)
        if spec is None or wt != _WIRE_OF[spec[0]]:
            continue
        if num == 1:
            ev.wall_time = _F64.unpack(v.to_bytes(8, "little"))[0]
        elif num == 2:
            ev.step = _int64(v)
        elif num == 10:
            validate(buf, s, e, "SourceMetadata", 2)
        else:
            kind, sub = spec
            if kind == "s":
                _utf8(buf, s, e)
            elif kind == "m":
                validate(buf, s, e, sub or "", 2)
            if what != num:
                what, parts = num, []
            parts.append((s, e))
    ev.what = _EVENT_WHAT.get(what) if what is not None else None
    if ev.what == "summary":
        data, s, e = _concat(buf, parts)
        for num, wt, _v, vs, ve in _fields(data, s, e, 2):
            if num == 1 and wt == _LEN:
                ev.values.append(_value(data, vs, ve))
    elif ev.what == "session_log":
        data, s, e = _concat(buf, parts)
        for num, wt, v, _s, _e in _fields(data, s, e, 2):
            if num == 1 and wt == _VARINT:
                ev.session_status = _int64(v) & 0xFFFFFFFF
                if ev.session_status >> 31:
                    ev.session_status -= 1 << 32
    return ev


def _value(buf: bytes, p: int, end: int) -> ValueFields:
    out = ValueFields()
    case: int | None = None
    tensor_parts: list[tuple[int, int]] = []
    meta_parts: list[tuple[int, int]] = []
    simple = 0
    for num, wt, v, s, e in _fields(buf, p, end, 3):
        spec = _SCHEMA["Value"].get(num)
        if spec is None or wt != _WIRE_OF[spec[0]]:
            continue
        if num == 1:
            out.tag = _utf8(buf, s, e)
        elif num == 9:
            meta_parts.append((s, e))
        elif num in _VALUE_KIND:
            if case != num:
                case, tensor_parts = num, []
            if num == 2:
                simple = v
            elif num == 8:
                tensor_parts.append((s, e))
        # node_name (7): a string, checked by validate() below
    validate(buf, p, end, "Value", 3)
    out.kind = _VALUE_KIND.get(case) if case is not None else None
    if case == 2:
        out.simple_value = _F32.unpack(simple.to_bytes(4, "little"))[0]
    elif case == 8:
        data, s, e = _concat(buf, tensor_parts)
        out.tensor = _tensor(data, s, e)
    if meta_parts:
        out.has_metadata = True
        data, s, e = _concat(buf, meta_parts)
        out.plugin_name = _plugin_name(data, s, e)
    return out


def _plugin_name(buf: bytes, p: int, end: int) -> str:
    plugin: list[tuple[int, int]] = []
    for num, wt, _v, s, e in _fields(buf, p, end, 4):
        if num == 1 and wt == _LEN:
            plugin.append((s, e))
    name = ""
    if plugin:
        data, s, e = _concat(buf, plugin)
        for num, wt, _v, ns, ne in _fields(data, s, e, 5):
            if num == 1 and wt == _LEN:
                name = _utf8(data, ns, ne)
    return name


def _tensor(buf: bytes, p: int, end: int) -> TensorFields:
    t = TensorFields()
    for num, wt, v, s, e in _fields(buf, p, end, 4):
        if num == 1 and wt == _VARINT:
            t.dtype = _int64(v) & 0xFFFFFFFF
        elif num == 2 and wt == _LEN:
            for dnum, dwt, _dv, _ds, _de in _fields(buf, s, e, 5):
                if dnum == 2 and dwt == _LEN:
                    t.ndim += 1
        elif num == 4 and wt == _LEN:
            # a large content (an image, a histogram) is never a scalar: do not copy it
            t.content_len = e - s
            t.tensor_content = bytes(buf[s:e]) if e - s <= 16 else b""
        elif num == 5 and wt in (_LEN, _I32):
            raw = _packed(buf, s, e, "pf") if wt == _LEN else [v]
            t.float_val += [_F32.unpack(x.to_bytes(4, "little"))[0] for x in raw]
        elif num == 6 and wt in (_LEN, _I64):
            raw = _packed(buf, s, e, "pd") if wt == _LEN else [v]
            t.double_val += [_F64.unpack(x.to_bytes(8, "little"))[0] for x in raw]
        elif num == 13 and wt in (_LEN, _VARINT):
            raw = _packed(buf, s, e, "pv") if wt == _LEN else [v]
            t.half_val += [x & 0xFFFFFFFF for x in raw]
    return t


def summary_strings(buf: bytes, start: int = 0, end: int | None = None) -> list[tuple[str, bytes]]:
    """``(tag, first string_val of its tensor, or b"")`` per summary value of an ``Event``.

    For text summaries (Hugging Face writes its ``TrainingArguments`` as tag ``args``). Raises
    :class:`WireError` when the record is not a valid ``Event``.

    >>> summary_strings(b"\\x09" + bytes(8) + b"*\\x10\\n\\x0e\\n\\x04argsB\\x06\\x08\\x07B\\x02{}")
    [('args', b'{}')]
    """
    end = len(buf) if end is None else end
    if decode_event(buf, start, end).what != "summary":
        return []
    parts = [(s, e) for num, wt, _v, s, e in _fields(buf, start, end, 1) if num == 5 and wt == _LEN]
    data, s, e = _concat(buf, parts)
    out = []
    for num, wt, _v, vs, ve in _fields(data, s, e, 2):
        if num != 1 or wt != _LEN:
            continue
        tag, text = "", b""
        tensors = [
            (ts, te) for n, w, _x, ts, te in _fields(data, vs, ve, 3) if n == 8 and w == _LEN
        ]
        for n, w, _x, ts, te in _fields(data, vs, ve, 3):
            if n == 1 and w == _LEN:
                tag = _utf8(data, ts, te)
        if tensors:
            tdata, ts, te = _concat(data, tensors)
            for n, w, _x, ss, se in _fields(tdata, ts, te, 4):
                if n == 8 and w == _LEN:
                    text = bytes(tdata[ss:se])
                    break
        out.append((tag, text))
    return out
