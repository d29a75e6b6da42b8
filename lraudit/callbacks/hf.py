"""Hugging Face ``transformers`` Trainer callback: :class:`HFAuditCallback`.

>>> from transformers import Trainer                                # doctest: +SKIP
>>> from lraudit.callbacks import HFAuditCallback                   # doctest: +SKIP
>>> trainer = Trainer(model, args, train_dataset=ds,
...                   callbacks=[HFAuditCallback(fail_fast=True)])  # doctest: +SKIP

Without ``config`` the intended schedule is the trainer's own: its ``TrainingArguments``
(``learning_rate``, ``lr_scheduler_type``, ``warmup_steps``/``warmup_ratio``,
``lr_scheduler_kwargs``) over ``state.max_steps`` updates, as :func:`lraudit.configs.hf.build`
reads them from a saved run. Pass ``config`` when the trainer was given its own optimizer and
scheduler (``Trainer(optimizers=(opt, sched))``), which the arguments do not describe.

The LR is read from the optimizer's parameter group ``param_group`` in ``on_step_begin``, where
``state.global_step`` is the index of the update about to run and the scheduler has been stepped
once per earlier update. A certain error with ``fail_fast=True`` sets
``control.should_training_stop`` (the Trainer ends after the current micro-batch) and
``trainer.train()`` raises :class:`~lraudit.callbacks.LRScheduleError` from ``on_train_end``;
with ``raise_on_stop=False`` it only stops, and the error is in ``callback.failure``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lraudit.callbacks._core import ConfigLike, LRAuditMonitor, LRScheduleError
from lraudit.callbacks._lazy import require
from lraudit.types import IntendedSchedule

__all__ = ["intended_from_training_args"]  # and HFAuditCallback, built on first use


def intended_from_training_args(args: Any, max_steps: int | None = None) -> IntendedSchedule:
    """The intended schedule of a ``TrainingArguments`` (or its ``to_dict()`` mapping).

    ``max_steps`` is the number of optimizer updates the Trainer computed (``state.max_steps``);
    it fixes ``N`` for the schedules that need it, whatever ``num_train_epochs`` says.

    >>> it = intended_from_training_args({"learning_rate": 1e-3, "lr_scheduler_type": "cosine",
    ...                                   "warmup_steps": 10}, max_steps=110)
    >>> it.schedule.family, dict(it.schedule.params)["decay_steps"], it.schedule.warmup.steps
    ('cosine', 100, 10)
    """
    from lraudit.configs import Units
    from lraudit.configs._intent import Notes, intended
    from lraudit.configs.hf import build

    data = dict(args) if isinstance(args, Mapping) else dict(args.to_dict())
    notes = Notes(Path("TrainingArguments"))
    units = Units(num_steps=int(max_steps)) if max_steps and max_steps > 0 else Units()
    sched, n = build(data, notes, units)
    return intended(sched, notes, "hf", source="TrainingArguments", horizon=n)


def _build() -> type:
    transformers = require("transformers", "hf", "lraudit.callbacks.HFAuditCallback")

    class HFAuditCallback(transformers.TrainerCallback):  # type: ignore[misc,name-defined]
        """Audit the LR schedule of a ``transformers.Trainer`` run while it trains.

        ``config``: a config path, an :class:`~lraudit.types.IntendedSchedule` or a
        :class:`~lraudit.types.Schedule` in optimizer updates; None (default) uses the
        trainer's ``TrainingArguments``. ``fail_fast``: stop at the first certain error.
        ``fit_at_end``: fit the whole run at the end for the final audit (about 0.5 s).
        ``units`` go to :func:`lraudit.load_config` with a path (``steps_per_epoch=``...).
        After training, ``callback.findings`` holds what was reported.
        """

        def __init__(
            self,
            config: ConfigLike = None,
            *,
            fail_fast: bool = False,
            raise_on_stop: bool = True,
            param_group: int = 0,
            fit_at_end: bool = True,
            config_format: str = "auto",
            **units: Any,
        ) -> None:
            self.config = config
            self.fail_fast = fail_fast
            self.raise_on_stop = raise_on_stop
            self.param_group = param_group
            self.fit_at_end = fit_at_end
            self.config_format = config_format
            self.units = units
            self.monitor: LRAuditMonitor | None = None

        @property
        def failure(self) -> LRScheduleError | None:
            return self.monitor.failure if self.monitor else None

        @property
        def findings(self) -> tuple[Any, ...]:
            return self.monitor.findings if self.monitor else ()

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            config = self.config
            if config is None:
                config = intended_from_training_args(args, state.max_steps)
            run = getattr(args, "run_name", None) or Path(str(args.output_dir)).name
            self.monitor = LRAuditMonitor(
                config,
                fail_fast=self.fail_fast,
                run=run,
                tag="train/learning_rate",
                fit_at_end=self.fit_at_end,
                config_format=self.config_format,
                **self.units,
            )

        def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            opt = kwargs.get("optimizer")
            if self.monitor is None or opt is None:
                return
            lr = float(opt.param_groups[self.param_group]["lr"])
            if self.monitor.observe(state.global_step, lr) is not None:
                control.should_training_stop = True

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.monitor is None:
                return
            self.monitor.finish()
            if self.monitor.failure is not None and self.raise_on_stop:
                raise self.monitor.failure

    return HFAuditCallback


_CLASS: type | None = None


def __getattr__(name: str) -> Any:
    global _CLASS
    if name == "HFAuditCallback":
        if _CLASS is None:
            _CLASS = _build()
        return _CLASS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
