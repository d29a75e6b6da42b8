"""Config parser ``keras``: a serialised Keras optimizer / LearningRateSchedule (JSON).

Accepted layouts (the optimizer is found wherever it sits):

* ``optimizer.get_config()`` / ``keras.optimizers.serialize(opt)`` (Keras 3: ``module``,
  ``class_name``, ``config``, ``registered_name``; Keras 2 / tf.keras: no ``module``, ``lr``
  instead of ``learning_rate``);
* a model's ``config.json`` from a ``.keras`` zip (``compile_config.optimizer``), or the zip
  itself (only ``config.json`` is read);
* ad-hoc JSON holding either (e.g. kgcnn's ``training.compile.optimizer``), or a bare
  serialised schedule.

Schedules (``keras/src/optimizers/schedules/learning_rate_schedule.py``; step = optimizer
iterations, 0 for the first update):

=========================  ==========================================================
class                      lraudit schedule
=========================  ==========================================================
float                      constant(lr)
ExponentialDecay           exponential(init, rate, decay_steps, staircase, start 0)
PiecewiseConstantDecay     piecewise(b + 1 for each boundary b, values): Keras keeps the
                           left value at s == b
PolynomialDecay            polynomial(init, end (1e-4), decay_steps, power, start 0);
                           cycle=True is refused
InverseTimeDecay           inverse_time(init, rate, decay_steps, staircase)
CosineDecay                cosine(init, init*alpha, decay_steps, 0); with warmup_target:
                           cosine(target, target*alpha, decay_steps, start W) + linear
                           warmup from init over W
CosineDecayRestarts        cosine_restarts(init, init*alpha, first_decay_steps, t_mul,
                           m_mul)
=========================  ==========================================================

Logging: two axes, told apart only by the tag. The TensorBoard callback writes
``epoch_learning_rate`` (``epoch_learning_rate_<name>`` per optimizer of a multi-optimizer) at
x = epoch ``e`` with the value ``schedule((e + 1) * steps_per_epoch)``; custom loops write
``tf.summary.scalar("learning_rate" | "lr", ..., step=optimizer.iterations)``, i.e. the
schedule itself per iteration. The parser returns both forms in ``axis_forms``
(``"iteration"``: unit = log_unit = "iteration"; ``"epoch"``: log_unit "epoch") with the epoch
tags in ``epoch_axis_tags``; :func:`lraudit.configs._intent.for_tag` picks the form
for a tag. The form returned is the epoch one when ``steps_per_epoch`` is given (the callback's
users know it), else the iteration one. On the epoch axis, families that stay in the vocabulary
under ``s = (e + 1) * nb`` are converted exactly (constant, piecewise, continuous exponential
and inverse_time, staircase exponential with ``decay_steps = nb``); any other schedule is
sampled at ``(e + 1) * nb`` into a ``piecewise`` schedule with one boundary per epoch (exact at
every logged epoch; at most ``MAX_SAMPLED_EPOCHS`` epochs: the fit's ``epochs``, else until the
schedule is flat, else that many).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lraudit.configs._intent import (
    MAX_SAMPLED_EPOCHS,
    Notes,
    fmt_num,
    intended,
    read_mapping,
    sampled_piecewise,
    schedule,
    to_bool,
    to_number,
    try_mapping,
)
from lraudit.configs.base import ConfigParser, Units
from lraudit.errors import ConfigError
from lraudit.types import IntendedSchedule, Schedule, Warmup

#: Tags the Keras TensorBoard callback writes once per epoch (x = epoch index).
EPOCH_TAGS = ("epoch_learning_rate",)
#: Tags custom loops write with ``tf.summary.scalar(..., step=optimizer.iterations)``.
ITERATION_TAGS = ("learning_rate", "lr")

SCHEDULES = (
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "InverseTimeDecay",
    "CosineDecay",
    "CosineDecayRestarts",
)
_OPTIMIZERS = {
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Adamax",
    "Nadam",
    "Ftrl",
    "Lion",
    "Lamb",
    "Muon",
    "LossScaleOptimizer",
    "Adafactor",
}


def detect(path: Path, text: str) -> int:
    if path.suffix.lower() == ".keras":
        return 2
    if path.suffix.lower() != ".json":
        return 0
    if '"class_name"' not in text:
        return 0
    data = try_mapping(path, text)
    if data is None:
        return 0
    found = _find_optimizer(data, "")
    if found is not None:
        return 2
    if isinstance(data.get("class_name"), str) and data["class_name"] in SCHEDULES:
        return 2
    return 0


def _is_optimizer(node: Any) -> bool:
    if not isinstance(node, dict) or not isinstance(node.get("config"), dict):
        return False
    cfg = node["config"]
    name = str(node.get("class_name", ""))
    has_lr = "learning_rate" in cfg or "lr" in cfg
    module = str(node.get("module") or "")
    return has_lr and (
        name in _OPTIMIZERS
        or module.startswith("keras.optimizers")
        and module != "keras.optimizers.schedules"
    )


def _find_optimizer(node: Any, path: str) -> tuple[str, dict[str, Any]] | None:
    """(dotted key, serialised optimizer) found depth-first, preferring ``compile_config``."""
    if _is_optimizer(node):
        return path or "<top>", node
    if isinstance(node, dict):
        keys = sorted(node, key=lambda k: (k not in ("compile_config", "optimizer", "compile"), k))
        for k in keys:
            found = _find_optimizer(node[k], f"{path}.{k}" if path else str(k))
            if found:
                return found
    return None


@dataclass(frozen=True)
class _Config:
    """The ``config`` of one serialised Keras schedule, read in the file's words."""

    name: str
    cfg: dict[str, Any]
    notes: Notes
    prefix: str

    def num(self, k: str, default: Any = ...) -> Any:
        if default is ...:
            return self.notes.number(self.cfg, k, prefix=self.prefix, why=f"{self.name} needs it")
        return self.notes.number(self.cfg, k, default, prefix=self.prefix)

    def flag(self, k: str) -> bool:
        v = to_bool(self.cfg.get(k, False) or False, self.notes.where(self.prefix + k))
        self.notes.settings[self.prefix + k] = v
        return v


