"""Snapping: values the data cannot tell from a round one are reported as the round one.

An end or warmup-start LR below ``1e-6`` of the peak is 0; a step count within 2 % of a whole
number is that number (each parameter's ``ParamSpec.snap`` says which and how close, see
:mod:`lraudit.schedules.base`). All snaps are tried at once, first without refitting (usually
exact), then with one refit, and kept only when they cost no more than rounding noise.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from lraudit.fitting import engine
from lraudit.fitting.engine import Outcome
from lraudit.fitting.search import Data
from lraudit.fitting.select import NOISE_FLOOR
from lraudit.schedules import REGISTRY
from lraudit.schedules.base import WHOLE_STEP
from lraudit.types import ParamEstimate, Schedule

#: An end or start LR below this share of the peak is snapped to 0 (float32 cannot resolve it).
ZERO_REL = 1e-6


def snap(out: Outcome, data: Data) -> Outcome:
    """``out`` with its snappable free values snapped, when that costs no more than rounding."""
    trials = _trials(out, float(np.max(data.y)))
    if not trials:
        return out
    c = out.candidate
    for name, v in trials:
        c = engine.with_fixed(c, name, v)
    c = replace(engine.start_from(c, out.values), n_structural=c.n_structural + len(trials))
    # a snap must not cost more than rounding noise: 2 % of the misfit or the float32 floor
    limit = max(out.rss * 1.02, NOISE_FLOOR**2 * out.n * 1.5)
    kept = {p.name for p in c.free}
    o = engine.rescore(
        replace(
            out,
            candidate=c,
            schedule=c.schedule(out.values),
            values={k: v for k, v in out.values.items() if k in kept},
        ),
        data.x,
        data.y,
        data.eps,
    )
    if o.rss <= limit:
        return o
    o2 = data.refit_within(c, offset=out.offset, mse=limit / max(out.n, 1), max_nfev=50)
    return out if o2 is None else o2


def _trials(out: Outcome, peak: float) -> list[tuple[str, float]]:
    """``(name, round value)`` of each free value close to a round one."""
    fam = REGISTRY.get(out.candidate.family)
    trials: list[tuple[str, float]] = []
    for p in out.candidate.free:
        v = out.values[p.name]
        spec = fam.spec(p.name) if fam is not None else None
        to_zero = p.name == "warmup.start_lr" or (spec is not None and spec.end)
        if to_zero and 0 < v < ZERO_REL * peak:
            trials.append((p.name, 0.0))
            continue
        tol = WHOLE_STEP if p.name == "warmup.steps" else (spec.snap if spec is not None else 0.0)
        if tol and v != round(v) and abs(v - round(v)) < tol * max(v, 1):
            trials.append((p.name, float(round(v))))
    return trials


def revalue(params: list[ParamEstimate], sched: Schedule) -> list[ParamEstimate]:
    """The estimates with values taken from ``sched`` (after snapping)."""
    vals: dict[str, Any] = dict(sched.params)
    if sched.warmup is not None:
        vals["warmup.steps"] = sched.warmup.steps
        vals["warmup.start_lr"] = sched.warmup.start_lr
    if sched.min_lr is not None:
        vals["min_lr"] = sched.min_lr
    return [replace(p, value=vals[p.name]) if p.name in vals else p for p in params]
