"""lraudit.live: each finding is reported once, the first time it is certain."""

from __future__ import annotations

import time

import numpy as np
import pytest

from lraudit.live import CONFIRM, LiveAudit, departures, is_certain
from lraudit.types import Finding, IntendedSchedule, LRSeries, Schedule, Severity, Warmup

COSINE = Schedule(
    "cosine",
    {"peak_lr": 0.1, "end_lr": 0.0, "decay_steps": 1000, "start_step": 0},
    Warmup(100, 0.0),
)
COS_CFG = IntendedSchedule(COSINE, "cfg.yaml", "lraudit", horizon=1000)
EXP = Schedule(
    "exponential",
    {"init_lr": 0.1, "decay_rate": 0.9, "decay_steps": 100, "staircase": False, "start_step": 0},
)
X = np.arange(0, 1000, 10)


def f32(v: np.ndarray) -> np.ndarray:
    """What a logger stores: float32."""
    return np.asarray(v, dtype=np.float32).astype(np.float64)


def stream(intended: IntendedSchedule | None, x: np.ndarray, y: np.ndarray):
    """Feed points one at a time, polling after each; events while running, then at the end."""
    live = LiveAudit(intended, run="r", tag="lr")
    events = []
    for s, v in zip(x, y, strict=True):
        live.add(float(s), float(v))
        events += live.poll()
    return live, events, live.finish(fit=False)


def test_constant_lr_is_certain_at_the_second_departing_point() -> None:
    live, events, final = stream(COS_CFG, X, np.zeros(X.size))
    assert [(e.finding.name, e.n_points, e.last_step) for e in events] == [("constant_lr", 3, 20)]
    assert events[0].finding.severity is Severity.ERROR
    assert final == []  # reported once, not again at the end
    assert [f.name for f in live.reported] == ["constant_lr"]


def test_constant_at_the_peak_waits_for_the_end_of_the_warmup_ramp_to_be_ruled_out() -> None:
    # flat at the peak looks like "warmup missing" during the warmup; the decay settles it
    _, events, _ = stream(COS_CFG, X, np.full(X.size, 0.1))
    assert [e.finding.name for e in events] == ["constant_lr"]
    assert events[0].n_points <= 5


def test_a_run_that_follows_its_config_reports_nothing_and_is_never_diagnosed_early() -> None:
    live, events, final = stream(COS_CFG, X, f32(COSINE.evaluate(X)))
    assert events == [] and final == []
    assert live.audits == 1  # only the final audit


def test_warmup_missing_is_certain_when_the_warmup_should_have_ended() -> None:
    nowarm = Schedule("cosine", dict(COSINE.params))
    _, events, _ = stream(COS_CFG, X, f32(nowarm.evaluate(X)))
    assert [e.finding.name for e in events] == ["warmup_missing"]
    assert events[0].last_step >= 100


def test_scale_mismatch_is_reported_once_stable() -> None:
    _, events, final = stream(COS_CFG, X, 2 * f32(COSINE.evaluate(X)))
    assert [e.finding.name for e in events] == ["lr_scale_mismatch"]
    assert events[0].n_points <= 5
    assert final == []


@pytest.mark.parametrize("config", [COS_CFG, None], ids=["config", "no-config"])
def test_reset_is_certain_two_points_after_the_restart(config: IntendedSchedule | None) -> None:
    y = f32(COSINE.evaluate(X))
    y = np.concatenate([y[:50], y[:50]])  # the schedule restarts at step 500
    _, events, _ = stream(config, X, y)
    assert [e.finding.name for e in events] == ["schedule_reset"]
    assert events[0].finding.step == 500
    assert events[0].n_points == 50 + CONFIRM


def test_non_finite_is_certain_at_once() -> None:
    y = f32(COSINE.evaluate(X))
    y[30] = np.nan
    _, events, _ = stream(COS_CFG, X, y)
    assert [(e.finding.name, e.n_points) for e in events] == [("non_finite_lr", 31)]


