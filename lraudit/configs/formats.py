"""Imports every config parser module so that each registers itself."""

from __future__ import annotations

from lraudit.configs import (  # noqa: F401
    detectron2,
    hf,
    keras,
    lightning,
    mmengine,
    native,
    odapi,
    paddledet,
    timm,
    yolo,
)
