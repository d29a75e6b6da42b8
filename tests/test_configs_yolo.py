"""YOLOv5 hyp.yaml + opt.yaml and Ultralytics args.yaml."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_path

import lraudit
from lraudit.configs import load_config
from lraudit.errors import ConfigError

RUN = ("real-logs", "Grafit-Kil__helmet-detection-yolov5", "runs", "train")


def _lf(x: np.ndarray, lrf: float, epochs: int, cos: bool) -> np.ndarray:
    if cos:
        return ((1 - np.cos(x * math.pi / epochs)) / 2) * (lrf - 1) + 1
    return (1 - x / epochs) * (1 - lrf) + lrf


@pytest.mark.parametrize("run", ["exp", "exp2"])
def test_real_run_exact_logged_values(run: str) -> None:
    """Grafit-Kil: the values YOLOv5 logged are reproduced for all three param groups."""
    d = shared_path(*RUN, run)
    it = load_config(d / "hyp.yaml", steps_per_epoch=8)
    assert it.format == "yolov5"
    assert it.settings["opt_file"].endswith("opt.yaml")
    assert it.settings["warmup_iterations"] == 100  # max(round(3 * 8), 100)
    assert it.expected_tags == ("x/lr1", "x/lr2", "x/lr0")
    assert it.unit == it.log_unit == "epoch"
    exact = np.array(it.exact_values.values)
    bias = np.array(it.settings["bias_logged_lr_exact"]["values"])
    for tag, ref in (("x/lr1", exact), ("x/lr2", exact), ("x/lr0", bias)):
        (s,) = lraudit.read_lr_series(d, tag=tag)
        np.testing.assert_allclose(s.values, ref[s.steps], rtol=2e-7)


def test_real_run_exp2_schedule() -> None:
    d = shared_path(*RUN, "exp2")
    it = load_config(d / "opt.yaml", steps_per_epoch=8)
    sd = it.schedule.to_dict()
    assert sd["family"] == "polynomial"
    assert sd["params"] == {
        "init_lr": 0.01,
        "end_lr": 0.0001,
        "decay_steps": 150,
        "power": 1.0,
        "start_step": 1,
    }
    # YOLOv5's warmup is multiplicative: r0 = (nb - 1)/nw, W = (nw - nb + 1)/nb (nb=8, nw=100)
    assert sd["warmup"] == {
        "steps": 11.625,
        "start_lr": pytest.approx(0.0007),
        "shape": "linear_factor",
    }
    assert it.horizon == 150
    (s,) = lraudit.read_lr_series(d, tag="x/lr1")
    after = s.steps >= 13
    # after warmup the schedule is exact: epoch e logs lr0 * lf(e - 1) (e = 149 -> 0.000232)
    np.testing.assert_allclose(it.evaluate(s.steps[after]), s.values[after], rtol=2e-7)
    assert it.evaluate([149])[0] == pytest.approx(0.01 * _lf(np.array(148.0), 0.01, 150, False))
    # during warmup the log is lf(e) * lr0 * (r0 + (1 - r0) e / W) to float32 precision ...
    e = s.steps[:12].astype(float)
    ramp = _lf(e, 0.01, 150, False) * 0.01 * (0.07 + 0.93 * e / 11.625)
    np.testing.assert_allclose(ramp, s.values[:12], rtol=2e-7)
    assert s.values[11] == pytest.approx(0.95 * 0.01 * _lf(np.array(11.0), 0.01, 150, False))
    # ... while the schedule's family is the lagged lf(e - 1): off by 1 - lf(e)/lf(e-1) there
    lag = 1 - _lf(e[1:], 0.01, 150, False) / _lf(e[1:] - 1, 0.01, 150, False)
    np.testing.assert_allclose(it.evaluate(e[1:]) * (1 - lag), s.values[1:12], rtol=2e-7)
    gap = it.settings["warmup_linear_max_rel_gap"]
    assert 0.007 < gap < 0.0075
    np.testing.assert_allclose(it.evaluate(s.steps), s.values, rtol=gap + 1e-6)
    assert it.evaluate([0])[0] == pytest.approx(s.values[0], rel=2e-7)


def test_real_run_exp_never_leaves_warmup() -> None:
    d = shared_path(*RUN, "exp")
    it = load_config(d / "hyp.yaml", steps_per_epoch=8)
    assert it.horizon == 3
    assert it.schedule.warmup.steps > it.horizon  # warmup_exceeds_run material
    assert any("12.5 epochs" in a for a in it.assumptions)


def test_without_batches_per_epoch_the_warmup_is_a_lower_bound() -> None:
    d = shared_path(*RUN, "exp2")
    it = load_config(d / "hyp.yaml")
    assert it.schedule.warmup.steps == 3
    assert it.steps_per_epoch is None
    assert any("100 iterations / nb" in a for a in it.assumptions)
    assert it.exact_values is None


def test_hyp_alone_uses_train_py_defaults(config_examples: Path) -> None:
    it = load_config(config_examples / "yolo" / "yolov5__data__hyps__hyp.scratch-high.yaml")
    assert it.horizon == 100
    assert it.schedule.params["end_lr"] == pytest.approx(0.01 * 0.1)
    assert any("defaults assumed" in a for a in it.assumptions)


def test_prefixed_sibling_opt(config_examples: Path) -> None:
    it = load_config(config_examples / "yolo" / "zeck69-yolov5__runs__train__exp__hyp.yaml")
    assert it.horizon == 150
    assert it.settings["optimizer"] == "Adam"
    assert it.schedule.params["init_lr"] == 0.001


def test_opt_embeds_hyp(config_examples: Path) -> None:
    it = load_config(config_examples / "yolo" / "zeck69-yolov5__runs__train__exp__opt.yaml")
    assert it.schedule.params == {
        "init_lr": 0.001,
        "end_lr": pytest.approx(1e-5),
        "decay_steps": 150,
        "power": 1.0,
        "start_step": 1,
    }


@pytest.mark.parametrize("cos", [False, True])
@pytest.mark.parametrize("ultra", [False, True])
def test_simulated_training_loop(tmp_path: Path, cos: bool, ultra: bool) -> None:
    """A re-implementation of both training loops' LR bookkeeping, per iteration."""
    lr0, lrf, epochs, nb, wep = 0.02, 0.05, 30, 20, 3.0
    if ultra:
        text = (
            f"task: detect\nmode: train\nepochs: {epochs}\nbatch: 16\noptimizer: SGD\n"
            f"cos_lr: {str(cos).lower()}\nlr0: {lr0}\nlrf: {lrf}\nwarmup_epochs: {wep}\n"
            "warmup_bias_lr: 0.1\n"
        )
        p = tmp_path / "args.yaml"
    else:
        text = (
            f"hyp: {{lr0: {lr0}, lrf: {lrf}, warmup_epochs: {wep}, warmup_bias_lr: 0.1}}\n"
            f"epochs: {epochs}\ncos_lr: {str(cos).lower()}\noptimizer: SGD\n"
        )
        p = tmp_path / "opt.yaml"
    p.write_text(text)
    it = load_config(p, steps_per_epoch=nb)
    nw = max(round(wep * nb), 100)
    lf = lambda x: float(_lf(np.array(float(x)), lrf, epochs, cos))  # noqa: E731
    sched_lr = lr0 * lf(0)  # LambdaLR at construction
    logged = {}
    for e in range(epochs):
        if ultra and e > 0:
            sched_lr = lr0 * lf(e)  # ultralytics steps at the start of the epoch
        lr = sched_lr
        for i in range(nb):
            ni = i + nb * e
            if ni <= nw:
                lr = np.interp(ni, [0, nw], [0.0, lr0 * lf(e)])
            # (no warmup write after nw: the scheduler's value stays)
            if ni > nw and i == 0:
                lr = sched_lr
        logged[e + 1 if ultra else e] = lr
        if not ultra:
            sched_lr = lr0 * lf(e)  # yolov5: scheduler.step() after logging
    steps = np.array(sorted(logged))
    values = np.array([logged[k] for k in steps])
    np.testing.assert_allclose(it.exact_values.values, values, rtol=1e-12)
    warm_end = int(np.ceil(it.schedule.warmup.steps)) + 1
    post = steps >= warm_end + 1
    np.testing.assert_allclose(it.evaluate(steps[post]), values[post], rtol=1e-12)
    np.testing.assert_allclose(
        it.evaluate(steps), values, rtol=it.settings.get("warmup_linear_max_rel_gap", 0) + 1e-9
    )
    assert it.schedule.family == ("cosine" if cos else "polynomial")


