"""PyTorch Lightning callback: :class:`LightningAuditCallback`.

>>> import lightning.pytorch as pl                                        # doctest: +SKIP
>>> from lraudit.callbacks import LightningAuditCallback                  # doctest: +SKIP
>>> trainer = pl.Trainer(max_steps=10_000,
...     callbacks=[LightningAuditCallback("schedule.yaml", fail_fast=True)])  # doctest: +SKIP

The callback subclasses ``lightning.pytorch.Callback`` when the ``lightning`` package is
installed, else ``pytorch_lightning.Callback``; it must come from the package the ``Trainer``
does.

The intended schedule is ``config`` (a config path parsed by :func:`lraudit.load_config`, an
:class:`~lraudit.types.IntendedSchedule`, or a :class:`~lraudit.types.Schedule` in optimizer
updates). The LR is read in ``on_train_batch_start`` from parameter group ``param_group`` of
``trainer.optimizers[optimizer]``, at ``trainer.global_step`` (the optimizer updates done so
far, so the point is the LR of update ``global_step``; with gradient accumulation the repeats
of a step are ignored). A certain error with ``fail_fast=True`` sets ``trainer.should_stop``
(Lightning honours it after the batch, once ``min_steps``/``min_epochs`` are met) and
``trainer.fit`` raises :class:`~lraudit.callbacks.LRScheduleError` from ``on_train_end``;
with ``raise_on_stop=False`` it only stops, and the error is in ``callback.failure``.
"""

from __future__ import annotations

import importlib
from typing import Any

from lraudit.callbacks._core import ConfigLike, LRAuditMonitor, LRScheduleError
from lraudit.callbacks._lazy import require

__all__: list[str] = []  # LightningAuditCallback, built on first use


def _lightning() -> Any:
    try:
        return importlib.import_module("lightning.pytorch")
    except ImportError:
        return require("pytorch_lightning", "lightning", "lraudit.callbacks.LightningAuditCallback")


def _build() -> type:
    pl = _lightning()

    class LightningAuditCallback(pl.Callback):  # type: ignore[misc,name-defined]
        """Audit the LR schedule of a Lightning run while it trains (see the module docstring).

        ``fail_fast``: stop at the first certain error. ``fit_at_end``: fit the whole run at
        the end for the final audit (about 0.5 s). ``units`` go to :func:`lraudit.load_config`
        with a path (``steps_per_epoch=``, ``num_steps=``...). ``callback.findings`` holds
        what was reported.
        """

        def __init__(
            self,
            config: ConfigLike = None,
            *,
            fail_fast: bool = False,
            raise_on_stop: bool = True,
            optimizer: int = 0,
            param_group: int = 0,
            fit_at_end: bool = True,
            config_format: str = "auto",
            **units: Any,
        ) -> None:
            super().__init__()
            self.config = config
            self.fail_fast = fail_fast
            self.raise_on_stop = raise_on_stop
            self.optimizer = optimizer
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

        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            self.monitor = LRAuditMonitor(
                self.config,
                fail_fast=self.fail_fast,
                run=type(pl_module).__name__,
                tag=f"lr-optimizer{self.optimizer}-group{self.param_group}",
                fit_at_end=self.fit_at_end,
                config_format=self.config_format,
                **self.units,
            )

        def on_train_batch_start(
            self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int
        ) -> None:
            if self.monitor is None or not trainer.optimizers:
                return
            opt = trainer.optimizers[self.optimizer]
            lr = float(opt.param_groups[self.param_group]["lr"])
            if self.monitor.observe(trainer.global_step, lr) is not None:
                trainer.should_stop = True

        def on_train_end(self, trainer: Any, pl_module: Any) -> None:
            if self.monitor is None:
                return
            self.monitor.finish()
            if self.monitor.failure is not None and self.raise_on_stop:
                raise self.monitor.failure

    return LightningAuditCallback


_CLASS: type | None = None


def __getattr__(name: str) -> Any:
    global _CLASS
    if name == "LightningAuditCallback":
        if _CLASS is None:
            _CLASS = _build()
        return _CLASS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
