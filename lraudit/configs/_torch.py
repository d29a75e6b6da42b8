"""``torch.optim.lr_scheduler`` classes (by name + constructor arguments) as lraudit schedules.

Used by the Lightning parser (jsonargparse ``class_path`` / ``init_args``). ``t`` below is the
number of ``scheduler.step()`` calls (epochs or iterations, whichever the caller steps on);
``base`` is the optimizer's lr. Closed forms from ``torch/optim/lr_scheduler.py`` (torch 2.13;
see ``reference/formulas_torch.md`` section 1.2):

==============================  ==================================================================
class                           lraudit schedule
==============================  ==================================================================
StepLR(step_size, gamma=.1)     exponential(base, gamma, step_size, staircase=True)
MultiStepLR(milestones, gamma)  piecewise(sorted distinct milestones, base*gamma^k)
ExponentialLR(gamma)            exponential(base, gamma, 1, staircase=False)
CosineAnnealingLR(T_max, eta)   cosine(base, eta_min, T_max, start 0)
CosineAnnealingWarmRestarts     cosine_restarts(base, eta_min, T_0, T_mult, 1)
LinearLR(sf=1/3, ef=1, T=5)     ef == 1: constant(base) + linear warmup from sf*base over T;
                                otherwise polynomial(sf*base -> ef*base over T, power 1)
ConstantLR(factor=1/3, T=5)     constant(base) + constant warmup at factor*base over T
PolynomialLR(T=5, power=1)      polynomial(base -> 0 over T, power)
OneCycleLR(max_lr, ...)         one_cycle(max_lr, total_steps, pct_start, max/div, max/div/fdiv,
                                anneal, three_phase)
CyclicLR(base_lr, max_lr, ...)  cyclic(base_lr, max_lr, up, down (= up), mode, gamma)
ReduceLROnPlateau               constant(base): depends on a metric, cannot be checked from config
SequentialLR([warm, main], [m]) main shifted to start at m, with warm as the warmup (when warm is
                                LinearLR/ConstantLR and m equals its total_iters)
==============================  ==================================================================
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from lraudit.configs._intent import Notes, fmt_num, schedule, to_bool, to_number
from lraudit.errors import ConfigError
from lraudit.types import MetricDriven, Schedule, Warmup

#: Schedulers whose lr follows a metric or user code: lraudit cannot know the curve.
UNCHECKABLE = {"ReduceLROnPlateau"}
UNSUPPORTED = {"LambdaLR", "MultiplicativeLR", "ChainedScheduler"}


def class_name(class_path: Any) -> str:
    return str(class_path).rsplit(".", 1)[-1]


@dataclass(frozen=True)
class _Args:
    """The constructor arguments of one scheduler, read in the caller's words."""

    name: str
    args: dict[str, Any]
    notes: Notes
    key: str

    def num(self, k: str, default: Any = ..., integer: bool = False) -> Any:
        """``args[k]`` as a number; the torch default (recorded as an assumption) when absent."""
        name, notes, key = self.name, self.notes, self.key
        v = self.args.get(k)
        if v is None:
            if default is ...:
                raise ConfigError(f"{notes.where(key + '.' + k)} is missing ({name} needs it)")
            if default is not None:
                notes.assume(f"{name}.{k} not set; the torch default {fmt_num(default)} applies.")
            return default
        v = to_number(v, notes.where(f"{key}.{k}"))
        if integer and not float(v).is_integer():
            raise ConfigError(f"{notes.where(key + '.' + k)}: expected a whole number, got {v!r}")
        notes.settings[f"{name}.{k}"] = v
        return int(v) if integer else v


_Built: TypeAlias = "tuple[Schedule, float | None]"


def _step_lr(a: _Args, base: float) -> _Built:
    size, gamma = a.num("step_size", integer=True), a.num("gamma", 0.1)
    return schedule(
        "exponential",
        {
            "init_lr": base,
            "decay_rate": gamma,
            "decay_steps": size,
            "staircase": True,
            "start_step": 0,
        },
    ), None


def _multi_step_lr(a: _Args, base: float) -> _Built:
    """Repeated milestones multiply gamma in as often as they repeat (torch counts them)."""
    notes, key = a.notes, a.key
    ms = a.args.get("milestones")
    if not isinstance(ms, (list, tuple)) or not ms:
        raise ConfigError(f"{notes.where(key + '.milestones')}: expected a list of steps")
    gamma = a.num("gamma", 0.1)
    counts = Counter(int(to_number(m, notes.where(key + ".milestones"))) for m in ms)
    notes.settings[f"{a.name}.milestones"] = list(ms)
    bounds = sorted(counts)
    values, k = [base], 0
    for b in bounds:
        k += counts[b]
        values.append(base * gamma**k)
    return schedule("piecewise", {"boundaries": bounds, "values": values}), None


