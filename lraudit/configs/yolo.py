"""Config parser: yolo (not written yet)."""

from __future__ import annotations
