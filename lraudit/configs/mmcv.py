"""mmcv 1.x ``lr_config`` (policies step, CosineAnnealing, poly, exp, fixed, with warmup) read
into an :class:`~lraudit.types.IntendedSchedule`; called by :mod:`lraudit.configs.mmengine`
for configs without ``param_scheduler``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lraudit.configs._common import as_float, fmt, intify, lookup, plain
from lraudit.configs._intent import configured_lengths
from lraudit.configs._mm import iterations_per_epoch, need, tidy
from lraudit.configs.base import Units
from lraudit.errors import ConfigError
from lraudit.types import IntendedSchedule, Schedule, Warmup

__all__ = ["parse_mmcv"]

_POLICIES = ("step", "CosineAnnealing", "poly", "exp", "fixed")


@dataclass(frozen=True)
class _Policy:
    """One ``lr_config``: its numbers, read in the file's words, and the axis it runs on.

    ``c`` converts the policy's own unit to the schedule axis (iterations per epoch when a
    by-epoch policy is placed on the iteration axis, else 1); ``max_progress`` is the run's length
    in the policy's unit (None when the config does not say).
    """

    path: Path
    cfg: dict[str, Any]
    policy: Any
    base: float
    c: float
    max_progress: float | None

    @property
    def key(self) -> str:
        return f"lr_config (policy {self.policy!r})"

    def num(self, name: str, default: Any = None) -> float:
        v = self.cfg.get(name, default)
        if v is None:
            raise ConfigError(
                f"{self.path}: lr_config.{name} is required for policy {self.policy!r}"
            )
        return as_float(v, f"{self.path}: lr_config.{name}")

    def total(self) -> float:
        """The run's length on the schedule axis (for policies that anneal over the run)."""
        if self.max_progress is None:
            raise ConfigError(f"{self.path}: {self.key} needs runner.max_epochs or max_iters")
        return float(self.max_progress) * self.c


def _step(p: _Policy) -> Schedule:
    """``step``: a list of epochs is piecewise, one number is a staircase exponential."""
    path, cfg, base, c = p.path, p.cfg, p.base, p.c
    step = need(cfg.get("step"), "lr_config.step", path)
    gamma = p.num("gamma", 0.1)
    min_lr = p.num("min_lr") if cfg.get("min_lr") is not None else None
    if isinstance(step, (list, tuple)):
        bounds = [int(round(as_float(x, f"{path}: lr_config.step") * c)) for x in step]
        return Schedule(
            "piecewise",
            {"boundaries": bounds, "values": [base * gamma**k for k in range(len(bounds) + 1)]},
            min_lr=min_lr,
        )
    return Schedule(
        "exponential",
        {
            "init_lr": base,
            "decay_rate": gamma,
            "decay_steps": as_float(step, f"{path}: lr_config.step") * c,
            "staircase": True,
            "start_step": 0,
        },
        min_lr=min_lr,
    )


def _cosine(p: _Policy) -> Schedule:
    """``CosineAnnealing`` over the whole run to ``min_lr`` (or ``min_lr_ratio`` x lr)."""
    total = p.total()
    if p.cfg.get("min_lr_ratio") is not None:
        end_lr = p.base * p.num("min_lr_ratio")
    else:
        end_lr = p.num("min_lr")
    return Schedule(
        "cosine", {"peak_lr": p.base, "end_lr": end_lr, "decay_steps": total, "start_step": 0}
    )


def _poly(p: _Policy) -> Schedule:
    total = p.total()
    return Schedule(
        "polynomial",
        {
            "init_lr": p.base,
            "end_lr": p.num("min_lr", 0.0),
            "decay_steps": total,
            "power": p.num("power", 1.0),
            "start_step": 0,
        },
    )


def _exp(p: _Policy) -> Schedule:
    """``exp``: lr x gamma^progress, updated once per policy unit (a staircase when c > 1)."""
    return Schedule(
        "exponential",
        {
            "init_lr": p.base,
            "decay_rate": p.num("gamma"),
            "decay_steps": p.c,
            "staircase": p.c > 1,
            "start_step": 0,
        },
    )


def _fixed(p: _Policy) -> Schedule:
    return Schedule("constant", {"lr": p.base})


#: The schedule of each policy, by its lowercase name (mmcv matches policies case-insensitively).
_BUILDERS: dict[str, Callable[[_Policy], Schedule]] = {
    "step": _step,
    "cosineannealing": _cosine,
    "poly": _poly,
    "exp": _exp,
    "fixed": _fixed,
}
_WARMUP_SHAPES = {"linear": "linear", "constant": "constant", "exp": "exponential"}


