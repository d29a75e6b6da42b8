"""Keras 3 callback: :class:`KerasAuditCallback`.

>>> import keras                                                         # doctest: +SKIP
>>> from lraudit.callbacks import KerasAuditCallback                     # doctest: +SKIP
>>> model.fit(x, y, epochs=10,
...           callbacks=[KerasAuditCallback("pipeline.config", fail_fast=True)])  # doctest: +SKIP

Works with any Keras 3 backend (TensorFlow, JAX, torch). The intended schedule is ``config``
(a config path parsed by :func:`lraudit.load_config`, an
:class:`~lraudit.types.IntendedSchedule`, or a :class:`~lraudit.types.Schedule` in optimizer
updates). The LR is read in ``on_train_batch_begin`` as ``model.optimizer.learning_rate`` (a
``LearningRateSchedule`` evaluated at the current iteration, or the variable a
``LearningRateScheduler`` callback sets) at ``model.optimizer.iterations``, the updates done so
far, so the point is the LR of update ``iterations``. A certain error with ``fail_fast=True``
sets ``model.stop_training`` (Keras ends after the batch) and ``fit`` raises
:class:`~lraudit.callbacks.LRScheduleError` from ``on_train_end``; with ``raise_on_stop=False``
it only stops, and the error is in ``callback.failure``. With ``steps_per_execution > 1`` Keras
calls batch hooks once per execution, so the LR is seen every that many updates.
"""

from __future__ import annotations

from typing import Any

from lraudit.callbacks._core import ConfigLike, LRAuditMonitor, LRScheduleError
from lraudit.callbacks._lazy import require

__all__: list[str] = []  # KerasAuditCallback, built on first use


def _build() -> type:
    keras = require("keras", "keras", "lraudit.callbacks.KerasAuditCallback")

    class KerasAuditCallback(keras.callbacks.Callback):  # type: ignore[misc,name-defined]
        """Audit the LR schedule of a Keras ``fit`` while it trains (see the module docstring).

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
            fit_at_end: bool = True,
            config_format: str = "auto",
            **units: Any,
        ) -> None:
            super().__init__()
            self.config = config
            self.fail_fast = fail_fast
            self.raise_on_stop = raise_on_stop
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

        def on_train_begin(self, logs: Any = None) -> None:
            self.monitor = LRAuditMonitor(
                self.config,
                fail_fast=self.fail_fast,
                run=str(getattr(self.model, "name", "model")),
                tag="learning_rate",
                fit_at_end=self.fit_at_end,
                config_format=self.config_format,
                **self.units,
            )

        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            opt = getattr(self.model, "optimizer", None)
            if self.monitor is None or opt is None:
                return
            step = int(keras.ops.convert_to_numpy(opt.iterations))
            lr = float(keras.ops.convert_to_numpy(opt.learning_rate))
            if self.monitor.observe(step, lr) is not None:
                self.model.stop_training = True

        def on_train_end(self, logs: Any = None) -> None:
            if self.monitor is None:
                return
            self.monitor.finish()
            if self.monitor.failure is not None and self.raise_on_stop:
                raise self.monitor.failure

    return KerasAuditCallback


_CLASS: type | None = None


def __getattr__(name: str) -> Any:
    global _CLASS
    if name == "KerasAuditCallback":
        if _CLASS is None:
            _CLASS = _build()
        return _CLASS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
