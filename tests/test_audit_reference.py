"""No false alarm on curves the frameworks themselves computed, and a real alarm when they differ.

``fixtures/configs/*/reference*.json`` hold the learning rates that keras 3.15, transformers 5.23
and detectron2's solver produce for the configs next to them (see generate_reference.py there).
Each curve, logged as float32, must match its parsed config: nothing at warning or error (the
balloon tutorial's warmup longer than its run is the one true warning). The same curve scaled
by 2 must give ``lr_scale_mismatch`` with k = 2.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import FIXTURES

import lraudit
from lraudit.diagnose import diagnose
from lraudit.types import IntendedSchedule, LRSeries, Severity

CONFIGS = FIXTURES / "configs"


def _cases() -> list[tuple[str, Path | dict[str, Any], list[int], list[float]]]:
    out: list[tuple[str, Path | dict[str, Any], list[int], list[float]]] = []
    k = json.loads((CONFIGS / "keras" / "reference.json").read_text())
    for case, lr in sorted(k["cases"].items()):
        p = CONFIGS / "keras" / f"{case}.json"
        if p.exists():
            out.append((f"keras/{case}", p, k["steps"], lr))
    d = json.loads((CONFIGS / "detectron2" / "reference_lr.json").read_text())
    for cfg, v in sorted(d.items()):
        out.append((f"detectron2/{cfg}", CONFIGS / "detectron2" / cfg, v["iters"], v["lr"]))
    h = json.loads((CONFIGS / "hf" / "reference.json").read_text())
    for case, v in sorted(h["cases"].items()):
        args = {
            "learning_rate": h["learning_rate"],
            "lr_scheduler_type": v["lr_scheduler_type"],
            "warmup_steps": v["warmup_steps"],
            "max_steps": v["max_steps"],
            "lr_scheduler_kwargs": v["lr_scheduler_kwargs"],
        }
        out.append((f"hf/{case}", args, list(range(len(v["lr"]))), v["lr"]))
    return out


CASES = _cases()


def _intended(src: Path | dict[str, Any], tmp_path: Path) -> IntendedSchedule:
    if isinstance(src, dict):
        p = tmp_path / "training_args.json"
        p.write_text(json.dumps(src))
        return lraudit.load_config(p, format="hf")
    it = lraudit.load_config(src)
    # keras logs per epoch; these reference curves are per optimizer iteration
    return dataclasses.replace(it, log_unit=it.unit)


def _series(steps: list[int], lr: Any) -> LRSeries:
    x = np.asarray(steps, dtype=np.int64)
    y = np.asarray(lr, dtype=np.float32).astype(np.float64)  # as TensorBoard stores it
    return LRSeries(".", "lr", x, y, x.astype(np.float64))


@pytest.mark.parametrize(("name", "src", "steps", "lr"), CASES, ids=[c[0] for c in CASES])
def test_framework_curve_matches_its_config(
    name: str, src: Any, steps: list[int], lr: list[float], tmp_path: Path
) -> None:
    s = _series(steps, lr)
    fs = diagnose(s, lraudit.fit(s), _intended(src, tmp_path))
    serious = [(f.name, f.message) for f in fs if f.severity is not Severity.INFO]
    if name == "detectron2/balloon_tutorial_config.yaml":
        assert [n for n, _ in serious] == ["warmup_exceeds_run"]
    else:
        assert serious == []


@pytest.mark.parametrize(("name", "src", "steps", "lr"), CASES, ids=[c[0] for c in CASES])
def test_framework_curve_doubled_is_flagged(
    name: str, src: Any, steps: list[int], lr: list[float], tmp_path: Path
) -> None:
    fs = diagnose(_series(steps, 2 * np.asarray(lr)), None, _intended(src, tmp_path))
    f = next(f for f in fs if f.severity is Severity.ERROR)
    assert f.name == "lr_scale_mismatch" and f.observed == pytest.approx(2, rel=1e-3)
