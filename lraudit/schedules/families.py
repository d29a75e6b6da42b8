"""Imports every family module so that each registers itself (see ``lraudit.schedules``)."""

from __future__ import annotations

from lraudit.schedules import constant  # noqa: F401
