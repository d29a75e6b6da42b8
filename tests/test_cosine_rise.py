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


LIGHTNING = """\
# lightning.pytorch==2.5.0
trainer:
  max_epochs: 30
optimizer:
  class_path: torch.optim.SGD
  init_args:
    lr: 0.1
lr_scheduler:
  class_path: torch.optim.lr_scheduler.CosineAnnealingLR
  init_args:
    T_max: 30
"""


def test_t_max_in_epochs_stepped_every_iteration_is_a_step_unit_mismatch(tmp_path) -> None:
    """The classic bug: CosineAnnealingLR(T_max=30 epochs) stepped in the batch loop. The LR
    oscillates every 60 iterations; the config (stepped per epoch by Lightning) says a cosine
    over 3,000 iterations. One step_unit_mismatch, no schedule_reset, exit 1."""
    from lraudit.cli import main

    x = np.arange(0, 3000, 10)
    write_scalars(tmp_path / "logs", "lr-SGD", x, _torch_cosine(x.astype(float), 0.1, 30))
    cfg = tmp_path / "config.yaml"
    cfg.write_text(LIGHTNING)
    out = tmp_path / "report.json"
    args = ["check", str(tmp_path / "logs"), "--config", str(cfg), "--steps-per-epoch", "100"]
    code = main([*args, "--format", "json", "--output", str(out)])
    import json

    (run,) = json.loads(out.read_text())["runs"]
    names = [f["name"] for f in run["findings"]]
    assert code == 1
    assert names == ["step_unit_mismatch"], names
    assert run["fit"]["params"]["after_end"] == "rise"


def test_a_torch_cosine_run_within_t_max_still_reports_a_reset(tmp_path) -> None:
    """The rising cosine does not make every torch cosine config periodic: a resume that
    restarted the schedule inside T_max is still a schedule_reset."""
    from lraudit import audit
    from lraudit.configs import load_config

    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        LIGHTNING.replace("max_epochs: 30", "max_epochs: 30").replace("T_max: 30", "T_max: 3000")
    )
    x = np.arange(0, 3000, 10)
    y = np.r_[
        _torch_cosine(x[:150].astype(float), 0.1, 3000),
        _torch_cosine((x[150:] - 1500).astype(float), 0.1, 3000),
    ]
    write_scalars(tmp_path / "logs", "lr-SGD", x, y)
    it = load_config(cfg)
    assert it.schedule.params["after_end"] == "rise"
    (run,) = audit(str(tmp_path / "logs"), config=str(cfg)).runs
    assert "schedule_reset" in [f.name for f in run.findings]


def test_a_rising_cosine_is_periodic_only_once_it_has_ended() -> None:
    from lraudit.diagnose.curve import is_periodic
    from lraudit.types import Schedule

    p = {"peak_lr": 0.1, "end_lr": 0.0, "decay_steps": 3000, "start_step": 0}
    rise = Schedule("cosine", {**p, "after_end": "rise"})
    assert not is_periodic(rise, 2990.0) and is_periodic(rise, 3010.0)
    assert not is_periodic(Schedule("cosine", p), 1e9)
