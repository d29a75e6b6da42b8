"""Config parser: lightning (not written yet)."""

from __future__ import annotations
