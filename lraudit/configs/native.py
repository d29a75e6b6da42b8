"""Config parser ``lraudit``: lraudit's own YAML/JSON description of an intended schedule.

The file states the schedule in the contract vocabulary directly, so nothing is inferred::

    schedule:
      family: cosine                 # a family from `lraudit families`
      params: {peak_lr: 0.1, end_lr: 0.0, decay_steps: 10000, start_step: 500}
      warmup: {steps: 500, start_lr: 0.0, shape: linear}   # optional
      min_lr: null                   # optional floor
    units:
      step: iteration                # what the schedule counts: iteration | epoch
      log_step: iteration            # the x-axis the LR is logged against (default: step;
                                     # required when step is epoch and steps_per_epoch is set)
      steps_per_epoch: 100           # optional; converts the schedule to the logged axis
    horizon: 10000                   # optional, planned run length in `step` units
    tags: [learning_rate]            # optional, the LR tags to audit, preferred first

Family params left out take the family's registered default when it has one; unknown params
or families are errors naming the key.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from lraudit.configs._intent import (
    OPTIONAL,
    Notes,
    held_per_epoch,
    intended,
    read_mapping,
    scale_time,
    to_bool,
    to_number,
    try_mapping,
)
from lraudit.configs.base import ConfigParser, Units
from lraudit.errors import ConfigError, ScheduleError
from lraudit.types import IntendedSchedule, Schedule, Warmup
from lraudit.vocab import FAMILY_PARAMS

_UNITS = ("iteration", "epoch")
_SHAPES = ("linear", "constant", "exponential", "linear_factor")
_BOOL_PARAMS = {"staircase", "three_phase"}
_STR_PARAMS = {"mode", "anneal", "decay_shape", "after_end"}
_LIST_PARAMS = {"boundaries", "values"}


def detect(path: Path, text: str) -> int:
    data = try_mapping(path, text)
    if not data or not isinstance(data.get("schedule"), dict):
        return 0
    fam = data["schedule"].get("family")
    if isinstance(fam, str) and isinstance(data["schedule"].get("params", {}), dict):
        return 2
    return 0


def _params(notes: Notes, family: str, raw: Any) -> dict[str, Any]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{notes.where('schedule.params')}: expected a mapping, got {raw!r}")
    allowed = FAMILY_PARAMS[family]
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise ConfigError(
            f"{notes.where('schedule.params')}: family {family!r} has no parameter(s) "
            f"{unknown}; its parameters are {list(allowed)}"
        )
    out: dict[str, Any] = {}
    for name in allowed:
        where = notes.where(f"schedule.params.{name}")
        value = raw.get(name)
        if value is None and name in OPTIONAL.get(family, ()):
            continue  # an extension of the vocabulary: the family default, silently
        if value is None:
            default = _family_default(family, name)
            if default is None:
                raise ConfigError(f"{where} is missing (family {family!r} needs it)")
            notes.assume(f"schedule.params.{name} not set; the family default {default!r} applies.")
            out[name] = default
        elif name in _BOOL_PARAMS:
            out[name] = to_bool(value, where)
        elif name in _STR_PARAMS:
            out[name] = str(value)
        elif name in _LIST_PARAMS:
            if not isinstance(value, (list, tuple)):
                raise ConfigError(f"{where}: expected a list, got {value!r}")
            out[name] = [to_number(v, where) for v in value]
        else:
            out[name] = to_number(value, where)
    if family == "piecewise" and len(out["values"]) != len(out["boundaries"]) + 1:
        raise ConfigError(
            f"{notes.where('schedule.params.values')}: piecewise needs one more value than "
            f"boundaries, got {len(out['values'])} values for {len(out['boundaries'])} boundaries"
        )
    return out


def _family_default(family: str, name: str) -> Any:
    """The registered family's default for ``name`` (None when there is none or no family)."""
    from lraudit.schedules import families

    fam = families().get(family)
    if fam is None:
        return None
    for spec in fam.params:
        if spec.name == name:
            return spec.default
    return None