def _exponential_decay(c: _Config) -> Schedule:
    return schedule(
        "exponential",
        {
            "init_lr": c.num("initial_learning_rate"),
            "decay_rate": c.num("decay_rate"),
            "decay_steps": c.num("decay_steps"),
            "staircase": c.flag("staircase"),
            "start_step": 0,
        },
    )


def _piecewise_constant_decay(c: _Config) -> Schedule:
    """Keras switches one step after each boundary (``step > b``), hence ``b + 1``."""
    notes, p = c.notes, c.prefix
    b, v = c.cfg.get("boundaries"), c.cfg.get("values")
    if not isinstance(b, list) or not isinstance(v, list) or len(v) != len(b) + 1:
        raise ConfigError(
            f"{notes.where(p + 'values')}: needs one more value than "
            f"boundaries, got boundaries={b!r} values={v!r}"
        )
    bounds = [to_number(x, notes.where(p + "boundaries")) + 1 for x in b]
    vals = [float(to_number(x, notes.where(p + "values"))) for x in v]
    notes.settings[p + "boundaries"], notes.settings[p + "values"] = b, v
    notes.assume(
        "PiecewiseConstantDecay keeps the earlier value at a boundary step b and "
        "switches from b+1 on."
    )
    return schedule("piecewise", {"boundaries": bounds, "values": vals})


def _polynomial_decay(c: _Config) -> Schedule:
    if c.flag("cycle"):
        raise ConfigError(
            f"{c.notes.where(c.prefix + 'cycle')}: PolynomialDecay with cycle=True has no "
            "lraudit family"
        )
    return schedule(
        "polynomial",
        {
            "init_lr": c.num("initial_learning_rate"),
            "end_lr": c.num("end_learning_rate", 1e-4),
            "decay_steps": c.num("decay_steps"),
            "power": c.num("power", 1.0),
            "start_step": 0,
        },
    )


def _inverse_time_decay(c: _Config) -> Schedule:
    return schedule(
        "inverse_time",
        {
            "init_lr": c.num("initial_learning_rate"),
            "decay_rate": c.num("decay_rate"),
            "decay_steps": c.num("decay_steps"),
            "staircase": c.flag("staircase"),
        },
    )


