"""detectron2 LazyConfig (``lr_multiplier`` = an fvcore ParamScheduler, optionally inside
``WarmupParamScheduler``) read into an :class:`~lraudit.types.IntendedSchedule`; called by
:mod:`lraudit.configs.detectron2` (see its docstring for the mapping).

Every fvcore scheduler is a multiplier ``M(where)`` of ``optimizer.lr`` over
``where = it / train.max_iter``, so each maps to a family spanning ``max_iter`` iterations.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lraudit.configs._common import Unresolved, as_float, as_int, fmt, lookup, type_name, whole
from lraudit.configs._d2 import first_iter, multistep, rescaled, result, with_warmup
from lraudit.configs.base import Units
from lraudit.errors import ConfigError
from lraudit.types import IntendedSchedule, Schedule

__all__ = ["parse_lazy"]


def _need(value: Any, key: str, path: Path, notes: list[str]) -> Any:
    if value is None or isinstance(value, Unresolved):
        why = f" ({value.source!r} is not evaluated)" if isinstance(value, Unresolved) else ""
        hint = " " + " ".join(n for n in notes if "not found" in n) if notes else ""
        raise ConfigError(
            f"{path}: {key} is missing{why}; pass the run's saved config.yaml or a config "
            f"with its imports next to it.{hint}".rstrip()
        )
    return value


def parse_lazy(
    path: Path, values: dict[str, Any], units: Units, assumptions: list[str]
) -> IntendedSchedule:
    notes = list(assumptions)
    if "lr_multiplier" not in values:
        others = sorted(k for k in values if k.startswith("lr_multiplier"))
        if others:
            raise ConfigError(
                f"{path}: lr_multiplier is not set; this file defines {', '.join(others)} - pass "
                "the training config that imports one of them as lr_multiplier"
            )
    mult = _need(values.get("lr_multiplier"), "lr_multiplier", path, notes)
    base = as_float(
        _need(lookup(values, "optimizer.lr"), "optimizer.lr", path, notes), f"{path}: optimizer.lr"
    )
    max_iter = as_int(
        _need(lookup(values, "train.max_iter"), "train.max_iter", path, notes),
        f"{path}: train.max_iter",
    )
    settings: dict[str, Any] = {"optimizer.lr": base, "train.max_iter": max_iter}
    batch = lookup(values, "dataloader.train.total_batch_size")
    if isinstance(batch, int):
        settings["total_batch_size"] = batch
    if not isinstance(mult, dict):
        raise ConfigError(f"{path}: lr_multiplier must be a LazyCall of a ParamScheduler")
    if type_name(mult.get("_target_")) == "LRMultiplier":
        mult = _need(mult.get("multiplier"), "lr_multiplier.multiplier", path, notes)
    warm = None
    if type_name(mult.get("_target_")) == "WarmupParamScheduler":
        warm = mult
        mult = _need(mult.get("scheduler"), "lr_multiplier.scheduler", path, notes)
    main = _fvcore(_Node(path, mult, base, max_iter, assumptions, settings))
    if warm is None:
        return result(path, main, max_iter, units.world_size, assumptions, settings)
    schedule = _warmup_param_scheduler(path, warm, main, max_iter, assumptions, settings)
    return result(path, schedule, max_iter, units.world_size, assumptions, settings)


def _warmup_param_scheduler(
    path: Path,
    warm: dict[str, Any],
    main: Schedule,
    max_iter: int,
    assumptions: list[str],
    settings: dict[str, Any],
) -> Schedule:
    """``main`` behind a ``WarmupParamScheduler`` whose ``warmup_length`` is a fraction of the run."""
    length = as_float(warm.get("warmup_length"), f"{path}: lr_multiplier.warmup_length")
    factor = as_float(warm.get("warmup_factor", 0.001), f"{path}: lr_multiplier.warmup_factor")
    method = warm.get("warmup_method", "linear")
    if "warmup_method" not in warm:
        assumptions.append("lr_multiplier.warmup_method is not set; the default 'linear' applies.")
    if "warmup_factor" not in warm:
        assumptions.append("lr_multiplier.warmup_factor is not set; the default 0.001 applies.")
    steps = whole(min(length, 1.0) * max_iter)
    settings.update(warmup_length=length, warmup_factor=factor, warmup_iters=steps)
    assumptions.append(
        f"warmup_length {length:.6g} is a fraction of train.max_iter {fmt(max_iter)}: the "
        f"warmup lasts {fmt(steps)} iterations."
    )
    if warm.get("rescale_interval"):
        main = rescaled(main, steps, max_iter)
    return with_warmup(path, main, steps, factor, method, "lr_multiplier.")


@dataclass(frozen=True)
class _Node:
    """One fvcore ParamScheduler node (a multiplier of ``base`` over ``where = it / max_iter``)."""

    path: Path
    node: dict[str, Any]
    base: float
    max_iter: int
    assumptions: list[str]
    settings: dict[str, Any]
    key: str = "lr_multiplier.scheduler"

    def num(self, name: str, default: Any = None) -> float:
        v = self.node.get(name, default)
        return as_float(v, f"{self.path}: {self.key}.{name}")


def _multi_step(n: _Node) -> Schedule:
    """Milestones are counts of ``num_updates`` (default: equal widths), placed on max_iter."""
    path, key, node, max_iter = n.path, n.key, n.node, n.max_iter
    vals = [as_float(v, f"{path}: {key}.values") for v in node.get("values") or []]
    ms = node.get("milestones")
    n_up = node.get("num_updates")
    if not vals:
        raise ConfigError(f"{path}: {key}.values is missing")
    if ms is None:
        n_up = as_int(n_up, f"{path}: {key}.num_updates")
        width = math.ceil(n_up / len(vals))
        ms = [width * (i + 1) for i in range(len(vals) - 1)]
    ms = [as_int(m, f"{path}: {key}.milestones") for m in ms]
    if n_up is None:
        n_up, ms = ms[-1], ms[:-1]
    n_up = as_int(n_up, f"{path}: {key}.num_updates")
    if n_up <= 0:
        raise ConfigError(
            f"{path}: {key}.num_updates must be a positive count of updates, got {n_up}"
        )
    if len(ms) != len(vals) - 1:
        raise ConfigError(
            f"{path}: {key}: {len(vals)} values need {len(vals) - 1} milestones, got {ms}"
        )
    if n_up != max_iter:
        n.assumptions.append(
            f"Milestones {ms} are fractions of num_updates {fmt(n_up)} (fvcore schedulers are "
            f"scale-invariant); with train.max_iter {fmt(max_iter)} they fall at iterations "
            f"{[first_iter(m, n_up, max_iter) for m in ms]}."
        )
    n.settings.update(milestones=ms, num_updates=n_up, values=vals)
    return multistep(ms, n_up, max_iter, n.base, vals)


def _cosine(n: _Node) -> Schedule:
    start, end = n.num("start_value"), n.num("end_value")
    return Schedule(
        "cosine",
        {
            "peak_lr": n.base * start,
            "end_lr": n.base * end,
            "decay_steps": n.max_iter,
            "start_step": 0,
        },
    )


def _linear(n: _Node) -> Schedule:
    start, end = n.num("start_value"), n.num("end_value")
    return Schedule(
        "polynomial",
        {
            "init_lr": n.base * start,
            "end_lr": n.base * end,
            "decay_steps": n.max_iter,
            "power": 1.0,
            "start_step": 0,
        },
    )


def _polynomial_decay(n: _Node) -> Schedule:
    return Schedule(
        "polynomial",
        {
            "init_lr": n.base * n.num("base_value"),
            "end_lr": 0.0,
            "decay_steps": n.max_iter,
            "power": n.num("power"),
            "start_step": 0,
        },
    )


def _exponential(n: _Node) -> Schedule:
    return Schedule(
        "exponential",
        {
            "init_lr": n.base * n.num("start_value"),
            "decay_rate": n.num("decay"),
            "decay_steps": n.max_iter,
            "staircase": False,
            "start_step": 0,
        },
    )


def _constant(n: _Node) -> Schedule:
    return Schedule("constant", {"lr": n.base * n.num("value")})


def _step_with_fixed_gamma(n: _Node) -> Schedule:
    """``num_decays`` equal segments, each ``gamma`` times the one before."""
    k_max, gamma = int(n.num("num_decays")), n.num("gamma")
    vals = [n.num("base_value") * gamma**k for k in range(k_max + 1)]
    bounds = [first_iter(k, k_max + 1, n.max_iter) for k in range(1, k_max + 1)]
    return Schedule("piecewise", {"boundaries": bounds, "values": [n.base * v for v in vals]})


#: The lraudit schedule of each fvcore ParamScheduler class.
_BUILDERS: dict[str, Callable[[_Node], Schedule]] = {
    "MultiStepParamScheduler": _multi_step,
    "CosineParamScheduler": _cosine,
    "LinearParamScheduler": _linear,
    "PolynomialDecayParamScheduler": _polynomial_decay,
    "ExponentialParamScheduler": _exponential,
    "ConstantParamScheduler": _constant,
    "StepWithFixedGammaParamScheduler": _step_with_fixed_gamma,
}


def _fvcore(n: _Node) -> Schedule:
    """One fvcore ParamScheduler (a multiplier of ``base`` over ``where = it / max_iter``)."""
    build = _BUILDERS.get(type_name(n.node.get("_target_")) or "")
    if build is None:
        raise ConfigError(
            f"{n.path}: {n.key}: unknown scheduler {n.node.get('_target_')!r}; lraudit reads "
            "MultiStep/Cosine/Linear/PolynomialDecay/Exponential/Constant/StepWithFixedGamma "
            "ParamScheduler (optionally inside WarmupParamScheduler)"
        )
    return build(n)
