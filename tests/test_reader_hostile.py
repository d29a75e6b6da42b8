"""Hostile and broken event files: one damaged file never costs the others, never a traceback."""

from __future__ import annotations

import os
import signal
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import lraudit
from lraudit import testing as lt
from lraudit.errors import TagNotFoundError
from lraudit.reader import read_file, read_lr_runs
from lraudit.testing import frame, masked_crc32c

NAME = "events.out.tfevents.1700000000.h.1.0"


@pytest.fixture
def alarm() -> Iterator[None]:
    """Fail instead of hanging (a FIFO that blocks would hang the test forever)."""

    def boom(*_: object) -> None:
        raise TimeoutError("the reader blocked")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _good(d: Path, n: int = 5) -> Path:
    return lt.write_scalars(d, "lr", list(range(n)), [0.5 / (i + 1) for i in range(n)], name=NAME)


def _header(length: int) -> bytes:
    h = struct.pack("<Q", length)
    return h + struct.pack("<I", masked_crc32c(h))


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param(os.urandom(0) + np.random.default_rng(0).bytes(4096), id="random-bytes"),
        pytest.param(_header(2**63) + b"\0" * 64, id="length-2^63-valid-crc"),
        pytest.param(_header(2**64 - 1) + b"\0" * 64, id="length-2^64-1-valid-crc"),
        pytest.param(struct.pack("<Q", 2**63) + b"\0" * 64, id="length-2^63-bad-crc"),
        pytest.param(frame(b"\x09" + bytes(8) + b"\x2a\x05\x0a\x03\x0a\x09lr"), id="garbage"),
        pytest.param(frame(b"\x2a\x04\x0a\x02\x0a\xff"), id="bad-utf8-tag"),
        pytest.param(frame(b"\x09" + bytes(8))[:-1] + b"\x00", id="data-crc-mismatch"),
        pytest.param(b"\x01\x02\x03", id="short-tail"),
    ],
)
@pytest.mark.parametrize("fast", [True, False])
def test_damage_keeps_every_record_before_it_with_a_note(
    tmp_path: Path, tail: bytes, fast: bool
) -> None:
    p = _good(tmp_path)
    with open(p, "ab") as f:
        f.write(tail)
    fd = read_file(str(p), fast=fast)
    assert fd.points["lr"].steps.tolist() == [0, 1, 2, 3, 4]
    (note,) = fd.notes
    assert "byte" in note and NAME in note


def test_a_file_of_random_bytes_is_noted_and_other_runs_are_read(tmp_path: Path) -> None:
    for r in range(6):
        _good(tmp_path / f"run{r}")
    for r in (1, 4):
        (tmp_path / f"run{r}" / NAME).write_bytes(np.random.default_rng(r).bytes(10_000))
    unread: dict[str, str] = {}
    series, _ = read_lr_runs(tmp_path, unread=unread)
    assert [s.run for s in series] == ["run0", "run2", "run3", "run5"]
    assert sorted(unread) == ["run1", "run4"]
    assert all("damaged" in why and "byte 0" in why for why in unread.values())


def test_fifo_socket_and_directory_named_like_event_files(tmp_path: Path, alarm: None) -> None:
    _good(tmp_path)
    os.mkfifo(tmp_path / "events.out.tfevents.1700000001.h.2.0")
    (tmp_path / "events.out.tfevents.1700000002.h.3.0").mkdir()
    (s,) = lraudit.read_lr_series(tmp_path)
    assert s.values.size == 5
    assert any("FIFO" in n and "skipped" in n for n in s.notes)


def test_a_run_of_only_a_fifo_is_named_with_its_reason(tmp_path: Path, alarm: None) -> None:
    _good(tmp_path / "ok")
    (tmp_path / "pipe").mkdir()
    os.mkfifo(tmp_path / "pipe" / NAME)
    unread: dict[str, str] = {}
    series, _ = read_lr_runs(tmp_path, unread=unread)
    assert [s.run for s in series] == ["ok"]
    assert list(unread) == ["pipe"] and "FIFO" in unread["pipe"]
    with pytest.raises(TagNotFoundError, match="could not be read.*FIFO"):
        lraudit.read_lr_series(tmp_path / "pipe")


