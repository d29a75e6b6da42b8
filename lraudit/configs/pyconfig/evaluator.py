"""The restricted interpreter of Python configs: a closed set of operations over :mod:`ast`.

Nothing from the config is executed, imported or called: statements and expressions are
interpreted one node at a time, and anything outside the set below becomes an
:class:`~.values.Unresolved` value (noted), never an action. Every operation is charged to a
:class:`~.budget.Budget` before it runs.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lraudit.configs.includes import base_list, confine, load_once, merge_dicts, resolve_base
from lraudit.configs.limits import ConfigLimitError
from lraudit.configs.loaders import read_text
from lraudit.configs.pyconfig.budget import Budget
from lraudit.configs.pyconfig.expressions import Expressions
from lraudit.configs.pyconfig.safety import check_safe, substitute_placeholders
from lraudit.configs.pyconfig.values import (
    Function,
    LazyTarget,
    ReadBase,
    Return,
    Symbol,
    Unresolved,
)
from lraudit.errors import ConfigError


class Evaluator(Expressions):
    """The restricted interpreter (one per file; imports of config files create new ones that
    share the :class:`Budget`)."""

    def __init__(self, path: Path, budget: Budget, base_key: str | None) -> None:
        self.path = path
        self.budget = budget
        self.base_key = base_key
        self.files: list[Path] = [path]
        self.notes: list[str] = []
        self.depth = 0
        self.text = ""

    # -- entry
    def run(self, text: str) -> dict[str, Any]:
        limit = self.budget.limits.max_bytes // 20
        if len(text) > limit:
            raise ConfigLimitError(
                f"{self.path}: {len(text):,} characters of Python, over the {limit:,} limit for a "
                "Python config (its syntax tree would take ~1 kB per value); raise "
                "$LRAUDIT_MAX_CONFIG_BYTES if the file is really a config"
            )
        self.text = substitute_placeholders(text)
        try:
            tree = ast.parse(self.text, filename=str(self.path))
        except SyntaxError as exc:
            raise ConfigError(f"{self.path}:{exc.lineno}: not valid Python ({exc.msg})") from None
        except (ValueError, RecursionError, MemoryError) as exc:
            raise ConfigLimitError(
                f"{self.path}: cannot parse as Python within limits ({type(exc).__name__}: "
                f"{str(exc)[:100]})"
            ) from None
        check_safe(tree, self.path)
        scope: dict[str, Any] = {}
        base: dict[str, Any] = {}
        body = list(tree.body)
        if self.base_key:
            for stmt in body:
                if (
                    isinstance(stmt, ast.Assign)
                    and len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], ast.Name)
                    and stmt.targets[0].id == self.base_key
                ):
                    refs = self.eval(stmt.value, scope)
                    base = self._load_bases(refs)
                    body.remove(stmt)
                    break
            scope[self.base_key] = copy.deepcopy(base)
        self.exec_block(body, scope)
        own = {
            k: v
            for k, v in scope.items()
            if k != self.base_key and not isinstance(v, (Function, ReadBase, LazyTarget))
        }
        return merge_dicts(base, own) if base else own

    def _load_bases(self, refs: Any) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for ref in base_list(refs, self.path, str(self.base_key)):
            bp = resolve_base(ref, self.path)
            if bp is not None:
                bp = confine(bp, self.path, str(self.base_key), ref)
            if bp is None or not bp.exists():
                self.notes.append(
                    f"Base config {ref!r} named in {self.path.name} was not found; keys it "
                    "would set are not included."
                )
                continue
            merged = merge_dicts(merged, self._read_file(bp, ref))
        return merged

    def _read_file(self, p: Path, ref: str = "import") -> dict[str, Any]:
        p = confine(p, self.path, "import" if ref == "import" else str(self.base_key), ref)

        def load(target: Path) -> tuple[dict[str, Any], list[Path], list[str]]:
            sub = Evaluator(target, self.budget, self.base_key)
            values = sub.run(read_text(target))
            return values, sub.files, sub.notes

        line = self.budget.line
        values, files, notes = load_once(f"py:{self.base_key}", p, self.path, load)
        self.budget.line = line
        self.files += [f for f in files if f not in self.files]
        self.notes += [n for n in notes if n not in self.notes]
        return values

    # -- statements
    def exec_block(self, body: Iterable[ast.stmt], scope: dict[str, Any]) -> None:
        for stmt in body:
            self.exec_stmt(stmt, scope)

    def exec_stmt(self, stmt: ast.stmt, scope: dict[str, Any]) -> None:
        self.budget.line = stmt.lineno
        self.budget.step()
        if isinstance(stmt, ast.Assign):
            value = self.eval(stmt.value, scope)
            for target in stmt.targets:
                self.assign(target, value, scope)
        elif isinstance(stmt, ast.AugAssign):
            cur = self.eval(_as_load(stmt.target), scope)
            self.assign(stmt.target, self.binop(stmt.op, cur, self.eval(stmt.value, scope)), scope)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.assign(stmt.target, self.eval(stmt.value, scope), scope)
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    scope[alias.asname] = Symbol(alias.name)
                else:
                    top = alias.name.split(".")[0]
                    scope[top] = Symbol(top)
        elif isinstance(stmt, ast.ImportFrom):
            self.import_from(stmt, scope)
        elif isinstance(stmt, ast.With):
            # MMEngine's `with read_base():` only wraps imports of base configs.
            self.exec_block(stmt.body, scope)
        elif isinstance(stmt, ast.FunctionDef):
            scope[stmt.name] = Function(stmt, scope)
        elif isinstance(stmt, ast.If):
            test = self.eval(stmt.test, scope)
            if isinstance(test, (Unresolved, Symbol)):
                self.notes.append(
                    f"{self.path.name}:{stmt.lineno}: condition {self.src(stmt.test)!r} was not "
                    "evaluated; its branches were skipped."
                )
            else:
                self.exec_block(stmt.body if test else stmt.orelse, scope)
        elif isinstance(stmt, ast.Return):
            raise Return(None if stmt.value is None else self.eval(stmt.value, scope))
        elif isinstance(stmt, ast.Expr) and self.mutate(stmt.value, scope):
            pass
        elif isinstance(stmt, (ast.Expr, ast.Pass)):
            if isinstance(stmt, ast.Expr) and not isinstance(stmt.value, ast.Constant):
                self.notes.append(
                    f"{self.path.name}:{stmt.lineno}: statement {self.src(stmt)!r} was not run."
                )
        else:
            self.notes.append(
                f"{self.path.name}:{stmt.lineno}: {type(stmt).__name__} statement was not run "
                "(lraudit reads configs without executing them)."
            )

    def mutate(self, node: ast.expr, scope: dict[str, Any]) -> bool:
        """``d.update(...)``, ``l.append(x)``, ``l.extend(xs)`` on config values; True if done."""
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("update", "append", "extend")
        ):
            return False
        obj = self.eval(node.func.value, scope)
        args = [self.eval(a, scope) for a in node.args if not isinstance(a, ast.Starred)]
        kwargs = {kw.arg: self.eval(kw.value, scope) for kw in node.keywords if kw.arg}
        if len(args) != len(node.args) or len(kwargs) != len(node.keywords):
            return False
        if isinstance(obj, dict) and node.func.attr == "update" and len(args) <= 1:
            if args and not isinstance(args[0], dict):
                return False
            self.budget.length_ok(len(obj) + len(args[0] if args else kwargs), obj, "'update'")
            obj.update(*args, **kwargs)
            return True
        if isinstance(obj, list) and node.func.attr == "append" and len(args) == 1 and not kwargs:
            self.budget.length_ok(len(obj) + 1, obj, "'append'")
            obj.append(args[0])
            return True
        if (
            isinstance(obj, list)
            and node.func.attr == "extend"
            and len(args) == 1
            and not kwargs
            and isinstance(args[0], (list, tuple))
        ):
            self.budget.length_ok(len(obj) + len(args[0]), obj, "'extend'")
            obj.extend(args[0])
            return True
        return False

    def import_from(self, stmt: ast.ImportFrom, scope: dict[str, Any]) -> None:
        module = stmt.module or ""
        if stmt.level == 0:
            for alias in stmt.names:
                if alias.name != "*":
                    scope[alias.asname or alias.name] = Symbol(f"{module}.{alias.name}")
            return
        folder = self.path.parent
        for _ in range(stmt.level - 1):
            folder = folder.parent
        rel = Path(*module.split(".")) if module else Path()
        candidates = (
            [folder / rel.with_suffix(".py"), folder / rel / "__init__.py"] if module else []
        )
        found = next((c for c in candidates if c.is_file()), None)
        dots = "." * stmt.level
        if found is None:
            # `from . import x` may name a sibling file x.py.
            for alias in stmt.names:
                sub = folder / rel / f"{alias.name}.py"
                if sub.is_file():
                    scope[alias.asname or alias.name] = self._read_file(sub)
                    continue
                scope[alias.asname or alias.name] = Unresolved(
                    f"from {dots}{module} import {alias.name}", "config file not found"
                )
                self.notes.append(
                    f"Config file for 'from {dots}{module} import {alias.name}' (relative to "
                    f"{self.path.name}) was not found; '{alias.asname or alias.name}' is unknown."
                )
            return
        values = self._read_file(found)
        for alias in stmt.names:
            if alias.name == "*":
                for k, v in values.items():
                    if not k.startswith("_"):
                        scope[k] = copy.deepcopy(v)
            elif alias.name in values:
                scope[alias.asname or alias.name] = copy.deepcopy(values[alias.name])
            else:
                scope[alias.asname or alias.name] = Unresolved(
                    f"from {dots}{module} import {alias.name}", "name not defined there"
                )
                self.notes.append(f"{found.name} does not define {alias.name!r}.")

    def assign(self, target: ast.expr, value: Any, scope: dict[str, Any]) -> None:
        if isinstance(target, ast.Name):
            scope[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, (list, tuple)) and len(value) == len(target.elts):
                for t, v in zip(target.elts, value, strict=False):
                    self.assign(t, v, scope)
            else:
                for t in target.elts:
                    self.assign(t, Unresolved(self.src(target), "cannot unpack"), scope)
        elif isinstance(target, ast.Attribute):
            obj = self.eval(target.value, scope)
            if isinstance(obj, dict):
                obj[target.attr] = value
            else:
                self.notes.append(
                    f"{self.path.name}:{target.lineno}: assignment to {self.src(target)!r} "
                    "was skipped (its object is unknown)."
                )
        elif isinstance(target, ast.Subscript):
            obj = self.eval(target.value, scope)
            key = self.eval(target.slice, scope)
            try:
                obj[key] = value
            except (TypeError, KeyError, IndexError):
                self.notes.append(
                    f"{self.path.name}:{target.lineno}: assignment to {self.src(target)!r} "
                    "was skipped."
                )
        else:
            self.notes.append(f"{self.path.name}: assignment target {self.src(target)!r} skipped.")


def _as_load(target: ast.expr) -> ast.expr:
    node = copy.deepcopy(target)
    for sub in ast.walk(node):
        if hasattr(sub, "ctx"):
            sub.ctx = ast.Load()
    return node