def _exponential_lr(a: _Args, base: float) -> _Built:
    gamma = a.num("gamma")
    return schedule(
        "exponential",
        {
            "init_lr": base,
            "decay_rate": gamma,
            "decay_steps": 1,
            "staircase": False,
            "start_step": 0,
        },
    ), None


def _cosine_annealing_lr(a: _Args, base: float) -> _Built:
    t_max, eta = a.num("T_max"), a.num("eta_min", 0.0)
    # torch's closed form is not clamped: past T_max the LR rises again (period 2 * T_max)
    params = {"peak_lr": base, "end_lr": eta, "decay_steps": t_max, "start_step": 0}
    return schedule("cosine", {**params, "after_end": "rise"}), t_max


def _cosine_warm_restarts(a: _Args, base: float) -> _Built:
    t0, mult, eta = (
        a.num("T_0", integer=True),
        a.num("T_mult", 1, integer=True),
        a.num("eta_min", 0.0),
    )
    return schedule(
        "cosine_restarts",
        {
            "peak_lr": base,
            "end_lr": eta,
            "first_period": t0,
            "period_mult": mult,
            "peak_decay": 1.0,
            "start_step": 0,
        },
    ), None


def _linear_lr(a: _Args, base: float) -> _Built:
    """A ramp to the base lr is a warmup; a ramp to any other factor is a linear decay."""
    sf, ef, t = a.num("start_factor", 1 / 3), a.num("end_factor", 1.0), a.num("total_iters", 5)
    if ef == 1.0:
        return schedule(
            "constant", {"lr": base}, Warmup(steps=t, start_lr=base * sf, shape="linear")
        ), t
    return schedule(
        "polynomial",
        {
            "init_lr": base * sf,
            "end_lr": base * ef,
            "decay_steps": t,
            "power": 1.0,
            "start_step": 0,
        },
    ), t


def _constant_lr(a: _Args, base: float) -> _Built:
    f, t = a.num("factor", 1 / 3), a.num("total_iters", 5)
    return schedule(
        "constant", {"lr": base}, Warmup(steps=t, start_lr=base * f, shape="constant")
    ), t


def _polynomial_lr(a: _Args, base: float) -> _Built:
    t, p = a.num("total_iters", 5), a.num("power", 1.0)
    return schedule(
        "polynomial",
        {"init_lr": base, "end_lr": 0.0, "decay_steps": t, "power": p, "start_step": 0},
    ), t


def _one_cycle_lr(a: _Args, base: float) -> _Built:
    """``max_lr`` replaces the optimizer lr; the length is total_steps or epochs x steps."""
    notes, key = a.notes, a.key
    max_lr = a.num("max_lr")
    total = a.num("total_steps", None)
    if total is None:
        ep, spe = a.num("epochs", None), a.num("steps_per_epoch", None)
        if ep is None or spe is None:
            raise ConfigError(
                f"{notes.where(key)}: OneCycleLR needs total_steps or epochs and steps_per_epoch"
            )
        total = ep * spe
        notes.assume(f"OneCycleLR total_steps = epochs x steps_per_epoch = {fmt_num(total)}.")
    div, fdiv = a.num("div_factor", 25.0), a.num("final_div_factor", 1e4)
    anneal = str(a.args.get("anneal_strategy", "cos"))
    three = to_bool(a.args.get("three_phase", False), notes.where(key + ".three_phase"))
    init = max_lr / div
    return schedule(
        "one_cycle",
        {
            "max_lr": max_lr,
            "total_steps": total,
            "pct_start": a.num("pct_start", 0.3),
            "init_lr": init,
            "end_lr": init / fdiv,
            "anneal": anneal,
            "three_phase": three,
        },
    ), total


def _cyclic_lr(a: _Args, base: float) -> _Built:
    up = a.num("step_size_up", 2000)
    down = a.num("step_size_down", None)
    if down is None:
        down = up
    mode = str(a.args.get("mode", "triangular"))
    if a.args.get("scale_fn") is not None:
        raise ConfigError(
            f"{a.notes.where(a.key + '.scale_fn')}: a custom scale_fn is code; "
            "lraudit cannot evaluate it"
        )
    a.notes.assume("CyclicLR overwrites the optimizer lr with base_lr at construction.")
    return schedule(
        "cyclic",
        {
            "base_lr": a.num("base_lr"),
            "max_lr": a.num("max_lr"),
            "step_size_up": up,
            "step_size_down": down,
            "mode": mode,
            "gamma": a.num("gamma", 1.0),
        },
    ), None


