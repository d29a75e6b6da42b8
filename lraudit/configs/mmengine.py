"""Config parser ``mmengine``: MMEngine ``param_scheduler`` and mmcv 1.x ``lr_config`` (Python).

The Python config is read with :func:`lraudit.configs._common.read_python_config` (``_base_``
merge with ``_delete_``, ``{{_base_.x}}`` placeholders, lazy-import ``type=LinearLR``); nothing is
executed. The schedule is expressed in iterations when it can be (iteration-based schedulers,
or ``steps_per_epoch`` given), else in epochs with the assumption recorded.

MMEngine (``c`` = iterations per scheduler step: ``steps_per_epoch`` for ``by_epoch=True``,
1 otherwise; ``b``/``e`` = ``begin``/``end`` on the chosen axis):

=============================================  ===============================================
MMEngine                                       lraudit
=============================================  ===============================================
``LinearLR(start_factor=sf, begin=0, end=W)``  ``Warmup(steps=(W-1)c, start_lr=sf*lr, linear)``
  first, rising to 1                           (MMEngine reaches the base LR at ``end-1``)
``ConstantLR(factor, begin=0, end=W)`` first   ``Warmup(steps=(W-1)c, start_lr=factor*lr,
                                               constant)``
``MultiStepLR(milestones, gamma)``             ``piecewise(boundaries=b+m*c, values=lr*gamma**k)``
``StepLR(step_size, gamma)``                   ``exponential(staircase=True, decay_steps=
                                               step_size*c, start_step=b)``
``ExponentialLR(gamma)``                       ``exponential(decay_steps=c, start_step=b)``
``CosineAnnealingLR(T_max, eta_min[_ratio])``  ``cosine(peak_lr=lr, end_lr=eta_min,
                                               decay_steps=T_max*c, start_step=b)``
``PolyLR(eta_min, power)``                     ``polynomial(decay_steps=(e-b)-c, start_step=b)``
``LinearLR`` (decaying)                        ``polynomial(power=1)``
``OneCycleLR``                                 ``one_cycle``
=============================================  ===============================================

mmcv 1.x ``lr_config``: ``policy`` step (int or list) / CosineAnnealing / poly / exp / fixed,
with ``warmup`` linear / constant / exp over ``warmup_iters`` iterations from
``warmup_ratio * lr`` -> ``Warmup(warmup_iters, warmup_ratio*lr, shape)`` (exact: mmcv's
``regular * (r + (1 - r) i / W)`` is lraudit's ramp to the family's value at ``W``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lraudit.configs._common import (
    as_float,
    fmt,
    intify,
    lookup,
    plain,
    read_python_config,
    type_name,
)
from lraudit.configs._intent import configured_lengths
from lraudit.configs._mm import iterations_per_epoch, need, tidy
from lraudit.configs.base import ConfigParser, Units
from lraudit.configs.mmcv import parse_mmcv
from lraudit.errors import ConfigError
from lraudit.types import IntendedSchedule, Schedule, Warmup

_MAIN = (
    "MultiStepLR",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "PolyLR",
    "LinearLR",
    "OneCycleLR",
)


def detect(path: Path, text: str) -> int:
    """2 for a ``.py`` with ``param_scheduler =`` or ``lr_config =``; 1 for other mm configs."""
    if path.suffix != ".py":
        return 0
    if re.search(r"^(param_scheduler|lr_config)\s*=", text, re.M) or "read_base()" in text:
        return 2
    if re.search(r"^(_base_|optim_wrapper|optimizer|runner|train_cfg)\s*=", text, re.M):
        return 1
    return 0


def parse(path: Path, text: str, units: Units) -> IntendedSchedule:
    """The intended schedule of an MMEngine / mmcv config (see the module docstring)."""
    cfg = read_python_config(path, text, base_key="_base_")
    values = cfg.values
    assumptions = [n for n in cfg.notes if "not found" in n]
    skipped = len(cfg.notes) - len(assumptions)
    if skipped:
        assumptions.append(
            f"{skipped} statement(s) not needed for the schedule were not evaluated."
        )
    if "param_scheduler" in values:
        return _parse_mmengine(path, values, units, assumptions)
    if "lr_config" in values:
        return parse_mmcv(path, values, units, assumptions)
    missing = " ".join(n for n in assumptions if "not found" in n)
    raise ConfigError(
        f"{path}: neither param_scheduler (MMEngine) nor lr_config (mmcv) is set. {missing}".rstrip()
    )


class _Axis:
    """Where by-epoch quantities land: iterations (``spe`` known) or epochs."""

    def __init__(self, spe: int | None, epoch_axis: bool) -> None:
        self.spe = spe
        self.epoch_axis = epoch_axis

    def scale(self, by_epoch: bool) -> float | None:
        """Axis units per scheduler step; None when an iteration count cannot be placed."""
        if self.epoch_axis:
            return 1.0 if by_epoch else None
        if by_epoch:
            return float(self.spe) if self.spe else None
        return 1.0

    @property
    def unit(self) -> str:
        return "epoch" if self.epoch_axis else "iteration"


# --------------------------------------------------------------------------- MMEngine


def _train_length(values: dict[str, Any], settings: dict[str, Any]) -> tuple[Any, Any, str | None]:
    """(max_epochs, max_iters, train loop type) of ``train_cfg``; an iteration-based loop has no
    epochs."""
    train_cfg = values.get("train_cfg") or {}
    max_epochs = train_cfg.get("max_epochs") if isinstance(train_cfg, dict) else None
    max_iters = train_cfg.get("max_iters") if isinstance(train_cfg, dict) else None
    loop = type_name(train_cfg.get("type")) if isinstance(train_cfg, dict) else None
    if max_iters is not None or loop == "IterBasedTrainLoop":
        max_epochs = None
    settings.update(max_epochs=max_epochs, max_iters=max_iters, train_loop=loop)
    return max_epochs, max_iters, loop


def _acting_schedulers(
    path: Path,
    raw: Any,
    max_epochs: Any,
    max_iters: Any,
    loop: str | None,
    assumptions: list[str],
    settings: dict[str, Any],
) -> list[dict[str, Any]]:
    """The ``param_scheduler`` entries that change the LR, normalised (``_i`` index, ``_type``,
    ``by_epoch``, ``end``, ``_per_iter`` after convert_to_iter_based); no-op ConstantLR(factor=1)
    and by-epoch schedulers in an IterBasedTrainLoop (never stepped) are left out."""
    if not isinstance(raw, (dict, list, tuple)):
        raise ConfigError(
            f"{path}: param_scheduler must be a dict or a list of dicts, got {type(raw).__name__}"
        )
    scheds = [raw] if isinstance(raw, dict) else list(raw)
    items: list[dict[str, Any]] = []
    for i, s in enumerate(scheds):
        if not isinstance(s, dict):
            raise ConfigError(f"{path}: param_scheduler[{i}] must be a dict, got {s!r}")
        s = dict(s)
        s["_i"] = i
        s["_type"] = type_name(s.get("type"))
        by_epoch = bool(s.get("by_epoch", True))
        if s.get("convert_to_iter_based") and by_epoch:
            s["_per_iter"] = True  # stepped every iteration; quantities are epochs x spe
        if "end" not in s:
            s["end"] = max_epochs if by_epoch else max_iters
        s["by_epoch"] = by_epoch
        if s["_type"] == "ConstantLR" and float(s.get("factor", 1 / 3)) == 1.0:
            continue  # factor 1 is a no-op (mmdet uses it to hold the LR at the end)
        if loop == "IterBasedTrainLoop" and by_epoch and not s.get("_per_iter"):
            # IterBasedTrainLoop.run calls after_train_epoch once, after the last iteration, and
            # ParamSchedulerHook steps by_epoch schedulers only there: this one never acts.
            assumptions.append(
                f"param_scheduler[{i}] ({s['_type']}) has by_epoch=True"
                f"{'' if 'by_epoch' in scheds[i] else ' (the default)'} in an IterBasedTrainLoop: "
                "MMEngine never steps it during training, so it does not change the LR (set "
                "by_epoch=False, or convert_to_iter_based=True, for it to act)."
            )
            settings.setdefault("never_stepped", []).append(plain(s))
            continue
        items.append(s)
    settings["param_scheduler"] = [
        plain({k: v for k, v in s.items() if not k.startswith("_")}) for s in items
    ]
    return items


def _warmup_and_main(
    path: Path, items: list[dict[str, Any]]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(warmup scheduler, decay scheduler), each None when absent; lraudit models one of each."""
    for s in items:
        if s["_type"] not in _MAIN and s["_type"] != "ConstantLR":
            raise ConfigError(
                f"{path}: param_scheduler[{s['_i']}] ({s['_type']}): scheduler type "
                f"{s['_type']!r} is not supported; lraudit reads LinearLR/ConstantLR warmups and "
                f"{', '.join(_MAIN)}"
            )
    items = list(items)
    warm_item = None
    if items and _is_warmup(items[0]) and int(items[0].get("begin", 0)) == 0:
        warm_item = items.pop(0)
    if len(items) > 1:
        names = [s["_type"] for s in items]
        raise ConfigError(
            f"{path}: param_scheduler chains {len(items)} schedulers after the warmup ({names}); "
            "lraudit models one warmup and one decay scheduler"
        )
    return warm_item, (items[0] if items else None)


