"""Diagnosis rules added for the real-framework cases: metric-driven schedules, a warmup that
did not run when the horizon depends on it, and an iteration schedule stepped once per epoch.

Series and intended schedules are built directly, rounded to float32 as TensorBoard stores them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lraudit.diagnose import diagnose
from lraudit.types import (
    Finding,
    IntendedSchedule,
    LRSeries,
    MetricDriven,
    Schedule,
    Severity,
    Warmup,
)


def series(steps: Any, values: Any) -> LRSeries:
    steps = np.asarray(steps, dtype=np.int64)
    values = np.asarray(values, dtype=np.float32).astype(np.float64)
    return LRSeries(".", "lr", steps, values, 1.7e9 + np.arange(steps.size, dtype=np.float64))


def bad(fs: tuple[Finding, ...]) -> list[str]:
    return [f.name for f in fs if f.severity.rank >= Severity.WARNING.rank]


# --------------------------------------------------------------------------- metric-driven


def plateau(
    lr: float = 0.1, warmup: Warmup | None = None, factor: float | None = None
) -> IntendedSchedule:
    return IntendedSchedule(
        Schedule("constant", {"lr": lr}, warmup),
        source="cfg.yaml",
        format="lightning",
        unit="epoch",
        log_unit="iteration",
        metric_driven=MetricDriven("ReduceLROnPlateau", factor),
    )


def halvings(x: np.ndarray, at: list[int], lr: float = 0.1, f: float = 0.5) -> np.ndarray:
    return lr * f ** np.searchsorted(np.asarray(at), x, side="right")


X = np.arange(0, 520, 10)


def test_plateau_drops_at_any_step_are_not_compared():
    fs = diagnose(series(X, halvings(X, [220, 300, 400])), None, plateau())
    assert bad(fs) == []
    # no "pass --steps-per-epoch" info either: a constant intended curve needs no unit
    assert [f.name for f in fs] == []


def test_plateau_never_dropping_is_fine():
    assert diagnose(series(X, np.full(X.size, 0.1)), None, plateau()) == ()


def test_plateau_wrong_start_is_a_scale_mismatch():
    fs = diagnose(series(X, halvings(X, [220], lr=0.4)), None, plateau())
    assert bad(fs) == ["lr_scale_mismatch"]
    f = fs[0]
    assert f.expected == 0.1 and abs(f.observed - 0.4) < 1e-7
    assert "4x" in f.message and "only lower" in f.message


def test_plateau_started_late_below_base_is_not_compared():
    x = X[X >= 300]
    assert bad(diagnose(series(x, halvings(x, [220, 400])), None, plateau())) == []


def test_plateau_reset_still_reported():
    y = halvings(X, [100, 200, 300])
    y[X >= 400] = 0.1  # a resume rebuilt the scheduler
    fs = diagnose(series(X, y), None, plateau())
    assert bad(fs) == ["schedule_reset"]


def test_plateau_non_finite_still_reported():
    y = halvings(X, [220]).astype(np.float64)
    y[-3:] = np.nan
    assert "non_finite_lr" in bad(diagnose(series(X, y), None, plateau()))


def test_plateau_drops_checked_against_a_known_factor():
    ok = halvings(X, [220, 300], f=0.5)
    ok[X >= 400] = 0.1 * 0.5**4  # two halvings between two logged points
    assert bad(diagnose(series(X, ok), None, plateau(factor=0.5))) == []
    wrong = halvings(X, [220, 300], f=0.3)
    fs = diagnose(series(X, wrong), None, plateau(factor=0.5))
    assert bad(fs) == ["decay_mismatch"]
    assert "0.5" in fs[0].message and fs[0].step == 220


def test_plateau_warmup_is_still_checked():
    w = Warmup(50, 0.0, "linear")
    it = plateau(warmup=w)
    it = IntendedSchedule(it.schedule, "cfg.yaml", "timm", metric_driven=it.metric_driven)
    x = np.arange(0, 300, 5)
    good = np.where(x < 50, 0.1 * x / 50, halvings(x, [200]))
    assert bad(diagnose(series(x, good), None, it)) == []
    flat = halvings(x, [200])
    assert "warmup_missing" in bad(diagnose(series(x, flat), None, it))


# --------------------------------------------------------------------------- warmup missing


def hf_cosine(x: np.ndarray, peak: float, w: int, n: int) -> np.ndarray:
    """transformers' cosine with warmup: linear 0 -> peak over w, cosine to 0 over n - w."""
    x = np.asarray(x, dtype=np.float64)
    prog = np.clip((x - w) / max(1, n - w), 0.0, 1.0)
    return np.where(x < w, peak * x / max(1, w), peak * 0.5 * (1 + np.cos(np.pi * prog)))


