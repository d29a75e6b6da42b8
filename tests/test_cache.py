"""The on-disk run cache of ``report``/``check`` (issue 13.2): unchanged runs are neither read
nor fitted again, a changed run is, and a damaged or hostile entry is only a miss."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from lraudit import pipeline
from lraudit.cache import MAGIC, RunCache, default_dir
from lraudit.cli import main
from lraudit.testing import frame, scalar_event, write_scalars

RUNS = ("a", "b/train", "c")


def make_logdir(root: Path) -> Path:
    x = np.arange(0, 600, 10)
    for i, run in enumerate(RUNS):
        lr = 0.1 * (i + 1) * 0.5 * (1 + np.cos(np.pi * x / 600))
        write_scalars(root / run, ["lr", "loss"], x, [lr, 1 / (1 + x)])
    write_scalars(root / "eval", "accuracy", [0, 100], [0.1, 0.5])  # a run without an LR tag
    return root


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The runs fitted (pipeline._fit calls), in order."""
    seen: list[str] = []
    orig = pipeline._fit

    def counting(series):  # noqa: ANN001, ANN202
        seen.append(series.run)
        return orig(series)

    monkeypatch.setattr(pipeline, "_fit", counting)
    return seen


def read_entry(p: Path) -> tuple[dict, bytes]:
    """An entry's JSON header and the bytes of its arrays (layout: lraudit.cache._doc)."""
    data = p.read_bytes()
    assert data.startswith(MAGIC)
    (n,) = struct.unpack_from("<Q", data, len(MAGIC))
    start = len(MAGIC) + 8
    return json.loads(data[start : start + n]), data[start + n :]


def write_entry(p: Path, doc: dict, blob: bytes) -> None:
    head = json.dumps(doc).encode()
    p.write_bytes(MAGIC + struct.pack("<Q", len(head)) + head + blob)


def report(logdir: Path, cache: Path, capsys, *extra: str) -> str:
    args = ["report", str(logdir), "--format", "json", "--isolated", "--jobs", "1"]
    code = main([*args, "--cache", str(cache), *extra])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def test_a_second_report_on_an_unchanged_logdir_comes_from_the_cache(
    tmp_path: Path, fits: list[str], capsys
) -> None:
    logdir, cache = make_logdir(tmp_path / "logs"), tmp_path / "cache"
    first = report(logdir, cache, capsys)
    assert sorted(fits) == sorted(RUNS)
    fits.clear()
    second = report(logdir, cache, capsys)
    assert fits == []  # nothing read or fitted again
    assert second == first
    assert json.loads(second)["unaudited"]  # the run without an LR tag is still listed


def test_a_changed_run_is_the_only_one_read_and_fitted_again(
    tmp_path: Path, fits: list[str], capsys
) -> None:
    logdir, cache = make_logdir(tmp_path / "logs"), tmp_path / "cache"
    report(logdir, cache, capsys)
    (f,) = (logdir / "b" / "train").glob("*tfevents*")
    with open(f, "ab") as out:
        out.write(frame(scalar_event("lr", 600, 0.0, 1.8e9).SerializeToString()))
    fits.clear()
    got = json.loads(report(logdir, cache, capsys))
    assert fits == ["b/train"]
    fresh = json.loads(report(logdir, cache, capsys, "--no-cache"))
    assert got == fresh
    assert next(r for r in got["runs"] if r["run"] == "b/train")["last_step"] == 600


def test_no_cache_writes_nothing(tmp_path: Path, capsys) -> None:
    logdir, cache = make_logdir(tmp_path / "logs"), tmp_path / "cache"
    report(logdir, cache, capsys, "--no-cache")
    assert not cache.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"not json at all",
        b'{"key": "x"',
        b"",
        # a well-formed entry naming a class the cache does not know (no code may run)
        None,
    ],
    ids=["garbage", "truncated", "empty", "hostile-class"],
)
def test_a_damaged_or_hostile_entry_is_a_miss(
    tmp_path: Path, fits: list[str], capsys, content: bytes | None
) -> None:
    logdir, cache = make_logdir(tmp_path / "logs"), tmp_path / "cache"
    first = report(logdir, cache, capsys)
    entries = list(cache.glob("*/*.lrc"))
    assert len(entries) == 2 * (len(RUNS) + 1)  # per run: series and fits; its audits
    for p in entries:
        if content is None:
            doc, blob = read_entry(p)
            hostile = [{"$c": "os.system", "f": {"command": "echo pwned"}}]
            doc["audits" if "audits" in doc else "series"] = hostile
            write_entry(p, doc, blob)
        else:
            p.write_bytes(content)
    fits.clear()
    second = report(logdir, cache, capsys)
    assert second == first and sorted(fits) == sorted(RUNS)
    fits.clear()
    assert report(logdir, cache, capsys) == first and fits == []  # rewritten, good again


def test_the_cache_is_trimmed_to_its_size_cap(tmp_path: Path) -> None:
    c = RunCache(tmp_path / "cache")
    for i in range(5):
        assert c.store(f"{i:064x}", ([], [], {f"r{i}": ("x" * 1000,)}))
    sizes = [p.stat().st_size for p in (tmp_path / "cache").glob("*/*.lrc")]
    c.trim(limit=2 * max(sizes))
    assert len(list((tmp_path / "cache").glob("*/*.lrc"))) == 2


def test_default_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LRAUDIT_CACHE_DIR", str(tmp_path / "t"))
    assert default_dir() == tmp_path / "t"
    monkeypatch.delenv("LRAUDIT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_dir() == tmp_path / "x" / "lraudit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert default_dir() == tmp_path / "h" / ".cache" / "lraudit"
    assert os.fspath(default_dir()).endswith(os.path.join(".cache", "lraudit"))
