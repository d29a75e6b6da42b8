"""Config parser ``lightning``: the ``config.yaml`` LightningCLI saves (jsonargparse).

Reads ``optimizer:`` and ``lr_scheduler:`` (``class_path`` + ``init_args``, or fixed-class
argument mappings, at the top level or inside ``model.init_args``) and ``trainer.max_epochs`` /
``trainer.max_steps``. The scheduler maps to a family as in :mod:`lraudit.configs._torch`.

Units: LightningCLI's generated ``configure_optimizers`` returns the scheduler with Lightning's
default ``interval="epoch"``, so it is stepped **once per epoch**. For OneCycleLR and CyclicLR,
which are sized in iterations, the intended schedule is the per-iteration one the user meant
(unit "iteration"): a log that moves once per epoch is then the classic trap, reported by the
audit as a step-unit mismatch. ``LearningRateMonitor`` logs ``lr-<Optimizer>`` against
the global step, at the start of each epoch for epoch-interval schedulers; with
``steps_per_epoch`` known, the schedule is put onto that iteration axis held for each epoch
(``lr(s) = sched(floor(s / steps_per_epoch))``, exact at every iteration: see
:func:`lraudit.configs._intent.held_per_epoch`), otherwise it stays in epochs and the assumption
is recorded.

When ``optimizer`` and ``lr_scheduler`` are null (common), the LR lives in the model's own
arguments and code: the parser reads ``lr`` / ``learning_rate`` from ``model`` and, heuristically,
``step_size`` + ``gamma`` as a StepLR and ``patience`` as ReduceLROnPlateau, saying so.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from lraudit.configs._intent import (
    Notes,
    fmt_num,
    held_per_epoch,
    intended,
    read_mapping,
    scale_time,
    schedule,
    to_number,
    try_mapping,
)
from lraudit.configs._torch import class_name, torch_schedule
from lraudit.configs.base import ConfigParser, Units
from lraudit.errors import ConfigError
from lraudit.types import IntendedSchedule, MetricDriven, Schedule

_PER_ITERATION = {"OneCycleLR", "CyclicLR"}


def detect(path: Path, text: str) -> int:
    if path.suffix.lower() not in (".yaml", ".yml"):
        return 0
    head = text[:400]
    marker = bool(re.search(r"^#\s*(pytorch_)?lightning(\.pytorch)?==", head, re.M))
    data = try_mapping(path, text)
    if not data or not isinstance(data.get("trainer"), dict):
        return 0
    keys = set(data)
    cli = {"optimizer", "lr_scheduler", "seed_everything", "ckpt_path", "model", "data"}
    if marker or ("trainer" in keys and len(keys & cli) >= 2):
        return 2 if path.name == "config.yaml" or marker else 1
    return 0


def _group(value: Any) -> tuple[str | None, dict[str, Any]] | None:
    """(class name or None for fixed-class args, init args) of an optimizer/scheduler group."""
    if value is None:
        return None
    if isinstance(value, str):
        return class_name(value), {}
    if isinstance(value, dict):
        if "class_path" in value:
            args = dict(value.get("init_args") or {})
            args.update(value.get("dict_kwargs") or {})
            return class_name(value["class_path"]), args
        return None, dict(value)
    return None


def _find_group(data: dict[str, Any], names: tuple[str, ...]) -> tuple[str, Any]:
    for name in names:
        if data.get(name) is not None:
            return name, data[name]
    model = data.get("model")
    if isinstance(model, dict):
        inner = model.get("init_args", model)
        if isinstance(inner, dict):
            for name in names:
                v = inner.get(name)
                if isinstance(v, dict) and "class_path" in v:
                    return f"model.init_args.{name}", v
    return names[0], None


def _find_key(obj: Any, keys: tuple[str, ...], path: str = "model") -> tuple[str, Any] | None:
    """The first (dotted path, value) in ``obj`` (depth-first) whose key is in ``keys``."""
    if isinstance(obj, dict):
        for k in keys:
            if k in obj and obj[k] is not None and not isinstance(obj[k], (dict, list)):
                return f"{path}.{k}", obj[k]
        for k, v in obj.items():
            found = _find_key(v, keys, f"{path}.{k}")
            if found:
                return found
    return None


def _optimizer_lr(
    okey: str, opt: tuple[str | None, dict[str, Any]] | None, notes: Notes
) -> float | None:
    """The optimizer group's ``lr`` (torch's default 0.001 when the group sets none)."""
    if opt is not None and opt[1].get("lr") is not None:
        base = float(to_number(opt[1]["lr"], notes.where(f"{okey}.lr")))
        notes.settings[f"{okey}.lr"] = base
        return base
    if opt is not None:
        notes.assume(f"{okey} sets no lr; the torch default 0.001 (Adam/AdamW/SGD) applies.")
        return 1e-3
    return None


def _scheduler(
    data: dict[str, Any],
    notes: Notes,
    okey: str,
    skey: str,
    sch: tuple[str | None, dict[str, Any]] | None,
    base: float | None,
) -> tuple[Schedule, float | None, bool, bool]:
    """(schedule, its natural length, stepped per iteration?, guessed from the model?).

    A ``class_path`` scheduler is built by :func:`torch_schedule`; without one the schedule is
    read from the model's own arguments (:func:`_from_model`).
    """
    if sch is None or sch[0] is None:
        if sch is not None:
            raise ConfigError(
                f"{notes.where(skey)}: a scheduler without class_path cannot be identified; "
                "use the saved config.yaml that names the class"
            )
        sched, base, heuristic = _from_model(data, notes, base)
        return sched, None, False, heuristic
    sname, sargs = sch
    if base is None:
        found = _find_key(data.get("model"), ("lr", "learning_rate"))
        if found is None and sname not in ("OneCycleLR", "CyclicLR"):
            raise ConfigError(f"{notes.where(okey)} is missing: no optimizer lr to schedule")
        base = float(to_number(found[1], notes.where(found[0]))) if found else 0.0
    notes.settings[skey] = sname
    sched, length = torch_schedule(str(sname), sargs, base, notes, f"{skey}.init_args")
    per_iteration = sname in _PER_ITERATION
    if per_iteration:
        notes.settings["lightning_steps_scheduler_per"] = "epoch"
        notes.assume(
            f"{sname} is sized in iterations, so the intended schedule is per iteration; "
            "LightningCLI steps it once per epoch (interval 'epoch'), which a log that "
            "moves once per epoch reveals."
        )
    return sched, length, per_iteration, False


def _optimizer_name(data: dict[str, Any], notes: Notes, opt_name: str | None) -> str | None:
    """The optimizer class (names the LR tag), from the optimizer group or the model's args."""
    if opt_name is None:
        named = _find_key(data.get("model"), ("optimizer", "optimizer_name", "optim"))
        if named is not None and isinstance(named[1], str) and named[1].isidentifier():
            opt_name = class_name(named[1])
            notes.assume(f"Optimizer class {opt_name} taken from {named[0]} (for the LR tag).")
    notes.settings["optimizer"] = opt_name
    return opt_name


