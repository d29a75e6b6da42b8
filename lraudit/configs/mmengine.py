"""Config parser: mmengine (not written yet)."""

from __future__ import annotations
