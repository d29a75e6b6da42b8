"""Short series and partial cycles: the fallback candidates of the fitter."""

from __future__ import annotations

import numpy as np
import pytest

from lraudit.fitting import fit_arrays
from lraudit.fitting.candidates.grids import cyclic_grid
from lraudit.types import Schedule, Warmup


def _log(s: Schedule, x: np.ndarray) -> np.ndarray:
    return s.evaluate(x).astype(np.float32).astype(np.float64)


def test_cyclic_with_two_points_per_phase() -> None:
    # 17-step phases logged every 10 steps: structure sees no clean cycle
    s = Schedule(
        "cyclic",
        {
            "base_lr": 4.5e-4,
            "max_lr": 4.8e-3,
            "step_size_up": 17,
            "step_size_down": 17,
            "mode": "triangular",
            "gamma": 1.0,
        },
    )
    x = np.arange(10, 130, 10, dtype=float)
    r = fit_arrays(x, _log(s, x))
    assert r.schedule.family == "cyclic"
    assert r.rmse_log < 1e-5
    # the long period, not a sub-Nyquist alias that meets the same points
    assert abs(r.schedule.params["step_size_up"] - 17) < 1.0


def test_cyclic_seen_for_less_than_one_cycle() -> None:
    s = Schedule(
        "cyclic",
        {
            "base_lr": 5.8e-4,
            "max_lr": 2.06e-3,
            "step_size_up": 1416,
            "step_size_down": 2256,
            "mode": "exp_range",
            "gamma": 0.99981,
        },
    )
    x = np.arange(0, 2545, 1, dtype=float)
    r = fit_arrays(x, _log(s, x))
    assert r.schedule.family == "cyclic"
    assert r.rmse_log < 1e-5


def test_short_three_phase_one_cycle() -> None:
    s = Schedule(
        "one_cycle",
        {
            "max_lr": 6.46e-4,
            "total_steps": 156,
            "pct_start": 0.1456,
            "init_lr": 2.96e-5,
            "end_lr": 2.28e-7,
            "anneal": "cos",
            "three_phase": True,
        },
    )
    x = np.arange(13, 156, 13, dtype=float)
    r = fit_arrays(x, _log(s, x))
    assert r.schedule.family == "one_cycle"
    assert r.rmse_log < 1e-5


def test_warmup_and_linear_decay_stay_polynomial() -> None:
    # a rise and a straight fall is also a partial triangle: the regular family must keep it
    s = Schedule(
        "polynomial",
        {"init_lr": 0.01, "end_lr": 0.0, "decay_steps": 900, "power": 1.0, "start_step": 100},
        Warmup(100, 0.001, "linear"),
    )
    x = np.arange(0, 1000, 10, dtype=float)
    r = fit_arrays(x, _log(s, x))
    assert r.schedule.family == "polynomial"


def test_cyclic_grid_finds_the_periods() -> None:
    s = Schedule(
        "cyclic",
        {
            "base_lr": 1e-3,
            "max_lr": 1e-2,
            "step_size_up": 30,
            "step_size_down": 50,
            "mode": "triangular2",
            "gamma": 1.0,
        },
    )
    x = np.arange(0, 400, 7, dtype=float)
    up, dn = cyclic_grid(x, _log(s, x))[0]
    # a start within one step of the geometric grid (ratio about 1.15)
    assert abs(up / 30 - 1) < 0.2 and abs(dn / 50 - 1) < 0.2


def test_wsd_decay_seen_at_three_points() -> None:
    # the first log is after step 0 and the cosine decay to 0 shows at three points only
    s = Schedule(
        "warmup_stable_decay",
        {
            "peak_lr": 7.66e-3,
            "stable_steps": 95,
            "decay_steps": 37,
            "end_lr": 0.0,
            "decay_shape": "cosine",
        },
    )
    x = np.arange(11, 143, 11, dtype=float)
    r = fit_arrays(x, _log(s, x))
    assert r.schedule.family == "warmup_stable_decay"
    assert r.schedule.params["decay_shape"] == "cosine"
    assert r.rmse_log < 1e-5


