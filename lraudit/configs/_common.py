"""Shared helpers for config parsers: safe YAML, base-file merging, a restricted ``ast`` reader.

Nothing here executes or imports anything that comes from a config file.

* :func:`load_yaml` reads YAML with a :class:`yaml.SafeLoader` subclass that also accepts
  PaddleDetection's custom ``!Tag`` nodes (a mapping becomes a dict with ``"__type__": "Tag"``),
  Python-specific tags written by ``yaml.dump`` (``!!python/tuple`` becomes a list, other
  ``!!python/...`` tags become the placeholder string ``"<python/...>"``) and YAML-1.1 floats
  without a dot (``1e-4`` is a float, not the string PyYAML would give).
* :func:`merge_dicts` merges a child config over its base: dicts merge recursively, everything
  else (lists included) is replaced, and a child dict with ``_delete_=True`` replaces the base
  dict (MMEngine's rule).
* :func:`load_yaml_with_bases` follows ``_BASE_`` (a path or a list of paths, relative to the
  file) recursively, merging bases in order and the file on top.
* :func:`read_python_config` evaluates a Python config with a restricted interpreter over
  :mod:`ast` (see its docstring for exactly what it evaluates). Constructs it does not evaluate
  become :class:`Unresolved` values, which a parser turns into a :class:`ConfigError` only when
  it needs that value. Constructs that can only serve to run code (``__import__``, ``eval``,
  ``exec``, ``open``, dunder attributes, ``subprocess``...) raise :class:`UnsafeConfigError`
  before anything is evaluated.
"""

from __future__ import annotations

import ast
import copy
import math
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lraudit.errors import ConfigError, UnsafeConfigError

# --------------------------------------------------------------------------- plain values


def f32(x: float) -> float:
    """``x`` rounded to float32 and back, as protobuf ``float`` fields and TF store it.

    >>> f32(0.004)
    0.004000000189989805
    """
    import numpy as np

    return float(np.float32(x))


def is_number(x: Any) -> bool:
    """True for int/float values that are not bool."""
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def as_float(x: Any, where: str) -> float:
    """``x`` as a float; :class:`ConfigError` naming ``where`` when it is not a number."""
    if isinstance(x, Unresolved):
        raise ConfigError(f"{where}: value {x.source!r} cannot be read without running the config")
    if isinstance(x, str):
        try:
            return float(x)
        except ValueError:
            pass
    if not is_number(x):
        raise ConfigError(f"{where}: expected a number, got {x!r}")
    return float(x)


def as_int(x: Any, where: str) -> int:
    """``x`` as an int (a float must be whole); :class:`ConfigError` otherwise."""
    v = as_float(x, where)
    if not float(v).is_integer():
        raise ConfigError(f"{where}: expected a whole number, got {x!r}")
    return int(v)


def whole(x: float, tol: float = 1e-6) -> float:
    """``x`` snapped to the nearest integer when within ``tol`` of it (``500/184375*737500``).

    >>> whole(1999.9999999999998)
    2000.0
    """
    r = round(x)
    return float(r) if abs(x - r) <= tol * max(1.0, abs(x)) else float(x)


def fmt(x: float) -> str:
    """A short human form of a number for assumption sentences (``90000`` -> ``90,000``)."""
    if float(x).is_integer() and abs(x) >= 1000:
        return f"{int(x):,}"
    return f"{x:g}"


# --------------------------------------------------------------------------- YAML

_FLOAT_NO_DOT = re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$")


class SafeTagLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that tolerates custom tags and reads ``1e-4`` as a float."""


SafeTagLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_NO_DOT, list("-+0123456789"))


def _construct_tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        out = loader.construct_mapping(node, deep=True)
        return {**out, "__type__": suffix}
    if isinstance(node, yaml.SequenceNode):
        return {"__type__": suffix, "__value__": loader.construct_sequence(node, deep=True)}
    value = loader.construct_scalar(node)
    return {"__type__": suffix} if value in ("", None) else {"__type__": suffix, "__value__": value}


def _construct_python(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if suffix == "tuple" and isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return f"<python/{suffix}>"


SafeTagLoader.add_multi_constructor("!", _construct_tagged)
SafeTagLoader.add_multi_constructor("tag:yaml.org,2002:python/", _construct_python)


def load_yaml(text: str, path: str | Path) -> Any:
    """Parse YAML ``text`` safely; :class:`ConfigError` naming ``path`` and the line on errors."""
    try:
        return yaml.load(text, Loader=SafeTagLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: invalid YAML{where}: {problem}") from None


def merge_dicts(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` merged onto ``base`` (new dict; neither input is modified).

    Dicts merge recursively; lists and scalars replace. A dict in ``over`` with
    ``_delete_: True`` replaces the base value instead of merging (MMEngine).

    >>> merge_dicts({"a": {"x": 1, "y": 2}, "l": [1]}, {"a": {"y": 3}, "l": [2]})
    {'a': {'x': 1, 'y': 3}, 'l': [2]}
    >>> merge_dicts({"a": {"x": 1}}, {"a": {"_delete_": True, "z": 0}})
    {'a': {'z': 0}}
    """
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict):
            if value.get("_delete_"):
                out[key] = {k: copy.deepcopy(v) for k, v in value.items() if k != "_delete_"}
            elif isinstance(out.get(key), dict):
                out[key] = merge_dicts(out[key], value)
            else:
                out[key] = {k: copy.deepcopy(v) for k, v in value.items() if k != "_delete_"}
        else:
            out[key] = copy.deepcopy(value)
    return out


