"""Config parser ``detectron2``: yacs YAML (``SOLVER``, ``_BASE_``) and LazyConfig Python/YAML.

Every detectron2 schedule is ``lr(it) = BASE_LR * M(it / MAX_ITER)`` where ``M`` is an fvcore
param scheduler (``LRMultiplier``), logged as scalar ``lr`` at ``iteration = it`` with the LR
used in that iteration. The warmup (``WarmupParamScheduler``) covers
``warmup_length = min(WARMUP_ITERS / MAX_ITER, 1)`` of the run and ramps linearly from
``WARMUP_FACTOR * M(0)`` to ``M(warmup_length)`` - exactly lraudit's warmup convention (a ramp
to the family's value at the warmup end).

==============================  ===============================================================
detectron2                      lraudit
==============================  ===============================================================
``WarmupMultiStepLR``           ``piecewise(boundaries=STEPS<=MAX_ITER, values=BASE_LR*GAMMA**k)``
``WarmupCosineLR``              ``cosine(peak_lr=BASE_LR, end_lr=BASE_LR_END,
                                decay_steps=MAX_ITER, start_step=0)`` (spans the warmup too)
``WarmupStepWithFixedGammaLR``  ``piecewise`` with ``NUM_DECAYS`` equal segments
``WarmupPolyLR`` (DeepLab)      ``polynomial(init_lr=BASE_LR, end_lr=0, decay_steps=MAX_ITER,
                                power=POLY_LR_POWER)``
``MultiStepParamScheduler``     ``piecewise`` (milestones are fractions of ``num_updates``)
``CosineParamScheduler``        ``cosine``;  ``LinearParamScheduler`` -> ``polynomial`` (power 1);
                                ``ExponentialParamScheduler`` -> ``exponential``;
                                ``PolynomialDecayParamScheduler`` -> ``polynomial``;
                                ``ConstantParamScheduler`` -> ``constant``
WARMUP_METHOD linear/constant   ``Warmup(steps=min(WARMUP_ITERS, MAX_ITER), start_lr=
                                WARMUP_FACTOR*BASE_LR, shape=linear|constant)``
==============================  ===============================================================

Boundaries follow fvcore's ``int((it / MAX_ITER + 1e-6) * num_updates)`` exactly (so for
``MAX_ITER >= 10**6`` a decay comes ``1e-6 * MAX_ITER`` iterations early, as it does in training).
"""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path
from typing import Any

from lraudit.configs._common import (
    Unresolved,
    as_float,
    as_int,
    fmt,
    load_yaml_with_bases,
    lookup,
    read_python_config,
    type_name,
    whole,
)
from lraudit.configs._intent import configured_lengths
from lraudit.configs.base import ConfigParser, Units
from lraudit.errors import ConfigError
from lraudit.types import IntendedSchedule, Schedule, Warmup

#: ``detectron2/config/defaults.py`` SOLVER defaults that shape the LR.
SOLVER_DEFAULTS: dict[str, Any] = {
    "LR_SCHEDULER_NAME": "WarmupMultiStepLR",
    "MAX_ITER": 40000,
    "BASE_LR": 0.001,
    "BASE_LR_END": 0.0,
    "GAMMA": 0.1,
    "STEPS": [30000],
    "NUM_DECAYS": 3,
    "WARMUP_FACTOR": 1.0 / 1000,
    "WARMUP_ITERS": 1000,
    "WARMUP_METHOD": "linear",
    "RESCALE_INTERVAL": False,
    "IMS_PER_BATCH": 16,
    "REFERENCE_WORLD_SIZE": 0,
    "POLY_LR_POWER": 0.9,
    "POLY_LR_CONSTANT_ENDING": 0.0,
}
_SCHEDULERS = (
    "WarmupMultiStepLR",
    "WarmupCosineLR",
    "WarmupStepWithFixedGammaLR",
    "WarmupPolyLR",
)
_EPS = 1e-6  # fvcore ParamScheduler.WHERE_EPSILON


def first_iter(k: float, n: float, max_iter: int) -> int:
    """Smallest iteration ``it`` with ``int((it / max_iter + 1e-6) * n) >= k`` (fvcore indexing).

    >>> first_iter(60000, 90000, 90000), first_iter(1_000_000, 3_000_000, 3_000_000)
    (60000, 999997)
    """
    it = max(0, math.ceil((k / n - _EPS) * max_iter) - 2)
    while int((it / max_iter + _EPS) * n) < k:
        it += 1
    return it


