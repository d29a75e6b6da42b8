"""Other loggers' files as LR sources: detectron2 metrics.json, Lightning metrics.csv, W&B CSV
exports, MLflow runs. Read (exact values), audited end to end through the CLI, and every bad
file is one clear line."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES

import lraudit
from lraudit.cli import main
from lraudit.errors import LogReadError
from lraudit.testing import write_scalars

SRC = FIXTURES / "sources"
D2 = SRC / "detectron2"
LIGHT = SRC / "lightning"
WANDB = SRC / "wandb"
MLF = SRC / "mlflow"
REAL_D2 = Path("/work/shared/real-logs/Kevindic0214__detectron2_training/output")


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lraudit: error: "), err
    assert "Traceback" not in err and "KeyError" not in err
    for w in words:
        assert w in lines[0], (w, err)


def _torch_lrs(make, n: int) -> list[float]:
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = make(opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


# ------------------------------------------------------------------------------ reading


def test_detectron2_metrics_json_equals_the_event_file_it_was_written_from() -> None:
    (s,) = lraudit.read_lr_series(D2)
    assert (s.run, s.tag, s.source) == ("output", "lr", "detectron2_json")
    case = FIXTURES / "e2e" / "bug_d2_cosine_max_iter_override" / "logs"
    (ev,) = lraudit.read_lr_series(case)
    assert s.steps.tolist() == ev.steps.tolist() == list(range(19, 4000, 20))
    assert s.values.tolist() == ev.values.tolist()
    assert np.isnan(s.wall_times).all()
    # the evaluation line (bbox/AP only) is a tag of its own, not a hole in lr
    (ap,) = lraudit.read_scalars(D2, "bbox/AP")
    assert (ap.steps.tolist(), ap.values.tolist()) == ([1999], [12.5])


def test_detectron2_malformed_and_repeated_lines_keep_every_readable_line(tmp_path: Path) -> None:
    lines = [
        {"iteration": 19, "lr": 0.1, "loss": 2.0},
        {"iteration": 39, "lr": 0.2},
        "{not json",
        [1, 2],
        {"lr": 0.3},
        {"iteration": 59, "lr": 0.3},
        {"iteration": 39, "lr": 0.25},  # a resumed job appends (JSONWriter opens with "a")
    ]
    p = tmp_path / "metrics.json"
    p.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    (s,) = lraudit.read_lr_series(tmp_path)
    assert s.steps.tolist() == [19, 39, 59] and s.values.tolist() == [0.1, 0.25, 0.3]
    assert [r.values.tolist() for r in s.replaced] == [[0.2]]
    assert any("3 malformed line(s) skipped (first: line 3: not JSON" in n for n in s.notes)
    assert any("written more than once in metrics.json" in n for n in s.notes)


@pytest.mark.skipif(not REAL_D2.is_dir(), reason="shared real logs not present")
def test_real_detectron2_metrics_json_matches_its_event_file() -> None:
    (js,) = lraudit.read_lr_series(REAL_D2 / "metrics.json")
    (ev,) = lraudit.read_lr_series(REAL_D2)  # the event file wins in the folder
    assert (js.source, ev.source) == ("detectron2_json", "tfevents")
    assert js.steps.tolist() == ev.steps.tolist() == list(range(19, 300, 20))
    # metrics.json holds float64, the event file float32 of the same values
    assert np.allclose(js.values, ev.values, rtol=1e-7, atol=0)
    assert js.values[-1] == pytest.approx(0.00025 * (0.001 + 0.999 * 299 / 300))
    assert any("written more than once" in n for n in js.notes)  # iteration 19 twice


def test_event_file_is_primary_metrics_json_is_the_fallback(tmp_path: Path) -> None:
    run = tmp_path / "output"
    run.mkdir()
    shutil.copy(D2 / "output" / "metrics.json", run)
    write_scalars(run, "lr", [0, 1], [0.5, 0.5])
    (s,) = lraudit.read_lr_series(tmp_path)
    assert (s.source, s.values.tolist()) == ("tfevents", [0.5, 0.5])
    # event files without an LR tag (only losses, or a crashed start): metrics.json is read
    for f in run.glob("*tfevents*"):
        f.unlink()
    write_scalars(run, "loss", [0, 1], [2.0, 1.0])
    (s,) = lraudit.read_lr_series(tmp_path)
    assert (s.run, s.source, len(s)) == ("output", "detectron2_json", 200)
    assert "read from metrics.json" in s.notes[0]


def test_lightning_csvlogger_sparse_columns() -> None:
    got = lraudit.read_lr_series(LIGHT)
    assert [(s.run, s.tag, s.source) for s in got] == [
        ("lightning_logs/version_0", "lr-SGD/pg1", "lightning_csv"),
        ("lightning_logs/version_0", "lr-SGD/pg2", "lightning_csv"),
    ]
    # StepLR(step_size=2, gamma=0.5) per epoch of 5 batches, logged at every global step
    expect = [0.1 * 0.5 ** (step // 10) for step in range(30)]
    assert got[0].steps.tolist() == list(range(30))
    assert got[0].values.tolist() == pytest.approx(expect, rel=1e-12)
    assert got[1].values.tolist() == pytest.approx([v / 10 for v in expect], rel=1e-12)
    (loss,) = lraudit.read_scalars(LIGHT, "train_loss")  # rows with only the loss filled
    assert len(loss) == 30 and np.isfinite(loss.values).all()
    # "step" and "epoch" are the axes, not tags
    assert {x.tag for x in lraudit.read_scalars(LIGHT)} == {
        "lr-SGD/pg1",
        "lr-SGD/pg2",
        "train_loss",
    }


def test_wandb_ui_export_two_runs_and_history_export() -> None:
    # torch CosineAnnealingLR(T_max=50) from 0.1 (its recursive form: equal to ~1e-15)
    cos = [0.05 * (1 + math.cos(math.pi * k / 50)) for k in range(51)]
    got = {s.run: s for s in lraudit.read_lr_series(WANDB)}
    assert sorted(got) == ["cosine-run", "exp run - 2", "history"]
    assert {s.source for s in got.values()} == {"wandb_csv"}
    assert got["cosine-run"].values.tolist() == pytest.approx(cos, rel=1e-12, abs=1e-16)
    assert got["exp run - 2"].steps.tolist() == list(range(41))  # empty cells after 40
    assert got["exp run - 2"].values.tolist() == pytest.approx([0.1 * 0.95**k for k in range(41)])
    h = got["history"]
    assert h.values.tolist() == got["cosine-run"].values.tolist()
    assert h.wall_times.tolist() == [1767600000.25 + 1.5 * k for k in range(51)]


def test_wandb_downsampled_panel_is_noted(tmp_path: Path) -> None:
    p = tmp_path / "export.csv"
    p.write_text('"Step","r - lr","r - lr__MIN","r - lr__MAX"\n0,0.1,0.1,0.1\n100,0.05,0.04,0.06\n')
    (s,) = lraudit.read_lr_series(p)
    assert (s.run, s.tag, s.values.tolist()) == ("r", "lr", [0.1, 0.05])
    assert any("downsampled by the W&B panel" in n for n in s.notes)


def test_mlflow_file_store_without_the_mlflow_package() -> None:
    (s,) = lraudit.read_lr_series(MLF)
    assert s.source == "mlflow" and s.tag == "train/lr"
    assert s.run.startswith("mlruns/") and s.run.count("/") == 2
    assert s.notes[0] == "MLflow run 'onecycle' in experiment 'lraudit-fixture'"
    lines = (MLF / s.run / "metrics" / "train" / "lr").read_text().split("\n")
    rows = [line.split() for line in lines if line]
    assert s.steps.tolist() == [int(r[2]) for r in rows] == list(range(60))
    assert s.values.tolist() == [float(r[1]) for r in rows]
    assert s.wall_times.tolist() == [int(r[0]) / 1000 for r in rows]


@pytest.mark.slow  # imports torch
def test_mlflow_fixture_holds_torch_onecycle() -> None:
    (s,) = lraudit.read_lr_series(MLF)
    torch = pytest.importorskip("torch")
    ref = _torch_lrs(lambda o: torch.optim.lr_scheduler.OneCycleLR(o, 0.1, total_steps=60), 60)
    assert s.values.tolist() == ref


def test_mlflow_deleted_runs_are_skipped(tmp_path: Path) -> None:
    shutil.copytree(MLF, tmp_path / "m")
    (meta,) = [p for p in (tmp_path / "m").rglob("meta.yaml") if (p.parent / "metrics").is_dir()]
    meta.write_text(meta.read_text().replace("lifecycle_stage: active", "lifecycle_stage: deleted"))
    with pytest.raises(lraudit.errors.NoEventFilesError):
        lraudit.read_lr_series(tmp_path / "m")


@pytest.mark.slow
def test_mlflow_client_reads_the_same_store(tmp_path: Path, monkeypatch) -> None:
    mlflow = pytest.importorskip("mlflow", reason="mlflow (optional extra) is not installed")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    (s,) = lraudit.read_lr_series(MLF)
    store = tmp_path / "mlruns"
    shutil.copytree(MLF / "mlruns", store)
    for meta in store.glob("*/*/meta.yaml"):  # git keeps no empty folder; mlflow wants them
        for empty in ("params", "artifacts"):
            (meta.parent / empty).mkdir(exist_ok=True)
    client = mlflow.tracking.MlflowClient(store.as_uri())
    hist = client.get_metric_history(s.run.rsplit("/", 1)[-1], "train/lr")
    assert [m.step for m in hist] == s.steps.tolist()
    assert [m.value for m in hist] == s.values.tolist()


# ------------------------------------------------------------------------------ end to end


def test_detectron2_check_with_config_beside_metrics_json(capsys) -> None:
    code, out, err = cli(capsys, "check", str(D2), "--format", "json")
    rep = json.loads(out)
    (run,) = rep["runs"]
    assert run["config"]["found"] == "beside_run" and run["config"]["format"] == "detectron2"
    assert run["fit"]["family"] == "cosine"
    assert "decay_mismatch" in {f["name"] for f in run["findings"]}
    assert code == 1


def test_lightning_check_and_a_wrong_config(capsys, tmp_path: Path) -> None:
    spe = ("--steps-per-epoch", "5", "--format", "json")
    code, out, _ = cli(capsys, "check", str(LIGHT), "--tag", "lr-SGD/pg1", *spe)
    (run,) = json.loads(out)["runs"]
    assert code == 0 and run["config"]["format"] == "lightning"
    # StepLR halving every 2 epochs of 5 batches: a staircase (as pieces or as a decay)
    assert run["fit"]["family"] in ("piecewise", "exponential", "step")
    assert run["status"] == "ok" and not run["findings"]
    # the second param group's LR (0.01, set in code) is not the config's 0.1
    code, out, _ = cli(capsys, "check", str(LIGHT), *spe)
    found = {(r["tag"], f["name"]) for r in json.loads(out)["runs"] for f in r["findings"]}
    assert code == 1 and found == {("lr-SGD/pg2", "lr_scale_mismatch")}
    cfg = LIGHT / "lightning_logs" / "version_0" / "config.yaml"
    wrong = tmp_path / "config.yaml"
    wrong.write_text(cfg.read_text().replace("step_size: 2", "step_size: 4"))
    code, out, _ = cli(
        capsys, "check", str(LIGHT), "--tag", "lr-SGD/pg1", "--config", str(wrong), *spe
    )
    (run,) = json.loads(out)["runs"]
    assert code == 1 and any(f["severity"] == "error" for f in run["findings"])


@pytest.mark.parametrize(
    ("path", "families"),
    [
        (WANDB, {"cosine-run": "cosine", "history": "cosine"}),
        (MLF, {"*": "one_cycle"}),
    ],
)
def test_report_fits_a_family(capsys, path: Path, families: dict[str, str]) -> None:
    code, out, _ = cli(capsys, "report", str(path), "--format", "json")
    assert code == 0
    fam = {r["run"]: r["fit"]["family"] for r in json.loads(out)["runs"]}
    for run, f in families.items():
        if run == "*":
            assert set(fam.values()) == {f}
        else:
            assert fam[run] == f


# ------------------------------------------------------------------------------ bad files


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("metrics.json", '{"iteration": "x"}\nnot json\n', ["not a detectron2 metrics.json"]),
        ("metrics.csv", "epoch,lr-SGD\n0,0.1\n", ["not a known learning-rate export"]),
        ("wandb.csv", "Step,Value\n0,0.1\n", ["not a known learning-rate export", "Step, Value"]),
        ("w.csv", '"Step","Name","Created"\n', ["not a known learning-rate export"]),
        ("empty.csv", "", ["not a known learning-rate export", "(none)"]),
        ("h.csv", "_step,_runtime\n0,1\n", ["W&B CSV export without metric columns"]),
    ],
)
def test_bad_file_is_one_clear_line(capsys, tmp_path: Path, name: str, text: str, words) -> None:
    p = tmp_path / name
    p.write_text(text)
    code, _, err = cli(capsys, "report", str(p))
    assert code == 2
    one_line_error(err, str(p), *words)


def test_bad_lines_in_every_csv_shape_are_notes(tmp_path: Path) -> None:
    p = tmp_path / "metrics.csv"
    p.write_text("epoch,lr-SGD,step\n0,0.1,0\n0,abc,1\n0,0.1\n0,0.05,x\n1,0.05,3\n")
    (s,) = lraudit.read_lr_series(p)
    assert s.steps.tolist() == [0, 3] and s.values.tolist() == [0.1, 0.05]
    assert any("3 malformed line(s) skipped (first: line 3: lr-SGD = 'abc'" in n for n in s.notes)
    m = tmp_path / "mlruns" / "1" / "abc"
    (m / "metrics").mkdir(parents=True)
    (m / "meta.yaml").write_text("run_id: abc\nlifecycle_stage: active\n")
    (m / "metrics" / "lr").write_text("1000 0.1 0\ngarbage\n3000 0.05 2\n")
    (s,) = lraudit.read_lr_series(tmp_path / "mlruns")
    assert s.values.tolist() == [0.1, 0.05] and s.wall_times.tolist() == [1.0, 3.0]
    assert any("metrics/lr: 1 malformed line(s)" in n for n in s.notes)


def test_size_budget(monkeypatch: pytest.MonkeyPatch, capsys, tmp_path: Path) -> None:
    shutil.copy(D2 / "output" / "metrics.json", tmp_path)
    monkeypatch.setenv("LRAUDIT_MAX_SOURCE_BYTES", "1000")
    with pytest.raises(LogReadError, match="above the 0 MB budget.*LRAUDIT_MAX_SOURCE_BYTES"):
        lraudit.read_lr_series(tmp_path / "metrics.json")
    monkeypatch.setenv("LRAUDIT_MAX_SOURCE_BYTES", "lots")
    code, _, err = cli(capsys, "report", str(tmp_path / "metrics.json"))
    assert code == 2
    one_line_error(err, "LRAUDIT_MAX_SOURCE_BYTES='lots'")