def hf_intended(peak: float = 3e-4, w: int = 50, n: int = 500) -> IntendedSchedule:
    sched = Schedule(
        "cosine",
        {"peak_lr": peak, "end_lr": 0.0, "decay_steps": n - w, "start_step": w},
        Warmup(w, 0.0, "linear"),
    )
    return IntendedSchedule(sched, "training_args.json", "hf", horizon=n)


def test_hf_warmup_missing_with_horizon_depending_on_warmup():
    x = np.arange(5, 505, 5)
    # warmup_steps overridden to 0: the cosine spans all 500 steps
    fs = diagnose(series(x, hf_cosine(x, 3e-4, 0, 500)), None, hf_intended())
    assert bad(fs) == ["warmup_missing"]
    assert "500" in fs[0].message and "450" in fs[0].message


def test_hf_correct_warmup_is_clean():
    x = np.arange(5, 505, 5)
    assert bad(diagnose(series(x, hf_cosine(x, 3e-4, 50, 500)), None, hf_intended())) == []


def test_warmup_missing_from_the_start_at_peak_alone():
    x = np.arange(5, 505, 5)
    # no warmup and a linear decay nobody configured: still, the warmup did not run
    y = 3e-4 * (1 - x / 500)
    fs = diagnose(series(x, y), None, hf_intended())
    assert bad(fs) == ["warmup_missing"]
    assert "not compared further" in fs[0].message


def test_shorter_warmup_is_a_mismatch_not_missing():
    x = np.arange(5, 505, 5)
    fs = diagnose(series(x, hf_cosine(x, 3e-4, 20, 500)), None, hf_intended())
    assert "warmup_missing" not in bad(fs)
    assert bad(fs)  # something is reported


# --------------------------------------------------------------------------- stepped per epoch


def cosine_iter(t_max: int = 3000, peak: float = 0.1) -> IntendedSchedule:
    sched = Schedule("cosine", {"peak_lr": peak, "end_lr": 0.0, "decay_steps": t_max})
    return IntendedSchedule(sched, "cfg.py", "mmengine", horizon=t_max)


def cos(t: np.ndarray, t_max: int = 3000, peak: float = 0.1) -> np.ndarray:
    return peak * 0.5 * (1 + np.cos(np.pi * np.minimum(t, t_max) / t_max))


def test_iteration_cosine_stepped_per_epoch_is_a_step_unit_mismatch():
    x = np.arange(0, 3000, 20)
    y = cos(np.floor(x / 100))  # one scheduler step per 100-iteration epoch
    fs = diagnose(series(x, y), None, cosine_iter())
    assert bad(fs) == ["step_unit_mismatch"]
    f = fs[0]
    assert f.observed == 100
    assert "100x slower" in f.message and "floor(s / 100)" in f.message
    assert "1e+03" not in f.message and "1000" not in f.message.replace(",", "")


def test_hold_width_prefers_known_steps_per_epoch_and_uneven_logging():
    # 25 iterations per epoch, logged every 10: changes seen 20 or 30 steps apart
    x = np.arange(0, 750, 10)
    y = cos(np.floor(x / 25), t_max=300)
    it = cosine_iter(300)
    it = IntendedSchedule(it.schedule, "cfg.py", "mmengine", steps_per_epoch=25)
    fs = diagnose(series(x, y), None, it)
    assert bad(fs) == ["step_unit_mismatch"]
    assert fs[0].observed == 25 and "iterations per epoch" in fs[0].message


def test_staircase_not_on_the_config_curve_is_not_per_epoch_stepping():
    x = np.arange(0, 3000, 20)
    y = 0.1 * 0.9 ** np.floor(x / 100)  # holds of 100, but not the configured cosine
    fs = diagnose(series(x, y), None, cosine_iter())
    assert "step_unit_mismatch" not in bad(fs)
    assert bad(fs)


def test_slow_clock_not_pinned_by_the_data_is_not_quoted():
    x = np.arange(0, 3000, 20)
    y = cos(x / 1000.0)  # smooth, 1000x slower: the run barely moves, many factors fit
    fs = diagnose(series(x, y), None, cosine_iter())
    assert bad(fs)
    for f in fs:
        assert "3,000,000" not in f.message and "1e+03" not in f.message, f.message


# --------------------------------------------------------------------------- piecewise messages


