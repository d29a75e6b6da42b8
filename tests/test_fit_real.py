"""The fitter on real TensorBoard logs from public repositories (../shared/real-logs)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import shared_path

import lraudit
from lraudit.fitting import fit, fit_arrays
from lraudit.fitting.candidates import registry


def _need(*names: str) -> None:
    missing = [n for n in names if n not in registry()]
    if missing:
        pytest.skip(f"families not registered yet: {missing}")


def _series(path, tag=None):
    found = lraudit.read_lr_series(path, tag=tag)
    assert found, f"no LR series under {path}"
    return max(found, key=len)


def test_tf2_od_api_warmup_then_cosine() -> None:
    _need("cosine")
    s = _series(
        shared_path(
            "real-logs",
            "huzaifasharafat__TFODCourse",
            "Tensorflow",
            "workspace",
            "models",
            "my_ssd_mobnet",
            "train",
        )
    )
    r = fit(s)
    assert r.status == "ok" and r.rmse_log < 1e-6
    assert r.schedule.family == "cosine"
    est = {p.name: p for p in r.params}
    assert math.isclose(r.schedule.params["peak_lr"], 0.08, rel_tol=1e-5)
    assert est["peak_lr"].identified
    w = r.schedule.warmup
    assert w is not None and w.shape == "linear"
    assert abs(w.steps - 1000) <= 1 and est["warmup.steps"].identified
    assert math.isclose(w.start_lr, 0.026666, rel_tol=1e-4)
    # 2000 of 50000 steps: the horizon is poorly identified and the fit says so
    assert not est["decay_steps"].identified
    assert "horizon" in (est["decay_steps"].reason or "")


def test_detectron2_balloon_is_a_pure_warmup() -> None:
    s = _series(shared_path("real-logs", "Kevindic0214__detectron2_training", "output"))
    r = fit(s)
    assert r.status == "ok" and r.rmse_log < 1e-5
    w = r.schedule.warmup
    assert w is not None and w.shape == "linear"
    assert w.steps >= float(s.steps[-1])  # the warmup covers the whole run: no plateau
    est = {p.name: p for p in r.params}
    assert not est["warmup.steps"].identified
    assert math.isclose(w.start_lr, 0.00025 * 0.001, rel_tol=1e-2)
    # the value the warmup would reach (BASE_LR 0.00025 at MAX_ITER 300) extrapolates right
    assert math.isclose(float(r.evaluate([300])[0]), 0.00025, rel_tol=1e-3)


def test_yolov5_150_epochs_warmup_then_linear_decay() -> None:
    _need("polynomial")
    path = shared_path("real-logs", "Grafit-Kil__helmet-detection-yolov5", "runs", "train", "exp2")
    s = _series(path, tag="x/lr1")
    r = fit(s)
    assert r.status == "ok"
    assert r.schedule.family == "polynomial"
    assert abs(float(r.schedule.params["power"]) - 1.0) < 0.01
    w = r.schedule.warmup
    # 100 warmup iterations at 8 iterations per epoch = 12.5 epochs; YOLOv5 logs the LR of the
    # last batch of each epoch (iteration 8e + 7), so in logged epochs the ramp ends 7/8 earlier
    assert w is not None and 11.0 <= w.steps <= 13.0
    assert math.isclose(
        r.schedule.params["init_lr"]
        if float(r.schedule.params.get("start_step", 0)) == 0
        else float(r.evaluate([13])[0]),
        0.0092,
        rel_tol=0.02,
    )


def test_yolov5_3_epoch_run_is_too_short() -> None:
    path = shared_path("real-logs", "Grafit-Kil__helmet-detection-yolov5", "runs", "train", "exp")
    r = fit(_series(path, tag="x/lr1"))
    assert r.n_points == 3
    assert r.status in ("poor", "failed")
    assert any("too few" in w for w in r.warnings)


def test_od_api_nan_divergence_log_still_fits() -> None:
    _need("cosine")
    path = shared_path(
        "real-logs", "huzaifasharafat__TFODCourse", "Tensorflow", "workspace", "mobile 320x320"
    )
    for s in lraudit.read_lr_series(path):
        r = fit(s)
        assert r.status == "ok", (s.run, r.warnings)
        assert r.schedule.family == "cosine"


def test_real_curve_with_injected_nan_and_sparse_logging() -> None:
    _need("cosine")
    s = _series(
        shared_path(
            "real-logs",
            "huzaifasharafat__TFODCourse",
            "Tensorflow",
            "workspace",
            "models",
            "my_ssd_mobnet",
            "train",
        )
    )
    x = s.steps.copy()
    y = s.values.copy()
    y[[3, 12]] = np.nan
    r = fit_arrays(x, y)
    assert r.schedule.family == "cosine" and r.n_points == len(x) - 2
    assert any("non-finite" in w for w in r.warnings)


def test_yolov5_bias_group_falls_during_warmup() -> None:
    _need("polynomial")
    path = shared_path("real-logs", "Grafit-Kil__helmet-detection-yolov5", "runs", "train", "exp2")
    r = fit(_series(path, tag="x/lr0"))
    # warmup_bias_lr 0.1 falls towards lr0 over the same 100 iterations (12.5 epochs)
    w = r.schedule.warmup
    assert r.status == "ok" and r.schedule.family == "polynomial"
    assert w is not None and 11.0 <= w.steps <= 13.0
    assert 0.09 <= w.start_lr <= 0.1
