"""Config parser ``timm``: the ``args.yaml`` that timm's ``train.py`` writes (or reads with -c).

Schedulers (``timm/scheduler``; ``reference/formulas_torch.md`` section 5), ``t`` = epoch
(``sched_on_updates`` false, the default) and ``W`` = ``warmup_epochs``:

==========  =======================================================================
sched       lraudit schedule
==========  =======================================================================
cosine      cosine(lr, min_lr, epochs, start 0) (start W with warmup_prefix); with
            lr_cycle_limit > 1: cosine_restarts(lr, min_lr, epochs, lr_cycle_mul,
            lr_cycle_decay)
step        exponential(lr, decay_rate, decay_epochs, staircase, start 0 / W)
multistep   piecewise(m - 1 for each milestone m, lr * decay_rate^k): timm decays one
            epoch before each milestone
poly        polynomial(lr, min_lr, epochs, power = decay_rate, start 0 / W)
plateau     constant(lr): follows a metric, cannot be checked from the config
tanh        refused: no lraudit family
==========  =======================================================================

Warmup: linear from ``warmup_lr`` over ``warmup_epochs``. Without ``warmup_prefix`` timm ramps
towards ``lr`` (``warmup_lr + t (lr - warmup_lr) / W`` for whole ``t < W``) and then jumps onto
the decay curve ``f``, which started at 0; lraudit's linear warmup ramps to the curve's value at
its end instead, so the warmup is given the end ``W' in (W - 1, W]`` solving
``(f(W') - warmup_lr) / W' = (lr - warmup_lr) / W``: same start and slope, hence timm's LR at
every whole epoch (the only points timm evaluates), stated in the assumptions. When ``lr`` is null
timm derives it from ``lr_base * global_batch / lr_base_size`` (sqrt scaling for ada*/lamb
optimizers), with the world size not in args.yaml (``--world-size``, else 1). timm logs the
mean LR of the param groups to ``summary.csv`` (column ``lr``) per epoch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lraudit.configs._intent import (
    Notes,
    fmt_num,
    intended,
    linear_warmup,
    read_mapping,
    scale_time,
    schedule,
    to_bool,
    try_mapping,
)
from lraudit.configs.base import ConfigParser, Units
from lraudit.errors import ConfigError
from lraudit.types import IntendedSchedule, MetricDriven, Schedule, Warmup

_TIMM_KEYS = {
    "sched",
    "warmup_lr",
    "min_lr",
    "decay_epochs",
    "cooldown_epochs",
    "lr_base",
    "lr_cycle_limit",
    "model_ema",
    "smoothing",
    "aa",
    "reprob",
    "sched_on_updates",
}
KNOWN = ("cosine", "step", "multistep", "poly", "plateau")


def detect(path: Path, text: str) -> int:
    if path.suffix.lower() not in (".yaml", ".yml"):
        return 0
    data = try_mapping(path, text)
    if not data or "sched" not in data:
        return 0
    hits = len(_TIMM_KEYS & set(data))
    if hits >= 4:
        return 2 if path.name.lower() == "args.yaml" else 1
    return 0


@dataclass(frozen=True)
class _Args:
    """The scheduler arguments of one args.yaml, read with timm's defaults (in epochs)."""

    data: dict[str, Any]
    notes: Notes
    lr: float
    epochs: Any
    wep: Any
    wlr: Any
    min_lr: float
    rate: Any
    cooldown: Any
    prefix: bool
    on_updates: bool
    limit: int

    @property
    def start(self) -> Any:
        """Where the decay starts: after the warmup with ``warmup_prefix``, else at 0."""
        return self.wep if self.prefix and self.wep > 0 else 0

    @classmethod
    def read(cls, data: dict[str, Any], notes: Notes, units: Units) -> _Args:
        lr = _lr(data, notes, units)
        epochs = notes.number(data, "epochs", 300)
        wep = notes.number(data, "warmup_epochs", 5)
        wlr = notes.number(data, "warmup_lr", 1e-5)
        min_lr = float(notes.number(data, "min_lr", 0.0))
        rate = notes.number(data, "decay_rate", 0.1)
        cooldown = notes.number(data, "cooldown_epochs", 0)
        prefix = to_bool(data.get("warmup_prefix", False) or False, notes.where("warmup_prefix"))
        on_updates = to_bool(
            data.get("sched_on_updates", False) or False, notes.where("sched_on_updates")
        )
        if data.get("lr_noise") is not None:
            raise ConfigError(
                f"{notes.where('lr_noise')}: LR noise is random; lraudit cannot "
                "check a noisy schedule against a curve"
            )
        k_decay = notes.number(data, "lr_k_decay", 1.0)
        if k_decay != 1.0:
            raise ConfigError(
                f"{notes.where('lr_k_decay')}: k-decay {fmt_num(k_decay)} has no "
                "lraudit family (1.0 only)"
            )
        limit = int(notes.number(data, "lr_cycle_limit", 1))
        return cls(
            data, notes, lr, epochs, wep, wlr, min_lr, rate, cooldown, prefix, on_updates, limit
        )