def _cosine_decay(c: _Config) -> Schedule:
    """Without ``warmup_target`` a plain cosine; with it, a linear warmup from
    ``initial_learning_rate`` to the target, then the cosine (``decay_steps`` after it)."""
    notes, p = c.notes, c.prefix
    init, d, alpha = c.num("initial_learning_rate"), c.num("decay_steps"), c.num("alpha", 0.0)
    target = c.cfg.get("warmup_target")
    w = c.num("warmup_steps", 0) if target is not None else 0
    if target is None:
        if c.cfg.get("warmup_steps"):
            notes.assume("CosineDecay ignores warmup_steps when warmup_target is null.")
        return schedule(
            "cosine",
            {"peak_lr": init, "end_lr": init * alpha, "decay_steps": d, "start_step": 0},
        )
    target = float(to_number(target, notes.where(p + "warmup_target")))
    notes.settings[p + "warmup_target"] = target
    notes.assume(
        "CosineDecay with warmup: initial_learning_rate is the warmup start and "
        "decay_steps counts after the warmup (total warmup_steps + decay_steps)."
    )
    warm = Warmup(steps=w, start_lr=init, shape="linear") if w > 0 else None
    return schedule(
        "cosine",
        {"peak_lr": target, "end_lr": target * alpha, "decay_steps": d, "start_step": w},
        warm,
    )


def _cosine_decay_restarts(c: _Config) -> Schedule:
    init, alpha = c.num("initial_learning_rate"), c.num("alpha", 0.0)
    if alpha and c.cfg.get("m_mul", 1.0) != 1.0:
        c.notes.assume(
            "CosineDecayRestarts scales its floor alpha x lr by m_mul each cycle too; lraudit's "
            "cosine_restarts keeps the floor fixed (cycles after the first differ slightly)."
        )
    return schedule(
        "cosine_restarts",
        {
            "peak_lr": init,
            "end_lr": init * alpha,
            "first_period": c.num("first_decay_steps"),
            "period_mult": c.num("t_mul", 2.0),
            "peak_decay": c.num("m_mul", 1.0),
            "start_step": 0,
        },
    )


#: The lraudit schedule of each Keras schedule class (the names of :data:`SCHEDULES`).
_BUILDERS: dict[str, Callable[[_Config], Schedule]] = {
    "ExponentialDecay": _exponential_decay,
    "PiecewiseConstantDecay": _piecewise_constant_decay,
    "PolynomialDecay": _polynomial_decay,
    "InverseTimeDecay": _inverse_time_decay,
    "CosineDecay": _cosine_decay,
    "CosineDecayRestarts": _cosine_decay_restarts,
}


def schedule_from_keras(lr: Any, notes: Notes, key: str) -> Schedule:
    """The lraudit schedule of a Keras ``learning_rate`` value (float or serialised schedule)."""
    if isinstance(lr, (int, float)) and not isinstance(lr, bool):
        notes.settings[key] = lr
        return schedule("constant", {"lr": float(lr)})
    if isinstance(lr, str):
        return schedule("constant", {"lr": float(to_number(lr, notes.where(key)))})
    if not isinstance(lr, dict) or "class_name" not in lr:
        raise ConfigError(
            f"{notes.where(key)}: expected a number or a serialised schedule, got {lr!r}"
        )
    name = str(lr["class_name"]).rsplit(">", 1)[-1]
    cfg = lr.get("config") or {}
    if not isinstance(cfg, dict):
        raise ConfigError(f"{notes.where(key + '.config')}: expected a mapping")
    notes.settings[f"{key}.class_name"] = name
    if name not in SCHEDULES:
        reg = lr.get("registered_name")
        extra = f" (registered as {reg!r})" if reg else ""
        raise ConfigError(
            f"{notes.where(key)}: unknown schedule class {name!r}{extra}; lraudit knows "
            f"{', '.join(SCHEDULES)} (custom schedules are code: describe the schedule in "
            "lraudit's own YAML)"
        )
    return _BUILDERS[name](_Config(name, cfg, notes, f"{key}.config."))


