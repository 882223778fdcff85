"""Reading model files: includes, the kernel prelude, parse and check.

Files are parsed, never executed.  ``#include "x.lazy"`` is resolved
relative to the including file and must stay inside the model root
(:func:`lazycheck.confine.confine`); each file is read once, through a size
cap; include cycles, includes nested deeper than ``MAX_INCLUDE_DEPTH`` and
loads of more than ``MAX_MODEL_FILES`` files are errors.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
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


def display_path(p: Path, root: Path | None) -> str:
    """How a model file's path is shown: relative to ``root``, or ``<prelude>/...``."""
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
                prelude: bool = True, overrides: dict[Path, str] | None = None,
                ) -> tuple[list[ast.ModelFile], dict[str, str], list[Diagnostic]]:
    """Parse ``paths`` and everything they include, in dependency order.

    ``overrides`` maps a resolved path to the text to use instead of the
    file's (a patch applied in memory)."""
    r = _Reader(root, overrides or {})
    if prelude:
        r.visit(PRELUDE, None, PRELUDE.parent)
    for p in paths:
        r.visit(p, None, confine_root(p, root))
    return [r.without_replaced(mf) for mf in r.files], r.sources, r.diags


class _Reader:
    """One read_models() run: files in dependency order, their texts, diagnostics."""

    def __init__(self, root: Path | None, overrides: dict[Path, str]) -> None:
        self.root = root
        self.overrides = overrides
        self.files: list[ast.ModelFile] = []
        self.sources: dict[str, str] = {}
        self.diags: list[Diagnostic] = []
        self.seen: set[Path] = set()
        self.active: list[Path] = []
        # names a based_on model replaces in a file its base includes: shown path -> names
        self.replaced: dict[str, set[str]] = {}

    def cycle(self, rp: Path, at: Span | None, line: str = "#include") -> bool:
        """Whether ``rp`` is already being read; LZC012 for the include cycle if so."""
        if rp not in self.active:
            return False
        chain = " -> ".join(display_path(a, self.root) for a in
                            [*self.active[self.active.index(rp):], rp])
        self.diags.append(Diagnostic("LZC012", f"include cycle: {chain}", at,
                                     help=f"remove one of the {line} lines"))
        return True

    def visit(self, p: Path, at: Span | None, top: Path) -> None:
        """Read ``p`` and, depth first, every file it includes, each once."""
        rp = p.resolve()
        if self.cycle(rp, at) or rp in self.seen:
            return
        limit = _limits(self.active, len(self.seen), at)
        if limit is not None:
            self.diags.append(limit)
            return
        self.seen.add(rp)
        mf = self.read(rp, at, top)
        if mf is None:
            return
        self.active.append(rp)
        for d in mf.decls:
            if isinstance(d, ast.Include):
                inc = _include(d, rp, top)
                if isinstance(inc, Diagnostic):
                    self.diags.append(inc)
                else:
                    self.visit(inc, d.span, zoo_models().resolve() if d.path.startswith("<")
                               else top)
        self.active.pop()
        self.files.append(mf)

    def read(self, rp: Path, at: Span | None, top: Path) -> ast.ModelFile | None:
        """Parse one file; a based_on model comes back merged into its base."""
        shown = display_path(rp, self.root)
        text: str | Diagnostic | None = self.overrides.get(rp)
        if text is None:
            text = _read(rp, shown, at)
        if isinstance(text, Diagnostic):
            self.diags.append(text)
            return None
        self.sources[shown] = text
        mf, pd = parse(text, shown)
        self.diags.extend(pd)
        if mf.header is None or not mf.header.based_on:
            return mf
        inc = _include(ast.Include(mf.header.based_on, mf.header.span), rp, top)
        if isinstance(inc, Diagnostic):
            self.diags.append(inc)
            return mf
        base_p = inc.resolve()
        if self.cycle(base_p, mf.header.span, "based_on"):
            return mf
        self.active.append(rp)
        base = self.read(base_p, mf.header.span, top)
        self.active.pop()
        if base is None:
            return mf
        return self.merge(base, mf, base_p, rp.parent, top)

    def merge(self, base: ast.ModelFile, derived: ast.ModelFile, base_p: Path,
              derived_dir: Path, top: Path) -> ast.ModelFile:
        """The base's declarations, each replaced by the derived one of the same name; a
        name from a file the base includes is dropped there (:meth:`without_replaced`)."""
        assert derived.header is not None
        base_dir = base_p.parent
        have = {n for d in base.decls for n in ast.decl_names(d)}
        included = self.included_names(base, base_p, top)
        replace: dict[str, ast.ADecl] = {}
        out: list[ast.ADecl] = []
        for d in derived.decls:
            names = ast.decl_names(d)
            known = set(names) & (have | set(included))
            if not names or (isinstance(d, ast.VarDecl | ast.FlagDecl) and not known):
                out.append(d)  # its own #include, or new state (49147beb0ccb's counter)
                continue
            if set(names) & have and (set(names) - have) & set(included):
                self.diags.append(_mixed(d, derived.header.based_on))
                continue
            for n in names:
                if n in have:
                    replace[n] = d
                elif n in included:
                    for shown in included[n]:
                        self.replaced.setdefault(shown, set()).add(n)
                else:
                    self.diags.append(_missing(n, d, derived.header.based_on,
                                               have | set(included)))
            if not set(names) & have and set(names) & set(included):
                out.append(d)  # replaces a name of an included file: stands here
        placed: set[int] = set()
        for d in base.decls:
            names = ast.decl_names(d)
            if isinstance(d, ast.Include):
                rel = os.path.relpath(base_dir / d.path, derived_dir)
                out.append(ast.Include(rel, d.span))
            elif names and names[0] in replace:
                new = replace[names[0]]
                if id(new) not in placed:
                    placed.add(id(new))
                    out.append(new)
            else:
                out.append(d)
        return ast.ModelFile(derived.path, derived.header, tuple(out))

    def included_names(self, base: ast.ModelFile, base_p: Path, top: Path
                       ) -> dict[str, list[str]]:
        """Every name the files ``base`` includes (transitively) define -> where (shown)."""
        out: dict[str, list[str]] = {}
        seen = {base_p.resolve()}
        todo = [(base, base_p.resolve(), top)]
        while todo and len(seen) <= cf.MAX_MODEL_FILES:
            mf, here, tp = todo.pop()
            for d in mf.decls:
                if not isinstance(d, ast.Include):
                    continue
                inc = _include(d, here, tp)
                if isinstance(inc, Diagnostic) or inc.resolve() in seen:
                    continue
                rp = inc.resolve()
                seen.add(rp)
                shown = display_path(rp, self.root)
                text = self.overrides.get(rp) or _read(rp, shown, d.span)
                if isinstance(text, Diagnostic):
                    continue  # reported when the include itself is read
                sub, _ = parse(text, shown)
                for sd in sub.decls:
                    for n in ast.decl_names(sd):
                        out.setdefault(n, []).append(shown)
                todo.append((sub, rp, zoo_models().resolve() if d.path.startswith("<")
                             else tp))
        return out

    def without_replaced(self, mf: ast.ModelFile) -> ast.ModelFile:
        """``mf`` without the declarations a based_on model replaced in it."""
        gone = self.replaced.get(mf.path)
        if not gone:
            return mf
        decls: list[ast.ADecl] = []
        for d in mf.decls:
            names = ast.decl_names(d)
            if isinstance(d, ast.FlagDecl):
                keep = tuple(n for n in d.names if n[0] not in gone)
                if keep:
                    decls.append(dataclasses.replace(d, names=keep))
            elif not set(names) & gone:
                decls.append(d)
        return dataclasses.replace(mf, decls=tuple(decls))


