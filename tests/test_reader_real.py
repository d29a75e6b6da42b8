"""The reader on real logs in ../shared/real-logs (skipped when absent)."""

from __future__ import annotations

import numpy as np
from conftest import shared_path

import lraudit


def test_tfod_api_tensor_summaries_and_header_only_file() -> None:
    base = shared_path("real-logs", "huzaifasharafat__TFODCourse", "Tensorflow", "workspace")
    (s,) = lraudit.read_lr_series(base / "models" / "my_ssd_mobnet" / "train")
    assert s.steps.tolist() == list(range(100, 2001, 100))
    assert s.values[s.steps.tolist().index(1000)] == np.float32(0.08)
    assert len(s.files) == 2  # one of them is the 40-byte header-only file
    assert s.notes == ()


def test_space_in_run_dir_name() -> None:
    base = shared_path("real-logs", "huzaifasharafat__TFODCourse", "Tensorflow", "workspace")
    got = lraudit.read_lr_series(base, run="mobile*")
    assert [s.run for s in got] == ["mobile 320x320"]
    assert len(got[0].files) == 3 and len(got[0]) > 0


def test_yolov5_three_param_groups_per_run() -> None:
    base = shared_path("real-logs", "Grafit-Kil__helmet-detection-yolov5")
    got = lraudit.read_lr_series(base)
    runs = sorted({s.run for s in got})
    assert runs == ["runs/train/exp", "runs/train/exp2"]
    for r in runs:
        assert [s.tag for s in got if s.run == r] == ["x/lr0", "x/lr1", "x/lr2"]
    lr0 = next(s for s in got if s.run == "runs/train/exp2" and s.tag == "x/lr0")
    assert lr0.steps.tolist() == list(range(150))
    assert lr0.values[0] > lr0.values[1]  # the bias group falls during warmup


def test_detectron2_lr_every_20_iterations() -> None:
    base = shared_path("real-logs", "Kevindic0214__detectron2_training")
    (s,) = lraudit.read_lr_series(base)
    assert (s.run, s.tag) == ("output", "lr")
    assert s.steps.tolist() == list(range(19, 300, 20))
