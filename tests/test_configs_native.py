"""lraudit's own schedule YAML/JSON."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES

from lraudit.configs import load_config
from lraudit.errors import ConfigError
from lraudit.schedules import families
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
    it = load_config(NDIR / "step_epochs.yaml")
    assert (it.unit, it.log_unit, it.steps_per_epoch, it.horizon) == ("epoch", "iteration", 390, 90)
    assert any("390 iterations per epoch" in a for a in it.assumptions)
    if "piecewise" in families():
        np.testing.assert_allclose(it.evaluate([0, 29, 30, 85]), [0.1, 0.1, 0.01, 0.0001])


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
