"""Config parser ``odapi``: TensorFlow Object Detection API ``pipeline.config``.

The file is protobuf text format. It is parsed with :func:`google.protobuf.text_format.Parse`
against a *minimal* descriptor built at runtime (only ``train_config`` and the learning-rate
messages, with the proto2 defaults of ``object_detection/protos/optimizer.proto``); every other
field is skipped. Proto ``float`` fields are float32, so configured values come back rounded
to float32 (``0.004`` -> ``0.0040000002``), as TF uses them.

Mapping to lraudit families (``s`` = global step, as logged under ``learning_rate``):

=================================  ==========================================================
OD API                             lraudit
=================================  ==========================================================
``constant_learning_rate``         ``constant(lr)``
``exponential_decay_learning_rate`` ``exponential(init_lr=L, decay_rate=f, decay_steps=D,
                                   staircase, start_step=B)``, ``min_lr=m`` when > 0, and a
                                   ``constant`` warmup of ``B`` steps at ``max(burnin_lr, m)``
                                   when the burn-in LR differs from ``L``
``manual_step_learning_rate``      ``piecewise(boundaries=[step...], values=[initial, lr...])``
                                   (+ ``linear`` warmup from ``values[0]`` over
                                   ``boundaries[0]`` steps when ``warmup: true``)
``cosine_decay_learning_rate``     ``cosine(peak_lr=L, end_lr=0, decay_steps=T-W-H,
                                   start_step=W+H)`` + ``linear`` warmup of ``W`` steps from
                                   ``warmup_learning_rate``
=================================  ==========================================================
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from lraudit.configs._common import f32, fmt
from lraudit.configs._intent import configured_lengths
from lraudit.configs.base import ConfigParser, Units
from lraudit.errors import ConfigError
from lraudit.types import IntendedSchedule, Schedule, Warmup

_PKG = "lraudit_odapi"

# (message, [(field, number, type, label, type_name, default)]) - mirrors optimizer.proto/train.proto
_F, _U32, _B, _M = "float", "uint32", "bool", "message"
_OPT, _REP = "optional", "repeated"
_MESSAGES: list[tuple[str, list[tuple[str, int, str, str, str, str | None]]]] = [
    ("TrainEvalPipelineConfig", [("train_config", 2, _M, _OPT, "TrainConfig", None)]),
    (
        "TrainConfig",
        [
            ("batch_size", 1, _U32, _OPT, "", "32"),
            ("optimizer", 5, _M, _OPT, "Optimizer", None),
            ("num_steps", 9, _U32, _OPT, "", "0"),
            ("sync_replicas", 3, _B, _OPT, "", "false"),
        ],
    ),
    (
        "Optimizer",
        [
            ("rms_prop_optimizer", 1, _M, _OPT, "OptimizerWithLR", None),
            ("momentum_optimizer", 2, _M, _OPT, "OptimizerWithLR", None),
            ("adam_optimizer", 3, _M, _OPT, "OptimizerWithLR", None),
        ],
    ),
    ("OptimizerWithLR", [("learning_rate", 1, _M, _OPT, "LearningRate", None)]),
    (
        "LearningRate",
        [
            ("constant_learning_rate", 1, _M, _OPT, "ConstantLearningRate", None),
            ("exponential_decay_learning_rate", 2, _M, _OPT, "ExponentialDecayLearningRate", None),
            ("manual_step_learning_rate", 3, _M, _OPT, "ManualStepLearningRate", None),
            ("cosine_decay_learning_rate", 4, _M, _OPT, "CosineDecayLearningRate", None),
        ],
    ),
    ("ConstantLearningRate", [("learning_rate", 1, _F, _OPT, "", "0.002")]),
    (
        "ExponentialDecayLearningRate",
        [
            ("initial_learning_rate", 1, _F, _OPT, "", "0.002"),
            ("decay_steps", 2, _U32, _OPT, "", "4000000"),
            ("decay_factor", 3, _F, _OPT, "", "0.95"),
            ("staircase", 4, _B, _OPT, "", "true"),
            ("burnin_learning_rate", 5, _F, _OPT, "", "0.0"),
            ("burnin_steps", 6, _U32, _OPT, "", "0"),
            ("min_learning_rate", 7, _F, _OPT, "", "0.0"),
        ],
    ),
    (
        "ManualStepLearningRate",
        [
            ("initial_learning_rate", 1, _F, _OPT, "", "0.002"),
            ("schedule", 2, _M, _REP, "LearningRateSchedule", None),
            ("warmup", 3, _B, _OPT, "", "false"),
        ],
    ),
    (
        "LearningRateSchedule",
        [("step", 1, _U32, _OPT, "", None), ("learning_rate", 2, _F, _OPT, "", "0.002")],
    ),
    (
        "CosineDecayLearningRate",
        [
            ("learning_rate_base", 1, _F, _OPT, "", "0.002"),
            ("total_steps", 2, _U32, _OPT, "", "4000000"),
            ("warmup_learning_rate", 3, _F, _OPT, "", "0.0002"),
            ("warmup_steps", 4, _U32, _OPT, "", "10000"),
            ("hold_base_rate_steps", 5, _U32, _OPT, "", "0"),
        ],
    ),
]

_ONEOFS = {"Optimizer": "optimizer", "LearningRate": "learning_rate"}
_KINDS = (
    "constant_learning_rate",
    "exponential_decay_learning_rate",
    "manual_step_learning_rate",
    "cosine_decay_learning_rate",
)
_OPTIMIZERS = ("rms_prop_optimizer", "momentum_optimizer", "adam_optimizer")


@lru_cache(maxsize=1)
def _message_class() -> Any:
    """The ``TrainEvalPipelineConfig`` class of the minimal runtime descriptor."""
    from google.protobuf import descriptor_pb2, descriptor_pool

    fdp = descriptor_pb2.FileDescriptorProto(name="lraudit_odapi.proto", package=_PKG)
    fdp.syntax = "proto2"
    types = {
        _F: descriptor_pb2.FieldDescriptorProto.TYPE_FLOAT,
        _U32: descriptor_pb2.FieldDescriptorProto.TYPE_UINT32,
        _B: descriptor_pb2.FieldDescriptorProto.TYPE_BOOL,
        _M: descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE,
    }
    labels = {
        _OPT: descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
        _REP: descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED,
    }
    for name, fields in _MESSAGES:
        msg = fdp.message_type.add(name=name)
        oneof = _ONEOFS.get(name)
        if oneof:
            msg.oneof_decl.add(name=oneof)
        if name == "TrainEvalPipelineConfig":
            # The real message declares extensions; without the range, `[ext] {}` cannot be skipped.
            msg.extension_range.add(start=1000, end=536870912)
        for fname, number, ftype, label, tname, default in fields:
            fd = msg.field.add(name=fname, number=number, type=types[ftype], label=labels[label])
            if tname:
                fd.type_name = f".{_PKG}.{tname}"
            if default is not None:
                fd.default_value = default
            if oneof:
                fd.oneof_index = 0
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    desc = pool.FindMessageTypeByName(f"{_PKG}.TrainEvalPipelineConfig")
    try:
        from google.protobuf.message_factory import GetMessageClass

        return GetMessageClass(desc)
    except ImportError:  # protobuf < 4.22
        from google.protobuf import message_factory

        return message_factory.MessageFactory(pool).GetPrototype(desc)


def parse_pipeline(text: str, path: Path) -> Any:
    """``text`` parsed into the minimal ``TrainEvalPipelineConfig`` (unknown fields skipped)."""
    from google.protobuf import text_format

    msg = _message_class()()
    try:
        text_format.Parse(text, msg, allow_unknown_field=True, allow_unknown_extension=True)
    except text_format.ParseError as exc:
        raise ConfigError(f"{path}: not a valid pipeline.config ({exc})") from None
    return msg


def detect(path: Path, text: str) -> int:
    """2 for a ``*.config``/``*.pbtxt`` with ``train_config`` and an optimizer, 1 by content."""
    has_train = re.search(r"^[ \t]*train_config[ \t]*:?\s*\{", text, re.M) is not None
    has_lr = "learning_rate" in text and "optimizer" in text
    if not has_train:
        return 0
    if path.suffix in (".config", ".pbtxt", ".txt", ".proto") and has_lr:
        return 2
    return 1


def _unknown_kind(text: str) -> str:
    """Name of the learning-rate type the minimal schema did not recognise, if any."""
    m = re.search(
        r"learning_rate\s*(?::\s*)?\{\s*(?:#[^\n]*\n\s*)*([A-Za-z_]\w*)\s*(?::\s*)?\{", text
    )
    return m.group(1) if m else "?"


def parse(path: Path, text: str, units: Units) -> IntendedSchedule:
    """The intended schedule of a ``pipeline.config`` (see the module docstring)."""
    msg = parse_pipeline(text, path)
    if not msg.HasField("train_config"):
        raise ConfigError(f"{path}: no train_config block; is this a TF OD API pipeline.config?")
    tc = msg.train_config
    if not tc.HasField("optimizer"):
        raise ConfigError(f"{path}: train_config has no optimizer block")
    opt_name = tc.optimizer.WhichOneof("optimizer")
    if opt_name is None:
        m = re.search(
            r"optimizer\s*(?::\s*)?\{\s*(?:#[^\n]*\n\s*)*([A-Za-z_]\w*)\s*(?::\s*)?\{", text
        )
        found = m.group(1) if m else "?"
        raise ConfigError(
            f"{path}: train_config.optimizer: unknown optimizer type {found!r}; lraudit reads "
            f"{', '.join(_OPTIMIZERS)}"
        )
    opt = getattr(tc.optimizer, opt_name)
    key = f"train_config.optimizer.{opt_name}.learning_rate"
    if not opt.HasField("learning_rate"):
        raise ConfigError(f"{path}: {key} is missing")
    kind = opt.learning_rate.WhichOneof("learning_rate")
    if kind is None:
        raise ConfigError(
            f"{path}: {key}: unknown learning-rate type {_unknown_kind(text)!r}; lraudit reads "
            f"{', '.join(_KINDS)}"
        )
    cfg = getattr(opt.learning_rate, kind)
    key = f"{key}.{kind}"
    assumptions: list[str] = []
    settings: dict[str, Any] = {"optimizer": opt_name, "learning_rate_type": kind}

    def get(field: str) -> Any:
        """The field's value; records an assumption when the proto default is used."""
        value = getattr(cfg, field)
        if isinstance(value, float):
            value = f32(value)
        if not cfg.HasField(field):
            assumptions.append(
                f"{kind}.{field} is not set; the proto default {_show(value)} applies."
            )
        settings[field] = value
        return value

    if kind == "constant_learning_rate":
        schedule = Schedule("constant", {"lr": get("learning_rate")})
    elif kind == "exponential_decay_learning_rate":
        schedule = _exponential(get, path, key, assumptions)
    elif kind == "manual_step_learning_rate":
        schedule = _manual(cfg, get, path, key, assumptions, settings)
    else:
        schedule = _cosine(get, path, key, assumptions)

    horizon = _horizon(tc, units, assumptions, settings)
    if kind == "cosine_decay_learning_rate" and horizon:
        total = int(get("total_steps"))
        if total < horizon:
            # the config's own doing, so not a finding: said where the schedule is explained
            assumptions.append(
                f"total_steps {fmt(total)} < num_steps {fmt(horizon)}: the cosine reaches 0 at "
                f"step {fmt(total)} and the last {fmt(horizon - total)} steps train at LR 0; set "
                "total_steps to num_steps unless that is intended."
            )
    settings["batch_size"] = int(tc.batch_size)
    if not tc.HasField("batch_size"):
        assumptions.append("train_config.batch_size is not set; the proto default 32 applies.")
    assumptions.append(
        "Steps are global steps; TF2 model_main_tf2 logs learning_rate at step k with the value "
        "for step k every 100 steps (TF1 Estimator may be 1 step off)."
    )
    return IntendedSchedule(
        schedule=schedule,
        source=str(path),
        format="odapi",
        unit="iteration",
        log_unit="iteration",
        horizon=horizon,
        # TF1 estimators log under the op name: learning_rate_1 when the LR op owns the name
        expected_tags=(
            "learning_rate",
            "learning_rate_1",
            "LearningRate/LearningRate/learning_rate",
        ),
        assumptions=tuple(assumptions),
        settings={**settings, "log_step_offset": 0},
        configured_lengths=configured_lengths(settings),
    )


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.7g}"
    return fmt(value) if isinstance(value, int) else repr(value)


