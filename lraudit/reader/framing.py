"""TFRecord framing of event files: where each record's payload is, with both CRCs checked.

A record is ``uint64 length`` (little-endian) · ``uint32 masked_crc32c(length bytes)`` ·
``data[length]`` · ``uint32 masked_crc32c(data)``, with CRC-32C (Castagnoli) and
``masked(c) = ((c >> 15) | (c << 17)) + 0xa282ead8  (mod 2**32)``.

:func:`scan` returns the payload offsets and lengths of every record up to the first bad one.
A record whose header CRC or data CRC does not match, or that the file ends inside of, ends the
file: everything before it is kept and :attr:`Framing.stop` says where and why (a truncated
tail is normal while a writer is still appending).

Speed: the offsets are found by a vectorised chain search (numpy, over 64 MB windows) when
record payloads start like an ``Event`` with a wall time (byte ``0x09``), which is what every
writer produces; a record that does not is framed by a plain Python loop and the search resumes
after it. Both CRCs of every record are then verified in one ``google_crc32c`` (C) pass per
32 MB chunk (see :func:`_all_crcs_ok`); only when that pass fails are the records checked one
by one to find the first bad one.

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

    def window(self, i: int, j: int) -> Framing:
        """Records ``i..j-1`` only (no stop: that belongs to the end of the file)."""
        return Framing(self.starts[i:j], self.lengths[i:j], self.size)

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

    def __init__(self, buf: bytes, size: int, lo: int, hi: int) -> None:
        """Candidates ``p`` in ``[lo, hi)`` (a window, so that memory stays bounded)."""
        arr = np.frombuffer(buf, dtype=np.uint8, count=size)
        self.hi = hi
        if size >= 16 and lo + 12 < min(hi + 12, size - 3):
            cand = lo + np.flatnonzero(arr[lo + 12 : min(hi + 12, size - 3)] == 0x09)
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


_WINDOW = 64 * 1024 * 1024  # bytes searched for record starts at a time


def scan(buf: bytes, verify: bool = True) -> Framing:
    """Frame ``buf`` (a whole event file) into records; see the module docstring."""
    size = len(buf)
    chains: _Chains | None = None
    parts: list[np.ndarray] = []
    pos, restarts = 0, 0
    unpack = _U64.unpack_from
    while pos + 12 <= size:
        if chains is None or pos >= chains.hi:
            chains = _Chains(buf, size, pos, min(size, pos + _WINDOW))
            restarts = 0
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
        if ln > size - pos - 16:  # runs past the end (or a damaged length): _verify says which
            break
        pos += 16 + ln
    allo = np.concatenate(parts) if parts else _EMPTY
    return _verify(buf, size, allo, verify)


def _verify(buf: bytes, size: int, offs: np.ndarray, verify: bool) -> Framing:
    """Check headers, sizes and CRCs of the records at ``offs``; stop at the first bad one."""
    if len(offs) == 0:
        if size > 0:
            return Framing(_EMPTY, _EMPTY, size, Stop(0, "truncated", trunc_detail(size)))
        return Framing(_EMPTY, _EMPTY, size)
    u64, u32 = _u64_at(buf, size), _u32_at(buf, size)
    has_head = offs + 12 <= size
    raw = np.zeros(len(offs), dtype=np.uint64)
    raw[has_head] = u64[offs[has_head]]
    # a length field is untrusted until its CRC is checked: one above the file size (up to
    # 2**64 - 1) is damage or truncation, never an allocation or an int64 overflow
    lengths = np.minimum(raw, np.uint64(size)).astype(np.int64)
    ends = offs + 12 + lengths
    over = np.flatnonzero(~has_head | (ends + 4 > size))
    n = int(over[0]) if len(over) else len(offs)
    stop: Stop | None = None
    if n < len(offs):
        o = int(offs[n])
        if has_head[n] and verify and _masked_crc_u64(raw[n : n + 1])[0] != int(u32[o + 8]):
            stop = Stop(o, "corrupt", "corrupt record header (length CRC mismatch)")
        elif has_head[n]:
            stop = Stop(o, "truncated", trunc_detail(size - o, int(raw[n])))
        else:
            stop = Stop(o, "truncated", trunc_detail(size - o))
    else:
        tail = int(ends[-1]) + 4
        if tail < size:  # fewer than 12 bytes left: a header being written
            stop = Stop(tail, "truncated", trunc_detail(size - tail))
    if verify and n and not _all_crcs_ok(buf, offs[:n], lengths[:n]):
        # find the first bad record exactly: headers (vectorised), then payloads
        bad = np.flatnonzero(_masked_crc_u64(lengths[:n].astype(np.uint64)) != u32[offs[:n] + 8])
        if len(bad):
            n = int(bad[0])
            stop = Stop(int(offs[n]), "corrupt", "corrupt record header (length CRC mismatch)")
        bad_at = _first_bad_data_crc(buf, offs[:n], lengths[:n])
        if bad_at is not None:
            n = bad_at
            stop = Stop(int(offs[n]), "corrupt", "corrupt record (data CRC mismatch)")
    return Framing(offs[:n] + 12, lengths[:n].copy(), size, stop)


# -- data CRCs of many records in one C call ----------------------------------------------------
#
# For CRC-32C, crc(M || le32(crc(M))) is the constant _RESIDUE for every M. We copy the records
# and rewrite the 16 bytes between two payloads (data CRC of the previous record, then the next
# record's header) as le32(unmasked stored CRC) followed by 12 constant bytes that bring the
# running CRC from _RESIDUE back to 0 (the state of an empty message). Then every payload is
# checked from the same state, and one google_crc32c call over the copy returns _RESIDUE if
# and only if every record's stored CRC matches (up to the 2**-32 chance that any CRC check
# has of accepting a damaged record). When it does not, the records are checked one by one to
# find the first bad one.

_RESIDUE = 0x48674BC7
_CHUNK = 32 * 1024 * 1024  # bytes copied at a time


def _bytes_to_zero(start: int) -> bytes:
    """12 bytes ``Z`` (8 zeros + 4 solved bytes) with ``crc32c.extend(start, Z) == 0``."""
    base = google_crc32c.extend(start, bytes(8))
    f0 = google_crc32c.extend(base, bytes(4))
    # extend(base, F) is affine in the 32 bits of F: solve L F = f0 over GF(2)
    cols = []
    for i in range(32):
        e = (1 << i).to_bytes(4, "little")
        cols.append(google_crc32c.extend(base, e) ^ f0)
    rows: list[tuple[int, int]] = []  # (column combination as a bitmask of F bits, value)
    basis: dict[int, tuple[int, int]] = {}
    for i, c in enumerate(cols):
        combo = 1 << i
        v = c
        for bit in sorted(basis, reverse=True):
            if v >> bit & 1:
                bv, bc = basis[bit]
                v ^= bv
                combo ^= bc
        if v:
            basis[v.bit_length() - 1] = (v, combo)
    target, sol = f0, 0
    for bit in sorted(basis, reverse=True):
        if target >> bit & 1:
            bv, bc = basis[bit]
            target ^= bv
            sol ^= bc
    assert target == 0 and not rows
    z = bytes(8) + sol.to_bytes(4, "little")
    assert google_crc32c.extend(start, z) == 0
    return z


_TO_ZERO_FROM_RESIDUE = np.frombuffer(_bytes_to_zero(_RESIDUE), dtype=np.uint8)
_TO_ZERO_FROM_ZERO = np.frombuffer(_bytes_to_zero(0), dtype=np.uint8)
_ZERO_HEAD = np.frombuffer(_TO_ZERO_FROM_RESIDUE[:8].tobytes(), dtype="<u8")[0]
_ZERO_TAIL = np.frombuffer(_TO_ZERO_FROM_RESIDUE[8:].tobytes(), dtype="<u4")[0]


def _solve4(start: int, target: int) -> bytes:
    """4 bytes ``F`` with ``crc32c.extend(start, F) == target`` (an affine map, solved in GF(2))."""
    f0 = google_crc32c.extend(start, bytes(4))
    basis: dict[int, tuple[int, int]] = {}  # leading bit -> (image, combination of F bits)
    for i in range(32):
        v = google_crc32c.extend(start, (1 << i).to_bytes(4, "little")) ^ f0
        combo = 1 << i
        for bit in sorted(basis, reverse=True):
            if v >> bit & 1:
                v ^= basis[bit][0]
                combo ^= basis[bit][1]
        if v:
            basis[v.bit_length() - 1] = (v, combo)
    want, sol = target ^ f0, 0
    for bit in sorted(basis, reverse=True):
        if want >> bit & 1:
            want ^= basis[bit][0]
            sol ^= basis[bit][1]
    out = sol.to_bytes(4, "little")
    assert want == 0 and google_crc32c.extend(start, out) == target
    return out


# Whole-record check in one pass: the 4-byte length-CRC slot gets unmask(stored) XOR D, which
# (when the stored CRC is right) takes the running CRC to 0 before the payload. Starting from 0
# (the first record of a chunk), len8 || crc(len8) ends at _RESIDUE, so D0 cancels _RESIDUE;
# starting from _RESIDUE (after the previous record), it ends at the constant _K2, cancelled
# by D. Both follow from crc being affine: the last 4 bytes enter through a fixed linear map.
_Z4 = google_crc32c.extend(0, bytes(4))
_K2 = google_crc32c.extend(_RESIDUE, bytes(8) + struct.pack("<I", google_crc32c.value(bytes(8))))
_D0 = int.from_bytes(_solve4(0, _RESIDUE ^ _Z4), "little")
_D = int.from_bytes(_solve4(0, _K2 ^ _Z4), "little")


def _all_crcs_ok(buf: bytes, offs: np.ndarray, lengths: np.ndarray) -> bool:
    """True when every record's length CRC and data CRC match (one C CRC pass per chunk)."""
    size = len(buf)
    u32 = _u32_at(buf, size)
    ends = offs + 12 + lengths
    i, n = 0, len(offs)
    while i < n:
        j = max(int(np.searchsorted(ends, offs[i] + _CHUNK, side="right")), i + 1)
        base = int(offs[i])
        chunk = np.frombuffer(buf, dtype=np.uint8, count=int(ends[j - 1]) + 4 - base, offset=base)
        chunk = chunk.copy()
        m = len(chunk)
        w32 = np.ndarray(shape=(m - 3,), dtype="<u4", buffer=chunk, strides=(1,))
        w32[ends[i:j] - base] = _unmask(u32[ends[i:j]])
        heads = offs[i:j] + 8
        w32[heads - base] = _unmask(u32[heads]) ^ np.uint32(_D)
        w32[8] = _unmask(u32[base + 8 : base + 9])[0] ^ np.uint32(_D0)
        if google_crc32c.value(chunk.tobytes()) != _RESIDUE:
            return False
        i = j
    return True


