"""timm args.yaml, checked against timm's scheduler formulas (formulas_torch.md section 5)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import FIXTURES

from lraudit.configs import load_config
from lraudit.errors import ConfigError
from lraudit.schedules import families

BASE = yaml.safe_load((FIXTURES / "configs" / "timm" / "args.yaml").read_text())


def _need(family: str) -> None:
    if family not in families():
        pytest.skip(f"family {family!r} not registered yet")


def _args(tmp_path: Path, **over: object) -> Path:
    p = tmp_path / "args.yaml"
    p.write_text(yaml.safe_dump({**BASE, **over}))
    return p


def _timm_warmup(t: np.ndarray, wlr: float, lr: float, w: float) -> np.ndarray:
    return wlr + t * (lr - wlr) / w


def test_cosine_fixture() -> None:
    it = load_config(FIXTURES / "configs" / "timm" / "args.yaml")
    assert it.format == "timm"
    d = it.schedule.to_dict()
    assert d["params"] == {"peak_lr": 0.05, "end_lr": 1e-05, "decay_steps": 100, "start_step": 0}
    # timm's jump onto the cosine at epoch 5 as a warmup ending at W' in (4, 5]
    assert d["warmup"]["shape"] == "linear" and d["warmup"]["start_lr"] == 1e-05
    assert 4 < d["warmup"]["steps"] < 5
    assert it.horizon == 110  # epochs + cooldown_epochs
    assert it.expected_tags == ("lr",)
    _need("cosine")
    t = np.arange(110)
    timm = np.where(t < 100, 1e-5 + 0.5 * (0.05 - 1e-5) * (1 + np.cos(math.pi * t / 100)), 1e-5)
    timm = np.where(t < 5, _timm_warmup(t, 1e-5, 0.05, 5), timm)
    # exact at every whole epoch, the warmup included
    np.testing.assert_allclose(it.evaluate(t), timm, rtol=1e-12)
    assert any("jumps onto the cosine" in a for a in it.assumptions)


@pytest.mark.parametrize("w", [1, 3, 20])
def test_poly_warmup_without_prefix_is_exact(tmp_path: Path, w: int) -> None:
    it = load_config(
        _args(tmp_path, sched="poly", decay_rate=2.0, warmup_epochs=w, min_lr=1e-4, epochs=60)
    )
    t = np.arange(60)
    poly = 1e-4 + (0.05 - 1e-4) * (1 - t / 60) ** 2
    timm = np.where(t < w, _timm_warmup(t, 1e-5, 0.05, w), poly)
    if w < 20:
        np.testing.assert_allclose(it.evaluate(t), timm, rtol=1e-12)
    else:
        # the curve drops too fast before epoch 20 for a linear warmup with timm's slope to
        # land on it in (19, 20]: exact after the warmup, the difference stated
        np.testing.assert_allclose(it.evaluate(t[w:]), timm[w:], rtol=1e-12)
        assert it.schedule.warmup.steps == w
        assert any("joins the decay curve" in a for a in it.assumptions)


def test_on_updates_warmup_without_prefix_is_exact(tmp_path: Path) -> None:
    it = load_config(_args(tmp_path, sched_on_updates=True, cooldown_epochs=0), steps_per_epoch=7)
    t = np.arange(700)
    cos = 1e-5 + 0.5 * (0.05 - 1e-5) * (1 + np.cos(math.pi * t / 700))
    timm = np.where(t < 35, _timm_warmup(t, 1e-5, 0.05, 35), cos)
    np.testing.assert_allclose(it.evaluate(t), timm, rtol=1e-12)
    assert 34 < it.schedule.warmup.steps < 35


def test_steep_drop_in_warmup_keeps_the_stated_difference(tmp_path: Path) -> None:
    """A step decay that drops before the warmup ends has no exact linear-warmup form."""
    it = load_config(_args(tmp_path, sched="step", decay_epochs=2, decay_rate=0.1))
    assert it.schedule.warmup.steps == 5
    assert any("joins the decay curve" in a for a in it.assumptions)


def test_cosine_warmup_prefix_is_exact(tmp_path: Path) -> None:
    it = load_config(_args(tmp_path, warmup_prefix=True, cooldown_epochs=0))
    assert it.horizon == 105
    _need("cosine")
    t = np.arange(105)
    tc = np.clip(t - 5, 0, 100)
    timm = np.where(
        t < 5,
        _timm_warmup(t, 1e-5, 0.05, 5),
        1e-5 + 0.5 * (0.05 - 1e-5) * (1 + np.cos(math.pi * tc / 100)),
    )
    np.testing.assert_allclose(it.evaluate(t), timm, rtol=1e-12)


def test_step(tmp_path: Path) -> None:
    it = load_config(_args(tmp_path, sched="step", decay_epochs=30, decay_rate=0.5))
    _need("exponential")
    t = np.arange(100)
    timm = np.where(t < 5, _timm_warmup(t, 1e-5, 0.05, 5), 0.05 * 0.5 ** np.floor(t / 30))
    np.testing.assert_allclose(it.evaluate(t), timm, rtol=1e-12)


def test_multistep_decays_one_epoch_early(tmp_path: Path) -> None:
    it = load_config(_args(tmp_path, sched="multistep", decay_milestones=[3, 6], warmup_epochs=0))
    assert it.schedule.params["boundaries"] == [2, 5]
    _need("piecewise")
    got = it.evaluate(np.arange(6)) / 0.05
    np.testing.assert_allclose(got, [1, 1, 0.1, 0.1, 0.1, 0.01], rtol=1e-12)


def test_poly_uses_decay_rate_as_power(tmp_path: Path) -> None:
    it = load_config(_args(tmp_path, sched="poly", decay_rate=0.9, warmup_epochs=0))
    assert it.schedule.params["power"] == 0.9
    _need("polynomial")
    t = np.arange(100)
    np.testing.assert_allclose(
        it.evaluate(t), 1e-5 + (0.05 - 1e-5) * (1 - t / 100) ** 0.9, rtol=1e-12
    )


def test_lr_derived_from_batch_and_world_size(tmp_path: Path) -> None:
    p = _args(tmp_path, lr=None, batch_size=64, opt="adamw")
    it = load_config(p)
    assert it.schedule.params["peak_lr"] == pytest.approx(0.1 * math.sqrt(64 / 256))
    assert any("1 process assumed" in a for a in it.assumptions)
    it4 = load_config(p, world_size=4)
    assert it4.schedule.params["peak_lr"] == pytest.approx(0.1 * math.sqrt(64 * 4 / 256))
    sgd = load_config(_args(tmp_path, lr=None, batch_size=64, opt="sgd"), world_size=8)
    assert sgd.schedule.params["peak_lr"] == pytest.approx(0.1 * 64 * 8 / 256)


def test_sched_on_updates(tmp_path: Path) -> None:
    p = _args(tmp_path, sched_on_updates=True)
    with pytest.raises(ConfigError, match="sched_on_updates.*--steps-per-epoch"):
        load_config(p)
    it = load_config(p, steps_per_epoch=100)
    assert it.unit == "iteration"
    assert it.schedule.params["decay_steps"] == 10_000
    assert it.schedule.warmup.steps == 500
    assert it.horizon == 11_000


def test_plateau_is_uncheckable(tmp_path: Path) -> None:
    it = load_config(_args(tmp_path, sched="plateau"))
    assert it.metric_driven is not None and it.metric_driven.scheduler == "plateau"


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"sched": "tanh"}, "'tanh' is not supported.*no lraudit family"),
        ({"sched": "wild"}, "'wild' is not supported"),
        ({"lr_k_decay": 0.5}, "lr_k_decay"),
        ({"lr_noise": [0.4, 0.9]}, "lr_noise"),
        ({"epochs": "many"}, "epochs: expected a number"),
    ],
)
def test_bad_args_are_named(tmp_path: Path, over: dict, match: str) -> None:
    p = _args(tmp_path, **over)
    with pytest.raises(ConfigError, match=match) as exc:
        load_config(p, format="timm")
    assert str(p) in str(exc.value)


def test_num_steps_override_is_recorded(tmp_path: Path) -> None:
    it = load_config(_args(tmp_path), num_steps=40)
    assert it.horizon == 40
    assert any("given by the caller" in a for a in it.assumptions)


def test_cycles_become_cosine_restarts(tmp_path: Path) -> None:
    it = load_config(_args(tmp_path, lr_cycle_limit=3, lr_cycle_mul=2.0, epochs=10))
    assert it.schedule.to_dict()["params"] == {
        "peak_lr": 0.05,
        "end_lr": 1e-05,
        "first_period": 10,
        "period_mult": 2.0,
        "peak_decay": 0.5,
        "start_step": 0,
    }
    assert it.horizon == 10 * (1 + 2 + 4) + 10  # timm: cycle lengths 10, 20, 40 + cooldown
    assert any("cycles after the first differ" in a for a in it.assumptions)
