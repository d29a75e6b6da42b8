"""Columnar (numpy) decoding of event files: the fast path of :mod:`lraudit.reader.decode`.

All records of a file are decoded at once by walking the protobuf wire format with array
operations, for the layout every PyTorch-side writer and TF2 use (fields in field-number order,
one value per event)::

    Event   09 <f64 wall_time> [10 <varint step>] 2a <len> Summary
    Summary 0a <len> Value                      (exactly one Value)
    Value   0a <len> <tag> ( 15 <f32 simple_value> | 42 <len> TensorProto ) [4a <len> metadata]
    Tensor  08 <dtype> [12 00] ( 22 04|08 <content> | 2a 04 <f32> | 2d <f32> | 32 08 <f64> | 31 <f64> )

Tags are identified by hashing their bytes (collisions are checked) so that only the records
of wanted tags have their values read. Image, histogram and audio values, non-scalar tensors
(e.g. TF2 images, text), graphs and run metadata are recognised by their field key or shape and
skipped without being decoded. Records of any other layout (TF1 merged summaries, events
without a wall time, session logs, half-precision tensors, ...) are decoded by
:func:`lraudit.reader.decode.decode_records` (protobuf), so the result equals
:func:`~lraudit.reader.decode.decode_protobuf` exactly (tested).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from lraudit.reader.decode import FileData, TagPoints, decode_records
from lraudit.reader.framing import Framing

_U = np.uint64
_PAD = 64  # zero bytes after the buffer, so that header reads past a record's end are safe
# _WORD_MASKS[k] keeps the low k bytes of a little-endian uint64
_WORD_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype=_U)


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


class _Walk:
    """Positions of the records still on the fast path (``idx`` into the record arrays)."""

    def __init__(self, idx: np.ndarray, pos: np.ndarray) -> None:
        self.idx, self.pos = idx, pos

    def keep(self, mask: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, ...]:
        if mask.all():  # the common case: every record still has the expected layout
            return others
        self.idx, self.pos = self.idx[mask], self.pos[mask]
        return tuple(o[mask] for o in others)


def _tag_ids(
    buf: bytes, size: int, ts: np.ndarray, tl: np.ndarray
) -> tuple[np.ndarray, list[bytes]]:
    """Group equal tags: ``codes`` (per record) and the distinct tag bytes, by hashing.

    Each tag is read as 8-byte words (the last one masked to the tag's length); equal
    (length, words) give the same code. A hash over the words assigns provisional codes, then
    every record is compared word by word with its group's first record, so a hash collision
    can only cost time (an exact fallback), never a wrong tag.
    """
    u64 = _view(buf, size, "<u8", 8)
    arr = np.frombuffer(buf, dtype=np.uint8, count=size)
    nwords = int((tl.max() + 7) // 8) if len(tl) else 0
    words = []
    h = tl.astype(_U) * _U(0x9E3779B97F4A7C15)
    for j in range(nwords):
        start = ts + 8 * j
        rem = tl - 8 * j
        # near the end of the buffer an 8-byte read may not fit: read bytes one by one there
        w = u64[np.minimum(start, size - 8)]
        for i in np.flatnonzero(start + 8 > size).tolist():  # the last bytes of the buffer
            chunk = bytes(arr[start[i] : min(start[i] + 8, size)])
            w[i] = int.from_bytes(chunk.ljust(8, b"\0"), "little")
        w &= _WORD_MASKS[np.clip(rem, 0, 8)]
        words.append(w)
        h = (h ^ w) * _U(0x100000001B3) + _U(j + 1)
    codes, uniq = pd.factorize(h)
    codes = np.asarray(codes, dtype=np.int64)
    first = np.zeros(len(uniq), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # first record of each code
    same = tl == tl[first[codes]]
    for w in words:
        same &= w == w[first[codes]]
    if not same.all():  # hash collision: group exactly on the full key instead
        key = np.stack([tl.astype(_U), *words], axis=1)
        _, first_u, codes = np.unique(key, axis=0, return_index=True, return_inverse=True)
        codes = codes.reshape(-1).astype(np.int64)
        first = first_u.astype(np.int64)
    names = [bytes(arr[ts[i] : ts[i] + tl[i]]) for i in first.tolist()]
    return codes, names


def decode_columnar(
    buf: bytes, framing: Framing, want: Callable[[str], bool], path: str
) -> FileData:
    """Decode a framed file; same result as :func:`~lraudit.reader.decode.decode_protobuf`."""
    size = len(buf)
    starts, lengths = framing.starts, framing.lengths
    n = len(starts)
    fd = FileData(path=path, n_records=n)
    if n == 0:
        return fd
    # a padded copy: header fields are read without bounds checks (positions stay < size + _PAD)
    arr = np.zeros(size + _PAD, dtype=np.uint8)
    arr[:size] = np.frombuffer(buf, dtype=np.uint8, count=size)
    ends = starts + lengths
    slow = np.zeros(n, dtype=bool)  # records for protobuf

    # -- Event: wall_time, step, then the `what` field
    w = _Walk(np.arange(n), starts.copy())
    ok = (lengths >= 9) & (arr[w.pos] == 0x09)
    slow[w.idx[~ok]] = True
    w.keep(ok)
    wall = _view(buf, size, "<f8", 8)[w.pos + 1]
    w.pos = w.pos + 9
    has_step = arr[w.pos] == 0x10
    sv, sn, sok = _varint(arr, w.pos + 1)
    step = np.where(has_step, sv, _U(0)).view(np.int64)
    bad = has_step & ~sok
    slow[w.idx[bad]] = True
    (wall, step, has_step, sn) = w.keep(~bad, wall, step, has_step, sn)
    w.pos = w.pos + np.where(has_step, 1 + sn, 0)
    key = arr[np.minimum(w.pos, size)]
    at_end = w.pos >= ends[w.idx]
    # session logs (and anything unexpected) go to protobuf; file_version, graph_def,
    # log_message, tagged_run_metadata, meta_graph_def, source_metadata are not needed
    to_slow = ~at_end & ~np.isin(key, (0x2A, 0x1A, 0x22, 0x32, 0x42, 0x4A, 0x52))
    slow[w.idx[to_slow]] = True
    is_summary = ~at_end & (key == 0x2A)
    (wall, step) = w.keep(is_summary, wall, step)

    # -- Summary: exactly one Value
    sl, sln, sok = _varint(arr, w.pos + 1)
    p = w.pos + 1 + sln
    sum_end = p + sl.astype(np.int64)
    rec_end = ends[w.idx]
    ok = sok & (sum_end == rec_end) & (arr[p] == 0x0A)
    vl, vln, vok = _varint(arr, p + 1)
    val_end = p + 1 + vln + vl.astype(np.int64)
    ok &= vok & (val_end == sum_end)
    empty = sok & (sum_end == rec_end) & (sl == 0)  # an empty Summary: nothing to read
    slow[w.idx[~ok & ~empty]] = True
    w.pos = p + 1 + vln
    (wall, step, val_end) = w.keep(ok, wall, step, val_end)

    # -- Value: tag, then the value field
    tl, tln, tok = _varint(arr, w.pos + 1)
    ts = w.pos + 1 + tln
    ok = (arr[w.pos] == 0x0A) & tok & (ts + tl.astype(np.int64) <= val_end)
    slow[w.idx[~ok]] = True
    (wall, step, val_end, ts, tl) = w.keep(ok, wall, step, val_end, ts, tl)
    tl = tl.astype(np.int64)
    q = ts + tl  # <= val_end <= size
    vkey = arr[q]
    inside = q < val_end
    simple = (vkey == 0x15) & (q + 5 <= val_end)
    tensor = (vkey == 0x42) & inside
    # image (0x22), histo (0x2a), audio (0x32), obsolete old-style histogram (0x1a): not scalars
    skip = np.isin(vkey, (0x1A, 0x22, 0x2A, 0x32)) & inside
    other = ~simple & ~tensor & ~skip
    slow[w.idx[other]] = True

    values = np.full(len(q), np.nan)
    f32 = _view(buf, size, "<f4", 4)
    f64 = _view(buf, size, "<f8", 8)
    si = np.flatnonzero(simple)
    values[si] = f32[q[si] + 1]
    meta_at = np.where(simple, q + 5, val_end)
    got = np.zeros(len(q), dtype=bool)

    # -- TensorProto of a 0-d float/double tensor (only the records holding a tensor)
    ti = np.flatnonzero(tensor)
    if len(ti):
        qt, vend = q[ti], val_end[ti]
        tv, tvn, tvok = _varint(arr, qt + 1)
        t0 = qt + 1 + tvn
        t_end = t0 + tv.astype(np.int64)
        fine = tvok & (t_end <= vend)
        dtype = arr[t0 + 1]
        tensor_ok = fine & (arr[t0] == 0x08)
        # DT_HALF and DT_BFLOAT16: rare, decoded by protobuf
        slow[w.idx[ti[tensor_ok & ((dtype == 19) | (dtype == 14))]]] = True
        is_float = tensor_ok & ((dtype == 1) | (dtype == 2))
        r = t0 + 2
        shape_key, shape_len = arr[r], arr[r + 1]
        empty_shape = (shape_key == 0x12) & (shape_len == 0)
        ranked = (shape_key == 0x12) & (shape_len != 0)  # dims (or an odd shape)
        r = np.where(empty_shape, r + 2, r)
        fk, fl = arr[r], arr[r + 1]
        is_f = dtype == 1
        g = np.zeros(len(ti), dtype=bool)
        vt = np.full(len(ti), np.nan)
        # (field key, length byte or None, payload offset, width): the value encodings we read
        for fkey, flen, off, width in (
            (0x22, 4, 2, 4),  # tensor_content, DT_FLOAT
            (0x22, 8, 2, 8),  # tensor_content, DT_DOUBLE
            (0x2A, 4, 2, 4),  # float_val, packed
            (0x2D, None, 1, 4),  # float_val, unpacked
            (0x32, 8, 2, 8),  # double_val, packed
            (0x31, None, 1, 8),  # double_val, unpacked
        ):
            m = is_float & ~ranked & (fk == fkey) & (is_f == (width == 4))
            if flen is not None:
                m &= fl == flen
            m &= r + off + width == t_end
            if m.any():
                vt[m] = (f32 if width == 4 else f64)[r[m] + off]
                g |= m
        # A float tensor in another layout (e.g. version_number set) and small ranked ones (an
        # odd shape proto may still be rank 0) go to protobuf; non-float dtypes and larger
        # ranked tensors (histograms, images) are not scalars and are skipped, as protobuf
        # decoding would skip them.
        odd = is_float & ~g & (~ranked | (t_end - t0 <= 64))
        slow[w.idx[ti[odd]]] = True
        values[ti[g]] = vt[g]
        meta_at[ti[g]] = t_end[g]
        got[ti] = g

    cand = simple | got
    (wall, step, val_end, ts, tl, values, meta_at, tens) = w.keep(
        cand, wall, step, val_end, ts, tl, values, meta_at, got
    )
    has_meta = meta_at < val_end

    # -- group by tag; decide plugin and wanted-ness per distinct tag
    fast_tags: dict[str, tuple[int, bool]] = {}  # tag -> (first record index, tensor)
    first_meta: dict[str, int] = {}
    sel = np.zeros(len(ts), dtype=bool)
    code_tag: list[str] = []
    if len(ts):
        codes, names = _tag_ids(buf, size, ts, tl)
        code_tag = [b.decode("utf-8", "replace") for b in names]
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        groups = np.split(order, bounds)
        for g in groups:
            c = int(codes[g[0]])
            tag = code_tag[c]
            fast_tags[tag] = (int(w.idx[g[0]]), bool(tens[g[0]]))
            mg = g[has_meta[g]]
            if len(mg):
                first_meta[tag] = int(mg[0])
            if want(tag):
                sel[g] = True

    # -- records for protobuf: decode them, then interleave with the fast points by record index
    slow_idx = np.flatnonzero(slow)
    sub = FileData(path=path)
    slow_pts = decode_records(buf, starts[slow_idx], lengths[slow_idx], want, sub, order=slow_idx)
    fd.sessions = sub.sessions
    fd.notes += sub.notes
    fd.n_protobuf = len(slow_idx)

    # tags and plugins: the first appearance in record order decides (as protobuf decoding)
    first: dict[str, tuple[int, bool]] = {t: fast_tags[t] for t in fast_tags}
    for tag, is_t in sub.tags.items():
        k = sub.first[tag]
        if tag not in first or k < first[tag][0]:
            first[tag] = (k, is_t)
    fd.tags = {t: first[t][1] for t in sorted(first, key=lambda t: first[t][0])}
    fd.first = {t: first[t][0] for t in fd.tags}
    meta: dict[str, tuple[int, str]] = {}
    if first_meta:
        recs = np.array([w.idx[i] for i in first_meta.values()], dtype=np.int64)
        probe = FileData(path=path)
        decode_records(buf, starts[recs], lengths[recs], lambda _t: False, probe, order=recs)
        for tag, k in probe.plugin_at.items():
            meta[tag] = (k, probe.plugins[tag])
    for tag, name in sub.plugins.items():
        k = sub.plugin_at[tag]
        if tag not in meta or k < meta[tag][0]:
            meta[tag] = (k, name)
    fd.plugins = {t: meta[t][1] for t in sorted(meta, key=lambda t: meta[t][0])}
    fd.plugin_at = {t: meta[t][0] for t in fd.plugins}

    # points
    if sel.any() or slow_pts:
        rec = w.idx[sel]
        tag_code = codes[sel] if len(ts) else np.zeros(0, dtype=np.int64)
        f_step, f_val, f_wall, f_tens = step[sel], values[sel], wall[sel], tens[sel]
        if slow_pts:
            extra_tags = {t for _, t, *_ in slow_pts}
            for t in sorted(extra_tags - set(code_tag)):
                code_tag.append(t)
            code_of = {t: i for i, t in enumerate(code_tag)}
            s_rec = np.array([x[0] for x in slow_pts], dtype=np.int64)
            s_code = np.array([code_of[x[1]] for x in slow_pts], dtype=np.int64)
            rec = np.concatenate([rec, s_rec])
            tag_code = np.concatenate([tag_code, s_code])
            f_step = np.concatenate([f_step, np.array([x[2] for x in slow_pts], dtype=np.int64)])
            f_val = np.concatenate([f_val, np.array([x[3] for x in slow_pts], dtype=np.float64)])
            f_wall = np.concatenate([f_wall, np.array([x[4] for x in slow_pts], dtype=np.float64)])
            f_tens = np.concatenate([f_tens, np.array([x[5] for x in slow_pts], dtype=bool)])
        # stable by record: points of one merged event keep their order within the event
        order = np.lexsort((np.arange(len(rec)), rec, tag_code))
        tc = tag_code[order]
        bounds = np.flatnonzero(np.diff(tc)) + 1
        for g in np.split(order, bounds):
            if len(g) == 0:
                continue
            tag = code_tag[int(tag_code[g[0]])]
            fd.points[tag] = TagPoints(
                f_step[g].astype(np.int64),
                f_val[g].astype(np.float64),
                f_wall[g].astype(np.float64),
                bool(fd.tags.get(tag, f_tens[g[0]])),
            )
    return fd