def _parse_mmengine(
    path: Path, values: dict[str, Any], units: Units, assumptions: list[str]
) -> IntendedSchedule:
    base = as_float(
        need(lookup(values, "optim_wrapper.optimizer.lr"), "optim_wrapper.optimizer.lr", path),
        f"{path}: optim_wrapper.optimizer.lr",
    )
    settings: dict[str, Any] = {"lr": base}
    max_epochs, max_iters, loop = _train_length(values, settings)
    base = _auto_scale(path, values, base, units, assumptions, settings)
    raw = need(values.get("param_scheduler"), "param_scheduler", path)
    items = _acting_schedulers(path, raw, max_epochs, max_iters, loop, assumptions, settings)
    any_epoch = any(s["by_epoch"] for s in items) or (max_epochs is not None and max_iters is None)
    spe = iterations_per_epoch(units, assumptions, any_epoch)
    axis = _Axis(spe, epoch_axis=any_epoch and spe is None)
    warm_item, main_item = _warmup_and_main(path, items)
    if main_item is not None:
        main = tidy(_mm_main(path, main_item, base, axis, assumptions))
    else:
        main = Schedule("constant", {"lr": base})
        if warm_item is None:
            assumptions.append("param_scheduler is empty: the LR stays at the optimizer's lr.")
    schedule = main
    if warm_item is not None:
        schedule = _mm_warmup(path, warm_item, main, base, axis, assumptions, settings)
        if (
            main_item is not None
            and int(main_item.get("begin", 0)) == 0
            and main.family not in ("piecewise", "constant")
        ):
            assumptions.append(
                "The warmup overlaps the decay scheduler; MMEngine multiplies the two, lraudit "
                "ramps to the decayed value at the warmup end (they differ slightly meanwhile)."
            )
    assumptions.append(
        "MMEngine logs 'lr' at iteration i+1 (1-based) with the LR of 0-based iteration i; the "
        "schedule counts 0-based iterations (compare with a 1-step offset)."
    )
    return IntendedSchedule(
        schedule=schedule,
        source=str(path),
        format="mmengine",
        unit=axis.unit,
        log_unit="iteration",
        steps_per_epoch=spe,
        horizon=_horizon(max_iters, max_epochs, axis, spe),
        world_size=units.world_size,
        expected_tags=("lr", "train/lr"),
        assumptions=tuple(assumptions),
        settings={**settings, "log_step_offset": 1},
        configured_lengths=configured_lengths(settings),
    )