def _run_length(trainer: dict[str, Any], notes: Notes) -> tuple[float | None, float | None]:
    """(max_epochs, max_steps) of the trainer, each None when unset or not positive; 1000
    epochs (Lightning's default) when neither is set."""
    max_steps = trainer.get("max_steps")
    max_epochs = trainer.get("max_epochs")
    horizon_epochs: float | None = None
    horizon_iters: float | None = None
    if max_steps is not None and to_number(max_steps, notes.where("trainer.max_steps")) > 0:
        horizon_iters = to_number(max_steps, notes.where("trainer.max_steps"))
        notes.settings["trainer.max_steps"] = horizon_iters
    if max_epochs is not None and to_number(max_epochs, notes.where("trainer.max_epochs")) > 0:
        horizon_epochs = to_number(max_epochs, notes.where("trainer.max_epochs"))
        notes.settings["trainer.max_epochs"] = horizon_epochs
    elif horizon_iters is None:
        horizon_epochs = 1000
        notes.assume("trainer.max_epochs and max_steps not set; Lightning's default 1000 epochs.")
    for k in ("accumulate_grad_batches", "devices", "num_nodes"):
        if trainer.get(k) is not None:
            notes.settings[f"trainer.{k}"] = trainer[k]
    return horizon_epochs, horizon_iters


def _on_axis(
    sched: Schedule,
    per_iteration: bool,
    length: float | None,
    spe: int | None,
    horizon_epochs: float | None,
    horizon_iters: float | None,
    notes: Notes,
) -> tuple[Schedule, float | None, str]:
    """(schedule, horizon, unit) on the axis LearningRateMonitor logs against: iterations when
    the scheduler is sized in them or ``--steps-per-epoch`` places the epochs, else epochs."""
    if per_iteration:
        horizon = horizon_iters if horizon_iters is not None else length
        if spe and horizon_iters is None:
            assert horizon_epochs is not None  # set whenever max_steps is not
            horizon = horizon_epochs * spe
        return sched, horizon, "iteration"
    if spe:
        held = held_per_epoch(sched, spe, horizon_epochs, notes)
        if held is None:
            notes.assume(
                f"{sched.family} held per epoch over an unknown or very long run: compared as "
                "if it moved every iteration (time-scaled), which differs inside each epoch."
            )
            held = scale_time(sched, spe)
        notes.assume(
            f"{spe} optimizer steps per epoch (given) place epoch e at global step e*{spe}, "
            "where LearningRateMonitor logs the epoch's LR."
        )
        if horizon_iters is not None:
            return held, horizon_iters, "iteration"
        assert horizon_epochs is not None  # set whenever max_steps is not
        return held, horizon_epochs * spe, "iteration"
    notes.assume(
        "LearningRateMonitor logs against the global step; without --steps-per-epoch the "
        "schedule stays in epochs."
    )
    if horizon_iters is not None:
        notes.assume(
            f"trainer.max_steps {fmt_num(horizon_iters)} bounds the run in iterations; "
            "pass --steps-per-epoch to compare it with the epoch schedule."
        )
    return sched, horizon_epochs if horizon_iters is None else None, "epoch"


