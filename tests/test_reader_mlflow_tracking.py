"""MLflow runs through a tracking URI (``mlflow:<uri>[#<experiment>]``) with the mlflow client:
the same series as the file store read directly, and one line when the client is missing."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES

import lraudit
from lraudit.cli import main
from lraudit.errors import LogReadError

MLF = FIXTURES / "sources" / "mlflow" / "mlruns"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    pytest.importorskip("mlflow", reason="mlflow (optional extra) is not installed")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    s = tmp_path / "mlruns"
    shutil.copytree(MLF, s)
    for meta in s.glob("*/*/meta.yaml"):  # git keeps no empty folder; mlflow wants them
        for empty in ("params", "artifacts"):
            (meta.parent / empty).mkdir(exist_ok=True)
    return s


@pytest.mark.slow  # the mlflow client imports in ~2 s
def test_tracking_uri_gives_the_file_store_series(store: Path) -> None:
    uri = store.as_uri()
    local = lraudit.read_scalars(store)
    for form in (f"mlflow:{uri}", f"mlflow:{uri}#660100241683354650"):
        remote = lraudit.read_scalars(form)
        assert [(s.run, s.tag, s.source) for s in remote] == [
            (s.run, s.tag, s.source) for s in local
        ]
        for r, w in zip(remote, local, strict=True):
            assert r.steps.tolist() == w.steps.tolist()
            assert r.values.tolist() == w.values.tolist()
            assert r.wall_times.tolist() == w.wall_times.tolist()
            assert r.notes == w.notes
    (lr,) = lraudit.read_lr_series(f"mlflow:{uri}")
    assert lr.tag == "train/lr" and lr.files[0].startswith(f"mlflow:{uri}#")


@pytest.mark.slow
def test_tracking_uri_errors_are_one_line(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for logdir, words in (
        (f"mlflow:{store.as_uri()}#no-such-experiment", "no MLflow experiment named"),
        ("mlflow:", "give a tracking URI"),
    ):
        code, out, err = main(["report", logdir, "--no-progress"]), *capsys.readouterr()
        assert code == 2 and not out and err.count("\n") == 1, err
        assert words in err and logdir in err


def test_without_the_client_the_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)
    with pytest.raises(LogReadError, match=r'pip install "lraudit-tb\[mlflow\]"'):
        lraudit.read_lr_series("mlflow:http://localhost:5000")
