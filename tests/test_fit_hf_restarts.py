"""Hugging Face ``cosine_with_restarts`` after a warmup: the cycles count from the warmup end.

The curves come from the installed transformers (``get_cosine_with_hard_restarts_schedule_with_
warmup`` stepping a torch optimizer), logged as the ``Trainer`` logs them (transformers >= 4.51:
``train/learning_rate`` at ``global_step`` s holds the LR update s - 1 used) in float32.
"""

from __future__ import annotations

import numpy as np
import pytest

from lraudit.fitting import fit_arrays

EXACT_RMSE = 1e-5


def _hf_curve(warmup: int, total: int, cycles: int, lr: float) -> np.ndarray:
    torch = pytest.importorskip("torch")
    optimization = pytest.importorskip("transformers.optimization")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = optimization.get_cosine_with_hard_restarts_schedule_with_warmup(
        opt, num_warmup_steps=warmup, num_training_steps=total, num_cycles=cycles
    )
    out = []
    for _ in range(total):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.asarray(out, dtype=np.float32).astype(float)


CASES = [(100, 3000, 3, 10), (500, 10000, 4, 50), (50, 1000, 2, 1), (30, 1200, 5, 5)]


def _params() -> list:
    out = []
    for case in CASES:
        out.append(pytest.param(*case, 0, id=f"{case}-update-index"))
        out.append(pytest.param(*case, 1, id=f"{case}-hf-offset"))
    return out


@pytest.mark.parametrize(("warmup", "total", "cycles", "every", "shift"), _params())
def test_hard_restarts_after_a_warmup_fit_on_the_warmup_end_clock(
    warmup: int, total: int, cycles: int, every: int, shift: int
) -> None:
    y = _hf_curve(warmup, total, cycles, 3e-4)
    # shift 1: transformers >= 4.51 logs at global_step s the LR of update s - 1
    logged = np.arange(every, total + 1, every) if shift else np.arange(0, total, every)
    r = fit_arrays(logged, y[logged - shift])
    assert r.rmse_log < EXACT_RMSE, (r.schedule, r.rmse_log)
    s = r.schedule
    assert s.family == "cosine_restarts"
    assert s.params["period_mult"] == pytest.approx(1.0)
    assert s.params["peak_decay"] == pytest.approx(1.0, rel=1e-4)
    assert s.params["first_period"] == pytest.approx((total - warmup) / cycles, rel=2e-3)
    assert s.warmup is not None
    # on the schedule's clock the cycles start where the warmup ends
    assert s.params["start_step"] == pytest.approx(s.warmup.steps, abs=1e-6)
    assert s.params["start_step"] - r.offset == pytest.approx(warmup + shift, abs=1.01)


def test_restarts_from_step_0_after_a_warmup_keep_their_clock() -> None:
    # timm CosineLRScheduler(cycle_limit > 1) without warmup_prefix: the warmup is laid over the
    # first cycle, which counts from step 0
    x = np.arange(0, 3000, 5, dtype=float)
    period, warm = 1000.0, 120.0
    cyc = 0.5 * (1 + np.cos(np.pi * (x % period) / period)) * 0.1
    w_end = 0.5 * (1 + np.cos(np.pi * warm / period)) * 0.1
    y = np.where(x < warm, 1e-4 + (w_end - 1e-4) * x / warm, cyc).astype(np.float32)
    r = fit_arrays(x, y.astype(float))
    assert r.rmse_log < EXACT_RMSE, (r.schedule, r.rmse_log)
    assert r.schedule.family == "cosine_restarts"
    assert r.schedule.params.get("start_step", 0) == 0
    assert r.schedule.params["first_period"] == pytest.approx(period, rel=1e-3)
