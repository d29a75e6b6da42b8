"""What a Python config may not even mention: names and modules only useful to run code.

:func:`check_safe` is a static check done before anything is evaluated. It is the first half
of the security boundary; the second is that the evaluator (:mod:`.evaluator`) only knows a
closed set of operations and calls nothing from the config.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from lraudit.errors import UnsafeConfigError

#: Names whose only use in a config would be to run code; their presence refuses the file.
UNSAFE_NAMES = frozenset(
    {
        "__import__",
        "__builtins__",
        "eval",
        "exec",
        "compile",
        "open",
        "getattr",
        "setattr",
        "delattr",
        "globals",
        "locals",
        "vars",
        "input",
        "breakpoint",
        "memoryview",
        "help",
    }
)
#: Modules a config has no reason to touch; importing one refuses the file.
UNSAFE_MODULES = frozenset(
    {
        "subprocess",
        "socket",
        "pickle",
        "shutil",
        "importlib",
        "builtins",
        "ctypes",
        "marshal",
        "multiprocessing",
        "pty",
        "urllib",
        "requests",
        "http",
        "code",
        "runpy",
    }
)


def check_safe(tree: ast.AST, path: Path) -> None:
    """Raise :class:`UnsafeConfigError` if ``tree`` names anything only useful to run code.

    Calls to ``__import__``/``eval``/``exec``/``open``..., any dunder attribute
    (``().__class__.__subclasses__()``), and imports of process/network/serialisation modules.

    >>> check_safe(ast.parse("__import__('os').system('true')"), Path("x.py"))
    Traceback (most recent call last):
    ...
    lraudit.errors.UnsafeConfigError: x.py:1: refusing to read a config that uses '__import__' ...
    """
    # A config may bind an ordinary name such as `input` itself; only the builtin is refused
    # (the evaluator would look a bound name up in the config, never in builtins).
    bound = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    for node in ast.walk(tree):
        bad = None
        if (
            isinstance(node, ast.Name)
            and node.id in UNSAFE_NAMES
            and (node.id.startswith("__") or node.id not in bound)
        ):
            bad = node.id
        elif isinstance(node, ast.Attribute) and node.attr.startswith("__"):
            bad = node.attr
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in UNSAFE_MODULES:
                    bad = f"import {alias.name}"
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.level == 0
            and node.module.split(".")[0] in UNSAFE_MODULES
        ):
            bad = f"from {node.module} import"
        if bad is not None:
            line = getattr(node, "lineno", "?")
            raise UnsafeConfigError(
                f"{path}:{line}: refusing to read a config that uses {bad!r} (it could run code); "
                "lraudit never executes configs - pass a plain config or the saved config dump"
            )


# One linear pattern: `{{`, anything without braces, `}}` (no nested quantifiers, so no
# backtracking on long runs of spaces); the inside is classified in Python.
_PLACEHOLDER = re.compile(r"\{\{([^{}]*)\}\}")
_BASE_REF = re.compile(r"_base_\.[A-Za-z_][\w.\[\]'\"]*")


def substitute_placeholders(text: str) -> str:
    """MMEngine ``{{_base_.x}}`` -> ``_base_.x``; other ``{{ ... }}`` -> a string literal.

    >>> substitute_placeholders("lr = {{ _base_.lr }}; n = {{ fileDirname }}")
    "lr = _base_.lr; n = '{{fileDirname}}'"
    """

    def repl(m: re.Match[str]) -> str:
        inner = m.group(1).strip()
        if _BASE_REF.fullmatch(inner):
            return inner
        return repr("{{" + inner + "}}")

    return _PLACEHOLDER.sub(repl, text)
