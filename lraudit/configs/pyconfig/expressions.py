"""Expressions of the restricted interpreter: one handler per :mod:`ast` node type.

:class:`Expressions` evaluates a closed set of expression nodes (constants, names, containers,
attribute and subscript access, arithmetic, comparisons, f-strings, comprehensions and calls of
safe builtins or of functions the config itself defines). Every other node becomes an
:class:`~.values.Unresolved` value. Each operation is charged to the :class:`~.budget.Budget`
before it runs. Statements (assignment, imports, ``_base_``) live in :mod:`.evaluator`, which
subclasses this.
"""

from __future__ import annotations

import ast
import copy
import operator
from collections.abc import Callable, Iterable
from typing import Any

from lraudit.configs.pyconfig.budget import Budget, number_size_ok
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

SAFE_BUILTINS: dict[str, Callable[..., Any]] = {
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


class Expressions:
    """Expression evaluation over a scope dict; subclasses provide statements."""

    budget: Budget
    depth: int
    text: str

    def src(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ast.dump(node)[:80]

    def assign(self, target: ast.expr, value: Any, scope: dict[str, Any]) -> None:
        raise NotImplementedError

    def exec_block(self, body: Iterable[ast.stmt], scope: dict[str, Any]) -> None:
        raise NotImplementedError

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
        handler = _HANDLERS.get(type(node))
        if handler is None:
            return Unresolved(self.src(node), f"{type(node).__name__} is not evaluated")
        return handler(self, node, scope)

    def _constant(self, node: ast.Constant, scope: dict[str, Any]) -> Any:
        self.budget.constant(node.value)
        return node.value

    def _name(self, node: ast.Name, scope: dict[str, Any]) -> Any:
        if node.id in scope:
            return scope[node.id]
        if node.id in SAFE_BUILTINS:
            return Symbol(f"builtins.{node.id}")
        if node.id in ("inf", "nan"):
            return float(node.id)
        return Unresolved(node.id, "name not defined")

    def _sequence(self, node: ast.List | ast.Tuple | ast.Set, scope: dict[str, Any]) -> Any:
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

    def _dict(self, node: ast.Dict, scope: dict[str, Any]) -> Any:
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

    def _attribute(self, node: ast.Attribute, scope: dict[str, Any]) -> Any:
        obj = self.eval(node.value, scope)
        if isinstance(obj, dict):
            return obj[node.attr] if node.attr in obj else Unresolved(self.src(node))
        if isinstance(obj, Symbol):
            return Symbol(f"{obj.path}.{node.attr}")
        return Unresolved(self.src(node))

    def _subscript(self, node: ast.Subscript, scope: dict[str, Any]) -> Any:
        obj = self.eval(node.value, scope)
        key = self.eval(node.slice, scope)
        if isinstance(obj, (Unresolved, Symbol)) or isinstance(key, Unresolved):
            return Unresolved(self.src(node))
        if isinstance(key, slice) and isinstance(obj, (list, tuple, str)):
            self.budget.step(len(obj) // 64 if isinstance(obj, str) else len(obj))
        else:
            self.budget.walk(key)
        return obj[key]

    def _slice(self, node: ast.Slice, scope: dict[str, Any]) -> Any:
        parts = [
            None if p is None else self.eval(p, scope) for p in (node.lower, node.upper, node.step)
        ]
        return slice(*parts)

    def _binop_node(self, node: ast.BinOp, scope: dict[str, Any]) -> Any:
        return self.binop(node.op, self.eval(node.left, scope), self.eval(node.right, scope))

    def _unary(self, node: ast.UnaryOp, scope: dict[str, Any]) -> Any:
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

    def _boolop(self, node: ast.BoolOp, scope: dict[str, Any]) -> Any:
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

    def _compare(self, node: ast.Compare, scope: dict[str, Any]) -> Any:
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

    def _ifexp(self, node: ast.IfExp, scope: dict[str, Any]) -> Any:
        test = self.eval(node.test, scope)
        if isinstance(test, Unresolved):
            return Unresolved(self.src(node))
        return self.eval(node.body if test else node.orelse, scope)

    def _joinedstr(self, node: ast.JoinedStr, scope: dict[str, Any]) -> Any:
        pieces: list[str] = []
        for v in node.values:
            val = (
                self.eval(v.value, scope)
                if isinstance(v, ast.FormattedValue)
                else getattr(v, "value", None)
            )
            if isinstance(val, (Unresolved, Symbol, dict)):
                return Unresolved(self.src(node))
            self.budget.walk(val)
            pieces.append(str(val))
            self.budget.length_ok(sum(map(len, pieces)), "", "an f-string")
        return "".join(pieces)

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
            if func.path.startswith("builtins.") and func.name in SAFE_BUILTINS:
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
        out = dict(*args, **kwargs) if name == "dict" else SAFE_BUILTINS[name](*args, **kwargs)
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


_HANDLERS: dict[type, Callable[[Expressions, Any, dict[str, Any]], Any]] = {
    ast.Constant: Expressions._constant,
    ast.Name: Expressions._name,
    ast.List: Expressions._sequence,
    ast.Tuple: Expressions._sequence,
    ast.Set: Expressions._sequence,
    ast.Dict: Expressions._dict,
    ast.Attribute: Expressions._attribute,
    ast.Subscript: Expressions._subscript,
    ast.Slice: Expressions._slice,
    ast.BinOp: Expressions._binop_node,
    ast.UnaryOp: Expressions._unary,
    ast.BoolOp: Expressions._boolop,
    ast.Compare: Expressions._compare,
    ast.IfExp: Expressions._ifexp,
    ast.JoinedStr: Expressions._joinedstr,
    ast.ListComp: Expressions.comprehension,
    ast.GeneratorExp: Expressions.comprehension,
    ast.SetComp: Expressions.comprehension,
    ast.Call: Expressions.call,
}
