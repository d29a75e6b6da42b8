"""A warmup laid over a cosine that runs from step 0 (its clock does not restart at the warmup end).

Two conventions exist and the fitter tries both whenever a warmup precedes a cosine:

* replaced (fvcore ``WarmupParamScheduler``, detectron2 ``WarmupCosineLR`` since 2021): a linear
  ramp from ``warmup_factor * F(0)`` to ``F(W)``, then ``F(s)``; ``fixtures/e2e/d2_cosine`` and
  the first training of ``fixtures/resumes/d2_resume_max_iter`` were written through it;
* scaled (detectron2's original ``WarmupCosineLR``, timm-style factor warmups):
  ``F(s) * (r0 + (1 - r0) s / W)``, lraudit's ``linear_factor`` shape.

A cosine whose clock restarts at the warmup end (Hugging Face, torch ``SequentialLR``) must keep
that form.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from lraudit.fitting import fit_arrays
from lraudit.reader import read_lr_series

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXACT_RMSE = 1e-5


def _torch_lambda_lrs(fn, n: int, base: float) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, fn)
    lrs = []
    for _ in range(n):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    x = np.arange(n, dtype=float)
    return x, np.asarray(lrs, dtype=np.float32).astype(float)


def test_d2_cosine_fixture_fits_to_float32_with_the_cosine_from_step_0():
    series = read_lr_series(FIXTURES / "e2e" / "d2_cosine" / "logs")[0]
    r = fit_arrays(series.steps, series.values)
    assert r.rmse_log < EXACT_RMSE and r.status == "ok"
    s = r.schedule
    assert s.family == "cosine"
    assert s.params["start_step"] == 0
    assert s.params["decay_steps"] == pytest.approx(2000, rel=1e-3)
    assert s.params["peak_lr"] == pytest.approx(0.01, rel=1e-4)
    assert s.params["end_lr"] == pytest.approx(1e-4, rel=1e-2)
    assert s.warmup is not None and s.warmup.shape == "linear"
    assert s.warmup.steps == pytest.approx(100, abs=1)


def test_scaled_warmup_over_a_running_cosine_is_linear_factor():
    # detectron2's original WarmupCosineLR: base * warmup_factor(t) * 0.5 (1 + cos(pi t / T))
    warm, total, f0 = 200, 3000, 0.001

    def factor(t: int) -> float:
        w = f0 * (1 - t / warm) + t / warm if t < warm else 1.0
        return w * 0.5 * (1 + math.cos(math.pi * t / total))

    x, y = _torch_lambda_lrs(factor, total, 0.02)
    keep = np.arange(0, total, 10)
    r = fit_arrays(x[keep], y[keep])
    assert r.rmse_log < EXACT_RMSE, (r.schedule, r.rmse_log)
    s = r.schedule
    assert s.family == "cosine" and s.params["start_step"] == 0
    assert s.params["decay_steps"] == pytest.approx(total, rel=1e-3)
    assert s.warmup is not None and s.warmup.shape == "linear_factor"
    assert s.warmup.steps == pytest.approx(warm, abs=10)


def test_cosine_restarting_at_the_warmup_end_keeps_its_own_clock():
    # Hugging Face get_cosine_schedule_with_warmup: the cosine counts from the warmup end
    warm, total = 150, 2000

    def factor(t: int) -> float:
        if t < warm:
            return t / warm
        return 0.5 * (1 + math.cos(math.pi * (t - warm) / (total - warm)))

    x, y = _torch_lambda_lrs(factor, total, 3e-4)
    keep = np.arange(1, total, 10)
    r = fit_arrays(x[keep], y[keep])
    assert r.rmse_log < EXACT_RMSE, (r.schedule, r.rmse_log)
    s = r.schedule
    assert s.family == "cosine"
    assert s.params["start_step"] == pytest.approx(warm, abs=1)
    assert s.params["decay_steps"] == pytest.approx(total - warm, rel=1e-3)