def detect(path: Path, text: str) -> int:
    """2 for a YAML with ``SOLVER:``/``lr_multiplier:`` or a LazyConfig ``.py``; 1 if plausible."""
    if path.suffix == ".py":
        if re.search(r"LazyCall|lr_multiplier|ParamScheduler", text):
            return 2
        return 1 if re.search(r"from \.+common", text) else 0
    if path.suffix not in (".yaml", ".yml", ""):
        return 0
    if re.search(r"^SOLVER:", text, re.M) or re.search(r"^lr_multiplier:", text, re.M):
        return 2
    if re.search(r"^_BASE_:[ \t]*[\"']?[^\s\[\"']", text, re.M) or _model_has_arch(text):
        return 1
    return 0


def _model_has_arch(text: str) -> bool:
    """True when the top-level ``MODEL:`` block has a ``META_ARCHITECTURE:`` key (one pass)."""
    inside = False
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            inside = line.rstrip() == "MODEL:"
        elif inside and line.lstrip().startswith("META_ARCHITECTURE:"):
            return True
    return False


def parse(path: Path, text: str, units: Units) -> IntendedSchedule:
    """The intended schedule of a detectron2 config (see the module docstring)."""
    if path.suffix == ".py":
        cfg = read_python_config(path, text, base_key=None)
        notes = _important_notes(cfg.notes)
        return _parse_lazy(path, cfg.values, units, notes)
    loaded = load_yaml_with_bases(path, text, key="_BASE_")
    if "lr_multiplier" in loaded.data:
        return _parse_lazy(path, loaded.data, units, list(loaded.assumptions))
    return _parse_yacs(path, loaded.data, loaded.missing, list(loaded.assumptions), units)


def _important_notes(notes: list[str]) -> list[str]:
    keep = [n for n in notes if "not found" in n]
    skipped = len(notes) - len(keep)
    if skipped:
        keep.append(
            f"{skipped} statement(s) of the config that lraudit does not evaluate (model, data, "
            "lambdas) were skipped; none of them is read for the schedule."
        )
    return keep


# --------------------------------------------------------------------------- yacs


def _literal(v: Any) -> Any:
    """yacs runs ``literal_eval`` on string values: ``'(60000, 80000)'`` -> a tuple."""
    if isinstance(v, str):
        try:
            return ast.literal_eval(v)
        except (ValueError, SyntaxError):
            return v
    return v