def test_short_burn_in_seen_as_one_equal_pair() -> None:
    # OD API burn-in + continuous decay + min_lr, logged 15 times: the hold is two equal points
    s = Schedule(
        "exponential",
        {
            "init_lr": 2.376e-4,
            "decay_rate": 0.735,
            "decay_steps": 121,
            "staircase": False,
            "start_step": 45,
        },
        None,
        9.8385e-05,
    )
    x = np.arange(0, 585, 39, dtype=float)
    r = fit_arrays(x, _log(s, x))
    assert r.schedule.family == "exponential"
    assert r.rmse_log < 1e-5


def test_staircase_logged_once_or_twice_per_stair() -> None:
    s = Schedule(
        "exponential",
        {
            "init_lr": 6.87e-3,
            "decay_rate": 0.3277,
            "decay_steps": 8,
            "staircase": True,
            "start_step": 0,
        },
    )
    x = np.arange(0, 30, 5, dtype=float)
    r = fit_arrays(x, _log(s, x))
    assert r.schedule.family == "exponential"
    assert r.schedule.params["staircase"] is True
    assert 7.5 < r.schedule.params["decay_steps"] <= 8.34  # every width in here fits the log


def test_one_restart_then_a_longer_period() -> None:
    # SGDR with T_mult=2 seen past 2 * T_0 without a second restart: not T_mult=1
    s = Schedule(
        "cosine_restarts",
        {
            "peak_lr": 3.9e-4,
            "end_lr": 0.0,
            "first_period": 200,
            "period_mult": 2.0,
            "peak_decay": 0.73,
        },
    )
    x = np.arange(0, 580, 2, dtype=float)
    r = fit_arrays(x, _log(s, x))
    assert r.schedule.family == "cosine_restarts"
    assert r.rmse_log < 1e-5
    mult = next(p for p in r.params if p.name == "period_mult")
    assert not mult.identified and "at least" in (mult.reason or "")


def test_sgdr_with_three_points_per_period() -> None:
    # first log after step 0, three logs per 19-step period: no usable structure read
    s = Schedule(
        "cosine_restarts",
        {
            "peak_lr": 0.179,
            "end_lr": 2.17e-4,
            "first_period": 19,
            "period_mult": 1.0,
            "peak_decay": 1.0,
        },
    )
    x = np.arange(6, 72, 6, dtype=float)
    r = fit_arrays(x, _log(s, x))
    assert r.schedule.family == "cosine_restarts"
    assert r.rmse_log < 1e-5


def test_four_points_across_a_restart_fit_sgdr_with_held_values() -> None:
    # 4 points cannot fit SGDR's 5 parameters; with end_lr and period_mult held at their
    # conventional values they can, and the restart is not explained away as a constant
    s = Schedule(
        "cosine_restarts",
        {
            "peak_lr": 9.78e-3,
            "end_lr": 1.4e-5,
            "first_period": 14,
            "period_mult": 1.0,
            "peak_decay": 0.7,
        },
    )
    x = np.array([4.0, 8.0, 12.0, 16.0])
    r = fit_arrays(x, _log(s, x))
    assert r.schedule.family == "cosine_restarts"
    assert r.status == "poor"  # too few points to tell schedules apart: said so
    assert r.rmse_log < 5e-3
    held = {p.name: p for p in r.params if not p.identified}
    assert "only 4 points" in (held["end_lr"].reason or "")
    assert abs(r.schedule.params["first_period"] - 14) < 0.5


def test_window_ending_in_a_one_cycle_rise() -> None:
    # torch OneCycleLR (cos) logged every 4 steps, the run stopped before the peak
    s = Schedule(
        "one_cycle",
        {
            "max_lr": 0.24,
            "total_steps": 166_630,
            "pct_start": 0.44,
            "init_lr": 0.0064,
            "end_lr": 5.8e-6,
            "anneal": "cos",
            "three_phase": True,
        },
    )
    x = np.arange(4, 55_205, 4, dtype=float)
    r = fit_arrays(x, _log(s, x))
    assert r.schedule.family == "one_cycle" and r.schedule.params["anneal"] == "cos"
    assert r.rmse_log < 1e-6
    p = {e.name: e for e in r.params}
    assert p["max_lr"].identified and abs(p["max_lr"].value / 0.24 - 1) < 1e-4
    # only the rise length is seen, not its split into pct_start and total_steps
    assert not p["total_steps"].identified and not p["pct_start"].identified
    rise = r.schedule.params["pct_start"] * r.schedule.params["total_steps"]
    assert abs(rise / (0.44 * 166_630) - 1) < 1e-3


