"""Config parser: odapi (not written yet)."""

from __future__ import annotations
