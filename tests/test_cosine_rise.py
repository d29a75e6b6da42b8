"""torch's CosineAnnealingLR is not clamped: past ``T_max`` the LR climbs back (period
``2 T_max``). A run longer than ``T_max``, or ``T_max`` in epochs with the scheduler stepped
every iteration, is one cosine that rises again (``after_end="rise"``), fitted exactly; its
rises are not resumes."""

from __future__ import annotations

import numpy as np
import pytest

from lraudit.fitting import fit_arrays
from lraudit.testing import write_scalars


def _torch_cosine(t: np.ndarray, base: float, t_max: float, eta: float = 0.0) -> np.ndarray:
    # CosineAnnealingLR's closed form (``_get_closed_form_lr``), valid for every epoch
    return (eta + (base - eta) * (1 + np.cos(np.pi * t / t_max)) / 2).astype(np.float32)


@pytest.mark.parametrize(("every", "t_max"), [(1, 600), (10, 600), (10, 30), (5, 250)])
def test_a_cosine_past_its_end_is_fitted_rising_again(every: int, t_max: int) -> None:
    x = np.arange(0, 3000, every, dtype=np.float64)
    y = _torch_cosine(x, 0.1, t_max, 1e-4)
    r = fit_arrays(x, y)
    s = r.schedule
    assert s.family == "cosine" and s.params.get("after_end") == "rise", s
    assert r.rmse_log < 1e-6 and r.explained
    assert s.params["decay_steps"] == pytest.approx(t_max, rel=1e-4)


def test_a_cosine_inside_its_horizon_says_nothing_of_after_end() -> None:
    x = np.arange(0, 500, 5, dtype=np.float64)
    r = fit_arrays(x, _torch_cosine(x, 0.1, 600))
    assert r.schedule.family == "cosine" and "after_end" not in r.schedule.params


def test_real_torch_scheduler_past_t_max() -> None:
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.05)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=400, eta_min=1e-3)
    lrs = []
    for _ in range(1500):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    y = np.asarray(lrs, dtype=np.float32)
    r = fit_arrays(np.arange(y.size), y)
    assert r.schedule.params.get("after_end") == "rise" and r.explained
    assert r.schedule.params["decay_steps"] == pytest.approx(400, rel=1e-4)


def test_its_rises_are_no_resets(tmp_path) -> None:
    from lraudit import audit

    x = np.arange(0, 3000, 10)
    write_scalars(tmp_path, "lr-SGD", x, _torch_cosine(x.astype(float), 0.1, 30))
    (run,) = audit(str(tmp_path)).runs
    assert not run.segments or len(run.segments) == 1
    assert run.fit is not None and run.fit.explained
    assert [f.name for f in run.findings if f.name == "schedule_reset"] == []