def _horizon(max_iters: Any, max_epochs: Any, axis: _Axis, spe: int | None) -> int | None:
    """The run's length on the axis (None when it cannot be placed there)."""
    if max_iters is not None:
        return int(max_iters) if not axis.epoch_axis else None
    if max_epochs is not None:
        return int(max_epochs) if axis.epoch_axis else (int(max_epochs) * spe if spe else None)
    return None


def _is_warmup(s: dict[str, Any]) -> bool:
    if s["_type"] == "LinearLR":
        sf = float(s.get("start_factor", 1 / 3))
        ef = float(s.get("end_factor", 1.0))
        return sf < ef and ef == 1.0
    return s["_type"] == "ConstantLR"


def _window(path: Path, s: dict[str, Any], axis: _Axis) -> tuple[float, float, float]:
    """(scale, begin, end) of a scheduler on the axis; ConfigError when it cannot be placed."""
    key = f"param_scheduler[{s['_i']}] ({s['_type']})"
    c = axis.scale(s["by_epoch"])
    if c is None:
        raise ConfigError(
            f"{path}: {key} counts {'epochs' if s['by_epoch'] else 'iterations'} and cannot be "
            f"placed on the {axis.unit} axis of this schedule; pass --steps-per-epoch"
        )
    begin = as_float(s.get("begin", 0), f"{path}: {key}.begin")
    end_raw = s.get("end")
    end = math.inf if end_raw is None else as_float(end_raw, f"{path}: {key}.end")
    return c, begin * c, end * c


