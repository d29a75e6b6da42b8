"""The fitter names what real schedulers produce: curves from torch's own schedulers (skipped
without torch), or from the exact formulas of ``../shared/reference/formulas_torch.md`` for the
libraries that are not installed (detectron2, timm, DeepSpeed, transformers), stepped through a
torch ``LambdaLR`` as those libraries do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from lraudit.fitting import fit_arrays

torch = pytest.importorskip("torch")


def run(make: Callable[[Any], Any], n: int, lr: float = 0.1) -> np.ndarray:
    """The LR each of ``n`` optimizer steps used (``get_last_lr()`` before the update), as a
    float32 event file stores it."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    sched = make(opt)
    out = []
    for _ in range(n):
        out.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    return np.asarray(out, dtype=np.float32).astype(np.float64)


def lam(fn: Callable[[int], float]) -> Callable[[Any], Any]:
    return lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, fn)


# --------------------------------------------------------------------------- two drops


@pytest.mark.parametrize(
    ("milestones", "gamma", "n", "every"),
    [([600, 900], 0.1, 1200, 10), ([30, 80], 0.5, 100, 1), ([7000, 9000], 0.2, 10000, 50)],
)
def test_multistep_two_equal_drops_is_piecewise(
    milestones: list[int], gamma: float, n: int, every: int
) -> None:
    y = run(lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones, gamma), n)
    x = np.arange(n, dtype=np.float64)[::every]
    res = fit_arrays(x, y[::every])
    assert res.schedule.family == "piecewise", res.schedule
    assert res.schedule.params["boundaries"] == milestones
    assert res.explained


def test_steplr_with_three_drops_at_one_period_is_an_exponential_staircase() -> None:
    y = run(lambda o: torch.optim.lr_scheduler.StepLR(o, 250, 0.5), 1000)
    res = fit_arrays(np.arange(1000.0), y)
    assert res.schedule.family == "exponential"
    assert res.schedule.params["staircase"] is True
    assert res.schedule.params["decay_steps"] == 250


def test_detectron2_warmup_multistep_two_drops_is_piecewise() -> None:
    # WarmupMultiStepLR (new): linear warmup factor 1e-3 -> 1 over 100 iterations, STEPS two drops
    def f(it: int) -> float:
        g = 0.1 ** sum(it >= s for s in (1200, 1600))
        return g * (1e-3 + (1 - 1e-3) * it / 100) if it < 100 else g

    y = run(lam(f), 2000, lr=0.02)
    x = np.arange(0, 2000, 20.0)
    res = fit_arrays(x, y[::20])
    assert res.schedule.family == "piecewise"
    assert res.schedule.params["boundaries"] == [1200, 1600]
    assert res.explained


# --------------------------------------------------------------------------- one-cycle


def test_torch_onecycle_is_fitted_with_its_levels_in_order() -> None:
    y = run(lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=1000), 1000)
    res = fit_arrays(np.arange(0, 1000, 5.0), y[::5])
    p = res.schedule.params
    assert res.schedule.family == "one_cycle"
    assert res.explained
    assert p["init_lr"] <= p["max_lr"] and p["end_lr"] <= p["max_lr"]
    assert p["max_lr"] == pytest.approx(0.1, rel=1e-6)
