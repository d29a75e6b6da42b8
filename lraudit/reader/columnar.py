"""Columnar (numpy) decoding of event files: the fast path of :mod:`lraudit.reader.decode`.

The records of a window are decoded at once by walking the protobuf wire format with array
operations, for the layouts the writers produce (fields in field-number order)::

    Event   09 <f64 wall_time> [10 <varint step>] 2a <len> Summary
    Summary ( 0a <len> Value )*                 (any number of values: TF1 merge_all, Keras,
                                                 add_scalars, the OD API write several)
    Value   0a <len> <tag> ( 15 <f32 simple_value> | 42 <len> TensorProto ) [4a <len> metadata]*
    Tensor  08 <dtype> [12 00] ( 22 04|08 <content> | 2a 04 <f32> | 2d <f32> | 32 08 <f64> | 31 <f64> )

Values are walked slot by slot (the first value of every record, then the second, ...), so an
event with k values costs k vectorised passes, not k protobuf objects. Equal tags are grouped
by hashing their bytes (collisions are checked), so that the tag filter, the UTF-8 check and
the metadata decoding run once per *distinct* tag or metadata blob, not once per record.

Exactness: a record is decoded here only when its bytes have exactly the layout above; its
metadata blob (checked once per distinct blob with :func:`lraudit.reader.wire.validate`) holds
only metadata; its tag is valid UTF-8. Every other record (images, histograms, non-scalar
tensors, session logs, the file version, odd encodings, damaged bytes) goes to
:func:`lraudit.reader.decode.decode_records`, so the result equals
:func:`~lraudit.reader.decode.decode_protobuf` exactly, notes included (tested on mutations).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lraudit.reader import wire
from lraudit.reader.decode import FileData, TagPoints, decode_records
from lraudit.reader.framing import Framing
from lraudit.reader.layouts import Chunk, match_layouts

_U = np.uint64
_PAD = 64  # zero bytes after the buffer, so that header reads past a record's end are safe
# _WORD_MASKS[k] keeps the low k bytes of a little-endian uint64
_WORD_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype=_U)
_BIG_RECORD = 64 * 1024  # records longer than this are never scalar events: not copied
_PEEL_MAX = 32  # distinct keys grouped by repeated comparison before falling back to a sort


def _view(buf: bytes, size: int, dtype: str, width: int) -> np.ndarray:
    """Unaligned view: element ``i`` is the ``dtype`` value stored at byte ``i``."""
    return np.ndarray(shape=(max(size - width + 1, 0),), dtype=dtype, buffer=buf, strides=(1,))


def _varint(arr: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def _fits(length: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
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


def _byte_groups(
    buf: bytes, size: int, ts: np.ndarray, tl: np.ndarray
) -> tuple[np.ndarray, list[bytes]]:
    """Group equal byte strings ``buf[ts:ts+tl]``: ``codes`` and the distinct strings.

    Each string is read as 8-byte words (the last one masked to its length); equal
    (length, words) give the same code. A hash over the words assigns provisional codes, then
    every string is compared word by word with its group's first one, so a hash collision can
    only cost time (an exact fallback), never a wrong group.
    """
    u64 = _view(buf, size, "<u8", 8)
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


def _tensor_values(
    arr: np.ndarray, f32: np.ndarray, f64: np.ndarray, q: np.ndarray, vend: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """0-d DT_FLOAT / DT_DOUBLE tensors at ``q`` (key 0x42).

    Returns (ok, value, end of the tensor, position of the value's bytes, their width).
    """
    tv, tvn, tvok = _varint(arr, q + 1)
    t0 = q + 1 + tvn
    fine = tvok & _fits(tv, t0, vend)
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


def _walk_values(
    buf: bytes,
    arr: np.ndarray,
    rec: np.ndarray,
    cur: np.ndarray,
    sum_end: np.ndarray,
    slow: np.ndarray,
) -> _Rows:
    """Walk the values of the summaries of records ``rec`` (values start at ``cur``)."""
    size = len(buf)
    f32, f64 = _view(buf, size, "<f4", 4), _view(buf, size, "<f8", 8)
    rows = _Rows()
    slot = 0
    while len(rec):
        vl, vln, vok = _varint(arr, cur + 1)
        vs = cur + 1 + vln
        ok = (arr[cur] == 0x0A) & vok & _fits(vl, vs, sum_end)
        val_end = np.where(ok, vs + np.minimum(vl, _U(1 << 40)).astype(np.int64), vs)
        tl, tln, tok = _varint(arr, vs + 1)
        ts = vs + 1 + tln
        ok &= (arr[vs] == 0x0A) & tok & _fits(tl, ts, val_end)
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
            g, vt, t_end, tpos, tw = _tensor_values(arr, f32, f64, q[ti], val_end[ti])
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


def _trailers(
    buf: bytes, size: int, trs: np.ndarray, trl: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per row: is the bytes after the value only metadata (ok), has it any, its plugin name."""
    ok = np.ones(len(trs), dtype=bool)
    has = trl > 0
    idx = np.flatnonzero(has)
    if not len(idx):
        return ok, np.full(len(trs), -1, dtype=np.int64), []
    codes, blobs = _byte_groups(buf, size, trs[idx], trl[idx])
    blob_ok, blob_name = [], []
    for b in blobs:
        good, name = _metadata_only(b)
        blob_ok.append(good)
        blob_name.append(name)
    ok[idx] = np.array(blob_ok, dtype=bool)[codes]
    code_of_row = np.full(len(trs), -1, dtype=np.int64)
    code_of_row[idx] = codes
    return ok, code_of_row, blob_name


def _metadata_only(blob: bytes) -> tuple[bool, str]:
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


def _compact(
    buf: bytes, starts: np.ndarray, lengths: np.ndarray, big: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The bytes of the records not ``big``, zero-padded, and where each record starts there.

    Without large records this is the whole buffer (one copy); otherwise each run of
    consecutive small records is copied in turn (big records get an empty place).
    """
    size = len(buf)
    src = np.frombuffer(buf, dtype=np.uint8, count=size)
    if not big.any():
        arr = np.zeros(size + _PAD, dtype=np.uint8)
        arr[:size] = src
        return arr, starts
    # the bytes kept: from each record's header (12 bytes before it) to its footer, small only
    keep_len = np.where(big, 0, lengths + 16)
    new_starts = np.concatenate([[0], np.cumsum(keep_len)[:-1]]) + 12
    arr = np.zeros(int(keep_len.sum()) + _PAD, dtype=np.uint8)
    brk = np.flatnonzero(np.diff(big.astype(np.int8)) != 0) + 1
    for lo, hi in zip(np.r_[0, brk].tolist(), np.r_[brk, len(big)].tolist(), strict=True):
        if big[lo]:
            continue
        a, b = int(starts[lo]) - 12, int(starts[hi - 1] + lengths[hi - 1]) + 4
        d = int(new_starts[lo]) - 12
        if b - a != int(new_starts[hi - 1] + lengths[hi - 1]) + 4 - d:  # gaps (skipped bytes)
            for i in range(lo, hi):
                s, ln = int(starts[i]), int(lengths[i])
                arr[int(new_starts[i]) : int(new_starts[i]) + ln] = src[s : s + ln]
        else:
            arr[d : d + b - a] = src[a:b]
    return arr, new_starts.astype(starts.dtype)


def decode_columnar(
    buf: bytes, framing: Framing, want: Callable[[str], bool], path: str
) -> FileData:
    """Decode a framed file; same result as :func:`~lraudit.reader.decode.decode_protobuf`.

    Damaged records reinterpret arbitrary bytes as floats: casts of NaN or out-of-range values
    are expected there and give the same values as the reference decoder, without warnings.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        return _decode_columnar(buf, framing, want, path)


def _decode_columnar(
    buf: bytes, framing: Framing, want: Callable[[str], bool], path: str
) -> FileData:
    orig_buf, orig_starts, lengths = buf, framing.starts, framing.lengths
    n = len(orig_starts)
    fd = FileData(path=path, n_records=n)
    if n == 0:
        return fd
    # a padded copy of the records (header fields are read without bounds checks), leaving out
    # large ones (images, histograms: never scalars), so memory follows the scalars' bytes
    big = lengths > _BIG_RECORD
    arr, starts = _compact(buf, orig_starts, lengths, big)
    size = len(arr) - _PAD
    buf = arr[:size]  # type: ignore[assignment]  # the records' bytes at ``starts``
    ends = starts + lengths
    slow = big.copy()  # records for the reference decoder

    # -- Event: wall_time, step, then a Summary that runs to the end of the record
    idx = np.arange(n)
    pos = starts.copy()
    ok = ~big & (lengths >= 9) & (arr[pos] == 0x09)
    wall_all = np.zeros(n)
    step_all = np.zeros(n, dtype=np.int64)
    wall_all[ok] = _view(buf, size, "<f8", 8)[pos[ok] + 1]
    pos = pos + 9
    has_step = ok & (arr[pos] == 0x10)
    sv, sn, sok = _varint(arr, pos + 1)
    step_all[has_step] = sv[has_step].view(np.int64)
    ok &= ~has_step | sok
    pos = pos + np.where(has_step, 1 + sn, 0)
    at_end = ok & (pos == ends)  # an Event with neither summary nor anything else
    key = arr[pos]
    sl, sln, slok = _varint(arr, pos + 1)
    p = pos + 1 + sln
    summ = (
        ok & ~at_end & (key == 0x2A) & slok & _fits(sl, p, ends) & (p + sl.astype(np.int64) == ends)
    )
    slow[~summ & ~at_end] = True
    nonempty = summ & (p < ends)
    cand = idx[nonempty]
    done, chunks = match_layouts(buf, arr, cand, p[cand], ends[cand])
    rec = cand[~done]
    rows = _walk_values(buf, arr, rec, p[rec], ends[rec], slow).arrays()
    walk = _walk_tags(buf, size, rows, slow)

    # -- records for the reference decoder
    slow_idx = np.flatnonzero(slow)
    sub = FileData(path=path)
    slow_pts = decode_records(
        orig_buf, orig_starts[slow_idx], lengths[slow_idx], want, sub, order=slow_idx
    )
    fd.sessions = sub.sessions
    fd.notes += sub.notes
    fd.n_protobuf = len(slow_idx)

    _first_seen(fd, walk, chunks, sub)
    pieces = _walk_pieces(walk, slow_pts, want, step_all, wall_all)
    for ch in chunks:
        if want(ch.tag):
            r = ch.recs
            slot = np.full(len(r), ch.slot, dtype=np.int64)
            tens = np.full(len(r), ch.tensor, dtype=bool)
            piece = (r, slot, step_all[r], ch.values, wall_all[r], tens)
            pieces.setdefault(ch.tag, []).append(piece)
    for tag, ps in pieces.items():
        if len(ps) == 1:
            _r, _k, st, va, wa, te = ps[0]
        else:  # several slots or sources: back into (record, position) order
            cols = [np.concatenate([x[i] for x in ps]) for i in range(6)]
            o = np.lexsort((cols[1], cols[0]))
            _r, _k, st, va, wa, te = (c[o] for c in cols)
        fd.points[tag] = TagPoints(
            st.astype(np.int64),
            va.astype(np.float64),
            wa.astype(np.float64),
            bool(fd.tags.get(tag, bool(te[0]))),
        )
    return fd


class _WalkTags:
    """The slot walk's rows kept (records not sent to the reference decoder), with tag names."""

    def __init__(
        self,
        rows: dict[str, np.ndarray],
        keep: np.ndarray,
        codes: np.ndarray,
        meta_code: np.ndarray,
        code_tag: list[str],
        tag_ok: list[bool],
        meta_name: list[str],
    ) -> None:
        self.rec, self.slot = rows["rec"][keep], rows["slot"][keep]
        self.val, self.tens = rows["val"][keep], rows["tens"][keep]
        self.code, self.meta = codes[keep], meta_code[keep]
        self.code_tag, self.tag_ok, self.meta_name = code_tag, tag_ok, meta_name


def _walk_tags(buf: bytes, size: int, rows: dict[str, np.ndarray], slow: np.ndarray) -> _WalkTags:
    """Distinct tags (UTF-8 checked once each) and metadata blobs (validated once each) of the
    walk's rows; records with a bad one go to the reference decoder (``slow``)."""
    code_tag: list[str] = []
    tag_ok: list[bool] = []
    codes = np.zeros(0, dtype=np.int64)
    meta_code = np.zeros(0, dtype=np.int64)
    meta_name: list[str] = []
    if len(rows["rec"]):
        codes, names = _byte_groups(buf, size, rows["ts"], rows["tl"])
        for b in names:
            try:
                code_tag.append(b.decode("utf-8"))
                tag_ok.append(True)
            except UnicodeDecodeError:
                code_tag.append("")
                tag_ok.append(False)
        meta_ok, meta_code, meta_name = _trailers(buf, size, rows["trs"], rows["trl"])
        slow[rows["rec"][~np.array(tag_ok, dtype=bool)[codes] | ~meta_ok]] = True
    keep = ~slow[rows["rec"]] if len(rows["rec"]) else np.zeros(0, dtype=bool)
    return _WalkTags(rows, keep, codes, meta_code, code_tag, tag_ok, meta_name)


def _first_seen(fd: FileData, w: _WalkTags, chunks: list[Chunk], sub: FileData) -> None:
    """``fd.tags`` / ``fd.first`` / ``fd.plugins`` / ``fd.plugin_at``: first appearance of each
    tag and of its plugin name, in (record, position) order, over the three decoders."""
    first: dict[str, tuple[int, int, bool]] = {}
    meta: dict[str, tuple[int, int, str]] = {}

    def see(tag: str, key: tuple[int, int], tensor: bool) -> None:
        if tag not in first or key < first[tag][:2]:
            first[tag] = (*key, tensor)

    def see_plugin(tag: str, key: tuple[int, int], plugin: str) -> None:
        if plugin and (tag not in meta or key < meta[tag][:2]):
            meta[tag] = (*key, plugin)

    order = np.lexsort((w.slot, w.rec))
    if len(order):
        c_sorted = w.code[order]
        uc, at = np.unique(c_sorted, return_index=True)
        for c, i in zip(uc.tolist(), at.tolist(), strict=True):
            j = int(order[i])
            see(w.code_tag[c], (int(w.rec[j]), int(w.slot[j])), bool(w.tens[j]))
        named = np.array([bool(nm) for nm in w.meta_name] + [False], dtype=bool)[w.meta[order]]
        mo = order[named]
        uc, at = np.unique(w.code[mo], return_index=True)
        for c, i in zip(uc.tolist(), at.tolist(), strict=True):
            j = int(mo[i])
            key = (int(w.rec[j]), int(w.slot[j]))
            see_plugin(w.code_tag[c], key, w.meta_name[int(w.meta[j])])
    for ch in chunks:
        if len(ch.recs):
            see(ch.tag, (int(ch.recs[0]), ch.slot), ch.tensor)
            see_plugin(ch.tag, (int(ch.recs[0]), ch.slot), ch.plugin)
    for seq, (tag, is_t) in enumerate(sub.tags.items()):
        see(tag, (sub.first[tag], seq), is_t)
    for seq, (tag, name) in enumerate(sub.plugins.items()):
        see_plugin(tag, (sub.plugin_at[tag], seq), name)
    fd.tags = {t: first[t][2] for t in sorted(first, key=lambda t: first[t][:2])}
    fd.first = {t: first[t][0] for t in fd.tags}
    fd.plugins = {t: meta[t][2] for t in sorted(meta, key=lambda t: meta[t][:2])}
    fd.plugin_at = {t: meta[t][0] for t in fd.plugins}


_Piece = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _walk_pieces(
    w: _WalkTags,
    slow_pts: list[tuple[int, str, int, float, float, bool]],
    want: Callable[[str], bool],
    step_all: np.ndarray,
    wall_all: np.ndarray,
) -> dict[str, list[_Piece]]:
    """Points of the wanted tags from the walk and the reference decoder, per tag:
    ``(record, position, step, value, wall time, tensor)`` in (record, position) order."""
    code_tag = list(w.code_tag)
    wanted = np.array(
        [w.tag_ok[c] and want(code_tag[c]) for c in range(len(code_tag))] + [False], dtype=bool
    )
    sel = wanted[w.code] if len(w.code) else np.zeros(0, dtype=bool)
    if not sel.any() and not slow_pts:
        return {}
    rec, sub_key, tag_code = w.rec[sel], w.slot[sel], w.code[sel]
    f_step, f_wall = step_all[rec], wall_all[rec]
    f_val, f_tens = w.val[sel], w.tens[sel]
    if slow_pts:
        code_of = {t: i for i, t in enumerate(code_tag) if w.tag_ok[i]}
        for t in sorted({x[1] for x in slow_pts} - set(code_of)):
            code_of[t] = len(code_tag)
            code_tag.append(t)
        rec = np.concatenate([rec, np.array([x[0] for x in slow_pts], dtype=np.int64)])
        sub_key = np.concatenate([sub_key, np.arange(len(slow_pts), dtype=np.int64)])
        s_code = np.array([code_of[x[1]] for x in slow_pts], dtype=np.int64)
        tag_code = np.concatenate([tag_code, s_code])
        f_step = np.concatenate([f_step, np.array([x[2] for x in slow_pts], dtype=np.int64)])
        f_val = np.concatenate([f_val, np.array([x[3] for x in slow_pts], dtype=np.float64)])
        f_wall = np.concatenate([f_wall, np.array([x[4] for x in slow_pts], dtype=np.float64)])
        f_tens = np.concatenate([f_tens, np.array([x[5] for x in slow_pts], dtype=bool)])
    order = np.lexsort((sub_key, rec, tag_code))
    bounds = np.flatnonzero(np.diff(tag_code[order])) + 1
    out: dict[str, list[_Piece]] = {}
    for g in np.split(order, bounds):
        if len(g):
            tag = code_tag[int(tag_code[g[0]])]
            out[tag] = [(rec[g], sub_key[g], f_step[g], f_val[g], f_wall[g], f_tens[g])]
    return out
