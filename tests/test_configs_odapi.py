"""Golden tests for the TF Object Detection API ``pipeline.config`` parser."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES, shared_path

from lraudit.configs import detect_format, load_config
from lraudit.configs._common import f32
from lraudit.errors import ConfigError
from lraudit.schedules import families

FIX = FIXTURES / "configs" / "odapi"
TFOD = ("config-examples", "tfod_pipeline")
COURSE = (
    "real-logs",
    "huzaifasharafat__TFODCourse",
    "Tensorflow",
    "workspace",
    "models",
    "my_ssd_mobnet",
)


def needs_family(name: str) -> None:
    """Curve checks need the family math, written in parallel; skip until it is registered."""
    if name not in families():
        pytest.skip(f"schedule family {name!r} is not registered yet")


# Independent restatements of the OD API formulas (shared/reference/formulas_tf.md §1.4-1.7).
def od_exponential(s, lr0, d, f, staircase, burnin_lr, burnin, min_lr):
    s = np.asarray(s, dtype=np.float64)
    b = lr0 if burnin_lr == 0 else burnin_lr
    p = (s - burnin) / d
    if staircase:
        p = np.floor(p)
    post = lr0 * f**p
    return np.maximum(np.where(s < burnin, b, post), min_lr)


def od_cosine(s, base, total, warmup_lr, warmup, hold):
    s = np.asarray(s, dtype=np.float64)
    c = 0.5 * base * (1 + np.cos(np.pi * (s - warmup - hold) / (total - warmup - hold)))
    out = np.where((hold > 0) & (s >= warmup) & (s <= warmup + hold), base, c)
    if warmup > 0:
        out = np.where(s < warmup, warmup_lr + (base - warmup_lr) * s / warmup, out)
    return np.where(s > total, 0.0, out)


def test_seed_case_rmsprop_exponential_staircase_default():
    i = load_config(FIX / "seed_ssd_mobilenet_v1_rmsprop_100k.config")
    assert i.format == "odapi"
    s = i.schedule
    assert s.family == "exponential"
    assert s.params == {
        "init_lr": f32(0.004),
        "decay_rate": f32(0.95),
        "decay_steps": 800720,
        "staircase": True,
        "start_step": 0,
    }
    assert s.warmup is None and s.min_lr is None
    assert i.horizon == 100000 and i.unit == i.log_unit == "iteration"
    assert "learning_rate" in i.expected_tags
    assert i.settings["num_steps"] == 100000 and i.settings["optimizer"] == "rms_prop_optimizer"
    assert any("staircase is not set" in a and "true" in a for a in i.assumptions)
    # proto floats are float32, as TF uses them
    assert s.params["init_lr"] == 0.004000000189989805


def test_seed_case_curve_is_flat_over_the_run():
    i = load_config(FIX / "seed_ssd_mobilenet_v1_rmsprop_100k.config")
    needs_family("exponential")
    steps = np.arange(0, 100001, 100)
    lr = i.evaluate(steps)
    assert np.all(lr == f32(0.004))
    # the first drop only comes at decay_steps
    assert i.evaluate([800719, 800720]).tolist() == pytest.approx(
        [f32(0.004), f32(0.004) * f32(0.95)]
    )


def test_shared_examples_golden():
    d = shared_path(*TFOD)
    ssd = load_config(d / "ssd_resnet50_v1_fpn_640x640_coco17_tpu-8.config")
    assert ssd.schedule.family == "cosine"
    assert ssd.schedule.params == {
        "peak_lr": f32(0.04),
        "end_lr": 0.0,
        "decay_steps": 23000,
        "start_step": 2000,
    }
    assert ssd.schedule.warmup.to_dict() == {
        "steps": 2000,
        "start_lr": f32(0.013333),
        "shape": "linear",
    }
    assert ssd.horizon == 25000 and ssd.settings["batch_size"] == 64

    cn = load_config(d / "centernet_hourglass104_512x512_coco17_tpu-8.config")
    assert cn.settings["optimizer"] == "adam_optimizer"
    assert cn.schedule.family == "piecewise"
    assert cn.schedule.params["boundaries"] == [90000, 120000]
    assert cn.schedule.params["values"] == [f32(1e-3), f32(1e-4), f32(1e-5)]
    assert cn.horizon == 140000

    mob = load_config(d / "ssd_mobilenet_v1_coco.config")
    assert mob.schedule.family == "exponential" and mob.schedule.params["staircase"] is True
    assert mob.horizon == 200000 and mob.settings["batch_size"] == 24

    # older sample with `schedule { step: 0 }`: read as overriding the initial rate
    frcnn = load_config(d / "faster_rcnn_resnet101_coco.config")
    assert frcnn.schedule.params["boundaries"] == [900000, 1200000]
    assert frcnn.schedule.params["values"] == [f32(3e-4), f32(3e-5), f32(3e-6)]
    assert any("step 0" in a for a in frcnn.assumptions)


def test_real_course_config_matches_its_logged_lr():
    cfg = shared_path(*COURSE, "pipeline.config")
    i = load_config(cfg)
    assert i.schedule.family == "cosine"
    assert i.schedule.params["decay_steps"] == 49000 and i.schedule.params["start_step"] == 1000
    assert i.schedule.warmup.steps == 1000
    assert i.horizon == 50000
    needs_family("cosine")
    from tbparse import SummaryReader

    event = next((cfg.parent / "train").glob("events.out.tfevents.1642112235*"))
    df = SummaryReader(str(event)).tensors
    df = df[df["tag"] == "learning_rate"]
    assert len(df) == 20
    expected = i.evaluate(df["step"].to_numpy())
    np.testing.assert_allclose(expected, df["value"].to_numpy(dtype=float), rtol=2e-6)


def test_burnin_min_lr_and_proto_quirks():
    i = load_config(FIX / "exponential_burnin_min.config")
    s = i.schedule
    assert s.params == {
        "init_lr": f32(0.01),
        "decay_rate": f32(0.9),
        "decay_steps": 500,
        "staircase": False,
        "start_step": 1000,
    }
    assert s.warmup.to_dict() == {"steps": 1000, "start_lr": f32(0.001), "shape": "constant"}
    assert s.min_lr == f32(0.0005)
    assert i.settings["batch_size"] == 8
    needs_family("exponential")
    steps = np.arange(0, 30001, 50)
    want = od_exponential(steps, f32(0.01), 500, f32(0.9), False, f32(0.001), 1000, f32(0.0005))
    np.testing.assert_allclose(i.evaluate(steps), want, rtol=1e-9)


def test_cosine_proto_defaults_are_applied_and_reported():
    i = load_config(FIX / "cosine_defaults.config")
    s = i.schedule
    assert s.warmup.steps == 10000 and s.warmup.start_lr == f32(0.0002)
    assert s.params["start_step"] == 12000 and s.params["decay_steps"] == 38000
    text = " ".join(i.assumptions)
    assert "warmup_steps is not set; the proto default 10,000" in text
    assert "warmup_learning_rate is not set" in text
    assert i.settings["warmup_steps"] == 10000
    needs_family("cosine")
    steps = np.arange(0, 52001, 250)
    want = od_cosine(steps, f32(0.001), 50000, f32(0.0002), 10000, 2000)
    np.testing.assert_allclose(i.evaluate(steps), want, rtol=1e-9, atol=1e-15)


def test_manual_step_warmup_and_entry_default():
    i = load_config(FIX / "manual_step_warmup.config")
    s = i.schedule
    assert s.params == {
        "boundaries": [1000, 15000],
        "values": [f32(1e-4), f32(0.004), f32(0.002)],
    }
    assert s.warmup.to_dict() == {"steps": 1000, "start_lr": f32(1e-4), "shape": "linear"}
    assert any("schedule[1]" in a and "0.002" in a for a in i.assumptions)
    needs_family("piecewise")
    lr = i.evaluate([0, 500, 999, 1000, 14999, 15000])
    r0, r1, r2 = f32(1e-4), f32(0.004), f32(0.002)
    assert lr.tolist() == pytest.approx(
        [r0, r0 + (r1 - r0) / 2, r0 + (r1 - r0) * 0.999, r1, r1, r2]
    )


def test_num_steps_override_is_recorded():
    i = load_config(FIX / "seed_ssd_mobilenet_v1_rmsprop_100k.config", num_steps=2000)
    assert i.horizon == 2000
    assert any("2,000 given on the command line" in a for a in i.assumptions)


def test_detection_scores(tmp_path: Path):
    assert detect_format(FIX / "seed_ssd_mobilenet_v1_rmsprop_100k.config") == "odapi"
    p = tmp_path / "x.txt"
    p.write_text("train_config {\n optimizer { adam_optimizer { learning_rate {} } } }\n")
    assert detect_format(p) == "odapi"


BAD = {
    "unknown_kind": (
        "train_config { optimizer { momentum_optimizer { learning_rate {\n"
        "  polynomial_decay_learning_rate { initial_learning_rate: 0.1 } } } } }",
        "unknown learning-rate type 'polynomial_decay_learning_rate'",
    ),
    "unknown_optimizer": (
        "train_config { optimizer { lamb_optimizer { learning_rate { } } } }",
        "unknown optimizer type 'lamb_optimizer'",
    ),
    "no_train_config": ("model { ssd { num_classes: 3 } }", "no train_config block"),
    "no_optimizer": ("train_config { batch_size: 2 }", "train_config has no optimizer block"),
    "total_lt_warmup": (
        "train_config { optimizer { adam_optimizer { learning_rate { cosine_decay_learning_rate"
        " { learning_rate_base: 0.01 total_steps: 5000 } } } } }",
        "total_steps 5,000 < warmup_steps 10,000",
    ),
    "base_lt_warmup_lr": (
        "train_config { optimizer { adam_optimizer { learning_rate { cosine_decay_learning_rate"
        " { learning_rate_base: 0.0001 total_steps: 50000 } } } } }",
        "learning_rate_base 0.0001 < warmup_learning_rate 0.0002",
    ),
    "empty_manual": (
        "train_config { optimizer { adam_optimizer { learning_rate { manual_step_learning_rate"
        " { initial_learning_rate: 0.01 } } } } }",
        "schedule is empty",
    ),
    "two_kinds": (
        "train_config { optimizer { adam_optimizer { learning_rate {"
        " constant_learning_rate { learning_rate: 0.1 }"
        " cosine_decay_learning_rate { learning_rate_base: 0.1 } } } } }",
        "not a valid pipeline.config",
    ),
    "syntax": ("train_config { optimizer { ", "not a valid pipeline.config"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_configs_name_file_key_and_problem(tmp_path: Path, name: str):
    text, message = BAD[name]
    p = tmp_path / f"{name}.config"
    p.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(p, format="odapi")
    assert str(p) in str(err.value)
    assert message in str(err.value)


def test_constant_learning_rate(tmp_path: Path):
    p = tmp_path / "c.config"
    p.write_text(
        "train_config { num_steps: 10 optimizer { momentum_optimizer { learning_rate {"
        " constant_learning_rate { learning_rate: 0.0003 } } } } }"
    )
    i = load_config(p)
    assert i.schedule.family == "constant" and i.schedule.params == {"lr": f32(0.0003)}
    assert i.horizon == 10
    assert any("batch_size is not set" in a for a in i.assumptions)


def test_cosine_total_steps_short_of_num_steps_is_said():
    it = load_config(FIXTURES / "e2e" / "odapi_cosine_past_total_steps" / "pipeline.config")
    text = " ".join(it.assumptions)
    assert "total_steps 2,000 < num_steps 3,000" in text and "LR 0" in text