def _warmup(notes: Notes, raw: Any) -> Warmup | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ConfigError(f"{notes.where('schedule.warmup')}: expected a mapping, got {raw!r}")
    unknown = sorted(set(raw) - {"steps", "start_lr", "shape"})
    if unknown:
        raise ConfigError(
            f"{notes.where('schedule.warmup')}: unknown key(s) {unknown}; "
            "use steps, start_lr, shape"
        )
    steps = notes.number(raw, "steps", prefix="schedule.warmup.")
    if steps < 0:
        raise ConfigError(f"{notes.where('schedule.warmup.steps')}: must be >= 0, got {steps}")
    start = notes.number(raw, "start_lr", 0.0, prefix="schedule.warmup.")
    shape = raw.get("shape") or "linear"
    if shape not in _SHAPES:
        raise ConfigError(
            f"{notes.where('schedule.warmup.shape')}: unknown shape {shape!r}; "
            f"use one of {', '.join(_SHAPES)}"
        )
    if steps == 0:
        return None
    return Warmup(steps=steps, start_lr=float(start), shape=shape)


def _units(notes: Notes, raw: Any, units: Units) -> tuple[str, str, int | None]:
    """``(step, log_step, steps_per_epoch)`` from the ``units`` mapping, validated.

    ``step`` is the unit the schedule's step counts are written in, ``log_step`` the x-axis the
    LR is logged against. ``log_step`` defaults to ``step``, except when the schedule counts
    epochs and iterations per epoch are known (from the file or ``--steps-per-epoch``): then
    the log may be per epoch or per iteration, and taking one silently would hide a scheduler
    stepped in the other (an epoch schedule stepped every iteration logs exactly the epoch
    curve against iterations), so ``log_step`` must be stated.
    """
    u = raw if raw is not None else {}
    if not isinstance(u, dict):
        raise ConfigError(f"{notes.where('units')}: expected a mapping, got {u!r}")
    unknown = sorted(set(u) - {"step", "log_step", "steps_per_epoch"})
    if unknown:
        raise ConfigError(
            f"{notes.where('units')}: unknown key(s) {unknown}; use step, log_step, steps_per_epoch"
        )
    unit = u.get("step", "iteration")
    log_unit: Any = u.get("log_step", unit)
    for key, val in (("units.step", unit), ("units.log_step", log_unit)):
        if val not in _UNITS:
            raise ConfigError(f"{notes.where(key)}: {val!r} is not one of {', '.join(_UNITS)}")
    spe = notes.number(u, "steps_per_epoch", None, prefix="units.", integer=True)
    if spe is not None and spe < 1:
        raise ConfigError(
            f"{notes.where('units.steps_per_epoch')}: must be a whole number >= 1 "
            f"(optimizer steps per epoch), got {spe}"
        )
    if units.steps_per_epoch is not None:
        if spe is not None and spe != units.steps_per_epoch:
            notes.assume(
                f"steps_per_epoch {units.steps_per_epoch} given by the caller replaces "
                f"units.steps_per_epoch {spe} from the file."
            )
        spe = units.steps_per_epoch
    if unit == "epoch" and spe is not None and "log_step" not in u:
        raise ConfigError(
            f"{notes.where('units')}: the schedule counts epochs and {spe} steps per epoch are "
            "given, but units.log_step is not set: add `log_step: iteration` if the LR is "
            "logged per optimizer step or `log_step: epoch` if it is logged once per epoch"
        )
    return unit, log_unit, spe


