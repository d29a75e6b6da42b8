"""Record layouts: decode the records of a file that repeat one summary byte-for-byte.

A training loop writes the same summary over and over: the same tags, value encodings and
metadata, in the same order; only the numbers change (TF1 ``merge_all``, Keras, ``add_scalars``,
the OD API, and one-value events alike). A *layout* is the summary bytes of one record with
holes where its values' bytes are. Records whose summary has the layout's length and equals it
outside the holes are decoded by reading each value at its offset: one vectorised comparison
per 8 bytes of summary, one read per value, whatever the number of values per event.

Exactness: the layout is taken from a record that the slot walk of
:mod:`lraudit.reader.columnar` accepts on its own (tags valid UTF-8, metadata valid, values
scalar). Every decision of that walk depends only on the summary's bytes outside the values'
bytes (a value is a fixed-width float: every bit pattern is valid), so a record equal to the
layout outside the holes decodes to the same tags, kinds and metadata, with its own values.
The Event header (wall time, step) is decoded for every record by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lraudit.reader.slots import metadata_only, walk_values

_MAX_LAYOUTS = 32  # layouts used per window (each costs one pass over the records left)
_MAX_MISSES = 64  # records tried as a layout and found not to be one (images, damage, ...)
_MAX_SMALL = 3  # layouts in a row that matched few records (many tags: the walk is cheaper)
_MAX_WORDS = 64  # summaries longer than 512 bytes are left to the slot walk


@dataclass
class Chunk:
    """The values of one slot of one layout: ``tag`` at value position ``slot`` of ``recs``."""

    tag: str
    slot: int
    recs: np.ndarray
    values: np.ndarray
    tensor: bool
    plugin: str


def _layout_of(
    buf: bytes, arr: np.ndarray, r0: int, p0: int, e0: int
) -> list[tuple[str, int, int, bool, str]] | None:
    """``(tag, value offset, width, tensor, plugin)`` per value of record ``r0``'s summary
    ``buf[p0:e0]``, or None when the slot walk would not decode that record by itself."""
    slow = np.zeros(1, dtype=bool)
    one = np.zeros(1, dtype=np.int64)
    rows = walk_values(buf, arr, one, one + p0, one + e0, slow).arrays()
    if slow[0] or not len(rows["rec"]):
        return None
    last = len(rows["rec"]) - 1
    if int(rows["trs"][last] + rows["trl"][last]) != e0:  # the walk did not reach the end
        return None
    out = []
    for i in range(len(rows["rec"])):
        ts, tl = int(rows["ts"][i]), int(rows["tl"][i])
        try:
            tag = bytes(buf[ts : ts + tl]).decode("utf-8")
        except UnicodeDecodeError:
            return None
        plugin = ""
        trs, trl = int(rows["trs"][i]), int(rows["trl"][i])
        if trl:
            good, plugin = metadata_only(bytes(buf[trs : trs + trl]))
            if not good:
                return None
        vpos, vw = int(rows["vpos"][i]), int(rows["vw"][i])
        out.append((tag, vpos - p0, vw, bool(rows["tens"][i]), plugin))
    return out


def match_layouts(
    buf: bytes, arr: np.ndarray, rec: np.ndarray, p: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, list[Chunk]]:
    """Decode the records ``rec`` (summary ``buf[p:ends]``) that follow a repeated layout.

    ``arr`` is the buffer padded with zeros (8-byte reads past the end are safe). Returns a
    mask over ``rec`` of the records decoded, and their values as :class:`Chunk` s (records
    in increasing order within a chunk).
    """
    size = len(buf)
    u64 = np.ndarray(shape=(len(arr) - 7,), dtype="<u8", buffer=arr, strides=(1,))
    f32 = np.ndarray(shape=(max(size - 3, 0),), dtype="<f4", buffer=buf, strides=(1,))
    f64 = np.ndarray(shape=(max(size - 7, 0),), dtype="<f8", buffer=buf, strides=(1,))
    length = ends - p
    done = np.zeros(len(rec), dtype=bool)
    left = np.flatnonzero(length <= 8 * _MAX_WORDS)
    chunks: list[Chunk] = []
    used = misses = small = 0
    while len(left) and used < _MAX_LAYOUTS and misses < _MAX_MISSES and small < _MAX_SMALL:
        i0 = int(left[0])
        p0, e0 = int(p[i0]), int(ends[i0])
        slots = _layout_of(buf, arr, int(rec[i0]), p0, e0)
        if slots is None:
            misses += 1
            left = left[1:]
            continue
        used += 1
        ln = e0 - p0
        same = left[length[left] == ln]
        nw = (ln + 7) // 8
        tmpl = np.zeros(8 * nw, dtype=np.uint8)
        tmpl[:ln] = arr[p0:e0]
        mask = np.zeros(8 * nw, dtype=np.uint8)
        mask[:ln] = 0xFF
        for _tag, off, width, _t, _pl in slots:
            mask[off : off + width] = 0
        tw, mw = tmpl.view("<u8"), mask.view("<u8")
        ps = p[same]
        ok = np.ones(len(same), dtype=bool)
        for w in range(nw):
            ok &= ((u64[ps + 8 * w] ^ tw[w]) & mw[w]) == 0
        hit = same[ok]
        done[hit] = True
        left = left[~done[left]]
        recs, ph = rec[hit], p[hit]
        for slot, (tag, off, width, tensor, plugin) in enumerate(slots):
            vals = (f32 if width == 4 else f64)[ph + off].astype(np.float64)
            chunks.append(Chunk(tag, slot, recs, vals, tensor, plugin))
        # layouts that do not repeat (a first event with metadata, many tags): after a few in a
        # row, the slot walk takes the rest
        small = small + 1 if len(hit) < max(16, len(left) // 256) else 0
    return done, chunks
