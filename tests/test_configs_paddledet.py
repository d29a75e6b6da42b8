"""Golden tests for the PaddleDetection parser."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES, shared_path

from lraudit.configs import detect_format, load_config
from lraudit.configs._common import load_yaml
from lraudit.errors import ConfigError
from lraudit.schedules import families

FIX = FIXTURES / "configs" / "paddledet"


def needs_family(name: str) -> None:
    if name not in families():
        pytest.skip(f"schedule family {name!r} is not registered yet")


def ex(name: str) -> Path:
    return shared_path("config-examples", "paddledet", name)


@pytest.fixture
def faster_rcnn(tmp_path: Path) -> Path:
    """configs/faster_rcnn laid out as in the repo (three of its five bases are absent)."""
    d = tmp_path / "configs" / "faster_rcnn"
    (d / "_base_").mkdir(parents=True)
    shutil.copy(
        ex("faster_rcnn__faster_rcnn_r50_fpn_1x_coco.yml"), d / "faster_rcnn_r50_fpn_1x_coco.yml"
    )
    shutil.copy(ex("faster_rcnn___base___optimizer_1x.yml"), d / "_base_" / "optimizer_1x.yml")
    shutil.copy(
        ex("faster_rcnn___base___faster_fpn_reader.yml"), d / "_base_" / "faster_fpn_reader.yml"
    )
    return d / "faster_rcnn_r50_fpn_1x_coco.yml"


def test_faster_rcnn_bases_merged(faster_rcnn: Path):
    i = load_config(faster_rcnn, steps_per_epoch=1000)
    assert i.format == "paddledet" and i.unit == "iteration" and i.steps_per_epoch == 1000
    s = i.schedule
    assert s.family == "piecewise"
    assert s.params["boundaries"] == [8000, 11000]
    assert s.params["values"] == pytest.approx([0.01, 0.001, 0.0001])
    assert s.warmup.to_dict() == {
        "steps": 1000,
        "start_lr": pytest.approx(0.001),
        "shape": "linear",
    }
    assert i.horizon == 12000
    assert i.settings["TrainReader.batch_size"] == 1
    missing = [a for a in i.assumptions if "not found" in a]
    assert len(missing) == 3 and any("runtime.yml" in a for a in missing)
    needs_family("piecewise")
    # PaddleDetection table: base*(sf + (1-sf)*t/W) for t < W, then the decay values
    t = np.array([0, 1, 500, 999, 1000, 7999, 8000, 11000])
    want = np.where(t < 1000, 0.01 * (0.1 + 0.9 * t / 1000), 0.01)
    want = np.where(t >= 8000, 0.001, want)
    want = np.where(t >= 11000, 0.0001, want)
    np.testing.assert_allclose(i.evaluate(t), want, rtol=1e-12)


def test_epochs_without_steps_per_epoch(faster_rcnn: Path):
    i = load_config(faster_rcnn)
    assert i.unit == "epoch" and i.schedule.params["boundaries"] == [8, 11]
    assert i.schedule.warmup is None and i.horizon == 12
    assert any("1,000-iteration warmup cannot be placed" in a for a in i.assumptions)
    assert i.settings["warmup_iters"] == 1000


def test_cosine_dict_form_truncated_cosine():
    i = load_config(ex("ppyoloe___base___optimizer_80e.yml"), steps_per_epoch=100)
    s = i.schedule
    assert s.family == "cosine"
    assert s.params == {"peak_lr": 0.001, "end_lr": 0.0, "decay_steps": 9100, "start_step": 500}
    assert s.warmup.to_dict() == {"steps": 500, "start_lr": 0.0, "shape": "linear"}
    assert i.horizon == 8000
    assert any("max_epochs 96 differs from epoch 80" in a for a in i.assumptions)
    # warmup given in epochs stays on the epoch axis without steps_per_epoch
    e = load_config(ex("ppyoloe___base___optimizer_80e.yml"))
    assert e.schedule.warmup.steps == 5 and e.schedule.params["decay_steps"] == 91
    needs_family("cosine")
    t = np.array([500, 4000, 7999])
    want = 0.001 * 0.5 * (1 + np.cos(np.pi * (t - 500) / 9100))
    np.testing.assert_allclose(i.evaluate(t), want, rtol=1e-12)


def test_scalar_gamma_expands_by_tens_not_powers():
    i = load_config(FIX / "child_override.yml", steps_per_epoch=50)
    s = i.schedule
    # gamma 0.5 -> factors [0.5, 0.05]; base_lr overridden by the child, schedulers kept
    assert s.params["values"] == pytest.approx([0.01, 0.005, 0.0005])
    assert s.params["boundaries"] == [1200, 1650]
    assert s.warmup.steps == 300 and s.warmup.start_lr == pytest.approx(0.002)
    assert i.horizon == 1800 and i.settings["TrainReader.batch_size"] == 4
    assert any("Scalar gamma 0.5" in a for a in i.assumptions)
    assert any("'../runtime.yml'" in a and "not found" in a for a in i.assumptions)


def test_other_shared_optimizers():
    y = load_config(ex("yolov3___base___optimizer_270e.yml"), steps_per_epoch=10)
    # milestones 2160/2430 fall inside the 4000-iteration warmup: ppdet's table ramps to
    # base_lr until 4000 and both drops act there
    assert y.schedule.params["boundaries"] == [4000, 4000]
    assert y.schedule.warmup.shape == "linear_factor"
    assert y.schedule.warmup.steps == 4000 and y.schedule.warmup.start_lr == 0.0
    r = load_config(ex("rtdetr___base___optimizer_6x.yml"), steps_per_epoch=10)
    # its milestone (1000) falls inside the 2000-iteration warmup: it acts at the warmup end
    assert r.schedule.params == {"boundaries": [2000], "values": [0.0001, 0.0001]}
    assert r.horizon == 720
    j = load_config(ex("mot__jde___base___optimizer_30e.yml"), steps_per_epoch=10)
    assert j.schedule.warmup is None
    assert j.settings["unmodelled_warmup"] == {"type": "ExpWarmup", "steps": 1000.0, "power": 4}
    assert any("ExpWarmup" in a and "not modelled" in a for a in j.assumptions)


def test_tags_are_kept_by_the_safe_loader():
    data = load_yaml(
        "a: !PiecewiseDecay {gamma: 0.1}\nb: !Empty\nc: 1e-4\nd: !!python/tuple [1, 2]\n", "x"
    )
    assert data == {
        "a": {"gamma": 0.1, "__type__": "PiecewiseDecay"},
        "b": {"__type__": "Empty"},
        "c": 1e-4,
        "d": [1, 2],
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("epoch: 12\n", "no LearningRate section"),
        (
            "LearningRate:\n  schedulers:\n  - !ExponentialDecay {gamma: 0.9}\n",
            "decay scheduler 'ExponentialDecay' is not supported",
        ),
        (
            "LearningRate:\n  schedulers:\n  - !CosineDecay {max_epochs: 10}\n  - !BurninWarmup {steps: 5}\n",
            "warmup 'BurninWarmup' is not supported",
        ),
        (
            "LearningRate:\n  schedulers:\n  - !PiecewiseDecay {milestones: [3]}\n",
            "no schedulers[1] warmup",
        ),
        (
            "LearningRate:\n  schedulers:\n  - !PiecewiseDecay {milestones: [3], values: [1, 0.1]}\n"
            "  - !LinearWarmup {steps: 5}\n",
            "explicit values with use_warmup",
        ),
        ("LearningRate:\n  base_lr: fast\n", "LearningRate.base_lr: expected a number"),
        ("LearningRate: [\n", "invalid YAML (line"),
    ],
)
def test_bad_configs(tmp_path: Path, text: str, message: str):
    p = tmp_path / "bad.yml"
    p.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(p, format="paddledet", steps_per_epoch=10)
    assert str(p) in str(err.value) and message in str(err.value)


def test_defaults_are_recorded(tmp_path: Path):
    p = tmp_path / "d.yml"
    p.write_text("epoch: 12\nLearningRate:\n  base_lr: 0.02\n")
    i = load_config(p, steps_per_epoch=10)
    assert i.schedule.params["boundaries"] == [500, 500]  # both milestones inside the warmup
    assert i.schedule.params["values"] == pytest.approx([0.02, 0.002, 0.0002])
    assert i.schedule.warmup.steps == 500 and i.schedule.warmup.start_lr == pytest.approx(0.02 / 3)
    text = " ".join(i.assumptions)
    assert "schedulers is not set" in text


def test_detection(faster_rcnn: Path):
    assert detect_format(ex("faster_rcnn___base___optimizer_1x.yml")) == "paddledet"
    assert detect_format(ex("ppyoloe___base___optimizer_80e.yml")) == "paddledet"
    assert detect_format(faster_rcnn) == "paddledet"
