"""The house rules that the tree itself must keep: import layers, short functions.

The pipeline is ``lang -> kernel -> engines/smt -> run -> views -> cli``
(docs/architecture.md); ``scan`` is the kernel-C front end beside ``lang``.
A room may import from rooms to its left and from the leaf modules (``ir``,
``system``, ``semantics``, ``diagnostics``, ``properties``, ``errors``,
``targets``, ``outcome``), never from a room to its right; views read
outcomes and never load models or run engines; z3 lives in ``smt/`` alone.
These tests read the source (every ``import``, function-local ones
included), so they fail on the first import that crosses a layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "lazycheck"

# room -> rooms (subpackages of lazycheck) it must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "lang": ("kernel", "engines", "smt", "run", "views", "cli", "scan"),
    "scan": ("kernel", "engines", "smt", "run", "views", "cli"),
    "kernel": ("engines", "smt", "run", "views", "cli"),
    "smt": ("engines", "run", "views", "cli"),
    "engines": ("run", "views", "cli"),
    "run": ("views", "cli"),
    "views": ("run", "engines", "lang", "smt", "cli"),
    "<leaf>": ("lang", "engines", "smt", "run", "views", "cli"),
    "cli": (),
}

MAX_FUNCTION_LINES = 60

# Functions still over the limit.  Each entry is debt: split the function and delete its line.
# The test also fails when a listed function is short again, so the list only shrinks.
LONG_FUNCTIONS: frozenset[tuple[str, str]] = frozenset({
})


def _modules() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py"))


def _room(path: Path) -> str:
    rel = path.relative_to(PKG)
    if rel.name == "__main__.py":
        return "cli"
    return rel.parts[0] if len(rel.parts) > 1 else "<leaf>"


def _imports(path: Path) -> list[tuple[str, int]]:
    """Every module name imported by ``path`` (absolute), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((a.name, node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            out.append((node.module, node.lineno))
            if node.module == "lazycheck":  # from lazycheck import x: x is a module
                out.extend((f"lazycheck.{a.name}", node.lineno) for a in node.names)
    return out


def test_the_rooms_exist() -> None:
    """cli/, run/, views/, lang/, kernel/, smt/, engines/ and a handful of leaves."""
    rooms = {p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert {"cli", "run", "views", "lang", "kernel", "smt", "engines", "scan"} <= rooms
    leaves = {p.stem for p in PKG.glob("*.py")} - {"__init__", "__main__"}
    assert len(leaves) <= 10, sorted(leaves)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_no_import_crosses_a_layer(path: Path) -> None:
    """A module imports only from its own room, rooms below it, and the leaves."""
    room = _room(path)
    bad = [(name, line) for name, line in _imports(path)
           if name.startswith("lazycheck.") and name.split(".")[1] in FORBIDDEN[room]]
    assert not bad, f"{path.relative_to(PKG)} ({room}) imports {bad}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_only_smt_imports_z3(path: Path) -> None:
    """z3 is a detail of the SMT layer."""
    if _room(path) == "smt":
        return
    z3 = [line for name, line in _imports(path) if name == "z3" or name.startswith("z3.")]
    assert not z3, f"{path.relative_to(PKG)} imports z3 at line(s) {z3}"


def test_only_cli_prints() -> None:
    """Engines return results, views return text: print() and sys.exit() live in cli/."""
    bad = []
    for path in _modules():
        if _room(path) == "cli" or path.name == "__main__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else \
                    f"{getattr(f.value, 'id', '')}.{f.attr}" if isinstance(f, ast.Attribute) \
                    else ""
                if name in ("print", "sys.exit", "click.echo", "click.secho"):
                    bad.append(f"{path.relative_to(PKG)}:{node.lineno}: {name}")
    assert not bad, bad


def _long_functions() -> set[tuple[str, str]]:
    out = set()
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                    out.add((path.relative_to(PKG).as_posix(), node.name))
    return out


def test_no_new_long_function() -> None:
    """No function over 60 lines, except the listed debt."""
    new = _long_functions() - LONG_FUNCTIONS
    assert not new, f"functions over {MAX_FUNCTION_LINES} lines: {sorted(new)}"


def test_long_function_debt_only_shrinks() -> None:
    """A listed function that is short again must leave the list."""
    paid = LONG_FUNCTIONS - _long_functions()
    assert not paid, f"no longer long, remove from LONG_FUNCTIONS: {sorted(paid)}"
