"""Unified diffs applied to model files in memory: ``lazycheck verify T --patch fix.diff``.

A fix can be checked as the diff a kernel developer mails, against the
models a target already names, without writing a copy of the model.  Paths
in the diff are relative to the model root (``models/``; ``a/`` and ``b/``
prefixes and a leading ``models/`` are accepted) and may not leave it.  A
diff that does not apply is a coded diagnostic (LZC016) at its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lazycheck.diagnostics import Diagnostic, Span
from lazycheck.errors import ModelError

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_FUZZ = 50  # a hunk may have moved this many lines from where the diff says


@dataclass(frozen=True, slots=True)
class Hunk:
    """One ``@@`` block: the lines it expects and the lines it leaves."""

    start: int  # 1-based line of the old text where the hunk begins
    old: tuple[str, ...]
    new: tuple[str, ...]
    line: int  # where the hunk is in the diff


@dataclass(frozen=True, slots=True)
class FilePatch:
    """The hunks of one file, and where its ``---`` header is in the diff."""

    path: str
    hunks: tuple[Hunk, ...]
    line: int


def parse_diff(text: str, name: str) -> list[FilePatch]:
    """Split a unified diff into per-file hunks; malformed input raises ModelError."""
    lines = text.splitlines()
    out: list[FilePatch] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("--- "):
            i += 1
            continue
        if i + 1 >= len(lines) or not lines[i + 1].startswith("+++ "):
            raise _bad("'---' without a '+++' line after it", name, i + 1)
        path = lines[i + 1][4:].split("\t")[0].strip()
        header = i + 1
        i += 2
        hunks: list[Hunk] = []
        while i < len(lines) and lines[i].startswith("@@"):
            hunk, i = _hunk(lines, i, name)
            hunks.append(hunk)
        if not hunks:
            raise _bad(f"no hunk for {path}", name, header)
        out.append(FilePatch(path, tuple(hunks), header))
    if not out:
        raise _bad("not a unified diff: no '--- a/FILE' / '+++ b/FILE' header", name, 1)
    return out


def _hunk(lines: list[str], i: int, name: str) -> tuple[Hunk, int]:
    m = _HUNK.match(lines[i])
    if m is None:
        raise _bad(f"malformed hunk header {lines[i]!r}", name, i + 1)
    at = i + 1
    n_old = int(m.group(2) or 1)
    n_new = int(m.group(4) or 1)
    old: list[str] = []
    new: list[str] = []
    i += 1
    while i < len(lines) and (len(old) < n_old or len(new) < n_new):
        ln = lines[i]
        tag, body = (ln[:1], ln[1:]) if ln else (" ", "")
        if tag == "\\":
            i += 1
            continue
        if tag not in " +-":
            raise _bad(f"unexpected line in a hunk: {ln!r}", name, i + 1)
        if tag in " -":
            old.append(body)
        if tag in " +":
            new.append(body)
        i += 1
    if len(old) != n_old or len(new) != n_new:
        raise _bad("hunk is shorter than its header says", name, at)
    while i < len(lines) and lines[i].startswith("\\"):
        i += 1
    return Hunk(int(m.group(1)), tuple(old), tuple(new), at), i


def apply(text: str, fp: FilePatch, name: str) -> str:
    """``text`` with every hunk of ``fp`` applied; a hunk that does not match raises."""
    lines = text.splitlines()
    shift = 0
    for h in fp.hunks:
        want = max(h.start - 1 + shift, 0) if h.old else h.start + shift
        at = _find(lines, h.old, want)
        if at is None:
            raise _bad(f"hunk does not apply to {fp.path}: its context is not at line "
                       f"{h.start} (nor within {_FUZZ} lines)", name, h.line)
        lines[at:at + len(h.old)] = list(h.new)
        shift += len(h.new) - len(h.old)
    return "\n".join(lines) + ("\n" if text.endswith("\n") or not text else "")


def _find(lines: list[str], old: tuple[str, ...], want: int) -> int | None:
    for d in range(_FUZZ + 1):
        for at in (want - d, want + d):
            if 0 <= at <= len(lines) - len(old) and tuple(lines[at:at + len(old)]) == old:
                return at
    return None


def model_path(path: str, model_root: Path, name: str, line: int) -> Path:
    """The model file a diff path names, confined to ``model_root``."""
    p = path
    for prefix in ("a/", "b/"):
        if p.startswith(prefix):
            p = p[len(prefix):]
            break
    if p.startswith("models/"):
        p = p[len("models/"):]
    root = model_root.resolve()
    full = (root / p).resolve()
    if not full.is_relative_to(root) or Path(p).is_absolute():
        raise _bad(f"{path} is outside the model root", name, line,
                   help="a patch may only change model files: paths relative to models/")
    if not full.is_file():
        raise _bad(f"{path}: no such model file", name, line,
                   help="paths are relative to models/, e.g. a/arch/x86-native.lazy")
    return full


def read_patch(diff: Path, model_root: Path) -> dict[Path, str]:
    """Resolved model path -> its patched text, for :func:`lazycheck.lang.loader.load`."""
    name = str(diff)
    try:
        text = diff.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError([Diagnostic("LZC010", f"cannot read patch {name}: {exc}", None)],
                         {}) from None
    out: dict[Path, str] = {}
    try:
        for fp in parse_diff(text, name):
            target = model_path(fp.path, model_root, name, fp.line)
            base = out.get(target) or target.read_text(encoding="utf-8")
            out[target] = apply(base, fp, name)
    except ModelError as err:
        raise ModelError(err.diagnostics, {name: text}) from None
    return out


def _bad(msg: str, name: str, line: int, help: str | None = None) -> ModelError:
    return ModelError([Diagnostic("LZC016", msg, Span(name, line, 1, 1),
                                  help=help or "regenerate the diff against the model "
                                  "files as they are (git diff, or diff -u)")], {})
