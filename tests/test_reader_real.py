"""The reader on real logs in ../shared/real-logs (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import FIXTURES, shared_path

import lraudit
from lraudit.reader import read_file


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


def _event_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and "tfevents" in p.name)


def test_fast_decoder_equals_protobuf_on_real_logs_and_fixtures() -> None:
    files = _event_files(FIXTURES / "logs") + _event_files(shared_path("real-logs"))
    assert len(files) > 20
    for f in files:
        fast, ref = read_file(str(f), fast=True), read_file(str(f), fast=False)
        assert fast.tags == ref.tags and fast.plugins == ref.plugins, f
        assert fast.sessions == ref.sessions and fast.notes == ref.notes, f
        assert sorted(fast.points) == sorted(ref.points), f
        for tag, tp in ref.points.items():
            got = fast.points[tag]
            assert got.steps.tolist() == tp.steps.tolist(), (f, tag)
            np.testing.assert_array_equal(got.values, tp.values)
            assert got.wall_times.tolist() == tp.wall_times.tolist(), (f, tag)


def test_lr_values_identical_to_tbparse_on_real_logs() -> None:
    import warnings

    from tbparse import SummaryReader

    base = shared_path("real-logs")
    for sub in ["Kevindic0214__detectron2_training", "huzaifasharafat__TFODCourse"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas/tbparse chatter, local to this block
            r = SummaryReader(str(base / sub), extra_columns={"dir_name"})
            frames = [r.scalars, r.tensors]
        for s in lraudit.read_lr_series(base / sub):
            theirs = []
            for df in frames:
                if df.empty:
                    continue
                rows = df[(df["dir_name"] == s.run) & (df["tag"] == s.tag)]
                theirs += [
                    (int(a), float(np.asarray(b)))
                    for a, b in zip(rows.step, rows.value, strict=True)
                ]
            ours = list(zip(s.steps.tolist(), s.values.tolist(), strict=True))
            for seg in s.replaced:
                ours += zip(seg.steps.tolist(), seg.values.tolist(), strict=True)
            assert sorted(ours, key=repr) == sorted(theirs, key=repr), (sub, s.run)