def _wsd(shape: str) -> Schedule:
    return Schedule(
        "warmup_stable_decay",
        {
            "peak_lr": 0.03,
            "stable_steps": 998,
            "decay_steps": 621,
            "end_lr": 9.7e-4,
            "decay_shape": shape,
        },
    )


@pytest.mark.parametrize("shape", ["linear", "cosine", "1-sqrt"])
def test_wsd_decay_seen_at_three_points_is_exact_for_every_shape(shape: str) -> None:
    x = np.arange(0, 3300, 269, dtype=float)  # 3 points inside the decay, then the floor
    r = fit_arrays(x, _log(_wsd(shape), x))
    assert r.rmse_log < 1e-6
    # the same curve at every step of the window, not only at the logged ones
    every = np.arange(0, 3300, dtype=float)
    np.testing.assert_allclose(r.evaluate(every), _wsd(shape).evaluate(every), rtol=1e-5)
    if shape == "cosine" and r.schedule.family == "cosine":
        return  # a hold then a cosine to a floor: the same schedule
    assert r.schedule.family == "warmup_stable_decay"
    assert r.schedule.params["decay_shape"] == shape
    p = {e.name: e for e in r.params}
    assert p["decay_shape"].identified


def test_wsd_decay_seen_at_two_points_does_not_claim_its_shape() -> None:
    x = np.arange(0, 3300, 400, dtype=float)  # 1200 and 1600 inside the decay
    r = fit_arrays(x, _log(_wsd("linear"), x))
    assert r.rmse_log < 1e-6
    p = {e.name: e for e in r.params}
    if r.schedule.family == "warmup_stable_decay":
        assert not p["decay_shape"].identified
        assert "fits as well" in (p["decay_shape"].reason or "")


def test_flat_then_one_drop_at_the_end_is_a_step() -> None:
    s = Schedule("piecewise", {"boundaries": [55, 111], "values": [0.05, 0.025, 0.0075]})
    x = np.arange(0, 56, 11, dtype=float)
    r = fit_arrays(x, _log(s, x))
    assert r.schedule.family == "piecewise"
    assert r.schedule.params["values"][:2] == pytest.approx([0.05, 0.025], rel=1e-6)


def test_wsd_whose_decay_ends_at_the_last_point() -> None:
    # no flat tail: the end level is the last value, not 0 (HF min_lr_ratio)
    s = Schedule(
        "warmup_stable_decay",
        {
            "peak_lr": 0.0296,
            "stable_steps": 3135,
            "decay_steps": 1310,
            "end_lr": 3.49e-4,
            "decay_shape": "1-sqrt",
        },
    )
    x = np.arange(333, 4663, 333, dtype=float)
    r = fit_arrays(x, _log(s, x))
    assert r.schedule.family == "warmup_stable_decay"
    assert r.schedule.params["decay_shape"] == "1-sqrt"
    assert r.rmse_log < 1e-6


def test_five_point_three_phase_one_cycle_never_raises() -> None:
    # a 5-point log of a three-phase one-cycle: an optimum with pct_start > 0.5 (which torch's
    # three_phase forbids) used to become the best fit and crash fit_arrays in evaluate()
    s = Schedule(
        "one_cycle",
        {
            "max_lr": 0.0015868846352299546,
            "total_steps": 387,
            "pct_start": 0.18146291548548746,
            "init_lr": 4.562132821876828e-05,
            "end_lr": 2.8914639472243277e-07,
            "anneal": "cos",
            "three_phase": True,
        },
    )
    x = np.arange(0, 129, 32)
    r = fit_arrays(x, s.evaluate(x).astype(np.float32).astype(np.float64))
    r.schedule.evaluate(x)  # a valid schedule
    for a in r.alternatives:
        a.schedule.evaluate(x)
    p = r.schedule.params
    if r.schedule.family == "one_cycle" and p.get("three_phase"):
        assert p["pct_start"] <= 0.5