def _unmask(masked: np.ndarray) -> np.ndarray:
    x = masked - np.uint32(_MASK_DELTA)
    return (x << np.uint32(15)) | (x >> np.uint32(17))


def _first_bad_data_crc(buf: bytes, offs: np.ndarray, lengths: np.ndarray) -> int | None:
    """Index of the first record whose data CRC does not match, or None."""
    size = len(buf)
    u32 = _u32_at(buf, size)
    ends = offs + 12 + lengths  # where each data CRC is stored
    i = 0
    n = len(offs)
    while i < n:
        # records i..j-1 in one chunk of at most _CHUNK bytes (at least one record)
        j = int(np.searchsorted(ends, offs[i] + _CHUNK, side="right"))
        j = max(j, i + 1)
        base = int(offs[i])
        stop = int(ends[j - 1]) + 4
        chunk = np.frombuffer(buf, dtype=np.uint8, count=stop - base, offset=base).copy()
        m = len(chunk)
        w32 = np.ndarray(shape=(m - 3,), dtype="<u4", buffer=chunk, strides=(1,))
        w64 = np.ndarray(shape=(m - 7,), dtype="<u8", buffer=chunk, strides=(1,))
        w32[ends[i:j] - base] = _unmask(u32[ends[i:j]])
        chunk[:12] = _TO_ZERO_FROM_ZERO
        if j - i > 1:
            heads = offs[i + 1 : j] - base
            w64[heads] = _ZERO_HEAD
            w32[heads + 8] = _ZERO_TAIL
        if google_crc32c.value(chunk.tobytes()) != _RESIDUE:
            value = google_crc32c.value
            for k in range(i, j):
                s = int(offs[k]) + 12
                if _mask_int(value(buf[s : s + int(lengths[k])])) != int(u32[ends[k]]):
                    return k
        i = j
    return None


def _mask_int(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def trunc_detail(nbytes: int, claimed: int | None = None) -> str:
    if claimed is not None and claimed > nbytes:
        return (
            f"truncated record (its length field claims {claimed} byte(s), {nbytes} remain; "
            "a writer may still be appending)"
        )
    return "truncated record (the file ends inside it; a writer may still be appending)"


_EMPTY = np.zeros(0, dtype=np.int64)
