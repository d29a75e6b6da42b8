"""Schedule families: registry contract, phase boundaries, seed systems, validation, guesses."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lraudit.schedules as sched
from lraudit.errors import ScheduleError
from lraudit.schedules import evaluate, families, get_family
from lraudit.types import Schedule, Warmup
from lraudit.vocab import FAMILY_PARAMS

# --------------------------------------------------------------------------- registry


def test_registry_keeps_the_contract_vocabulary() -> None:
    # the vocabulary is read from the registry; the contract (names and parameters as released)
    # is kept in tests/test_schedules_vocab.py
    fams = families()
    assert set(fams) == set(FAMILY_PARAMS)
    for name, params in FAMILY_PARAMS.items():
        assert fams[name].param_names == params, name


@pytest.mark.parametrize("name", sorted(FAMILY_PARAMS))
def test_every_family_documents_math_doctests_specs_and_guess(name: str) -> None:
    fam = get_family(name)
    assert ".. math::" in fam.formula or name == "constant"
    assert ">>>" in fam.formula
    assert fam.guess is not None
    assert fam.summary
    for p in fam.params:
        assert p.kind in ("float", "int", "bool", "choice", "floats", "ints")
        assert p.doc, (name, p.name)
        if p.kind == "choice":
            assert p.choices and (p.default is None or p.default in p.choices)


# one valid parameter set per family, used by the generic tests below
EXAMPLES: dict[str, dict] = {
    "constant": {"lr": 0.1},
    "exponential": {"init_lr": 0.1, "decay_rate": 0.5, "decay_steps": 100.0},
    "piecewise": {"boundaries": [100, 300], "values": [0.1, 0.01, 0.001]},
    "cosine": {"peak_lr": 0.1, "end_lr": 0.001, "decay_steps": 800.0, "start_step": 100},
    "cosine_restarts": {
        "peak_lr": 0.1,
        "end_lr": 0.001,
        "first_period": 100.0,
        "period_mult": 2.0,
        "peak_decay": 0.7,
    },
    "polynomial": {"init_lr": 0.1, "end_lr": 0.001, "decay_steps": 700.0, "power": 2.0},
    "inverse_time": {"init_lr": 0.1, "decay_rate": 0.5, "decay_steps": 100.0},
    "inverse_sqrt": {"peak_lr": 0.1, "timescale": 100.0},
    "cyclic": {
        "base_lr": 0.001,
        "max_lr": 0.1,
        "step_size_up": 50.0,
        "step_size_down": 150.0,
        "mode": "triangular2",
    },
    "one_cycle": {
        "max_lr": 0.1,
        "total_steps": 1000,
        "pct_start": 0.25,
        "init_lr": 0.004,
        "end_lr": 4e-7,
    },
    "warmup_stable_decay": {
        "peak_lr": 0.1,
        "stable_steps": 300.0,
        "decay_steps": 400.0,
        "end_lr": 0.001,
        "decay_shape": "1-sqrt",
    },
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_family_is_vectorised_float64_and_shape_preserving(name: str) -> None:
    fam = get_family(name)
    params = sched.validate_params(fam, EXAMPLES[name])
    s = np.arange(0, 1000, dtype=np.float64).reshape(10, 100)
    lr = fam.fn(s, **params)
    assert lr.dtype == np.float64 and lr.shape == s.shape
    assert np.all(np.isfinite(lr)) and np.all(lr >= 0)
    # pointwise evaluation agrees with the vectorised one
    for k in (0, 1, 99, 100, 101, 517, 999):
        one = fam.fn(np.array([float(k)]), **params)[0]
        assert one == pytest.approx(lr.ravel()[k], rel=1e-15, abs=0)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_guess_gives_a_valid_starting_point_close_to_the_curve(name: str) -> None:
    fam = get_family(name)
    s = np.arange(0, 1000, 10, dtype=np.float64)
    y = evaluate(Schedule(name, EXAMPLES[name]), s).astype(np.float32).astype(np.float64)
    g = fam.guess(s, y)
    assert set(g) <= set(fam.param_names)
    params = sched.validate_params(fam, g)  # the guess itself passes validation
    m = fam.fn(s, **params)
    assert np.all(np.isfinite(m))
    # a starting point, not a fit, but close: within ~25 % RMS in log terms on these curves
    from lraudit.schedules._common import log_rmse

    assert log_rmse(m, y) < 0.25, (name, g)


def test_guess_ignores_non_finite_points() -> None:
    s = np.arange(100.0)
    y = 0.1 * 0.9 ** (s / 10)
    y[[3, 50]] = np.nan
    g = get_family("exponential").guess(s, y)
    assert g["init_lr"] == pytest.approx(0.1, rel=1e-6)
    assert math.log(g["decay_rate"]) / g["decay_steps"] == pytest.approx(math.log(0.9) / 10)


# --------------------------------------------------------------------------- phase boundaries


def ev(family: str, steps, warmup: Warmup | None = None, min_lr=None, **params) -> np.ndarray:
    return Schedule(family, params, warmup=warmup, min_lr=min_lr).evaluate(steps)


def test_exponential_continuous_and_staircase_boundaries() -> None:
    s = [0, 99, 100, 101, 250]
    np.testing.assert_allclose(
        ev("exponential", s, init_lr=1.0, decay_rate=0.1, decay_steps=100, staircase=True),
        [1.0, 1.0, 0.1, 0.1, 0.01],
    )
    np.testing.assert_allclose(
        ev("exponential", s, init_lr=1.0, decay_rate=0.1, decay_steps=100),
        [1.0, 0.1**0.99, 0.1, 0.1**1.01, 0.1**2.5],
    )


def test_start_step_holds_the_initial_value_before_it() -> None:
    s = np.array([0, 49, 50, 51, 150])
    lr = ev("exponential", s, init_lr=1.0, decay_rate=0.5, decay_steps=100, start_step=50)
    np.testing.assert_allclose(lr, [1.0, 1.0, 1.0, 0.5**0.01, 0.5])
    lr = ev("polynomial", s, init_lr=1.0, end_lr=0.0, decay_steps=100, start_step=50)
    np.testing.assert_allclose(lr, [1.0, 1.0, 1.0, 0.99, 0.0])


def test_piecewise_switches_at_the_boundary_and_repeated_boundaries_skip_a_level() -> None:
    lr = ev("piecewise", [0, 4, 5, 6], boundaries=[5, 5], values=[1.0, 0.1, 0.01])
    np.testing.assert_allclose(lr, [1.0, 1.0, 0.01, 0.01])


def test_cosine_restarts_restart_positions_match_tf() -> None:
    # formulas_tf.md: F=10, t_mul=2, m_mul=0.5 -> 1.0 at 0, 0.5 at 10, 0.25 at 30, 0.125 at 70
    lr = ev(
        "cosine_restarts",
        [0, 10, 30, 70, 69],
        peak_lr=1.0,
        end_lr=0.0,
        first_period=10,
        period_mult=2.0,
        peak_decay=0.5,
    )
    np.testing.assert_allclose(lr[:4], [1.0, 0.5, 0.25, 0.125])
    assert lr[4] < 0.25 * 0.01


def test_cosine_restarts_constant_period() -> None:
    # torch CosineAnnealingWarmRestarts(T_0=3, T_mult=1): 1, .75, .25 | 1, .75, .25
    lr = ev("cosine_restarts", range(6), peak_lr=1.0, end_lr=0.0, first_period=3)
    np.testing.assert_allclose(lr, [1, 0.75, 0.25, 1, 0.75, 0.25], atol=1e-15)


def test_inverse_sqrt_with_warmup_is_noam() -> None:
    d_model, w = 512, 4000
    s = np.arange(1, 20000, 7, dtype=np.float64)
    noam = d_model**-0.5 * np.minimum(s**-0.5, s * w**-1.5)
    lr = ev(
        "inverse_sqrt",
        s,
        warmup=Warmup(w, 0.0, "linear"),
        peak_lr=(d_model * w) ** -0.5,
        timescale=w,
    )
    np.testing.assert_allclose(lr, noam, rtol=1e-12)


def test_one_cycle_torch_doc_values() -> None:
    # formulas_torch.md 1.2 (T=10): .04, .52, 1, .950, .812, .611, .389, .188, .0495, 4e-6
    lr = ev(
        "one_cycle",
        range(10),
        max_lr=1.0,
        total_steps=10,
        pct_start=0.3,
        init_lr=0.04,
        end_lr=4e-6,
    )
    np.testing.assert_allclose(
        lr, [0.04, 0.52, 1, 0.950, 0.812, 0.611, 0.389, 0.188, 0.0495, 4e-6], rtol=2e-3
    )


def test_cyclic_torch_doc_values() -> None:
    # formulas_torch.md 1.2: up=2, down=3: triangular .1, .55, 1, .7, .4, .1
    lr = ev("cyclic", range(6), base_lr=0.1, max_lr=1.0, step_size_up=2, step_size_down=3)
    np.testing.assert_allclose(lr, [0.1, 0.55, 1.0, 0.7, 0.4, 0.1])


# --------------------------------------------------------------------------- seed systems


def test_od_api_exponential_decay_with_burnin() -> None:
    # upstream learning_schedules_test: base 1, D 3, f .1, burnin .5 over 2 steps, min .05
    lr = ev(
        "exponential",
        range(9),
        warmup=Warmup(2, 0.5, "constant"),
        min_lr=0.05,
        init_lr=1.0,
        decay_rate=0.1,
        decay_steps=3,
        staircase=True,
        start_step=2,
    )
    np.testing.assert_allclose(lr, [0.5, 0.5, 1, 1, 1, 0.1, 0.1, 0.1, 0.05])


def test_od_api_cosine_decay_with_warmup_and_hold() -> None:
    # base 1, total 120, warmup .1 over 9, hold 20 -> cosine(decay = 120-9-20, start = 9+20)
    s = [0, 4, 8, 9, 10, 29, 30, 50, 70, 120]
    lr = ev(
        "cosine",
        s,
        warmup=Warmup(9, 0.1),
        peak_lr=1.0,
        end_lr=0.0,
        decay_steps=120 - 9 - 20,
        start_step=29,
    )
    np.testing.assert_allclose(
        lr, [0.1, 0.5, 0.9, 1.0, 1.0, 1.0, 0.999702, 0.874255, 0.577365, 0.0], atol=1e-6
    )


def test_od_api_manual_stepping_with_warmup() -> None:
    lr = ev(
        "piecewise",
        range(9),
        warmup=Warmup(4, 0.02),
        boundaries=[4, 6, 8],
        values=[0.02, 0.1, 0.01, 0.001],
    )
    np.testing.assert_allclose(lr, [0.02, 0.04, 0.06, 0.08, 0.1, 0.1, 0.01, 0.01, 0.001])


def test_hf_warmup_stable_decay_counts_from_the_warmup_end() -> None:
    # formulas_torch.md 2.2: W=2, S=3, D=4, linear, m=.1
    lr = ev(
        "warmup_stable_decay",
        range(11),
        warmup=Warmup(2, 0.1),
        peak_lr=1.0,
        stable_steps=3,
        decay_steps=4,
        end_lr=0.1,
        decay_shape="linear",
    )
    np.testing.assert_allclose(lr, [0.1, 0.55, 1, 1, 1, 1, 0.775, 0.55, 0.325, 0.1, 0.1])


def test_wsd_without_warmup_counts_from_zero() -> None:
    lr = ev("warmup_stable_decay", [0, 2, 3, 7], peak_lr=1.0, stable_steps=3, decay_steps=4)
    np.testing.assert_allclose(lr, [1.0, 1.0, 1.0, 0.0], atol=1e-15)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("family", "params", "match"),
    [
        ("exponential", {"init_lr": 0.1, "decay_rate": 0.5}, "needs parameter 'decay_steps'"),
        ("exponential", {"init_lr": 0.1, "decay_rate": 0.5, "decay_steps": 0}, "must be > 0"),
        ("exponential", {"init_lr": -1, "decay_rate": 0.5, "decay_steps": 1}, "outside its"),
        ("exponential", {"init_lr": "x", "decay_rate": 0.5, "decay_steps": 1}, "finite number"),
        (
            "exponential",
            {"init_lr": 0.1, "decay_rate": 0.5, "decay_steps": 1, "staircase": "yes"},
            "true or false",
        ),
        ("cosine", {"peak_lr": 0.1, "decay_steps": float("nan")}, "finite number"),
        ("cosine", {"peak_lr": 0.1, "decay_steps": 10, "alpha": 0.1}, "no parameter"),
        ("piecewise", {"boundaries": [10], "values": [1.0]}, r"len\(values\)"),
        ("piecewise", {"boundaries": [10, 5], "values": [1, 2, 3]}, "non-decreasing"),
        ("piecewise", {"boundaries": 10, "values": [1, 2]}, "list of numbers"),
        (
            "cyclic",
            {"base_lr": 0.1, "max_lr": 1, "step_size_up": 1, "step_size_down": 1, "mode": "tri"},
            "must be one of",
        ),
        (
            "one_cycle",
            {"max_lr": 1, "total_steps": 10, "pct_start": 1.5, "init_lr": 0.1, "end_lr": 0},
            "outside its",
        ),
        (
            "one_cycle",
            {
                "max_lr": 1,
                "total_steps": 10,
                "pct_start": 0.6,
                "init_lr": 0.1,
                "end_lr": 0,
                "three_phase": True,
            },
            "three_phase",
        ),
        ("cosine_restarts", {"peak_lr": 1, "first_period": 10, "period_mult": 0.5}, r"range \[1"),
        (
            "warmup_stable_decay",
            {"peak_lr": 1, "stable_steps": 1, "decay_steps": 1, "decay_shape": "exp"},
            "must be one of",
        ),
    ],
)
def test_invalid_params_raise_one_line_schedule_errors(family, params, match) -> None:
    with pytest.raises(ScheduleError, match=match) as ei:
        Schedule(family, params).evaluate([0, 1])
    assert "\n" not in str(ei.value)


def test_defaults_are_filled() -> None:
    p = sched.validate_params(
        get_family("exponential"), {"init_lr": 0.1, "decay_rate": 0.5, "decay_steps": 1}
    )
    assert p["staircase"] is False and p["start_step"] == 0


def test_families_are_cheap_on_a_million_points() -> None:
    import time

    s = np.arange(1_000_000, dtype=np.float64)
    for name, params in EXAMPLES.items():
        fam = get_family(name)
        full = sched.validate_params(fam, params)
        t0 = time.perf_counter()
        fam.fn(s, **full)
        dt = time.perf_counter() - t0
        # no Python loop over steps: ~10 ms per call on this machine; generous for a busy box
        assert dt < 1.0, (name, dt)


def test_families_doc_covers_every_family_and_param() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "families.md").read_text()
    for name, params in FAMILY_PARAMS.items():
        row = next((ln for ln in doc.splitlines() if ln.startswith(f"| `{name}` |")), None)
        assert row is not None, name
        for p in params:
            assert p in row, (name, p)


@pytest.mark.parametrize(
    ("first", "mult", "decay"), [(3.0, 1.5, 0.7), (7.0, 2.0, 1.0), (2.5, 1.0, 0.9)]
)
def test_cosine_restarts_matches_a_step_by_step_sgdr_loop(first, mult, decay) -> None:
    # torch CosineAnnealingWarmRestarts' own bookkeeping (T_cur += 1; wrap at T_i), with a
    # per-cycle amplitude factor
    peak, end = 1.0, 0.05
    want, t_cur, t_i, amp = [], 0.0, first, 1.0
    for _ in range(400):
        want.append(end + (peak - end) * amp * (1 + math.cos(math.pi * t_cur / t_i)) / 2)
        t_cur += 1
        while t_cur >= t_i:
            t_cur -= t_i
            t_i *= mult
            amp *= decay
    got = ev(
        "cosine_restarts",
        range(400),
        peak_lr=peak,
        end_lr=end,
        first_period=first,
        period_mult=mult,
        peak_decay=decay,
    )
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_cosine_restarts_with_very_many_cycles_stays_finite() -> None:
    s = np.arange(0.0, 1e6, 10.0)
    lr = get_family("cosine_restarts").fn(s, 1.0, 0.0, 1e-3, 1.0000001, 0.9)
    assert np.all(np.isfinite(lr)) and np.all((lr >= 0) & (lr <= 1))


@pytest.mark.parametrize(
    ("warmup", "min_lr", "match"),
    [
        (Warmup(10, 0.0, "cosine"), None, "unknown warmup shape"),
        (Warmup(10, -0.1), None, r"warmup.start_lr must be"),
        (Warmup(float("nan"), 0.0), None, r"warmup.steps must be"),
        (Warmup(10, 0.0, "exponential"), None, "exponential warmup needs"),
        (None, -1.0, "min_lr must be"),
    ],
)
def test_invalid_warmup_or_floor_is_rejected_even_outside_the_warmup(warmup, min_lr, match) -> None:
    with pytest.raises(ScheduleError, match=match):
        Schedule("constant", {"lr": 0.1}, warmup=warmup, min_lr=min_lr).evaluate([100, 200])


def test_fractional_warmup_and_min_lr_compose() -> None:
    lr = ev(
        "exponential",
        [0, 6.25, 12.5, 13, 1000],
        warmup=Warmup(12.5, 0.0),
        min_lr=0.01,
        init_lr=0.1,
        decay_rate=0.5,
        decay_steps=100,
    )
    top = 0.1 * 0.5**0.125
    np.testing.assert_allclose(lr, [0.0, top / 2, top, 0.1 * 0.5**0.13, 0.01])


DEGENERATE = {
    "empty": (np.array([]), np.array([])),
    "one point": (np.array([5.0]), np.array([0.1])),
    "two points": (np.array([0.0, 1.0]), np.array([0.1, 0.05])),
    "all nan": (np.arange(10.0), np.full(10, np.nan)),
    "flat": (np.arange(100.0), np.full(100, 0.1)),
    "zeros": (np.arange(100.0), np.zeros(100)),
    "negative": (np.arange(100.0), -np.linspace(0.1, 0.2, 100)),
    "rising": (np.arange(100.0), np.linspace(0.001, 0.1, 100)),
    "one repeated step": (np.zeros(10), np.linspace(0.1, 0.01, 10)),
    "noise": (np.arange(200.0), np.random.default_rng(0).uniform(0.01, 0.1, 200)),
    "unsorted with inf": (np.array([3.0, 1.0, 2.0, np.inf]), np.array([0.1, 0.3, 0.2, 0.1])),
}


@pytest.mark.parametrize("case", sorted(DEGENERATE))
@pytest.mark.parametrize("name", sorted(FAMILY_PARAMS))
def test_guess_is_total_on_degenerate_data(name: str, case: str, recwarn) -> None:
    fam = get_family(name)
    x, y = DEGENERATE[case]
    g = fam.guess(x, y)
    params = sched.validate_params(fam, g)
    assert np.all(np.isfinite(fam.fn(np.arange(10.0), **params)))
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
