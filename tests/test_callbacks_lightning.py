"""LightningAuditCallback with a real Lightning Trainer: a tiny model, 300 updates on CPU."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from lraudit.callbacks import LRScheduleError
from lraudit.types import Severity

STEPS = 300
CONFIG = """\
schedule:
  family: cosine
  params: {peak_lr: 0.01, end_lr: 0.0, decay_steps: 300, start_step: 0}
units: {step: iteration}
horizon: 300
"""


def _frameworks() -> tuple[Any, Any]:
    """torch and Lightning, imported when a test runs (not at collection: lightning takes ~3 s
    to import, paid by every xdist worker), or the test is skipped."""
    torch = pytest.importorskip("torch", reason="the Lightning callback tests need torch")
    try:
        import lightning.pytorch as pl
    except ImportError:
        pl = pytest.importorskip(
            "pytorch_lightning",
            reason="lightning is not installed (pip install 'lraudit-tb[lightning]')",
        )
    return torch, pl


def _callback(config: Path, **kw: Any) -> Any:
    _frameworks()  # skips the test without them; the callback class needs Lightning
    from lraudit.callbacks import LightningAuditCallback

    return LightningAuditCallback(config, **kw)


def tiny_model(step_the_scheduler: bool) -> Any:
    torch, pl = _frameworks()

    class _Tiny(pl.LightningModule):  # type: ignore[misc]
        def __init__(self, step_the_scheduler: bool) -> None:
            super().__init__()
            self.lin = torch.nn.Linear(4, 1)
            self.step_the_scheduler = step_the_scheduler

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            x, y = batch
            return torch.nn.functional.mse_loss(self.lin(x).squeeze(-1), y)

        def configure_optimizers(self) -> Any:
            opt = torch.optim.SGD(self.parameters(), lr=0.01)
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS)
            if not self.step_the_scheduler:
                return opt  # the scheduler is built and forgotten: nobody steps it
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    return _Tiny(step_the_scheduler)


def _fit(tmp_path: Path, model: Any, cb: Any) -> Any:
    torch, pl = _frameworks()
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=g)
    data = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, x.sum(-1)), batch_size=8, shuffle=False
    )
    trainer = pl.Trainer(
        max_steps=STEPS,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=str(tmp_path),
        callbacks=[cb],
    )
    trainer.fit(model, data)
    return trainer


@pytest.fixture
def config(tmp_path: Path) -> Path:
    p = tmp_path / "schedule.yaml"
    p.write_text(CONFIG, encoding="utf-8")
    return p


def test_a_correct_run_produces_no_error(tmp_path: Path, config: Path) -> None:
    _frameworks()[0].manual_seed(0)
    cb = _callback(config, fail_fast=True)
    trainer = _fit(tmp_path, tiny_model(step_the_scheduler=True), cb)
    assert trainer.global_step == STEPS
    assert cb.failure is None
    assert [f for f in cb.findings if f.severity is not Severity.INFO] == []
    assert cb.monitor.live.n_points == STEPS


def test_a_scheduler_never_stepped_is_caught_in_the_first_5_percent(
    tmp_path: Path, config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _frameworks()[0].manual_seed(0)
    cb = _callback(config, fail_fast=True)
    with (
        caplog.at_level(logging.WARNING, logger="lraudit.callbacks"),
        pytest.raises(LRScheduleError, match="constant_lr") as err,
    ):
        _fit(tmp_path, tiny_model(step_the_scheduler=False), cb)
    assert err.value.finding.name == "constant_lr"
    assert err.value.step is not None and err.value.step <= 0.05 * STEPS
    assert cb.monitor.live.n_points <= err.value.step + 2  # stopped right there
    assert "LRA003 constant_lr" in caplog.text
    print(f"Lightning: constant_lr caught at update {err.value.step} of {STEPS}")


def test_without_fail_fast_the_run_completes_and_the_finding_is_kept(
    tmp_path: Path, config: Path
) -> None:
    _frameworks()[0].manual_seed(0)
    cb = _callback(config)
    trainer = _fit(tmp_path, tiny_model(step_the_scheduler=False), cb)
    assert trainer.global_step == STEPS
    assert [f.name for f in cb.findings] == ["constant_lr"]  # once, not again at the end
    assert cb.failure is None
