"""Read every learning-rate point (or any scalar) from TensorBoard logs, fast and exactly.

Public API
----------
``read_lr_series(path, tag=None, run=None) -> list[LRSeries]``
    One series per run x LR tag, sorted by (run, tag). ``tag`` (exact name or glob) overrides
    LR detection (:data:`LR_TAG_PATTERNS`); ``run`` is a glob over run names (a pattern without
    ``/`` also matches a run by its last directory name).
``read_scalars(path, tags=None, run=None) -> list[LRSeries]``
    The same for any scalar tag (``tags``: None for all, a name/glob or a list of them).
``discover_runs(path) -> dict[str, tuple[str, ...]]``
    Run name -> event files in read order (:mod:`lraudit.reader.discovery`).
``is_lr_tag(tag)``, ``LR_TAG_PATTERNS``
    The default LR tag detection (:mod:`lraudit.reader.tags`).

``path`` may be a log dir, a single event file, a Hugging Face ``trainer_state.json`` (or a
directory holding one and no event files), or a TensorBoard CSV/JSON scalar export or another
logger's file (:mod:`lraudit.reader.sources`); each of them also as an fsspec URL
(:mod:`lraudit.reader.fs`, :mod:`lraudit.reader.remote_sources`), or ``mlflow:<tracking-uri>``
(:mod:`lraudit.reader.mlflow_tracking`).

What the reader does, and records in ``LRSeries.notes``: CRC-checks every record (a corrupt or
truncated record ends that file; earlier records are kept); merges the files of a run with the
newest write of a step winning (:mod:`lraudit.reader.merge`; stale points in
``LRSeries.replaced``); notes restarts (``SessionLog`` START, file boundaries), non-finite
values and skipped bytes.

>>> import tempfile, lraudit.testing as t
>>> d = tempfile.mkdtemp()
>>> _ = t.write_scalars(d, ["learning_rate", "loss"], [0, 1, 2], [[0.5, 0.5, 0.25], [3, 2, 1]])
>>> [(s.run, s.tag, s.values.tolist()) for s in read_lr_series(d)]
[('.', 'learning_rate', [0.5, 0.5, 0.25])]
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lraudit.errors import LogReadError, NoEventFilesError, TagNotFoundError
from lraudit.reader import fs
from lraudit.reader.decode import FileData
from lraudit.reader.discovery import discover_runs, is_event_file
from lraudit.reader.merge import merge_tag
from lraudit.reader.tags import LR_TAG_PATTERNS, is_lr_tag, make_tag_filter, select_tags
from lraudit.types import LRSeries

__all__ = [
    "LR_TAG_PATTERNS",
    "discover_runs",
    "is_lr_tag",
    "read_file",
    "read_lr_runs",
    "read_lr_series",
    "read_scalars",
]


def read_file(
    path: str,
    want: Callable[[str], bool] | None = None,
    fast: bool = True,
    start: int = 0,
) -> FileData:
    """Frame, CRC-check and decode one event file (``want``: which tags to decode; default all).

    The file is read in fixed-size windows from byte ``start`` (:mod:`lraudit.reader.stream`:
    memory stays bounded whatever the file's size); ``FileData.end_offset`` is the offset after
    the last complete good record. ``fast=False`` decodes every record with protobuf (the
    reference decoder).
    """
    from lraudit.reader.columnar import decode_columnar
    from lraudit.reader.decode import decode_protobuf
    from lraudit.reader.stream import read_stream

    want = cached_filter(want or (lambda _t: True))
    decode = decode_columnar if fast else decode_protobuf
    if fs.is_url(path):
        f, size = fs.open_url(path)
        try:
            with f:
                return read_stream(f, path, want, decode, lambda: size, start=start)
        except (LogReadError, ValueError, IndexError, OverflowError, MemoryError):
            raise
        except Exception as e:  # each fsspec backend raises its own errors
            raise fs.fail(path, e) from e
    try:
        _check_regular(path, os.stat(path).st_mode)
        # O_NONBLOCK: if the path was swapped for a FIFO after the check, open does not wait
        fdesc = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fdesc, "rb") as f:
            _check_regular(path, os.fstat(f.fileno()).st_mode)
            return read_stream(
                f, path, want, decode, lambda: os.fstat(f.fileno()).st_size, start=start
            )
    except OSError as e:
        raise LogReadError(f"{path}: cannot read ({e.strerror or e})") from e


def _check_regular(path: str, mode: int) -> None:
    """Only regular files are read: a FIFO would block, a device could be endless."""
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        if stat.S_ISFIFO(mode):
            kind = "a FIFO (named pipe)"
        elif stat.S_ISSOCK(mode):
            kind = "a socket"
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            kind = "a device"
        raise LogReadError(f"{path}: cannot read ({kind}, not an event file)")


def cached_filter(want: Callable[[str], bool]) -> Callable[[str], bool]:
    """``want`` evaluated once per distinct tag (tag filters are pure; tags repeat a lot)."""
    if getattr(want, "_lraudit_cached", False):
        return want
    seen: dict[str, bool] = {}

    def keep(tag: str) -> bool:
        r = seen.get(tag)
        if r is None:
            r = seen[tag] = bool(want(tag))
        return r

    keep._lraudit_cached = True  # type: ignore[attr-defined]
    return keep


def _read_or_note(path: str, want: Callable[[str], bool], fast: bool) -> FileData:
    """:func:`read_file`, or an empty result with a note when the file cannot be read at all
    (one unreadable file should not hide the rest of the run). ``FileData.unread`` is set then.
    """
    try:
        return read_file(path, want, fast=fast)
    except LogReadError as e:
        return FileData(path=path, notes=[f"{e}; skipped"], unread=str(e))
    except (ValueError, IndexError, OverflowError, MemoryError, RecursionError) as e:
        # a defect of the reader on this file must not cost the other files and runs
        msg = f"{path}: cannot decode ({type(e).__name__}: {e}); please report this file"
        return FileData(path=path, notes=[f"{msg}; skipped"], unread=msg)


def _run_filter(run: str | None) -> Callable[[str], bool]:
    if run is None:
        return lambda _r: True
    rx = re.compile(fnmatch.translate(run))

    def keep(r: str) -> bool:
        # the whole run name, or (for a pattern without "/") its last directory name
        if r == run or rx.fullmatch(r) is not None:
            return True
        return "/" not in run and rx.fullmatch(r.rsplit("/", 1)[-1]) is not None

    return keep


def _read_runs(
    path: Any,
    wanted: str | Sequence[str] | None,
    run: str | None,
    fast: bool = True,
    bare: dict[str, tuple[str, ...]] | None = None,
    unread: dict[str, str] | None = None,
) -> tuple[list[LRSeries], list[str]]:
    """Series for the tags ``wanted`` selects (None = LR detection) and every scalar tag seen.

    ``bare``, when given, receives the runs that hold event files but none of those tags, with
    the scalar tags they do hold. ``unread``, when given, receives the runs that gave no series
    because files could not be read or were damaged, with a one-line reason.
    """
    from lraudit.reader import sources
    from lraudit.reader.mlflow_tracking import is_tracking, read_tracking

    if is_tracking(path):
        return read_tracking(path, wanted, run)
    if fs.is_url(path):
        if not fs.exists(path):
            raise LogReadError(f"{path}: no such file or directory (or no such bucket)")
        from lraudit.reader import remote_sources

        if fs.is_file(path) and not is_event_file(fs.basename(path)):
            return remote_sources.read_url_file(path, wanted, run)
        runs = discover_runs(path)
        if not runs:
            got = remote_sources.read_url_dir(path, wanted, run)
            if got is not None:
                return got
            raise NoEventFilesError(f"no TensorBoard event files under {path}")
        return _read_found(path, runs, wanted, run, fast, bare, unread)
    p = Path(path)
    if not p.exists():
        raise LogReadError(f"{os.fspath(path)}: no such file or directory")
    if p.is_file() and not is_event_file(p.name):
        return sources.read_source(p, wanted, run)
    runs = discover_runs(p)
    if not runs:
        alt = sources.find_sources(p)
        if alt:
            return sources.read_sources(alt, wanted, run)
        raise NoEventFilesError(f"no TensorBoard event files under {os.fspath(path)}")
    return _read_found(path, runs, wanted, run, fast, bare, unread)


def _read_found(
    path: Any,
    runs: dict[str, tuple[str, ...]],
    wanted: str | Sequence[str] | None,
    run: str | None,
    fast: bool,
    bare: dict[str, tuple[str, ...]] | None,
    unread: dict[str, str] | None,
) -> tuple[list[LRSeries], list[str]]:
    """:func:`_read_runs` once the runs under ``path`` are known."""
    from lraudit.reader import sources

    keep_run = _run_filter(run)
    chosen = {r: files for r, files in runs.items() if keep_run(r)}
    if not chosen:
        raise NoEventFilesError(
            f"no run matching --run {run!r} under {os.fspath(path)} (runs: {', '.join(runs)})"
        )
    want = make_tag_filter(wanted)
    out: list[LRSeries] = []
    all_tags: set[str] = set()
    for rname, files in chosen.items():
        data = [_read_or_note(f, want, fast) for f in files]
        plugins: dict[str, str] = {}
        for fd in data:
            for t, pl in fd.plugins.items():
                plugins.setdefault(t, pl)
        tags: set[str] = set()
        for fd in data:
            for t, is_tensor in fd.tags.items():
                if not is_tensor or plugins.get(t) == "scalars":
                    tags.add(t)
        all_tags |= tags
        run_notes = [n for fd in data for n in fd.notes]
        picked = select_tags(tags, wanted)
        for t in picked:
            out.append(merge_tag(rname, t, files, data, run_notes))
        if not picked:
            if fs.is_url(files[0]):
                from lraudit.reader.remote_sources import read_url_beside

                beside = read_url_beside(fs.parent(files[0]), rname, wanted)
            else:
                beside = sources.read_beside(Path(files[0]).parent, rname, wanted)
            if beside:
                out += beside
                all_tags.update(s.tag for s in beside)
                continue
        if not picked and bare is not None:
            bare[rname] = tuple(sorted(tags))
        if not picked and unread is not None:
            why = _why_unread(data)
            if why:
                unread[rname] = why
    out.sort(key=lambda s: (s.run, s.tag))
    return out, sorted(all_tags)


def _why_unread(data: Sequence[FileData]) -> str | None:
    """One line on why a run's files gave nothing: unreadable files, or damage before any data."""
    bad = [fd for fd in data if fd.unread or (fd.notes and not fd.tags)]
    if not bad:
        return None
    first = bad[0].unread or bad[0].notes[0]
    more = f" (and {len(bad) - 1} more file(s))" if len(bad) > 1 else ""
    return f"{len(bad)} of {len(data)} event file(s) unreadable or damaged: {first}{more}"


def _not_found(path: Any, wanted: str | Sequence[str] | None, tags: list[str]) -> TagNotFoundError:
    shown = ", ".join(tags[:30]) + (f", ... ({len(tags)} in all)" if len(tags) > 30 else "")
    found = f"scalar tags found: {shown}" if tags else "no scalar tags were found"
    what = "no learning-rate tag found" if wanted is None else f"no tag matching {wanted!r} found"
    return TagNotFoundError(
        f"{what} under {os.fspath(path)}; {found}; choose one with --tag TAG", tuple(tags)
    )


def read_lr_series(path: Any, tag: str | None = None, run: str | None = None) -> list[LRSeries]:
    """Every learning-rate series under ``path``: one per run x LR tag, sorted by (run, tag).

    ``tag``: exact tag or glob, overriding LR detection; ``run``: glob over run names (a
    pattern without ``/`` also matches a run by its last directory name). Raises
    :class:`~lraudit.errors.LogReadError` (missing path), :class:`NoEventFilesError` and
    :class:`TagNotFoundError` (``.tags`` lists the scalar tags found).
    """
    return read_lr_runs(path, tag, run)[0]


def read_lr_runs(
    path: Any,
    tag: str | None = None,
    run: str | None = None,
    unread: dict[str, str] | None = None,
) -> tuple[list[LRSeries], dict[str, tuple[str, ...]]]:
    """:func:`read_lr_series`, plus the runs it found no learning-rate tag in (run -> the scalar
    tags they hold): an evaluation run beside a training run, say. ``unread`` (a dict, filled
    in place) receives the runs that gave no series because their files could not be read or
    were damaged (run -> one-line reason). Raises as :func:`read_lr_series` does when no run
    has a series; the error then names the unreadable files."""
    bare: dict[str, tuple[str, ...]] = {}
    why: dict[str, str] = {} if unread is None else unread
    series, tags = _read_runs(path, tag, run, bare=bare, unread=why)
    if not series:
        err = _not_found(path, tag, tags)
        if why:
            first = next(iter(why.items()))
            err = TagNotFoundError(
                f"{err}; {len(why)} run(s) could not be read, e.g. {first[0]}: {first[1]}",
                err.tags,
            )
        raise err
    return series, bare


def read_scalars(
    path: Any, tags: str | Sequence[str] | None = None, run: str | None = None
) -> list[LRSeries]:
    """Every scalar series under ``path`` (``tags``: None = all, or names/globs), by (run, tag).

    Raises :class:`TagNotFoundError` only when ``tags`` was given and matched nothing.
    """
    wanted: str | Sequence[str] | None = tags
    if tags is None:
        wanted = "*"
    series, found = _read_runs(path, wanted, run)
    if not series and tags is not None:
        raise _not_found(path, tags, found)
    return series
