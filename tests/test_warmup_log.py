"""The ``log`` warmup shape (DeepSpeed WarmupLR / WarmupDecayLR ``warmup_type="log"``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lraudit.fitting import fit_arrays
from lraudit.schedules import Schedule, Warmup


def _deepspeed_warmup_lr(t: np.ndarray, lo: float, hi: float, w: int) -> np.ndarray:
    """DeepSpeed ``WarmupLR._get_gamma`` (runtime/lr_schedules.py): ``ln(t + 1) / ln(W)``
    below ``W = max(2, warmup_num_steps)``, then 1; ``lr = min_lr + (max_lr - min_lr) gamma``."""
    w = max(2, w)
    gamma = np.where(t < w, np.log(t + 1.0) / math.log(w), 1.0)
    return lo + (hi - lo) * gamma


def test_log_warmup_evaluates_as_deepspeed() -> None:
    t = np.arange(0, 400, dtype=np.float64)
    s = Schedule("constant", {"lr": 3e-4}, Warmup(120, 1e-6, "log"))
    np.testing.assert_allclose(s.evaluate(t), _deepspeed_warmup_lr(t, 1e-6, 3e-4, 120), rtol=1e-12)


@pytest.mark.parametrize("cadence", [1, 5, 10])
def test_log_warmup_is_fitted(cadence: int) -> None:
    x = np.arange(0, 1000, cadence, dtype=np.float64)
    y = _deepspeed_warmup_lr(x, 1e-5, 1e-3, 100).astype(np.float32)
    f = fit_arrays(x, y)
    assert f.explained, f.schedule
    assert f.schedule.warmup is not None and f.schedule.warmup.shape == "log"
    assert abs(f.schedule.warmup.steps - 100) <= cadence
