"""HFAuditCallback with a real transformers Trainer: a tiny model, 300 updates on CPU."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch", reason="the HF callback tests need torch")
transformers = pytest.importorskip(
    "transformers", reason="transformers is not installed (pip install 'lraudit-tb[hf]')"
)
pytest.importorskip("accelerate", reason="transformers' Trainer needs accelerate")

from lraudit.callbacks import HFAuditCallback, LRScheduleError  # noqa: E402
from lraudit.types import Severity  # noqa: E402

STEPS = 300


class Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = torch.nn.Linear(4, 1)

    def forward(self, x: Any, y: Any) -> dict[str, Any]:
        return {"loss": torch.nn.functional.mse_loss(self.lin(x).squeeze(-1), y)}


class Data(torch.utils.data.Dataset):  # type: ignore[misc]
    def __init__(self) -> None:
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(64, 4, generator=g)
        self.y = self.x.sum(-1)

    def __len__(self) -> int:
        return 64

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"x": self.x[i], "y": self.y[i]}


def _args(tmp_path: Path, **kw: Any) -> Any:
    return transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"),
        max_steps=STEPS,
        per_device_train_batch_size=8,
        learning_rate=1e-2,
        lr_scheduler_type="cosine",
        warmup_steps=5,
        use_cpu=True,
        report_to="none",
        save_strategy="no",
        logging_strategy="no",
        disable_tqdm=True,
        dataloader_num_workers=0,
        **kw,
    )


def test_a_correct_run_produces_no_error(tmp_path: Path) -> None:
    torch.manual_seed(0)
    cb = HFAuditCallback(fail_fast=True)  # the schedule comes from the TrainingArguments
    trainer = transformers.Trainer(
        model=Tiny(), args=_args(tmp_path), train_dataset=Data(), callbacks=[cb]
    )
    trainer.train()
    assert trainer.state.global_step == STEPS
    assert cb.failure is None
    assert [f for f in cb.findings if f.severity is not Severity.INFO] == []
    assert cb.monitor.live.n_points == STEPS


@pytest.mark.filterwarnings(r"ignore:Detected call of `lr_scheduler.step\(\)`:UserWarning")
def test_a_scheduler_that_never_steps_the_optimizer_is_caught_in_the_first_5_percent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    torch.manual_seed(0)
    model = Tiny()
    used = torch.optim.AdamW(model.parameters(), lr=1e-2)
    # the classic slip: the scheduler is built on another optimizer, so the one that trains
    # keeps its initial LR while the TrainingArguments promise a cosine with warmup
    other = torch.optim.AdamW(Tiny().parameters(), lr=1e-2)
    sched = transformers.get_cosine_schedule_with_warmup(other, 5, STEPS)
    cb = HFAuditCallback(fail_fast=True)
    trainer = transformers.Trainer(
        model=model,
        args=_args(tmp_path),
        train_dataset=Data(),
        callbacks=[cb],
        optimizers=(used, sched),
    )
    with (
        caplog.at_level(logging.WARNING, logger="lraudit.callbacks"),
        pytest.raises(LRScheduleError, match="constant_lr") as err,
    ):
        trainer.train()
    assert err.value.finding.name == "constant_lr"
    assert err.value.step is not None and err.value.step <= 0.05 * STEPS
    assert trainer.state.global_step <= err.value.step + 1  # stopped right there
    assert "LRA003 constant_lr" in caplog.text
    print(f"HF: constant_lr caught at update {err.value.step} of {STEPS}")