def _to_epochs(sched: Schedule, nb: int, epochs: int | None, notes: Notes) -> Schedule | None:
    """``sched`` re-expressed at epoch x with ``s = (x + 1) nb``, or None when not exact.

    Closed forms where the family survives the substitution (constant, piecewise, continuous
    exponential / inverse_time, staircase exponential with ``decay_steps = nb``); otherwise the
    schedule is sampled at ``s = (e + 1) nb`` into a ``piecewise`` schedule with a boundary at
    each epoch (exact at every logged epoch) over ``epochs`` epochs, or until the schedule is
    flat, or :data:`~lraudit.configs._intent.MAX_SAMPLED_EPOCHS` epochs.
    """
    p = dict(sched.params)
    if sched.warmup is None and sched.min_lr is None:
        if sched.family == "constant":
            return sched
        if sched.family == "piecewise":
            # switch from b (iterations) <=> (x + 1) nb >= b <=> x >= ceil(b / nb) - 1
            p["boundaries"] = [max(math.ceil(b / nb) - 1, 0) for b in p["boundaries"]]
            return Schedule("piecewise", p)
        if sched.family == "exponential" and not p["staircase"]:
            d = float(p["decay_steps"])
            p["init_lr"] = p["init_lr"] * p["decay_rate"] ** (nb / d)
            p["decay_steps"] = d / nb
            return Schedule("exponential", p)
        if sched.family == "exponential" and float(p["decay_steps"]) == nb:
            # floor((x + 1) nb / nb) = x + 1: one drop per epoch, the first already at epoch 0
            p["init_lr"] = p["init_lr"] * p["decay_rate"]
            p["decay_steps"] = 1
            return Schedule("exponential", p)
        if sched.family == "inverse_time" and not p["staircase"]:
            d = float(p["decay_steps"])
            c = 1 + p["decay_rate"] * nb / d
            p["init_lr"] = p["init_lr"] / c
            p["decay_rate"] = p["decay_rate"] * nb / (d * c)
            p["decay_steps"] = 1
            return Schedule("inverse_time", p)
    flat = _flat_from(sched)
    n = epochs
    why = "the fit's epochs"
    if n is None and flat is not None:
        # the first epoch whose logged iteration (e + 1) nb is past the end of the decay
        n, why = max(math.ceil(flat / nb), 1), "the end of the decay, flat after it"
    if n is None:
        n, why = MAX_SAMPLED_EPOCHS, "no epoch count known; the last level holds after it"
    if not 0 < n <= MAX_SAMPLED_EPOCHS:
        return None
    notes.assume(
        f"{sched.family} on the epoch axis: sampled at iterations (e + 1) x {nb} into a "
        f"piecewise schedule over {n} epochs ({why}), exact at every logged epoch."
    )
    return sampled_piecewise(sched, [(e + 1) * nb for e in range(n)], list(range(1, n)))


def _flat_from(sched: Schedule) -> float | None:
    """The iteration from which ``sched`` stays constant, or None when it keeps changing."""
    p = sched.params
    w = float(sched.warmup.steps) if sched.warmup is not None else 0.0
    if sched.family in ("cosine", "polynomial"):
        return max(float(p["start_step"]) + float(p["decay_steps"]), w)
    if sched.family == "piecewise":
        return max([w, *(float(b) for b in p["boundaries"])])
    if sched.family == "constant":
        return w
    return None


