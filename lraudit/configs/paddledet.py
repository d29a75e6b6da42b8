"""Config parser ``paddledet``: PaddleDetection YAML (``LearningRate`` with ``!Tag`` schedulers).

Read with a safe YAML loader that keeps custom tags as ``{"__type__": "PiecewiseDecay", ...}``
(the dict form ``- name: CosineDecay`` is read the same way); ``_BASE_`` files merge in order
(dicts recursively, lists replaced). ``schedulers[0]`` is the decay, ``schedulers[1]`` the
warmup, used only when the decay's ``use_warmup`` is true (``ppdet/optimizer/optimizer.py``).

PaddleDetection builds one per-iteration table (``spe`` = iterations per epoch, ``W`` warmup
iterations, milestones in epochs):

=====================================  ======================================================
PaddleDetection                        lraudit
=====================================  ======================================================
``PiecewiseDecay(gamma, milestones)``  ``piecewise(boundaries=spe*m, values=[base]+[base*g])``
                                       with a scalar ``gamma`` expanded to ``g/10**i``
                                       (not ``g**(i+1)``); explicit ``values`` used as given
``CosineDecay(max_epochs, min_lr_ratio, ``cosine(peak_lr=base, end_lr=base*min_lr_ratio,
last_plateau_epochs)``                 decay_steps=M-W-P, start_step=W)``, ``M = max_epochs*spe``
``LinearWarmup(steps|epochs,           ``Warmup(steps=W, start_lr=base*start_factor, linear)``
start_factor)``                        (exact: ``base*(sf + (1-sf)*t/W)``)
=====================================  ======================================================

PaddleDetection prints the LR used in iteration ``epoch*spe + step`` to its text log (and
VisualDL), so the schedule counts 0-based iterations.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lraudit.configs._common import as_float, fmt, intify, load_yaml_with_bases, plain
from lraudit.configs._intent import configured_lengths
from lraudit.configs.base import ConfigParser, Units
from lraudit.errors import ConfigError
from lraudit.types import IntendedSchedule, Schedule, Warmup

_DECAYS = ("PiecewiseDecay", "CosineDecay")
_WARMUPS = ("LinearWarmup", "ExpWarmup")


def detect(path: Path, text: str) -> int:
    """2 for ``LearningRate:`` with schedulers; 1 for a ``_BASE_: [`` list config."""
    if path.suffix not in (".yml", ".yaml"):
        return 0
    if re.search(r"^LearningRate:", text, re.M) and re.search(
        r"!(PiecewiseDecay|LinearWarmup|CosineDecay|ExpWarmup)|schedulers:", text
    ):
        return 2
    if re.search(r"^_BASE_:\s*[\[-]", text, re.M) or re.search(r"^LearningRate:", text, re.M):
        return 1
    return 0


def _kind(node: Any) -> str | None:
    if isinstance(node, dict):
        return node.get("__type__") or node.get("name")
    return None


def _base_and_schedulers(
    path: Path, lr_cfg: Any, missing: Any, assumptions: list[str]
) -> tuple[float, list[Any]]:
    """``LearningRate.base_lr`` and ``LearningRate.schedulers``, with PaddleDetection's defaults."""
    if lr_cfg is None:
        hint = f"; base config(s) {', '.join(missing)} were not found" if missing else ""
        raise ConfigError(f"{path}: no LearningRate section{hint}")
    if not isinstance(lr_cfg, dict):
        raise ConfigError(f"{path}: LearningRate must be a mapping, got {lr_cfg!r}")
    if "base_lr" in lr_cfg:
        base = as_float(lr_cfg["base_lr"], f"{path}: LearningRate.base_lr")
    else:
        base = 0.01
        assumptions.append(
            "LearningRate.base_lr is not set; the PaddleDetection default 0.01 applies."
        )
    scheds = lr_cfg.get("schedulers")
    if scheds is None:
        scheds = [{"__type__": "PiecewiseDecay"}, {"__type__": "LinearWarmup"}]
        assumptions.append(
            "LearningRate.schedulers is not set; the default [PiecewiseDecay(), LinearWarmup()] "
            "applies."
        )
    if not isinstance(scheds, list) or not scheds:
        raise ConfigError(f"{path}: LearningRate.schedulers must be a non-empty list")
    return base, scheds


def _piecewise_values(
    path: Path, key: str, decay: dict[str, Any], base: float, n: int, assumptions: list[str]
) -> list[float]:
    """The ``n + 1`` levels of a PiecewiseDecay without explicit ``values``: ``base`` then
    ``base * gamma[i]``, a scalar gamma expanded to ``gamma / 10**i`` (not compounded)."""
    gamma = decay.get("gamma", [0.1, 0.01])
    if "gamma" not in decay:
        assumptions.append(f"{key}.gamma is not set; the default [0.1, 0.01] applies.")
    if isinstance(gamma, (list, tuple)):
        gammas = [as_float(g, f"{path}: {key}.gamma") for g in gamma]
    else:
        g = as_float(gamma, f"{path}: {key}.gamma")
        gammas = [g / 10**i for i in range(n)]
        if g != 0.1 and n > 1:
            assumptions.append(
                f"Scalar gamma {g:g} expands to {[f'{x:g}' for x in gammas]} "
                "(PaddleDetection divides by 10 per milestone; it does not compound)."
            )
    if len(gammas) < n:
        raise ConfigError(f"{path}: {key}: {n} milestones need {n} gamma values, got {gammas}")
    return [base] + [base * g for g in gammas[:n]]


def _piecewise(
    path: Path,
    key: str,
    decay: dict[str, Any],
    base: float,
    c: float,
    warm: Warmup | None,
    warm_steps: float,
    assumptions: list[str],
) -> tuple[Schedule, Warmup | None]:
    """``PiecewiseDecay``: milestones (epochs) x ``c``; the warmup may change shape (see below)."""
    milestones = decay.get("milestones", [8, 11])
    if "milestones" not in decay:
        assumptions.append(f"{key}.milestones is not set; the default [8, 11] applies.")
    ms = [as_float(m, f"{path}: {key}.milestones") for m in milestones]
    bounds = [m * c for m in ms]
    if decay.get("values") is not None:
        if warm is not None:
            raise ConfigError(
                f"{path}: {key}: explicit values with use_warmup builds an invalid table "
                "(PaddleDetection raises ValueError); set use_warmup: false"
            )
        values = [as_float(v, f"{path}: {key}.values") for v in decay["values"]]
    else:
        values = _piecewise_values(path, key, decay, base, len(ms), assumptions)
    if len(values) != len(bounds) + 1:
        raise ConfigError(
            f"{path}: {key}: {len(bounds)} milestones need {len(bounds) + 1} values, got "
            f"{len(values)}"
        )
    if warm is not None and bounds and bounds[0] <= warm_steps:
        # ppdet's table is boundaries [1..W] + milestones: paddle's PiecewiseDecay returns
        # the first value whose boundary exceeds t, so the warmup ramp runs to base_lr over
        # [0, W) and the milestones <= W all act at W.
        assumptions.append(
            f"Milestone(s) {[fmt(b) for b in bounds if b <= warm_steps]} fall inside the "
            f"{fmt(warm_steps)}-step warmup: PaddleDetection's warmup still ramps to base_lr "
            "and those drops all take effect when the warmup ends."
        )
        bounds = [max(b, warm_steps) for b in bounds]
        warm = Warmup(steps=warm.steps, start_lr=warm.start_lr, shape="linear_factor")
    return Schedule("piecewise", {"boundaries": intify(bounds), "values": values}), warm


def _cosine(
    path: Path,
    key: str,
    decay: dict[str, Any],
    base: float,
    c: float,
    epochs: Any,
    warm: Warmup | None,
    warm_steps: float,
    assumptions: list[str],
    settings: dict[str, Any],
) -> tuple[Schedule, Warmup | None]:
    """``CosineDecay``: a cosine from the end of the warmup over ``M - W - P`` iterations; when the
    warmup reaches the end there is no cosine, only the level PaddleDetection holds after it."""
    max_ep = decay.get("max_epochs", 1000)
    if "max_epochs" not in decay:
        assumptions.append(f"{key}.max_epochs is not set; the default 1000 applies.")
    m_total = as_float(max_ep, f"{path}: {key}.max_epochs") * c
    plateau = as_float(decay.get("last_plateau_epochs", 0), f"{path}: {key}") * c
    ratio = as_float(decay.get("min_lr_ratio", 0.0), f"{path}: {key}.min_lr_ratio")
    start = warm_steps
    if epochs is not None and float(max_ep) != float(epochs):
        assumptions.append(
            f"CosineDecay.max_epochs {max_ep} differs from epoch {epochs}: the cosine is "
            f"{'cut before it reaches its minimum' if float(max_ep) > float(epochs) else 'finished before training ends'} "
            "(PaddleDetection does this on purpose in some configs)."
        )
    if warm_steps == 0 and plateau == 0:
        assumptions.append(
            "Without warmup, PaddleDetection uses CosineAnnealingDecay, which rises again "
            "after max_epochs; lraudit holds the minimum instead."
        )
    if warm is not None and m_total - start - plateau <= 0:
        # CosineDecay's loop range(W, max_iters) appends nothing (or only min_lr plateau
        # values): the table ends with the warmup at base_lr.
        after = base * ratio if m_total > start else base
        assumptions.append(
            f"The {fmt(start)}-step warmup reaches CosineDecay's end ({fmt(m_total)} "
            f"iterations{' incl. the last plateau' if plateau else ''}): there is no cosine; "
            f"PaddleDetection holds {fmt(after)} after the warmup."
        )
        main = Schedule("piecewise", {"boundaries": [intify(start)], "values": [base, after]})
        warm = Warmup(steps=warm.steps, start_lr=warm.start_lr, shape="linear_factor")
    else:
        main = Schedule(
            "cosine",
            {
                "peak_lr": base,
                "end_lr": base * ratio,
                "decay_steps": intify(m_total - start - plateau),
                "start_step": intify(start),
            },
        )
    settings["max_epochs"] = max_ep
    return main, warm


def parse(path: Path, text: str, units: Units) -> IntendedSchedule:
    """The intended schedule of a PaddleDetection config (see the module docstring)."""
    loaded = load_yaml_with_bases(path, text, key="_BASE_")
    data = loaded.data
    assumptions = list(loaded.assumptions)
    settings: dict[str, Any] = {}
    base, scheds = _base_and_schedulers(path, data.get("LearningRate"), loaded.missing, assumptions)
    epochs = data.get("epoch")
    settings.update(base_lr=base, epoch=epochs, schedulers=plain(scheds))
    batch = (
        (data.get("TrainReader") or {}).get("batch_size")
        if isinstance(data.get("TrainReader"), dict)
        else None
    )
    if batch is not None:
        settings["TrainReader.batch_size"] = batch

    spe = units.steps_per_epoch
    if spe:
        assumptions.append(f"{fmt(spe)} iterations per epoch (given) convert epochs to iterations.")
    else:
        assumptions.append(
            "Iterations per epoch (floor(N / (batch_size x GPUs))) are not in the config: the "
            "schedule is kept in epochs; pass --steps-per-epoch to compare it with "
            "per-iteration logs."
        )
    c = float(spe) if spe else 1.0  # axis units per epoch

    decay = scheds[0]
    dkind = _kind(decay)
    key = f"LearningRate.schedulers[0] ({dkind})"
    if dkind not in _DECAYS:
        raise ConfigError(
            f"{path}: LearningRate.schedulers[0]: decay scheduler {dkind!r} is not supported; "
            f"lraudit reads {', '.join(_DECAYS)} (followed by {' or '.join(_WARMUPS)})"
        )
    use_warmup = bool(decay.get("use_warmup", True))
    warm_steps, warm = _warmup(path, scheds, use_warmup, base, spe, assumptions, settings)
    if dkind == "PiecewiseDecay":
        main, warm = _piecewise(path, key, decay, base, c, warm, warm_steps, assumptions)
    else:
        main, warm = _cosine(
            path, key, decay, base, c, epochs, warm, warm_steps, assumptions, settings
        )
    schedule = Schedule(main.family, main.params, warmup=warm) if warm is not None else main
    horizon = None
    if epochs is not None:
        horizon = int(round(float(epochs) * c))
    else:
        assumptions.append("epoch is not set: the run length is unknown.")
    assumptions.append(
        "PaddleDetection logs the LR used in each iteration (text log / VisualDL, not TensorBoard)."
    )
    return IntendedSchedule(
        schedule=schedule,
        source=str(path),
        format="paddledet",
        unit="iteration" if spe else "epoch",
        log_unit="iteration",
        steps_per_epoch=int(spe) if spe else None,
        horizon=horizon,
        world_size=units.world_size,
        expected_tags=("learning_rate", "lr"),
        assumptions=tuple(assumptions),
        settings={**settings, "log_step_offset": 0},
        configured_lengths=configured_lengths(settings),
    )


def _warmup(
    path: Path,
    scheds: list[Any],
    use_warmup: bool,
    base: float,
    spe: int | None,
    assumptions: list[str],
    settings: dict[str, Any],
) -> tuple[float, Warmup | None]:
    """(warmup length on the axis, Warmup or None) from ``schedulers[1]``."""
    if not use_warmup:
        if len(scheds) > 1:
            assumptions.append(
                "schedulers[0].use_warmup is false: PaddleDetection ignores schedulers[1]."
            )
        return 0.0, None
    if len(scheds) < 2:
        raise ConfigError(
            f"{path}: LearningRate.schedulers[0] has use_warmup true (the default) but there is "
            "no schedulers[1] warmup; PaddleDetection fails there (set use_warmup: false)"
        )
    if len(scheds) > 2:
        raise ConfigError(
            f"{path}: LearningRate.schedulers has {len(scheds)} entries; PaddleDetection uses "
            "only [decay, warmup]"
        )
    w = scheds[1]
    kind = _kind(w)
    key = f"LearningRate.schedulers[1] ({kind})"
    if kind not in _WARMUPS:
        raise ConfigError(
            f"{path}: LearningRate.schedulers[1]: warmup {kind!r} is not supported; lraudit "
            f"reads {', '.join(_WARMUPS)}"
        )
    default_steps = 500 if kind == "LinearWarmup" else 1000
    w_epochs = w.get("epochs")
    if w_epochs is not None and w.get("epochs_first", True):
        e = as_float(w_epochs, f"{path}: {key}.epochs")
        steps = e * spe if spe else e
        settings["warmup_epochs"] = e
    else:
        if "steps" not in w:
            assumptions.append(f"{key}.steps is not set; the default {default_steps} applies.")
        it = as_float(w.get("steps", default_steps), f"{path}: {key}.steps")
        settings["warmup_iters"] = it
        if not spe:
            assumptions.append(
                f"The {fmt(it)}-iteration warmup cannot be placed on the epoch axis without "
                "--steps-per-epoch; it is left out of the intended schedule."
            )
            return 0.0, None
        steps = it
    steps = max(steps, 1.0)
    if kind == "ExpWarmup":
        power = w.get("power", 2)
        assumptions.append(
            f"{key}: the warmup base*(t/{fmt(steps)})^{power} has no warmup shape in lraudit's "
            "vocabulary; the first steps are not modelled (the decay clock is unchanged)."
        )
        settings["unmodelled_warmup"] = {"type": kind, "steps": steps, "power": power}
        return steps, None
    sf = w.get("start_factor", 1 / 3)
    if "start_factor" not in w:
        assumptions.append(f"{key}.start_factor is not set; the default 1/3 applies.")
    sf = as_float(sf, f"{path}: {key}.start_factor")
    return steps, Warmup(steps=intify(steps), start_lr=base * sf, shape="linear")


PARSER = ConfigParser("paddledet", detect, parse)