def _missing(n: str, d: ast.ADecl, based_on: str, names: set[str]) -> Diagnostic:
    """LZC015: a based_on model replaces ``n``, which neither its base nor an include has."""
    close = difflib.get_close_matches(n, sorted(names), n=1)
    return Diagnostic(
        "LZC015", f"'{n}' is not in the base model {based_on} nor in a file it includes",
        d.span, help=(f"did you mean '{close[0]}'? " if close else "")
        + "a based_on model holds only replacements of its base's functions and "
          "declarations (its own or its includes'): add a new name to the base, or "
          "write a full model")


def _mixed(d: ast.ADecl, based_on: str) -> Diagnostic:
    """LZC015: one declaration replaces names of the base and of an included file at once."""
    return Diagnostic(
        "LZC015", f"'{', '.join(ast.decl_names(d))}' mixes names of the base model "
        f"{based_on} with names of a file it includes", d.span,
        help="replace them in two declarations")


def load(paths: list[Path], root: Path | None = None,
         overrides: dict[Path, str] | None = None) -> Loaded:
    """Parse and check a set of model files; raise :class:`ModelError` on any error."""
    files, sources, diags = read_models(paths, root, overrides=overrides)
    if diags:
        raise ModelError(diags, sources)
    program, cdiags = check_program(files)
    if cdiags or program is None:
        raise ModelError(cdiags, sources)
    return Loaded(program, sources, tuple(mf.path for mf in files))
