"""The window loop of the reader: records across window boundaries, damage there, records larger
than a window (skipped without being read), resuming from an offset, bounded reads."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("tensorboard", reason="events are written with tensorboard's protos")

from tensorboard.compat.proto import event_pb2, summary_pb2  # noqa: E402

from lraudit import testing as lt  # noqa: E402
from lraudit.reader import read_file, stream  # noqa: E402
from lraudit.reader.columnar import decode_columnar  # noqa: E402
from lraudit.reader.decode import FileData  # noqa: E402

NAME = "events.out.tfevents.1700000000.h.1.0"


def _lr_events(n: int) -> list[event_pb2.Event]:
    return [lt.scalar_event("lr", i, 0.1 / (i + 1), 1.0 + i) for i in range(n)]


def _image_event(step: int, nbytes: int, scalar: float | None = None) -> event_pb2.Event:
    ev = event_pb2.Event(step=step, wall_time=1.0 + step)
    if scalar is not None:  # a merged event (TF1 merge_all): a scalar beside the image
        ev.summary.value.add(tag="lr", simple_value=scalar)
    img = summary_pb2.Summary.Image(height=1, width=1, encoded_image_string=os.urandom(nbytes))
    ev.summary.value.add(tag="img").image.CopyFrom(img)
    return ev


def _summary(fd: FileData) -> tuple[Any, ...]:
    pts = {t: (p.steps.tolist(), p.values.tolist()) for t, p in fd.points.items()}
    return pts, fd.tags, fd.first, fd.sessions, fd.notes, fd.n_records, fd.end_offset


def _both(p: Path, monkeypatch: pytest.MonkeyPatch, window: int) -> tuple[FileData, FileData]:
    whole = read_file(str(p))
    monkeypatch.setattr(stream, "WINDOW", window)
    return whole, read_file(str(p))


@pytest.mark.parametrize("window", [100, 101, 150, 333])
def test_records_split_across_windows_are_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    p = lt.write_events(tmp_path / NAME, _lr_events(40))
    whole, win = _both(p, monkeypatch, window)
    assert _summary(win) == _summary(whole)
    assert win.points["lr"].steps.tolist() == list(range(40))
    assert win.end_offset == p.stat().st_size


@pytest.mark.parametrize("where", ["header", "payload"])
def test_damage_at_a_window_boundary_keeps_the_records_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    p = lt.write_events(tmp_path / NAME, _lr_events(30))
    buf = bytearray(p.read_bytes())
    sizes = [len(lt.frame(e.SerializeToString())) for e in _lr_events(30)]
    rec = sizes[12]
    at = len(buf) - sum(sizes[12:])  # record 12 starts here; the window below ends inside it
    buf[at + (9 if where == "header" else 20)] ^= 0xFF
    p.write_bytes(bytes(buf))
    whole, win = _both(p, monkeypatch, at + rec // 2)
    assert _summary(win) == _summary(whole)
    assert win.points["lr"].steps.tolist() == list(range(12))
    (note,) = win.notes
    assert f"at byte {at};" in note and "kept the 13 record(s)" in note
    assert win.end_offset == at


@pytest.mark.parametrize("cut", [1, 5, 13, 30])
def test_truncation_in_the_last_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cut: int
) -> None:
    p = lt.write_events(tmp_path / NAME, _lr_events(25))
    full = p.read_bytes()
    p.write_bytes(full[:-cut])
    whole, win = _both(p, monkeypatch, 120)
    assert _summary(win) == _summary(whole)
    assert win.points["lr"].steps.tolist() == list(range(24))
    assert "truncated record" in win.notes[-1]


class _Counting(io.FileIO):
    """A file that records how many bytes were read and the largest single read."""

    got = 0
    largest = 0

    def read(self, n: int = -1, /) -> bytes:
        data = super().read(n)
        type(self).got += len(data)
        type(self).largest = max(type(self).largest, len(data))
        return data


def _read_counting(p: Path, window: int) -> FileData:
    _Counting.got = _Counting.largest = 0
    with _Counting(str(p)) as f:
        size = p.stat().st_size
        return stream.read_stream(
            f, str(p), lambda _t: True, decode_columnar, lambda: size, window=window
        )


def test_records_larger_than_a_window_are_skipped_unread(tmp_path: Path) -> None:
    evs: list[event_pb2.Event] = []
    for i in range(20):
        evs.append(lt.scalar_event("lr", i, 0.1 / (i + 1), 1.0 + i))
        if i % 5 == 2:
            evs.append(_image_event(i, 1_000_000))
    p = lt.write_events(tmp_path / NAME, evs)
    fd = _read_counting(p, 65_536)
    assert fd.points["lr"].steps.tolist() == list(range(20))
    assert fd.tags == read_file(str(p)).tags
    assert fd.n_records == len(evs) + 1 and fd.end_offset == p.stat().st_size
    # the 4 MB of images were never read (only the start of the window each one begins in)
    assert _Counting.got < 0.1 * p.stat().st_size
    assert _Counting.largest <= 65_536


def test_a_scalar_merged_with_a_large_image_is_kept_and_crc_checked(tmp_path: Path) -> None:
    evs = _lr_events(3) + [_image_event(3, 200_000, scalar=0.5)] + _lr_events(3)[:0]
    evs.append(lt.scalar_event("lr", 4, 0.02, 5.0))
    p = lt.write_events(tmp_path / NAME, evs)
    fd = _read_counting(p, 65_536)
    assert fd.points["lr"].steps.tolist() == [0, 1, 2, 3, 4]
    assert fd.points["lr"].values.tolist()[3] == 0.5
    assert _Counting.largest <= 65_536
    # a damaged image byte: the record's data CRC fails, the records before it are kept
    buf = bytearray(p.read_bytes())
    buf[-len(lt.frame(evs[-1].SerializeToString())) - 1000] ^= 1
    p.write_bytes(bytes(buf))
    fd = _read_counting(p, 65_536)
    assert fd.points["lr"].steps.tolist() == [0, 1, 2]
    assert "data CRC mismatch" in fd.notes[-1] and NAME in fd.notes[-1]
    assert fd.notes[-1] == read_file(str(p)).notes[-1]  # the same note as the whole-file read


def test_a_truncated_record_larger_than_a_window(tmp_path: Path) -> None:
    p = lt.write_events(tmp_path / NAME, [*_lr_events(3), _image_event(3, 200_000)])
    p.write_bytes(p.read_bytes()[:-50_000])
    fd = _read_counting(p, 65_536)
    whole = read_file(str(p))
    assert fd.points["lr"].steps.tolist() == [0, 1, 2]
    assert fd.notes == whole.notes and "truncated record" in fd.notes[0]


def test_resume_from_end_offset_reads_only_new_records(tmp_path: Path) -> None:
    p = lt.write_events(tmp_path / NAME, _lr_events(10))
    full = p.read_bytes()
    p.write_bytes(full[:-7])  # a writer mid-record
    first = read_file(str(p))
    assert first.points["lr"].steps.tolist() == list(range(9))
    p.write_bytes(full)
    rest = read_file(str(p), start=first.end_offset)
    assert rest.points["lr"].steps.tolist() == [9] and not rest.notes
    assert rest.end_offset == len(full)


@pytest.mark.slow
def test_peak_memory_is_bounded_by_the_window_not_the_file(tmp_path: Path) -> None:
    """A 200 MB file (1 MB images, one 40 MB image larger than the window, between LR scalars)
    read in a fresh process: the peak RSS stays far below the file size."""

    def events() -> Any:
        for i in range(600):
            yield lt.scalar_event("lr", i, 0.1 / (i + 1), 1.0 + i)
            if i % 4 == 0:
                yield _image_event(i, 1 << 20)
        yield _image_event(600, 40 << 20)

    p = lt.write_events(tmp_path / NAME, events())
    assert p.stat().st_size > 190e6
    code = textwrap.dedent(
        """
        import sys
        import lraudit
        from lraudit.testing import peak_rss_mb
        base = int(peak_rss_mb() * 1024)
        (s,) = lraudit.read_lr_series(sys.argv[1])
        print(len(s.values), base, int(peak_rss_mb() * 1024))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(p)], capture_output=True, text=True, check=True
    )
    n, base_kb, peak_kb = map(int, out.stdout.split())
    assert n == 600
    # a window is 8 MB; the buffer, the decoder's copy and the CRC pass's chunk: < 6 windows
    assert (peak_kb - base_kb) * 1024 < 6 * stream.WINDOW
