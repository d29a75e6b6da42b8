"""fvcore schedule pieces shared by the detectron2 yacs and LazyConfig readers.

``where = it / MAX_ITER``; fvcore indexes a multi-step table with
``int((where + 1e-6) * num_updates)``, which :func:`first_iter` inverts exactly.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from lraudit.configs._intent import configured_lengths
from lraudit.errors import ConfigError
from lraudit.types import IntendedSchedule, Schedule, Warmup

__all__ = ["first_iter", "multistep", "rescaled", "result", "with_warmup"]

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


def multistep(
    milestones: list[int], num_updates: float, max_iter: int, base: float, factors: list[float]
) -> Schedule:
    if not milestones:
        return Schedule("constant", {"lr": base * factors[0]})
    bounds = [first_iter(m, num_updates, max_iter) for m in milestones]
    return Schedule("piecewise", {"boundaries": bounds, "values": [base * f for f in factors]})


def rescaled(main: Schedule, w: float, max_iter: int) -> Schedule:
    """``S((it - W) / (MAX - W))``: the main schedule compressed after the warmup."""
    p = dict(main.params)
    scale = (max_iter - w) / max_iter
    if main.family == "piecewise":
        p["boundaries"] = [int(round(w + b * scale)) for b in p["boundaries"]]
    elif "start_step" in p:
        p["start_step"] = int(round(w + p["start_step"] * scale))
        p["decay_steps"] = int(round(p["decay_steps"] * scale))
    return Schedule(main.family, p, min_lr=main.min_lr)


def with_warmup(
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


def result(
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