def _on_log_axis(
    notes: Notes,
    sched: Schedule,
    unit: str,
    log_unit: str,
    spe: int | None,
    horizon: float | None,
) -> tuple[Schedule, float | None, str]:
    """``(schedule, horizon, unit)`` on the logged axis when the units differ and the steps per
    epoch convert them; unchanged otherwise (then the comparison is skipped and says why).

    An epoch schedule logged per iteration is the scheduler stepped once per epoch and held in
    between: ``lr(s) = sched(floor(s / spe))`` (:func:`held_per_epoch`). An iteration schedule
    logged per epoch shows at epoch ``e`` the LR at iteration ``e * spe``."""
    if unit == log_unit:
        return sched, horizon, unit
    if not spe:
        notes.assume(
            f"The schedule counts {unit}s but the LR is logged per {log_unit}; "
            "pass --steps-per-epoch (or set units.steps_per_epoch) to convert between them."
        )
        return sched, horizon, unit
    if unit == "epoch":
        held = held_per_epoch(sched, spe, horizon, notes)
        if held is None:
            notes.assume(
                f"{sched.family} held per epoch over an unknown or very long run: compared as "
                "if it moved every iteration (time-scaled), which differs inside each epoch."
            )
            held = scale_time(sched, spe)
        notes.assume(
            f"The schedule counts epochs, stepped once per epoch; {spe} iterations per epoch "
            f"place epoch e at iteration e*{spe} on the logged axis."
        )
        return held, None if horizon is None else horizon * spe, "iteration"
    notes.assume(
        f"The schedule counts iterations and the LR is logged per epoch: the value logged at "
        f"epoch e is taken as the LR at iteration e*{spe} ({spe} iterations per epoch)."
    )
    return scale_time(sched, 1.0 / spe), None if horizon is None else horizon / spe, "epoch"


def parse(path: Path, text: str, units: Units) -> IntendedSchedule:
    data = read_mapping(path, text)
    notes = Notes(path)
    raw = data.get("schedule")
    if not isinstance(raw, dict):
        raise ConfigError(f"{notes.where('schedule')} is missing or not a mapping")
    unknown = sorted(set(raw) - {"family", "params", "warmup", "min_lr"})
    if unknown:
        raise ConfigError(
            f"{notes.where('schedule')}: unknown key(s) {unknown}; "
            "use family, params, warmup, min_lr"
        )
    family = raw.get("family")
    if family not in FAMILY_PARAMS:
        known = ", ".join(sorted(FAMILY_PARAMS))
        raise ConfigError(
            f"{notes.where('schedule.family')}: unknown family {family!r}; use one of: {known}"
        )
    params = _params(notes, family, raw.get("params"))
    warmup = _warmup(notes, raw.get("warmup"))
    min_lr = notes.number(raw, "min_lr", None, prefix="schedule.")
    sched = Schedule(family, params, warmup, None if min_lr is None else float(min_lr))
    try:
        from lraudit.schedules import families, validate_params

        fam = families().get(family)
        if fam is not None:
            validate_params(fam, params)
    except ScheduleError as exc:
        raise ConfigError(f"{notes.where('schedule')}: {exc}") from None

    horizon = notes.number(data, "horizon", None)
    if units.num_steps is not None:
        notes.assume(f"horizon {units.num_steps} given by the caller replaces the file's.")
        horizon = units.num_steps
    unit, log_unit, spe = _units(notes, data.get("units"), units)
    per_epoch = sched if unit == "epoch" and log_unit == "iteration" and spe else None
    sched, horizon, unit = _on_log_axis(notes, sched, unit, log_unit, spe, horizon)
    tags = data.get("tags") or ()
    if isinstance(tags, str):
        tags = (tags,)
    if not isinstance(tags, (list, tuple)) or not all(isinstance(t, str) for t in tags):
        raise ConfigError(f"{notes.where('tags')}: expected a list of tag names, got {tags!r}")
    it = intended(
        sched,
        notes,
        "lraudit",
        unit=unit,
        log_unit=log_unit,
        steps_per_epoch=spe,
        horizon=horizon,
        world_size=units.world_size,
        expected_tags=tuple(tags),
    )
    return dataclasses.replace(it, stepped_per_epoch=per_epoch)


PARSER = ConfigParser("lraudit", detect, parse)
