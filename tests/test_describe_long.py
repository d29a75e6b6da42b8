"""Schedules sampled per epoch (thousands of piecewise levels) are described by their ends."""

from __future__ import annotations

from lraudit.describe import describe, describe_schedule
from lraudit.diagnose import describe as diagnose_describe
from lraudit.schedules import key_steps
from lraudit.types import Schedule

LONG = Schedule(
    "piecewise",
    {"boundaries": list(range(1, 5000)), "values": [0.1 * 0.999**i for i in range(5000)]},
)


def test_long_piecewise_descriptions_stay_short():
    table = describe_schedule(LONG)
    assert len(table) < 120 and "5000 levels" in table
    assert "@4999" in table  # the last drop is still named
    for text in (describe(LONG, "epoch"), diagnose_describe(LONG, "epoch")):
        assert len(text) < 120 and "5000 levels" in text


def test_long_piecewise_key_steps_are_the_ends():
    assert key_steps(LONG, 6000.0) == [0.0, 1.0, 2.0, 4998.0, 4999.0, 6000.0]
