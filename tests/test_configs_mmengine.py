"""Golden tests for the MMEngine ``param_scheduler`` / mmcv ``lr_config`` parser and the safe reader."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES, shared_path

from lraudit.configs import detect_format, load_config
from lraudit.configs._common import Symbol, read_python_config
from lraudit.errors import ConfigError, UnsafeConfigError
from lraudit.schedules import families

FIX = FIXTURES / "configs" / "mmengine"
MMDET = ("config-examples", "mmdet")


def needs_family(name: str) -> None:
    if name not in families():
        pytest.skip(f"schedule family {name!r} is not registered yet")


def mmdet(name: str) -> Path:
    return shared_path(*MMDET, name)


def test_schedule_1x_in_epochs_without_steps_per_epoch():
    i = load_config(mmdet("mmdet3__configs___base___schedules__schedule_1x.py"))
    assert i.format == "mmengine"
    assert i.unit == "epoch" and i.log_unit == "iteration" and i.steps_per_epoch is None
    assert i.schedule.family == "piecewise"
    assert i.schedule.params["boundaries"] == [8, 11]
    assert i.schedule.params["values"] == pytest.approx([0.02, 0.002, 0.0002])
    assert i.schedule.warmup is None
    assert i.horizon == 12
    text = " ".join(i.assumptions)
    assert "kept in epochs" in text and "500-iteration LinearLR warmup" in text
    assert "auto_scale_lr.enable is False" in text
    assert i.settings["warmup_iters"] == 500


def test_schedule_1x_with_steps_per_epoch():
    i = load_config(
        mmdet("mmdet3__configs___base___schedules__schedule_1x.py"), steps_per_epoch=7330
    )
    s = i.schedule
    assert i.unit == "iteration" and i.steps_per_epoch == 7330
    assert s.params["boundaries"] == [8 * 7330, 11 * 7330]
    # MMEngine's LinearLR(end=500) reaches the base LR at iteration 499
    # (chained: it multiplies the running schedule, lraudit's linear_factor warmup)
    assert s.warmup.to_dict() == {
        "steps": 499,
        "start_lr": pytest.approx(2e-5),
        "shape": "linear_factor",
    }
    assert i.horizon == 12 * 7330
    assert "lr" in i.expected_tags
    needs_family("piecewise")
    # MMEngine: lr(k) = 0.02 * (0.001 + 0.999 * k / 499) for k <= 499 (formulas_torch.md §4.1)
    k = np.array([0, 100, 498, 499, 500, 58639, 58640, 80630])
    want = 0.02 * np.where(k <= 499, 0.001 + 0.999 * np.minimum(k, 499) / 499, 1.0)
    want = want * np.where(k >= 58640, 0.1, 1.0) * np.where(k >= 80630, 0.1, 1.0)
    np.testing.assert_allclose(i.evaluate(k), want, rtol=1e-12)


def test_lazy_import_style_gives_the_same_schedule():
    a = load_config(
        mmdet("mmdet3__configs___base___schedules__schedule_1x.py"), steps_per_epoch=100
    )
    b = load_config(
        mmdet("mmdet3_lazy__mmdet__configs___base___schedules__schedule_1x.py"), steps_per_epoch=100
    )
    assert a.schedule == b.schedule
    assert (
        b.settings["param_scheduler"][0]["type"] == "mmengine.optim.scheduler.lr_scheduler.LinearLR"
    )


def test_rtmdet_base_merge_delete_and_computed_values(tmp_path: Path):
    root = tmp_path / "configs"
    (root / "_base_" / "schedules").mkdir(parents=True)
    (root / "rtmdet").mkdir()
    shutil.copy(
        mmdet("mmdet3__configs___base___schedules__schedule_1x.py"),
        root / "_base_" / "schedules" / "schedule_1x.py",
    )
    (root / "_base_" / "default_runtime.py").write_text("backend_args = None\n")
    cfg = root / "rtmdet" / "rtmdet_l_8xb32-300e_coco.py"
    shutil.copy(mmdet("mmdet3__configs__rtmdet__rtmdet_l_8xb32-300e_coco.py"), cfg)
    i = load_config(cfg, steps_per_epoch=100, world_size=8)
    s = i.schedule
    assert s.family == "cosine"
    assert s.params == {
        "peak_lr": 0.004,
        "end_lr": pytest.approx(0.0002),
        "decay_steps": 15000,
        "start_step": 15000,
    }
    assert s.warmup.steps == 999 and s.warmup.start_lr == pytest.approx(4e-8)
    assert i.horizon == 30000
    # optim_wrapper has _delete_=True: the base SGD is gone; auto_scale_lr comes from the base
    assert i.settings["lr"] == 0.004
    assert i.settings["auto_scale_lr"]["base_batch_size"] == 16
    assert i.settings["train_loop"] == "EpochBasedTrainLoop"  # merged from the base
    assert any("datasets/coco_detection.py" in a for a in i.assumptions)
    needs_family("cosine")
    lr = i.evaluate([999, 15000, 30000])
    assert lr.tolist() == pytest.approx([0.004, 0.004, 0.0002])


def test_mmcv_step_policy_openpsg():
    p = mmdet("openpsg__configs___base___schedules__schedule_1x.py")
    i = load_config(p, steps_per_epoch=1000)
    s = i.schedule
    assert s.params["boundaries"] == [8000, 11000]
    assert s.warmup.to_dict() == {"steps": 500, "start_lr": pytest.approx(2e-5), "shape": "linear"}
    assert i.horizon == 12000
    assert "learning_rate" in i.expected_tags
    needs_family("piecewise")
    # mmcv: regular * (r + (1 - r) * i / W), reaching the regular LR at i = W
    it = np.array([0, 250, 499, 500])
    np.testing.assert_allclose(i.evaluate(it), 0.02 * (0.001 + 0.999 * it / 500), rtol=1e-12)


def test_mmcv_poly_iteration_runner():
    i = load_config(FIX / "mmcv_poly_80k.py")
    assert i.unit == "iteration" and i.steps_per_epoch is None
    assert i.schedule.family == "polynomial"
    assert i.schedule.params == {
        "init_lr": 0.02,
        "end_lr": 5e-5,
        "decay_steps": 80000.0,
        "power": 0.9,
        "start_step": 0,
    }
    assert i.horizon == 80000


def test_mmseg_polylr_iteration_based_and_child_merge():
    base = load_config(FIX / "mmseg" / "_base_" / "schedules" / "schedule_80k.py")
    assert base.unit == "iteration" and not any("kept in epochs" in a for a in base.assumptions)
    assert base.schedule.params == {
        "init_lr": 0.01,
        "end_lr": 1e-4,
        "decay_steps": 79999,  # MMEngine PolyLR reaches eta_min at end - begin - 1
        "power": 0.9,
        "start_step": 0,
    }
    child = load_config(FIX / "mmseg" / "deeplab" / "deeplabv3_warmup_80k.py")
    s = child.schedule
    assert s.params["init_lr"] == 0.005  # optim_wrapper merged, lr overridden
    assert s.params["start_step"] == 1000 and s.params["decay_steps"] == 78999
    assert s.warmup.steps == 999
    assert child.settings["max_iters"] == 80000 and child.horizon == 80000
    assert any("default_runtime.py" in a for a in child.assumptions)


def test_convert_to_iter_based_and_auto_scale_lr():
    p = FIX / "cosine_epoch_autoscale.py"
    i = load_config(p, steps_per_epoch=500, world_size=8)
    s = i.schedule
    assert s.params == {
        "peak_lr": pytest.approx(0.008),
        "end_lr": pytest.approx(8e-5),
        "decay_steps": 47500,
        "start_step": 2500,
    }
    assert s.warmup.steps == 2499
    assert any("auto_scale_lr: lr 0.004 x (8 GPUs x 16) / 64 = 0.008" in a for a in i.assumptions)
    unscaled = load_config(p, steps_per_epoch=500)
    assert unscaled.schedule.params["peak_lr"] == 0.004
    assert any("world size or the per-GPU batch size is unknown" in a for a in unscaled.assumptions)
    epochs = load_config(p)
    assert epochs.unit == "epoch"
    assert epochs.schedule.params["start_step"] == 5 and epochs.schedule.warmup.steps == 5


def test_unsupported_policy_and_scheduler_are_named(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"policy 'YOLOX' is not supported"):
        load_config(mmdet("mmdet2__configs__yolox__yolox_s_8x8_300e_coco.py"))
    p = tmp_path / "c.py"
    p.write_text(
        "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))\n"
        "train_cfg = dict(max_epochs=10)\n"
        "param_scheduler = [dict(type='QuadraticWarmupLR', end=5), dict(type='CosineRestartLR',"
        " periods=[5, 5], restart_weights=[1, 0.5], eta_min=0)]\n"
    )
    with pytest.raises(ConfigError, match=r"c.py: param_scheduler\[0\] \(QuadraticWarmupLR\)"):
        load_config(p, steps_per_epoch=10)
    p.write_text(p.read_text().replace("dict(type='QuadraticWarmupLR', end=5), ", ""))
    with pytest.raises(ConfigError, match=r"'CosineRestartLR' is not supported"):
        load_config(p, steps_per_epoch=10)


def test_missing_lr_is_a_clear_error(tmp_path: Path):
    p = tmp_path / "c.py"
    p.write_text(
        "_base_ = ['./missing.py']\nparam_scheduler = [dict(type='MultiStepLR', milestones=[1])]\n"
    )
    with pytest.raises(ConfigError, match=r"optim_wrapper.optimizer.lr is not set"):
        load_config(p)
    p.write_text("model = dict(type='X')\n_base_ = './missing.py'\n")
    with pytest.raises(ConfigError, match=r"neither param_scheduler.*missing.py"):
        load_config(p, format="mmengine")


@pytest.mark.parametrize("name", ["import_os_system.py", "dunder_escape.py"])
def test_hostile_configs_are_refused_without_running(name: str, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UnsafeConfigError, match=r"refusing to read"):
        load_config(FIX / "unsafe" / name)
    assert not (tmp_path / "LRAUDIT_PWNED_MARKER").exists()


@pytest.mark.parametrize(
    "code",
    [
        "x = eval('1')",
        "import subprocess",
        "from pickle import loads",
        "x = open('/etc/passwd').read()",
        "x = (lambda: 0).__globals__",
        "exec('x = 1')",
    ],
)
def test_reader_refuses_code_running_constructs(code: str, tmp_path: Path):
    with pytest.raises(UnsafeConfigError):
        read_python_config(tmp_path / "c.py", code)


def test_reader_evaluates_but_never_calls(tmp_path: Path):
    cfg = read_python_config(
        tmp_path / "c.py",
        "import os\n"
        "from mmengine.optim import LinearLR\n"
        "n = 3\n"
        "ms = [m * 10 for m in range(1, n)]\n"
        "d = dict(a=1, **{'b': 2})\n"
        "d.b = d['a'] + 1\n"
        "s = f'{n}x'\n"
        "t = LinearLR\n"
        "p = os.path.join('a', 'b')\n"
        "f = lambda x: x\n"
        "y = n if n > 2 else 0\n"
        "for i in range(3):\n    n = 0\n",
    )
    v = cfg.values
    assert v["ms"] == [10, 20] and v["d"] == {"a": 1, "b": 2} and v["s"] == "3x"
    assert v["t"] == Symbol("mmengine.optim.LinearLR") and v["y"] == 3 and v["n"] == 3
    assert type(v["p"]).__name__ == "Unresolved" and type(v["f"]).__name__ == "Unresolved"
    assert any("For statement was not run" in n for n in cfg.notes)


def test_reader_size_guards(tmp_path: Path):
    for src, limit in (("a = [0] * 10**9\n", "100,000"), ("b = 10 ** 10**6\n", "14,300")):
        with pytest.raises(ConfigError, match=rf"c.py:1: .*limit {limit}"):
            read_python_config(tmp_path / "c.py", src)


def test_detection():
    assert detect_format(mmdet("mmdet3__configs___base___schedules__schedule_1x.py")) == "mmengine"
    assert detect_format(mmdet("openpsg__configs___base___schedules__schedule_1x.py")) == "mmengine"
    assert detect_format(FIX / "mmcv_poly_80k.py") == "mmengine"


def test_lazy_import_child_with_read_base_and_update(tmp_path: Path):
    root = tmp_path / "configs"
    (root / "_base_" / "schedules").mkdir(parents=True)
    (root / "retina").mkdir()
    shutil.copy(
        mmdet("mmdet3_lazy__mmdet__configs___base___schedules__schedule_1x.py"),
        root / "_base_" / "schedules" / "schedule_1x.py",
    )
    shutil.copy(FIX / "lazy_child_retina.py", root / "retina" / "retina_2x.py")
    i = load_config(root / "retina" / "retina_2x.py", steps_per_epoch=100)
    assert i.schedule.params["boundaries"] == [1600, 2200]
    assert i.schedule.params["values"] == pytest.approx([0.01, 0.001, 0.0001])
    assert i.horizon == 2400 and i.settings["log_step_offset"] == 1


def test_reader_allows_config_names_that_shadow_builtins(tmp_path: Path):
    v = read_python_config(tmp_path / "c.py", "input = dict(size=3)\nx = input['size']\n").values
    assert v["x"] == 3
    with pytest.raises(UnsafeConfigError):
        read_python_config(tmp_path / "c.py", "__import__ = 1\nx = __import__\n")