def parse(path: Path, text: str, units: Units) -> IntendedSchedule:
    data = read_mapping(path, text)
    notes = Notes(path)
    trainer = data.get("trainer") or {}
    if not isinstance(trainer, dict):
        raise ConfigError(f"{notes.where('trainer')}: expected a mapping")

    okey, oval = _find_group(data, ("optimizer",))
    skey, sval = _find_group(data, ("lr_scheduler", "scheduler"))
    opt = _group(oval)
    sch = _group(sval)
    base = _optimizer_lr(okey, opt, notes)
    sched, length, per_iteration, heuristic = _scheduler(data, notes, okey, skey, sch, base)
    opt_name = _optimizer_name(data, notes, (opt[0] if opt else None) or None)
    if not per_iteration:
        notes.assume(
            "LightningCLI steps the scheduler once per epoch (Lightning's default interval "
            "'epoch'); the schedule counts epochs."
        )
    horizon_epochs, horizon_iters = _run_length(trainer, notes)
    spe = units.steps_per_epoch
    tag = f"lr-{opt_name}" if opt_name else "lr-Adam"
    tags = (tag, f"{tag}/pg0", f"{tag}/pg1") if opt_name else ()
    per_epoch = sched if spe and not per_iteration else None
    sched, horizon, unit = _on_axis(
        sched, per_iteration, length, spe, horizon_epochs, horizon_iters, notes
    )
    if heuristic:
        notes.settings["heuristic"] = True
    it = intended(
        sched,
        notes,
        "lightning",
        unit=unit,
        log_unit="iteration",
        steps_per_epoch=spe,
        horizon=horizon,
        world_size=units.world_size,
        num_steps=units.num_steps,
        expected_tags=tags,
    )
    return replace(it, stepped_per_epoch=per_epoch)


def _from_model(data: dict[str, Any], notes: Notes, base: float | None) -> tuple[Any, float, bool]:
    """Heuristic schedule from the model's own arguments when the CLI groups are null."""
    model = data.get("model")
    found = _find_key(model, ("lr", "learning_rate", "base_lr"))
    if base is None:
        if found is None:
            raise ConfigError(
                f"{notes.where('optimizer')}: optimizer and lr_scheduler are null and the "
                "model arguments name no lr/learning_rate; the schedule lives in code. "
                "Describe it in lraudit's own YAML (--config-format lraudit)"
            )
        base = float(to_number(found[1], notes.where(found[0])))
        notes.settings[found[0]] = base
    notes.assume(
        "optimizer and lr_scheduler are null: the schedule is set in the model's code; this "
        "reading of the model's arguments is a heuristic."
    )
    step = _find_key(model, ("step_size", "lr_step_size", "decay_steps"))
    gamma = _find_key(model, ("gamma", "lr_gamma", "decay_rate"))
    patience = _find_key(model, ("patience", "lr_patience"))
    if step and gamma:
        s = to_number(step[1], notes.where(step[0]))
        g = to_number(gamma[1], notes.where(gamma[0]))
        notes.settings[step[0]], notes.settings[gamma[0]] = s, g
        notes.assume(
            f"{step[0]}={fmt_num(s)} and {gamma[0]}={fmt_num(g)} read as a StepLR stepped per "
            "epoch."
        )
        return (
            schedule(
                "exponential",
                {
                    "init_lr": base,
                    "decay_rate": g,
                    "decay_steps": s,
                    "staircase": True,
                    "start_step": 0,
                },
            ),
            base,
            True,
        )
    if patience:
        notes.settings[patience[0]] = patience[1]
        notes.metric_driven = MetricDriven("ReduceLROnPlateau")
        notes.assume(
            f"{patience[0]} suggests ReduceLROnPlateau, which follows a metric and cannot be "
            "checked from the config (intended schedule taken as constant)."
        )
    else:
        notes.assume("No scheduler arguments found in the model: constant LR assumed.")
    return schedule("constant", {"lr": base}), base, True


PARSER = ConfigParser("lightning", detect, parse)
