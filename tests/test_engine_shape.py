"""The engine's package: a regular package that holds no course and whose modules import in one direction.

That the engine grades a course kept anywhere is proven by doing it (test_course_anywhere.py);
these are the shapes that keep it so.
"""
from __future__ import annotations

import ast
from pathlib import Path

import autograder
from autograder.course.model import load_course

ENGINE = Path(autograder.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ENGINE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _engine_imports(path: Path, modules: set[str]) -> set[str]:
    """The engine modules `path` imports, at its top or inside a function alike: either way, a cycle."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found |= {module, *(f"{module}.{alias.name}" for alias in node.names)}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return (found & modules) - {name}


def _import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in ENGINE.rglob("*.py") if "__pycache__" not in p.parts}
    return {name: _engine_imports(path, set(files)) for name, path in files.items()}


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, waiting = set(), [start]
    while waiting:
        for module in graph[waiting.pop()] - seen:
            seen.add(module)
            waiting.append(module)
    return seen


def test_the_engine_is_a_regular_package():
    """A course folder with a folder of its own named autograder/ cannot merge into it (a namespace package
    would take both, and a course file could replace an engine module)."""
    assert (ENGINE / "__init__.py").is_file() and (ENGINE / "exporters" / "__init__.py").is_file()


def test_no_engine_module_imports_itself_through_others():
    graph = _import_graph()
    assert sum(len(imported) for imported in graph.values()) > 50  # the graph was read, not empty
    cycles = sorted(module for module in graph if module in _reachable(graph, module))
    assert not cycles, f"import cycles through: {cycles}"


def test_the_engine_holds_no_course_file():
    """Nothing of this repository's course lives in the package: its grading homes are beside it."""
    course = load_course()
    homes = {home.name for home in course.layout.grading_dir.iterdir()}
    assert homes >= {e.id for e in course.exercises}
    in_engine = {p.relative_to(ENGINE).as_posix() for p in ENGINE.rglob("*") if p.is_file()
                 and "__pycache__" not in p.parts}
    assert not [name for name in in_engine if not (name.endswith(".py") or name.startswith("templates/"))]
    assert not [name for name in in_engine if Path(name).parts[0] in homes]
