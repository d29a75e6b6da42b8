"""Import a framework only when a callback class is first asked for, with an install hint."""

from __future__ import annotations

import importlib
from types import ModuleType

from lraudit._dist import pip_hint


def require(module: str, extra: str, what: str) -> ModuleType:
    """``import module``, or an ImportError naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{what} needs {module.split('.')[0]}, which is not installed ({exc}); install it "
            f"with: {pip_hint(extra)}"
        ) from exc