def read_keras_zip(path: Path) -> str:
    """``config.json`` from a Keras 3 ``.keras`` zip (the weights are never opened)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("config.json")
            if info.file_size > 64 * 1024 * 1024:
                raise ConfigError(f"{path}: config.json inside is implausibly large")
            return zf.read(info).decode("utf-8")
    except KeyError:
        raise ConfigError(f"{path}: no config.json inside this .keras file") from None
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable .keras zip ({exc})") from None


def _read_schedule(path: Path, data: dict[str, Any], notes: Notes) -> tuple[Schedule, str]:
    """(schedule, optimizer name) of a serialised optimizer, or of a bare serialised schedule."""
    found = _find_optimizer(data, "")
    if found is not None:
        key, opt = found
        cfg = opt["config"]
        lr_key = "learning_rate" if "learning_rate" in cfg else "lr"
        base = "" if key == "<top>" else key + "."
        notes.settings["optimizer"] = opt.get("class_name")
        sched = schedule_from_keras(cfg[lr_key], notes, f"{base}config.{lr_key}")
        return sched, str(cfg.get("name") or "")
    if isinstance(data.get("class_name"), str) and data["class_name"] in SCHEDULES:
        return schedule_from_keras(data, notes, "<schedule>"), ""
    raise ConfigError(
        f"{path}: no serialised Keras optimizer (class_name + config with learning_rate) "
        "or schedule found"
    )


def _epoch_form(
    sched: Schedule,
    notes: Notes,
    nb: int | None,
    epochs: int | None,
    epoch_tags: tuple[str, ...],
    common: dict[str, Any],
) -> IntendedSchedule:
    """The form compared with the TensorBoard callback's ``epoch_*`` tags: on the epoch axis when
    the schedule has an exact epoch form, else in iterations with epoch logs."""
    ep_notes = _fork(notes)
    conv = _to_epochs(sched, nb, epochs, ep_notes) if nb else None
    if conv is not None:
        ep_notes.assume(f"Converted to the epoch axis with {nb} iterations per epoch.")
        return intended(
            conv,
            ep_notes,
            "keras",
            unit="epoch",
            log_unit="epoch",
            horizon=epochs,
            expected_tags=epoch_tags,
            **common,
        )
    if nb:
        ep_notes.assume(
            f"{sched.family} has no exact epoch-axis form here: the schedule stays in "
            f"iterations; logged epoch e is iteration (e + 1) x {nb}."
        )
    return intended(
        sched,
        ep_notes,
        "keras",
        unit="iteration",
        log_unit="epoch",
        horizon=None if epochs is None or not nb else epochs * nb,
        expected_tags=epoch_tags,
        **common,
    )


def parse(path: Path, text: str, units: Units) -> IntendedSchedule:
    if path.suffix.lower() == ".keras":
        text = read_keras_zip(path)
        path = Path(f"{path}!config.json")
    data = read_mapping(path, text)
    notes = Notes(path)
    sched, opt_name = _read_schedule(path, data, notes)
    epochs = _find_epochs(data)
    notes.assume(
        "Keras counts the schedule in optimizer iterations; epoch_learning_rate is logged per "
        "epoch e with the value at iteration (e + 1) x steps_per_epoch."
    )
    nb = units.steps_per_epoch
    epoch_tags = EPOCH_TAGS + ((f"epoch_learning_rate_{opt_name}",) if opt_name else ())
    common: dict[str, Any] = {
        "steps_per_epoch": nb,
        "world_size": units.world_size,
        "num_steps": units.num_steps,
    }

    it_notes = _fork(notes)
    it_notes.assume(
        "tf.summary scalars (learning_rate, lr) written against optimizer.iterations are "
        "compared per iteration; epoch_* tags of the TensorBoard callback per epoch."
    )
    if epochs is not None and not nb:
        it_notes.assume(
            f"fit epochs {fmt_num(epochs)}: pass --steps-per-epoch to compare them with "
            "the schedule's iterations."
        )
    iteration = intended(
        sched,
        it_notes,
        "keras",
        unit="iteration",
        log_unit="iteration",
        horizon=None if epochs is None or not nb else epochs * nb,
        expected_tags=ITERATION_TAGS,
        **common,
    )
    epoch = _epoch_form(sched, notes, nb, epochs, epoch_tags, common)
    forms = {"iteration": iteration, "epoch": epoch}
    # the TensorBoard callback (epoch_*) is what Keras users with --steps-per-epoch log
    primary = epoch if nb else iteration
    return dataclasses.replace(primary, epoch_axis_tags=epoch_tags, axis_forms=forms)


def _fork(notes: Notes) -> Notes:
    """A copy of ``notes`` to which one axis form adds its own assumptions."""
    return Notes(notes.path, list(notes.assumptions), dict(notes.settings))


def _find_epochs(data: Any) -> int | None:
    """``epochs`` of a ``fit`` section (kgcnn-style hyper JSON), when present."""
    if isinstance(data, dict):
        fit = data.get("fit")
        if isinstance(fit, dict) and isinstance(fit.get("epochs"), int):
            return fit["epochs"]
        for v in data.values():
            e = _find_epochs(v)
            if e is not None:
                return e
    return None


PARSER = ConfigParser("keras", detect, parse)
