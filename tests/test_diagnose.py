"""The diagnosis rules on synthetic series: a correct run gives no finding, each bug its own.

Series and intended schedules are built directly (no files, no config parsing); curves come from
the framework formulas in ../shared/reference, rounded to float32 as TensorBoard stores them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from lraudit.diagnose import describe, diagnose, finding, sort_findings
from lraudit.types import (
    ConfiguredLengths,
    ExactValues,
    Finding,
    FitResult,
    IntendedSchedule,
    LRSeries,
    ParamEstimate,
    ReplacedSegment,
    Schedule,
    Severity,
    Warmup,
    WarmupFloor,
)
from lraudit.vocab import FINDINGS

F32 = np.float32


def series(steps: Any, values: Any, **kw: Any) -> LRSeries:
    steps = np.asarray(steps, dtype=np.int64)
    values = np.asarray(values, dtype=np.float32).astype(np.float64)  # logged as float32
    return LRSeries(
        kw.pop("run", "."),
        kw.pop("tag", "lr"),
        steps,
        values,
        1.7e9 + np.arange(steps.size, dtype=np.float64),
        **kw,
    )


def intended(schedule: Schedule, **kw: Any) -> IntendedSchedule:
    return IntendedSchedule(schedule, source="test.yaml", format=kw.pop("format", "lraudit"), **kw)


def names(fs: tuple[Finding, ...], at_least: Severity = Severity.INFO) -> list[str]:
    return [f.name for f in fs if f.severity.rank >= at_least.rank]


def only(fs: tuple[Finding, ...], name: str) -> Finding:
    hits = [f for f in fs if f.name == name]
    assert len(hits) == 1, [f"{f.name}: {f.message}" for f in fs]
    return hits[0]


def assert_clean(fs: tuple[Finding, ...]) -> None:
    """A matching run: nothing at warning or error."""
    bad = [f"{f.name}: {f.message}" for f in fs if f.severity is not Severity.INFO]
    assert not bad, bad


def seed_schedule(staircase: bool) -> Schedule:
    # OD API proto floats are float32: 0.004 -> 0.0040000002, 0.95 -> 0.949999988
    return Schedule(
        "exponential",
        {
            "init_lr": float(F32(0.004)),
            "decay_rate": float(F32(0.95)),
            "decay_steps": 800720,
            "staircase": staircase,
            "start_step": 0,
        },
    )


def od_exponential(s: np.ndarray, staircase: bool) -> np.ndarray:
    """tf exponential_decay in float32 (formulas_tf.md 1.4, burn-in 0)."""
    p = s.astype(F32) / F32(800720)
    if staircase:
        p = np.floor(p)
    return F32(0.004) * F32(0.95) ** p


SEED_STEPS = np.arange(100, 100_001, 100)


# --------------------------------------------------------------------------- the seed case


def test_seed_staircase_flat_is_consistent_with_config() -> None:
    y = od_exponential(SEED_STEPS, staircase=True)
    assert np.all(y == y[0])  # the logged LR is exactly constant
    fs = diagnose(series(SEED_STEPS, y), None, intended(seed_schedule(True), horizon=100_000))
    assert_clean(fs)
    f = only(fs, "horizon_exceeds_run")
    assert f.code == "LRA012" and f.severity is Severity.INFO
    assert "800,720" in f.message and "staircase" in f.message and "consistent" in f.message
    assert "12 %" in f.message  # 100,000 / 800,720 of the first decay period


def test_seed_continuous_changes_by_064_percent() -> None:
    y = od_exponential(SEED_STEPS, staircase=False)
    fs = diagnose(series(SEED_STEPS, y), None, intended(seed_schedule(False), horizon=100_000))
    assert_clean(fs)
    f = only(fs, "horizon_exceeds_run")
    assert "decay_rate 0.95 every 800,720 steps" not in f.message  # unit comes from log_unit
    assert "0.95 every 800,720 iterations changes the LR by 0.64 % over this 100,000" in f.message
    assert "flat in TensorBoard and consistent with the config" in f.message


def test_tf1_global_step_bug_continuous_config_constant_log() -> None:
    y = np.full(SEED_STEPS.size, F32(0.004))
    fs = diagnose(series(SEED_STEPS, y), None, intended(seed_schedule(False), horizon=100_000))
    f = only(fs, "constant_lr")
    assert f.severity is Severity.ERROR and f.code == "LRA003"
    assert "-0.64 %" in f.message and "0.004" in f.message and "never advanced" in f.message
    assert f.expected[0] == pytest.approx(0.004, rel=1e-4) and f.observed == pytest.approx(0.004)


def test_tf1_global_step_bug_staircase_over_a_long_run() -> None:
    steps = np.arange(0, 2_000_001, 10_000)
    y = np.full(steps.size, F32(0.004))
    fs = diagnose(series(steps, y), None, intended(seed_schedule(True)))
    f = only(fs, "constant_lr")
    assert f.step == 810_000  # the first logged step after the configured drop at 800,720
    assert "0.00361" in f.message  # 0.004 x 0.95^2 at step 1,601,440


def test_constant_config_constant_log_is_clean() -> None:
    s = Schedule("constant", {"lr": 0.01})
    fs = diagnose(series(np.arange(0, 5000, 10), np.full(500, 0.01)), None, intended(s))
    assert fs == ()


# --------------------------------------------------------------------------- without config


def test_no_config_constant_long_run_is_a_warning() -> None:
    fs = diagnose(series(np.arange(0, 2000, 100), np.full(20, 0.1)), None, None)
    f = only(fs, "constant_lr")
    assert f.severity is Severity.WARNING and "0.1" in f.message and "20" in f.message


def test_no_config_short_constant_run_is_not_flagged() -> None:
    fs = diagnose(series(np.arange(5), np.full(5, 0.1)), None, None)
    assert fs == ()


def test_no_config_decaying_run_is_clean() -> None:
    x = np.arange(0, 10_000, 50)
    fs = diagnose(series(x, 0.1 * 0.5 ** (x / 2000)), None, None)
    assert fs == ()


def test_too_few_points() -> None:
    fs = diagnose(series([0, 1, 2], [0.0007, 0.001005, 0.000782]), None, None)
    f = only(fs, "too_few_points")
    assert f.severity is Severity.WARNING and "only 3" in f.message and f.observed == 3


def test_a_two_point_eval_stub_is_info_not_a_warning() -> None:
    """An eval or test run that logs the LR once or twice must not fail ``--fail-on warning``."""
    for x, y in (([0, 500], [0.01, 0.01]), ([7], [0.02])):
        f = only(diagnose(series(x, y), None, None), "too_few_points")
        assert f.severity is Severity.INFO and "stub" in f.message


def test_non_finite_values() -> None:
    x = np.arange(100, 2001, 100)
    y = np.linspace(0.03, 0.08, 20)
    y[8:] = np.nan
    fs = diagnose(series(x, y), None, None)
    f = only(fs, "non_finite_lr")
    assert f.severity is Severity.ERROR and f.step == 900
    assert "12 of 20" in f.message and "NaN first at step 900" in f.message
    assert f"{np.float32(y[7]):.6g} at step 800" in f.message  # the last finite LR


def test_reset_without_config() -> None:
    x = np.arange(0, 3000, 10)
    y = 0.1 * 0.5 ** (x / 1000)
    y[x >= 2000] = 0.1 * 0.5 ** ((x[x >= 2000] - 2000) / 1000)  # restarted at step 2000
    note = "resume at step 2000 in events.2 replaced 10 point(s) from events.1"
    fs = diagnose(series(x, y, notes=(note,)), None, None)
    f = only(fs, "schedule_reset")
    assert f.severity is Severity.ERROR and f.step == 2000 and "jumps back up" in f.message
    assert f"(reader: {note})" in f.message and "configured" not in f.message


def test_warmup_restart_without_config_is_placed_at_the_drop() -> None:
    x = np.arange(0, 3000, 10)
    lam = lambda s: np.minimum(s / 500, 1.0) * (1 - s / 4000)  # noqa: E731  HF linear + warmup
    y = 0.1 * lam(x)
    y[x >= 2000] = 0.1 * lam(x[x >= 2000] - 2000)
    y[0] = 1e-6
    fs = diagnose(series(x, y), None, None)
    f = only(fs, "schedule_reset")
    assert f.step == 2000


def test_smooth_rises_are_not_resets() -> None:
    x = np.arange(0, 30_000, 20)
    cos = 0.05 * (1 + np.cos(np.pi * x / 10_000))  # torch CosineAnnealingLR run past T_max
    tri = 0.001 + 0.009 * np.abs(((x / 2000) % 2) - 1)  # CyclicLR, triangular
    for y in (cos + 1e-4, tri):
        assert "schedule_reset" not in names(diagnose(series(x, y), None, None))


def test_replaced_points_with_other_values_are_a_reset() -> None:
    x = np.arange(0, 2000, 100)
    y = 0.1 * 0.9 ** (x / 100)
    seg = ReplacedSegment(
        "events.1", np.arange(1000, 1300, 100), 0.1 * 0.9 ** np.arange(0, 3), np.zeros(3)
    )
    f = only(diagnose(series(x, y, replaced=(seg,)), None, None), "schedule_reset")
    assert f.step == 1000 and "events.1" in f.message
    same = ReplacedSegment("events.1", x[10:13], y[10:13].astype(F32), np.zeros(3))
    assert diagnose(series(x, y, replaced=(same,)), None, None) == ()


def test_no_config_warmup_never_ends() -> None:
    x = np.arange(19, 300, 20)
    y = 0.00025 * (0.001 + 0.999 * x / 300)
    f = only(diagnose(series(x, y), None, None), "warmup_exceeds_run")
    assert f.severity is Severity.WARNING and "1.60675e-05" in f.message


# --------------------------------------------------------------------------- matching runs


@pytest.mark.parametrize(
    "schedule",
    [
        Schedule(
            "cosine",
            {"peak_lr": 0.08, "end_lr": 0.0, "decay_steps": 49_000, "start_step": 1000},
            Warmup(1000, 0.026666),
        ),
        Schedule("piecewise", {"boundaries": [3000, 6000], "values": [0.1, 0.01, 0.001]}),
        Schedule(
            "polynomial",
            {"init_lr": 0.01, "end_lr": 1e-4, "decay_steps": 9000, "power": 1.0, "start_step": 0},
            Warmup(500, 0.0),
        ),
        Schedule(
            "exponential",
            {
                "init_lr": 0.1,
                "decay_rate": 0.5,
                "decay_steps": 2000,
                "staircase": True,
                "start_step": 0,
            },
        ),
    ],
    ids=lambda s: s.family,
)
@pytest.mark.parametrize("offset", [0, 1, -1])
def test_matching_runs_are_clean(schedule: Schedule, offset: int) -> None:
    x = np.arange(0, 9000, 20)
    y = schedule.evaluate(x + offset)
    fs = diagnose(series(x, y), None, intended(schedule, horizon=9000))
    assert_clean(fs)
    assert [f.name for f in fs if f.name != "horizon_exceeds_run"] == []


# --------------------------------------------------------------------------- mismatches


@pytest.mark.parametrize(("rate", "severity"), [(0.95, Severity.WARNING), (0.1, Severity.ERROR)])
def test_staircase_flip_severity_scales_with_the_lr_difference(rate: float, severity) -> None:
    """A continuous decay logged where the config says staircase: a few % apart is a warning,
    >= 25 % apart somewhere is an error; the message quotes the step where they differ most."""
    params = {"init_lr": 0.1, "decay_rate": rate, "decay_steps": 1000, "start_step": 0}
    meant = Schedule("exponential", {**params, "staircase": True})
    ran = Schedule("exponential", {**params, "staircase": False})
    x = np.arange(0, 5000, 20)
    fs = diagnose(series(x, ran.evaluate(x)), None, intended(meant, horizon=5000))
    f = only(fs, "staircase_mismatch")
    assert f.severity is severity
    rel = np.abs(ran.evaluate(x) - meant.evaluate(x)) / meant.evaluate(x)
    at = int(np.flatnonzero(x == f.step)[0])
    assert rel[at] >= rel.max() - 1e-3 and f"{int(f.step):,}" in f.message


COS = Schedule("cosine", {"peak_lr": 0.1, "end_lr": 0.0, "decay_steps": 10_000, "start_step": 0})


def test_lr_scaled_by_world_size() -> None:
    x = np.arange(0, 10_000, 50)
    fs = diagnose(series(x, 8 * COS.evaluate(x)), None, intended(COS, world_size=8))
    f = only(fs, "lr_scale_mismatch")
    assert f.severity is Severity.ERROR and f.observed == pytest.approx(8, rel=1e-4)
    assert "8x" in f.message and "world size 8" in f.message
    assert names(fs, Severity.WARNING) == ["lr_scale_mismatch"]


def test_lr_scaled_without_known_world_size_names_a_whole_factor() -> None:
    x = np.arange(0, 10_000, 50)
    f = only(diagnose(series(x, 4 * COS.evaluate(x)), None, intended(COS)), "lr_scale_mismatch")
    assert "whole factor 4" in f.message


def test_milestones_in_epochs_stepped_per_iteration() -> None:
    # MultiStepLR(milestones=[30, 60]) meant per epoch (100 iterations each), stepped per iteration
    conf = Schedule("piecewise", {"boundaries": [3000, 6000], "values": [0.1, 0.01, 0.001]})
    x = np.arange(0, 9000, 10)
    bug = Schedule("piecewise", {"boundaries": [30, 60], "values": [0.1, 0.01, 0.001]})
    fs = diagnose(series(x, bug.evaluate(x)), None, intended(conf, steps_per_epoch=100))
    f = only(fs, "step_unit_mismatch")
    assert f.severity is Severity.ERROR
    assert "100x faster" in f.message and "every iteration instead of every epoch" in f.message
    assert f.observed == [30, 60]
    assert names(fs, Severity.WARNING) == ["step_unit_mismatch"]


def test_iteration_schedule_stepped_per_epoch() -> None:
    conf = Schedule(
        "exponential",
        {
            "init_lr": 0.1,
            "decay_rate": 0.5,
            "decay_steps": 1000,
            "staircase": False,
            "start_step": 0,
        },
    )
    x = np.arange(0, 20_000, 50)
    y = 0.1 * 0.5 ** (np.floor(x / 50) / 1000)  # stepped once per 50-iteration epoch
    fs = diagnose(series(x, y), None, intended(conf, steps_per_epoch=50))
    f = only(fs, "step_unit_mismatch")
    assert "once per epoch instead of every iteration" in f.message


def test_decay_horizon_differs() -> None:
    conf = Schedule(
        "exponential",
        {
            "init_lr": 0.1,
            "decay_rate": 0.5,
            "decay_steps": 1000,
            "staircase": False,
            "start_step": 0,
        },
    )
    x = np.arange(0, 5000, 10)
    y = 0.1 * 0.5 ** (x / 2000)
    f = only(diagnose(series(x, y), None, intended(conf)), "decay_mismatch")
    assert f.severity is Severity.ERROR and "2x slower" in f.message
    assert f.expected == 1000 and f.observed == 2000


def test_staircase_vs_continuous() -> None:
    conf = Schedule(
        "exponential",
        {
            "init_lr": 0.1,
            "decay_rate": 0.5,
            "decay_steps": 1000,
            "staircase": True,
            "start_step": 0,
        },
    )
    x = np.arange(0, 5000, 10)
    fs = diagnose(series(x, 0.1 * 0.5 ** (x / 1000)), None, intended(conf))
    f = only(fs, "staircase_mismatch")
    assert f.severity is Severity.ERROR and "decays continuously" in f.message  # 50 % apart
    assert names(fs, Severity.WARNING) == ["staircase_mismatch"]


WARM = Schedule("constant", {"lr": 0.1}, Warmup(1000, 0.0))


def test_warmup_missing() -> None:
    x = np.arange(0, 5000, 50)
    fs = diagnose(series(x, np.full(x.size, 0.1)), None, intended(WARM))
    f = only(fs, "warmup_missing")
    assert f.severity is Severity.ERROR and "1,000 iterations" in f.message
    assert "constant_lr" not in names(fs)


def test_warmup_longer_than_configured() -> None:
    x = np.arange(0, 5000, 50)
    y = Schedule("constant", {"lr": 0.1}, Warmup(2000, 0.0)).evaluate(x)
    fs = diagnose(series(x, y), None, intended(WARM))
    f = only(fs, "warmup_mismatch")
    assert f.severity is Severity.WARNING and f.expected == 1000
    assert f.observed == pytest.approx(2000, abs=50) and "2x longer" in f.message
    assert names(fs, Severity.WARNING) == ["warmup_mismatch"]


def test_warmup_with_another_start_value() -> None:
    x = np.arange(0, 5000, 50)
    y = Schedule("constant", {"lr": 0.1}, Warmup(1000, 0.05)).evaluate(x)
    fs = diagnose(series(x, y), None, intended(WARM))
    f = only(fs, "warmup_mismatch")
    assert "configured length (1,000 iterations) but other values" in f.message
    assert f.step == 0 and f.expected == pytest.approx(0, abs=2e-4)
    assert f.observed == pytest.approx(0.05)


def test_warmup_not_configured_but_logged() -> None:
    x = np.arange(0, 5000, 50)
    y = Schedule("constant", {"lr": 0.1}, Warmup(1000, 0.0)).evaluate(x)
    fs = diagnose(series(x, y), None, intended(Schedule("constant", {"lr": 0.1})))
    f = only(fs, "warmup_mismatch")
    assert "no warmup" in f.message


def test_yolo_warmup_floor_hint() -> None:
    # per-epoch log, warmup configured 3 epochs, logged 12.5 (the 100-iteration floor)
    lin = Schedule(
        "polynomial",
        {"init_lr": 0.01, "end_lr": 1e-4, "decay_steps": 150, "power": 1.0, "start_step": 0},
        Warmup(3, 0.0),
    )
    x = np.arange(150)
    y = Schedule(lin.family, lin.params, Warmup(12.5, 0.0)).evaluate(x)
    fs = diagnose(
        series(x, y), None, intended(lin, unit="epoch", log_unit="epoch", warmup_floor=YOLO_FLOOR)
    )
    f = only(fs, "warmup_mismatch")
    assert "100-iteration floor" in f.message and "≈8 iterations per epoch" in f.message
    assert names(fs, Severity.WARNING) == ["warmup_mismatch"]


#: YOLO's warmup floor (max(round(warmup_epochs x nb), 100) iterations) for warmup_epochs 3
YOLO_FLOOR = WarmupFloor(100, 3.0, None, None, "warmup_epochs", "YOLO")


def _yolo_exact(
    values: np.ndarray, sched: Schedule, floor: WarmupFloor | None = None
) -> IntendedSchedule:
    return intended(
        sched,
        unit="epoch",
        log_unit="epoch",
        steps_per_epoch=8,
        exact_values=ExactValues(0, tuple(values.tolist())),
        warmup_floor=floor,
    )


def test_logged_exact_values_are_compared_first() -> None:
    """A parser's exact logged values (YOLOv5) decide; the floor is reported as the config's."""
    lin = Schedule(
        "polynomial",
        {"init_lr": 0.01, "end_lr": 1e-4, "decay_steps": 150, "power": 1.0, "start_step": 1},
        Warmup(11.625, 0.0007, "linear_factor"),
    )
    x = np.arange(150)
    e = x.astype(float)
    lf = (1 - e / 150) * 0.99 + 0.01
    lf_lag = (1 - np.maximum(e - 1, 0) / 150) * 0.99 + 0.01
    exact = np.where(x < 12, 0.01 * lf * ((x + 1) * 8 - 1) / 100, 0.01 * lf_lag)
    exact[12] = 0.01 * lf[12]
    floor = WarmupFloor(100, 3.0, 12.5, 100, "warmup_epochs", "YOLO")
    fs = diagnose(series(x, exact), None, _yolo_exact(exact, lin, floor))
    f = only(fs, "warmup_mismatch")
    assert names(fs, Severity.WARNING) == ["warmup_mismatch"]
    assert "12.5 epochs (100 iterations / 8 per epoch)" in f.message
    assert "configured warmup_epochs 3" in f.message and "100-iteration floor" in f.message
    assert (f.expected, f.observed) == (3.0, 12.5)
    # no floor at work (warmup_epochs x nb >= 100): nothing to say
    fs = diagnose(series(x, exact), None, _yolo_exact(exact, lin))
    assert names(fs, Severity.WARNING) == []
    # the log departs from the exact values by 1 % in the warmup: the usual rules speak again
    off = exact.copy()
    off[5] *= 1.01
    fs = diagnose(series(x, off), None, _yolo_exact(exact, lin, floor))
    assert not any("the log follows this exactly" in g.message for g in fs)


def test_warmup_exceeds_run_detectron2_balloon() -> None:
    sched = Schedule("constant", {"lr": 0.00025}, Warmup(300, 0.00025 * 0.001))
    x = np.arange(19, 300, 20)
    fs = diagnose(
        series(x, sched.evaluate(x)),
        None,
        intended(sched, horizon=300, configured_lengths=ConfiguredLengths(1000, 300)),
    )
    f = only(fs, "warmup_exceeds_run")
    assert f.severity is Severity.WARNING
    assert "1,000" in f.message and "300" in f.message and "never used" in f.message
    assert names(fs, Severity.ERROR) == []


def test_unfinished_run_inside_warmup_is_not_flagged() -> None:
    sched = Schedule("constant", {"lr": 0.1}, Warmup(1000, 0.0))
    x = np.arange(0, 500, 10)
    fs = diagnose(series(x, sched.evaluate(x)), None, intended(sched, horizon=100_000))
    assert fs == ()


def test_reset_on_resume_follows_restarted_schedule() -> None:
    sched = Schedule(
        "cosine",
        {"peak_lr": 0.1, "end_lr": 0.0, "decay_steps": 9000, "start_step": 1000},
        Warmup(1000, 0.0),
    )
    x = np.arange(0, 8000, 20)
    y = sched.evaluate(x)
    y[x >= 5000] = sched.evaluate(x[x >= 5000] - 5000)
    fs = diagnose(series(x, y), None, intended(sched))
    f = only(fs, "schedule_reset")
    assert f.step == 5000 and "configured schedule again from its start" in f.message
    assert names(fs, Severity.WARNING) == ["schedule_reset"]


def test_family_mismatch_uses_the_fit() -> None:
    x = np.arange(0, 10_000, 50)
    obs = Schedule("piecewise", {"boundaries": [4000, 8000], "values": [0.1, 0.05, 0.01]})
    fit = FitResult(
        obs,
        1e-8,
        (
            ParamEstimate("boundaries", [4000, 8000], True),
            ParamEstimate("values", [0.1, 0.05, 0.01], True),
        ),
        n_points=200,
    )
    f = only(diagnose(series(x, obs.evaluate(x)), fit, intended(COS)), "family_mismatch")
    assert f.severity is Severity.ERROR and f.expected == "cosine" and f.observed == "piecewise"


def test_decay_mismatch_names_the_boundary() -> None:
    x = np.arange(0, 10_000, 50)
    conf = Schedule("piecewise", {"boundaries": [4000, 8000], "values": [0.1, 0.05, 0.01]})
    obs = Schedule("piecewise", {"boundaries": [4000, 9000], "values": [0.1, 0.05, 0.01]})
    fit = FitResult(
        obs,
        1e-8,
        (
            ParamEstimate("boundaries", [4000, 9000], True),
            ParamEstimate("values", [0.1, 0.05, 0.01], True),
        ),
        n_points=200,
    )
    f = only(diagnose(series(x, obs.evaluate(x)), fit, intended(conf)), "decay_mismatch")
    # a piecewise config is compared drop by drop, whichever family fitted the log
    assert "drops at iterations ≈4,000/9,000 instead of the configured 4,000/8,000" in f.message


def test_unknown_steps_per_epoch_is_said_not_guessed() -> None:
    conf = Schedule("piecewise", {"boundaries": [30, 60], "values": [0.1, 0.01, 0.001]})
    x = np.arange(0, 9000, 10)
    fs = diagnose(
        series(x, np.full(x.size, 0.1)), None, intended(conf, unit="epoch", log_unit="iteration")
    )
    f = only(fs, "step_unit_mismatch")
    assert f.severity is Severity.INFO and "--steps-per-epoch" in f.message
    assert names(fs, Severity.ERROR) == []


def test_compare_from_skips_a_falling_bias_warmup() -> None:
    lin = Schedule(
        "polynomial",
        {"init_lr": 0.01, "end_lr": 1e-4, "decay_steps": 150, "power": 1.0, "start_step": 0},
        Warmup(12.5, 0.0),
    )
    x = np.arange(150)
    y = lin.evaluate(x)
    y[:13] = np.linspace(0.0937, y[12], 13)  # the bias group warms down from 0.1
    it = intended(lin, unit="epoch", log_unit="epoch")
    whole = diagnose(series(x, y), None, it)
    assert names(whole, Severity.WARNING) == ["warmup_mismatch"]  # compared whole: flagged
    assert "goes from 0.0937" in whole[0].message
    assert_clean(diagnose(series(x, y), None, it, compare_from=13.5))


# --------------------------------------------------------------------------- contract


def test_every_finding_carries_its_vocabulary_code() -> None:
    for name, (code, sev) in FINDINGS.items():
        f = finding(name, "m", step=12.0)
        assert (f.code, f.severity, f.step) == (code, sev, 12)
    with pytest.raises(KeyError):
        finding("not_a_finding", "m")


def test_sorted_worst_first_and_deterministic() -> None:
    fs = [
        finding("horizon_exceeds_run", "a"),
        finding("too_few_points", "b"),
        finding("schedule_reset", "c", step=5),
        finding("non_finite_lr", "d", step=1),
    ]
    out = sort_findings(fs)
    assert [f.name for f in out] == [
        "schedule_reset",
        "non_finite_lr",
        "too_few_points",
        "horizon_exceeds_run",
    ]
    assert sort_findings(reversed(fs)) == out


def test_describe_is_readable() -> None:
    assert describe(seed_schedule(True)) == (
        "exponential 0.004 x0.95 every 800,720 steps (staircase)"
    )
    assert math.isfinite(len(describe(COS)))
