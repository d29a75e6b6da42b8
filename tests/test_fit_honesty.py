"""The honesty gate of a fit: is the best schedule a result (``explained``), where it misses,
the tolerance the data allow, and fits kept inside the data's range."""

from __future__ import annotations

import numpy as np
import pytest

from lraudit.errors import ScheduleError
from lraudit.fitting import engine, fit_arrays, honesty
from lraudit.fitting.engine import Candidate, FreeParam
from lraudit.fitting.search import capped
from lraudit.types import Schedule


def f32(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def _cosine(x: np.ndarray) -> np.ndarray:
    s = Schedule("cosine", {"peak_lr": 0.1, "end_lr": 0.0, "decay_steps": 5000, "start_step": 0})
    return s.evaluate(x)


def test_exact_float32_curve_is_explained_at_float32_tolerance() -> None:
    x = np.arange(0, 5000, 10.0)
    res = fit_arrays(x, f32(_cosine(x)))
    assert res.explained
    assert res.tolerance_rel == honesty.F32_ULPS * honesty.EPS32
    assert res.misfit_rel is not None and res.misfit_rel < 1e-6


def test_a_bump_no_family_has_is_unexplained_and_located() -> None:
    x = np.arange(0, 5000, 10.0)
    y = _cosine(x)
    bump = (x >= 2500) & (x < 2600)
    y[bump] *= 1.005  # 10 points 0.5 % above the cosine
    res = fit_arrays(x, f32(y))
    assert not res.explained
    assert res.misfit_step is not None and 2400 <= res.misfit_step <= 2700
    assert res.misfit_rel is not None and res.misfit_rel > 1e-3


def test_values_logged_with_four_digits_are_explained_by_the_measured_noise() -> None:
    # a text log that keeps 4 significant digits: the rounding is logging noise, measured where
    # the curve is smooth, not a misfit
    x = np.arange(0, 5000, 5.0)
    y = np.array([float(f"{v:.4g}") for v in _cosine(x)])
    y[-1] = y[-2] * 0.5  # keep the tail positive and distinct
    sigma = honesty.noise_sigma(y[:-1])
    assert 1e-5 < sigma < 1e-3
    res = fit_arrays(x[:-50], y[:-50])
    assert res.explained, (res.misfit_step, res.misfit_rel, res.tolerance_rel)
    assert res.tolerance_rel is not None and res.tolerance_rel > 1e-5


def test_noise_is_not_measured_on_jumps_or_a_sparse_curve() -> None:
    # a staircase: every smooth triple is flat, the jumps are not smooth
    y = np.repeat([0.1, 0.01, 0.001], 50)
    assert honesty.noise_sigma(y) == 0.0
    # a cosine logged 12 times: its curvature is not noise
    x = np.linspace(0, 5000, 12)
    assert honesty.noise_sigma(_cosine(x)) == 0.0


def test_curve_above_the_data_between_logged_steps_is_out_of_range() -> None:
    # a triangle wave whose peaks fall between the logs: 10x above every logged value
    s = Schedule(
        "cyclic",
        {"base_lr": 0.001, "max_lr": 0.1, "step_size_up": 5, "step_size_down": 5},
    )
    x = np.arange(0, 1000, 10.0)
    y = s.evaluate(x)  # logged at the troughs only
    assert float(np.max(y)) < 0.0011
    grid = honesty.window_steps(x)
    assert not honesty.inside_range(s, 0, grid, float(np.max(y)))
    assert honesty.inside_range(Schedule("constant", {"lr": 0.001}), 0, grid, 0.001)


def test_step_parameters_are_bounded_by_the_run() -> None:
    free = [
        FreeParam("step_size_down", 10.0, 1.0, np.inf, log=True),
        FreeParam("max_lr", 0.1, 0.0, np.inf, log=True),
    ]
    c = capped(Candidate("cyclic", {}, free), 1000.0)
    hi = {p.name: p.hi for p in c.free}
    assert hi["step_size_down"] == honesty.STEP_CAP * 1000.0
    assert hi["max_lr"] == np.inf
    # a horizon may reach far past the run
    c = capped(Candidate("cosine", {}, [FreeParam("decay_steps", 10.0, 1.0, np.inf)]), 1000.0)
    assert c.free[0].hi == honesty.HORIZON_CAP * 1000.0


def test_fitted_params_stay_inside_the_data_range() -> None:
    # a single rise and a long flat top: nothing justifies a level or period far outside the run
    x = np.arange(0, 2000, 10.0)
    y = f32(np.where(x < 300, 0.001 + 0.099 * x / 300, 0.1))
    res = fit_arrays(x, y)
    grid = honesty.window_steps(x)
    assert honesty.inside_range(res.schedule, res.offset, grid, float(np.max(y)))
    for p in res.params:
        if isinstance(p.value, float) and p.name.endswith(("steps", "period", "size_down")):
            assert p.value <= honesty.HORIZON_CAP * 2000


def test_a_family_parameter_ordering_is_kept_by_the_fit() -> None:
    # the data end far above the rise; the unconstrained optimum of a one-cycle puts end_lr
    # (0.3) above max_lr (0.1): a one-cycle never ends above its peak
    x = np.arange(0, 1000, 5.0)
    y = np.where(x < 600, 0.01 + 0.09 * x / 600, 0.3)
    frees = [
        FreeParam("max_lr", 0.1, 1e-6, np.inf, log=True),
        FreeParam("init_lr", 0.01, 1e-9, np.inf, log=True),
        FreeParam("end_lr", 0.05, 1e-9, np.inf, log=True),
    ]
    fixed = {"total_steps": 700, "pct_start": 0.9, "anneal": "linear", "three_phase": False}
    out = engine.refine(Candidate("one_cycle", fixed, frees), x, y)
    p = out.schedule.params
    assert p["end_lr"] <= p["max_lr"] and p["init_lr"] <= p["max_lr"]
    with pytest.raises(ScheduleError, match="end_lr .* must not exceed max_lr"):
        Schedule("one_cycle", {**fixed, "max_lr": 0.1, "init_lr": 0.01, "end_lr": 0.3}).evaluate(
            [0]
        )
