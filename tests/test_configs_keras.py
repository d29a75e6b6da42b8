"""Keras serialised optimizers / LearningRateSchedules against keras 3.15's own values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES

from lraudit.configs import load_config
from lraudit.configs._intent import MAX_SAMPLED_EPOCHS, for_tag
from lraudit.errors import ConfigError
from lraudit.schedules import families

KDIR = FIXTURES / "configs" / "keras"
REF = json.loads((KDIR / "reference.json").read_text())
STEPS = np.array(REF["steps"])


def _need(family: str) -> None:
    if family not in families():
        pytest.skip(f"family {family!r} not registered yet")


@pytest.mark.parametrize("case", sorted(REF["cases"]))
def test_schedule_matches_keras(case: str) -> None:
    it = load_config(KDIR / f"{case}.json")
    assert it.format == "keras"
    # tf.summary scalars against optimizer.iterations: compared per iteration
    assert it.unit == "iteration" and it.log_unit == "iteration"
    assert it.expected_tags[0] == "learning_rate"
    # the TensorBoard callback's epoch tags: per epoch, unknown without steps_per_epoch
    ep = for_tag(it, "epoch_learning_rate")
    assert ep.unit == "iteration" and ep.log_unit == "epoch"
    assert ep.expected_tags[0] == "epoch_learning_rate"
    assert for_tag(it, "learning_rate") is it
    _need(it.schedule.family)
    # keras computes in float32
    ref = np.array(REF["cases"][case])
    np.testing.assert_allclose(it.evaluate(STEPS), ref, rtol=2e-6, atol=2e-7 * ref.max())


@pytest.mark.parametrize("case", sorted(REF["cases"]))
@pytest.mark.parametrize("nb", [5, 25])
def test_epoch_axis_conversion_is_exact(case: str, nb: int) -> None:
    """epoch_learning_rate at epoch e is schedule((e + 1) * steps_per_epoch), every family."""
    it = load_config(KDIR / f"{case}.json", steps_per_epoch=nb)
    assert it.unit == "epoch" and it.log_unit == "epoch" and it.steps_per_epoch == nb
    assert it.expected_tags[0] == "epoch_learning_rate"
    _need(it.schedule.family)
    ref = dict(zip(REF["steps"], REF["cases"][case], strict=True))
    epochs = np.arange(max(REF["steps"]) // nb)
    expected = [ref[(e + 1) * nb] for e in epochs]
    atol = 2e-7 * max(expected)  # keras computes in float32
    np.testing.assert_allclose(it.evaluate(epochs), expected, rtol=2e-6, atol=atol)
    # the iteration form is still there for tf.summary tags
    itf = for_tag(it, "learning_rate")
    assert itf.unit == "iteration" and itf.log_unit == "iteration"
    np.testing.assert_allclose(itf.evaluate(STEPS), REF["cases"][case], rtol=2e-6, atol=1e-7)


def test_exponential_continuous_epoch_axis(tmp_path: Path) -> None:
    p = tmp_path / "opt.json"
    p.write_text(
        json.dumps(
            {
                "class_name": "Adam",
                "config": {
                    "learning_rate": {
                        "class_name": "ExponentialDecay",
                        "config": {
                            "initial_learning_rate": 0.01,
                            "decay_steps": 70,
                            "decay_rate": 0.9,
                        },
                    }
                },
            }
        )
    )
    it = load_config(p, steps_per_epoch=30)
    _need("exponential")
    e = np.arange(10)
    np.testing.assert_allclose(it.evaluate(e), 0.01 * 0.9 ** ((e + 1) * 30 / 70), rtol=1e-12)


def test_cosine_epoch_axis_is_sampled_with_assumption() -> None:
    it = load_config(KDIR / "cosine_warmup.json", steps_per_epoch=25)
    assert it.unit == "epoch" and it.log_unit == "epoch"
    assert it.schedule.family == "piecewise"
    # warmup 50 + decay 300 iterations: flat from epoch 13 ((13 + 1) x 25 = 350)
    assert len(it.schedule.params["boundaries"]) == 13
    assert any("(e + 1) x 25" in a and "piecewise" in a for a in it.assumptions)
    # the iteration form keeps Keras' own parameters
    sd = for_tag(it, "lr").schedule.to_dict()
    assert sd["params"] == {
        "peak_lr": 0.2,
        "end_lr": pytest.approx(0.02),
        "decay_steps": 300,
        "start_step": 50,
    }
    assert sd["warmup"] == {"steps": 50, "start_lr": 0.0, "shape": "linear"}


def test_staircase_epoch_axis_without_epoch_count(tmp_path: Path) -> None:
    """A staircase that never flattens is sampled over MAX_SAMPLED_EPOCHS epochs, drops only."""
    p = tmp_path / "opt.json"
    lr = {
        "class_name": "ExponentialDecay",
        "config": {
            "initial_learning_rate": 0.1,
            "decay_steps": 100,
            "decay_rate": 0.5,
            "staircase": True,
        },
    }
    p.write_text(json.dumps({"class_name": "SGD", "config": {"learning_rate": lr}}))
    it = load_config(p, steps_per_epoch=10)
    b = it.schedule.params["boundaries"]
    assert b[:3] == [9, 19, 29] and len(b) == MAX_SAMPLED_EPOCHS // 10
    e = np.arange(300)
    np.testing.assert_allclose(it.evaluate(e), 0.1 * 0.5 ** np.floor((e + 1) * 10 / 100))


def test_keras2_lr_key_kgcnn(config_examples: Path) -> None:
    p = config_examples / "keras" / "kgcnn__training__results__ESOL__GIN__GIN_hyper.json"
    it = load_config(p)
    assert it.format == "keras"
    assert it.schedule.to_dict()["params"] == {
        "init_lr": 0.001,
        "decay_rate": 0.5,
        "decay_steps": 1600,
        "staircase": False,
        "start_step": 0,
    }
    assert "training.compile.optimizer.config.lr.class_name" in it.settings
    it2 = load_config(p, steps_per_epoch=20)
    assert it2.horizon == 300 and it2.unit == "epoch"


def test_model_keras_config_json(config_examples: Path) -> None:
    it = load_config(
        config_examples / "keras" / "GENERATED__keras-3.15.1__model.keras__config.json"
    )
    assert it.schedule.to_dict()["params"] == {
        "boundaries": [1001, 2001],
        "values": [0.001, 0.0001, 1e-05],
    }
    assert "epoch_learning_rate_adam" in for_tag(it, "epoch_learning_rate_adam").expected_tags
    assert it.settings["optimizer"] == "Adam"


def test_bare_schedule(tmp_path: Path) -> None:
    p = tmp_path / "sched.json"
    p.write_text(
        json.dumps(
            {
                "module": "keras.optimizers.schedules",
                "class_name": "CosineDecay",
                "config": {"initial_learning_rate": 0.1, "decay_steps": 1000},
                "registered_name": None,
            }
        )
    )
    it = load_config(p)
    assert it.schedule.to_dict()["params"] == {
        "peak_lr": 0.1,
        "end_lr": 0.0,
        "decay_steps": 1000,
        "start_step": 0,
    }


@pytest.mark.parametrize(
    ("lr", "match"),
    [
        (
            {"class_name": "WarmUpCosine", "config": {}, "registered_name": "my_pkg>WarmUpCosine"},
            "unknown schedule class 'WarmUpCosine'.*my_pkg>WarmUpCosine",
        ),
        (
            {
                "class_name": "PolynomialDecay",
                "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "cycle": True},
            },
            "cycle",
        ),
        (
            {
                "class_name": "ExponentialDecay",
                "config": {"initial_learning_rate": 0.1, "decay_rate": 0.5},
            },
            "decay_steps is missing",
        ),
        (
            {
                "class_name": "PiecewiseConstantDecay",
                "config": {"boundaries": [1, 2], "values": [1.0]},
            },
            "one more value",
        ),
    ],
)
def test_bad_schedules_are_named(tmp_path: Path, lr: dict, match: str) -> None:
    p = tmp_path / "opt.json"
    p.write_text(json.dumps({"class_name": "SGD", "config": {"learning_rate": lr}}))
    with pytest.raises(ConfigError, match=match) as exc:
        load_config(p)
    assert str(p) in str(exc.value)


def test_json_without_optimizer(tmp_path: Path) -> None:
    p = tmp_path / "x.json"
    p.write_text(json.dumps({"class_name": "Dense", "config": {"units": 3}}))
    with pytest.raises(ConfigError, match="no serialised Keras optimizer"):
        load_config(p, format="keras")


def test_dot_keras_zip_reads_only_config_json(tmp_path: Path, config_examples: Path) -> None:
    import zipfile

    from lraudit.configs import PARSERS, Units

    cfg = config_examples / "keras" / "GENERATED__keras-3.15.1__model.keras__config.json"
    z = tmp_path / "model.keras"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("metadata.json", '{"keras_version": "3.15.1"}')
        zf.writestr("config.json", cfg.read_text())
        zf.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n")
    assert PARSERS["keras"].detect(z, "") == 2
    it = PARSERS["keras"].parse(z, "", Units())
    assert it.schedule.family == "piecewise"
    assert it.source.endswith("model.keras!config.json")
    bad = tmp_path / "broken.keras"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match="not a readable .keras zip"):
        PARSERS["keras"].parse(bad, "", Units())
