"""YOLO trainer versions: each version's LR rules, identified from the files the trainer wrote.

The layouts in ``fixtures/layouts`` hold the files where each trainer writes them: the opt.yaml
files are the argparse defaults of the real ``train.py`` at that version (``mkopt.py``), the
args.yaml files the real ``default.yaml`` of that Ultralytics release.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES, shared_path

import lraudit
from lraudit.configs import detect_format, load_config
from lraudit.configs.yolo_versions import auto_lr_fit, ultralytics_rules, yolov5_rules

L = FIXTURES / "layouts"


def _simulate(
    lr0: float,
    lrf: float,
    epochs: int,
    nb: int,
    nw: int,
    lf,
    lag: bool,
    start: float = 0.0,
) -> np.ndarray:
    """The trainers' loop, iteration by iteration: LambdaLR, warmup interp, the logged value."""
    sched = lr0 * lf(0)  # LambdaLR at construction (last_epoch = -1 then step: lf(0))
    out = []
    for e in range(epochs):
        if not lag:
            sched = lr0 * lf(e)  # stepped at the epoch start
        lr = sched
        for i in range(nb):
            ni = i + nb * e
            if nw and ni <= nw:
                lr = float(np.interp(ni, [0, nw], [start, lr0 * lf(e)]))
        out.append(lr)  # read at the epoch end
        if lag:
            sched = lr0 * lf(e)  # stepped after the read
    return np.array(out)


def test_yolov7_is_recognised_and_cosine_with_1000_iteration_floor() -> None:
    it = load_config(L / "yolov7/runs/train/exp/opt.yaml", steps_per_epoch=20)
    assert (it.framework, it.framework_version) == ("yolov7", "YOLOv7")
    assert any("loss_ota / paste_in" in a for a in it.assumptions)
    # linear_lr: false is YOLOv7's cosine one-cycle, not a linear decay
    assert it.schedule.family == "cosine"
    assert it.settings["warmup_iterations"] == 1000  # max(round(3 x 20), 1000)
    assert it.expected_tags[-1] == "x/lr2" and it.settings["bias_group_tag"] == "x/lr2"
    lf = lambda x: ((1 - math.cos(x * math.pi / 30)) / 2) * (0.1 - 1) + 1  # noqa: E731
    ref = _simulate(0.01, 0.1, 30, 20, 1000, lf, lag=True)
    weights = it.logged_values[0]
    assert weights.tags == ("x/lr0", "x/lr1")
    np.testing.assert_allclose(weights.values, ref, rtol=1e-12)
    bias = it.logged_values[1]
    np.testing.assert_allclose(bias.values, _simulate(0.01, 0.1, 30, 20, 1000, lf, True, 0.1))


def test_yolov7_opt_yaml_alone_is_a_yolo_config() -> None:
    p = L / "yolov7_opt_only/runs/train/exp/opt.yaml"
    assert detect_format(p) == "yolov5"
    it = load_config(p)
    assert it.framework == "yolov7"
    assert it.schedule.params["end_lr"] == pytest.approx(0.001)  # hyp.scratch.p5: lrf 0.1
    assert any("built-in data/hyp.scratch.p5.yaml" in a for a in it.assumptions)


def test_yolov5_v50_linear_lr_false_is_cosine() -> None:
    it = load_config(L / "yolov5_v50/runs/train/exp/hyp.yaml", steps_per_epoch=20)
    assert it.framework_version.startswith("YOLOv5 v5.0-v6.0")
    assert it.schedule.family == "cosine"
    assert it.settings["warmup_iterations"] == 1000
    assert it.settings["bias_group_tag"] == "x/lr2"


def test_yolov5_v50_linear_lr_true_spans_epochs_minus_one(tmp_path: Path) -> None:
    src = L / "yolov5_v50/runs/train/exp"
    (tmp_path / "hyp.yaml").write_text((src / "hyp.yaml").read_text())
    opt = (src / "opt.yaml").read_text().replace("linear_lr: false", "linear_lr: true")
    (tmp_path / "opt.yaml").write_text(opt)
    it = load_config(tmp_path / "opt.yaml", steps_per_epoch=200)
    assert it.schedule.family == "polynomial"
    assert it.schedule.params["decay_steps"] == 39  # (1 - x/(E-1)): lrf reached at E-1
    lf = lambda x: (1 - x / 39) * (1 - 0.2) + 0.2  # noqa: E731
    ref = _simulate(0.01, 0.2, 40, 200, 1000, lf, lag=True)
    np.testing.assert_allclose(it.logged_values[0].values, ref, rtol=1e-12)
    after = np.arange(7, 40)  # the warmup (1000 its = 5 epochs) is over
    np.testing.assert_allclose(it.evaluate(after), ref[after], rtol=1e-12)


