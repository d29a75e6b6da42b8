"""In-training callbacks: catch a learning-rate schedule that is not running while it trains.

Each callback reads the LR from the optimizer at every update (no event files needed), audits it
against the intended schedule with :mod:`lraudit.live`, logs a warning (logger
``lraudit.callbacks``) for each finding the first time it is certain, and with
``fail_fast=True`` stops training at the first certain error and raises
:class:`LRScheduleError` when training ends.

=====================================  ===============================  ======================
callback                               framework (optional extra)       stops with
=====================================  ===============================  ======================
:class:`HFAuditCallback`               ``transformers`` (``[hf]``)      ``should_training_stop``
:class:`LightningAuditCallback`        ``lightning`` / ``pytorch_``     ``trainer.should_stop``
                                       ``lightning`` (``[lightning]``)
:class:`KerasAuditCallback`            Keras 3 (``[keras]``)            ``model.stop_training``
=====================================  ===============================  ======================

The frameworks are imported only when a callback class is first used, so ``import lraudit`` and
``import lraudit.callbacks`` never import one.
"""

from __future__ import annotations

import importlib
from typing import Any

from lraudit.callbacks._core import (
    ConfigLike,
    LRAuditMonitor,
    LRScheduleError,
    resolve_config,
)

_LAZY = {
    "HFAuditCallback": "lraudit.callbacks.hf",
    "LightningAuditCallback": "lraudit.callbacks.lightning",
    "KerasAuditCallback": "lraudit.callbacks.keras",
}

__all__ = [
    "ConfigLike",
    "HFAuditCallback",
    "KerasAuditCallback",
    "LRAuditMonitor",
    "LRScheduleError",
    "LightningAuditCallback",
    "resolve_config",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lraudit.callbacks' has no attribute {name!r}")
