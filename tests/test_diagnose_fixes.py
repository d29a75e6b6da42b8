"""Diagnosis rules added for the real-framework cases: metric-driven schedules, a warmup that
did not run when the horizon depends on it, and an iteration schedule stepped once per epoch.

Series and intended schedules are built directly, rounded to float32 as TensorBoard stores them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lraudit.diagnose import diagnose
from lraudit.types import Finding, IntendedSchedule, LRSeries, Schedule, Severity, Warmup


def series(steps: Any, values: Any) -> LRSeries:
    steps = np.asarray(steps, dtype=np.int64)
    values = np.asarray(values, dtype=np.float32).astype(np.float64)
    return LRSeries(".", "lr", steps, values, 1.7e9 + np.arange(steps.size, dtype=np.float64))


def bad(fs: tuple[Finding, ...]) -> list[str]:
    return [f.name for f in fs if f.severity.rank >= Severity.WARNING.rank]


# --------------------------------------------------------------------------- metric-driven


def plateau(lr: float = 0.1, warmup: Warmup | None = None, **settings: Any) -> IntendedSchedule:
    return IntendedSchedule(
        Schedule("constant", {"lr": lr}, warmup),
        source="cfg.yaml",
        format="lightning",
        unit="epoch",
        log_unit="iteration",
        settings={"uncheckable": "ReduceLROnPlateau", **settings},
    )


def halvings(x: np.ndarray, at: list[int], lr: float = 0.1, f: float = 0.5) -> np.ndarray:
    return lr * f ** np.searchsorted(np.asarray(at), x, side="right")


X = np.arange(0, 520, 10)


def test_plateau_drops_at_any_step_are_not_compared():
    fs = diagnose(series(X, halvings(X, [220, 300, 400])), None, plateau())
    assert bad(fs) == []
    # no "pass --steps-per-epoch" info either: a constant intended curve needs no unit
    assert [f.name for f in fs] == []


def test_plateau_never_dropping_is_fine():
    assert diagnose(series(X, np.full(X.size, 0.1)), None, plateau()) == ()


def test_plateau_wrong_start_is_a_scale_mismatch():
    fs = diagnose(series(X, halvings(X, [220], lr=0.4)), None, plateau())
    assert bad(fs) == ["lr_scale_mismatch"]
    f = fs[0]
    assert f.expected == 0.1 and abs(f.observed - 0.4) < 1e-7
    assert "4x" in f.message and "only lower" in f.message


def test_plateau_started_late_below_base_is_not_compared():
    x = X[X >= 300]
    assert bad(diagnose(series(x, halvings(x, [220, 400])), None, plateau())) == []


def test_plateau_reset_still_reported():
    y = halvings(X, [100, 200, 300])
    y[X >= 400] = 0.1  # a resume rebuilt the scheduler
    fs = diagnose(series(X, y), None, plateau())
    assert bad(fs) == ["schedule_reset"]


def test_plateau_non_finite_still_reported():
    y = halvings(X, [220]).astype(np.float64)
    y[-3:] = np.nan
    assert "non_finite_lr" in bad(diagnose(series(X, y), None, plateau()))


def test_plateau_drops_checked_against_a_known_factor():
    ok = halvings(X, [220, 300], f=0.5)
    ok[X >= 400] = 0.1 * 0.5**4  # two halvings between two logged points
    assert bad(diagnose(series(X, ok), None, plateau(plateau_factor=0.5))) == []
    wrong = halvings(X, [220, 300], f=0.3)
    fs = diagnose(series(X, wrong), None, plateau(plateau_factor=0.5))
    assert bad(fs) == ["decay_mismatch"]
    assert "0.5" in fs[0].message and fs[0].step == 220


def test_plateau_warmup_is_still_checked():
    w = Warmup(50, 0.0, "linear")
    it = plateau(warmup=w)
    it = IntendedSchedule(it.schedule, "cfg.yaml", "timm", settings=it.settings)
    x = np.arange(0, 300, 5)
    good = np.where(x < 50, 0.1 * x / 50, halvings(x, [200]))
    assert bad(diagnose(series(x, good), None, it)) == []
    flat = halvings(x, [200])
    assert "warmup_missing" in bad(diagnose(series(x, flat), None, it))
