"""The multiplicative ``linear_factor`` warmup shape (torch LinearLR chained, MMEngine, YOLOv5)."""

from __future__ import annotations

import numpy as np
import pytest

from lraudit.errors import ScheduleError
from lraudit.schedules import evaluate
from lraudit.types import Schedule, Warmup


def _lin(w: Warmup | None, min_lr: float | None = None) -> Schedule:
    p = {"init_lr": 0.01, "end_lr": 0.0, "decay_steps": 20, "power": 1.0}
    return Schedule("polynomial", p, warmup=w, min_lr=min_lr)


def test_linear_factor_scales_the_running_schedule() -> None:
    s = np.arange(0, 25, dtype=np.float64)
    base = evaluate(_lin(None), s)
    got = evaluate(_lin(Warmup(steps=8, start_lr=0.002, shape="linear_factor")), s)
    r0 = 0.002 / 0.01
    factor = np.where(s < 8, r0 + (1 - r0) * s / 8, 1.0)
    np.testing.assert_allclose(got, base * factor, rtol=1e-14, atol=0)
    assert got[0] == pytest.approx(0.002)
    # differs from the additive linear shape, whose target is the family value at W
    additive = evaluate(_lin(Warmup(steps=8, start_lr=0.002, shape="linear")), s)
    assert not np.allclose(got[1:8], additive[1:8])
    np.testing.assert_array_equal(got[8:], additive[8:])


def test_linear_factor_matches_torch_linearlr_chained_formula() -> None:
    # torch: SequentialLR-free chaining of LinearLR(start_factor=a, total_iters=W) and a decay
    # multiplies the factors: lr = base * decay(s) * (a + (1 - a) * min(s, W) / W)
    a, w, gamma = 0.25, 5, 0.9
    s = np.arange(12, dtype=np.float64)
    sched = Schedule(
        "exponential",
        {"init_lr": 0.1, "decay_rate": gamma, "decay_steps": 1, "staircase": False},
        warmup=Warmup(steps=w, start_lr=0.1 * a, shape="linear_factor"),
    )
    want = 0.1 * gamma**s * (a + (1 - a) * np.minimum(s, w) / w)
    np.testing.assert_allclose(evaluate(sched, s), want, rtol=1e-12)


def test_linear_factor_uses_the_floor_and_rejects_zero_start_family() -> None:
    s = np.array([0.0, 1.0, 2.0])
    sched = _lin(Warmup(steps=4, start_lr=0.001, shape="linear_factor"), min_lr=0.02)
    # F = max(f, 0.02) = 0.02 everywhere here; r0 = 0.001 / 0.02
    np.testing.assert_allclose(evaluate(sched, s), 0.02 * (0.05 + 0.95 * s / 4), rtol=1e-14)
    zero = Schedule(
        "polynomial",
        {"init_lr": 0.0, "end_lr": 0.0, "decay_steps": 10, "power": 1.0},
        warmup=Warmup(steps=4, start_lr=0.001, shape="linear_factor"),
    )
    with pytest.raises(ScheduleError, match="linear_factor"):
        evaluate(zero, s)
