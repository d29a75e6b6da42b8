"""The restricted interpreter of Python configs: a closed set of operations over :mod:`ast`.

Nothing from the config is executed, imported or called: statements and expressions are
interpreted one node at a time, and anything outside the set below becomes an
:class:`~.values.Unresolved` value (noted), never an action. Every operation is charged to a
:class:`~.budget.Budget` before it runs.
"""

from __future__ import annotations

import ast
import copy
import operator
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from lraudit.configs.includes import base_list, confine, load_once, merge_dicts, resolve_base
from lraudit.configs.limits import ConfigLimitError
from lraudit.configs.loaders import read_text
from lraudit.configs.pyconfig.budget import Budget, number_size_ok
from lraudit.configs.pyconfig.safety import check_safe, substitute_placeholders
from lraudit.configs.pyconfig.values import (
    OPAQUE,
    Function,
    LazyTarget,
    ReadBase,
    Return,
    Symbol,
    Unresolved,
    is_number,
)
from lraudit.errors import ConfigError

_SAFE_BUILTINS: dict[str, Callable[..., Any]] = {
    "dict": dict,
    "list": list,
    "tuple": tuple,
    "set": set,
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "min": min,
    "max": max,
    "round": round,
    "abs": abs,
    "len": len,
    "sum": sum,
    "sorted": sorted,
    "reversed": lambda x: list(reversed(x)),
    "enumerate": lambda x, start=0: list(enumerate(x, start)),
    "zip": lambda *xs: list(zip(*xs, strict=False)),
}
#: Python frames per nested expression level stay far below the interpreter's own limit.
MAX_EXPR_DEPTH = 60
_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}


