"""``lraudit watch`` on logdirs written while it runs (issue 13).

A writer thread replays the records of the real TF2-written demo runs (``fixtures/demo``) into a
fresh event file, one logged point at a time, in lock-step with the watch: after each point it
waits until the watch has looked at the logdir again, so what the watch saw when it reported is
known exactly, however busy the machine is.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from lraudit import watch as watch_mod
from lraudit.cli import main
from lraudit.reader.framing import scan
from lraudit.testing import frame, scalar_event

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "demo"
CONFIG = DEMO / "pipeline.config"
N_POINTS = 50  # the demo runs log steps 100..5000 every 100


def records(run: str) -> list[bytes]:
    """The raw records (framing included) of a demo run's event file, in file order."""
    (path,) = (DEMO / "logs" / run / "train").glob("*tfevents*")
    buf = path.read_bytes()
    fr = scan(buf)
    return [
        buf[s - 12 : s + n + 4]
        for s, n in zip(fr.starts.tolist(), fr.lengths.tolist(), strict=True)
    ]


class LockStep:
    """Counts watch ticks; a writer waits for the next tick after each write."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.ticks = 0
        self.written = 0  # set by a writer: what it has written so far
        self.log: list[tuple[int, list[str]]] = []  # (written, findings reported) per tick
        self.cond = threading.Condition()
        self.done = threading.Event()
        orig = watch_mod.Watcher.tick

        def tick(w: watch_mod.Watcher) -> list:
            out = orig(w)
            self.log.append((self.written, [e.finding.name for e in out]))
            with self.cond:
                self.ticks += 1
                self.cond.notify_all()
            return out

        monkeypatch.setattr(watch_mod.Watcher, "tick", tick)

    def wait_tick(self, timeout: float = 10.0) -> bool:
        with self.cond:
            t0 = self.ticks
            return self.cond.wait_for(lambda: self.ticks > t0 or self.done.is_set(), timeout)


def replay(
    path: Path, recs: list[bytes], lock: LockStep, per_point: int = 2, split: bool = True
) -> Iterator[int]:
    """Append ``recs`` to ``path``: the file header first, then ``per_point`` records (one
    logged point: learning_rate and loss) at a time, each time waiting for a watch tick; every
    other point is written in two halves with a tick between (a record being written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab", buffering=0) as f:
        f.write(recs[0])
        for i, k in enumerate(range(1, len(recs), per_point)):
            if lock.done.is_set():
                return
            chunk = b"".join(recs[k : k + per_point])
            if split and i % 2:
                f.write(chunk[: len(chunk) // 2 + 3])
                lock.wait_tick()
                f.write(chunk[len(chunk) // 2 + 3 :])
            else:
                f.write(chunk)
            yield i + 1
            lock.wait_tick()


def run_watch(args: list[str], writer: threading.Thread, lock: LockStep, capsys) -> tuple:
    Path(args[0]).mkdir(parents=True, exist_ok=True)
    writer.start()
    try:
        code = main(["watch", *args, "--isolated", "--format", "json", "--interval", "0.005"])
    finally:
        lock.done.set()
        with lock.cond:
            lock.cond.notify_all()
        writer.join(10)
    out = capsys.readouterr().out
    lines = [json.loads(x) for x in out.splitlines()]
    return code, [x for x in lines if x["event"] == "finding"], lines[-1]


def test_the_tf1_constant_lr_bug_stops_the_watch_before_40_percent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    lock = LockStep(monkeypatch)
    target = tmp_path / "logs" / "stuck" / "train" / "events.out.tfevents.1795334641.vm.1.v2"
    written = []
    writer = threading.Thread(
        target=lambda: written.extend(replay(target, records("stuck"), lock)), daemon=True
    )
    code, events, summary = run_watch(
        [str(tmp_path / "logs"), "--config", str(CONFIG), "--fail-fast"], writer, lock, capsys
    )
    assert code == 1
    assert [e["name"] for e in events] == ["constant_lr"]
    ev = events[0]
    assert ev["severity"] == "error" and not ev["final"]
    assert ev["n_points"] < 0.4 * N_POINTS and ev["last_step"] < 0.4 * 5000
    assert summary == {**summary, "event": "summary", "reason": "fail-fast", "exit_code": 1}
    assert max(written) < 0.4 * N_POINTS  # the watch ended while the run was being written


def test_a_correct_run_watched_to_the_end_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    lock = LockStep(monkeypatch)
    target = tmp_path / "logs" / "good" / "train" / "events.out.tfevents.1795334641.vm.0.v2"
    writer = threading.Thread(target=lambda: list(replay(target, records("good"), lock)))
    code, events, summary = run_watch(
        [str(tmp_path / "logs"), "--config", str(CONFIG), "--fail-fast", "--idle-exit", "0.3"],
        writer,
        lock,
        capsys,
    )
    assert code == 0, events
    assert not [e for e in events if e["severity"] == "error"]
    assert all(e["final"] for e in events)  # nothing was certain before the end
    assert summary["exit_code"] == 0 and summary["reason"].startswith("idle")
    # the whole run was read: the end-of-run audit saw every point
    assert all(e["n_points"] == N_POINTS for e in events)


def _restarted_file(path: Path, good: list[bytes], at: int) -> list[bytes]:
    """A resume that restarted the schedule: a new event file whose steps go on from ``at``
    while its LR starts the warmup again (the good run's values from step 100 on)."""
    from lraudit.reader import read_lr_series

    s = read_lr_series(DEMO / "logs" / "good")[0]
    recs = [good[0]]
    for k, v in enumerate(s.values[:10].tolist()):
        step = at + 100 * (k + 1)
        ev = scalar_event("learning_rate", step, v, 1.8e9 + k, "tensor_content")
        recs.append(frame(ev.SerializeToString()))
    return recs


def test_a_resume_written_during_the_watch_is_reported_when_it_happens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    lock = LockStep(monkeypatch)
    run = tmp_path / "logs" / "good" / "train"
    good = records("good")
    first = run / "events.out.tfevents.1795334641.vm.0.v2"
    second = run / "events.out.tfevents.1795339999.vm.0.v2"
    restart_at = 1500

    def write() -> None:
        for _ in replay(first, good[: 1 + 2 * 25], lock):  # steps 100..2500
            pass
        for k in replay(second, _restarted_file(second, good, restart_at), lock, per_point=1):
            lock.written = k

    writer = threading.Thread(target=write)
    code, events, summary = run_watch(
        [str(tmp_path / "logs"), "--config", str(CONFIG), "--idle-exit", "0.3"],
        writer,
        lock,
        capsys,
    )
    resets = [e for e in events if e["name"] == "schedule_reset"]
    assert resets, events
    ev = resets[0]
    assert not ev["final"] and ev["step"] == restart_at + 100  # during the watch
    # reported when it happened: within CONFIRM (2) points of the resume, not at its end
    (seen,) = [w for w, names in lock.log if "schedule_reset" in names]
    assert 1 <= seen <= 2
    assert code == 1 and summary["exit_code"] == 1


def test_a_damaged_record_is_reported_but_a_partial_one_is_waited_for(tmp_path: Path) -> None:
    from lraudit.reader.incremental import FileFollower

    good = records("good")
    path = tmp_path / "events.out.tfevents.1.h"
    path.write_bytes(good[0] + good[1][:-5])
    ff = FileFollower(str(path), lambda t: True)
    assert ff.poll() == 1 and ff.damaged is None  # the header; the partial record waits
    with open(path, "ab") as f:
        f.write(good[1][-5:] + good[2])
    assert ff.poll() == 2 and ff.data().points["learning_rate"].steps.tolist() == [100]
    bad = bytearray(good[3])
    bad[-1] ^= 0xFF
    with open(path, "ab") as f:
        f.write(bytes(bad))
    assert ff.poll() == 0 and ff.damaged is None  # suspected: may be bytes not yet written
    with open(path, "ab") as f:
        f.write(good[4])
    assert ff.poll() == 0 and ff.damaged is not None and "CRC" in ff.damaged


def test_a_replaced_or_shrunk_file_is_read_again(tmp_path: Path) -> None:
    from lraudit.reader.incremental import FileFollower

    good = records("good")
    path = tmp_path / "events.out.tfevents.1.h"
    path.write_bytes(b"".join(good[:7]))
    ff = FileFollower(str(path), lambda t: True)
    assert ff.poll() == 7
    assert ff.data().points["learning_rate"].steps.tolist() == [100, 200, 300]
    tmp = tmp_path / "new"
    tmp.write_bytes(b"".join(good[:3]))
    shutil.move(tmp, path)  # a new inode under the same name
    assert ff.poll() == -1
    assert ff.data().points["learning_rate"].steps.tolist() == [100]


def test_incremental_series_equal_the_full_read(tmp_path: Path) -> None:
    """Appends, a new file and a rewrite merged incrementally give what read_lr_series gives."""
    from lraudit.reader import read_lr_series
    from lraudit.reader.incremental import RunFollower

    good = records("good")
    run = tmp_path / "r"
    run.mkdir()
    a = run / "events.out.tfevents.1.h"
    b = run / "events.out.tfevents.2.h"
    rf = RunFollower(".", lambda t: True)
    steps = []
    for k in range(1, 31, 2):
        with open(a, "ab") as f:
            f.write(good[0] if k == 1 else b"")
            f.write(good[k] + good[k + 1])
        assert rf.poll([str(a)])
        upd = rf.updates(None)["learning_rate"]
        steps.append(upd.prefix)
    assert steps[1:] == list(range(1, 15))  # every later update only appended
    b.write_bytes(b"".join(_restarted_file(b, good, 1000)))
    assert rf.poll([str(a), str(b)])
    got = rf.updates(None)["learning_rate"].series
    (want,) = read_lr_series(run)
    np.testing.assert_array_equal(got.steps, want.steps)
    np.testing.assert_array_equal(got.values, want.values)
    assert got.notes == want.notes and len(got.replaced) == len(want.replaced) == 1


def test_watch_usage_errors_are_one_line(tmp_path: Path, capsys) -> None:
    assert main(["watch", str(tmp_path / "missing"), "--isolated"]) == 2
    assert main(["watch", str(tmp_path), "--interval", "0", "--isolated"]) == 2
    err = capsys.readouterr().err
    assert "no such file or directory" in err and "seconds > 0" in err
    assert "Traceback" not in err
