"""Config parser: detectron2 (not written yet)."""

from __future__ import annotations