class Evaluator:
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
    def src(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ast.dump(node)[:80]

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

    # -- expressions
    def eval(self, node: ast.expr, scope: dict[str, Any]) -> Any:
        self.depth += 1
        self.budget.step()
        if self.depth > MAX_EXPR_DEPTH:
            raise self.budget.fail(
                f"expressions or calls nested more than {MAX_EXPR_DEPTH} levels deep"
            )
        try:
            return self._eval(node, scope)
        except (ArithmeticError, TypeError, ValueError, KeyError, IndexError) as exc:
            return Unresolved(self.src(node), f"{type(exc).__name__}: {exc}")
        finally:
            self.depth -= 1

    def _eval(self, node: ast.expr, scope: dict[str, Any]) -> Any:
        if isinstance(node, ast.Constant):
            self.budget.constant(node.value)
            return node.value
        if isinstance(node, ast.Name):
            if node.id in scope:
                return scope[node.id]
            if node.id in _SAFE_BUILTINS:
                return Symbol(f"builtins.{node.id}")
            if node.id in ("inf", "nan"):
                return float(node.id)
            return Unresolved(node.id, "name not defined")
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            out: list[Any] = []
            for elt in node.elts:
                if isinstance(elt, ast.Starred):
                    v = self.eval(elt.value, scope)
                    if isinstance(v, (list, tuple)):
                        self.budget.length_ok(len(out) + len(v), out, "'*'")
                        out.extend(v)
                    else:
                        out.append(Unresolved(self.src(elt)))
                else:
                    out.append(self.eval(elt, scope))
            if isinstance(node, ast.Set):
                self.budget.walk(out)  # hashing walks tuples
            return tuple(out) if isinstance(node, ast.Tuple) else out
        if isinstance(node, ast.Dict):
            d: dict[Any, Any] = {}
            for k, v in zip(node.keys, node.values, strict=False):
                if k is None:
                    sub = self.eval(v, scope)
                    if isinstance(sub, dict):
                        self.budget.walk(sub)
                        d.update(copy.deepcopy(sub))
                else:
                    key = self.eval(k, scope)
                    self.budget.walk(key)
                    d[key] = self.eval(v, scope)
            return d
        if isinstance(node, ast.Attribute):
            obj = self.eval(node.value, scope)
            if isinstance(obj, dict):
                return obj[node.attr] if node.attr in obj else Unresolved(self.src(node))
            if isinstance(obj, Symbol):
                return Symbol(f"{obj.path}.{node.attr}")
            return Unresolved(self.src(node))
        if isinstance(node, ast.Subscript):
            obj = self.eval(node.value, scope)
            key = self.eval(node.slice, scope)
            if isinstance(obj, (Unresolved, Symbol)) or isinstance(key, Unresolved):
                return Unresolved(self.src(node))
            if isinstance(key, slice) and isinstance(obj, (list, tuple, str)):
                self.budget.step(len(obj) // 64 if isinstance(obj, str) else len(obj))
            else:
                self.budget.walk(key)
            return obj[key]
        if isinstance(node, ast.Slice):
            parts = [
                None if p is None else self.eval(p, scope)
                for p in (node.lower, node.upper, node.step)
            ]
            return slice(*parts)
        if isinstance(node, ast.BinOp):
            return self.binop(node.op, self.eval(node.left, scope), self.eval(node.right, scope))
        if isinstance(node, ast.UnaryOp):
            v = self.eval(node.operand, scope)
            if isinstance(v, (Unresolved, Symbol)):
                return Unresolved(self.src(node))
            if isinstance(node.op, ast.USub):
                return -v
            if isinstance(node.op, ast.UAdd):
                return +v
            if isinstance(node.op, ast.Not):
                return not v
            return ~v
        if isinstance(node, ast.BoolOp):
            vals = [self.eval(v, scope) for v in node.values]
            if any(isinstance(v, Unresolved) for v in vals):
                return Unresolved(self.src(node))
            if isinstance(node.op, ast.And):
                result: Any = True
                for v in vals:
                    result = v
                    if not v:
                        break
                return result
            for v in vals:
                if v:
                    return v
            return vals[-1]
        if isinstance(node, ast.Compare):
            left = self.eval(node.left, scope)
            for op, comp in zip(node.ops, node.comparators, strict=False):
                right = self.eval(comp, scope)
                if isinstance(left, Unresolved) or isinstance(right, Unresolved):
                    return Unresolved(self.src(node))
                self.budget.walk(left)
                self.budget.walk(right)
                if not _CMPOPS[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            test = self.eval(node.test, scope)
            if isinstance(test, Unresolved):
                return Unresolved(self.src(node))
            return self.eval(node.body if test else node.orelse, scope)
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                val = self.eval(v.value, scope) if isinstance(v, ast.FormattedValue) else v.value
                if isinstance(val, (Unresolved, Symbol, dict)):
                    return Unresolved(self.src(node))
                self.budget.walk(val)
                parts.append(str(val))
                self.budget.length_ok(sum(map(len, parts)), "", "an f-string")
            return "".join(parts)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            return self.comprehension(node, scope)
        if isinstance(node, ast.Call):
            return self.call(node, scope)
        return Unresolved(self.src(node), f"{type(node).__name__} is not evaluated")

    def binop(self, op: ast.operator, a: Any, b: Any) -> Any:
        if any(isinstance(x, OPAQUE) for x in (a, b)):
            return Unresolved("<expression>", "operand unknown")
        if type(op) not in _BINOPS:
            return Unresolved("<expression>", f"{type(op).__name__} not evaluated")
        self.budget.binop(op, a, b)
        return _BINOPS[type(op)](a, b)

    def comprehension(
        self, node: ast.ListComp | ast.GeneratorExp | ast.SetComp, scope: dict[str, Any]
    ) -> Any:
        if len(node.generators) != 1 or node.generators[0].is_async:
            return Unresolved(self.src(node))
        gen = node.generators[0]
        items = self.eval(gen.iter, scope)
        if not isinstance(items, (list, tuple, range)):
            return Unresolved(self.src(node))
        self.budget.length_ok(len(items), [], "a comprehension")
        out: list[Any] = []
        inner = dict(scope)  # one scope: each iteration rebinds the target, as Python does
        self.budget.step(len(scope))
        for item in items:
            self.assign(gen.target, item, inner)
            if all(self.eval(cond, inner) is True for cond in gen.ifs):
                out.append(self.eval(node.elt, inner))
        if isinstance(node, ast.SetComp):
            self.budget.walk(out)
        return out

    def call(self, node: ast.Call, scope: dict[str, Any]) -> Any:
        func = self.eval(node.func, scope)
        args: list[Any] = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                v = self.eval(a.value, scope)
                if not isinstance(v, (list, tuple)):
                    return Unresolved(self.src(node))
                args.extend(v)
            else:
                args.append(self.eval(a, scope))
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            v = self.eval(kw.value, scope)
            if kw.arg is None:
                if not isinstance(v, dict):
                    return Unresolved(self.src(node))
                self.budget.walk(v)
                kwargs.update(copy.deepcopy(v))
            else:
                kwargs[kw.arg] = v
        if isinstance(func, LazyTarget):
            if args:
                return Unresolved(self.src(node), "LazyCall takes keyword arguments only")
            return {"_target_": func.target, **kwargs}
        if isinstance(func, Function):
            return self.call_function(func, args, kwargs, node)
        if isinstance(func, Symbol):
            if func.name == "LazyCall" or func.path.endswith(".LazyCall"):
                if len(args) == 1 and isinstance(args[0], (Symbol, str)):
                    t = args[0]
                    return LazyTarget(t.path if isinstance(t, Symbol) else t)
                return Unresolved(self.src(node))
            if func.name == "read_base":
                return ReadBase()
            if func.path.startswith("builtins.") and func.name in _SAFE_BUILTINS:
                if func.name == "range" or any(isinstance(x, OPAQUE) for x in args):
                    return Unresolved(self.src(node))
                return self.builtin(func.name, args, kwargs, node)
        if isinstance(node.func, ast.Name) and node.func.id == "range":
            if len(args) > 3 or not all(isinstance(a, int) for a in args):
                return Unresolved(self.src(node))
            r = range(*args)
            self.budget.length_ok(len(r), [], "'range'")
            return list(r)
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("copy", "get"):
            obj = self.eval(node.func.value, scope)
            if isinstance(obj, dict):
                if node.func.attr == "copy" and not args:
                    self.budget.walk(obj)
                    return copy.deepcopy(obj)
                if node.func.attr == "get" and 1 <= len(args) <= 2:
                    return obj.get(*args)
        return Unresolved(self.src(node), "call not evaluated")

    def builtin(self, name: str, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> Any:
        """A safe builtin, after charging the walk of its arguments to the budget."""
        for a in (*args, *kwargs.values()):
            self.budget.walk(a)
            if isinstance(a, str):
                self.budget.step(len(a) // 64)
        if name == "sum" and (
            not all(isinstance(a, (list, tuple)) and all(map(is_number, a)) for a in args[:1])
            or (len(args) > 1 and not is_number(args[1]))
        ):
            # a sum of lists or strings is quadratic; configs only add numbers
            return Unresolved(self.src(node), "sum of non-numbers")
        out = dict(*args, **kwargs) if name == "dict" else _SAFE_BUILTINS[name](*args, **kwargs)
        number_size_ok(self.budget, out)
        if isinstance(out, str):
            self.budget.length_ok(len(out), out, f"'{name}'")
        return out

    def call_function(
        self, fn: Function, args: list[Any], kwargs: dict[str, Any], node: ast.AST
    ) -> Any:
        """Interpret a function defined in the config with the same restricted evaluator."""
        spec = fn.node.args
        if spec.vararg or spec.kwarg or spec.kwonlyargs or spec.posonlyargs:
            return Unresolved(self.src(node), "function signature not supported")
        names = [a.arg for a in spec.args]
        defaults = [self.eval(d, fn.scope) for d in spec.defaults]
        local = dict(fn.scope)
        bound = dict(zip(names[len(names) - len(defaults) :], defaults, strict=False))
        bound.update(zip(names, args, strict=False))
        bound.update(kwargs)
        if set(bound) != set(names):
            return Unresolved(self.src(node), "arguments do not match")
        local.update(bound)
        self.depth += 5
        try:
            self.exec_block(fn.node.body, local)
        except Return as r:
            return r.value
        finally:
            self.depth -= 5
        return None


def _as_load(target: ast.expr) -> ast.expr:
    node = copy.deepcopy(target)
    for sub in ast.walk(node):
        if hasattr(sub, "ctx"):
            sub.ctx = ast.Load()
    return node
