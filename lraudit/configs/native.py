"""Config parser: native (not written yet)."""

from __future__ import annotations
