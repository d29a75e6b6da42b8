"""LightningCLI config.yaml: optimizer / lr_scheduler groups against torch 2.13's own values."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import FIXTURES

from lraudit.configs import load_config
from lraudit.errors import ConfigError
from lraudit.schedules import families

LDIR = FIXTURES / "configs" / "lightning"
REF = json.loads((LDIR / "reference.json").read_text())


def _need(family: str) -> None:
    if family not in families():
        pytest.skip(f"family {family!r} not registered yet")


def _cli(tmp_path: Path, scheduler: dict | None, lr: float = 0.1, **trainer: object) -> Path:
    cfg = {
        "seed_everything": 0,
        "trainer": {"max_epochs": 40, "max_steps": -1, **trainer},
        "model": {"class_path": "pkg.Model", "init_args": {}},
        "optimizer": {"class_path": "torch.optim.SGD", "init_args": {"lr": lr}},
        "lr_scheduler": scheduler,
        "ckpt_path": None,
    }
    p = tmp_path / "config.yaml"
    p.write_text("# lightning.pytorch==2.5.0\n" + yaml.safe_dump(cfg))
    return p


@pytest.mark.parametrize("case", sorted(REF["cases"]))
def test_torch_schedulers_match_torch(tmp_path: Path, case: str) -> None:
    c = REF["cases"][case]
    p = _cli(tmp_path, {"class_path": c["class_path"], "init_args": c["init_args"]})
    it = load_config(p)
    assert it.format == "lightning"
    # OneCycleLR is sized in iterations: intended per iteration (LightningCLI's per-epoch
    # stepping is then the step_unit_mismatch the audit reports)
    unit = "iteration" if case == "OneCycleLR" else "epoch"
    assert it.unit == unit and it.log_unit == "iteration"
    assert it.horizon == 40
    assert it.expected_tags[0] == "lr-SGD"
    _need(it.schedule.family)
    t = np.arange(REF["n"])
    np.testing.assert_allclose(it.evaluate(t), c["lr"], rtol=1e-9, atol=1e-15)


def test_steps_per_epoch_scales_onto_the_logged_axis(tmp_path: Path) -> None:
    c = REF["cases"]["CosineAnnealingLR"]
    p = _cli(tmp_path, {"class_path": c["class_path"], "init_args": c["init_args"]})
    it = load_config(p, steps_per_epoch=50)
    assert it.unit == "iteration" and it.horizon == 2000
    # stepped once per epoch: the cosine is held for each epoch's 50 iterations
    assert it.schedule.family == "piecewise"
    assert it.schedule.params["boundaries"][:2] == [50, 100]
    # LearningRateMonitor logs epoch e's LR at global step e * 50, and it holds until e * 50 + 49
    np.testing.assert_allclose(it.evaluate(np.arange(40) * 50), c["lr"], rtol=1e-9)
    np.testing.assert_allclose(it.evaluate(np.arange(40) * 50 + 49), c["lr"], rtol=1e-9)


@pytest.mark.parametrize(
    "name",
    ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "PolynomialLR", "LinearLR"]
    + ["ConstantLR", "CosineAnnealingWarmRestarts"],
)
def test_held_per_epoch_is_exact_at_every_iteration(tmp_path: Path, name: str) -> None:
    c = REF["cases"].get(name)
    if c is None:
        pytest.skip(f"{name} not in the reference data")
    p = _cli(tmp_path, {"class_path": c["class_path"], "init_args": c["init_args"]})
    it = load_config(p, steps_per_epoch=7)
    s = np.arange(len(c["lr"]) * 7)
    np.testing.assert_allclose(it.evaluate(s), np.asarray(c["lr"])[s // 7], rtol=1e-9)


def test_onecycle_per_epoch_trap() -> None:
    it = load_config(LDIR / "cli_onecycle.yaml")
    d = it.schedule.to_dict()
    assert d["family"] == "one_cycle"
    assert d["params"]["total_steps"] == 2000
    assert d["params"]["init_lr"] == pytest.approx(0.01 / 25)
    assert d["params"]["end_lr"] == pytest.approx(0.01 / 25 / 1e4)
    assert it.unit == it.log_unit == "iteration"  # what the user meant: 2,000 iterations
    assert it.horizon == 2000
    assert it.settings["lightning_steps_scheduler_per"] == "epoch"
    assert it.expected_tags[0] == "lr-AdamW"
    assert any("once per epoch" in a and "OneCycleLR" in a for a in it.assumptions)
    # with steps per epoch the planned run is max_epochs x steps, and total_steps is unscaled
    it2 = load_config(LDIR / "cli_onecycle.yaml", steps_per_epoch=100)
    assert it2.horizon == 2000 and it2.schedule.params["total_steps"] == 2000


def test_sequential_warmup_then_cosine(tmp_path: Path) -> None:
    sched = {
        "class_path": "torch.optim.lr_scheduler.SequentialLR",
        "init_args": {
            "schedulers": [
                {
                    "class_path": "torch.optim.lr_scheduler.LinearLR",
                    "init_args": {"start_factor": 0.1, "total_iters": 5},
                },
                {
                    "class_path": "torch.optim.lr_scheduler.CosineAnnealingLR",
                    "init_args": {"T_max": 35},
                },
            ],
            "milestones": [5],
        },
    }
    it = load_config(_cli(tmp_path, sched))
    _need("cosine")
    t = np.arange(40)
    expected = np.where(
        t < 5, 0.1 * (0.1 + 0.9 * t / 5), 0.05 * (1 + np.cos(math.pi * (t - 5) / 35))
    )
    np.testing.assert_allclose(it.evaluate(t), expected, rtol=1e-12)


def test_model_args_heuristic_steplr(config_examples: Path) -> None:
    p = (
        config_examples
        / "lightning"
        / "alighieri1231-lightning-template__lightning_logs__version_0__config.yaml"
    )
    it = load_config(p)
    assert it.format == "lightning"
    assert it.settings["heuristic"] is True
    assert it.schedule.to_dict()["params"] == {
        "init_lr": 0.001,
        "decay_rate": 0.1,
        "decay_steps": 10,
        "staircase": True,
        "start_step": 0,
    }
    assert it.horizon == 50


def test_model_args_heuristic_plateau(config_examples: Path) -> None:
    p = config_examples / "lightning" / "green-wood-comer__lightning_logs__version_0__config.yaml"
    it = load_config(p)
    assert it.schedule.to_dict()["params"] == {"lr": 0.08}
    assert it.metric_driven is not None and it.metric_driven.scheduler == "ReduceLROnPlateau"
    assert it.horizon == 300


@pytest.mark.parametrize(
    ("sched", "match"),
    [
        ({"class_path": "torch.optim.lr_scheduler.LambdaLR", "init_args": {}}, "LambdaLR"),
        ({"class_path": "my.WarmupCosine", "init_args": {}}, "unknown scheduler 'WarmupCosine'"),
        (
            {"class_path": "torch.optim.lr_scheduler.CosineAnnealingLR", "init_args": {}},
            "T_max is missing",
        ),
        (
            {"class_path": "torch.optim.lr_scheduler.StepLR", "init_args": {"step_size": "x"}},
            "step_size: expected a number",
        ),
    ],
)
def test_bad_schedulers_are_named(tmp_path: Path, sched: dict, match: str) -> None:
    p = _cli(tmp_path, sched)
    with pytest.raises(ConfigError, match=match) as exc:
        load_config(p)
    assert str(p) in str(exc.value)


def test_no_lr_anywhere(tmp_path: Path) -> None:
    p = tmp_path / "config.yaml"
    p.write_text(
        "trainer: {max_epochs: 3}\nmodel: {hidden: 3}\noptimizer: null\nlr_scheduler: null\n"
    )
    with pytest.raises(ConfigError, match="lives in code"):
        load_config(p)
