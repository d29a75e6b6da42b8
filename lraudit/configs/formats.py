"""Every config format lraudit reads, in one explicit tuple (the order breaks detection ties)."""

from __future__ import annotations

from lraudit.configs import (
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
from lraudit.configs.base import ConfigParser

FORMATS: tuple[ConfigParser, ...] = (
    detectron2.PARSER,
    hf.PARSER,
    keras.PARSER,
    lightning.PARSER,
    mmengine.PARSER,
    native.PARSER,
    odapi.PARSER,
    paddledet.PARSER,
    timm.PARSER,
    yolo.PARSER,
)

__all__ = ["FORMATS"]
