"""Config parser: hf (not written yet)."""

from __future__ import annotations
