"""Reading model files: includes, the kernel prelude, parse and check.

Files are parsed, never executed.  ``#include "x.lazy"`` is resolved
relative to the including file, each file is read once, and include cycles
are errors.
"""

from __future__ import annotations

from pathlib import Path

from lazycheck.diagnostics import Diagnostic, Span
from lazycheck.errors import ModelError
from lazycheck.ir import Loaded
from lazycheck.lang import ast
from lazycheck.lang.check import check_program
from lazycheck.lang.parser import parse

PRELUDE = Path(__file__).resolve().parent.parent / "kernel" / "prelude.lazy"


def zoo_models() -> Path:
    """The shipped models: lazycheck/zoo/models in a wheel, the checkout's models/ else."""
    pkg = Path(__file__).resolve().parent.parent
    zoo = pkg / "zoo" / "models"
    return zoo if zoo.is_dir() else pkg.parent / "models"


def include_path(name: str, here: Path) -> Path:
    """``#include "x.lazy"`` is relative to the including file; ``#include <arch/x.lazy>``
    names a shipped model (``arch/``, ``api/``, ``scenarios/``) by its stable name."""
    if name.startswith("<") and name.endswith(">"):
        return zoo_models() / name[1:-1]
    return here / name


def display_path(p: Path, root: Path | None) -> str:
    if p.resolve() == PRELUDE:
        return "<prelude>/prelude.lazy"
    try:
        shipped = p.resolve().relative_to(zoo_models().resolve())
    except ValueError:
        shipped = None
    if shipped is not None and (root is None or not p.resolve().is_relative_to(
            root.resolve())):
        return f"<zoo>/{shipped.as_posix()}"
    if root is not None:
        try:
            return str(p.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    if p.resolve() == PRELUDE:
        return "<prelude>/prelude.lazy"
    return str(p)


def read_models(paths: list[Path], root: Path | None = None,
                prelude: bool = True) -> tuple[list[ast.ModelFile], dict[str, str],
                                               list[Diagnostic]]:
    """Parse ``paths`` and everything they include, in dependency order."""
    files: list[ast.ModelFile] = []
    sources: dict[str, str] = {}
    diags: list[Diagnostic] = []
    seen: set[Path] = set()
    active: list[Path] = []

    def visit(p: Path, at: Span | None) -> None:
        rp = p.resolve()
        if rp in active:
            chain = " -> ".join(display_path(a, root) for a in
                                [*active[active.index(rp):], rp])
            diags.append(Diagnostic("LZC012", f"include cycle: {chain}", at,
                                    help="remove one of the #include lines"))
            return
        if rp in seen:
            return
        seen.add(rp)
        shown = display_path(p, root)
        try:
            text = rp.read_text(encoding="utf-8")
        except OSError as exc:
            diags.append(Diagnostic("LZC010", f"cannot read {shown}: {exc.strerror}", at,
                                    help="check the path; model paths are relative to the "
                                         "including file or the repository"))
            return
        except UnicodeDecodeError:
            diags.append(Diagnostic("LZC010", f"{shown} is not UTF-8 text", at))
            return
        sources[shown] = text
        mf, pd = parse(text, shown)
        diags.extend(pd)
        active.append(rp)
        for d in mf.decls:
            if isinstance(d, ast.Include):
                visit(include_path(d.path, rp.parent), d.span)
        active.pop()
        files.append(mf)

    if prelude:
        visit(PRELUDE, None)
    for p in paths:
        visit(p, None)
    return files, sources, diags


def load(paths: list[Path], root: Path | None = None) -> Loaded:
    """Parse and check a set of model files; raise :class:`ModelError` on any error."""
    files, sources, diags = read_models(paths, root)
    if diags:
        raise ModelError(diags, sources)
    program, cdiags = check_program(files)
    if cdiags or program is None:
        raise ModelError(cdiags, sources)
    return Loaded(program, sources, tuple(mf.path for mf in files))
