"""Imports every family module so that each registers itself (see ``lraudit.schedules``)."""

from __future__ import annotations

from lraudit.schedules import (  # noqa: F401
    constant,
    cosine,
    cyclic,
    exponential,
    piecewise,
    polynomial,
)