def _exponential(get: Any, path: Path, key: str, assumptions: list[str]) -> Schedule:
    lr0 = get("initial_learning_rate")
    decay_steps = get("decay_steps")
    factor = get("decay_factor")
    staircase = bool(get("staircase"))
    burnin_lr = get("burnin_learning_rate")
    burnin = get("burnin_steps")
    min_lr = get("min_learning_rate")
    if decay_steps <= 0:
        raise ConfigError(f"{path}: {key}.decay_steps must be > 0, got {decay_steps}")
    if not factor > 0:
        raise ConfigError(f"{path}: {key}.decay_factor must be > 0, got {factor}")
    warmup = None
    if burnin > 0:
        start = lr0 if burnin_lr == 0 else burnin_lr
        start = max(start, min_lr)
        if start != lr0:
            warmup = Warmup(steps=burnin, start_lr=start, shape="constant")
        assumptions.append(
            f"The decay clock starts after the {fmt(burnin)} burn-in steps (OD API 2020+; "
            "2017-2018 versions decayed from step 0)."
        )
    return Schedule(
        "exponential",
        {
            "init_lr": lr0,
            "decay_rate": factor,
            "decay_steps": int(decay_steps),
            "staircase": staircase,
            "start_step": int(burnin),
        },
        warmup=warmup,
        min_lr=min_lr if min_lr > 0 else None,
    )


