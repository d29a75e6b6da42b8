"""Golden tests for the detectron2 parser (yacs YAML, LazyConfig Python and saved YAML)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES, shared_path

from lraudit.configs import detect_format, load_config
from lraudit.configs.detectron2 import first_iter
from lraudit.errors import ConfigError
from lraudit.schedules import families

FIX = FIXTURES / "configs" / "detectron2"


def needs_family(name: str) -> None:
    if name not in families():
        pytest.skip(f"schedule family {name!r} is not registered yet")


@pytest.fixture
def zoo(tmp_path: Path) -> Path:
    """The shared model-zoo examples laid out as in the detectron2 repo (bases/imports resolve)."""
    src = shared_path("config-examples", "detectron2")
    for f in src.iterdir():
        parts = f.name.split("__")
        dest = tmp_path.joinpath(*parts)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, dest)
    return tmp_path / "configs"


def test_yacs_base_inheritance_and_defaults(zoo: Path):
    i = load_config(zoo / "COCO-Detection" / "faster_rcnn_R_50_FPN_3x.yaml")
    assert i.format == "detectron2" and i.expected_tags == ("lr",)
    s = i.schedule
    assert s.family == "piecewise"
    assert s.params["boundaries"] == [210000, 250000]
    assert s.params["values"] == pytest.approx([0.02, 0.002, 0.0002])
    assert s.warmup.to_dict() == {"steps": 1000, "start_lr": pytest.approx(2e-5), "shape": "linear"}
    assert i.horizon == 270000
    assert i.settings["IMS_PER_BATCH"] == 16 and i.settings["WARMUP_ITERS"] == 1000
    text = " ".join(i.assumptions)
    assert "SOLVER.WARMUP_ITERS is not set; the detectron2 default 1,000 applies" in text
    assert "min(WARMUP_ITERS/MAX_ITER, 1)" in text


def test_yacs_1x_and_pascal(zoo: Path):
    one = load_config(zoo / "COCO-Detection" / "faster_rcnn_R_50_FPN_1x.yaml")
    assert one.schedule.params["boundaries"] == [60000, 80000] and one.horizon == 90000
    voc = load_config(zoo / "PascalVOC-Detection" / "faster_rcnn_R_50_FPN.yaml")
    assert voc.schedule.params["boundaries"] == [12000, 16000]
    assert voc.schedule.warmup.steps == 100 and voc.horizon == 18000


def test_missing_base_without_solver_is_an_error(tmp_path: Path):
    p = tmp_path / "child.yaml"
    p.write_text('_BASE_: "../Base-RCNN-FPN.yaml"\nMODEL:\n  MASK_ON: False\n')
    with pytest.raises(ConfigError, match=r"no SOLVER section.*Base-RCNN-FPN.yaml.*not found"):
        load_config(p)


def test_deeplab_poly_with_missing_base_is_read_with_assumptions():
    p = shared_path(
        "config-examples",
        "detectron2",
        "projects__DeepLab__configs__Cityscapes-SemanticSegmentation__Base-DeepLabV3-OS16-Semantic.yaml",
    )
    i = load_config(p)
    assert i.schedule.family == "polynomial"
    assert i.schedule.params == {
        "init_lr": 0.01,
        "end_lr": 0.0,
        "decay_steps": 90000,
        "power": 0.9,
        "start_step": 0,
    }
    assert any("Base-RCNN-DilatedC5.yaml" in a and "not found" in a for a in i.assumptions)


def test_balloon_warmup_longer_than_run_matches_real_log():
    i = load_config(FIX / "balloon_tutorial_config.yaml")
    s = i.schedule
    assert s.family == "constant" and s.params == {"lr": 0.00025}
    assert s.warmup.steps == 300 and s.warmup.start_lr == pytest.approx(2.5e-7)
    assert i.horizon == 300
    assert i.settings["WARMUP_ITERS"] == 1000 and i.settings["MAX_ITER"] == 300
    assert i.settings["warmup_length"] == 1.0
    assert any("WARMUP_ITERS 1,000 > MAX_ITER 300" in a for a in i.assumptions)
    metrics = shared_path(
        "real-logs", "Kevindic0214__detectron2_training", "output", "metrics.json"
    )
    rows = [json.loads(line) for line in metrics.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if "lr" in r]
    steps = np.array([r["iteration"] for r in rows])
    lr = np.array([r["lr"] for r in rows])
    assert steps.min() == 19 and steps.max() == 299 and len(rows) >= 15
    needs_family("constant")
    np.testing.assert_allclose(i.evaluate(steps), lr, rtol=1e-6)


def test_dumped_cosine_config():
    i = load_config(FIX / "dumped_cosine_config.yaml")
    s = i.schedule
    assert s.family == "cosine"
    assert s.params == {"peak_lr": 0.0002, "end_lr": 0.0, "decay_steps": 20000, "start_step": 0}
    assert s.warmup.to_dict() == {"steps": 333, "start_lr": pytest.approx(2e-6), "shape": "linear"}
    assert any("cosine spans all of MAX_ITER" in a for a in i.assumptions)
    assert "STEPS" not in i.settings  # STEPS is not used by the cosine schedule
    needs_family("cosine")
    # detectron2's new-style warmup ramps to the cosine's value at the warmup end
    it = np.array([0, 100, 333, 10000, 19999])
    mult = 0.5 * (1 + np.cos(np.pi * it / 20000))
    want = np.where(it < 333, 0.01 + (mult[2] - 0.01) * it / 333, mult) * 0.0002
    np.testing.assert_allclose(i.evaluate(it), want, rtol=1e-9)


def test_reference_world_size_rescaling():
    p = FIX / "reference_world_size.yaml"
    same = load_config(p)
    assert same.schedule.params["values"][0] == 0.02 and same.horizon == 270000
    assert any("assumed the run used 8" in a for a in same.assumptions)
    four = load_config(p, world_size=4)
    assert four.schedule.params["values"][0] == pytest.approx(0.01)
    assert four.schedule.params["boundaries"] == [420000, 500000]
    assert four.horizon == 540000 and four.schedule.warmup.steps == 2000
    assert four.world_size == 4
    assert any("World size 4 differs" in a for a in four.assumptions)


def test_steps_beyond_max_iter_are_ignored_with_a_note(tmp_path: Path):
    p = tmp_path / "c.yaml"
    p.write_text("SOLVER:\n  BASE_LR: 0.01\n  MAX_ITER: 5000\n  STEPS: (3000, 8000)\n")
    i = load_config(p)
    assert i.schedule.params["boundaries"] == [3000]
    assert i.settings["steps_ignored"] == [8000]
    assert any("[8000] are not below MAX_ITER 5,000" in a for a in i.assumptions)


def test_fvcore_epsilon_for_long_runs():
    assert first_iter(60000, 90000, 90000) == 60000
    assert first_iter(900000, 1080000, 1080000) == 899999
    assert first_iter(1, 4, 1000) == 250
    # brute force against the fvcore expression
    for k, n, m in [(655556, 737500, 737500), (2, 3, 1000), (6, 9, 90000)]:
        it = first_iter(k, n, m)
        assert int((it / m + 1e-6) * n) >= k > int(((it - 1) / m + 1e-6) * n)


def test_lazy_config_1x_via_function_in_config(zoo: Path):
    i = load_config(zoo / "COCO-InstanceSegmentation" / "mask_rcnn_R_50_FPN_1x.py")
    s = i.schedule
    assert s.params == {"boundaries": [60000, 80000], "values": [0.02, 0.002, 0.0002]}
    assert s.warmup.steps == 1000 and s.warmup.start_lr == pytest.approx(2e-5)
    assert i.horizon == 90000
    assert any("common.data.coco" in a and "not found" in a for a in i.assumptions)


def test_lazy_config_400ep_rescales_milestones_but_not_warmup(zoo: Path):
    i = load_config(zoo / "new_baselines" / "mask_rcnn_R_50_FPN_400ep_LSJ.py")
    s = i.schedule
    assert s.params["boundaries"] == [655556, 710184]
    assert s.params["values"] == pytest.approx([0.1, 0.01, 0.001])
    assert s.warmup.steps == 2000  # 500/184375 of 4x the iterations
    assert s.warmup.start_lr == pytest.approx(0.0067)
    assert i.horizon == 737500


def test_lazy_config_relative_imports_and_long_run_epsilon():
    i = load_config(FIX / "lazy" / "ape" / "ape_deta_cp_1080k.py")
    s = i.schedule
    assert s.params["boundaries"] == [899999]  # fvcore's 1e-6 epsilon at 1.08M iterations
    assert s.params["values"] == pytest.approx([2e-4, 2e-5])
    assert s.warmup.steps == 2000 and i.horizon == 1080000
    assert any("common.data" in a for a in i.assumptions)


def test_lazy_config_missing_import_is_a_clear_error(zoo: Path, tmp_path: Path):
    src = FIX / "lazy" / "ape" / "ape_deta_cp_1080k.py"
    lone = tmp_path / "alone.py"
    lone.write_text(src.read_text())
    with pytest.raises(ConfigError, match=r"optimizer\.lr is missing.*ape_deta_cp_720k"):
        load_config(lone)


def test_lazy_saved_yaml():
    i = load_config(FIX / "lazy_saved_config.yaml")
    assert i.schedule.params == {"boundaries": [300000], "values": [0.0001, 0.00001]}
    assert i.schedule.warmup is None  # warmup_length 0.0
    assert i.horizon == 375000


def test_bad_lazy_values(tmp_path: Path):
    p = tmp_path / "bad.py"
    p.write_text(
        "from detectron2.config import LazyCall as L\n"
        "from fvcore.common.param_scheduler import CosineParamScheduler\n"
        "from detectron2.solver import WarmupParamScheduler\n"
        "optimizer = dict(lr=0.1)\ntrain = dict(max_iter=1000)\n"
        "lr_multiplier = L(WarmupParamScheduler)(scheduler=L(CosineParamScheduler)("
        "start_value=1.0, end_value=0.01), warmup_length='???', warmup_factor=0.001)\n"
    )
    with pytest.raises(
        ConfigError, match=r"bad.py: lr_multiplier.warmup_length: expected a number"
    ):
        load_config(p)
    text = p.read_text().replace("'???'", "0.1").replace("CosineParamScheduler)(", "Foo)(")
    p.write_text("from mylib import Foo\n" + text)
    with pytest.raises(ConfigError, match=r"unknown scheduler 'mylib.Foo'"):
        load_config(p)


def test_unknown_scheduler_name(tmp_path: Path):
    p = tmp_path / "c.yaml"
    p.write_text("SOLVER:\n  LR_SCHEDULER_NAME: WarmupFooLR\n")
    with pytest.raises(
        ConfigError, match=r"c.yaml: SOLVER.LR_SCHEDULER_NAME: unknown.*WarmupFooLR"
    ):
        load_config(p)
    p.write_text("SOLVER:\n  WARMUP_METHOD: cubic\n")
    with pytest.raises(ConfigError, match=r"WARMUP_METHOD: unknown warmup method 'cubic'"):
        load_config(p)


def test_detection(zoo: Path):
    assert detect_format(FIX / "balloon_tutorial_config.yaml") == "detectron2"
    assert detect_format(zoo / "COCO-Detection" / "faster_rcnn_R_50_FPN_3x.yaml") == "detectron2"
    assert detect_format(zoo / "common" / "coco_schedule.py") == "detectron2"
    assert detect_format(FIX / "lazy_saved_config.yaml") == "detectron2"


REFERENCE = json.loads((FIX / "reference_lr.json").read_text())


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_matches_fvcore_reference_curves(name: str):
    """Curves computed with fvcore's schedulers (fixtures/configs/detectron2/generate_reference.py)."""
    i = load_config(FIX / name)
    needs_family(i.schedule.family)
    ref = REFERENCE[name]
    np.testing.assert_allclose(i.evaluate(ref["iters"]), ref["lr"], rtol=1e-9, atol=1e-15)


def test_schedule_library_file_names_its_candidates(zoo: Path):
    with pytest.raises(ConfigError, match=r"defines lr_multiplier_1x, lr_multiplier_2x"):
        load_config(zoo / "common" / "coco_schedule.py")


def test_lazy_num_updates_zero_is_a_clear_error(tmp_path: Path):
    """fvcore places milestones as fractions of num_updates: 0 updates cannot place them (the
    fuzzer's case, which divided by zero)."""
    text = (FIX / "lazy_saved_config.yaml").read_text()
    bad = tmp_path / "config.yaml"
    bad.write_text(text.replace("milestones: [300000, 375000]", "milestones: [300000, 0]"))
    with pytest.raises(ConfigError, match=r"num_updates must be a positive count"):
        load_config(bad)