def _cosine(a: _Args) -> tuple[Schedule, Any]:
    """``cosine`` (``cosine_restarts`` with lr_cycle_limit > 1); the run lasts the cycles, the
    cooldown and the prefix warmup."""
    notes, lr, min_lr, epochs, start = a.notes, a.lr, a.min_lr, a.epochs, a.start
    if a.limit > 1:
        sched = schedule(
            "cosine_restarts",
            {
                "peak_lr": lr,
                "end_lr": min_lr,
                "first_period": epochs,
                "period_mult": notes.number(a.data, "lr_cycle_mul", 1.0),
                "peak_decay": notes.number(a.data, "lr_cycle_decay", 0.5),
                "start_step": start,
            },
        )
        decay = sched.params["peak_decay"]
        if min_lr > 0 and decay != 1:
            notes.assume(
                f"timm decays each cycle's peak as lr x {fmt_num(decay)}^i with the floor "
                "fixed, while lraudit's cosine_restarts decays peak - floor: cycles after "
                "the first differ slightly when min_lr > 0."
            )
        if a.prefix and a.wep > 0:
            raise ConfigError(
                f"{notes.where('warmup_prefix')}: restarts after a prefix "
                "warmup cannot be expressed (cycles count from step 0)"
            )
    else:
        sched = schedule(
            "cosine",
            {"peak_lr": lr, "end_lr": min_lr, "decay_steps": epochs, "start_step": start},
        )
    mul = float(sched.params.get("period_mult", 1.0))
    cycles = max(a.limit, 1)
    # timm's get_cycle_length(): t_initial x (1 + mul + ... + mul^(cycles - 1))
    length = epochs * cycles if mul == 1 else epochs * (mul**cycles - 1) / (mul - 1)
    return sched, length + a.cooldown + start


def _poly(a: _Args) -> tuple[Schedule, Any]:
    a.notes.assume(f"timm's poly uses decay_rate {fmt_num(a.rate)} as the power.")
    sched = schedule(
        "polynomial",
        {
            "init_lr": a.lr,
            "end_lr": a.min_lr,
            "decay_steps": a.epochs,
            "power": a.rate,
            "start_step": a.start,
        },
    )
    return sched, a.epochs + a.cooldown + a.start


def _step(a: _Args) -> tuple[Schedule, Any]:
    de = a.notes.number(a.data, "decay_epochs", 90)
    sched = schedule(
        "exponential",
        {
            "init_lr": a.lr,
            "decay_rate": a.rate,
            "decay_steps": de,
            "staircase": True,
            "start_step": a.start,
        },
    )
    return sched, a.epochs


def _multistep(a: _Args) -> tuple[Schedule, Any]:
    """``multistep``: timm drops one epoch before each milestone."""
    notes = a.notes
    ms = a.data.get("decay_milestones")
    if ms is None:
        ms = [90, 180, 270]
        notes.assume("decay_milestones not set; timm's default [90, 180, 270] applies.")
    if not isinstance(ms, list) or not ms:
        raise ConfigError(f"{notes.where('decay_milestones')}: expected a list of epochs")
    notes.settings["decay_milestones"] = ms
    bounds = [int(m) - 1 + a.start for m in sorted(ms)]
    values = [a.lr * a.rate**k for k in range(len(bounds) + 1)]
    notes.assume(
        "timm's MultiStepLRScheduler decays one epoch before each milestone "
        "(bisect_right(milestones, t + 1))."
    )
    return schedule("piecewise", {"boundaries": bounds, "values": values}), a.epochs


def _plateau(a: _Args) -> tuple[Schedule, Any]:
    a.notes.metric_driven = MetricDriven("plateau", float(a.rate))
    a.notes.assume(
        "plateau follows the eval metric: the curve cannot be checked from the "
        "config (intended schedule taken as constant)."
    )
    return schedule("constant", {"lr": a.lr}), a.epochs


#: The schedule and run length (epochs) of each ``sched``.
_BUILDERS: dict[str, Callable[[_Args], tuple[Schedule, Any]]] = {
    "cosine": _cosine,
    "step": _step,
    "multistep": _multistep,
    "poly": _poly,
    "plateau": _plateau,
}


