"""Reading model files: includes, the kernel prelude, parse and check.

Files are parsed, never executed.  ``#include "x.lazy"`` is resolved
relative to the including file and must stay inside the model root
(:func:`lazycheck.confine.confine`); each file is read once, through a size
cap; include cycles, includes nested deeper than ``MAX_INCLUDE_DEPTH`` and
loads of more than ``MAX_MODEL_FILES`` files are errors.
"""

from __future__ import annotations

from pathlib import Path

from lazycheck import confine as cf
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


def confine_root(p: Path, root: Path | None) -> Path:
    """The directory that ``p``'s includes must stay in: ``root`` if ``p`` is in it."""
    rp = p.resolve()
    if rp == PRELUDE:
        return PRELUDE.parent
    zoo = zoo_models().resolve()
    if rp.is_relative_to(zoo) and (root is None or not rp.is_relative_to(root.resolve())):
        return zoo
    if root is not None and rp.is_relative_to(root.resolve()):
        return root.resolve()
    return rp.parent


def _limits(active: list[Path], files: int, at: Span | None) -> Diagnostic | None:
    """A diagnostic when one more file would break the include depth or file count limit."""
    if len(active) >= cf.MAX_INCLUDE_DEPTH:
        return Diagnostic("LZC005", f"#include nested deeper than {cf.MAX_INCLUDE_DEPTH} "
                          "levels", at, help="flatten the includes")
    if files >= cf.MAX_MODEL_FILES:
        return Diagnostic("LZC005", f"more than {cf.MAX_MODEL_FILES} model files in one load",
                          at, help="a target needs a handful of files")
    return None


def _include(inc: ast.Include, here: Path, top: Path) -> Path | Diagnostic:
    """Where ``#include`` ``inc`` in file ``here`` points, confined to ``top`` (a shipped
    ``<arch/x.lazy>``: to the zoo's models/)."""
    try:
        if inc.path.startswith("<") and inc.path.endswith(">"):
            zoo = zoo_models().resolve()
            return cf.confine(inc.path[1:-1], zoo, inc.span, what="include path",
                              inside="the shipped models/")
        return cf.confine(inc.path, top, inc.span, base=here.parent, what="include path")
    except ModelError as err:
        return err.diagnostics[0]


def _read(rp: Path, shown: str, at: Span | None) -> str | Diagnostic:
    """The text of model file ``rp``, or the diagnostic that stops it."""
    try:
        return cf.read_text(rp, shown, cf.MAX_MODEL_BYTES, at)
    except ModelError as err:
        return err.diagnostics[0]


def read_models(paths: list[Path], root: Path | None = None,
                prelude: bool = True) -> tuple[list[ast.ModelFile], dict[str, str],
                                               list[Diagnostic]]:
    """Parse ``paths`` and everything they include, in dependency order."""
    files: list[ast.ModelFile] = []
    sources: dict[str, str] = {}
    diags: list[Diagnostic] = []
    seen: set[Path] = set()
    active: list[Path] = []

    def visit(p: Path, at: Span | None, top: Path) -> None:
        rp = p.resolve()
        if rp in active:
            chain = " -> ".join(display_path(a, root) for a in
                                [*active[active.index(rp):], rp])
            diags.append(Diagnostic("LZC012", f"include cycle: {chain}", at,
                                    help="remove one of the #include lines"))
            return
        if rp in seen:
            return
        limit = _limits(active, len(seen), at)
        if limit is not None:
            diags.append(limit)
            return
        seen.add(rp)
        shown = display_path(p, root)
        text = _read(rp, shown, at)
        if isinstance(text, Diagnostic):
            diags.append(text)
            return
        sources[shown] = text
        mf, pd = parse(text, shown)
        diags.extend(pd)
        active.append(rp)
        for d in mf.decls:
            if isinstance(d, ast.Include):
                inc = _include(d, rp, top)
                if isinstance(inc, Diagnostic):
                    diags.append(inc)
                else:
                    visit(inc, d.span, zoo_models().resolve() if d.path.startswith("<")
                          else top)
        active.pop()
        files.append(mf)

    if prelude:
        visit(PRELUDE, None, PRELUDE.parent)
    for p in paths:
        visit(p, None, confine_root(p, root))
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