@dataclass
class Loaded:
    """A config with its bases merged: the values, the files read, and what was assumed."""

    data: dict[str, Any]
    files: list[Path] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _base_list(value: Any, path: Path, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{path}: {key} must be a path or a list of paths, got {value!r}")


def resolve_base(ref: str, path: Path) -> Path | None:
    """The file a base reference points to (relative to ``path``'s folder), None for URLs."""
    if re.match(r"^[a-z]+://", ref):
        return None
    p = Path(ref).expanduser()
    return p if p.is_absolute() else (path.parent / p)


def load_yaml_with_bases(
    path: Path, text: str | None = None, key: str = "_BASE_", _stack: tuple[Path, ...] = ()
) -> Loaded:
    """Load a YAML config and its ``key`` bases (fvcore / PaddleDetection semantics).

    Bases load in order, each later one merged over the earlier, then the file itself on top.
    A base that does not exist is recorded in ``missing`` and ``assumptions`` rather than
    raising: callers decide whether the keys they need are still present.
    """
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    data = load_yaml(text, path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    out = Loaded({}, [path])
    for ref in _base_list(data.pop(key, None), path, key):
        bp = resolve_base(ref, path)
        if bp is None or not bp.is_file():
            out.missing.append(ref)
            out.assumptions.append(
                f"Base config {ref!r} named in {path.name} was not found; keys it would set are "
                "not included."
            )
            continue
        if bp.resolve() in {p.resolve() for p in _stack + (path,)}:
            raise ConfigError(f"{path}: {key} {ref!r} includes itself (cycle)")
        sub = load_yaml_with_bases(bp, None, key, _stack + (path,))
        out.data = merge_dicts(out.data, sub.data)
        out.files += sub.files
        out.assumptions += sub.assumptions
        out.missing += sub.missing
    out.data = merge_dicts(out.data, data)
    return out


# --------------------------------------------------------------------------- Python configs


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
class _Function:
    node: ast.FunctionDef
    scope: dict[str, Any]


@dataclass
class _LazyTarget:
    """``L(X)`` waiting for its keyword arguments (detectron2 ``LazyCall``)."""

    target: str


class _ReadBase:
    """The value of MMEngine's ``read_base()`` context manager (a marker)."""


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


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
_MAX_SEQ = 100_000
_MAX_DEPTH = 60
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


def check_safe(tree: ast.AST, path: Path) -> None:
    """Raise :class:`UnsafeConfigError` if ``tree`` names anything only useful to run code.

    This is a static check done before any evaluation: calls to ``__import__``/``eval``/
    ``exec``/``open``..., any dunder attribute (``().__class__.__subclasses__()``), and imports of
    process/network/serialisation modules.

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


_PLACEHOLDER_BASE = re.compile(r"\{\{\s*_base_\.([A-Za-z_][\w.\[\]'\"]*)\s*\}\}")
_PLACEHOLDER_OTHER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


def _substitute_placeholders(text: str) -> str:
    """MMEngine ``{{_base_.x}}`` -> ``_base_.x``; other ``{{ ... }}`` -> a string literal."""
    text = _PLACEHOLDER_BASE.sub(r"_base_.\1", text)
    return _PLACEHOLDER_OTHER.sub(lambda m: repr("{{" + m.group(1) + "}}"), text)


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


class _Reader:
    """The restricted interpreter (one per file; imports of config files create new ones)."""

    def __init__(self, path: Path, stack: tuple[Path, ...], base_key: str | None) -> None:
        self.path = path
        self.stack = stack
        self.base_key = base_key
        self.files: list[Path] = [path]
        self.notes: list[str] = []
        self.depth = 0
        self.text = ""

    # -- entry
    def run(self, text: str) -> dict[str, Any]:
        self.text = _substitute_placeholders(text)
        try:
            tree = ast.parse(self.text, filename=str(self.path))
        except SyntaxError as exc:
            raise ConfigError(f"{self.path}:{exc.lineno}: not valid Python ({exc.msg})") from None
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
            if k != self.base_key and not isinstance(v, (_Function, _ReadBase, _LazyTarget))
        }
        return merge_dicts(base, own) if base else own

    def _load_bases(self, refs: Any) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for ref in _base_list(refs, self.path, str(self.base_key)):
            bp = resolve_base(ref, self.path)
            if bp is None or not bp.is_file():
                self.notes.append(
                    f"Base config {ref!r} named in {self.path.name} was not found; keys it "
                    "would set are not included."
                )
                continue
            merged = merge_dicts(merged, self._read_file(bp))
        return merged

    def _read_file(self, p: Path) -> dict[str, Any]:
        if p.resolve() in {q.resolve() for q in self.stack + (self.path,)}:
            raise ConfigError(f"{self.path}: config imports itself through {p.name} (cycle)")
        sub = _Reader(p, self.stack + (self.path,), self.base_key)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{p}: cannot read ({exc})") from None
        values = sub.run(text)
        self.files += sub.files
        self.notes += sub.notes
        return values

    # -- statements
    def src(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ast.dump(node)[:80]

    def exec_block(self, body: Iterable[ast.stmt], scope: dict[str, Any]) -> None:
        for stmt in body:
            self.exec_stmt(stmt, scope)

    def exec_stmt(self, stmt: ast.stmt, scope: dict[str, Any]) -> None:
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
            scope[stmt.name] = _Function(stmt, scope)
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
            raise _Return(None if stmt.value is None else self.eval(stmt.value, scope))
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
            obj.update(*args, **kwargs)
            return True
        if isinstance(obj, list) and node.func.attr == "append" and len(args) == 1 and not kwargs:
            obj.append(args[0])
            return True
        if (
            isinstance(obj, list)
            and node.func.attr == "extend"
            and len(args) == 1
            and not kwargs
            and isinstance(args[0], (list, tuple))
        ):
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
        if self.depth > _MAX_DEPTH:
            raise ConfigError(f"{self.path}: expression nested too deeply to read safely")
        try:
            return self._eval(node, scope)
        except (ArithmeticError, TypeError, ValueError, KeyError, IndexError) as exc:
            return Unresolved(self.src(node), f"{type(exc).__name__}: {exc}")
        finally:
            self.depth -= 1

    def _eval(self, node: ast.expr, scope: dict[str, Any]) -> Any:
        if isinstance(node, ast.Constant):
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
                        out.extend(v)
                    else:
                        out.append(Unresolved(self.src(elt)))
                else:
                    out.append(self.eval(elt, scope))
            return tuple(out) if isinstance(node, ast.Tuple) else out
        if isinstance(node, ast.Dict):
            d: dict[Any, Any] = {}
            for k, v in zip(node.keys, node.values, strict=False):
                if k is None:
                    sub = self.eval(v, scope)
                    if isinstance(sub, dict):
                        d.update(copy.deepcopy(sub))
                else:
                    d[self.eval(k, scope)] = self.eval(v, scope)
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
                parts.append(str(val))
            return "".join(parts)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            return self.comprehension(node, scope)
        if isinstance(node, ast.Call):
            return self.call(node, scope)
        return Unresolved(self.src(node), f"{type(node).__name__} is not evaluated")

    def binop(self, op: ast.operator, a: Any, b: Any) -> Any:
        if any(isinstance(x, (Unresolved, Symbol, _LazyTarget)) for x in (a, b)):
            return Unresolved("<expression>", "operand unknown")
        if type(op) not in _BINOPS:
            return Unresolved("<expression>", f"{type(op).__name__} not evaluated")
        if isinstance(op, ast.Pow) and is_number(b) and abs(b) > 1000:
            return Unresolved("<expression>", "exponent too large")
        if isinstance(op, ast.Mult):
            for seq, n in ((a, b), (b, a)):
                if isinstance(seq, (list, tuple, str)) and is_number(n) and len(seq) * n > _MAX_SEQ:
                    return Unresolved("<expression>", "sequence too long")
        return _BINOPS[type(op)](a, b)

    def comprehension(
        self, node: ast.ListComp | ast.GeneratorExp | ast.SetComp, scope: dict[str, Any]
    ) -> Any:
        if len(node.generators) != 1 or node.generators[0].is_async:
            return Unresolved(self.src(node))
        gen = node.generators[0]
        items = self.eval(gen.iter, scope)
        if not isinstance(items, (list, tuple, range)) or len(items) > _MAX_SEQ:
            return Unresolved(self.src(node))
        out = []
        for item in items:
            inner = dict(scope)
            self.assign(gen.target, item, inner)
            if all(self.eval(cond, inner) is True for cond in gen.ifs):
                out.append(self.eval(node.elt, inner))
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
                kwargs.update(copy.deepcopy(v))
            else:
                kwargs[kw.arg] = v
        if isinstance(func, _LazyTarget):
            if args:
                return Unresolved(self.src(node), "LazyCall takes keyword arguments only")
            return {"_target_": func.target, **kwargs}
        if isinstance(func, _Function):
            return self.call_function(func, args, kwargs, node)
        if isinstance(func, Symbol):
            if func.name == "LazyCall" or func.path.endswith(".LazyCall"):
                if len(args) == 1 and isinstance(args[0], (Symbol, str)):
                    t = args[0]
                    return _LazyTarget(t.path if isinstance(t, Symbol) else t)
                return Unresolved(self.src(node))
            if func.name == "read_base":
                return _ReadBase()
            if func.path.startswith("builtins.") and func.name in _SAFE_BUILTINS:
                if func.name == "range" or any(
                    isinstance(x, (Unresolved, Symbol, _LazyTarget)) for x in args
                ):
                    return Unresolved(self.src(node))
                if func.name == "dict":
                    return dict(*args, **kwargs)
                return _SAFE_BUILTINS[func.name](*args, **kwargs)
        if isinstance(node.func, ast.Name) and node.func.id == "range":
            if len(args) > 3 or not all(isinstance(a, int) for a in args):
                return Unresolved(self.src(node))
            r = range(*args)
            return list(r) if len(r) <= _MAX_SEQ else Unresolved(self.src(node), "range too long")
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("copy", "get"):
            obj = self.eval(node.func.value, scope)
            if isinstance(obj, dict):
                if node.func.attr == "copy" and not args:
                    return copy.deepcopy(obj)
                if node.func.attr == "get" and 1 <= len(args) <= 2:
                    return obj.get(*args)
        return Unresolved(self.src(node), "call not evaluated")

    def call_function(
        self, fn: _Function, args: list[Any], kwargs: dict[str, Any], node: ast.AST
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
        except _Return as r:
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


def read_python_config(
    path: Path, text: str | None = None, base_key: str | None = "_base_"
) -> PyConfig:
    """Evaluate a Python config file without executing it.

    Evaluated: literals; names bound earlier; attribute and item access on dicts; ``+ - * / //
    % **`` (with size guards), unary ops, comparisons, ``and``/``or``, ``x if c else y``,
    f-strings, one-generator comprehensions; calls of ``dict list tuple set int float str bool
    min max round abs len sum sorted range``; ``.copy()`` / ``.get()`` on dicts; functions
    *defined in the config* (their bodies are interpreted by the same rules); detectron2
    ``LazyCall(X)(k=v)`` -> ``{"_target_": "dotted.X", "k": v}``; ``import``/``from`` of
    libraries -> :class:`Symbol`; relative imports of sibling config files (read the same way);
    MMEngine ``_base_`` (bases merged first, ``{{_base_.x}}`` placeholders resolved, child
    merged on top with ``_delete_``) and ``with read_base():`` imports. Assignments to
    attributes/items of dicts (``train.max_iter *= 4``) mutate them as Python would.

    Not evaluated (the value becomes :class:`Unresolved`, noted in ``notes``): lambdas, calls
    of anything else, loops, classes, ``try``. Refused (:class:`UnsafeConfigError`, before any
    evaluation): see :func:`check_safe`.

    >>> cfg = read_python_config(Path("c.py"), "base_lr = 0.01\\nopt = dict(type='SGD', lr=base_lr * 2)")
    >>> cfg.values["opt"]
    {'type': 'SGD', 'lr': 0.02}
    """
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read ({exc})") from None
    reader = _Reader(path, (), base_key)
    values = reader.run(text)
    return PyConfig(values, reader.files, reader.notes)


def lookup(data: Any, dotted: str, default: Any = None) -> Any:
    """``data["a"]["b"]`` for ``"a.b"``; ``default`` when any part is missing.

    >>> lookup({"a": {"b": 1}}, "a.b"), lookup({"a": 1}, "a.b", 0)
    (1, 0)
    """
    cur = data
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return default
        cur = cur[part]
    return cur


def plain(x: Any) -> Any:
    """``x`` with :class:`Symbol` -> dotted path, :class:`Unresolved` -> its source, tuples ->
    lists, recursively: safe to put in ``IntendedSchedule.settings`` (JSON-able).

    >>> plain({"type": Symbol("a.B"), "m": (1, 2)})
    {'type': 'a.B', 'm': [1, 2]}
    """
    if isinstance(x, Symbol):
        return x.path
    if isinstance(x, Unresolved):
        return f"<unresolved {x.source}>"
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items() if k != "_delete_"}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    return x


def intify(x: Any) -> Any:
    """Whole floats -> int (also inside lists), other values unchanged.

    >>> intify([8000.0, 1.5]), intify(3.0)
    ([8000, 1.5], 3)
    """
    if isinstance(x, list):
        return [intify(v) for v in x]
    if isinstance(x, float) and math.isfinite(x) and x.is_integer():
        return int(x)
    return x


def finite_or_none(x: float | None) -> float | None:
    """``x`` unless it is None or not finite."""
    return None if x is None or not math.isfinite(x) else x


__all__ = [
    "Loaded",
    "PyConfig",
    "SafeTagLoader",
    "Symbol",
    "UNSAFE_MODULES",
    "UNSAFE_NAMES",
    "Unresolved",
    "as_float",
    "as_int",
    "check_safe",
    "f32",
    "fmt",
    "is_number",
    "load_yaml",
    "load_yaml_with_bases",
    "lookup",
    "intify",
    "merge_dicts",
    "plain",
    "read_python_config",
    "resolve_base",
    "type_name",
    "whole",
]