def _metric_driven(a: _Args, base: float) -> _Built:
    """A metric-driven scheduler: recorded as such, the intended curve taken as constant."""
    a.notes.metric_driven = MetricDriven(a.name, float(a.num("factor", 0.1)))
    a.notes.assume(
        f"{a.name} changes the LR when a monitored metric stops improving; the curve cannot "
        "be checked from the config (intended schedule taken as constant at the base LR)."
    )
    return schedule("constant", {"lr": base}), None


def _sequential_lr(a: _Args, base: float) -> _Built:
    return _sequential(a.args, base, a.notes, a.key)


#: One builder per scheduler class lraudit can express.
_BUILDERS: dict[str, Callable[[_Args, float], _Built]] = {
    "StepLR": _step_lr,
    "MultiStepLR": _multi_step_lr,
    "ExponentialLR": _exponential_lr,
    "CosineAnnealingLR": _cosine_annealing_lr,
    "CosineAnnealingWarmRestarts": _cosine_warm_restarts,
    "LinearLR": _linear_lr,
    "ConstantLR": _constant_lr,
    "PolynomialLR": _polynomial_lr,
    "OneCycleLR": _one_cycle_lr,
    "CyclicLR": _cyclic_lr,
    **{name: _metric_driven for name in sorted(UNCHECKABLE)},
    "SequentialLR": _sequential_lr,
}

KNOWN = set(_BUILDERS)


def torch_schedule(
    name: str, args: dict[str, Any], base: float, notes: Notes, key: str
) -> tuple[Schedule, float | None]:
    """The schedule of scheduler ``name`` built with ``args`` over an optimizer at ``base``.

    Returns the schedule and its natural length in scheduler steps (None when unbounded).
    ``key`` names the config location for error messages.
    """
    build = _BUILDERS.get(name)
    if build is not None:
        return build(_Args(name, dict(args or {}), notes, key), base)
    if name in UNSUPPORTED:
        raise ConfigError(
            f"{notes.where(key)}: {name} is defined by code or by a chain lraudit cannot "
            "express; describe the schedule in lraudit's own YAML (--config-format lraudit)"
        )
    raise ConfigError(
        f"{notes.where(key)}: unknown scheduler {name!r}; lraudit knows " + ", ".join(sorted(KNOWN))
    )


def _sequential(
    args: dict[str, Any], base: float, notes: Notes, key: str
) -> tuple[Schedule, float | None]:
    subs, ms = args.get("schedulers"), args.get("milestones")
    if not (isinstance(subs, list) and isinstance(ms, list) and len(subs) == 2 and len(ms) == 1):
        raise ConfigError(
            f"{notes.where(key)}: SequentialLR is supported as [warmup scheduler, main scheduler] "
            "with one milestone"
        )
    m = to_number(ms[0], notes.where(key + ".milestones"))
    parts = []
    for i, sub in enumerate(subs):
        if not isinstance(sub, dict) or "class_path" not in sub:
            raise ConfigError(f"{notes.where(f'{key}.schedulers[{i}]')}: expected class_path")
        parts.append((class_name(sub["class_path"]), sub.get("init_args") or {}))
    (wname, wargs), (mname, margs) = parts
    first, _ = torch_schedule(wname, wargs, base, notes, f"{key}.schedulers[0]")
    if first.family != "constant" or first.warmup is None or first.warmup.steps != m:
        raise ConfigError(
            f"{notes.where(key)}: SequentialLR's first scheduler must be a LinearLR/ConstantLR "
            f"warmup ending at the milestone {fmt_num(m)}"
        )
    main, length = torch_schedule(mname, margs, base, notes, f"{key}.schedulers[1]")
    p = dict(main.params)
    if "start_step" in p:
        p["start_step"] = p["start_step"] + m
    elif main.family == "piecewise":
        p["boundaries"] = [b + m for b in p["boundaries"]]
    elif main.family != "constant":
        raise ConfigError(
            f"{notes.where(key)}: SequentialLR over {mname} cannot be shifted by the milestone "
            "in lraudit's vocabulary"
        )
    notes.assume(f"SequentialLR: {mname} starts counting at step {fmt_num(m)} (its milestone).")
    return schedule(main.family, p, first.warmup, main.min_lr), (
        None if length is None else length + m
    )