def _parse_yacs(
    path: Path, data: dict[str, Any], missing: list[str], assumptions: list[str], units: Units
) -> IntendedSchedule:
    solver = data.get("SOLVER")
    if solver is None:
        if missing:
            raise ConfigError(
                f"{path}: no SOLVER section, and base config(s) {', '.join(missing)} were not "
                "found; pass the run's output/config.yaml or keep the base files next to it"
            )
        solver = {}
        assumptions.append("The config has no SOLVER section: every detectron2 default applies.")
    if not isinstance(solver, dict):
        raise ConfigError(f"{path}: SOLVER must be a mapping, got {solver!r}")
    solver = {k: _literal(v) for k, v in solver.items()}
    settings: dict[str, Any] = {}

    def get(key: str, default_note: bool = True) -> Any:
        if key in solver:
            value = solver[key]
        else:
            value = SOLVER_DEFAULTS[key]
            if default_note:
                origin = "DeepLab project" if key.startswith("POLY_") else "detectron2"
                assumptions.append(
                    f"SOLVER.{key} is not set; the {origin} default {_show(value)} applies."
                )
        settings[key] = list(value) if isinstance(value, tuple) else value
        return value

    name = get("LR_SCHEDULER_NAME")
    if name not in _SCHEDULERS:
        raise ConfigError(
            f"{path}: SOLVER.LR_SCHEDULER_NAME: unknown scheduler {name!r}; lraudit reads "
            f"{', '.join(_SCHEDULERS)}"
        )
    base = as_float(get("BASE_LR"), f"{path}: SOLVER.BASE_LR")
    max_iter = as_int(get("MAX_ITER"), f"{path}: SOLVER.MAX_ITER")
    warmup_iters = as_int(get("WARMUP_ITERS"), f"{path}: SOLVER.WARMUP_ITERS")
    warmup_factor = as_float(get("WARMUP_FACTOR"), f"{path}: SOLVER.WARMUP_FACTOR")
    method = get("WARMUP_METHOD")
    rescale = bool(get("RESCALE_INTERVAL", default_note=False))
    ims = as_int(get("IMS_PER_BATCH"), f"{path}: SOLVER.IMS_PER_BATCH")
    ref = as_int(get("REFERENCE_WORLD_SIZE", default_note=False), f"{path}: REFERENCE_WORLD_SIZE")
    steps: list[int] = []
    if name == "WarmupMultiStepLR":
        raw = get("STEPS")
        raw = [raw] if not isinstance(raw, (list, tuple)) else raw
        steps = [as_int(s, f"{path}: SOLVER.STEPS") for s in raw]
    if max_iter <= 0:
        raise ConfigError(f"{path}: SOLVER.MAX_ITER must be > 0, got {max_iter}")

    world = units.world_size
    if ref:
        if world is None:
            assumptions.append(
                f"SOLVER.REFERENCE_WORLD_SIZE is {ref}: detectron2 rescales BASE_LR, "
                "IMS_PER_BATCH, MAX_ITER, STEPS and WARMUP_ITERS when the run uses another "
                f"number of GPUs; assumed the run used {ref} (pass --world-size)."
            )
        elif world != ref:
            s = world / ref
            ims, base = int(round(ims * s)), base * s
            max_iter = int(round(max_iter / s))
            warmup_iters = int(round(warmup_iters / s))
            steps = [int(round(x / s)) for x in steps]
            assumptions.append(
                f"World size {world} differs from SOLVER.REFERENCE_WORLD_SIZE {ref}: BASE_LR, "
                f"IMS_PER_BATCH scaled by {s:g} and MAX_ITER, STEPS, WARMUP_ITERS divided by it "
                f"(BASE_LR {base:g}, MAX_ITER {fmt(max_iter)}), as DefaultTrainer does."
            )
            settings["scaled"] = {"BASE_LR": base, "MAX_ITER": max_iter, "STEPS": steps}

    warm_len = min(warmup_iters / max_iter, 1.0)
    warm_steps = whole(warm_len * max_iter)
    settings["warmup_length"] = warm_len
    if warmup_iters > max_iter:
        assumptions.append(
            f"WARMUP_ITERS {fmt(warmup_iters)} > MAX_ITER {fmt(max_iter)}: detectron2 uses "
            "warmup_length = min(WARMUP_ITERS/MAX_ITER, 1), so the warmup spans the whole run "
            "and BASE_LR is only approached at the last iteration."
        )
    elif warmup_iters > 0:
        assumptions.append(
            f"Warmup covers iterations 0..{fmt(warm_steps - 1)} (warmup_length = "
            "min(WARMUP_ITERS/MAX_ITER, 1) of MAX_ITER)."
        )

    if name == "WarmupMultiStepLR":
        kept = [s for s in steps if s < max_iter]
        dropped = [s for s in steps if s >= max_iter]
        if dropped:
            assumptions.append(
                f"SOLVER.STEPS {dropped} are not below MAX_ITER {fmt(max_iter)}; detectron2 "
                "ignores them (with only a log warning), so those decays never happen."
            )
            settings["steps_ignored"] = dropped
        gamma = as_float(get("GAMMA"), f"{path}: SOLVER.GAMMA")
        main = _multistep(kept, max_iter, max_iter, base, [gamma**k for k in range(len(kept) + 1)])
    elif name == "WarmupCosineLR":
        end = as_float(get("BASE_LR_END"), f"{path}: SOLVER.BASE_LR_END")
        main = Schedule(
            "cosine", {"peak_lr": base, "end_lr": end, "decay_steps": max_iter, "start_step": 0}
        )
        assumptions.append(
            "WarmupCosineLR: the cosine spans all of MAX_ITER, warmup included; the new "
            "LRMultiplier form is modelled (warmup ramps to the cosine's value at its end; the "
            "deprecated class multiplied the two, which differs only during warmup)."
        )
    elif name == "WarmupStepWithFixedGammaLR":
        gamma = as_float(get("GAMMA"), f"{path}: SOLVER.GAMMA")
        n = as_int(get("NUM_DECAYS"), f"{path}: SOLVER.NUM_DECAYS")
        bounds = [first_iter(k, n + 1, max_iter) for k in range(1, n + 1)]
        main = Schedule(
            "piecewise", {"boundaries": bounds, "values": [base * gamma**k for k in range(n + 1)]}
        )
    else:
        power = as_float(get("POLY_LR_POWER"), f"{path}: SOLVER.POLY_LR_POWER")
        ending = as_float(get("POLY_LR_CONSTANT_ENDING"), f"{path}: SOLVER.POLY_LR_CONSTANT_ENDING")
        main = Schedule(
            "polynomial",
            {
                "init_lr": base,
                "end_lr": 0.0,
                "decay_steps": max_iter,
                "power": power,
                "start_step": 0,
            },
            min_lr=base * ending if ending > 0 else None,
        )
        assumptions.append(
            "WarmupPolyLR (DeepLab project) multiplies its warmup factor into the poly decay; it "
            "is modelled as a ramp to the decayed value at the warmup end."
        )
    if rescale and warm_steps > 0:
        main = _rescaled(main, warm_steps, max_iter)
        assumptions.append(
            "SOLVER.RESCALE_INTERVAL is true: the main schedule is compressed into the "
            "iterations after the warmup."
        )
    schedule = _with_warmup(path, main, warm_steps, warmup_factor, method, "SOLVER.")
    settings["IMS_PER_BATCH"] = ims
    return _result(path, schedule, max_iter, world or (ref or None), assumptions, settings)


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return fmt(value)
    if isinstance(value, (list, tuple)):
        return str(list(value))
    return repr(value)


