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
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lraudit.configs._common import (
    as_float,
    as_int,
    fmt,
    load_yaml_with_bases,
    read_python_config,
    whole,
)
from lraudit.configs._d2 import first_iter, multistep, rescaled, result, with_warmup
from lraudit.configs.base import ConfigParser, Units
from lraudit.configs.detectron2_lazy import parse_lazy
from lraudit.errors import ConfigError
from lraudit.types import IntendedSchedule, Schedule

__all__ = ["PARSER", "SOLVER_DEFAULTS", "detect", "first_iter", "parse"]

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
        return parse_lazy(path, cfg.values, units, notes)
    loaded = load_yaml_with_bases(path, text, key="_BASE_")
    if "lr_multiplier" in loaded.data:
        return parse_lazy(path, loaded.data, units, list(loaded.assumptions))
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


class _Solver:
    """The ``SOLVER`` section with detectron2's defaults; every value read is kept in
    ``settings`` and every default applied is said in ``assumptions``."""

    def __init__(
        self, path: Path, values: dict[str, Any], assumptions: list[str], settings: dict[str, Any]
    ) -> None:
        self.path, self.values = path, values
        self.assumptions, self.settings = assumptions, settings

    def get(self, key: str, default_note: bool = True) -> Any:
        if key in self.values:
            value = self.values[key]
        else:
            value = SOLVER_DEFAULTS[key]
            if default_note:
                origin = "DeepLab project" if key.startswith("POLY_") else "detectron2"
                self.assumptions.append(
                    f"SOLVER.{key} is not set; the {origin} default {_show(value)} applies."
                )
        self.settings[key] = list(value) if isinstance(value, tuple) else value
        return value

    def real(self, key: str) -> float:
        return as_float(self.get(key), f"{self.path}: SOLVER.{key}")

    def count(self, key: str) -> int:
        return as_int(self.get(key), f"{self.path}: SOLVER.{key}")


def _solver_section(
    path: Path, data: dict[str, Any], missing: list[str], assumptions: list[str]
) -> dict[str, Any]:
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
    return {k: _literal(v) for k, v in solver.items()}


@dataclass
class _Lengths:
    """The numbers DefaultTrainer rescales when the world size differs from the reference."""

    base: float
    ims: int
    max_iter: int
    warmup_iters: int
    steps: list[int]

    def rescale(self, world: int | None, ref: int, s: _Solver) -> None:
        """``REFERENCE_WORLD_SIZE``: scale by ``world / ref`` as ``DefaultTrainer`` does."""
        if not ref:
            return
        if world is None:
            s.assumptions.append(
                f"SOLVER.REFERENCE_WORLD_SIZE is {ref}: detectron2 rescales BASE_LR, "
                "IMS_PER_BATCH, MAX_ITER, STEPS and WARMUP_ITERS when the run uses another "
                f"number of GPUs; assumed the run used {ref} (pass --world-size)."
            )
        elif world != ref:
            f = world / ref
            self.ims, self.base = int(round(self.ims * f)), self.base * f
            self.max_iter = int(round(self.max_iter / f))
            self.warmup_iters = int(round(self.warmup_iters / f))
            self.steps = [int(round(x / f)) for x in self.steps]
            s.assumptions.append(
                f"World size {world} differs from SOLVER.REFERENCE_WORLD_SIZE {ref}: BASE_LR, "
                f"IMS_PER_BATCH scaled by {f:g} and MAX_ITER, STEPS, WARMUP_ITERS divided by it "
                f"(BASE_LR {self.base:g}, MAX_ITER {fmt(self.max_iter)}), as DefaultTrainer does."
            )
            s.settings["scaled"] = {
                "BASE_LR": self.base,
                "MAX_ITER": self.max_iter,
                "STEPS": self.steps,
            }


def _warmup_steps(n: _Lengths, s: _Solver) -> float:
    """``min(WARMUP_ITERS / MAX_ITER, 1) * MAX_ITER`` iterations, said in the assumptions."""
    warmup_iters, max_iter = n.warmup_iters, n.max_iter
    warm_len = min(warmup_iters / max_iter, 1.0)
    warm_steps = whole(warm_len * max_iter)
    s.settings["warmup_length"] = warm_len
    if warmup_iters > max_iter:
        s.assumptions.append(
            f"WARMUP_ITERS {fmt(warmup_iters)} > MAX_ITER {fmt(max_iter)}: detectron2 uses "
            "warmup_length = min(WARMUP_ITERS/MAX_ITER, 1), so the warmup spans the whole run "
            "and BASE_LR is only approached at the last iteration."
        )
    elif warmup_iters > 0:
        s.assumptions.append(
            f"Warmup covers iterations 0..{fmt(warm_steps - 1)} (warmup_length = "
            "min(WARMUP_ITERS/MAX_ITER, 1) of MAX_ITER)."
        )
    return warm_steps