def test_yolov5_v61_floor_1000_with_100_as_alternative() -> None:
    it = load_config(L / "yolov5_v61/runs/train/exp/opt.yaml", steps_per_epoch=20)
    assert it.framework_version == "YOLOv5 v6.1 (2022-02)"
    assert it.schedule.family == "polynomial"
    floors = [e.warmup_iterations for e in it.logged_values]
    assert floors == [1000, 1000, 100, 100]  # weights + bias, per candidate version


@pytest.mark.parametrize(
    ("keys", "version", "floor", "falling"),
    [
        ({"linear_lr"}, "v5.0-v6.0", 1000, "x/lr2"),
        ({"cos_lr"}, "v6.1", 1000, "x/lr2"),
        ({"cos_lr", "noplots"}, "2022-04", 100, "x/lr2"),
        ({"cos_lr", "noplots", "seed"}, "v6.2", 100, "x/lr0"),
        (set(), "before v5.0", 1000, "x/lr2"),
    ],
)
def test_yolov5_dated_by_opt_keys(keys: set[str], version: str, floor: int, falling: str) -> None:
    opt = {f"k{i}": 0 for i in range(30)} | dict.fromkeys(keys, False)
    r = yolov5_rules({"lr0": 0.01}, opt)[0]
    assert version in r.version
    assert (r.floor, r.falling_tag) == (floor, falling)


def test_real_grafit_run_is_yolov5_v62() -> None:
    """Grafit-Kil (SOURCES.md): 100-iteration floor, x/lr0 the falling bias group."""
    d = shared_path("real-logs", "Grafit-Kil__helmet-detection-yolov5", "runs", "train", "exp2")
    it = load_config(d / "opt.yaml", steps_per_epoch=8)
    assert it.framework_version.startswith("YOLOv5 v6.2")
    assert it.settings["warmup_iterations"] == 100
    assert it.settings["warmup_epochs_effective"] == 12.5  # not the configured 3
    for tag in ("x/lr0", "x/lr1", "x/lr2"):
        (s,) = lraudit.read_lr_series(d, tag=tag)
        (ex,) = [e for e in it.logged_values[:2] if e.applies_to(tag)]
        np.testing.assert_allclose(s.values, ex.at(s.steps), rtol=2e-7)


def test_ultralytics_versions_from_args_keys() -> None:
    r83 = ultralytics_rules(_args("ultralytics_830"))
    assert [r.version for r in r83] == ["Ultralytics 8.3"]
    assert (r83[0].floor, r83[0].falling_tag, r83[0].lag) == (100, "lr/pg0", False)
    r84 = ultralytics_rules(_args("ultralytics_84190"))[0]
    assert (r84.floor, r84.cap_last_epoch, r84.falling_tag) == (0, True, "lr/pg2")
    assert r84.warmup_iterations(3.0, 8, 50) == 24  # no floor
    assert r84.warmup_iterations(3.0, 8, 2) == 8  # capped at E - 1 epochs
    old = {**_args("ultralytics_830"), "v5loader": False}
    assert ultralytics_rules(old)[0].lag  # 8.0: stepped after the LR is read


def _args(name: str) -> dict:
    import yaml

    return yaml.safe_load((L / name / "runs/detect/train/args.yaml").read_text())


def test_ultralytics_auto_reads_nc_and_iterations() -> None:
    p = L / "ultralytics_830/runs/detect/train/args.yaml"
    it = load_config(p, steps_per_epoch=8)  # 8 x 16 images -> 2 x 50 = 100 iterations
    assert it.peak_unknown is None
    assert it.schedule.params["init_lr"] == auto_lr_fit(3) == 0.001429
    assert "AdamW" in it.peak_rule and "ignores lr0=0.01" in it.peak_rule
    assert it.settings["warmup_bias_lr"] == 0.0
    lf = lambda x: max(1 - x / 50, 0) * (1 - 0.01) + 0.01  # noqa: E731
    ref = _simulate(0.001429, 0.01, 50, 8, 100, lf, lag=False)
    assert it.logged_values[0].steps[0] == 1  # epoch e logged at e + 1
    np.testing.assert_allclose(it.logged_values[0].values, ref, rtol=1e-12)
    big = load_config(p, steps_per_epoch=1000)  # > 10,000 iterations: SGD at 0.01
    assert big.schedule.params["init_lr"] == 0.01 and "SGD" in big.peak_rule


def test_ultralytics_auto_without_inputs_says_peak_unknown() -> None:
    p = L / "ultralytics_84190/runs/detect/train/args.yaml"
    it = load_config(p)
    assert it.peak_unknown and "pass --steps-per-epoch" in it.peak_unknown
    assert "MuSGD at 0.01" in it.peak_unknown  # 8.4.1xx's large-run choice
    small = load_config(p, steps_per_epoch=8)  # AdamW branch, data.yaml not found
    assert small.peak_unknown and "number of classes" in small.peak_unknown
