"""Native ``units`` semantics and the clock check on a config flat over the logged window
(issue 10 item 5), on logs written by torch + tensorboardX (fixtures/e2e/generate.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lraudit.cli import main

E2E = Path(__file__).resolve().parent.parent / "fixtures" / "e2e"
BUG = E2E / "bug_epoch_milestones_stepped_per_iteration_early"
GOOD = E2E / "native_multistep_epochs_per_iteration_log"


def _findings(d: Path, config: Path, tmp_path: Path) -> tuple[int, list[dict]]:
    out = tmp_path / "r.json"
    rc = main(
        ["check", str(d / "logs"), "--config", str(config), "--format", "json"]
        + ["--output", str(out), "--jobs", "1", "--no-progress"]
    )
    return rc, [f for run in json.loads(out.read_text())["runs"] for f in run["findings"]]


def test_epoch_milestones_stepped_every_iteration_while_the_config_is_flat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the config holds 0.1 over the whole logged window (its first milestone is iteration
    # 1200, the log stops at 395); the log drops at 30 and 60: the clock, not the decay
    rc, fs = _findings(BUG, BUG / "lraudit.yaml", tmp_path)
    capsys.readouterr()
    assert rc == 1
    assert [f["name"] for f in fs if f["severity"] != "info"] == ["step_unit_mismatch"]
    msg = fs[0]["message"]
    assert "40x faster" in msg and "every iteration instead of every epoch" in msg


def test_a_correct_epoch_schedule_logged_per_iteration_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, fs = _findings(GOOD, GOOD / "lraudit.yaml", tmp_path)
    capsys.readouterr()
    assert rc == 0 and not [f for f in fs if f["severity"] != "info"]


def test_units_without_the_log_axis_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `units: {step: epoch, steps_per_epoch: N}` used to mean "logged per epoch" silently; the
    # per-iteration bug above then matched the config exactly
    cfg = tmp_path / "lr.yaml"
    text = (BUG / "lraudit.yaml").read_text().replace("      log_step: iteration\n", "")
    text = text.replace("  log_step: iteration\n", "")
    assert "log_step" not in text
    cfg.write_text(text)
    rc = main(["check", str(BUG / "logs"), "--config", str(cfg), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1 and str(cfg) in err
    assert "units.log_step is not set" in err and "Traceback" not in err