def _warmup_multistep(s: _Solver, n: _Lengths) -> Schedule:
    """``WarmupMultiStepLR``: STEPS at or past MAX_ITER never happen (detectron2 drops them)."""
    max_iter = n.max_iter
    kept = [x for x in n.steps if x < max_iter]
    dropped = [x for x in n.steps if x >= max_iter]
    if dropped:
        s.assumptions.append(
            f"SOLVER.STEPS {dropped} are not below MAX_ITER {fmt(max_iter)}; detectron2 "
            "ignores them (with only a log warning), so those decays never happen."
        )
        s.settings["steps_ignored"] = dropped
    gamma = s.real("GAMMA")
    return multistep(kept, max_iter, max_iter, n.base, [gamma**k for k in range(len(kept) + 1)])


def _warmup_cosine(s: _Solver, n: _Lengths) -> Schedule:
    end = s.real("BASE_LR_END")
    main = Schedule(
        "cosine", {"peak_lr": n.base, "end_lr": end, "decay_steps": n.max_iter, "start_step": 0}
    )
    s.assumptions.append(
        "WarmupCosineLR: the cosine spans all of MAX_ITER, warmup included; the new "
        "LRMultiplier form is modelled (warmup ramps to the cosine's value at its end; the "
        "deprecated class multiplied the two, which differs only during warmup)."
    )
    return main


def _warmup_step_fixed_gamma(s: _Solver, n: _Lengths) -> Schedule:
    gamma = s.real("GAMMA")
    k_max = s.count("NUM_DECAYS")
    bounds = [first_iter(k, k_max + 1, n.max_iter) for k in range(1, k_max + 1)]
    return Schedule(
        "piecewise", {"boundaries": bounds, "values": [n.base * gamma**k for k in range(k_max + 1)]}
    )


def _warmup_poly(s: _Solver, n: _Lengths) -> Schedule:
    """DeepLab's ``WarmupPolyLR``, held at ``POLY_LR_CONSTANT_ENDING x BASE_LR`` when set."""
    power = s.real("POLY_LR_POWER")
    ending = s.real("POLY_LR_CONSTANT_ENDING")
    main = Schedule(
        "polynomial",
        {
            "init_lr": n.base,
            "end_lr": 0.0,
            "decay_steps": n.max_iter,
            "power": power,
            "start_step": 0,
        },
        min_lr=n.base * ending if ending > 0 else None,
    )
    s.assumptions.append(
        "WarmupPolyLR (DeepLab project) multiplies its warmup factor into the poly decay; it "
        "is modelled as a ramp to the decayed value at the warmup end."
    )
    return main


#: The main schedule of each ``SOLVER.LR_SCHEDULER_NAME``.
_SCHEDULERS: dict[str, Callable[[_Solver, _Lengths], Schedule]] = {
    "WarmupMultiStepLR": _warmup_multistep,
    "WarmupCosineLR": _warmup_cosine,
    "WarmupStepWithFixedGammaLR": _warmup_step_fixed_gamma,
    "WarmupPolyLR": _warmup_poly,
}


def _parse_yacs(
    path: Path, data: dict[str, Any], missing: list[str], assumptions: list[str], units: Units
) -> IntendedSchedule:
    settings: dict[str, Any] = {}
    s = _Solver(path, _solver_section(path, data, missing, assumptions), assumptions, settings)
    name = s.get("LR_SCHEDULER_NAME")
    if name not in _SCHEDULERS:
        raise ConfigError(
            f"{path}: SOLVER.LR_SCHEDULER_NAME: unknown scheduler {name!r}; lraudit reads "
            f"{', '.join(_SCHEDULERS)}"
        )
    base = s.real("BASE_LR")
    max_iter = s.count("MAX_ITER")
    warmup_iters = s.count("WARMUP_ITERS")
    warmup_factor = s.real("WARMUP_FACTOR")
    method = s.get("WARMUP_METHOD")
    rescale = bool(s.get("RESCALE_INTERVAL", default_note=False))
    ims = s.count("IMS_PER_BATCH")
    ref = as_int(s.get("REFERENCE_WORLD_SIZE", default_note=False), f"{path}: REFERENCE_WORLD_SIZE")
    steps: list[int] = []
    if name == "WarmupMultiStepLR":
        raw = s.get("STEPS")
        raw = [raw] if not isinstance(raw, (list, tuple)) else raw
        steps = [as_int(x, f"{path}: SOLVER.STEPS") for x in raw]
    if max_iter <= 0:
        raise ConfigError(f"{path}: SOLVER.MAX_ITER must be > 0, got {max_iter}")
    n = _Lengths(base, ims, max_iter, warmup_iters, steps)
    world = units.world_size
    n.rescale(world, ref, s)
    warm_steps = _warmup_steps(n, s)
    main = _SCHEDULERS[name](s, n)
    if rescale and warm_steps > 0:
        main = rescaled(main, warm_steps, n.max_iter)
        assumptions.append(
            "SOLVER.RESCALE_INTERVAL is true: the main schedule is compressed into the "
            "iterations after the warmup."
        )
    schedule = with_warmup(path, main, warm_steps, warmup_factor, method, "SOLVER.")
    settings["IMS_PER_BATCH"] = n.ims
    return result(path, schedule, n.max_iter, world or (ref or None), assumptions, settings)


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return fmt(value)
    if isinstance(value, (list, tuple)):
        return str(list(value))
    return repr(value)


PARSER = ConfigParser("detectron2", detect, parse)
