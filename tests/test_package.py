from __future__ import annotations

import numpy as np
import pytest

import lraudit
from lraudit.errors import ScheduleError
from lraudit.types import Schedule, Warmup


def test_constant_schedule_with_linear_warmup_reaches_target_at_warmup_end():
    s = Schedule("constant", {"lr": 0.1}, warmup=Warmup(10, 0.0))
    lr = s.evaluate([0, 5, 9, 10, 20])
    np.testing.assert_allclose(lr, [0.0, 0.05, 0.09, 0.1, 0.1])


def test_unknown_family_names_the_known_ones():
    with pytest.raises(ScheduleError, match="known families: .*constant"):
        Schedule("nope", {}).evaluate([0])


def test_version():
    assert lraudit.__version__ == "0.1.0"
