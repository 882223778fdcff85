"""House rule: every public class, function and method in lazycheck/ has a docstring.

"Public" is a name that does not start with ``_``; methods of classes count (of
private classes too), functions nested inside functions do not.  The test reads
the source, so it fails on the first docstring removed from a covered file.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "lazycheck"

# Files (or, ending in "/", whole rooms) that this test does not cover yet: none, and a new
# entry needs a reason in a comment beside it.
PENDING: frozenset[str] = frozenset()


def _rel(path: Path) -> str:
    return path.relative_to(PKG).as_posix()


def _pending(rel: str) -> bool:
    return any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in PENDING)


def _covered() -> list[Path]:
    return [p for p in sorted(PKG.rglob("*.py")) if not _pending(_rel(p))]


def undocumented(source: str) -> list[str]:
    """``line: Qual.name`` of every public class/function/method without a docstring."""
    out: list[str] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for n in ast.iter_child_nodes(node):
            if isinstance(n, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                if not n.name.startswith("_") and ast.get_docstring(n) is None:
                    out.append(f"{n.lineno}: {prefix}{n.name}")
                if isinstance(n, ast.ClassDef):
                    walk(n, f"{prefix}{n.name}.")

    walk(ast.parse(source), "")
    return out


@pytest.mark.parametrize("path", _covered(), ids=_rel)
def test_public_names_have_docstrings(path: Path) -> None:
    missing = undocumented(path.read_text(encoding="utf-8"))
    assert not missing, (f"{_rel(path)}: add a one-line docstring (what it is for) to: "
                         + ", ".join(missing))


def test_pending_entries_exist() -> None:
    for p in PENDING:
        assert (PKG / p).exists(), f"PENDING names {p}, which is gone: delete the entry"


def test_covers_the_rooms() -> None:
    rels = {_rel(p) for p in _covered()}
    for must in ("ir.py", "system.py", "lang/parser.py", "kernel/world.py", "smt/encode.py",
                 "engines/bmc.py", "run/replay.py", "views/trace.py"):
        assert must in rels


def test_detects_a_removed_docstring() -> None:
    src = (PKG / "ir.py").read_text(encoding="utf-8")
    assert undocumented(src) == []
    doc = '        """The function named ``name``; ``KeyError`` if there is none."""\n'
    assert doc in src
    def_line = src.splitlines().index(doc.rstrip("\n"))  # 1-based: the line above the doc
    assert undocumented(src.replace(doc, "", 1)) == [f"{def_line}: Program.function"]


def test_rule_scope() -> None:
    src = '''
class A:
    """Doc."""
    def m(self): pass
    def _p(self): pass
class _B:
    def m(self): pass
def f():
    def inner(): pass
def _g(): pass
'''
    assert undocumented(src) == ["4: A.m", "7: _B.m", "8: f"]
