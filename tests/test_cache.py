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


# ---------------------------------------------------------------- whole audits (issue 13)


def cosine_config(path: Path, peak: float) -> Path:
    path.write_text(
        f"schedule: {{family: cosine, params: {{peak_lr: {peak}, end_lr: 0, decay_steps: 600}}}}\n"
    )
    return path


def test_a_changed_config_is_judged_again_from_the_cached_fits(
    tmp_path: Path, fits: list[str], capsys
) -> None:
    logdir, cache = make_logdir(tmp_path / "logs"), tmp_path / "cache"
    cfg = cosine_config(tmp_path / "lr.yaml", 0.1)  # run "a"'s schedule; not b's or c's
    first = report(logdir, cache, capsys, "--config", str(cfg))
    fits.clear()
    assert report(logdir, cache, capsys, "--config", str(cfg)) == first and fits == []
    cosine_config(cfg, 0.2)  # same size: only the content tells
    second = report(logdir, cache, capsys, "--config", str(cfg))
    assert fits == []  # the series and fits came from the cache; the comparison did not
    assert second != first
    assert second == report(logdir, cache, capsys, "--config", str(cfg), "--no-cache")
    # a run pinned to another config (its own schedule): only its comparison changes
    own = cosine_config(tmp_path / "c.yaml", 0.3)
    fits.clear()
    pinned = report(logdir, cache, capsys, "--config", str(cfg), "--config", f"c={own}")
    assert pinned != second and fits == []
    assert pinned == report(
        logdir, cache, capsys, "--config", str(cfg), "--config", f"c={own}", "--no-cache"
    )
    fits.clear()
    no_config = report(logdir, cache, capsys, "--no-config")
    assert no_config != second and fits == []
    assert no_config == report(logdir, cache, capsys, "--no-config", "--no-cache")


@pytest.mark.parametrize(
    "option", [["--world-size", "2"], ["--steps-per-epoch", "7"], ["--tag", "loss"]]
)
def test_an_option_that_changes_the_audit_is_a_miss(
    tmp_path: Path, capsys, option: list[str]
) -> None:
    logdir, cache = make_logdir(tmp_path / "logs"), tmp_path / "cache"
    cfg = cosine_config(tmp_path / "lr.yaml", 0.2)
    base = ["--config", str(cfg)]
    first = report(logdir, cache, capsys, *base)
    second = report(logdir, cache, capsys, *base, *option)
    assert second == report(logdir, cache, capsys, *base, *option, "--no-cache")
    assert json.loads(second) != json.loads(first)


def test_a_damaged_array_or_an_entry_of_another_format_is_a_miss(
    tmp_path: Path, fits: list[str], capsys
) -> None:
    logdir, cache = make_logdir(tmp_path / "logs"), tmp_path / "cache"
    first = report(logdir, cache, capsys)
    for i, p in enumerate(sorted(cache.glob("*/*.lrc"))):
        doc, blob = read_entry(p)
        if i % 3 == 0:
            write_entry(p, doc, blob[: len(blob) // 2])  # arrays cut short
        elif i % 3 == 1:
            p.write_bytes(b"LRAUDIT-CACHE-1\n" + p.read_bytes()[len(MAGIC) :])  # another format
        else:
            write_entry(p, doc, blob[:-1])  # an array of a partial item
    fits.clear()
    assert report(logdir, cache, capsys) == first
    assert sorted(fits) == sorted(RUNS)


HIT_PATH = """
import sys
from lraudit.cli import main
code = main(sys.argv[1:])
heavy = ("scipy", "lraudit.fitting", "lraudit.diagnose", "lraudit.run_findings", "yaml")
print(sorted({m.split(".")[0] if m.startswith("scipy") else m for m in sys.modules
              if m.startswith(heavy)}))
sys.exit(code)
"""


def test_a_report_whose_runs_all_come_from_the_cache_imports_no_fitter(tmp_path: Path) -> None:
    import subprocess
    import sys

    logdir, cache = make_logdir(tmp_path / "logs"), tmp_path / "cache"
    args = ["report", str(logdir), "--isolated", "-q", "--jobs", "1", "--cache", str(cache)]
    runs = [
        subprocess.run(
            [sys.executable, "-c", HIT_PATH, *args],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        ).stdout.splitlines()[-1]
        for _ in range(2)
    ]
    assert "lraudit.fitting" in runs[0]  # the first fits: the check can see an import
    assert runs[1] == "[]"


def test_the_hf_args_scan_of_an_event_file_is_kept_while_the_file_does_not_change(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    SummaryWriter = pytest.importorskip("tensorboardX").SummaryWriter
    from lraudit.configs import discover

    logdir, cache = make_logdir(tmp_path / "logs"), tmp_path / "cache"
    scanned: list[str] = []
    scan = discover._scan_args_text
    monkeypatch.setattr(discover, "_scan_args_text", lambda p: scanned.append(p.name) or scan(p))
    monkeypatch.setattr(discover, "ARGS_SEEN", {})
    first = report(logdir, cache, capsys)
    assert len(scanned) == len(RUNS) + 1  # each run's event file, once
    scanned.clear()
    monkeypatch.setattr(discover, "ARGS_SEEN", {})  # as a new process would start
    assert report(logdir, cache, capsys) == first and scanned == []
    # the HF callback's args text appended to run c's event file: scanned again, and found
    w = SummaryWriter(str(tmp_path / "hf"))
    w.add_text("args", '{"learning_rate": 0.3, "lr_scheduler_type": "cosine", "max_steps": 600}')
    w.close()
    (hf,) = (tmp_path / "hf").glob("*tfevents*")
    (ev,) = (logdir / "c").glob("*tfevents*")
    with open(ev, "ab") as f:
        f.write(hf.read_bytes())
    monkeypatch.setattr(discover, "ARGS_SEEN", {})
    got = json.loads(report(logdir, cache, capsys))
    assert scanned == [ev.name]
    (c,) = [r for r in got["runs"] if r["run"] == "c"]
    assert c["config"]["format"] == "hf", c["config"]
    assert got == json.loads(report(logdir, cache, capsys, "--no-cache"))
