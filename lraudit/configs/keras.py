"""Config parser: keras (not written yet)."""

from __future__ import annotations
