"""Config parser: timm (not written yet)."""

from __future__ import annotations
