"""The package's structure stays as docs/architecture.md draws it.

- Imports flow one way: no cycle among the package's modules, counting the
  imports under ``if TYPE_CHECKING:`` and inside functions.
- Each object changes its own state: no module assigns to (or deletes) an
  underscore attribute of anything but ``self``/``cls``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "python" / "socketio_rs"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def is_native(package: str, name: str) -> bool:
    """``from package import name`` of a compiled module (its stub is beside it)."""
    folder = PACKAGE.parent.joinpath(*package.split("."))
    return (folder / f"{name}.pyi").exists()


def imported(name: str, path: Path, tree: ast.Module) -> set[str]:
    """The package's modules that ``name`` imports (a package's ``__init__`` counts
    when a name is taken from it)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in MODULES)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                if submodule in MODULES:
                    found.add(submodule)
                elif target in MODULES and not is_native(target, alias.name):
                    found.add(target)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    return {
        name: imported(name, path, ast.parse(path.read_text(encoding="utf-8")))
        for name, path in MODULES.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_imports_flow_one_way() -> None:
    graph = import_graph()
    assert graph.get("socketio_rs.server.server")
    assert cycles(graph) == []


def test_a_cycle_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def private_writes(source: str, where: str) -> list[str]:
    """``x._name = ...``, ``x._name += ...``, ``del x._name`` where x is not self/cls."""
    found = []
    for node in ast.walk(ast.parse(source)):
        targets: list[ast.expr] = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            for sub in ast.walk(target):
                if (
                    isinstance(sub, ast.Attribute)
                    and sub.attr.startswith("_")
                    and not sub.attr.startswith("__")
                    and not (isinstance(sub.value, ast.Name) and sub.value.id in ("self", "cls"))
                ):
                    found.append(f"{where}:{sub.lineno} {ast.unparse(sub)}")
    return found


@pytest.mark.parametrize("name", sorted(MODULES))
def test_objects_change_only_their_own_state(name: str) -> None:
    path = MODULES[name]
    assert private_writes(path.read_text(encoding="utf-8"), path.name) == []


def test_a_private_write_is_found() -> None:
    source = "def f(socket):\n    socket._closing = True\n    self._ok = 1\n"
    assert private_writes(source, "m.py") == ["m.py:2 socket._closing"]
