"""Follow event files while they are written: read only the bytes appended since the last look.

A :class:`FileFollower` keeps, for one event file, its identity (device, inode), the size and
modification time it had, and the byte offset just past its last complete record. Each
:meth:`FileFollower.poll` reads from that offset to the end of the file, frames the new bytes
(:func:`lraudit.reader.framing.scan`), decodes them (:func:`lraudit.reader.columnar.decode_columnar`)
and appends the points to growing arrays, so a poll costs O(new records) however long the file.

What a poll does with the end of the file:

- a record the file ends inside of (a writer in the middle of an append) is *waited for*: the
  offset stays at its start and the next poll reads it again, whole; it is not damage;
- a record whose CRC does not match is suspected first (a file system may show a grown size
  before the bytes) and is damage only when it is still there after the file grew again: the
  file is then noted as damaged there, as :func:`lraudit.reader.read_file` notes it, and not
  read further (earlier records are kept);
- a file that shrank, or whose path now names another file (inode change: a writer that
  replaced it), is read again from byte 0 (:attr:`FileFollower.generation` counts those).

A :class:`RunFollower` follows the event files of one run and merges a tag's points from every
file with the reader's rules (:func:`lraudit.reader.merge.merge_tag`: the newest write of a step
wins, restarts noted). When the only change is new points at the end of the run's last file, in
increasing steps after every step seen, the merged series is extended in place (O(new points));
any other change (a new file, a rewrite of earlier steps, a file read again) merges again.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from lraudit.reader.decode import FileData, TagPoints
from lraudit.reader.merge import merge_tag
from lraudit.reader.tags import select_tags
from lraudit.types import LRSeries

__all__ = ["FileFollower", "RunFollower", "TagUpdate"]

#: Bytes read from a file at a time (records straddling the end are read again next chunk).
CHUNK = 64 * 1024 * 1024


class _Grow:
    """A 1-d array that grows by doubling; :meth:`view` is O(1) and stays valid (appends write
    past it; a reallocation leaves old views on the old buffer)."""

    __slots__ = ("_a", "n")

    def __init__(self, dtype: type, values: np.ndarray | None = None) -> None:
        size = 64 if values is None else max(64, 2 * values.size)
        self._a: np.ndarray = np.empty(size, dtype=dtype)
        self.n = 0
        if values is not None:
            self.extend(values)

    def extend(self, v: np.ndarray) -> None:
        need = self.n + v.size
        if need > self._a.size:
            bigger = np.empty(max(need, 2 * self._a.size), dtype=self._a.dtype)
            bigger[: self.n] = self._a[: self.n]
            self._a = bigger
        self._a[self.n : need] = v
        self.n = need

    def view(self) -> np.ndarray:
        return self._a[: self.n]


@dataclass
class _Points:
    steps: _Grow = field(default_factory=lambda: _Grow(np.int64))
    values: _Grow = field(default_factory=lambda: _Grow(np.float64))
    walls: _Grow = field(default_factory=lambda: _Grow(np.float64))
    tensor: bool = False

    def extend(self, tp: TagPoints) -> None:
        self.steps.extend(np.asarray(tp.steps, dtype=np.int64))
        self.values.extend(np.asarray(tp.values, dtype=np.float64))
        self.walls.extend(np.asarray(tp.wall_times, dtype=np.float64))

    def as_tagpoints(self) -> TagPoints:
        return TagPoints(self.steps.view(), self.values.view(), self.walls.view(), self.tensor)


class FileFollower:
    """One event file, followed as it grows (see the module docstring).

    ``want`` selects the tags whose points are decoded (every scalar tag is still listed in
    :meth:`data`'s ``tags``).
    """

    def __init__(self, path: str, want: Callable[[str], bool]) -> None:
        from lraudit.reader import cached_filter

        self.path = path
        self.want = cached_filter(want)
        self.generation = -1
        self._reset()

    def _reset(self) -> None:
        self.ident: tuple[int, int] | None = None
        self.size = -1
        self.mtime_ns = -1
        self.offset = 0
        self.n_records = 0
        self.damaged: str | None = None
        self._suspect: tuple[int, int] | None = None  # (offset of a bad record, size then)
        self._points: dict[str, _Points] = {}
        self._tags: dict[str, bool] = {}
        self._plugins: dict[str, str] = {}
        self._first: dict[str, int] = {}
        self._plugin_at: dict[str, int] = {}
        self._sessions: list[tuple[int, int]] = []
        self._notes: list[str] = []
        self.unread: str | None = None
        self.generation += 1

    # ------------------------------------------------------------------ polling

    def poll(self) -> int:
        """Read what was appended since the last poll; the number of new records, or -1 when
        the file was read again from the start (shrunk, replaced or vanished)."""
        try:
            st = os.stat(self.path)
        except OSError:
            if self.ident is None and self.unread is None:
                return 0
            self._reset()
            return -1
        ident = (st.st_dev, st.st_ino)
        again = self.ident is not None and (ident != self.ident or st.st_size < self.size)
        if again:
            self._reset()
        if ident == self.ident and st.st_size == self.size and st.st_mtime_ns == self.mtime_ns:
            return 0
        self.ident, self.size, self.mtime_ns = ident, st.st_size, st.st_mtime_ns
        if not stat.S_ISREG(st.st_mode):
            self.unread = f"{self.path}: cannot read (not a regular file)"
            return -1 if again else 0
        if self.damaged is not None or self.offset >= st.st_size:
            return -1 if again else 0
        try:
            new = self._read_from_offset()
        except OSError as e:
            self.unread = f"{self.path}: cannot read ({e.strerror or e})"
            new = 0
        return -1 if again else new

    def _read_from_offset(self) -> int:
        from lraudit.reader.framing import scan

        fdesc = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        new = 0
        with open(fdesc, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return 0
            while self.offset < self.size:
                f.seek(self.offset)
                # up to the size stat'ed (what is appended meanwhile is for the next poll); a
                # read of exactly that many bytes, not of CHUNK (which would allocate CHUNK)
                buf = f.read(min(CHUNK, self.size - self.offset))
                if not buf:
                    break
                fr = scan(buf)
                if len(fr.starts) == 0 and fr.stop is not None and len(buf) == CHUNK:
                    # one record larger than a chunk: read exactly it
                    need = 16 + int.from_bytes(buf[:8], "little")
                    f.seek(self.offset)
                    buf = f.read(need)
                    fr = scan(buf)
                new += self._take(buf, fr)
                stop = fr.stop
                if stop is None:
                    self.offset += len(buf)
                    self._suspect = None
                    continue
                self.offset += stop.offset
                if stop.reason == "corrupt":
                    self._corrupt(fr.note(os.path.basename(self.path)) or stop.detail)
                    break
                self._suspect = None
                if self.offset + len(buf) - stop.offset >= self.size or stop.offset == 0:
                    break  # truncated at the end of the file: a record being written
        return new

    def _corrupt(self, note: str) -> None:
        """A bad record at :attr:`offset`: suspected once, damage when the file grew since."""
        if self._suspect is not None and self._suspect[0] == self.offset:
            if self.size > self._suspect[1]:
                self.damaged = note
                self._notes.append(note)
            return
        self._suspect = (self.offset, self.size)

    def _take(self, buf: bytes, fr: object) -> int:
        from lraudit.reader.columnar import decode_columnar

        n = len(fr.starts)  # type: ignore[attr-defined]
        if n == 0:
            return 0
        fd = decode_columnar(buf, fr, self.want, self.path)  # type: ignore[arg-type]
        base = self.n_records
        for tag, is_tensor in fd.tags.items():
            if tag not in self._tags:
                self._tags[tag] = is_tensor
                self._first[tag] = fd.first[tag] + base
        for tag, name in fd.plugins.items():
            if tag not in self._plugins:
                self._plugins[tag] = name
                self._plugin_at[tag] = fd.plugin_at[tag] + base
        for tag, tp in fd.points.items():
            pts = self._points.get(tag)
            if pts is None:
                pts = self._points[tag] = _Points(tensor=tp.tensor)
            pts.extend(tp)
        self._sessions += fd.sessions
        self._notes += fd.notes
        self.n_records += n
        return n

    # ------------------------------------------------------------------ results

    def data(self) -> FileData:
        """Everything read so far as a :class:`FileData` (arrays are views: O(1))."""
        return FileData(
            path=self.path,
            points={t: p.as_tagpoints() for t, p in self._points.items()},
            tags=dict(self._tags),
            plugins=dict(self._plugins),
            sessions=list(self._sessions),
            first=dict(self._first),
            plugin_at=dict(self._plugin_at),
            notes=list(self._notes),
            n_records=self.n_records,
            unread=self.unread,
        )

    def count(self, tag: str) -> int:
        p = self._points.get(tag)
        return 0 if p is None else p.steps.n

    def stamp(self, tag: str) -> tuple[str, int, int, int, int]:
        """What a merge of ``tag`` depends on: (path, generation, points, sessions, notes)."""
        return (self.path, self.generation, self.count(tag), len(self._sessions), len(self._notes))


@dataclass(frozen=True)
class TagUpdate:
    """A tag's merged series after a poll, and how many of its leading points are unchanged."""

    series: LRSeries
    prefix: int


@dataclass
class _Merged:
    series: LRSeries
    steps: _Grow
    values: _Grow
    walls: _Grow
    # what the merge saw: per file (generation, points of the tag, sessions)
    seen: tuple[tuple[str, int, int, int, int], ...]


class RunFollower:
    """The event files of one run, followed; :meth:`poll` then :meth:`updates`."""

    def __init__(self, name: str, want: Callable[[str], bool]) -> None:
        self.name = name
        self.want = want
        self.files: dict[str, FileFollower] = {}
        self.order: tuple[str, ...] = ()
        self._merged: dict[str, _Merged] = {}

    def poll(self, files: Sequence[str]) -> bool:
        """Follow ``files`` (the run's event files in read order); True when anything changed."""
        changed = tuple(files) != self.order
        self.order = tuple(files)
        for f in list(self.files):
            if f not in self.order:
                del self.files[f]
        for f in self.order:
            ff = self.files.get(f)
            if ff is None:
                ff = self.files[f] = FileFollower(f, self.want)
            if ff.poll() != 0:
                changed = True
        return changed

    def scalar_tags(self) -> set[str]:
        """Scalar tags of the run: simple values, and tensors whose plugin is ``scalars``
        anywhere in the run (as the full reader decides)."""
        plugins: dict[str, str] = {}
        for ff in self.files.values():
            for t, pl in ff._plugins.items():
                plugins.setdefault(t, pl)
        tags: set[str] = set()
        for ff in self.files.values():
            for t, is_tensor in ff._tags.items():
                if not is_tensor or plugins.get(t) == "scalars":
                    tags.add(t)
        return tags

    def updates(self, wanted: str | Sequence[str] | None) -> dict[str, TagUpdate]:
        """The merged series of every selected tag (None: LR detection) that changed."""
        out: dict[str, TagUpdate] = {}
        for tag in select_tags(self.scalar_tags(), wanted):
            seen = tuple(self.files[f].stamp(tag) for f in self.order)
            old = self._merged.get(tag)
            if old is not None and old.seen == seen:
                continue
            fast = self._append(tag, old, seen) if old is not None else None
            if fast is not None:
                out[tag] = fast
                continue
            data = [self.files[f].data() for f in self.order]
            notes = [n for fd in data for n in fd.notes]
            s = merge_tag(self.name, tag, self.order, data, notes)
            self._merged[tag] = _Merged(
                s, _Grow(np.int64, s.steps), _Grow(np.float64, s.values),
                _Grow(np.float64, s.wall_times), seen,
            )  # fmt: skip
            out[tag] = TagUpdate(s, _common_prefix(old.series if old else None, s))
        return out

    def _append(
        self, tag: str, old: _Merged, seen: tuple[tuple[str, int, int, int, int], ...]
    ) -> TagUpdate | None:
        """New points at the end of the last file, after every step: extend in place."""
        if len(seen) != len(old.seen) or not seen:
            return None
        if seen[:-1] != old.seen[:-1] or seen[-1][:2] != old.seen[-1][:2]:
            return None
        if seen[-1][3:] != old.seen[-1][3:]:
            return None  # a SessionLog or a note in the new part: the merge words it
        ff = self.files[seen[-1][0]]
        pts = ff._points.get(tag)
        k0 = old.seen[-1][2]
        if pts is None or k0 == 0:
            return None
        st = pts.steps.view()[k0:]
        va = pts.values.view()[k0:]
        wa = pts.walls.view()[k0:]
        prev = int(old.series.steps[-1]) if len(old.series) else None
        if prev is None or st.size == 0 or st[0] <= prev or np.any(np.diff(st) <= 0):
            return None
        if not np.all(np.isfinite(va)):
            return None  # the merge notes non-finite values: let it word them
        n0 = len(old.series)
        old.steps.extend(st)
        old.values.extend(va)
        old.walls.extend(wa)
        old.series = dataclasses.replace(
            old.series,
            steps=old.steps.view(),
            values=old.values.view(),
            wall_times=old.walls.view(),
        )
        old.seen = seen
        return TagUpdate(old.series, n0)


def _common_prefix(old: LRSeries | None, new: LRSeries) -> int:
    if old is None:
        return 0
    n = min(len(old), len(new))
    if n == 0:
        return 0
    same = (old.steps[:n] == new.steps[:n]) & (
        (old.values[:n] == new.values[:n]) | (np.isnan(old.values[:n]) & np.isnan(new.values[:n]))
    )
    return n if bool(same.all()) else int(np.argmin(same))
