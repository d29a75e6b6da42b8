"""The distribution name lraudit is published under, and install hints that use it.

The import package and the command are ``lraudit``; the name ``lraudit`` on the public package
index belongs to an unrelated project, so every hint names :data:`DIST`.

>>> pip_hint("plot")
'pip install "lraudit-tb[plot]"'
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: the name to ``pip install`` (the import package and the command stay ``lraudit``)
DIST = "lraudit-tb"


def pip_hint(extra: str | None = None) -> str:
    """The install command for the package, with ``extra`` when given."""
    return f'pip install "{DIST}[{extra}]"' if extra else f"pip install {DIST}"


def optional(module: str, extra: str, what: str) -> ModuleType:
    """``import module``, or an ImportError that names the extra providing it (one line)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{what} needs {module.split('.')[0]}, which is not installed; run: {pip_hint(extra)}"
        ) from exc
