"""Helpers shared by the hf, yolov5, keras, lightning, timm and lraudit config parsers.

:class:`Notes` collects what a parser assumed (every default applied, every unit conversion) and
the raw values worth quoting; :func:`schedule` builds a :class:`~lraudit.types.Schedule` and
checks its parameter names against the contract vocabulary (:data:`lraudit.vocab.FAMILY_PARAMS`),
so a parser can never emit a family or parameter that the rest of lraudit does not know.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lraudit.configs._common import fmt, is_number
from lraudit.configs.loaders import read_mapping, try_mapping  # noqa: F401 - for the parsers
from lraudit.errors import ConfigError
from lraudit.types import (
    ConfiguredLengths,
    ExactValues,
    IntendedSchedule,
    MetricDriven,
    Schedule,
    Warmup,
    WarmupFloor,
)
from lraudit.vocab import FAMILY_PARAMS

_MISSING = object()


@dataclass
class Notes:
    """Assumptions (sentences) and settings (raw values) gathered while parsing one file, and
    what the parser knows about its framework for diagnose (the typed fields of
    :class:`~lraudit.types.IntendedSchedule` of the same names)."""

    path: Path
    assumptions: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    metric_driven: MetricDriven | None = None
    exact_values: ExactValues | None = None
    exact_alternatives: tuple[ExactValues, ...] = ()
    warmup_floor: WarmupFloor | None = None
    warmup_values_approximate: str | None = None

    def assume(self, sentence: str) -> None:
        if sentence not in self.assumptions:
            self.assumptions.append(sentence)

    def where(self, key: str) -> str:
        return f"{self.path}: {key}"

    def number(
        self,
        data: dict[str, Any],
        key: str,
        default: Any = _MISSING,
        *,
        prefix: str = "",
        why: str = "",
        integer: bool = False,
        quote: bool = True,
    ) -> Any:
        """``data[key]`` as a number; the default (recorded as an assumption) when absent/None.

        Raises :class:`ConfigError` naming the file and key when the value is not a number, or
        when it is absent and there is no default.
        """
        name = f"{prefix}{key}"
        value = data.get(key) if isinstance(data, dict) else None
        if value is None:
            if default is _MISSING:
                raise ConfigError(f"{self.where(name)} is missing{': ' + why if why else ''}")
            if default is not None:
                self.assume(f"{name} not set; the framework default {fmt_num(default)} applies.")
            return default
        value = to_number(value, self.where(name))
        if integer:
            if not float(value).is_integer():
                raise ConfigError(f"{self.where(name)}: expected a whole number, got {value!r}")
            value = int(value)
        if quote:
            self.settings[name] = value
        return value


def to_number(value: Any, where: str) -> float | int:
    """An int or float from a config value (numeric strings such as ``"2e-5"`` accepted)."""
    if is_number(value):
        return value
    if isinstance(value, str):
        try:
            f = float(value.strip())
        except ValueError:
            pass
        else:
            return int(f) if f.is_integer() and "." not in value and "e" not in value.lower() else f
    raise ConfigError(f"{where}: expected a number, got {value!r}")


def to_bool(value: Any, where: str) -> bool:
    """A bool from a config value (YAML/JSON booleans, ``"true"``/``"false"``, 0/1)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if is_number(value) and value in (0, 1):
        return bool(value)
    raise ConfigError(f"{where}: expected true or false, got {value!r}")


def fmt_num(x: Any) -> str:
    return fmt(float(x)) if is_number(x) else repr(x)


#: Parameters a parser may leave out (the family's default applies): extensions of the contract
#: vocabulary that only some frameworks set.
OPTIONAL: dict[str, tuple[str, ...]] = {"cosine": ("after_end",)}


def schedule(
    family: str,
    params: dict[str, Any],
    warmup: Warmup | None = None,
    min_lr: float | None = None,
) -> Schedule:
    """A :class:`Schedule` whose family and params are exactly those of the vocabulary."""
    names = FAMILY_PARAMS.get(family)
    if names is None:  # a parser bug, not a user error
        raise ValueError(f"family {family!r} is not in the vocabulary")
    optional = OPTIONAL.get(family, ())
    if not set(names) - set(optional) <= set(params) <= set(names):
        raise ValueError(f"family {family!r} takes {names}, got {sorted(params)}")
    ordered = {k: _clean(params[k]) for k in names if k in params}
    return Schedule(family, ordered, warmup, min_lr)


