"""Imports every config parser module so that each registers itself."""

from __future__ import annotations
