"""Seeded random schedules: every matching run is clean; each injected bug gets its finding.

Schedules are drawn over the families, with and without warmup, logged every ``k`` steps with a
random 0/±1 alignment and float32 storage. No fitting (``fit=None``): these are the rules alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from lraudit.diagnose import diagnose
from lraudit.types import IntendedSchedule, LRSeries, Schedule, Severity, Warmup

N = 40


def _random_schedule(rng: np.random.Generator, horizon: int) -> Schedule:
    fam = rng.choice(["exponential", "piecewise", "cosine", "polynomial"])
    lr = float(10 ** rng.uniform(-4, -1))
    p: dict[str, Any]
    if fam == "exponential":
        p = {
            "init_lr": lr,
            "decay_rate": float(rng.uniform(0.1, 0.9)),
            "decay_steps": int(rng.integers(horizon // 10, horizon // 2)),
            "staircase": bool(rng.integers(2)),
            "start_step": 0,
        }
    elif fam == "piecewise":
        b = sorted(rng.choice(np.arange(horizon // 10, horizon, horizon // 20), 2, replace=False))
        p = {"boundaries": [int(v) for v in b], "values": [lr, lr / 10, lr / 100]}
    elif fam == "cosine":
        p = {
            "peak_lr": lr,
            "end_lr": 0.0,
            "decay_steps": int(horizon * rng.uniform(0.8, 1.2)),
            "start_step": 0,
        }
    else:
        p = {
            "init_lr": lr,
            "end_lr": lr / 100,
            "decay_steps": horizon,
            "power": float(rng.choice([1.0, 2.0])),
            "start_step": 0,
        }
    warm = None
    if rng.random() < 0.5:
        warm = Warmup(int(horizon * rng.uniform(0.02, 0.1)), float(lr * rng.choice([0, 0.01])))
    return Schedule(str(fam), p, warm)


def _cases() -> list[tuple[int, Schedule, np.ndarray, int]]:
    rng = np.random.default_rng(20261122)
    out = []
    for i in range(N):
        horizon = int(rng.choice([2000, 10_000, 50_000]))
        s = _random_schedule(rng, horizon)
        every = int(rng.choice([1, 10, 20, 100])) * max(horizon // 10_000, 1)
        x = np.arange(0, horizon, every)
        out.append((i, s, x, int(rng.integers(-1, 2))))
    return out


CASES = _cases()


def _series(x: np.ndarray, y: np.ndarray) -> LRSeries:
    return LRSeries(
        ".",
        "lr",
        x.astype(np.int64),
        np.asarray(y, np.float32).astype(np.float64),
        x.astype(np.float64),
    )


def _serious(fs: tuple) -> list[str]:
    return [f.name for f in fs if f.severity is not Severity.INFO]


@pytest.mark.parametrize(("i", "sched", "x", "off"), CASES, ids=[str(c[0]) for c in CASES])
def test_matching_run_is_clean(i: int, sched: Schedule, x: np.ndarray, off: int) -> None:
    it = IntendedSchedule(sched, "r.yaml", "lraudit", horizon=int(x[-1]) + 1)
    fs = diagnose(_series(x, sched.evaluate(x + off)), None, it)
    assert _serious(fs) == [], [f.message for f in fs]


@pytest.mark.parametrize(("i", "sched", "x", "off"), CASES, ids=[str(c[0]) for c in CASES])
def test_scaled_run_is_a_scale_mismatch(i: int, sched: Schedule, x: np.ndarray, off: int) -> None:
    k = [8.0, 0.5, 4.0, 2.0][i % 4]
    it = IntendedSchedule(sched, "r.yaml", "lraudit", world_size=8)
    fs = diagnose(_series(x, k * sched.evaluate(x + off)), None, it)
    assert _serious(fs) == ["lr_scale_mismatch"], [f.message for f in fs]
    assert fs[0].observed == pytest.approx(k, rel=1e-3)


@pytest.mark.parametrize(("i", "sched", "x", "off"), CASES, ids=[str(c[0]) for c in CASES])
def test_stuck_run_is_constant_lr(i: int, sched: Schedule, x: np.ndarray, off: int) -> None:
    it = IntendedSchedule(sched, "r.yaml", "lraudit")
    stuck = np.full(x.size, sched.evaluate([0])[0])  # the step counter never advanced
    fs = diagnose(_series(x, stuck), None, it)
    assert _serious(fs) == ["constant_lr"], [f.message for f in fs]


@pytest.mark.parametrize(("i", "sched", "x", "off"), CASES, ids=[str(c[0]) for c in CASES])
def test_stepped_per_iteration_is_a_step_unit_mismatch(
    i: int, sched: Schedule, x: np.ndarray, off: int
) -> None:
    spe = 10  # the schedule counts epochs of 10 iterations; the run stepped it every iteration
    it = IntendedSchedule(sched, "r.yaml", "lraudit", steps_per_epoch=spe)
    fs = diagnose(_series(x, sched.evaluate(spe * x)), None, it)
    assert _serious(fs) == ["step_unit_mismatch"], [f.message for f in fs]
    assert "every iteration instead of every epoch" in fs[0].message