def _manual(
    cfg: Any, get: Any, path: Path, key: str, assumptions: list[str], settings: dict[str, Any]
) -> Schedule:
    lr0 = get("initial_learning_rate")
    warmup_flag = bool(get("warmup"))
    if len(cfg.schedule) == 0:
        raise ConfigError(f"{path}: {key}.schedule is empty; the OD API rejects it")
    boundaries: list[int] = []
    values = [lr0]
    for i, entry in enumerate(cfg.schedule):
        if not entry.HasField("step"):
            raise ConfigError(f"{path}: {key}.schedule[{i}] has no step")
        rate = f32(entry.learning_rate)
        if not entry.HasField("learning_rate"):
            assumptions.append(
                f"{key}.schedule[{i}] (step {entry.step}) has no learning_rate; the proto "
                "default 0.002 applies."
            )
        boundaries.append(int(entry.step))
        values.append(rate)
    if boundaries[0] == 0:
        # Old sample configs use `schedule { step: 0 }` to restate the initial rate; current
        # OD API code rejects it ("First step cannot be zero"), older code used the entry.
        assumptions.append(
            f"{key}.schedule[0] has step 0 (rejected by current OD API code); it is read as "
            f"overriding the initial rate {lr0:.7g} with {values[1]:.7g}."
        )
        boundaries = boundaries[1:]
        values = values[1:]
    if any(b2 <= b1 for b1, b2 in zip(boundaries, boundaries[1:], strict=False)):
        raise ConfigError(f"{path}: {key}.schedule steps must increase strictly: {boundaries}")
    settings["boundaries"] = boundaries
    settings["values"] = values
    warmup = None
    if warmup_flag and boundaries:
        warmup = Warmup(steps=boundaries[0], start_lr=values[0], shape="linear")
    if not boundaries:
        return Schedule("constant", {"lr": values[0]})
    return Schedule("piecewise", {"boundaries": boundaries, "values": values}, warmup=warmup)


