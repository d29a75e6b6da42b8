"""Read one event file in fixed-size windows, so that memory does not grow with the file.

The window loop (:func:`read_stream`) reads ``WINDOW`` bytes at a file offset, frames the
complete records in them (:func:`lraudit.reader.framing.scan`: both CRCs checked), decodes
those records (keeping only the wanted tags' points) and starts the next window at the first
record that did not fit, so an incomplete tail record is read again, whole, by the next window.
Peak memory is a few windows (the read buffer, the decoder's padded copy, the CRC pass's
chunk), whatever the size of the file; the points kept are the only thing that grows.

A record that does not fit in a window at all (an image, a large histogram or graph) is not
read into memory. Its header (length + length CRC) is checked; then its ``Event`` is walked
through the file object and every length-delimited field above ``SMALL`` bytes is dropped
(a ``Summary.Value`` entry) or emptied (any other field, so that the event keeps its kind).
A scalar ``Summary.Value`` is a tag, 4 to 16 bytes of value and at most a small metadata blob,
far below ``SMALL``; what is that large is an image, audio clip, histogram or non-scalar
tensor, which gives no point. What is left (wall time, step, small values) is decoded by the
same decoders as any other record. The data CRC of such a record is verified, by streaming its
bytes through CRC-32C in window-sized pieces, only when something was kept that can give a
point, a tag or a session event; a record of nothing but payloads is skipped without reading
them (a damaged byte inside a skipped image cannot change the audit, and the next record's
header CRC still guards the framing). Records of an unexpected shape, or whose small fields
alone exceed a window, are read whole and decoded as usual (exact, at the cost of that
record's size in memory).

Offsets in notes are file offsets. :attr:`FileData.end_offset` is the offset after the last
complete good record: where a later read of a growing file can resume (``start``).
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Callable
from typing import IO

import google_crc32c

from lraudit.reader.decode import FileData, concat_filedata
from lraudit.reader.framing import Framing, Stop, masked_crc32c, scan, trunc_detail
from lraudit.reader.wire import WireError, encode_varint, read_varint

#: bytes read (and framed, decoded) at a time
WINDOW = 8 * 1024 * 1024
#: length-delimited fields above this many bytes in a record larger than a window are skipped
SMALL = 64 * 1024

Decoder = Callable[[bytes, Framing, Callable[[str], bool], str], FileData]

_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")
_AT_BYTE = re.compile(r"record at byte (\d+)")


def read_stream(
    f: IO[bytes],
    path: str,
    want: Callable[[str], bool],
    decode: Decoder,
    size: Callable[[], int],
    start: int = 0,
    window: int | None = None,
) -> FileData:
    """Frame, CRC-check and decode the event file ``f`` from ``start``, one window at a time.

    ``size()`` gives the file's current size (asked at the start, for a record larger than a
    window, and for a damage note). Returns the decoded data with file-offset notes and ``end_offset``.
    """
    win = max(int(window or WINDOW), 64)
    name = os.path.basename(path)
    parts: list[FileData] = []
    firsts: list[int] = []
    n_rec, pos = 0, start
    stop_note: str | None = None

    def add(part: FileData, base: int, k: int) -> None:
        nonlocal n_rec
        part.notes = [_shift(n, base) for n in part.notes]
        parts.append(part)
        firsts.append(n_rec)
        n_rec += k

    # the first read asks for what the file holds (+1 byte to see its end) when that is less
    # than a window: a buffer of the file's size, like the pieces the decoder allocates,
    # is reused by the allocator file after file, where an 8 MB one is mapped and faulted in
    # afresh every time (20 files of 2.5 MB: 2x the system time)
    ask = min(win, max(size() - start, 0) + 1)
    while True:
        f.seek(pos)
        buf = f.read(ask)
        if not buf:
            break
        eof = len(buf) < ask
        ask = win
        fr = scan(buf)
        k = len(fr.starts)
        if k:
            add(decode(buf, fr, want, path), pos, k)
        stop = fr.stop
        if stop is None:
            pos += len(buf)
            if eof:
                break
            continue
        if stop.reason == "corrupt" or eof:
            total = pos + fr.size if eof else size()
            stop_note = _note(name, stop, pos, n_rec, total)
            pos += stop.offset
            break
        # an incomplete record (its header CRC is good when it is there): the next window
        # starts with it, unless it is larger than a window
        head = buf[stop.offset : stop.offset + 8]
        del buf
        pos += stop.offset
        if stop.offset > 0 and (len(head) < 8 or _U64.unpack(head)[0] + 16 <= win):
            continue
        done = _big_record(f, pos, win, path, want, decode, size, add)
        if isinstance(done, tuple):
            stop_note = _note(name, done[0], 0, n_rec, done[1])
            break
        pos = done
    # one window (most files): its result as is; joining copies every column, and those
    # copies and frees, file after file, make the allocator give memory back and fault it in
    # again (measured: 20 files of 2.5 MB, 92k page faults and +0.2 s of system time)
    out = parts[0] if len(parts) == 1 else concat_filedata(path, parts, firsts)
    if stop_note:
        out.notes.append(stop_note)
    out.end_offset = pos
    return out


def _shift(note: str, base: int) -> str:
    """A decoder note with its buffer offset turned into a file offset."""
    return _AT_BYTE.sub(lambda m: f"record at byte {int(m.group(1)) + base}", note, count=1)


def _note(name: str, stop: Stop, base: int, kept: int, total: int) -> str:
    at = base + stop.offset
    return (
        f"{name}: {stop.detail} at byte {at}; kept the {kept} record(s) before it, "
        f"skipped the remaining {max(total - at, 0)} byte(s)"
    )


def _big_record(
    f: IO[bytes],
    pos: int,
    win: int,
    path: str,
    want: Callable[[str], bool],
    decode: Decoder,
    size: Callable[[], int],
    add: Callable[[FileData, int, int], None],
) -> int | tuple[Stop, int]:
    """Handle the record at ``pos`` that is larger than a window.

    Returns the offset after it, or why reading stops there (a :class:`Stop` at a file offset)
    with the file size.
    """
    f.seek(pos)
    head = f.read(12)
    total = size()
    if len(head) < 12:
        return Stop(pos, "truncated", trunc_detail(total - pos)), total
    (length,) = _U64.unpack_from(head)
    if masked_crc32c(head[:8]) != _U32.unpack_from(head, 8)[0]:
        return Stop(pos, "corrupt", "corrupt record header (length CRC mismatch)"), total
    end = pos + 12 + length
    if end + 4 > total:
        return Stop(pos, "truncated", trunc_detail(total - pos, length)), total
    reduced = _reduce(f, pos + 12, end, win)
    if reduced is None:  # read it whole: exact, and rare
        f.seek(pos)
        buf = f.read(end + 4 - pos)
        fr = scan(buf)
        if fr.stop is not None:
            return Stop(pos + fr.stop.offset, fr.stop.reason, fr.stop.detail), total
        add(decode(buf, fr, want, path), pos, 1)
        return end + 4
    payload, keeps = reduced
    if keeps:
        f.seek(end)
        stored = _U32.unpack(f.read(4))[0]
        if _stream_crc(f, pos + 12, length, win) != stored:
            return Stop(pos, "corrupt", "corrupt record (data CRC mismatch)"), total
    buf = _frame(payload)
    add(decode(buf, scan(buf), want, path), pos, 1)
    return end + 4


def _frame(data: bytes) -> bytes:
    head = _U64.pack(len(data))
    return head + _U32.pack(masked_crc32c(head)) + data + _U32.pack(masked_crc32c(data))


def _stream_crc(f: IO[bytes], start: int, length: int, win: int) -> int:
    """Masked CRC-32C of ``length`` bytes at ``start``, read ``win`` bytes at a time."""
    f.seek(start)
    crc, left = 0, length
    while left:
        piece = f.read(min(win, left))
        if not piece:
            break
        crc = google_crc32c.extend(crc, piece)
        left -= len(piece)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


class _Odd(Exception):
    """The record does not have the shape :func:`_reduce` handles."""


def _head(f: IO[bytes], at: int, end: int) -> tuple[int, int, int, int, int]:
    """The field at ``at``: (number, wire type, varint value or length, key bytes, head bytes)."""
    f.seek(at)
    raw = f.read(min(20, end - at))
    key, kn = _varint(raw, 0)
    wt = key & 7
    if wt == 0:
        _, vn = _varint(raw, kn)
        return key >> 3, wt, 0, kn, kn + vn
    if wt == 1:
        return key >> 3, wt, 8, kn, kn
    if wt == 5:
        return key >> 3, wt, 4, kn, kn
    if wt == 2:
        ln, ln_n = _varint(raw, kn)
        return key >> 3, wt, ln, kn, kn + ln_n
    raise _Odd


def _varint(raw: bytes, i: int) -> tuple[int, int]:
    """(value, length in bytes) of the varint at ``raw[i]``."""
    try:
        val, nxt = read_varint(raw, i, len(raw))
    except WireError:
        raise _Odd from None
    return val, nxt - i


def _copy(f: IO[bytes], at: int, n: int) -> bytes:
    f.seek(at)
    data = f.read(n)
    if len(data) != n:
        raise _Odd
    return data


def _walk(f: IO[bytes], at: int, end: int, limit: int, summary: bool) -> tuple[bytes, bool, bool]:
    """Rewrite the message in ``[at, end)`` without its fields above ``SMALL`` bytes.

    Returns (bytes, anything dropped, anything kept that can give a point, tag or session).
    In an ``Event``, the ``summary`` field (5) is walked one level down and its large values
    dropped; other large fields are emptied (kept with length 0, so the event's kind stays).
    """
    out = bytearray()
    dropped = keeps = False
    while at < end:
        num, wt, val, kn, hn = _head(f, at, end)
        body = at + hn
        stop = body if wt == 0 else body + val
        if stop > end:
            raise _Odd
        if wt == 2 and val > SMALL:
            dropped = True
            if not summary and num == 5:
                sub, _, sub_keeps = _walk(f, body, stop, limit, True)
                out += _copy(f, at, kn) + encode_varint(len(sub)) + sub
                keeps |= sub_keeps
            elif not summary:
                out += _copy(f, at, kn) + b"\x00"
        else:
            out += _copy(f, at, stop - at)
            keeps |= summary or num not in (1, 2)
        if len(out) > limit:
            raise _Odd
        at = stop
    return bytes(out), dropped, keeps


def _reduce(f: IO[bytes], at: int, end: int, limit: int) -> tuple[bytes, bool] | None:
    """The event at ``[at, end)`` without its large payloads, and whether what is left can
    give a point, tag or session (then the record's data CRC must be checked). None when
    nothing is large (read it whole) or the bytes are not a plain protobuf message."""
    try:
        data, dropped, keeps = _walk(f, at, end, limit, False)
    except _Odd:
        return None
    return (data, keeps) if dropped else None
