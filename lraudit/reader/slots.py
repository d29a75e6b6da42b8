"""The slot walk of the columnar decoder: array operations over the protobuf wire format.

Shared by :mod:`lraudit.reader.columnar` (the decoder) and :mod:`lraudit.reader.layouts` (the
repeated-layout fast path): reading varints and fixed-width fields at many offsets at once,
grouping equal byte strings, and walking the values of a summary slot by slot (see the
layout in :mod:`lraudit.reader.columnar`).
"""

from __future__ import annotations

import numpy as np

from lraudit.reader import wire

_U = np.uint64
PAD = 64  # zero bytes after the buffer, so that header reads past a record's end are safe
# _WORD_MASKS[k] keeps the low k bytes of a little-endian uint64
_WORD_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype=_U)
BIG_RECORD = 64 * 1024  # records longer than this are never scalar events: not copied
_PEEL_MAX = 32  # distinct keys grouped by repeated comparison before falling back to a sort


def view(buf: bytes, size: int, dtype: str, width: int) -> np.ndarray:
    """Unaligned view: element ``i`` is the ``dtype`` value stored at byte ``i``."""
    return np.ndarray(shape=(max(size - width + 1, 0),), dtype=dtype, buffer=buf, strides=(1,))


def varint(arr: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode one varint at each position ``p`` of the padded ``arr``: (value, length, ok)."""
    b = arr[p]
    val = (b & 0x7F).astype(_U)
    n = np.ones(len(p), dtype=np.int64)
    idx = np.flatnonzero(b & 0x80)  # only the longer varints take another round
    for k in range(1, 10):
        if len(idx) == 0:
            break
        bb = arr[p[idx] + k]
        val[idx] |= (bb & 0x7F).astype(_U) << _U(7 * k)
        n[idx] = k + 1
        idx = idx[(bb & 0x80) != 0]
    ok = np.ones(len(p), dtype=bool)
    ok[idx] = False  # still continuing after 10 bytes: malformed
    return val, n, ok


def fits(length: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """``start + length <= end`` without int64 overflow (``length`` is a uint64 varint)."""
    room = np.maximum(end - start, 0).astype(_U)
    return (start <= end) & (length <= room)


def first_seen_codes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of equal keys in order of first appearance, and the first index of each code.

    Few distinct keys (the usual case: a handful of tags) are peeled off one at a time by
    comparison, which keeps first-seen order for free; many (a key that is rare, or more than
    :data:`_PEEL_MAX`) are grouped by ``np.unique`` and renumbered by first index.

    >>> first_seen_codes(np.array([7, 3, 7, 9, 3], dtype=np.uint64))[0].tolist()
    [0, 1, 0, 2, 1]
    """
    n = len(keys)
    codes = np.empty(n, dtype=np.int64)
    rem = np.arange(n)
    firsts: list[int] = []
    while len(rem) and len(firsts) < _PEEL_MAX:
        i = int(rem[0])
        m = keys[rem] == keys[i]
        codes[rem[m]] = len(firsts)
        firsts.append(i)
        few = int(m.sum()) * 64 < len(rem)  # many distinct keys: a sort is cheaper
        rem = rem[~m]
        if few:
            break
    if not len(rem):
        return codes, np.array(firsts, dtype=np.int64)
    _, first_u, inv = np.unique(keys[rem], return_index=True, return_inverse=True)
    rank = np.argsort(first_u, kind="stable")
    renum = np.empty(len(rank), dtype=np.int64)
    renum[rank] = np.arange(len(rank)) + len(firsts)
    codes[rem] = renum[inv.reshape(-1)]
    return codes, np.concatenate([np.array(firsts, dtype=np.int64), rem[first_u[rank]]])


def byte_groups(
    buf: bytes, size: int, ts: np.ndarray, tl: np.ndarray
) -> tuple[np.ndarray, list[bytes]]:
    """Group equal byte strings ``buf[ts:ts+tl]``: ``codes`` and the distinct strings.

    Each string is read as 8-byte words (the last one masked to its length); equal
    (length, words) give the same code. A hash over the words assigns provisional codes, then
    every string is compared word by word with its group's first one, so a hash collision can
    only cost time (an exact fallback), never a wrong group.
    """
    u64 = view(buf, size, "<u8", 8)
    arr = np.frombuffer(buf, dtype=np.uint8, count=size)
    nwords = int((tl.max() + 7) // 8) if len(tl) else 0
    words = []
    h = tl.astype(_U) * _U(0x9E3779B97F4A7C15)
    for j in range(nwords):
        start = ts + 8 * j
        rem = tl - 8 * j
        live = rem > 0
        # near the end of the buffer an 8-byte read may not fit: read bytes one by one there
        w = u64[np.clip(start, 0, max(size - 8, 0))] if size >= 8 else np.zeros(len(ts), _U)
        for i in np.flatnonzero(live & (start + 8 > size)).tolist():
            chunk = bytes(arr[start[i] : min(start[i] + 8, size)])
            w[i] = int.from_bytes(chunk.ljust(8, b"\0"), "little")
        w &= _WORD_MASKS[np.clip(rem, 0, 8)]
        words.append(w)
        h = (h ^ w) * _U(0x100000001B3) + _U(j + 1)
    codes, first = first_seen_codes(h)
    same = tl == tl[first[codes]]
    for w in words:
        same &= w == w[first[codes]]
    if not same.all():  # hash collision: group exactly on the full key instead
        key = np.stack([tl.astype(_U), *words], axis=1)
        _, first_u, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
        rank = np.argsort(first_u, kind="stable")
        renum = np.empty(len(rank), dtype=np.int64)
        renum[rank] = np.arange(len(rank))
        codes = renum[inv.reshape(-1)]
        first = first_u[rank].astype(np.int64)
    names = [bytes(arr[ts[i] : ts[i] + tl[i]]) for i in first.tolist()]
    return codes, names


class _Rows:
    """Scalar values found by the slot walk (one row per value)."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {
            k: [] for k in ("rec", "slot", "ts", "tl", "val", "tens", "trs", "trl", "vpos", "vw")
        }

    def add(self, **cols: np.ndarray) -> None:
        for k, v in cols.items():
            self.parts[k].append(v)

    def arrays(self) -> dict[str, np.ndarray]:
        dt = {"val": np.float64, "tens": bool}
        return {
            k: np.concatenate(v) if v else np.zeros(0, dtype=dt.get(k, np.int64))
            for k, v in self.parts.items()
        }


def tensor_values(
    arr: np.ndarray, f32: np.ndarray, f64: np.ndarray, q: np.ndarray, vend: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """0-d DT_FLOAT / DT_DOUBLE tensors at ``q`` (key 0x42).

    Returns (ok, value, end of the tensor, position of the value's bytes, their width).
    """
    tv, tvn, tvok = varint(arr, q + 1)
    t0 = q + 1 + tvn
    fine = tvok & fits(tv, t0, vend)
    t_end = np.where(fine, t0 + np.minimum(tv, _U(1 << 40)).astype(np.int64), vend)
    dtype = arr[t0 + 1]
    is_float = fine & (arr[t0] == 0x08) & ((dtype == 1) | (dtype == 2))
    r = t0 + 2
    empty_shape = (arr[r] == 0x12) & (arr[r + 1] == 0)
    r = np.where(empty_shape, r + 2, r)
    fk, fl = arr[r], arr[r + 1]
    is_f = dtype == 1
    g = np.zeros(len(q), dtype=bool)
    vt = np.full(len(q), np.nan)
    vpos = np.zeros(len(q), dtype=np.int64)
    vw = np.zeros(len(q), dtype=np.int64)
    # (field key, length byte or None, payload offset, width): the value encodings read here
    for fkey, flen, off, width in (
        (0x22, 4, 2, 4),  # tensor_content, DT_FLOAT
        (0x22, 8, 2, 8),  # tensor_content, DT_DOUBLE
        (0x2A, 4, 2, 4),  # float_val, packed
        (0x2D, None, 1, 4),  # float_val, unpacked
        (0x32, 8, 2, 8),  # double_val, packed
        (0x31, None, 1, 8),  # double_val, unpacked
    ):
        m = is_float & (fk == fkey) & (is_f == (width == 4)) & (r + off + width == t_end)
        if flen is not None:
            m &= fl == flen
        if m.any():
            vpos[m] = r[m] + off
            vw[m] = width
            vt[m] = (f32 if width == 4 else f64)[vpos[m]]
            g |= m
    return g, vt, t_end, vpos, vw


def walk_values(
    buf: bytes,
    arr: np.ndarray,
    rec: np.ndarray,
    cur: np.ndarray,
    sum_end: np.ndarray,
    slow: np.ndarray,
) -> _Rows:
    """Walk the values of the summaries of records ``rec`` (values start at ``cur``)."""
    size = len(buf)
    f32, f64 = view(buf, size, "<f4", 4), view(buf, size, "<f8", 8)
    rows = _Rows()
    slot = 0
    while len(rec):
        vl, vln, vok = varint(arr, cur + 1)
        vs = cur + 1 + vln
        ok = (arr[cur] == 0x0A) & vok & fits(vl, vs, sum_end)
        val_end = np.where(ok, vs + np.minimum(vl, _U(1 << 40)).astype(np.int64), vs)
        tl, tln, tok = varint(arr, vs + 1)
        ts = vs + 1 + tln
        ok &= (arr[vs] == 0x0A) & tok & fits(tl, ts, val_end)
        tl = np.where(ok, np.minimum(tl, _U(1 << 40)).astype(np.int64), 0)
        q = ts + tl
        vkey = arr[q]
        simple = ok & (vkey == 0x15) & (q + 5 <= val_end)
        tensor = ok & (vkey == 0x42) & (q < val_end)
        values = np.full(len(rec), np.nan)
        trs = np.where(simple, q + 5, val_end)
        si = np.flatnonzero(simple)
        values[si] = f32[q[si] + 1]
        vpos = q + 1
        vw = np.full(len(rec), 4, dtype=np.int64)
        ti = np.flatnonzero(tensor)
        got = simple.copy()
        if len(ti):
            g, vt, t_end, tpos, tw = tensor_values(arr, f32, f64, q[ti], val_end[ti])
            values[ti[g]] = vt[g]
            trs[ti[g]] = t_end[g]
            vpos[ti[g]] = tpos[g]
            vw[ti[g]] = tw[g]
            got[ti[g]] = True
        # anything else (images, histograms, ranked or odd tensors, damage): record-level slow
        slow[rec[~got]] = True
        k = np.flatnonzero(got)
        rows.add(
            rec=rec[k],
            slot=np.full(len(k), slot, dtype=np.int64),
            ts=ts[k],
            tl=tl[k],
            val=values[k],
            tens=tensor[k],
            trs=trs[k],
            trl=val_end[k] - trs[k],
            vpos=vpos[k],
            vw=vw[k],
        )
        more = got & (val_end < sum_end)
        rec, cur, sum_end = rec[more], val_end[more], sum_end[more]
        slot += 1
    return rows


def trailers(
    buf: bytes, size: int, trs: np.ndarray, trl: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per row: is the bytes after the value only metadata (ok), has it any, its plugin name."""
    ok = np.ones(len(trs), dtype=bool)
    has = trl > 0
    idx = np.flatnonzero(has)
    if not len(idx):
        return ok, np.full(len(trs), -1, dtype=np.int64), []
    codes, blobs = byte_groups(buf, size, trs[idx], trl[idx])
    blob_ok, blob_name = [], []
    for b in blobs:
        good, name = metadata_only(b)
        blob_ok.append(good)
        blob_name.append(name)
    ok[idx] = np.array(blob_ok, dtype=bool)[codes]
    code_of_row = np.full(len(trs), -1, dtype=np.int64)
    code_of_row[idx] = codes
    return ok, code_of_row, blob_name


def metadata_only(blob: bytes) -> tuple[bool, str]:
    """Whether ``blob`` (the end of a Value) is only ``metadata`` fields, and its plugin name."""
    try:
        wire.validate(blob, 0, len(blob), "Value", 3)
        parts = []
        for num, wt, _v, s, e in wire._fields(blob, 0, len(blob), 3):
            if num != 9 or wt != 2:
                return False, ""
            parts.append(blob[s:e])
        meta = b"".join(parts)
        return True, wire._plugin_name(meta, 0, len(meta))
    except wire.WireError:
        return False, ""
