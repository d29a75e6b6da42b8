"""End-to-end: logs written by the real framework schedulers and writers, audited by the CLI.

The cases live in ``fixtures/e2e`` (``generate.py`` writes them with torch 2.13, tensorboardX,
TF 2.21 / Keras 3.15, transformers 5.23, paddle 3.3 and timm in the fixture venv); ``cases.json``
holds each case's config, extra CLI arguments and the exit code and findings a correct auditor
gives (``EXPECTED.md`` in each case directory says why). This module runs
``lraudit check LOGDIR --config CFG --format json`` on every case and checks the exit code and
the set of warning/error findings.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lraudit import read_lr_series
from lraudit.cli import main

E2E = Path(__file__).resolve().parent.parent / "fixtures" / "e2e"
CASES = json.loads((E2E / "cases.json").read_text())


def _check(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    meta = CASES[name]
    out = tmp_path / "report.json"
    argv = ["check", str(E2E / name / "logs"), "--config", str(E2E / name / meta["config"])]
    argv += ["--format", "json", "--output", str(out), "--jobs", "1", "--no-progress"]
    rc = main(argv + meta["args"])
    capsys.readouterr()
    return rc, json.loads(out.read_text())


@pytest.mark.parametrize("name", sorted(CASES))
def test_real_framework_case(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    meta = CASES[name]
    rc, report = _check(name, tmp_path, capsys)
    # one series per run, or one per param group (Ultralytics lr/pg0..2): findings of all
    runs = report["runs"]
    assert runs
    for run in runs:
        assert run["fit"] is not None and run["intended"] is not None
    findings = [f for run in runs for f in run["findings"]]
    found = {f["name"] for f in findings if f["severity"] in ("warning", "error")}
    infos = {f["name"] for f in findings if f["severity"] == "info"}
    # the best answer, or an acceptable second best listed in cases.json
    accepted = [set(meta["expect"])] + [set(a) for a in meta.get("alternatives", [])]
    assert rc == meta["expect_exit"], findings
    assert found in accepted, findings
    # the config was compared with the log, not skipped for want of a unit conversion
    assert "step_unit_mismatch" not in infos


@pytest.mark.parametrize(
    ("name", "args"),
    [("hf_linear_warmup_ratio", []), ("hf_cosine_epochs", ["--steps-per-epoch", "63"])],
)
def test_hf_config_from_event_file_args(name: str, args: list[str], capsys):
    """The TrainingArguments text the TensorBoardCallback writes is a config on its own."""
    (run,) = (E2E / name / "logs" / "runs").iterdir()
    argv = ["check", str(E2E / name / "logs"), "--config", str(run), "--format", "json"]
    rc = main([*argv, "--jobs", "1", "--no-progress", *args])
    report = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert report["config"]["format"] == "hf"
    assert [f["name"] for f in report["runs"][0]["findings"]] == []


def test_hf_event_args_without_step_count_is_a_usage_error(capsys):
    """Epoch-based HF runs need the number of updates: exit 2 and one line saying what to pass."""
    (run,) = (E2E / "hf_cosine_epochs" / "logs" / "runs").iterdir()
    rc = main(["check", str(run), "--config", str(run), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "--steps-per-epoch" in err and "trainer_state.json" in err


def test_cases_are_documented():
    for name, meta in CASES.items():
        d = E2E / name
        assert (d / meta["config"]).is_file(), name
        assert (d / "EXPECTED.md").is_file(), name
        assert list((d / "logs").rglob("events.out.tfevents.*")), name


def _tbparse_lr(logdir: Path, tag: str) -> tuple[np.ndarray, np.ndarray]:
    tbparse = pytest.importorskip("tbparse")
    reader = tbparse.SummaryReader(str(logdir), pivot=False)
    frames = [f for f in (reader.scalars, reader.tensors) if len(f)]
    df = frames[0] if len(frames) == 1 else __import__("pandas").concat(frames)
    df = df[df["tag"] == tag].sort_values("step", kind="stable")
    return df["step"].to_numpy(), df["value"].to_numpy(dtype=np.float64)


#: One case per writer path: torch add_scalar, torch new_style (tensor), tensorboardX,
#: Keras TensorBoard callback (tensor), tf.summary file writer, transformers TensorBoardCallback,
#: two event files in one run (no overlap).
READER_CASES = [
    "torch_steplr_epoch",
    "torch_cosine_newstyle",
    "torch_exponential_tbx",
    "keras_fit_expdecay_staircase",
    "keras_cosine_warmup_tfsummary",
    "hf_linear_warmup_ratio",
    "bug_resume_reset",
]


@pytest.mark.parametrize("name", READER_CASES)
def test_reader_equals_tbparse(name: str):
    (series,) = read_lr_series(str(E2E / name / "logs"))
    steps, values = _tbparse_lr(E2E / name / "logs" / series.run, series.tag)
    np.testing.assert_array_equal(np.asarray(series.steps), steps)
    # the event files hold float32 (simple_value or a DT_FLOAT tensor): bit-identical
    np.testing.assert_array_equal(np.asarray(series.values, dtype=np.float64), values)


def test_ultralytics_without_batches_per_epoch_notes_but_does_not_warn(tmp_path, capsys):
    """Without --steps-per-epoch the values on YOLO's warmup ramp are not known exactly (each
    epoch's last batch is logged): a correct run gets an info with the hint, not a warning."""
    name = "u84_linear_warmup3_nb50"
    out = tmp_path / "r.json"
    argv = ["check", str(E2E / name / "logs"), "--config", str(E2E / name / "args.yaml")]
    rc = main([*argv, "--format", "json", "--output", str(out), "--no-progress"])
    capsys.readouterr()
    report = json.loads(out.read_text())
    findings = [f for r in report["runs"] for f in r["findings"]]
    assert rc == 0
    assert all(f["severity"] == "info" for f in findings), findings
    assert any("--steps-per-epoch" in f["message"] for f in findings)
