"""A warmup that reaches the peak one step before the decay starts (MMEngine ``LinearLR(end=w)``
then ``CosineAnnealingLR(begin=w)``; a ``LambdaLR`` with ``(t + 1) / w``) is fitted exactly, with
the decay's start one step after the warmup's end."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lraudit.fitting import fit_arrays

N, W, PEAK = 2000, 100, 0.02


def _mmengine_like() -> tuple[np.ndarray, np.ndarray]:
    # MMEngine LinearLR: factor sf + (1 - sf) * k / (end - begin - 1): the peak at k = W - 1
    t = np.arange(N, dtype=np.float64)
    sf = 0.001
    warm = PEAK * (sf + (1 - sf) * np.minimum(t, W - 1) / (W - 1))
    cos = PEAK * 0.5 * (1 + np.cos(np.pi * (t - W) / (N - W)))
    return t, np.where(t < W, warm, cos).astype(np.float32)


def test_warmup_then_hold_then_cosine_is_exact() -> None:
    x, y = _mmengine_like()
    r = fit_arrays(x, y)
    s = r.schedule
    assert s.family == "cosine"
    assert r.rmse_log < 1e-6, r.rmse_log  # float32 precision, not a near miss
    assert s.warmup is not None and s.warmup.steps == pytest.approx(W - 1, abs=0.01)
    assert s.params["start_step"] == pytest.approx(W, abs=0.01)
    assert s.params["decay_steps"] == pytest.approx(N - W, rel=1e-4)
    assert r.status == "ok" and r.explained


def test_warmup_straight_into_cosine_keeps_the_tie() -> None:
    # HF get_cosine_schedule_with_warmup: t / w, then the cosine from w (no hold)
    t = np.arange(N, dtype=np.float64)
    y = np.where(t < W, PEAK * t / W, PEAK * 0.5 * (1 + np.cos(np.pi * (t - W) / (N - W)))).astype(
        np.float32
    )
    r = fit_arrays(t, y)
    s = r.schedule
    assert s.family == "cosine" and r.rmse_log < 1e-6
    assert s.warmup is not None
    assert s.params["start_step"] == pytest.approx(s.warmup.steps, abs=1e-6)


def test_torch_linear_then_cosine_with_a_hold() -> None:
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=PEAK)
    warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.01, total_iters=W - 1)
    cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=N - W)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[W])
    lrs = []
    for _ in range(N):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    y = np.asarray(lrs, dtype=np.float32)
    r = fit_arrays(np.arange(N), y)
    assert r.schedule.family == "cosine"
    assert r.rmse_log < 1e-6, r.rmse_log
    assert r.schedule.params["start_step"] == pytest.approx(W, abs=0.01)
    assert math.isclose(float(y[W - 1]), float(y[W]), rel_tol=1e-6)  # the hold is real
