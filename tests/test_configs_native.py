"""lraudit's own schedule YAML/JSON."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES

from lraudit.configs import load_config
from lraudit.errors import ConfigError
from lraudit.schedules import families
from lraudit.types import IntendedSchedule
from lraudit.vocab import FAMILY_PARAMS

NDIR = FIXTURES / "configs" / "lraudit"


def test_cosine_warmup_example() -> None:
    it = load_config(NDIR / "cosine_warmup.yaml")
    assert it.format == "lraudit"
    assert it.schedule.to_dict() == {
        "family": "cosine",
        "params": {"peak_lr": 0.08, "end_lr": 0.0, "decay_steps": 48000, "start_step": 2000},
        "warmup": {"steps": 2000, "start_lr": 0.0, "shape": "linear"},
        "min_lr": None,
    }
    assert it.horizon == 50000
    assert it.expected_tags == ("learning_rate",)
    assert it.unit == it.log_unit == "iteration"
    assert it.assumptions == ()


def test_epoch_schedule_logged_per_iteration() -> None:
    # units.step is what the schedule counts, units.log_step the logged axis: with the steps
    # per epoch the epoch schedule is put on the iteration axis (stepped once per epoch)
    it = load_config(NDIR / "step_epochs.yaml")
    assert (it.unit, it.log_unit, it.steps_per_epoch, it.horizon) == (
        "iteration",
        "iteration",
        390,
        90 * 390,
    )
    assert any("390 iterations per epoch" in a for a in it.assumptions)
    np.testing.assert_allclose(
        it.evaluate([0, 29 * 390, 30 * 390 - 1, 30 * 390, 85 * 390]),
        [0.1, 0.1, 0.1, 0.01, 0.0001],
    )


def _native(tmp_path: Path, units: str, **kw: int) -> IntendedSchedule:
    p = tmp_path / "lr.yaml"
    p.write_text(
        "schedule: {family: exponential, params: {init_lr: 0.1, decay_rate: 0.5, "
        "decay_steps: 2, staircase: true, start_step: 0}}\n"
        f"units: {units}\nhorizon: 10\n"
    )
    return load_config(p, **kw)


def test_units_log_axis_explicit(tmp_path: Path) -> None:
    # an epoch schedule logged per epoch stays in epochs, whatever the steps per epoch
    it = _native(tmp_path, "{step: epoch, log_step: epoch, steps_per_epoch: 50}")
    assert (it.unit, it.log_unit, it.horizon) == ("epoch", "epoch", 10)
    np.testing.assert_allclose(it.evaluate([0, 1, 2, 4]), [0.1, 0.1, 0.05, 0.025])
    # an iteration schedule logged per epoch: epoch e shows iteration e * spe
    it = _native(tmp_path, "{step: iteration, log_step: epoch, steps_per_epoch: 2}")
    assert (it.unit, it.log_unit, it.horizon) == ("epoch", "epoch", 5)
    np.testing.assert_allclose(it.evaluate([0, 1, 2]), [0.1, 0.05, 0.025])
    # without the steps per epoch nothing converts and the assumption says what to pass
    it = _native(tmp_path, "{step: epoch, log_step: iteration}")
    assert (it.unit, it.log_unit) == ("epoch", "iteration")
    assert any("--steps-per-epoch" in a for a in it.assumptions)


@pytest.mark.parametrize(
    ("units", "kw", "match"),
    [
        # the ambiguous case that used to mean "logged per epoch" silently
        ("{step: epoch, steps_per_epoch: 40}", {}, "units.log_step is not set"),
        ("{step: epoch}", {"steps_per_epoch": 40}, "units.log_step is not set"),
        ("{step: epoch, log_step: iteration, steps_per_epoch: 0}", {}, "must be a whole number"),
        ("{step: epoch, log_step: iteration, steps_per_epoch: 2.5}", {}, "whole number"),
        ("{step: epoch, log: iteration}", {}, r"unknown key\(s\) \['log'\]"),
        ("{step: iteration, log_step: batch}", {}, "units.log_step: 'batch'"),
        ("[epoch]", {}, "units: expected a mapping"),
    ],
)
def test_bad_units(tmp_path: Path, units: str, kw: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match) as exc:
        _native(tmp_path, units, **kw)
    msg = str(exc.value)
    assert str(tmp_path / "lr.yaml") in msg and "\n" not in msg


def test_json_seed_case_and_overrides() -> None:
    it = load_config(NDIR / "seed_exponential.json", num_steps=200000, steps_per_epoch=10)
    assert it.format == "lraudit"
    assert it.schedule.params["decay_steps"] == 800720
    assert it.schedule.params["staircase"] is True
    assert it.horizon == 200000
    assert it.steps_per_epoch == 10
    assert any("given by the caller" in a for a in it.assumptions)


def test_round_trip_every_family(tmp_path: Path) -> None:
    """Every vocabulary family can be written in the native format and read back."""
    samples = {
        "constant": {"lr": 0.1},
        "exponential": {
            "init_lr": 0.1,
            "decay_rate": 0.5,
            "decay_steps": 10,
            "staircase": False,
            "start_step": 0,
        },
        "piecewise": {"boundaries": [5, 9], "values": [1.0, 0.5, 0.25]},
        "cosine": {"peak_lr": 1.0, "end_lr": 0.1, "decay_steps": 20, "start_step": 0},
        "cosine_restarts": {
            "peak_lr": 1.0,
            "end_lr": 0.0,
            "first_period": 10,
            "period_mult": 2.0,
            "peak_decay": 0.5,
            "start_step": 4,
        },
        "polynomial": {
            "init_lr": 1.0,
            "end_lr": 0.0,
            "decay_steps": 10,
            "power": 2.0,
            "start_step": 3,
        },
        "inverse_time": {"init_lr": 1.0, "decay_rate": 0.5, "decay_steps": 10, "staircase": True},
        "inverse_sqrt": {"peak_lr": 1.0, "timescale": 100},
        "cyclic": {
            "base_lr": 0.1,
            "max_lr": 1.0,
            "step_size_up": 5,
            "step_size_down": 5,
            "mode": "triangular",
            "gamma": 1.0,
        },
        "one_cycle": {
            "max_lr": 1.0,
            "total_steps": 100,
            "pct_start": 0.3,
            "init_lr": 0.04,
            "end_lr": 4e-6,
            "anneal": "cos",
            "three_phase": False,
        },
        "warmup_stable_decay": {
            "peak_lr": 1.0,
            "stable_steps": 10,
            "decay_steps": 5,
            "end_lr": 0.0,
            "decay_shape": "linear",
        },
    }
    assert set(samples) == set(FAMILY_PARAMS)
    import yaml

    for fam, params in samples.items():
        p = tmp_path / f"{fam}.yaml"
        p.write_text(yaml.safe_dump({"schedule": {"family": fam, "params": params}}))
        it = load_config(p)
        assert it.schedule.family == fam
        assert dict(it.schedule.params) == params
        if fam in families():
            assert np.all(np.isfinite(it.evaluate(np.arange(30))))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("schedule: {family: sigmoid, params: {}}\n", "unknown family 'sigmoid'"),
        (
            "schedule: {family: cosine, params: {peak_lr: 1, end_lr: 0, decay_steps: 9, "
            "start_step: 0, period: 3}}\n",
            r"no parameter\(s\) \['period'\]",
        ),
        (
            "schedule: {family: cosine, params: {peak_lr: 1, end_lr: 0, start_step: 0}}\n",
            "schedule.params.decay_steps is missing",
        ),
        ("schedule: {family: constant, params: {lr: high}}\n", "params.lr: expected a number"),
        (
            "schedule: {family: constant, params: {lr: 1}, warmup: {steps: 5, shape: cubic}}\n",
            "unknown shape 'cubic'",
        ),
        (
            "schedule: {family: constant, params: {lr: 1}}\nunits: {step: minute}\n",
            "units.step: 'minute'",
        ),
        (
            "schedule: {family: piecewise, params: {boundaries: [1], values: [1]}}\n",
            "one more value",
        ),
        ("schedule: {family: constant, params: {lr: 1}, decay: 3}\n", "unknown key"),
    ],
)
def test_bad_native_configs(tmp_path: Path, text: str, match: str) -> None:
    p = tmp_path / "lr.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=match) as exc:
        load_config(p)
    assert str(p) in str(exc.value)
