"""Config discovery beside each run, and the config-vs-log check."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES, shared_path

import lraudit
from lraudit.configs import load_config
from lraudit.configs.discover import find_run_config
from lraudit.configs.fits_logs import config_describes
from lraudit.types import LRSeries

L = FIXTURES / "layouts"


@pytest.mark.parametrize(
    ("root", "run", "config", "fmt", "distance"),
    [
        ("yolov7", "runs/train/exp", "runs/train/exp/opt.yaml", "yolov5", 0),
        ("yolov5_v50", "runs/train/exp", "runs/train/exp/opt.yaml", "yolov5", 0),
        ("ultralytics_830", "runs/detect/train", "runs/detect/train/args.yaml", "yolov5", 0),
        ("detectron2", "output", "output/config.yaml", "detectron2", 0),
        (
            "lightning_cli",
            "lightning_logs/version_0",
            "lightning_logs/version_0/config.yaml",
            "lightning",
            0,
        ),
        (
            "mmengine",
            "work_dirs/cosine_epoch_autoscale/20240101_000000/vis_data",
            "work_dirs/cosine_epoch_autoscale/cosine_epoch_autoscale.py",
            "mmengine",
            2,
        ),
        ("odapi", "models/my_ssd/train", "models/my_ssd/pipeline.config", "odapi", 1),
        ("odapi", "models/my_ssd/eval", "models/my_ssd/pipeline.config", "odapi", 1),
        (
            "hf",
            "output/runs/Jan01_00-00-00_host",
            "output/checkpoint-1000/trainer_state.json",  # the newest checkpoint
            "hf",
            2,
        ),
    ],
)
def test_each_framework_layout(root: str, run: str, config: str, fmt: str, distance: int) -> None:
    found = find_run_config(L / root / run, L / root)
    assert found is not None
    assert found.path == (L / root / config).resolve()
    assert (found.format, found.distance) == (fmt, distance)
    assert found.how


def test_run_without_config_finds_none_and_never_a_sibling_runs() -> None:
    assert find_run_config(L / "yolov5_runs/runs/train/exp3", L / "yolov5_runs") is None


def test_each_yolo_run_gets_its_own_config() -> None:
    d = shared_path("real-logs", "Grafit-Kil__helmet-detection-yolov5", "runs", "train")
    for run in ("exp", "exp2"):
        found = find_run_config(d / run, d)
        assert found is not None and found.path == (d / run / "opt.yaml").resolve()
        assert load_config(found.path).horizon == {"exp": 3, "exp2": 150}[run]


def test_walk_stops_at_the_logdir_root(tmp_path: Path) -> None:
    shutil.copytree(L / "odapi", tmp_path / "odapi")
    run = tmp_path / "odapi/models/my_ssd/train"
    assert find_run_config(run, run) is None  # the model dir is above the root
    assert find_run_config(run, tmp_path) is not None


def test_hf_args_in_the_event_file_come_first(tmp_path: Path) -> None:
    SummaryWriter = pytest.importorskip("tensorboardX").SummaryWriter

    run = tmp_path / "out/runs/x"
    w = SummaryWriter(str(run))
    w.add_text("args", '{"learning_rate": 5e-05, "lr_scheduler_type": "linear", "max_steps": 100}')
    w.close()
    found = find_run_config(run, tmp_path)
    assert found is not None and found.format == "hf" and "tfevents" in found.path.name


def _series(tag: str, steps, values) -> LRSeries:
    s = np.asarray(steps, dtype=float)
    return LRSeries("r", tag, s, np.asarray(values, dtype=float), np.zeros_like(s))


def test_config_describes_its_own_log() -> None:
    d = shared_path("real-logs", "Grafit-Kil__helmet-detection-yolov5", "runs", "train", "exp2")
    it = load_config(d / "opt.yaml", steps_per_epoch=8)
    series = lraudit.read_lr_series(d)
    assert config_describes(it, series) is None


def test_yolo_hyp_against_an_odapi_log_is_rejected() -> None:
    d = shared_path("real-logs", "Grafit-Kil__helmet-detection-yolov5", "runs", "train", "exp2")
    it = load_config(d / "hyp.yaml")
    steps = np.arange(100, 2001, 100)
    why = config_describes(it, [_series("learning_rate", steps, np.full(steps.size, 0.08))])
    assert why is not None and "x/lr1" in why and "learning_rate" in why


def test_horizon_and_scale_reasons() -> None:
    d = shared_path("real-logs", "Grafit-Kil__helmet-detection-yolov5", "runs", "train", "exp2")
    it = load_config(d / "opt.yaml")
    far = np.arange(0, 20001, 1000)
    why = config_describes(it, [_series("x/lr1", far, np.full(far.size, 0.01))])
    assert why is not None and "150 epochs" in why
    near = np.arange(0, 150)
    why = config_describes(it, [_series("x/lr1", near, np.full(near.size, 5.0))])
    assert why is not None and "peaks at 5" in why
    # 8 GPUs' linear scaling is not a mismatch
    assert config_describes(it, [_series("x/lr1", near, np.full(near.size, 0.08))]) is None


def test_generic_tags_are_not_held_against_a_config() -> None:
    it = load_config(FIXTURES / "configs/detectron2/balloon_tutorial_config.yaml")
    steps = np.arange(0, 300, 20)
    lr = it.evaluate(steps)
    assert config_describes(it, [_series("my/custom_lr", steps, lr)]) is None
