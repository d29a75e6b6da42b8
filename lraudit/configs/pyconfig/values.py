"""The values the restricted evaluator produces besides plain data: unknowns and names."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any


def is_number(x: Any) -> bool:
    """True for int/float values that are not bool."""
    return isinstance(x, (int, float)) and not isinstance(x, bool)


class Unresolved:
    """A value the restricted reader did not evaluate (never executed); ``source`` is its code."""

    def __init__(self, source: str, reason: str = "") -> None:
        self.source = source
        self.reason = reason

    def __repr__(self) -> str:
        return f"<unresolved {self.source!r}>"

    def __deepcopy__(self, memo: dict[int, Any]) -> Unresolved:
        return self


class Symbol:
    """An imported name, kept as its dotted path (``torch.optim.SGD``); nothing is imported."""

    def __init__(self, path: str) -> None:
        self.path = path

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    def __repr__(self) -> str:
        return f"<symbol {self.path}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Symbol) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    def __deepcopy__(self, memo: dict[int, Any]) -> Symbol:
        return self


def type_name(x: Any) -> str | None:
    """The class name of a ``type=`` / ``_target_`` value: ``'mmengine...LinearLR'`` -> ``LinearLR``."""
    if isinstance(x, Symbol):
        return x.name
    if isinstance(x, str):
        return x.rsplit(".", 1)[-1]
    return None


@dataclass
class Function:
    """A function defined in the config (its body is interpreted when called)."""

    node: ast.FunctionDef
    scope: dict[str, Any]


@dataclass
class LazyTarget:
    """``L(X)`` waiting for its keyword arguments (detectron2 ``LazyCall``)."""

    target: str


class ReadBase:
    """The value of MMEngine's ``read_base()`` context manager (a marker)."""


class Return(Exception):
    """A ``return`` statement inside a config function."""

    def __init__(self, value: Any) -> None:
        self.value = value


#: Values that are not data: operators on them give :class:`Unresolved`.
OPAQUE = (Unresolved, Symbol, LazyTarget)
