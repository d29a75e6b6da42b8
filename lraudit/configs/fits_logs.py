"""Can this config describe these logs? The check made before any schedule diagnosis.

:func:`config_describes` returns None when the config can describe the run's LR series, else one
sentence saying why not (for the ``config_mismatch`` finding). Each test rules out only what no
legitimate run produces, so a right config is never rejected:

* **tags**: the config's framework logs distinctive tags (YOLOv5 ``x/lr0..2``, Ultralytics
  ``lr/pg0..``) and none of the run's LR tags is one of them. Generic names (``lr``,
  ``learning_rate``) are never held against a config: any script may log them.
* **step unit / horizon**: the log reaches a step more than :data:`HORIZON_FACTOR` times the
  config's planned length (in the unit it is logged in) and past it by more than
  :data:`HORIZON_SLACK` steps: the log counts in another unit (iterations against an epoch
  config) or belongs to another run. A run *shorter* than its plan is normal.
* **scale**: the logged peak is more than :data:`SCALE_FACTOR` times above the config's peak,
  or below the smallest positive LR the planned schedule ever gives (a run stuck at its warmup
  start or decayed early is a bug, not another config) (GPU or batch scaling stays well within that). Skipped when
  the config says its peak is unknown (``IntendedSchedule.peak_unknown``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence

import numpy as np

from lraudit.types import IntendedSchedule, LRSeries

SCALE_FACTOR = 100.0
HORIZON_FACTOR = 10.0
HORIZON_SLACK = 50
#: tag leaves any script may use for its LR: not evidence of a framework
GENERIC_LEAVES = frozenset(
    {"lr", "learning_rate", "learning-rate", "learningrate", "lr-sgd", "lr-adam", "lr-adamw"}
)


def config_describes(intended: IntendedSchedule, series_list: Sequence[LRSeries]) -> str | None:
    """None when ``intended`` can describe ``series_list`` (one run's LR series), else why not."""
    if not series_list:
        return None
    for check in (_tags, _horizon, _scale):
        why = check(intended, series_list)
        if why:
            return why
    return None


def _leaf(tag: str) -> str:
    return tag.rsplit("/", 1)[-1].lower()


def _matches(tag: str, expected: str) -> bool:
    return tag == expected or tag.endswith("/" + expected) or expected.endswith("/" + tag)


def _tags(it: IntendedSchedule, series: Sequence[LRSeries]) -> str | None:
    expected = tuple(it.expected_tags)
    if not expected or all(_leaf(t) in GENERIC_LEAVES for t in expected):
        return None
    tags = sorted({s.tag for s in series})
    if any(_matches(t, e) for t in tags for e in expected):
        return None
    # a family of group tags (x/lr0.., lr/pg0..) may hold more groups than the config names
    stems = {re.sub(r"\d+$", "", e) for e in expected}
    if any(
        re.sub(r"\d+$", "", t) in stems or any(t.endswith("/" + s) for s in stems) for t in tags
    ):
        return None
    who = it.framework or it.format
    return (
        f"the config is a {who} config, whose trainer logs the LR as {', '.join(expected)}, but "
        f"this run's LR tags are {', '.join(tags)}: it does not describe these logs; pass the "
        "run's own config or --no-config"
    )


def _horizon(it: IntendedSchedule, series: Sequence[LRSeries]) -> str | None:
    if not it.horizon or it.horizon <= 0:
        return None
    plan = float(it.horizon)
    if it.unit != it.log_unit and it.steps_per_epoch:
        plan = plan * it.steps_per_epoch if it.unit == "epoch" else plan / it.steps_per_epoch
    elif it.unit != it.log_unit:
        return None  # the conversion is unknown: the horizon cannot be judged
    last = max(float(np.nanmax(s.steps)) for s in series if len(s.steps))
    if last > HORIZON_FACTOR * plan and last - plan > HORIZON_SLACK:
        return (
            f"the config plans {it.horizon} {it.unit}s, logged one point per {it.log_unit}, but "
            f"this run logs up to step {last:.0f} ({last / plan:.0f}x the plan): the log counts "
            "another unit or belongs to another run"
        )
    return None


def _scale(it: IntendedSchedule, series: Sequence[LRSeries]) -> str | None:
    if it.peak_unknown:
        return None
    observed = [np.asarray(s.values, dtype=float) for s in series]
    obs = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in observed]) if observed else []
    if len(obs) == 0:
        return None
    steps = np.unique(np.concatenate([np.asarray(s.steps, dtype=float) for s in series]))
    if it.unit != it.log_unit:
        steps = np.arange(0, (it.horizon or 0) + 1, dtype=float)
    try:
        meant = np.asarray(it.evaluate(steps), dtype=float)
    except (ValueError, TypeError, KeyError):
        return None
    # a buggy run may sit anywhere the schedule goes (stuck at the warmup start, decayed
    # early): the logged peak is held against the whole range of the planned schedule
    end = max(float(it.horizon or 0), float(steps.max(initial=0.0)))
    plan = np.unique(np.round(np.linspace(0.0, end, 4001)))
    with contextlib.suppress(ValueError, TypeError, KeyError):
        meant = np.concatenate([meant, np.asarray(it.evaluate(plan), dtype=float)])
    meant = meant[np.isfinite(meant) & (meant > 0)]
    if meant.size == 0:
        return None
    o, m, low = float(np.max(obs)), float(np.max(meant)), float(np.min(meant))
    ratio = o / m
    if ratio > SCALE_FACTOR or o < low / SCALE_FACTOR:
        return (
            f"the logged LR peaks at {o:.4g} but the config's at {m:.4g} ({ratio:.3g}x): no "
            "GPU or batch scaling explains a factor over "
            f"{SCALE_FACTOR:.0f}, so the config does not describe these logs"
        )
    return None
