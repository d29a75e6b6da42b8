"""mmcv 1.x ``lr_config`` (policies step, CosineAnnealing, poly, exp, fixed, with warmup) read
into an :class:`~lraudit.types.IntendedSchedule`; called by :mod:`lraudit.configs.mmengine`
for configs without ``param_scheduler``."""

from __future__ import annotations

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
    key = f"lr_config (policy {policy!r})"
    lname = str(policy).lower()

    def num(name: str, default: Any = None) -> float:
        v = cfg.get(name, default)
        if v is None:
            raise ConfigError(f"{path}: lr_config.{name} is required for policy {policy!r}")
        return as_float(v, f"{path}: lr_config.{name}")

    if by_epoch:
        max_progress = max_epochs
    else:
        max_progress = (
            max_iters
            if max_iters is not None
            else (int(max_epochs) * spe if (max_epochs is not None and spe) else None)
        )
    if lname not in {p.lower() for p in _POLICIES}:
        raise ConfigError(
            f"{path}: {key}: policy {policy!r} is not supported; lraudit reads "
            f"{', '.join(_POLICIES)}"
        )
    if not by_epoch and epoch_axis:
        raise ConfigError(
            f"{path}: {key} has by_epoch=False in an epoch-based runner; pass --steps-per-epoch"
        )
    min_lr = None
    if lname == "step":
        step = need(cfg.get("step"), "lr_config.step", path)
        gamma = num("gamma", 0.1)
        if cfg.get("min_lr") is not None:
            min_lr = num("min_lr")
        if isinstance(step, (list, tuple)):
            bounds = [int(round(as_float(x, f"{path}: lr_config.step") * c)) for x in step]
            main = Schedule(
                "piecewise",
                {"boundaries": bounds, "values": [base * gamma**k for k in range(len(bounds) + 1)]},
                min_lr=min_lr,
            )
        else:
            main = Schedule(
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
    elif lname in ("cosineannealing", "poly"):
        if max_progress is None:
            raise ConfigError(f"{path}: {key} needs runner.max_epochs or max_iters")
        total = float(max_progress) * c
        if lname == "poly":
            main = Schedule(
                "polynomial",
                {
                    "init_lr": base,
                    "end_lr": num("min_lr", 0.0),
                    "decay_steps": total,
                    "power": num("power", 1.0),
                    "start_step": 0,
                },
            )
        else:
            if cfg.get("min_lr_ratio") is not None:
                end_lr = base * num("min_lr_ratio")
            else:
                end_lr = num("min_lr")
            main = Schedule(
                "cosine", {"peak_lr": base, "end_lr": end_lr, "decay_steps": total, "start_step": 0}
            )
    elif lname == "exp":
        main = Schedule(
            "exponential",
            {
                "init_lr": base,
                "decay_rate": num("gamma"),
                "decay_steps": c,
                "staircase": c > 1,
                "start_step": 0,
            },
        )
    elif lname == "fixed":
        main = Schedule("constant", {"lr": base})
    else:
        raise ConfigError(
            f"{path}: {key}: policy {policy!r} is not supported; lraudit reads "
            f"{', '.join(_POLICIES)}"
        )
    if by_epoch and not epoch_axis and lname not in ("fixed", "step"):
        assumptions.append(
            "lr_config.by_epoch is True: mmcv updates the LR once per epoch; lraudit models it on "
            "the iteration axis."
        )
    main = tidy(main)
    schedule = main
    warm = cfg.get("warmup")
    if warm is not None:
        w_iters = num("warmup_iters")
        ratio = num("warmup_ratio", 0.1)
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
        shapes = {"linear": "linear", "constant": "constant", "exp": "exponential"}
        if warm not in shapes:
            raise ConfigError(
                f"{path}: lr_config.warmup: unknown warmup {warm!r}; mmcv has linear, constant, exp"
            )
        settings["warmup_iters"] = w_iters
        if w > 0:
            schedule = Schedule(
                main.family,
                main.params,
                warmup=Warmup(steps=intify(w), start_lr=ratio * base, shape=shapes[warm]),
                min_lr=main.min_lr,
            )
    if max_iters is not None and not epoch_axis:
        horizon: int | None = int(max_iters)
    elif max_epochs is not None:
        horizon = int(max_epochs) if epoch_axis else (int(max_epochs) * spe if spe else None)
    else:
        horizon = None
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
        horizon=horizon,
        world_size=units.world_size,
        expected_tags=("learning_rate", "lr"),
        assumptions=tuple(assumptions),
        settings={**settings, "log_step_offset": 1},
        configured_lengths=configured_lengths(settings),
    )