def _multistep(
    milestones: list[int], num_updates: float, max_iter: int, base: float, factors: list[float]
) -> Schedule:
    if not milestones:
        return Schedule("constant", {"lr": base * factors[0]})
    bounds = [first_iter(m, num_updates, max_iter) for m in milestones]
    return Schedule("piecewise", {"boundaries": bounds, "values": [base * f for f in factors]})


def _rescaled(main: Schedule, w: float, max_iter: int) -> Schedule:
    """``S((it - W) / (MAX - W))``: the main schedule compressed after the warmup."""
    p = dict(main.params)
    scale = (max_iter - w) / max_iter
    if main.family == "piecewise":
        p["boundaries"] = [int(round(w + b * scale)) for b in p["boundaries"]]
    elif "start_step" in p:
        p["start_step"] = int(round(w + p["start_step"] * scale))
        p["decay_steps"] = int(round(p["decay_steps"] * scale))
    return Schedule(main.family, p, min_lr=main.min_lr)


def _with_warmup(
    path: Path, main: Schedule, steps: float, factor: float, method: str, prefix: str
) -> Schedule:
    """``main`` with fvcore's warmup: from ``factor * S(0)`` towards ``S(W)`` over ``steps``."""
    if steps <= 0:
        return main
    if method not in ("linear", "constant"):
        raise ConfigError(
            f"{path}: {prefix}WARMUP_METHOD: unknown warmup method {method!r}; detectron2 "
            "has 'linear' and 'constant'"
        )
    start = factor * _value_at_zero(main)
    return Schedule(
        main.family,
        main.params,
        warmup=Warmup(steps=steps, start_lr=start, shape=method),
        min_lr=main.min_lr,
    )


def _value_at_zero(s: Schedule) -> float:
    """The schedule's value at step 0 (every family built here starts at its first value)."""
    p = s.params
    if s.family == "piecewise":
        return float(p["values"][sum(1 for b in p["boundaries"] if b <= 0)])
    for k in ("peak_lr", "init_lr", "lr"):
        if k in p:
            return float(p[k])
    raise AssertionError(f"no initial value for family {s.family}")


def _result(
    path: Path,
    schedule: Schedule,
    max_iter: int,
    world: int | None,
    assumptions: list[str],
    settings: dict[str, Any],
) -> IntendedSchedule:
    assumptions.append(
        "detectron2 logs 'lr' at iteration it with the LR used in that iteration (every 20 "
        "iterations by default)."
    )
    return IntendedSchedule(
        schedule=schedule,
        source=str(path),
        format="detectron2",
        unit="iteration",
        log_unit="iteration",
        horizon=max_iter,
        world_size=world,
        expected_tags=("lr",),
        assumptions=tuple(assumptions),
        settings={**settings, "log_step_offset": 0},
        configured_lengths=configured_lengths(settings),
    )


