"""Which targets a change touches: the dependency graph of targets and files.

Nodes are targets (``target:NAME``) and files (paths relative to the
repository, POSIX style).  A target depends on its TOML, on its arch, api
and scenario models and everything they ``#include`` (read with
:func:`lazycheck.lang.loader.read_models`, so the include closure is the one
the checker itself uses), and -- for every target -- on the kernel prelude
and ``lazycheck/properties.py``.  ``lazycheck ci --changed-since REV`` runs
exactly the targets with a path to a file in ``git diff --name-only REV``
(plus untracked files, so a new model counts before it is added).

A target whose TOML does not load depends on its TOML and on :data:`ALWAYS`
and is always selected: running it is what reports the error.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import networkx as nx

from lazycheck.errors import LazycheckError, ModelError
from lazycheck.lang import ast
from lazycheck.lang.loader import PRELUDE, read_models
from lazycheck.targets import load_target, target_names

# files every target depends on, relative to the repository
ALWAYS = ("lazycheck/kernel/prelude.lazy", "lazycheck/properties.py")


class GitError(LazycheckError):
    """``git`` failed (not a repository, unknown revision): bad input."""


def _rel(p: Path, root: Path) -> str:
    rp = p.resolve()
    if rp == PRELUDE:
        return ALWAYS[0]
    try:
        return rp.relative_to(root.resolve()).as_posix()
    except ValueError:
        return rp.as_posix()


def target_node(name: str) -> str:
    return f"target:{name}"


def build(root: Path, names: list[str] | None = None) -> tuple[nx.DiGraph, set[str]]:
    """The graph (edges from dependent to dependency) and the targets that do not load."""
    g: nx.DiGraph = nx.DiGraph()
    broken: set[str] = set()
    for name in names if names is not None else target_names(root):
        tn = target_node(name)
        g.add_node(tn, kind="target")
        toml = root / "specs" / "targets" / f"{name}.toml"
        g.add_edge(tn, _rel(toml, root))
        for f in ALWAYS:
            g.add_edge(tn, f)
        try:
            t = load_target(name, root)
        except ModelError:
            broken.add(name)
            continue
        files, _, diags = read_models(list(t.models), root, prelude=False)
        if diags:
            broken.add(name)
        for m in t.models:
            g.add_edge(tn, _rel(m, root))
        for mf in files:
            here = (root / mf.path) if not Path(mf.path).is_absolute() else Path(mf.path)
            src = _rel(here, root)
            for d in mf.decls:
                if isinstance(d, ast.Include):
                    g.add_edge(src, _rel(here.parent / d.path, root))
    return g, broken


def affected(g: nx.DiGraph, changed: set[str], broken: set[str] | None = None) -> list[str]:
    """Sorted names of the targets with a dependency path to a changed file (and ``broken``)."""
    out = set(broken or ())
    for f in changed:
        if f in g:
            for n in nx.ancestors(g, f):
                if str(n).startswith("target:"):
                    out.add(str(n)[len("target:"):])
    return sorted(out)


def changed_files(root: Path, rev: str) -> set[str]:
    """Paths (relative to ``root``) changed since ``rev``, and untracked files."""
    def git(*args: str) -> list[str]:
        try:
            res = subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                                 text=True, check=False)
        except OSError as exc:
            raise GitError(f"cannot run git: {exc}") from None
        if res.returncode != 0:
            raise GitError(f"git {' '.join(args)}: {res.stderr.strip()}")
        return [x for x in res.stdout.splitlines() if x]

    diff = git("diff", "--name-only", "--relative", "--end-of-options", rev, "--")
    new = git("ls-files", "--others", "--exclude-standard")
    return set(diff) | set(new)


def select(root: Path, rev: str, names: list[str] | None = None) -> tuple[list[str], set[str]]:
    """(targets to run, files changed) for ``--changed-since rev``."""
    changed = changed_files(root, rev)
    g, broken = build(root, names)
    return affected(g, changed, broken), changed
