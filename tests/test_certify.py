"""Shape certificates (lraudit.fitting.certify): sound (a candidate that fits to float32 precision
is never skipped) and useful (the wrong straight shapes are skipped)."""

from __future__ import annotations

import numpy as np
import pytest

from lraudit.fitting import fit_arrays
from lraudit.fitting import search as search_mod
from lraudit.fitting.certify import Shapes
from lraudit.schedules import Schedule, Warmup


def f32(y: np.ndarray) -> np.ndarray:
    return np.asarray(y, dtype=np.float32).astype(np.float64)


def _shapes(x: np.ndarray, y: np.ndarray, warm: float | None = None) -> Shapes:
    return Shapes(x.astype(float), y, warm, 1e-7 * float(np.max(y)))


def _admitted(x: np.ndarray, y: np.ndarray, warm: float | None = None) -> set[str]:
    sh = _shapes(x, y, warm)
    return {k for k in ("flat", "identity", "log", "inverse", "inverse_sq") if sh.admits(k)}


def test_each_straight_shape_admits_its_own_curve_only() -> None:
    x = np.arange(0, 3000, 10)
    curves = {
        "identity": 0.1 * (1 - x / 4000),
        "log": 0.1 * 0.5 ** (x / 700),
        "inverse": 0.1 / (1 + 2.0 * x / 1000),
        "inverse_sq": 0.1 * np.sqrt(50 / np.maximum(x, 50)),
    }
    for name, y in curves.items():
        assert _admitted(x, f32(y)) == {name}, name


def test_holds_floors_and_warmups_are_set_aside() -> None:
    # OD API: linear warmup to step 200, hold to 500, exponential decay, min_lr floor
    s = Schedule(
        "exponential",
        {"init_lr": 0.04, "decay_rate": 0.9, "decay_steps": 100, "start_step": 500},
        Warmup(200, 0.004),
        min_lr=0.004,
    )
    x = np.arange(0, 5000, 5)
    y = f32(s.evaluate(x))
    assert "log" in _admitted(x, y, warm=202.0)
    assert "identity" not in _admitted(x, y, warm=202.0)


def test_constant_after_warmup_is_flat_and_a_decay_is_not() -> None:
    x = np.arange(0, 1000, 4)
    flat = f32(np.where(x < 100, 0.01 + 0.09 * x / 100, 0.1))
    assert "flat" in _admitted(x, flat, warm=102.0)
    assert "flat" not in _admitted(x, f32(0.1 * 0.99 ** (x / 10)))


def test_too_few_points_certify_nothing() -> None:
    x = np.array([0.0, 10.0, 20.0])
    assert _admitted(x, f32(np.array([1.0, 0.5, 0.1]))) >= {
        "identity",
        "log",
        "inverse",
        "inverse_sq",
    }


CASES = [
    Schedule("constant", {"lr": 0.01}, Warmup(300, 0.001)),
    Schedule("exponential", {"init_lr": 0.1, "decay_rate": 0.96, "decay_steps": 1000}),
    Schedule(
        "exponential",
        {"init_lr": 0.1, "decay_rate": 0.5, "decay_steps": 2000, "start_step": 400},
        Warmup(400, 0.0),
    ),
    Schedule("inverse_time", {"init_lr": 0.05, "decay_rate": 0.5, "decay_steps": 1000}),
    Schedule("inverse_sqrt", {"peak_lr": 0.001, "timescale": 500}, Warmup(500, 0.0)),
    Schedule(
        "polynomial",
        {"init_lr": 0.1, "end_lr": 0.0, "decay_steps": 9000, "power": 1.0, "start_step": 1000},
        Warmup(1000, 0.0),
    ),
    Schedule("polynomial", {"init_lr": 0.02, "end_lr": 1e-5, "decay_steps": 10000, "power": 2.0}),
    Schedule("cosine", {"peak_lr": 0.1, "end_lr": 0.0, "decay_steps": 10000}),
]


@pytest.mark.parametrize("sched", CASES, ids=lambda s: s.family)
def test_fit_is_the_same_with_and_without_certificates(
    sched: Schedule, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = np.arange(0, 10000, 7)
    y = f32(sched.evaluate(x))
    uncertified = []
    converge = search_mod._converge

    def spy(cands, data, max_offset, certified=True):  # type: ignore[no-untyped-def]
        if not certified:
            uncertified.append(len(cands))
        return converge(cands, data, max_offset, certified)

    monkeypatch.setattr(search_mod, "_converge", spy)
    with_cert = fit_arrays(x, y)
    # the exact fit was found among the admitted candidates: no search over all of them
    assert uncertified == []
    monkeypatch.setattr(search_mod, "_likely", lambda cands, data: None)
    without = fit_arrays(x, y)
    assert with_cert.schedule.family == without.schedule.family == sched.family
    assert with_cert.rmse_log < 1e-6 and without.rmse_log < 1e-6
    for k, v in without.schedule.params.items():
        w = with_cert.schedule.params[k]
        assert w == v or abs(float(w) - float(v)) <= 1e-5 * max(abs(float(v)), 1e-12), k


def test_skipped_candidates_are_still_ranked_as_alternatives() -> None:
    x = np.arange(0, 5000, 5)
    y = f32(0.02 * (1 - x / 5000) ** 2 + 1e-5)
    r = fit_arrays(x, y)
    assert r.schedule.family == "polynomial" and r.rmse_log < 1e-6
    fams = {a.schedule.family for a in r.alternatives}
    assert {"exponential", "inverse_time", "inverse_sqrt", "constant"} <= fams