def _mm_warmup(
    path: Path,
    s: dict[str, Any],
    main: Schedule,
    base: float,
    axis: _Axis,
    assumptions: list[str],
    settings: dict[str, Any],
) -> Schedule:
    key = f"param_scheduler[{s['_i']}] ({s['_type']})"
    c = axis.scale(s["by_epoch"])
    end = as_float(need(s.get("end"), f"{key}.end", path), f"{path}: {key}.end")
    if c is None:
        assumptions.append(
            f"The {fmt(end)}-iteration {s['_type']} warmup cannot be placed on the epoch axis "
            "without --steps-per-epoch; it is left out of the intended schedule."
        )
        settings["warmup_iters"] = end
        return main
    stepped_per_iter = not s["by_epoch"] or s.get("_per_iter", False)
    # MMEngine's LinearLR reaches its end factor at local step end-begin-1 (T = end-begin-1).
    if axis.epoch_axis:
        # convert_to_iter_based without steps_per_epoch: end*spe-1 iterations, about `end` epochs
        steps = end if stepped_per_iter else end - 1
    else:
        steps = end * c - 1 if stepped_per_iter else (end - 1) * c
    if s["by_epoch"] and not s.get("_per_iter") and not axis.epoch_axis:
        assumptions.append(
            f"{key} is stepped once per epoch; it is modelled as a linear ramp over iterations."
        )
    settings["warmup_steps"] = steps
    if steps <= 0:
        return main
    if s["_type"] == "LinearLR":
        sf = as_float(s.get("start_factor", 1 / 3), f"{path}: {key}.start_factor")
        if "start_factor" not in s:
            assumptions.append(f"{key}.start_factor is not set; the default 1/3 applies.")
        # MMEngine chains schedulers: LinearLR multiplies the running LR (the decay scheduler's
        # value at the same step) by start_factor -> 1, i.e. lraudit's linear_factor shape.
        warm = Warmup(steps=intify(steps), start_lr=sf * base, shape="linear_factor")
    else:
        factor = as_float(s.get("factor", 1 / 3), f"{path}: {key}.factor")
        warm = Warmup(steps=intify(steps), start_lr=factor * base, shape="constant")
    assumptions.append(
        f"{key} warmup ends at step {fmt(steps)}: MMEngine reaches the base LR at end-1."
    )
    return Schedule(main.family, main.params, warmup=warm, min_lr=main.min_lr)


