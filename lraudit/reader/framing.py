"""TFRecord framing of event files: where each record's payload is, with both CRCs checked.

A record is ``uint64 length`` (little-endian) · ``uint32 masked_crc32c(length bytes)`` ·
``data[length]`` · ``uint32 masked_crc32c(data)``, with CRC-32C (Castagnoli) and
``masked(c) = ((c >> 15) | (c << 17)) + 0xa282ead8  (mod 2**32)``.

:func:`scan` returns the payload offsets and lengths of every record up to the first bad one.
A record whose header CRC or data CRC does not match, or that the file ends inside of, ends the
file: everything before it is kept and :attr:`Framing.stop` says where and why (a truncated
tail is normal while a writer is still appending).

Speed: the offsets are found by a vectorised chain search (numpy) when every record payload
starts like an ``Event`` with a wall time (byte ``0x09``), which is what every writer produces;
otherwise, and from the first record that does not, by a plain Python loop. CRCs of the 8-byte
length fields are computed vectorised; data CRCs by ``google_crc32c`` (C), one call per record.

>>> from lraudit.testing import frame
>>> buf = frame(b"\\x09" + bytes(8)) + frame(b"\\x09" + bytes(9))[:-3]
>>> f = scan(buf)
>>> f.starts.tolist(), f.lengths.tolist(), f.stop.reason
([12], [9], 'truncated')
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import google_crc32c
import numpy as np

_MASK_DELTA = 0xA282EAD8
_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC-32C of ``data``."""
    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


@dataclass(frozen=True)
class Stop:
    """Why reading a file stopped before its end: ``reason`` is ``truncated`` or ``corrupt``."""

    offset: int
    reason: str
    detail: str


@dataclass(frozen=True)
class Framing:
    """Payload offsets (``starts``) and ``lengths`` (int64) of the good records of one file."""

    starts: np.ndarray
    lengths: np.ndarray
    size: int
    stop: Stop | None = None

    def note(self, path: str) -> str | None:
        """A one-line note about where and why the file stopped, or None."""
        if self.stop is None:
            return None
        n = len(self.starts)
        return (
            f"{path}: {self.stop.detail} at byte {self.stop.offset}; kept the {n} record(s) "
            f"before it, skipped the remaining {self.size - self.stop.offset} byte(s)"
        )


# -- vectorised masked CRC-32C of many 8-byte length fields -------------------------------------


def _crc_table() -> np.ndarray:
    poly = 0x82F63B78  # CRC-32C, reflected
    t = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        t = np.where(t & 1, (t >> 1) ^ np.uint32(poly), t >> 1).astype(np.uint32)
    return t


_TABLE = _crc_table()


def _masked_crc_u64(values: np.ndarray) -> np.ndarray:
    """Masked CRC-32C of each uint64 value's 8 little-endian bytes (vectorised table CRC)."""
    crc = np.full(values.shape, 0xFFFFFFFF, dtype=np.uint32)
    v = values.astype(np.uint64, copy=True)
    for _ in range(8):
        byte = (v & np.uint64(0xFF)).astype(np.uint32)
        crc = _TABLE[(crc ^ byte) & np.uint32(0xFF)] ^ (crc >> np.uint32(8))
        v >>= np.uint64(8)
    return _mask(crc ^ np.uint32(0xFFFFFFFF))


def _mask(crc: np.ndarray) -> np.ndarray:
    """TFRecord's CRC masking, vectorised over uint32 CRCs."""
    rot = (crc >> np.uint32(15)) | (crc << np.uint32(17))
    return rot + np.uint32(_MASK_DELTA)  # uint32 arithmetic wraps mod 2**32


def _u64_at(buf: bytes, size: int) -> np.ndarray:
    """An unaligned uint64 view: element ``i`` is the little-endian uint64 at byte ``i``."""
    return np.ndarray(shape=(max(size - 7, 0),), dtype="<u8", buffer=buf, strides=(1,))


def _u32_at(buf: bytes, size: int) -> np.ndarray:
    return np.ndarray(shape=(max(size - 3, 0),), dtype="<u4", buffer=buf, strides=(1,))