def _with_warmup(
    main: Schedule,
    p: _Policy,
    epoch_axis: bool,
    spe: int | None,
    settings: dict[str, Any],
    assumptions: list[str],
) -> Schedule:
    """``main`` behind the ``lr_config.warmup`` ramp from ``warmup_ratio`` x lr, when set.

    ``warmup_iters`` counts iterations, or epochs with ``warmup_by_epoch``; an iteration warmup
    cannot be placed on an epoch axis and is left out (said in the assumptions).
    """
    cfg = p.cfg
    warm = cfg.get("warmup")
    if warm is None:
        return main
    w_iters = p.num("warmup_iters")
    ratio = p.num("warmup_ratio", 0.1)
    if "warmup_ratio" not in cfg:
        assumptions.append("lr_config.warmup_ratio is not set; the mmcv default 0.1 applies.")
    if cfg.get("warmup_by_epoch"):
        w = w_iters if epoch_axis else w_iters * float(spe or 1)
    elif epoch_axis:
        w = 0.0
        assumptions.append(
            f"The {fmt(w_iters)}-iteration {warm} warmup cannot be placed on the epoch axis "
            "without --steps-per-epoch; it is left out of the intended schedule."
        )
    else:
        w = w_iters
    if warm not in _WARMUP_SHAPES:
        raise ConfigError(
            f"{p.path}: lr_config.warmup: unknown warmup {warm!r}; mmcv has linear, constant, exp"
        )
    settings["warmup_iters"] = w_iters
    if not w > 0:
        return main
    return Schedule(
        main.family,
        main.params,
        warmup=Warmup(steps=intify(w), start_lr=ratio * p.base, shape=_WARMUP_SHAPES[warm]),
        min_lr=main.min_lr,
    )


def _horizon(max_iters: Any, max_epochs: Any, epoch_axis: bool, spe: int | None) -> int | None:
    """The run's length on the schedule axis: max_iters, else max_epochs (x spe on iterations)."""
    if max_iters is not None and not epoch_axis:
        return int(max_iters)
    if max_epochs is not None:
        return int(max_epochs) if epoch_axis else (int(max_epochs) * spe if spe else None)
    return None


def parse_mmcv(
    path: Path, values: dict[str, Any], units: Units, assumptions: list[str]
) -> IntendedSchedule:
    base = as_float(
        need(lookup(values, "optimizer.lr"), "optimizer.lr", path), f"{path}: optimizer.lr"
    )
    cfg = need(values.get("lr_config"), "lr_config", path)
    if not isinstance(cfg, dict):
        raise ConfigError(f"{path}: lr_config must be a dict, got {cfg!r}")
    policy = need(cfg.get("policy"), "lr_config.policy", path)
    by_epoch = bool(cfg.get("by_epoch", True))
    got = values.get("runner")
    runner: dict[str, Any] = got if isinstance(got, dict) else {}
    max_epochs = runner.get("max_epochs", values.get("total_epochs"))
    max_iters = runner.get("max_iters")
    settings: dict[str, Any] = {
        "lr": base,
        "lr_config": plain(cfg),
        "max_epochs": max_epochs,
        "max_iters": max_iters,
    }
    if not by_epoch and max_iters is None and max_epochs is not None:
        needs_spe = True
    else:
        needs_spe = by_epoch or bool(cfg.get("warmup_by_epoch"))
    spe = iterations_per_epoch(units, assumptions, needs_spe)
    epoch_axis = needs_spe and spe is None
    c = 1.0 if epoch_axis or not by_epoch else float(spe or 1)
    if by_epoch:
        max_progress = max_epochs
    else:
        max_progress = (
            max_iters
            if max_iters is not None
            else (int(max_epochs) * spe if (max_epochs is not None and spe) else None)
        )
    p = _Policy(path, cfg, policy, base, c, max_progress)
    lname = str(policy).lower()
    build = _BUILDERS.get(lname)
    if build is None:
        raise ConfigError(
            f"{path}: {p.key}: policy {policy!r} is not supported; lraudit reads "
            f"{', '.join(_POLICIES)}"
        )
    if not by_epoch and epoch_axis:
        raise ConfigError(
            f"{path}: {p.key} has by_epoch=False in an epoch-based runner; pass --steps-per-epoch"
        )
    main = build(p)
    if by_epoch and not epoch_axis and lname not in ("fixed", "step"):
        assumptions.append(
            "lr_config.by_epoch is True: mmcv updates the LR once per epoch; lraudit models it on "
            "the iteration axis."
        )
    schedule = _with_warmup(tidy(main), p, epoch_axis, spe, settings, assumptions)
    assumptions.append(
        "mmcv logs the LR of iteration i at step i+1 (tag 'learning_rate' in TensorBoard, 'lr' in "
        "text/JSON logs); the schedule counts 0-based iterations (compare with a 1-step offset)."
    )
    return IntendedSchedule(
        schedule=schedule,
        source=str(path),
        format="mmengine",
        unit="epoch" if epoch_axis else "iteration",
        log_unit="iteration",
        steps_per_epoch=spe,
        horizon=_horizon(max_iters, max_epochs, epoch_axis, spe),
        world_size=units.world_size,
        expected_tags=("learning_rate", "lr"),
        assumptions=tuple(assumptions),
        settings={**settings, "log_step_offset": 1},
        configured_lengths=configured_lengths(settings),
    )