# --------------------------------------------------------------------------- LazyConfig


def _need(value: Any, key: str, path: Path, notes: list[str]) -> Any:
    if value is None or isinstance(value, Unresolved):
        why = f" ({value.source!r} is not evaluated)" if isinstance(value, Unresolved) else ""
        hint = " " + " ".join(n for n in notes if "not found" in n) if notes else ""
        raise ConfigError(
            f"{path}: {key} is missing{why}; pass the run's saved config.yaml or a config "
            f"with its imports next to it.{hint}".rstrip()
        )
    return value


def _parse_lazy(
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
    main = _fvcore(path, mult, base, max_iter, assumptions, settings)
    if warm is None:
        return _result(path, main, max_iter, units.world_size, assumptions, settings)
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
        main = _rescaled(main, steps, max_iter)
    schedule = _with_warmup(path, main, steps, factor, method, "lr_multiplier.")
    return _result(path, schedule, max_iter, units.world_size, assumptions, settings)


def _fvcore(
    path: Path,
    node: dict[str, Any],
    base: float,
    max_iter: int,
    assumptions: list[str],
    settings: dict[str, Any],
) -> Schedule:
    """One fvcore ParamScheduler (a multiplier of ``base`` over ``where = it / max_iter``)."""
    kind = type_name(node.get("_target_"))
    key = "lr_multiplier.scheduler"

    def num(name: str, default: Any = None) -> float:
        v = node.get(name, default)
        return as_float(v, f"{path}: {key}.{name}")

    if kind == "MultiStepParamScheduler":
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
        if len(ms) != len(vals) - 1:
            raise ConfigError(
                f"{path}: {key}: {len(vals)} values need {len(vals) - 1} milestones, got {ms}"
            )
        if n_up != max_iter:
            assumptions.append(
                f"Milestones {ms} are fractions of num_updates {fmt(n_up)} (fvcore schedulers are "
                f"scale-invariant); with train.max_iter {fmt(max_iter)} they fall at iterations "
                f"{[first_iter(m, n_up, max_iter) for m in ms]}."
            )
        settings.update(milestones=ms, num_updates=n_up, values=vals)
        return _multistep(ms, n_up, max_iter, base, vals)
    if kind == "CosineParamScheduler":
        start, end = num("start_value"), num("end_value")
        return Schedule(
            "cosine",
            {
                "peak_lr": base * start,
                "end_lr": base * end,
                "decay_steps": max_iter,
                "start_step": 0,
            },
        )
    if kind == "LinearParamScheduler":
        start, end = num("start_value"), num("end_value")
        return Schedule(
            "polynomial",
            {
                "init_lr": base * start,
                "end_lr": base * end,
                "decay_steps": max_iter,
                "power": 1.0,
                "start_step": 0,
            },
        )
    if kind == "PolynomialDecayParamScheduler":
        return Schedule(
            "polynomial",
            {
                "init_lr": base * num("base_value"),
                "end_lr": 0.0,
                "decay_steps": max_iter,
                "power": num("power"),
                "start_step": 0,
            },
        )
    if kind == "ExponentialParamScheduler":
        return Schedule(
            "exponential",
            {
                "init_lr": base * num("start_value"),
                "decay_rate": num("decay"),
                "decay_steps": max_iter,
                "staircase": False,
                "start_step": 0,
            },
        )
    if kind == "ConstantParamScheduler":
        return Schedule("constant", {"lr": base * num("value")})
    if kind == "StepWithFixedGammaParamScheduler":
        n, gamma = int(num("num_decays")), num("gamma")
        vals = [num("base_value") * gamma**k for k in range(n + 1)]
        bounds = [first_iter(k, n + 1, max_iter) for k in range(1, n + 1)]
        return Schedule("piecewise", {"boundaries": bounds, "values": [base * v for v in vals]})
    raise ConfigError(
        f"{path}: {key}: unknown scheduler {node.get('_target_')!r}; lraudit reads "
        "MultiStep/Cosine/Linear/PolynomialDecay/Exponential/Constant/StepWithFixedGamma "
        "ParamScheduler (optionally inside WarmupParamScheduler)"
    )


PARSER = ConfigParser("detectron2", detect, parse)
