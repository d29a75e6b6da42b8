"""Python configs read without running them: the restricted evaluator (the security boundary).

* :mod:`.safety`: names and modules a config may not mention (refused before evaluation);
* :mod:`.evaluator`: the closed set of operations interpreted over :mod:`ast`;
* :mod:`.budget`: steps, wall time and value sizes, checked before each operation;
* :mod:`.values`: :class:`Unresolved` (what was not evaluated) and :class:`Symbol` (a name
  imported from a library, never imported).

:func:`read_python_config` is the one entry point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lraudit.configs.limits import ConfigLimitError, measure, session
from lraudit.configs.loaders import read_text
from lraudit.configs.pyconfig.budget import Budget
from lraudit.configs.pyconfig.evaluator import Evaluator
from lraudit.configs.pyconfig.safety import UNSAFE_MODULES, UNSAFE_NAMES, check_safe
from lraudit.configs.pyconfig.values import Symbol, Unresolved, is_number, type_name


@dataclass
class PyConfig:
    """The result of :func:`read_python_config`.

    ``values``: top-level names with their values (dicts, lists, numbers, strings,
    :class:`Symbol`, :class:`Unresolved`; ``L(X)(k=v)`` is ``{"_target_": "X.path", "k": v}``).
    ``notes``: what was not evaluated or not found, in words (for ``assumptions``).
    ``files``: every config file read.
    """

    values: dict[str, Any]
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_python_config(
    path: Path, text: str | None = None, base_key: str | None = "_base_"
) -> PyConfig:
    """Evaluate a Python config file without executing it.

    Evaluated: literals; names bound earlier; attribute and item access on dicts; ``+ - * / //
    % **``, unary ops, comparisons, ``and``/``or``, ``x if c else y``, f-strings,
    one-generator comprehensions; calls of ``dict list tuple set int float str bool min max
    round abs len sum sorted range``; ``.copy()`` / ``.get()`` on dicts; functions *defined in
    the config* (their bodies are interpreted by the same rules); detectron2
    ``LazyCall(X)(k=v)`` -> ``{"_target_": "dotted.X", "k": v}``; ``import``/``from`` of
    libraries -> :class:`Symbol`; relative imports of sibling config files (read the same way);
    MMEngine ``_base_`` (bases merged first, ``{{_base_.x}}`` placeholders resolved, child
    merged on top with ``_delete_``) and ``with read_base():`` imports. Assignments to
    attributes/items of dicts (``train.max_iter *= 4``) mutate them as Python would.

    Not evaluated (the value becomes :class:`Unresolved`, noted in ``notes``): lambdas, calls
    of anything else, loops, classes, ``try``. Refused (:class:`~lraudit.errors.UnsafeConfigError`,
    before any evaluation): see :func:`check_safe`. Refused beyond a budget
    (:class:`~lraudit.configs.limits.ConfigLimitError`): see :mod:`.budget`.

    >>> cfg = read_python_config(Path("c.py"), "base_lr = 0.01\\nopt = dict(type='SGD', lr=base_lr * 2)")
    >>> cfg.values["opt"]
    {'type': 'SGD', 'lr': 0.02}
    """
    if text is None:
        text = read_text(path)
    limits = session().limits
    reader = Evaluator(path, Budget(path, limits), base_key)
    try:
        values = reader.run(text)
    except RecursionError:
        raise ConfigLimitError(f"{path}: config nested too deeply to evaluate") from None
    except MemoryError:
        raise ConfigLimitError(f"{path}: config needs too much memory to evaluate") from None
    measure(values, path, limits)
    return PyConfig(values, reader.files, reader.notes)


__all__ = [
    "PyConfig",
    "Symbol",
    "UNSAFE_MODULES",
    "UNSAFE_NAMES",
    "Unresolved",
    "check_safe",
    "is_number",
    "read_python_config",
    "type_name",
]