@dataclass(frozen=True)
class _Main:
    """One decay scheduler placed on the axis: ``c`` axis units per scheduler unit, ``[b, e)``
    its window, ``step_unit`` the axis units between two of its own steps."""

    path: Path
    s: dict[str, Any]
    key: str
    base: float
    c: float
    b: float
    e: float
    step_unit: float

    def num(self, name: str, default: Any = None) -> float:
        v = self.s.get(name, default)
        if v is None:
            raise ConfigError(f"{self.path}: {self.key}.{name} is required")
        return as_float(v, f"{self.path}: {self.key}.{name}")


def _multi_step(m: _Main) -> Schedule:
    """Milestones (scheduler units from ``begin``) inside the window; none left is constant."""
    path, key, base, b, c, e = m.path, m.key, m.base, m.b, m.c, m.e
    ms = [
        as_float(x, f"{path}: {key}.milestones")
        for x in need(m.s.get("milestones"), f"{key}.milestones", path)
    ]
    gamma = m.num("gamma", 0.1)
    bounds = [int(round(b + x * c)) for x in sorted(ms) if b + x * c < e]
    if not bounds:
        return Schedule("constant", {"lr": base})
    return Schedule(
        "piecewise",
        {"boundaries": bounds, "values": [base * gamma**k for k in range(len(bounds) + 1)]},
    )


def _step_or_exponential(m: _Main) -> Schedule:
    """StepLR (a staircase every ``step_size``) and ExponentialLR (every scheduler step)."""
    kind = m.s["_type"]
    gamma = m.num("gamma", 0.1 if kind == "StepLR" else None)
    size = m.num("step_size") * m.c if kind == "StepLR" else m.step_unit
    return Schedule(
        "exponential",
        {
            "init_lr": m.base,
            "decay_rate": gamma,
            "decay_steps": size,
            "staircase": kind == "StepLR" or m.step_unit > 1,
            "start_step": m.b,
        },
    )


def _cosine_annealing(m: _Main) -> Schedule:
    """Over ``T_max`` (else the window) to ``eta_min`` or ``eta_min_ratio`` x lr."""
    path, key, s = m.path, m.key, m.s
    t_max = s.get("T_max")
    t = as_float(t_max, f"{path}: {key}.T_max") * m.c if t_max is not None else m.e - m.b
    if math.isinf(t):
        raise ConfigError(f"{path}: {key}: T_max and end are both unset")
    if "eta_min_ratio" in s and s["eta_min_ratio"] is not None:
        end_lr = m.base * m.num("eta_min_ratio")
    else:
        end_lr = m.num("eta_min", 0.0)
    return Schedule(
        "cosine", {"peak_lr": m.base, "end_lr": end_lr, "decay_steps": t, "start_step": m.b}
    )


def _poly_or_linear(m: _Main) -> Schedule:
    """PolyLR and LinearLR reach their end value at the window's last scheduler step."""
    if math.isinf(m.e):
        raise ConfigError(f"{m.path}: {m.key}.end is not set and the run length is unknown")
    if m.s["_type"] == "PolyLR":
        init, end_lr, power = m.base, m.num("eta_min", 0.0), m.num("power", 1.0)
    else:
        init, end_lr, power = (
            m.base * m.num("start_factor", 1 / 3),
            m.base * m.num("end_factor", 1.0),
            1.0,
        )
    return Schedule(
        "polynomial",
        {
            "init_lr": init,
            "end_lr": end_lr,
            "decay_steps": (m.e - m.b) - m.step_unit,
            "power": power,
            "start_step": m.b,
        },
    )


def _one_cycle(m: _Main) -> Schedule:
    total = m.s.get("total_steps")
    tot = (
        as_float(total, f"{m.path}: {m.key}.total_steps") * m.c if total is not None else m.e - m.b
    )
    peak = m.num("eta_max", 0.0)
    init = peak / m.num("div_factor", 25.0)
    return Schedule(
        "one_cycle",
        {
            "max_lr": peak,
            "total_steps": tot,
            "pct_start": m.num("pct_start", 0.3),
            "init_lr": init,
            "end_lr": init / m.num("final_div_factor", 1e4),
            "anneal": m.s.get("anneal_strategy", "cos"),
            "three_phase": bool(m.s.get("three_phase", False)),
        },
    )


