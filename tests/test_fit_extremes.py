"""Any finite positive series fits or is reported as unexplained, never raises (issue 16,
item 4): subnormal, 1e-300 and 1e308 LRs are fitted on an exactly rescaled copy, and the
schedule is reported in the series' own units."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from lraudit.fitting import fit_arrays
from lraudit.schedules import families
from lraudit.schedules.schedule import scaled
from lraudit.schedules.warmups import Warmup
from lraudit.types import Schedule

X = np.arange(60, dtype=float) * 10
DECAY = np.linspace(1.0, 0.1, 60)
STEPS = np.where(np.arange(60) < 30, 1.0, 0.1)


@pytest.mark.parametrize(
    "y",
    [
        DECAY * 1e-40,
        np.full(60, 1e-40),
        DECAY * 1e308,
        np.full(60, 1.7e308),
        DECAY * 1e-300,
        np.full(60, 5e-324),
        STEPS * 1e300,
        STEPS * 1e-310,
    ],
    ids=[
        "subnormal",
        "subnormal-flat",
        "1e308",
        "max-flat",
        "1e-300",
        "min-flat",
        "steps-1e300",
        "steps-subnormal",
    ],
)
def test_extreme_magnitudes_fit_in_their_own_units(y: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow/underflow warning may leak
        r = fit_arrays(X, y)
    assert r.explained, r.schedule
    fitted = r.schedule.evaluate(X + r.offset)
    assert np.all(np.isfinite(fitted))
    # the levels are the series' own (a relative error of float64 rounding, or of subnormal spacing)
    tol = max(1e-9 * float(np.max(y)), 2 * 5e-324 * 4)
    assert np.allclose(fitted, y, rtol=1e-6, atol=tol)


def _example(name: str) -> Schedule:
    fam = families()[name]
    params = fam.guess(X, 0.1 * DECAY)
    return Schedule(name, params, Warmup(5, 0.01, "linear"), 0.001)


@pytest.mark.parametrize("name", sorted(families()))
@pytest.mark.parametrize("e", [-1000, -60, 3, 900])
def test_scaled_multiplies_the_whole_curve_exactly(name: str, e: int) -> None:
    s = _example(name)
    base = s.evaluate(X)
    got = scaled(s, e).evaluate(X)
    want = np.ldexp(base, e)
    ok = np.isfinite(want) & (np.abs(want) > 1e-300)  # away from the subnormal range
    assert np.allclose(got[ok], want[ok], rtol=1e-12), name
    assert math.isclose(scaled(scaled(s, e), -e).evaluate(X)[0], base[0], rel_tol=1e-12)


def test_three_phase_one_cycle_whose_last_phase_rises_to_its_end_lr() -> None:
    """A three-phase one-cycle from 4e-4 of its peak whose end_lr is above init_lr: after the
    fall back to init_lr the last phase rises (slowly, over 2x the window) and the window ends
    inside it. The rise is the family's own last phase, not a restart."""
    truth = Schedule(
        "one_cycle",
        {
            "max_lr": 1.49e-4,
            "total_steps": 28400,
            "pct_start": 0.1132,
            "init_lr": 5.89e-8,
            "end_lr": 6.76e-8,
            "anneal": "cos",
            "three_phase": True,
        },
    )
    x = np.arange(0, 14800, 100)
    y = truth.evaluate(x.astype(float)).astype(np.float32).astype(np.float64)
    f = fit_arrays(x, y)
    assert f.schedule.family == "one_cycle" and f.explained
    assert f.schedule.params["three_phase"] is True


def test_square_root_decay_seen_to_its_end_is_the_polynomial() -> None:
    """A polynomial decay of power 0.5 to 0, logged every 5 steps up to past its end (its
    slope grows without bound there): seeded only at powers 1 and 2 the optimiser settled on
    a straight line and the fit missed the curve."""
    truth = Schedule(
        "polynomial", {"init_lr": 4.2554e-3, "end_lr": 0.0, "decay_steps": 809, "power": 0.5}
    )
    x = np.arange(0, 811, 5)
    y = truth.evaluate(x.astype(float)).astype(np.float32).astype(np.float64)
    f = fit_arrays(x, y)
    assert f.schedule.family == "polynomial" and f.explained
    assert f.schedule.params["power"] == pytest.approx(0.5, rel=1e-6)