class _Chains:
    """Vectorised record chain search over one buffer (see :meth:`chain`)."""

    def __init__(self, buf: bytes, size: int) -> None:
        arr = np.frombuffer(buf, dtype=np.uint8, count=size)
        if size >= 16:
            cand = np.flatnonzero(arr[12 : size - 3] == 0x09).astype(np.int64)
            # length < 2**32: bytes 4..7 of the length are zero
            u32 = _u32_at(buf, size)
            cand = cand[u32[cand + 4] == 0]
            nxt = cand + 16 + u32[cand].astype(np.int64)
        else:
            cand = nxt = np.zeros(0, dtype=np.int64)
        tgt = np.searchsorted(cand, nxt)
        if len(cand):
            tgt[tgt >= len(cand)] = 0
            tgt = np.where(cand[tgt] == nxt, tgt, -1)
        self.cand, self.nxt, self.tgt = cand, nxt, tgt

    def chain(self, start: int) -> tuple[np.ndarray, int]:
        """Record offsets from ``start`` while records look like Events (payload byte ``0x09``).

        Candidates are offsets ``p`` whose payload starts with ``0x09`` and whose length fits in
        32 bits. The chain is the orbit of ``start`` under ``next(p) = p + 16 + length(p)``.
        Pruning candidates (>= start) that no surviving candidate points to, keeping ``start``,
        until nothing changes leaves exactly that orbit: the smallest non-orbit survivor would
        need a surviving predecessor, which is either on the orbit (then so is its successor)
        or smaller, a contradiction. Returns the offsets and where the chain leaves the
        candidate set (the file size when it covers the file).
        """
        cand = self.cand
        i0 = int(np.searchsorted(cand, start))
        if i0 >= len(cand) or cand[i0] != start:
            return _EMPTY, start
        alive = np.zeros(len(cand), dtype=bool)
        alive[i0:] = True
        count = int(alive.sum())
        for _ in range(64):
            pointed = np.zeros(len(cand), dtype=bool)
            src = self.tgt[alive]
            pointed[src[src >= 0]] = True
            pointed[i0] = True
            alive &= pointed
            new = int(alive.sum())
            if new == count:
                break
            count = new
        else:  # pathological chains of false candidates: let the Python loop frame the rest
            return _EMPTY, start
        idx = np.flatnonzero(alive)
        return cand[idx], int(self.nxt[idx[-1]])


def scan(buf: bytes, verify: bool = True) -> Framing:
    """Frame ``buf`` (a whole event file) into records; see the module docstring."""
    size = len(buf)
    chains = _Chains(buf, size)
    parts: list[np.ndarray] = []
    pos, restarts = 0, 0
    unpack = _U64.unpack_from
    while pos + 12 <= size:
        if restarts < 8:
            offs, end = chains.chain(pos)
            if len(offs):
                parts.append(offs)
                pos = end
                restarts += 1
                continue
        # a record the vectorised search does not cover (no wall time): frame it by hand
        (ln,) = unpack(buf, pos)
        parts.append(np.array([pos], dtype=np.int64))
        pos += 16 + ln
    allo = np.concatenate(parts) if parts else _EMPTY
    return _verify(buf, size, allo, verify)


def _verify(buf: bytes, size: int, offs: np.ndarray, verify: bool) -> Framing:
    """Check headers, sizes and CRCs of the records at ``offs``; stop at the first bad one."""
    if len(offs) == 0:
        if size > 0:
            return Framing(_EMPTY, _EMPTY, size, Stop(0, "truncated", _trunc_detail(size)))
        return Framing(_EMPTY, _EMPTY, size)
    u64 = _u64_at(buf, size)
    # offsets past size - 12 cannot hold a header; the Python loop never produces them
    lengths = u64[offs].astype(np.int64) if size >= 8 else _EMPTY
    stop: Stop | None = None
    n = len(offs)
    if verify:
        stored = _u32_at(buf, size)[offs + 8]
        bad = np.flatnonzero(_masked_crc_u64(lengths.astype(np.uint64)) != stored)
        if len(bad):
            n = int(bad[0])
            stop = Stop(int(offs[n]), "corrupt", "corrupt record header (length CRC mismatch)")
    ends = offs[:n] + 12 + lengths[:n]
    over = np.flatnonzero(ends + 4 > size)
    if len(over):
        n = int(over[0])
        stop = Stop(int(offs[n]), "truncated", _trunc_detail(size - int(offs[n])))
    elif stop is None:
        tail = int(offs[-1] + 16 + lengths[-1]) if n else 0
        if tail < size:  # fewer than 12 bytes left: a header being written
            stop = Stop(tail, "truncated", _trunc_detail(size - tail))
    if verify and n:
        starts = offs[:n] + 12
        stored_d = _u32_at(buf, size)[starts + lengths[:n]]
        value = google_crc32c.value
        raw = np.array(
            [
                value(buf[s : s + ln])
                for s, ln in zip(starts.tolist(), lengths[:n].tolist(), strict=False)
            ],
            dtype=np.uint32,
        )
        computed = _mask(raw)
        bad = np.flatnonzero(computed != stored_d)
        if len(bad):
            n = int(bad[0])
            stop = Stop(int(offs[n]), "corrupt", "corrupt record (data CRC mismatch)")
    return Framing(offs[:n] + 12, lengths[:n].copy(), size, stop)


def _trunc_detail(nbytes: int) -> str:
    return f"truncated record ({nbytes} byte(s); a writer may still be appending)"


_EMPTY = np.zeros(0, dtype=np.int64)