def test_without_a_config_a_flat_lr_is_only_a_warning_at_the_end() -> None:
    _, events, final = stream(None, X, np.full(X.size, 0.1))
    assert events == []
    assert [(e.finding.name, e.finding.severity, e.final) for e in final] == [
        ("constant_lr", Severity.WARNING, True)
    ]


def test_per_epoch_stepping_waits_until_the_hold_width_is_measured() -> None:
    # an iteration schedule stepped once per 100-step epoch: flat within the first epoch, then
    # a staircase whose hold width takes three level changes to measure
    xx = np.arange(0, 1000, 5)
    it = IntendedSchedule(EXP, "cfg", "lraudit", steps_per_epoch=100)
    _, events, _ = stream(it, xx, f32(EXP.evaluate(np.floor(xx / 100))))
    assert [e.finding.name for e in events] == ["step_unit_mismatch"]
    assert events[0].last_step >= 300


def test_a_different_decay_rate_is_reported_early() -> None:
    xx = np.arange(0, 1000, 5)
    faster = Schedule("exponential", {**EXP.params, "decay_rate": 0.5})
    it = IntendedSchedule(EXP, "cfg", "lraudit")
    _, events, _ = stream(it, xx, f32(faster.evaluate(xx)))
    assert [e.finding.name for e in events] == ["decay_mismatch"]
    assert events[0].n_points <= 5


def test_update_with_a_growing_series_gives_the_same_events_as_adding_points() -> None:
    y = np.zeros(X.size)
    live = LiveAudit(COS_CFG, run="r", tag="lr")
    events = []
    for n in range(1, X.size + 1, 7):  # a watcher reading 7 new points per tick
        live.update(LRSeries("r", "lr", X[:n], y[:n], X[:n] * 1.0))
        events += live.poll()
    assert [(e.finding.name, e.n_points) for e in events] == [("constant_lr", 8)]


def test_update_after_a_restart_rewrote_the_tail_recounts_it() -> None:
    live = LiveAudit(COS_CFG)
    good = f32(COSINE.evaluate(X))
    live.update(LRSeries(".", "lr", X[:60], np.zeros(60), X[:60] * 1.0))
    assert live.n_departures > CONFIRM
    live.update(LRSeries(".", "lr", X, good, X * 1.0))  # every point rewritten, now correct
    assert live.n_departures == 0


def test_departures_take_the_best_logging_alignment() -> None:
    shifted = f32(COSINE.evaluate(X + 1))  # the LR logged one step late, as HF >= 4.51 does
    assert departures(X, shifted, COS_CFG) == 0
    assert departures(X, np.zeros(X.size), COS_CFG) == X.size - 1


def test_end_of_run_findings_wait_for_the_end() -> None:
    f = Finding("warmup_exceeds_run", "LRA008", Severity.WARNING, "m", step=9)
    x, y = np.arange(10.0), np.linspace(0, 0.01, 10)
    assert not is_certain(f, x, y, COS_CFG)
    assert is_certain(f, x, y, COS_CFG, final=True)
    # ... unless the config itself plans a warmup at least as long as the run
    short = IntendedSchedule(COSINE, "cfg", "lraudit", horizon=50)
    assert is_certain(f, x, y, short)


def test_polling_every_step_is_cheap() -> None:
    n = 20_000
    x = np.arange(n)
    y = f32(COSINE.evaluate(x))
    live = LiveAudit(COS_CFG)
    t = time.perf_counter()
    for s, v in zip(x.tolist(), y.tolist(), strict=True):
        live.add(s, v)
        live.poll()
    per_step = (time.perf_counter() - t) / n
    assert live.audits == 0
    assert per_step < 200e-6  # measured ~20 us on the 2-core development machine


def test_a_constant_run_is_audited_a_logarithmic_number_of_times() -> None:
    n = 20_000
    live = LiveAudit(COS_CFG)
    for s in range(n):
        live.add(s, 0.0)
        live.poll()
    assert [f.name for f in live.reported] == ["constant_lr"]
    # O(32 ln n) audits, not n
    assert live.audits < 32 + 32 * np.log(n / 32) + 10
