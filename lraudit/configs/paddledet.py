"""Config parser: paddledet (not written yet)."""

from __future__ import annotations