def multistep(bounds: list[int], values: list[float], w: Warmup | None = None) -> IntendedSchedule:
    sched = Schedule("piecewise", {"boundaries": bounds, "values": values}, w)
    return IntendedSchedule(sched, "cfg.yaml", "lraudit", unit="epoch", log_unit="epoch")


def stairs(x: np.ndarray, bounds: list[int], values: list[float]) -> np.ndarray:
    return np.asarray(values)[np.searchsorted(bounds, x, side="right")]


def test_wrong_milestones_message_names_boundaries_and_values():
    x = np.arange(0, 60)
    y = stairs(x, [20, 40], [0.1, 0.02, 0.004])
    fs = diagnose(series(x, y), None, multistep([30, 45], [0.1, 0.01, 0.001]))
    assert bad(fs) == ["decay_mismatch"]
    msg = fs[0].message
    assert "20/40" in msg and "30/45" in msg
    assert "0.1/0.02/0.004" in msg and "0.1/0.01/0.001" in msg


def test_drops_shifted_by_the_same_amount_say_how_late():
    x = np.arange(0, 800, 5)
    w = Warmup(200, 1e-5, "linear")
    it = multistep([400, 550], [0.01, 0.001, 0.0001], w)
    it = IntendedSchedule(it.schedule, "cfg.yml", "paddledet")
    ramp = 1e-5 + (0.01 - 1e-5) * x / 200
    y = np.where(x < 200, ramp, stairs(x, [600, 750], [0.01, 0.001, 0.0001]))
    fs = diagnose(series(x, y), None, it)
    assert bad(fs) == ["decay_mismatch"]
    assert "every drop is 200 iterations late" in fs[0].message
    assert "600/750" in fs[0].message and "400/550" in fs[0].message


# --------------------------------------------------------------------------- two faults at once


def test_gpu_scaled_and_stepped_per_epoch_names_both():
    x = np.arange(0, 3000, 20)
    y = 8 * cos(np.floor(x / 100))  # x8 GPUs, and one scheduler step per 100-iteration epoch
    fs = diagnose(series(x, y), None, cosine_iter())
    assert sorted(bad(fs)) == ["lr_scale_mismatch", "step_unit_mismatch"]
    scale = next(f for f in fs if f.name == "lr_scale_mismatch")
    assert scale.observed == 8 and "8x" in scale.message
    unit = next(f for f in fs if f.name == "step_unit_mismatch")
    assert unit.observed == 100


def test_halved_and_flipped_staircase_names_both():
    s = Schedule(
        "exponential", {"init_lr": 0.1, "decay_rate": 0.5, "decay_steps": 500, "staircase": True}
    )
    it = IntendedSchedule(s, "cfg.yaml", "lraudit", unit="iteration", log_unit="iteration")
    x = np.arange(0, 3000, 10)
    y = 0.5 * 0.1 * 0.5 ** (x / 500)  # continuous instead of staircase, and half the LR
    fs = diagnose(series(x, y), None, it)
    assert sorted(bad(fs)) == ["lr_scale_mismatch", "staircase_mismatch"]


def test_a_factor_that_is_not_whole_is_not_split_off():
    x = np.arange(0, 3000, 20)
    y = 1.37 * cos(np.floor(x / 100))
    fs = diagnose(series(x, y), None, cosine_iter())
    assert "lr_scale_mismatch" not in bad(fs)


def test_undetermined_params_print_as_question_marks_not_nan():
    from lraudit.diagnose import describe

    s = Schedule(
        "cyclic",
        {
            "base_lr": 1e-4,
            "max_lr": 1e-2,
            "step_size_up": 100,
            "step_size_down": 100,
            "mode": "triangular",
            "gamma": 1.0,
        },
    )
    text = describe(s, unknown=("base_lr",))
    assert "nan" not in text and "?" in text


def test_stepped_every_iteration_on_top_of_the_epoch_step():
    # an epoch schedule (logged per iteration) advanced spe + 1 times per epoch: the trainer's
    # own per-epoch step plus a scheduler.step() in the batch loop
    sched = Schedule("cosine", {"peak_lr": 0.1, "end_lr": 0.0, "decay_steps": 3000})
    it = IntendedSchedule(sched, "cfg.py", "mmengine", horizon=3000, steps_per_epoch=4)
    x = np.arange(0, 600, 2)
    fs = diagnose(series(x, cos(5.0 * x)), None, it)
    assert bad(fs) == ["step_unit_mismatch"]
    assert "plus one" in fs[0].message