def _cosine(get: Any, path: Path, key: str, assumptions: list[str]) -> Schedule:
    base = get("learning_rate_base")
    total = get("total_steps")
    warmup_lr = get("warmup_learning_rate")
    warmup_steps = get("warmup_steps")
    hold = get("hold_base_rate_steps")
    if total < warmup_steps:
        raise ConfigError(
            f"{path}: {key}: total_steps {fmt(total)} < warmup_steps {fmt(warmup_steps)}; "
            "the OD API raises ValueError"
        )
    if warmup_steps > 0 and base < warmup_lr:
        raise ConfigError(
            f"{path}: {key}: learning_rate_base {base:.7g} < warmup_learning_rate "
            f"{warmup_lr:.7g}; the OD API raises ValueError (set warmup_learning_rate)"
        )
    decay = total - warmup_steps - hold
    if decay <= 0:
        raise ConfigError(
            f"{path}: {key}: total_steps {fmt(total)} leaves no decay after warmup_steps "
            f"{fmt(warmup_steps)} + hold_base_rate_steps {fmt(hold)}"
        )
    assumptions.append(
        f"Cosine decay from step {fmt(warmup_steps + hold)} to total_steps {fmt(total)}, where the "
        "LR reaches 0 and stays 0 (OD API 2019+)."
    )
    warmup = Warmup(warmup_steps, warmup_lr, "linear") if warmup_steps > 0 else None
    return Schedule(
        "cosine",
        {
            "peak_lr": base,
            "end_lr": 0.0,
            "decay_steps": int(decay),
            "start_step": int(warmup_steps + hold),
        },
        warmup=warmup,
    )


def _horizon(tc: Any, units: Units, assumptions: list[str], settings: dict[str, Any]) -> int | None:
    num_steps = int(tc.num_steps)
    settings["num_steps"] = num_steps
    if units.num_steps is not None:
        assumptions.append(
            f"num_steps {fmt(units.num_steps)} given on the command line replaces the config's "
            f"{fmt(num_steps)} (like --num_train_steps, it does not rescale the schedule)."
        )
        return int(units.num_steps)
    if num_steps == 0:
        assumptions.append(
            "train_config.num_steps is 0 or not set: the OD API trains until stopped, so the run "
            "length is unknown."
        )
        return None
    return num_steps


PARSER = ConfigParser("odapi", detect, parse)
