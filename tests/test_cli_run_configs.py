"""Each run compared with its own saved config (issue 11): ``--config auto`` (the default),
``--config RUN=FILE``, ``--no-config``, on an Ultralytics project folder of real-writer runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lraudit.cli import main

PROJECT = Path(__file__).resolve().parent.parent / "fixtures" / "projects" / "ultralytics"
#: the run folders (see fixtures/projects/ultralytics/README.md)
RUNS = ("train", "train2", "train3")


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A copy of the project folder: ``runs/detect/trainN/`` each holding its event file and
    the ``args.yaml`` Ultralytics wrote beside it."""
    root = tmp_path / "runs"
    shutil.copytree(PROJECT / "runs", root)
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--isolated"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_each_run_is_audited_against_its_own_config(capsys, project: Path) -> None:
    code, out, _ = run(capsys, "check", str(project), "--steps-per-epoch", "50", "--format", "json")
    report = json.loads(out)
    assert code == 0, [f["message"] for r in report["runs"] for f in r["findings"]]
    by_run = {r["run"]: r["config"] for r in report["runs"]}
    assert set(by_run) == {f"detect/{r}" for r in RUNS}
    for name, cfg in by_run.items():
        assert cfg["found"] == "beside_run"
        assert Path(cfg["path"]) == project / name / "args.yaml"
    code, out, _ = run(capsys, "report", str(project), "--steps-per-epoch", "50")
    assert "configs:" in out and "train2/args.yaml" in out


@pytest.mark.slow
def test_one_config_for_all_is_still_applied_to_every_run(capsys, project: Path) -> None:
    # the 100-epoch schedule of 'train' does not describe the 20- and 15-epoch runs
    cfg = str(project / "detect" / "train" / "args.yaml")
    code, out, _ = run(
        capsys,
        "check",
        str(project),
        "--steps-per-epoch",
        "50",
        "--config",
        cfg,
        "--format",
        "json",
    )
    report = json.loads(out)
    assert code == 1
    bad = {r["run"] for r in report["runs"] if r["findings"]}
    assert bad == {"detect/train2", "detect/train3"}


@pytest.mark.slow
def test_a_pinned_run_config_wins_and_the_others_are_discovered(capsys, project: Path) -> None:
    other = str(project / "detect" / "train" / "args.yaml")
    code, out, _ = run(
        capsys,
        "check",
        str(project),
        "--steps-per-epoch",
        "50",
        "--config",
        f"detect/train2={other}",
        "--format",
        "json",
    )
    report = json.loads(out)
    found = {r["run"]: r["config"]["found"] for r in report["runs"]}
    assert found["detect/train3"] == "beside_run" and found["detect/train2"] != "beside_run"
    bad = {r["run"] for r in report["runs"] if r["findings"]}
    assert bad == {"detect/train2"} and code == 1


@pytest.mark.slow
def test_no_config_audits_the_logs_alone(capsys, project: Path) -> None:
    code, out, _ = run(capsys, "report", str(project), "--no-config", "--format", "json")
    report = json.loads(out)
    assert all(r["intended"] is None for r in report["runs"])
    code, _, err = run(capsys, "report", str(project), "--no-config", "--config", "x.yaml")
    assert code == 2 and "--no-config" in err