def test_ultralytics_auto_optimizer(config_examples: Path) -> None:
    it = load_config(
        config_examples / "yolo" / "zhangsaisai-wheatweed__runs__detect__train__args.yaml"
    )
    assert it.format == "yolov5"
    assert it.settings["framework"] == "ultralytics"
    assert it.settings["lr_unknown"] == "optimizer auto"
    assert it.settings["warmup_bias_lr"] == 0.0
    assert it.expected_tags[0] == "lr/pg1"
    assert any("ignores lr0=0.01" in a for a in it.assumptions)


def test_ultralytics_sgd(config_examples: Path) -> None:
    it = load_config(config_examples / "yolo" / "a-alviento-rps__runs__detect__train__args.yaml")
    assert "lr_unknown" not in it.settings
    assert it.settings["optimizer"] == "SGD"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("lr0: fast\nlrf: 0.01\nwarmup_epochs: 3\n", "lr0: expected a number"),
        ("hyp: {lr0: 0.01, lrf: 0.01}\nepochs: 0\n", "epochs: must be > 0"),
        ("hyp: {lr0: 0.01, lrf: 0.01}\nepochs: 10\ncos_lr: maybe\n", "cos_lr: expected true"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, match: str) -> None:
    p = tmp_path / "hyp.custom.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=match) as exc:
        load_config(p)
    assert str(p) in str(exc.value)


