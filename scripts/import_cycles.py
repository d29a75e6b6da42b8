"""Print the import cycles between lraudit modules; exit 1 when there is one.

Usage: ``python scripts/import_cycles.py [package_dir]`` (default: ``lraudit`` next to this
script's parent directory).

Every ``import`` / ``from ... import`` in a module counts, at any depth (inside functions and
methods too: a function-level import only defers a cycle, it does not remove it), except those
under ``if TYPE_CHECKING:``, which never run. ``from pkg import name`` is an edge to
``pkg.name`` when that is a module, else to ``pkg`` itself; relative imports are resolved
against the importing module. Importing ``a.b`` also runs ``a/__init__.py``, but that implicit
edge is not drawn: a package's ``__init__`` that imports its own submodules would otherwise put
every package in a cycle. The cycles are reported as strongly connected components of the graph,
and each component is listed as the shortest cycle through each of its edges, with the
``file:line`` of every import on it.
"""

from __future__ import annotations

import ast
import itertools
import sys
from collections import deque
from pathlib import Path


def module_name(path: Path, root: Path) -> str:
    """``lraudit/configs/hf.py`` -> ``lraudit.configs.hf``; a package's ``__init__`` -> the package."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement of a module, at any depth, outside ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _resolve(node: ast.ImportFrom, current: str, is_package: bool) -> str:
    """The absolute module a ``from`` import names (relative levels resolved)."""
    if not node.level:
        return node.module or ""
    base = current.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph(root: Path) -> dict[str, dict[str, list[str]]]:
    """``{module: {imported module: ["file:line", ...]}}`` over the package at ``root``."""
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    top = root.name
    graph: dict[str, dict[str, list[str]]] = {m: {} for m in files}
    for mod, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in _imports(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                src = _resolve(node, mod, is_package)
                for a in node.names:
                    sub = f"{src}.{a.name}"
                    targets.append(sub if sub in files else src)
            for t in targets:
                while t and t not in files and t.startswith(top + "."):
                    t = t.rsplit(".", 1)[0]  # ``import lraudit.x.y`` of a name inside a module
                if t in files and t != mod:
                    where = f"{path.relative_to(root.parent)}:{node.lineno}"
                    graph[mod].setdefault(t, []).append(where)
    return graph


def strongly_connected(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Tarjan's components with more than one module, each sorted, in a stable order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def _shortest_path(
    graph: dict[str, dict[str, list[str]]], src: str, dst: str, members: set[str]
) -> list[str] | None:
    """A shortest import path ``src -> ... -> dst`` inside ``members`` (breadth-first)."""
    prev: dict[str, str] = {src: src}
    queue = deque([src])
    while queue:
        v = queue.popleft()
        if v == dst:
            path = [v]
            while path[-1] != src:
                path.append(prev[path[-1]])
            return path[::-1]
        for w in sorted(graph[v]):
            if w in members and w not in prev:
                prev[w] = v
                queue.append(w)
    return None


def cycles(graph: dict[str, dict[str, list[str]]], comp: list[str]) -> list[list[str]]:
    """For every import edge ``a -> b`` inside ``comp``, the shortest cycle through it
    (``a -> b -> ... -> a``); duplicates (the same cycle from another edge) left out."""
    members, seen, out = set(comp), set(), []
    for a in comp:
        for b in sorted(graph[a]):
            if b not in members:
                continue
            back = _shortest_path(graph, b, a, members)
            if back is None:
                continue
            ring = [a, *back[:-1]]
            k = ring.index(min(ring))
            key = tuple(ring[k:] + ring[:k])
            if key not in seen:
                seen.add(key)
                out.append([*key, key[0]])
    return sorted(out, key=lambda c: (len(c), c))


def _where(graph: dict[str, dict[str, list[str]]], a: str, b: str) -> str:
    return ", ".join(dict.fromkeys(graph[a][b]))


def report(root: Path) -> tuple[int, str]:
    """(number of cycles, text): each cycle, with the ``file:line`` of every import in it."""
    graph = import_graph(root)
    found = [c for comp in strongly_connected(graph) for c in cycles(graph, comp)]
    lines = []
    for c in found:
        lines.append(" -> ".join(c))
        lines += [f"    {a} -> {b}: {_where(graph, a, b)}" for a, b in itertools.pairwise(c)]
    edges = sum(len(v) for v in graph.values())
    lines.append(f"{len(found)} import cycle(s) among {len(graph)} modules ({edges} edges).")
    return len(found), "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else Path(__file__).resolve().parent.parent / "lraudit"
    if not (root / "__init__.py").is_file():
        print(f"import_cycles: {root} is not a package directory (no __init__.py)", file=sys.stderr)
        return 2
    n, text = report(root.resolve())
    print(text)
    return 1 if n else 0


if __name__ == "__main__":
    sys.exit(main())
