"""The public vocabularies (contract, see the README): schedule families and findings.

Names and codes here are stable: CI scripts match on them. Add, never rename or renumber.
"""

from __future__ import annotations

from lraudit.schedules.registry import FAMILIES
from lraudit.types import Severity

#: Family names of the schedule vocabulary, with their parameters in contract order. Read from
#: the registry (each family module declares its parameters); ``tests/test_schedules_vocab.py``
#: holds the contract every release keeps (names and parameters are added, never renamed).
FAMILY_PARAMS: dict[str, tuple[str, ...]] = {f.name: f.param_names for f in FAMILIES}

#: Finding name -> (stable code, default severity).
FINDINGS: dict[str, tuple[str, Severity]] = {
    "no_lr_tag": ("LRA001", Severity.ERROR),
    "too_few_points": ("LRA002", Severity.WARNING),
    "constant_lr": ("LRA003", Severity.ERROR),
    "schedule_reset": ("LRA004", Severity.ERROR),
    "lr_scale_mismatch": ("LRA005", Severity.ERROR),
    "warmup_missing": ("LRA006", Severity.ERROR),
    "warmup_mismatch": ("LRA007", Severity.WARNING),
    "warmup_exceeds_run": ("LRA008", Severity.WARNING),
    "step_unit_mismatch": ("LRA009", Severity.ERROR),
    "decay_mismatch": ("LRA010", Severity.ERROR),
    "staircase_mismatch": ("LRA011", Severity.WARNING),
    "horizon_exceeds_run": ("LRA012", Severity.INFO),
    "family_mismatch": ("LRA013", Severity.ERROR),
    "non_finite_lr": ("LRA014", Severity.ERROR),
    "zero_lr": ("LRA015", Severity.ERROR),
    "unexplained_lr": ("LRA016", Severity.WARNING),
    "config_mismatch": ("LRA017", Severity.WARNING),
}

#: Config formats accepted by ``--config-format`` (``auto`` detects from name and content).
CONFIG_FORMATS: tuple[str, ...] = (
    "auto",
    "odapi",
    "detectron2",
    "mmengine",
    "hf",
    "paddledet",
    "yolov5",
    "keras",
    "lightning",
    "timm",
    "lraudit",
)
