"""KerasAuditCallback with real Keras 3 (torch backend unless one is chosen): 300 updates, CPU."""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np
import pytest

# Keras picks its backend at import: torch here, so that TensorFlow is not needed
os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip(
    "keras",
    reason="Keras 3 or its backend is not installed (pip install 'lraudit-tb[keras]' torch)",
)
if not hasattr(keras, "ops"):
    pytest.skip("the Keras callback needs Keras 3", allow_module_level=True)

from lraudit.callbacks import KerasAuditCallback, LRScheduleError  # noqa: E402
from lraudit.types import Schedule, Severity  # noqa: E402

STEPS = 300  # 4 epochs of 75 batches
INTENDED = Schedule(
    "exponential",
    {"init_lr": 0.01, "decay_rate": 0.5, "decay_steps": 100, "staircase": False, "start_step": 0},
)


def _fit(learning_rate: Any, cb: Any) -> Any:
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 4)).astype("float32")
    y = x.sum(-1, keepdims=True)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    model.fit(x, y, batch_size=8, epochs=4, verbose=0, shuffle=False, callbacks=[cb])
    return model


def _schedule() -> Any:
    return keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=100, decay_rate=0.5)


def test_a_correct_run_produces_no_error() -> None:
    cb = KerasAuditCallback(INTENDED, fail_fast=True)
    model = _fit(_schedule(), cb)
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == STEPS
    assert cb.failure is None
    assert [f for f in cb.findings if f.severity is not Severity.INFO] == []
    assert cb.monitor.live.n_points == STEPS


def test_a_schedule_built_but_not_used_is_caught_in_the_first_5_percent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    _schedule()  # built, then the float went to the optimizer instead
    cb = KerasAuditCallback(INTENDED, fail_fast=True)
    with (
        caplog.at_level(logging.WARNING, logger="lraudit.callbacks"),
        pytest.raises(LRScheduleError, match="constant_lr") as err,
    ):
        _fit(0.01, cb)
    assert err.value.finding.name == "constant_lr"
    assert err.value.step is not None and err.value.step <= 0.05 * STEPS
    assert cb.monitor.live.n_points <= err.value.step + 2  # stopped right there
    assert "LRA003 constant_lr" in caplog.text
    print(f"Keras: constant_lr caught at update {err.value.step} of {STEPS}")


def test_stop_without_raising() -> None:
    cb = KerasAuditCallback(INTENDED, fail_fast=True, raise_on_stop=False)
    model = _fit(0.01, cb)
    assert cb.failure is not None and cb.failure.finding.name == "constant_lr"
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) < 0.05 * STEPS