def parse(path: Path, text: str, units: Units) -> IntendedSchedule:
    data = read_mapping(path, text)
    notes = Notes(path)
    sched_name = str(data.get("sched") or "cosine")
    if "sched" not in data:
        notes.assume("sched not set; timm's default 'cosine' applies.")
    notes.settings["sched"] = sched_name
    if sched_name not in KNOWN:
        raise ConfigError(
            f"{notes.where('sched')}: scheduler {sched_name!r} is not supported "
            f"({'no lraudit family matches it' if sched_name == 'tanh' else 'unknown'}); "
            f"lraudit supports {', '.join(KNOWN)}"
        )
    a = _Args.read(data, notes, units)
    sched, horizon = _BUILDERS[sched_name](a)
    if a.cooldown:
        notes.assume(
            f"cooldown_epochs {fmt_num(a.cooldown)} at min_lr after the cycle: the run "
            f"lasts {fmt_num(horizon)} epochs."
        )
    unit = "epoch"
    spe = units.steps_per_epoch
    wep = a.wep
    if a.on_updates:
        if not spe:
            raise ConfigError(
                f"{notes.where('sched_on_updates')}: the schedule steps per update; pass "
                "--steps-per-epoch (updates per epoch) to place its epochs"
            )
        sched = scale_time(sched, spe)
        horizon = horizon * spe
        wep = wep * spe
        unit = "iteration"
        notes.assume(f"sched_on_updates: epoch counts x {spe} updates per epoch.")
    if wep > 0:
        warm = linear_warmup(wep, a.wlr)
        if not a.prefix:
            warm = _timm_warmup(sched, wep, a.wlr, a.lr, unit, notes)
        sched = schedule(sched.family, dict(sched.params), warm)
    notes.assume("timm logs the mean LR over param groups to summary.csv (column lr), per epoch.")
    return intended(
        sched,
        notes,
        "timm",
        unit=unit,
        log_unit=unit,
        steps_per_epoch=spe,
        horizon=horizon,
        world_size=units.world_size,
        num_steps=units.num_steps,
        expected_tags=("lr",),
    )


def _timm_warmup(
    sched: Schedule, w: float, wlr: float, lr: float, unit: str, notes: Notes
) -> Warmup | None:
    """timm's warmup without ``warmup_prefix`` as an lraudit linear warmup, exact at whole steps.

    timm gives ``wlr + t (lr - wlr) / W`` for whole ``t < W`` and the decay curve ``f(t)`` (which
    started at 0) from ``W`` on, while lraudit's linear warmup ramps to ``f(W')`` at its end
    ``W'``. The two agree at every whole ``t`` when ``W - 1 < W' <= W`` solves
    ``(f(W') - wlr) / W' = (lr - wlr) / W`` (same slope, same start); solved with brentq. When
    there is no such root (a curve that drops steeply before ``W``) the warmup ends at ``W`` and
    the difference is stated.
    """
    from scipy.optimize import brentq  # only this parser path needs scipy.optimize

    slope = (lr - wlr) / w

    def g(x: float) -> float:
        return (float(sched.evaluate(np.array([x]))[0]) - wlr) / x - slope

    hi, lo = float(w), max(float(w) - 1.0, float(w) * 1e-9)
    wp: float | None = None
    if abs(g(hi)) <= 1e-12 * max(abs(slope), 1e-300):
        wp = hi
    elif g(hi) < 0 < g(lo):
        wp = float(brentq(g, lo, hi, xtol=1e-13, rtol=4 * np.finfo(float).eps))
    if wp is not None:
        warm = linear_warmup(wp, wlr)
        t = np.arange(math.ceil(w))
        got = Schedule(sched.family, dict(sched.params), warm, sched.min_lr).evaluate(t)
        if np.allclose(got, wlr + t * slope, rtol=1e-9, atol=0.0):
            if wp != hi:
                notes.assume(
                    f"timm's warmup (no warmup_prefix) ramps from {fmt_num(wlr)} towards lr "
                    f"{fmt_num(lr)} over {fmt_num(w)} {unit}s and then jumps onto the "
                    f"{sched.family} curve that started at 0: expressed as a linear warmup "
                    f"ending at {unit} {wp:.6g} on that curve, which has timm's slope and gives "
                    f"timm's LR at every whole {unit}."
                )
            return warm
    notes.assume(
        f"timm's warmup (no warmup_prefix) ramps from {fmt_num(wlr)} towards lr and "
        f"joins the decay curve at {unit} {fmt_num(w)}; lraudit's warmup ramps to the "
        "curve's value there (a small difference during warmup)."
    )
    return linear_warmup(w, wlr)


def _lr(data: dict[str, Any], notes: Notes, units: Units) -> float:
    if data.get("lr") is not None:
        return float(notes.number(data, "lr"))
    base = float(notes.number(data, "lr_base", 0.1))
    size = float(notes.number(data, "lr_base_size", 256))
    batch = float(notes.number(data, "batch_size", 128))
    accum = float(notes.number(data, "grad_accum_steps", 1))
    world = units.world_size or 1
    if not units.world_size:
        notes.assume(
            "lr is null and the world size is not in args.yaml: 1 process assumed "
            "(pass --world-size)."
        )
    scale = str(data.get("lr_base_scale") or "")
    opt = str(data.get("opt") or "sgd").lower()
    if not scale:
        scale = "sqrt" if ("ada" in opt or "lamb" in opt) else "linear"
    ratio = batch * world * accum / size
    lr = base * (math.sqrt(ratio) if scale == "sqrt" else ratio)
    notes.settings["lr_derived"] = lr
    notes.assume(
        f"lr = lr_base {fmt_num(base)} x ({fmt_num(batch)} x {world} x {fmt_num(accum)} / "
        f"{fmt_num(size)}){'^0.5' if scale == 'sqrt' else ''} = {lr:.6g} ({scale} scaling, as "
        "timm's train.py derives it)."
    )
    return lr


PARSER = ConfigParser("timm", detect, parse)