def test_opt_without_hyp_anywhere(tmp_path: Path) -> None:
    p = tmp_path / "opt.yaml"
    p.write_text("hyp: data/hyps/hyp.my-own.yaml\nepochs: 10\nlr0: 0.01\nlrf: 0.1\n")
    with pytest.raises(ConfigError, match="no hyp.yaml"):
        load_config(p, format="yolov5")


def test_fixture_v5_cos_pair_reads_sibling_hyp() -> None:
    from conftest import FIXTURES

    it = load_config(FIXTURES / "configs" / "yolo" / "v5_cos" / "opt.yaml", steps_per_epoch=50)
    assert it.settings["hyp_file"].endswith("hyp.yaml")
    assert it.schedule.to_dict()["params"] == {
        "peak_lr": 0.01,
        "end_lr": pytest.approx(0.001),
        "decay_steps": 40,
        "start_step": 1,
    }
    assert it.settings["warmup_iterations"] == 100  # round(2 x 50) = 100
    assert it.settings["warmup_epochs_effective"] == 2.0
    if "cosine" in __import__("lraudit.schedules", fromlist=["x"]).families():
        e = np.arange(3, 40)
        ref = 0.01 * _lf(e - 1.0, 0.1, 40, True)
        np.testing.assert_allclose(it.evaluate(e), ref, rtol=1e-12)


def test_fixture_ultralytics_cos() -> None:
    from conftest import FIXTURES

    it = load_config(FIXTURES / "configs" / "yolo" / "ultralytics_cos_args.yaml")
    assert it.schedule.family == "cosine"
    assert it.schedule.params["peak_lr"] == 0.02
    assert it.settings["lr0"] == 0.02 and it.settings["warmup_epochs"] == 3.0
    assert "lr_unknown" not in it.settings
