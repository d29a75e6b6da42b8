"""The fitter: edge cases, structure detection, identifiability reporting."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lraudit
from lraudit.fitting import fit, fit_arrays
from lraudit.fitting.structure import detect, keep_mask
from lraudit.schedules import families
from lraudit.types import FitResult, LRSeries, Schedule, Warmup


def f32(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def series(x: np.ndarray, y: np.ndarray) -> LRSeries:
    return LRSeries(
        "run", "lr", np.asarray(x, dtype=np.int64), np.asarray(y, float), np.zeros(len(x))
    )


def need(*names: str) -> None:
    missing = [n for n in names if n not in families()]
    if missing:
        pytest.skip(f"families not registered yet: {missing}")


# --------------------------------------------------------------------------- input handling


def test_fit_rejects_non_series() -> None:
    with pytest.raises(TypeError, match="LRSeries"):
        fit([1, 2, 3])  # type: ignore[arg-type]


def test_public_entry_point_is_the_fitter() -> None:
    x = np.arange(0, 500, 5)
    r = lraudit.fit(series(x, np.full(x.size, 3e-4, np.float32)))
    assert isinstance(r, FitResult)
    assert r.schedule.family == "constant"
    assert r.params[0].identified
    assert math.isclose(r.schedule.params["lr"], 3e-4, rel_tol=1e-6)


def test_constant_series() -> None:
    r = fit_arrays(np.arange(100), np.full(100, 0.1, np.float32))
    assert (r.schedule.family, r.status, r.offset, r.n_points) == ("constant", "ok", 0, 100)
    assert r.rmse_log < 1e-9


def test_empty_and_tiny_series_do_not_raise() -> None:
    r = fit_arrays([], [])
    assert r.status == "failed" and r.n_points == 0
    r = fit_arrays([0, 10, 20], [0.1, 0.09, 0.08])
    assert r.status in ("ok", "poor", "failed")
    r = fit_arrays([0, 10], [0.1, 0.05])
    assert r.status == "failed" and r.schedule.family == "constant"
    assert any("too few" in w for w in r.warnings)


def test_all_zero_or_non_finite_series_fail_gracefully() -> None:
    assert fit_arrays(np.arange(5), np.zeros(5)).status == "failed"
    r = fit_arrays(np.arange(4), [np.nan, np.inf, np.nan, np.nan])
    assert r.status == "failed"
    assert any("non-finite" in w for w in r.warnings)


def test_non_finite_values_are_ignored_and_noted() -> None:
    x = np.arange(0, 2000, 10)
    y = np.full(x.size, 0.01)
    y[[5, 50, 51]] = [np.nan, np.inf, -np.inf]
    r = fit_arrays(x, y)
    assert r.schedule.family == "constant"
    assert r.n_points == x.size - 3
    assert any("3 non-finite" in w for w in r.warnings)


def test_unsorted_and_duplicate_steps() -> None:
    x = np.array([30, 10, 20, 0, 20])
    y = np.array([0.1, 0.1, 0.5, 0.1, 0.1])
    r = fit_arrays(x, y)
    assert r.schedule.family == "constant" and r.n_points == 4
    assert any("duplicate" in w for w in r.warnings)


# --------------------------------------------------------------------------- structure


def test_structure_of_a_staircase() -> None:
    x = np.arange(0, 1000, 10.0)
    y = f32(0.1 * 0.5 ** np.floor(x / 250))
    st = detect(x, y)
    assert st.rise_end is None
    assert st.boundary_steps() == [250.0, 500.0, 750.0]
    assert st.piecewise_constant


def test_structure_of_a_warmup_then_decay() -> None:
    x = np.arange(0, 3000, 10.0)
    y = f32(np.where(x < 500, 0.01 + 0.09 * x / 500, 0.1 * np.exp(-(x - 500) / 2000)))
    st = detect(x, y)
    assert st.x[st.rise_end] == 500
    assert st.warmup_shape == "linear"
    assert not st.jumps and st.monotone_after_rise


def test_structure_float32_flats_are_not_jumps() -> None:
    # a decay too slow for float32 at every step shows ulp-sized changes, not structure
    x = np.arange(0, 5000.0)
    y = f32(0.004 * np.exp(-6.4e-8 * x))
    assert detect(x, y).jumps == ()


def test_keep_mask_keeps_points_around_structure() -> None:
    x = np.arange(0, 100_000.0)
    y = f32(0.1 * 0.1 ** np.floor(x / 30_000))
    st = detect(x, y)
    keep = keep_mask(x, y, st, 300)
    assert 250 <= keep.sum() <= 340
    for b in (30_000, 60_000, 90_000):
        assert keep[b - 1] and keep[b]


# --------------------------------------------------------------------------- warmup


def test_run_inside_warmup_reports_warmup_unidentified() -> None:
    # Detectron2 balloon: WARMUP_ITERS (1000) > MAX_ITER (300): the whole run is the ramp
    x = np.arange(19, 300, 20)
    y = f32(0.00025 * (0.001 + 0.999 * x / 300))
    r = fit_arrays(x, y)
    assert r.schedule.warmup is not None and r.schedule.warmup.shape == "linear"
    assert r.schedule.warmup.steps >= 299
    est = {p.name: p for p in r.params}
    assert not est["warmup.steps"].identified
    assert "ends inside the warmup" in (est["warmup.steps"].reason or "")
    assert est["warmup.start_lr"].identified
    assert math.isclose(est["warmup.start_lr"].value, 0.00025 * 0.001, rel_tol=1e-3)
    assert r.rmse_log < 1e-6


def test_constant_with_linear_warmup_from_zero() -> None:
    x = np.arange(0, 5000.0)
    y = f32(Schedule("constant", {"lr": 3e-4}, Warmup(500, 0.0)).evaluate(x))
    r = fit_arrays(x, y)
    assert r.schedule.family == "constant"
    assert r.schedule.warmup is not None
    assert r.schedule.warmup.start_lr == 0.0
    assert abs(r.schedule.warmup.steps - 500) <= 1
    assert math.isclose(r.schedule.params["lr"], 3e-4, rel_tol=1e-6)


def test_constant_warmup_is_a_jump() -> None:
    x = np.arange(0, 3000.0, 10)
    y = f32(Schedule("constant", {"lr": 0.1}, Warmup(300, 0.01, "constant")).evaluate(x))
    r = fit_arrays(x, y)
    assert r.schedule.warmup is not None and r.schedule.warmup.shape == "constant"
    assert r.schedule.warmup.steps == 300
    assert math.isclose(r.schedule.warmup.start_lr, 0.01, rel_tol=1e-6)


# --------------------------------------------------------------------------- sampling


def need_families(*names: str) -> None:
    missing = [n for n in names if n not in families()]
    if missing:
        pytest.skip(f"families not registered yet: {missing}")


def test_million_point_staircase_is_decimated_around_the_jumps() -> None:
    need_families("exponential")
    x = np.arange(1_000_000, dtype=np.int64)
    s = Schedule(
        "exponential",
        {
            "init_lr": 0.1,
            "decay_rate": 0.1,
            "decay_steps": 300_000,
            "staircase": True,
            "start_step": 0,
        },
    )
    y = f32(s.evaluate(x))
    r = fit_arrays(x, y)
    assert r.n_points == 1_000_000 and r.status == "ok"
    assert r.rmse_log < 1e-6
    fitted = r.schedule.evaluate(np.array([299_999, 300_000, 599_999, 600_000]))
    assert np.allclose(
        fitted, s.evaluate(np.array([299_999, 300_000, 599_999, 600_000])), rtol=1e-6
    )


def test_million_point_cosine_with_warmup() -> None:
    need_families("cosine")
    x = np.arange(0, 1_000_000, dtype=np.int64)
    s = Schedule(
        "cosine",
        {"peak_lr": 3e-4, "end_lr": 3e-6, "decay_steps": 990_000, "start_step": 10_000},
        Warmup(10_000, 0.0),
    )
    r = fit_arrays(x, f32(s.evaluate(x)))
    assert r.schedule.family == "cosine" and r.rmse_log < 1e-6
    est = {p.name: p for p in r.params}
    assert abs(r.schedule.warmup.steps - 10_000) <= 1
    assert math.isclose(est["decay_steps"].value, 990_000, rel_tol=1e-3)


def test_sparse_per_epoch_logging_of_a_multistep_schedule() -> None:
    need_families("piecewise")
    x = np.arange(0, 90_000, 1000)  # one point per "epoch" of 1000 iterations
    s = Schedule("piecewise", {"boundaries": [30_000, 60_000], "values": [0.1, 0.01, 0.001]})
    r = fit_arrays(x, f32(s.evaluate(x)))
    assert r.schedule.family in ("piecewise", "exponential")
    assert r.rmse_log < 1e-6
    # boundaries are known to within the logging interval and the fit says so
    est = {p.name: p for p in r.params}
    named = [p for p in est.values() if p.name in ("boundaries", "decay_steps")]
    assert named and all(p.stderr is not None and p.stderr > 0 for p in named)


def test_short_run_is_poor_not_an_exception() -> None:
    need_families("exponential")
    x = np.arange(0, 50, 10)
    y = f32(0.1 * 0.9 ** (x / 10))
    r = fit_arrays(x, y)
    assert r.n_points == 5 and r.status == "poor"
    assert any("too few" in w for w in r.warnings)
    assert r.rmse_log < 1e-3


def test_continuous_exponential_reports_only_the_rate() -> None:
    need_families("exponential")
    x = np.arange(0, 100_000, 100)
    s = Schedule(
        "exponential",
        {"init_lr": 0.004, "decay_rate": 0.95, "decay_steps": 800_720, "staircase": False},
    )
    r = fit_arrays(x, f32(s.evaluate(x)))
    assert r.schedule.family == "exponential" and not r.schedule.params["staircase"]
    est = {p.name: p for p in r.params}
    assert not est["decay_rate"].identified and not est["decay_steps"].identified
    assert "per-step rate" in (est["decay_steps"].reason or "")
    assert est["rate_per_step"].identified
    assert math.isclose(est["rate_per_step"].value, math.log(0.95) / 800_720, rel_tol=1e-2)


def test_screen_converges_inside_the_box_and_reports_its_budget() -> None:
    from lraudit.fitting.lm import screen

    x = np.linspace(0.0, 1.0, 50)
    y = 2.0 * np.exp(-3.0 * x)

    def fun(z: np.ndarray) -> np.ndarray:
        return z[0] * np.exp(-z[1] * x) - y

    lo, hi = np.array([0.0, 0.0]), np.array([10.0, 10.0])
    z, status = screen(fun, np.array([1.0, 1.0]), lo, hi, max_nfev=100)
    assert status == 1
    np.testing.assert_allclose(z, [2.0, 3.0], rtol=1e-7)
    # a budget of 3 evaluations stops early with status 0 (the caller converges it further)
    z3, st3 = screen(fun, np.array([1.0, 1.0]), lo, hi, max_nfev=3)
    assert st3 == 0 and float(fun(z3) @ fun(z3)) < float(fun(np.ones(2)) @ fun(np.ones(2)))
    # the optimum outside the box: the iterate approaches the bound but stays strictly inside
    zb, _ = screen(fun, np.array([1.0, 1.0]), lo, np.array([10.0, 2.0]), max_nfev=100)
    assert 1.999 < zb[1] < 2.0
