"""The framework-free part of lraudit.callbacks: config resolution, the monitor, lazy imports."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from lraudit.callbacks import LRAuditMonitor, LRScheduleError, resolve_config
from lraudit.callbacks.hf import intended_from_training_args
from lraudit.errors import ConfigError
from lraudit.types import IntendedSchedule, Schedule, Severity

EXP = Schedule("exponential", {"init_lr": 0.1, "decay_rate": 0.5, "decay_steps": 100})
NATIVE = """\
schedule:
  family: exponential
  params: {init_lr: 0.1, decay_rate: 0.5, decay_steps: 100}
"""
FRAMEWORKS = ("torch", "transformers", "lightning", "pytorch_lightning", "keras", "tensorflow")


def test_importing_lraudit_and_its_callbacks_imports_no_framework() -> None:
    code = (
        "import sys, lraudit, lraudit.callbacks, lraudit.callbacks.hf, lraudit.callbacks.keras,"
        " lraudit.callbacks.lightning, lraudit.live\n"
        f"print(sorted(m for m in {FRAMEWORKS!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("name", "module", "extra"),
    [
        ("HFAuditCallback", "transformers", "hf"),
        ("KerasAuditCallback", "keras", "keras"),
        ("LightningAuditCallback", "pytorch_lightning", "lightning"),
    ],
)
def test_a_missing_framework_says_which_extra_to_install(
    name: str, module: str, extra: str
) -> None:
    # None in sys.modules makes an import fail as if the package were absent
    code = (
        "import sys\n"
        f"for m in {FRAMEWORKS!r} + ('lightning.pytorch',): sys.modules[m] = None\n"
        "import lraudit.callbacks as c\n"
        f"try:\n    getattr(c, {name!r})\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert f"needs {module}" in out.stdout
    assert f'pip install "lraudit-tb[{extra}]"' in out.stdout


def test_resolve_config_takes_a_path_an_intended_schedule_or_a_schedule(tmp_path: Path) -> None:
    p = tmp_path / "schedule.yaml"
    p.write_text(NATIVE, encoding="utf-8")
    from_path = resolve_config(p)
    assert from_path is not None and from_path.schedule.family == "exponential"
    assert resolve_config(str(p)) is not None
    it = IntendedSchedule(EXP, "x", "lraudit")
    assert resolve_config(it) is it
    wrapped = resolve_config(EXP)
    assert wrapped is not None and wrapped.schedule == EXP
    assert resolve_config(None) is None


def test_resolve_config_rejects_what_it_cannot_use(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        resolve_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="expected a config file path"):
        resolve_config({"lr": 0.1})  # type: ignore[arg-type]


def test_training_args_give_the_hf_schedule() -> None:
    it = intended_from_training_args({"learning_rate": 2e-5}, max_steps=1000)
    # the TrainingArguments default: linear decay to 0 over max_steps, no warmup
    assert it.schedule.family == "polynomial"
    assert dict(it.schedule.params)["decay_steps"] == 1000
    assert it.schedule.warmup is None
    assert any("linear" in a for a in it.assumptions)
    with pytest.raises(ConfigError, match="lr_scheduler_type"):
        intended_from_training_args({"lr_scheduler_type": "bogus"}, max_steps=10)


def test_fail_fast_stops_once_and_skips_the_end_of_run_audit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mon = LRAuditMonitor(EXP, fail_fast=True)
    stops = []
    with caplog.at_level(logging.WARNING, logger="lraudit.callbacks"):
        for s in range(50):
            stop = mon.observe(s, 0.1)
            if stop is not None:
                stops.append(stop)
        assert mon.finish() == []  # a run cut short would only add findings about its length
    assert len(stops) == 1 and isinstance(stops[0], LRScheduleError)
    assert mon.failure is stops[0]
    assert "stopped training at update" in str(stops[0]) and "fail_fast=True" in str(stops[0])
    assert [r.levelname for r in caplog.records] == ["WARNING", "ERROR"]


def test_warnings_are_logged_but_do_not_stop() -> None:
    mon = LRAuditMonitor(None, fail_fast=True)  # no config: a flat LR is a warning at the end
    assert all(mon.observe(s, 0.1) is None for s in range(30))
    final = mon.finish()
    assert [(f.name, f.severity) for f in final] == [("constant_lr", Severity.WARNING)]
    assert mon.failure is None


def test_a_repeated_step_is_one_point() -> None:
    mon = LRAuditMonitor(EXP)
    for s in (0, 0, 1, 1, 1, 2):  # gradient accumulation: one update seen several times
        mon.observe(s, float(EXP.evaluate([s])[0]))
    assert mon.live.n_points == 3
