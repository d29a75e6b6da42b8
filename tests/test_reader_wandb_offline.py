"""W&B run files (``wandb/offline-run-*/run-<id>.wandb``), written by the real wandb client
(fixtures/sources/wandb_offline/generate.py), read with the wandb package's record message."""

from __future__ import annotations

import math
import shutil
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES

import lraudit
from lraudit.cli import main
from lraudit.errors import LogReadError

pytest.importorskip("wandb.proto.wandb_internal_pb2", reason="wandb (optional extra) is missing")

HERE = FIXTURES / "sources" / "wandb_offline"


def _file() -> Path:
    return next(HERE.glob("wandb/*/run-*.wandb"))


def _lr(step: int) -> float:  # the schedule generate.py logged
    if step < 10:
        return 0.1 * step / 10
    return 0.1 * 0.5 * (1.0 + math.cos(math.pi * (step - 10) / 50))


def test_history_rows_are_read_exactly() -> None:
    got = lraudit.read_scalars(HERE)
    run = f"wandb/{_file().parent.name}"
    assert [(s.run, s.tag, s.source) for s in got] == [
        (run, t, "wandb_run") for t in ("loss", "opt.momentum", "train/lr")
    ]
    (lr,) = lraudit.read_lr_series(HERE)
    assert lr.steps.tolist() == list(range(60))
    # the client's JSON encoding of floats is not round-trip exact (measured: up to 6e-15)
    assert lr.values.tolist() == pytest.approx([_lr(i) for i in range(60)], rel=1e-13, abs=0)
    assert bool((lr.wall_times > 1.6e9).all()) and bool(
        (lr.wall_times[1:] >= lr.wall_times[:-1]).all()
    )
    assert lr.notes[0] == "W&B run 'cosine-warmup' (project 'lraudit-fixture')"


def test_latest_run_link_does_not_rename_the_run(tmp_path: Path) -> None:
    shutil.copytree(HERE / "wandb", tmp_path / "wandb")
    real = next((tmp_path / "wandb").iterdir())
    (tmp_path / "wandb" / "latest-run").symlink_to(real.name)
    (s,) = lraudit.read_lr_series(tmp_path)
    assert s.run == f"wandb/{real.name}"


def test_audit_fits_the_logged_cosine(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    code = main(["report", str(HERE), "--format", "json", "--no-progress"])
    out, err = capsys.readouterr()
    (run,) = json.loads(out)["runs"]
    assert code == 0, err
    assert run["fit"]["family"] == "cosine" and run["n_points"] == 60


def test_damaged_file_keeps_the_rows_before_the_damage(tmp_path: Path) -> None:
    data = _file().read_bytes()
    cut = tmp_path / "cut" / "run-x.wandb"
    cut.parent.mkdir()
    cut.write_bytes(data[: len(data) * 2 // 3])
    (s,) = lraudit.read_lr_series(cut.parent)
    assert 0 < len(s) < 60
    assert s.values.tolist() == pytest.approx([_lr(i) for i in range(len(s))], rel=1e-13, abs=0)
    assert any("run-x.wandb: damaged (cut record" in n for n in s.notes), s.notes
    flip = tmp_path / "flip" / "run-y.wandb"
    flip.parent.mkdir()
    mid = len(data) // 2
    flip.write_bytes(data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1 :])
    (f,) = lraudit.read_lr_series(flip.parent)
    assert 0 < len(f) < 60 and any("checksum mismatch at byte" in n for n in f.notes)


@pytest.mark.parametrize("data", [b"", b"not a wandb file", b":W&B\xe1\xbe\x07rest"])
def test_bad_file_is_one_line(
    data: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "run-bad.wandb"
    p.write_bytes(data)
    code = main(["report", str(p), "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 2 and not out and err.count("\n") == 1 and "run-bad.wandb" in err


def test_without_wandb_the_extra_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "wandb.proto.wandb_internal_pb2", None)
    with pytest.raises(LogReadError, match=r'pip install "lraudit-tb\[wandb\]"'):
        lraudit.read_lr_series(_file())


def test_read_from_an_url_as_locally() -> None:
    fsspec = pytest.importorskip("fsspec")
    mem = fsspec.filesystem("memory")
    for p in HERE.rglob("*.wandb"):
        mem.pipe(f"/lraudit-wb/{p.relative_to(HERE).as_posix()}", p.read_bytes())
    (remote,) = lraudit.read_lr_series("memory://lraudit-wb")
    (local,) = lraudit.read_lr_series(HERE)
    assert (remote.run, remote.values.tolist()) == (local.run, local.values.tolist())
    assert remote.files[0].startswith("memory://lraudit-wb/wandb/")
