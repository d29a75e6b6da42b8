"""A training whose LR was set to exactly 0 at the end is fitted on the points before the zeros
(issue 10: zero stretches); a schedule that itself decays to 0 keeps its zeros."""

from __future__ import annotations

import numpy as np

from lraudit.analysis import analyse
from lraudit.schedules import Schedule
from lraudit.types import LRSeries


def _series(x: np.ndarray, y: np.ndarray) -> LRSeries:
    x = x.astype(np.int64)
    return LRSeries("run", "lr", x, y.astype(np.float32).astype(np.float64), x.astype(float))


def test_schedule_then_zeros_is_the_schedule_with_a_note() -> None:
    x = np.arange(0, 9500, 100)
    y = Schedule("inverse_sqrt", {"peak_lr": 0.0589, "timescale": 112}).evaluate(x)
    zx = 9500 + 100 * np.arange(10)
    a = analyse(_series(np.r_[x, zx], np.r_[y, np.zeros(10)]))
    assert a.fit is not None
    assert a.fit.schedule.family == "inverse_sqrt" and a.fit.status == "ok" and a.fit.explained
    assert any("LR-0 stretch from step 9500" in w and "10 points" in w for w in a.fit.warnings)
    assert [(z.first_step, z.last_step) for z in a.zero_stretches] == [(9500, 10400)]


def test_decay_to_zero_that_stays_keeps_its_zeros() -> None:
    x = np.arange(0, 1500, 10)
    sched = Schedule(
        "polynomial", {"init_lr": 0.1, "end_lr": 0.0, "decay_steps": 1000, "power": 1.0}
    )
    a = analyse(_series(x, sched.evaluate(x)))
    assert a.fit is not None and a.fit.explained
    assert not any("LR-0 stretch" in w for w in a.fit.warnings)


def test_schedule_then_zeros_approximated_with_them_is_the_exact_schedule() -> None:
    """A linear one-cycle ending at a small LR, then zeros: with the zeros, a warmup and a
    linear decay to 0 where the stretch starts comes within a few percent (not a poor fit);
    the points before the stretch are the one-cycle to float32 precision (or the same line as a
    warmup and a polynomial decay of power 1), and that is kept."""
    x = np.arange(0, 17600, 100)
    sched = Schedule(
        "one_cycle",
        {
            "max_lr": 0.248,
            "total_steps": 17600,
            "pct_start": 0.3219,
            "init_lr": 9.11e-4,
            "end_lr": 7.25e-5,
            "anneal": "linear",
            "three_phase": False,
        },
    )
    zx = 17600 + 100 * np.arange(17)
    a = analyse(_series(np.r_[x, zx], np.r_[sched.evaluate(x), np.zeros(17)]))
    assert a.fit is not None
    assert a.fit.status == "ok" and a.fit.explained
    assert np.allclose(a.fit.evaluate(x.astype(float)), sched.evaluate(x), rtol=1e-5)
    assert any("LR-0 stretch from step 17600" in w for w in a.fit.warnings)