def _clean(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def linear_warmup(steps: float, start_lr: float) -> Warmup | None:
    """A linear :class:`Warmup`, or None when ``steps`` is 0."""
    if steps <= 0:
        return None
    return Warmup(
        steps=float(steps) if not float(steps).is_integer() else int(steps),
        start_lr=float(start_lr),
        shape="linear",
    )


def intended(
    sched: Schedule,
    notes: Notes,
    fmt_name: str,
    *,
    source: Path | str | None = None,
    unit: str = "iteration",
    log_unit: str = "iteration",
    steps_per_epoch: int | None = None,
    horizon: float | None = None,
    world_size: int | None = None,
    expected_tags: tuple[str, ...] = (),
    num_steps: int | None = None,
) -> IntendedSchedule:
    """Assemble the :class:`IntendedSchedule` (horizon rounded up to a whole step).

    ``num_steps`` (the caller's ``Units.num_steps``) replaces the horizon, in ``unit``s.
    """
    if num_steps is not None and num_steps != horizon:
        notes.assume(f"Run length {num_steps} {unit}s given by the caller replaces the config's.")
        horizon = num_steps
    h = None if horizon is None else int(math.ceil(horizon - 1e-9))
    return IntendedSchedule(
        schedule=sched,
        source=str(source if source is not None else notes.path),
        format=fmt_name,
        unit=unit,
        log_unit=log_unit,
        steps_per_epoch=steps_per_epoch,
        horizon=h,
        world_size=world_size,
        expected_tags=expected_tags,
        assumptions=tuple(notes.assumptions),
        # logged step s shows schedule step s - log_step_offset (0: alignment folded in)
        settings={"log_step_offset": 0, **notes.settings},
        metric_driven=notes.metric_driven,
        exact_values=notes.exact_values,
        exact_alternatives=notes.exact_alternatives,
        warmup_floor=notes.warmup_floor,
        warmup_values_approximate=notes.warmup_values_approximate,
        configured_lengths=configured_lengths(notes.settings),
    )


#: Setting names (as parsers record them) of the configured warmup and of the planned run, in
#: the order they are looked up: detectron2, MMEngine / PaddleDetection, HF / OD API, ...
WARMUP_KEYS = ("WARMUP_ITERS", "SOLVER.WARMUP_ITERS", "warmup_iters", "warmup_steps")
RUN_KEYS = ("MAX_ITER", "SOLVER.MAX_ITER", "max_iter", "max_steps", "num_steps")


def configured_lengths(settings: Mapping[str, Any]) -> ConfiguredLengths | None:
    """The warmup and the planned run as the config states them, when it states both.

    >>> configured_lengths({"SOLVER.WARMUP_ITERS": 1000, "SOLVER.MAX_ITER": 300})
    ConfiguredLengths(warmup=1000.0, run=300.0)
    """
    w, r = _first_set(settings, WARMUP_KEYS), _first_set(settings, RUN_KEYS)
    if w is None or r is None:
        return None
    return ConfiguredLengths(float(w), float(r))


def _first_set(d: Mapping[str, Any], keys: Sequence[str]) -> Any:
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return None


def name_score(path: Path, names: tuple[str, ...], patterns: tuple[str, ...] = ()) -> bool:
    """True when the file name is one of ``names`` or matches one of the glob ``patterns``."""
    n = path.name.lower()
    return n in names or any(Path(n).match(p) for p in patterns)


#: Params of each family that count steps (scaled when converting epochs to iterations).
TIME_PARAMS = {
    "exponential": ("decay_steps", "start_step"),
    "piecewise": ("boundaries",),
    "cosine": ("decay_steps", "start_step"),
    "cosine_restarts": ("first_period", "start_step"),
    "polynomial": ("decay_steps", "start_step"),
    "inverse_time": ("decay_steps",),
    "inverse_sqrt": ("timescale",),
    "cyclic": ("step_size_up", "step_size_down"),
    "one_cycle": ("total_steps",),
    "warmup_stable_decay": ("stable_steps", "decay_steps"),
    "constant": (),
}


def scale_time(sched: Schedule, factor: float) -> Schedule:
    """``sched`` with every step count multiplied by ``factor``: ``new(s) = old(s / factor)``.

    Exact for every family (each depends on steps only through these params), so an epoch
    schedule becomes the iteration schedule that agrees with it at every epoch start.
    """

    def mul(v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return [mul(x) for x in v]
        r = v * factor
        return int(round(r)) if abs(r - round(r)) < 1e-9 * max(1.0, abs(r)) else r

    params = dict(sched.params)
    for name in TIME_PARAMS[sched.family]:
        if name in params:  # defaulted params (start_step 0) are absent
            params[name] = mul(params[name])
    if sched.family == "cyclic" and params.get("mode") == "exp_range":
        # exp_range scales by gamma**t per step: the same curve needs gamma**(1/factor)
        params["gamma"] = float(params["gamma"]) ** (1.0 / factor)
    warm = sched.warmup
    if warm is not None:
        warm = Warmup(steps=mul(warm.steps), start_lr=warm.start_lr, shape=warm.shape)
    return Schedule(sched.family, params, warm, sched.min_lr)


#: Largest number of epochs sampled into a ``piecewise`` schedule (one level per epoch at most).
MAX_SAMPLED_EPOCHS = 5000


def sampled_piecewise(sched: Schedule, points: Any, boundaries: Any) -> Schedule:
    """A ``piecewise`` schedule holding ``sched(points[i])`` on ``[boundaries[i-1], boundaries[i])``.

    ``len(points) == len(boundaries) + 1``; the last level holds from the last boundary on.
    Consecutive equal levels are merged (so a staircase keeps only its drops). Exact wherever the
    run reads the schedule only at the sampled points, e.g. a scheduler stepped once per epoch.

    >>> s = Schedule("exponential", {"init_lr": 1.0, "decay_rate": 0.5, "decay_steps": 2,
    ...                              "staircase": True, "start_step": 0})
    >>> sampled_piecewise(s, [0, 1, 2, 3, 4], [10, 20, 30, 40]).params
    {'boundaries': [20, 40], 'values': [1.0, 0.5, 0.25]}
    """
    pts = np.asarray(points, dtype=np.float64)
    vals = np.asarray(sched.evaluate(pts), dtype=np.float64)
    b = list(boundaries)
    if len(b) + 1 != pts.size:
        raise ValueError(f"{pts.size} points need {pts.size - 1} boundaries, got {len(b)}")
    keep_b: list[Any] = []
    keep_v = [float(vals[0])]
    for i in range(1, pts.size):
        if float(vals[i]) != keep_v[-1]:
            keep_b.append(b[i - 1])
            keep_v.append(float(vals[i]))
    return schedule("piecewise", {"boundaries": keep_b, "values": keep_v})


def held_per_epoch(
    sched: Schedule, spe: int, epochs: float | None, notes: Notes
) -> Schedule | None:
    """The iteration schedule of an epoch schedule stepped once per epoch and held meanwhile.

    ``new(s) = sched(floor(s / spe))`` (torch schedulers stepped per epoch, logged per iteration).
    :func:`scale_time` gives ``sched(s / spe)``, which agrees with it only when ``sched`` is
    constant between whole epochs (piecewise / staircase exponential with whole-epoch
    boundaries). A continuous exponential decaying once per epoch becomes a staircase with
    ``decay_steps = spe``. Any other family is sampled at each epoch start into a ``piecewise``
    schedule over ``epochs`` epochs (at most :data:`MAX_SAMPLED_EPOCHS`); None when that is
    unknown or too long.
    """

    def whole(v: Any) -> bool:
        return all(float(x).is_integer() for x in (v if isinstance(v, (list, tuple)) else [v]))

    p = sched.params
    w = sched.warmup
    fam = sched.family
    if fam == "constant" and w is None:
        return sched
    if w is None and fam == "piecewise" and whole(p["boundaries"]):
        return scale_time(sched, spe)
    if w is None and fam == "exponential" and whole(p["start_step"]):
        if p["staircase"] and whole(p["decay_steps"]):
            return scale_time(sched, spe)
        if not p["staircase"] and float(p["decay_steps"]) == 1.0:
            notes.assume(
                "An exponential decay stepped once per epoch is a staircase in iterations "
                f"(one drop every {spe} iterations)."
            )
            return Schedule(
                "exponential",
                {**scale_time(sched, spe).params, "staircase": True},
                None,
                sched.min_lr,
            )
    if epochs is None or not 0 < epochs <= MAX_SAMPLED_EPOCHS:
        return None
    n = int(math.ceil(epochs - 1e-9))
    notes.assume(
        f"The {fam} schedule is stepped once per epoch and held for the epoch's {spe} "
        f"iterations: it is sampled at each epoch start into a piecewise schedule over {n} "
        "epochs (exact at every iteration)."
    )
    return sampled_piecewise(sched, range(n), [e * spe for e in range(1, n)])


def for_tag(it: IntendedSchedule, tag: str) -> IntendedSchedule:
    """The form of ``it`` for a series logged under ``tag``.

    A parser whose framework logs the same schedule on two axes depending on the writer (Keras:
    the TensorBoard callback's ``epoch_*`` tags per epoch, ``tf.summary`` scalars per iteration)
    stores both in ``axis_forms`` (``{"epoch": ..., "iteration": ...}``) with the epoch tags in
    ``epoch_axis_tags``. A tag whose last ``/`` component is one of
    those or starts with ``epoch_`` gets the epoch form, any other the iteration form; ``it``
    itself when the parser stored no forms.

    >>> e = IntendedSchedule(Schedule("constant", {"lr": 1.0}), "c", "keras", log_unit="epoch")
    >>> i = IntendedSchedule(Schedule("constant", {"lr": 1.0}), "c", "keras",
    ...                      axis_forms={"epoch": e})
    >>> for_tag(i, "train/epoch_learning_rate") is e, for_tag(i, "lr") is i
    (True, True)
    """
    forms = it.axis_forms
    if not forms:
        return it
    leaf = tag.rsplit("/", 1)[-1]
    epoch_tags = it.epoch_axis_tags
    axis = "epoch" if leaf in epoch_tags or leaf.startswith("epoch_") else "iteration"
    form = forms.get(axis, it)
    # the parser's own choice keeps its settings (with the forms)
    same = form.log_unit == it.log_unit and form.unit == it.unit and form.schedule == it.schedule
    return it if same else form
