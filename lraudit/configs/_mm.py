"""Helpers shared by the MMEngine and the mmcv 1.x config readers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lraudit.configs._common import Unresolved, fmt, intify
from lraudit.configs.base import Units
from lraudit.errors import ConfigError
from lraudit.types import Schedule

__all__ = ["iterations_per_epoch", "need", "tidy"]


def need(value: Any, key: str, path: Path) -> Any:
    if value is None:
        raise ConfigError(f"{path}: {key} is not set (check that its _base_ files are present)")
    if isinstance(value, Unresolved):
        raise ConfigError(f"{path}: {key} = {value.source!r} cannot be read without running it")
    return value


def iterations_per_epoch(units: Units, assumptions: list[str], needed: bool) -> int | None:
    if units.steps_per_epoch:
        assumptions.append(
            f"{fmt(units.steps_per_epoch)} iterations per epoch (given) convert epochs to iterations."
        )
        return int(units.steps_per_epoch)
    if needed:
        assumptions.append(
            "Iterations per epoch (len(train_dataloader)) are not in the config: the schedule is "
            "kept in epochs; pass --steps-per-epoch to compare it with per-iteration logs."
        )
    return None


def tidy(s: Schedule) -> Schedule:
    """Whole-number step counts as ints (``8000.0`` -> ``8000``) for readable output."""
    steps = ("boundaries", "decay_steps", "start_step", "total_steps")
    params = {k: intify(v) if k in steps else v for k, v in s.params.items()}
    return Schedule(s.family, params, s.warmup, s.min_lr)