#: The curve of each decay scheduler type (the names of :data:`_MAIN`).
_MAIN_BUILDERS: dict[str, Callable[[_Main], Schedule]] = {
    "MultiStepLR": _multi_step,
    "StepLR": _step_or_exponential,
    "ExponentialLR": _step_or_exponential,
    "CosineAnnealingLR": _cosine_annealing,
    "PolyLR": _poly_or_linear,
    "LinearLR": _poly_or_linear,
    "OneCycleLR": _one_cycle,
}


def _mm_main(
    path: Path, s: dict[str, Any], base: float, axis: _Axis, assumptions: list[str]
) -> Schedule:
    kind = s["_type"]
    key = f"param_scheduler[{s['_i']}] ({kind})"
    c, b, e = _window(path, s, axis)
    per_iter = not s["by_epoch"] or s.get("_per_iter", False)
    # Units in which the scheduler counts its own steps, on the axis: 1 iteration when stepped
    # per iteration (also after convert_to_iter_based), else one epoch (= c).
    step_unit = 1.0 if (per_iter and not axis.epoch_axis) else c
    held = s["by_epoch"] and not s.get("_per_iter") and not axis.epoch_axis
    if held and kind in ("CosineAnnealingLR", "PolyLR", "LinearLR") and not math.isinf(e):
        # ParamSchedulerHook steps a by_epoch scheduler in after_train_epoch only: during
        # epoch k the LR is the curve's value at k - begin (frozen at end - 1 - begin after end).
        curve = _mm_main(path, {**s, "_per_iter": True}, base, axis, [])
        n = int(round((e - b) / c))
        bounds = [b + j * c for j in range(1, n)]
        values = [float(v) for v in curve.evaluate([b] + bounds)]
        assumptions.append(
            f"{key} is stepped once per epoch (ParamSchedulerHook.after_train_epoch): the LR is "
            "held for each epoch's iterations (a staircase on the iteration axis)."
        )
        return Schedule("piecewise", {"boundaries": bounds, "values": values})
    if held and kind != "MultiStepLR":
        assumptions.append(
            f"{key} is stepped once per epoch: the logged LR is constant within each epoch; "
            "lraudit models it as a continuous curve over iterations."
        )
    build = _MAIN_BUILDERS.get(kind)
    if build is None:
        raise ConfigError(
            f"{path}: {key}: scheduler type {kind!r} is not supported; lraudit reads LinearLR/"
            f"ConstantLR warmups and {', '.join(_MAIN)}"
        )
    return build(_Main(path, s, key, base, c, b, e, step_unit))


def _auto_scale(
    path: Path,
    values: dict[str, Any],
    base: float,
    units: Units,
    assumptions: list[str],
    settings: dict[str, Any],
) -> float:
    asl = values.get("auto_scale_lr")
    if not isinstance(asl, dict):
        return base
    bbs = asl.get("base_batch_size")
    enable = bool(asl.get("enable", False))
    batch = lookup(values, "train_dataloader.batch_size")
    settings["auto_scale_lr"] = {"enable": enable, "base_batch_size": bbs, "batch_size": batch}
    if not enable:
        assumptions.append(
            f"auto_scale_lr.enable is False: the LR is not rescaled for the batch size (mmdet's "
            f"--auto-scale-lr would scale it by world_size x batch / {bbs})."
        )
        return base
    if units.world_size is None or not isinstance(batch, int) or not bbs:
        assumptions.append(
            "auto_scale_lr is enabled but the world size or the per-GPU batch size is unknown "
            "(pass --world-size): the LR is assumed unscaled."
        )
        return base
    factor = units.world_size * batch / float(bbs)
    assumptions.append(
        f"auto_scale_lr: lr {base:g} x ({units.world_size} GPUs x {batch}) / {bbs} = "
        f"{base * factor:g}."
    )
    return base * factor


PARSER = ConfigParser("mmengine", detect, parse)