@pytest.mark.skipif(sys.platform != "linux", reason="/dev/zero as a device")
def test_a_device_is_never_opened(tmp_path: Path, alarm: None) -> None:
    _good(tmp_path)
    os.symlink("/dev/zero", tmp_path / "events.out.tfevents.1700000003.h.4.0")
    (s,) = lraudit.read_lr_series(tmp_path)
    assert any("a device" in n for n in s.notes)


def test_permission_denied_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _good(tmp_path / "a")
    _good(tmp_path / "b")
    real_open = os.open

    def deny(path: str, *args: object, **kw: object) -> int:
        if "/b/" in os.fspath(path):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", deny)
    unread: dict[str, str] = {}
    series, _ = read_lr_runs(tmp_path, unread=unread)
    assert [s.run for s in series] == ["a"]
    assert "Permission denied" in unread["b"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads mode 000")
def test_mode_000_file_is_named(tmp_path: Path) -> None:
    p = _good(tmp_path / "b")
    _good(tmp_path / "a")
    p.chmod(0)
    try:
        unread: dict[str, str] = {}
        read_lr_runs(tmp_path, unread=unread)
        assert "Permission denied" in unread["b"]
    finally:
        p.chmod(0o644)


def test_a_decoder_defect_costs_only_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lraudit.reader as reader

    _good(tmp_path / "a")
    _good(tmp_path / "b")
    real = reader.read_file

    def flaky(path: str, *a: object, **k: object) -> object:
        if "/b/" in path:
            raise IndexError("index 99 is out of bounds")
        return real(path, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(reader, "read_file", flaky)
    unread: dict[str, str] = {}
    series, _ = read_lr_runs(tmp_path, unread=unread)
    assert [s.run for s in series] == ["a"]
    assert "IndexError" in unread["b"] and "please report" in unread["b"]


def test_tag_filter_runs_once_per_distinct_tag(tmp_path: Path) -> None:
    tags = ["lr", "loss", "acc", "x/lr0"]
    lt.write_scalars(tmp_path, tags, list(range(300)), [[0.1] * 300] * 4, name=NAME)
    calls: list[str] = []

    def want(t: str) -> bool:
        calls.append(t)
        return t == "lr"

    for fast in (True, False):
        calls.clear()
        fd = read_file(str(tmp_path / NAME), want, fast=fast)
        assert sorted(calls) == sorted(tags) and fd.points["lr"].steps.size == 300


def _damaged_logdir(root: Path, runs: int = 12, bad: tuple[int, ...] = (2, 7)) -> Path:
    for r in range(runs):
        lt.write_scalars(
            root / f"run{r:02d}",
            "lr",
            list(range(0, 400, 10)),
            [0.1 * 0.9**i for i in range(40)],
            name=NAME,
        )
    for r in bad:
        (root / f"run{r:02d}" / NAME).write_bytes(np.random.default_rng(r).bytes(3000))
    return root


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_unreadable_runs_are_named_with_their_reason_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], jobs: str
) -> None:
    import json

    from lraudit.cli import main

    root = _damaged_logdir(tmp_path / "logs")
    base = ["report", str(root), "--no-config", "--jobs", jobs, "--no-cache"]
    assert main([*base, "--format", "json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert len(rep["runs"]) == 10
    why = {u["run"]: u.get("reason", "") for u in rep["unaudited"]}
    assert sorted(why) == ["run02", "run07"]
    assert all("damaged" in w and "byte 0" in w for w in why.values())
    for fmt in ("text", "markdown", "html", "junit", "github", "sarif"):
        assert main([*base, "--format", fmt]) == 0
        out = capsys.readouterr().out
        assert "run02" in out and "run07" in out, fmt


def test_check_counts_an_unreadable_run_as_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lraudit.cli import main

    root = _damaged_logdir(tmp_path / "logs")
    base = ["check", str(root), "--no-config", "--no-cache"]
    assert main(base) == 0  # --fail-on error: the readable runs are fine
    assert main([*base, "--fail-on", "warning"]) == 1
    assert main([*base, "--fail-on", "warning", "--exit-zero"]) == 0
