"""docs/language.md is the language reference: its lists and the checker agree.

Issue 13 item 3: every built-in the checker accepts is documented, nothing
documented is rejected, and every hook an API generation lets an arch
override is listed for that generation.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lazycheck.lang import ast
from lazycheck.lang.check import builtin_names
from lazycheck.lang.loader import PRELUDE, read_models

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "language.md").read_text(encoding="utf-8")
_CALL = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)\(")


def _section(start: str, end: str) -> str:
    return DOC[DOC.index(start):DOC.index(end)]


def documented_builtins() -> set[str]:
    """Names called in backticks in the rows of the built-in and PTE-memory tables."""
    text = _section("## Kernel built-ins", "## What an arch model defines")
    rows = [ln.split("|")[1] for ln in text.splitlines() if ln.startswith("| `")]
    return {name for row in rows for name in _CALL.findall(row)}


def test_every_accepted_builtin_is_documented() -> None:
    missing = builtin_names() - documented_builtins()
    assert not missing, f"add to docs/language.md, Kernel built-ins: {sorted(missing)}"


def test_every_documented_builtin_is_accepted() -> None:
    rejected = documented_builtins() - builtin_names()
    assert not rejected, f"documented but the checker rejects: {sorted(rejected)}"


def test_a_misspelt_builtin_would_be_caught() -> None:
    """The check above can fail: a name the checker does not know is not accepted."""
    assert "this_cpu_reed" not in builtin_names()
    assert "this_cpu_read" in documented_builtins()


def _weak_functions(path: Path) -> set[str]:
    files, _, diags = read_models([path], REPO, prelude=False)
    assert not diags
    return {d.name for mf in files for d in mf.decls
            if isinstance(d, ast.FuncDecl) and "__weak" in d.qualifiers}


@pytest.mark.parametrize("api", sorted((REPO / "models" / "api").glob("*.lazy")),
                         ids=lambda p: p.name)
def test_each_generation_lists_what_an_arch_defines(api: Path) -> None:
    rows = [ln for ln in _section("## What an arch model defines", "## The kernel world")
            .splitlines() if f"`api/{api.name}`" in ln]
    assert len(rows) == 1, f"docs/language.md has no row for api/{api.name}"
    listed = set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\(", rows[0].split("|")[3]))
    assert _weak_functions(api) <= listed


def test_the_prelude_hooks_are_listed() -> None:
    text = _section("## What an arch model defines", "**Per API generation**")
    listed = set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\(", text))
    assert _weak_functions(PRELUDE) <= listed
