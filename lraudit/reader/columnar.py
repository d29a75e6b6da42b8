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

from lraudit.reader.decode import FileData, TagPoints, decode_records
from lraudit.reader.framing import Framing
from lraudit.reader.layouts import Chunk, match_layouts
from lraudit.reader.slots import (
    BIG_RECORD,
    PAD,
    byte_groups,
    fits,
    trailers,
    varint,
    view,
    walk_values,
)


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
        arr = np.zeros(size + PAD, dtype=np.uint8)
        arr[:size] = src
        return arr, starts
    # the bytes kept: from each record's header (12 bytes before it) to its footer, small only
    keep_len = np.where(big, 0, lengths + 16)
    new_starts = np.concatenate([[0], np.cumsum(keep_len)[:-1]]) + 12
    arr = np.zeros(int(keep_len.sum()) + PAD, dtype=np.uint8)
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
    big = lengths > BIG_RECORD
    arr, starts = _compact(buf, orig_starts, lengths, big)
    size = len(arr) - PAD
    buf = arr[:size]  # type: ignore[assignment]  # the records' bytes at ``starts``
    ends = starts + lengths
    slow = big.copy()  # records for the reference decoder

    # -- Event: wall_time, step, then a Summary that runs to the end of the record
    idx = np.arange(n)
    pos = starts.copy()
    ok = ~big & (lengths >= 9) & (arr[pos] == 0x09)
    wall_all = np.zeros(n)
    step_all = np.zeros(n, dtype=np.int64)
    wall_all[ok] = view(buf, size, "<f8", 8)[pos[ok] + 1]
    pos = pos + 9
    has_step = ok & (arr[pos] == 0x10)
    sv, sn, sok = varint(arr, pos + 1)
    step_all[has_step] = sv[has_step].view(np.int64)
    ok &= ~has_step | sok
    pos = pos + np.where(has_step, 1 + sn, 0)
    at_end = ok & (pos == ends)  # an Event with neither summary nor anything else
    key = arr[pos]
    sl, sln, slok = varint(arr, pos + 1)
    p = pos + 1 + sln
    summ = (
        ok & ~at_end & (key == 0x2A) & slok & fits(sl, p, ends) & (p + sl.astype(np.int64) == ends)
    )
    slow[~summ & ~at_end] = True
    nonempty = summ & (p < ends)
    cand = idx[nonempty]
    done, chunks = match_layouts(buf, arr, cand, p[cand], ends[cand])
    rec = cand[~done]
    rows = walk_values(buf, arr, rec, p[rec], ends[rec], slow).arrays()
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
        codes, names = byte_groups(buf, size, rows["ts"], rows["tl"])
        for b in names:
            try:
                code_tag.append(b.decode("utf-8"))
                tag_ok.append(True)
            except UnicodeDecodeError:
                code_tag.append("")
                tag_ok.append(False)
        meta_ok, meta_code, meta_name = trailers(buf, size, rows["trs"], rows["trl"])
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
