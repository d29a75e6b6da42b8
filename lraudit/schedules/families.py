"""Imports every family module so that each registers itself (see ``lraudit.schedules``).

Importing this submodule makes Python bind ``lraudit.schedules.families`` to it, shadowing the
package function :func:`lraudit.schedules.families` of the same name (pytest's doctest
collection, or any ``import lraudit.schedules.families``, does that). The module is therefore
made callable with the same contract: ``families()`` returns every registered family by name,
whichever of the two objects the attribute currently holds.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING

from lraudit.schedules import (  # noqa: F401
    constant,
    cosine,
    cyclic,
    exponential,
    piecewise,
    polynomial,
)

if TYPE_CHECKING:  # pragma: no cover
    from lraudit.schedules import Family


class _CallableModule(types.ModuleType):
    def __call__(self) -> dict[str, Family]:
        from lraudit.schedules import REGISTRY, _load

        _load()
        return dict(REGISTRY)


sys.modules[__name__].__class__ = _CallableModule
