"""Patch review: which functions a unified diff / format-patch mail or a git range touches.

``git`` runs without a shell, the revision passed after ``--end-of-options``
so that it can only ever be read as a revision.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

_FILE = re.compile(r"^\+\+\+ (?:b/)?(\S+)")
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@ ?(.*)$")
_FUNC = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


class PatchError(Exception):
    """A patch that is not a diff, or a git command that failed: bad input."""


@dataclass(frozen=True, slots=True)
class Touched:
    """One file a patch changes: new-side line ranges and hunk-header function names."""

    path: str
    ranges: tuple[tuple[int, int], ...]
    names: tuple[str, ...]


def _header_name(context: str) -> str | None:
    names = _FUNC.findall(context)
    return names[0] if names else None


def parse_patch(text: str) -> tuple[Touched, ...]:
    """The files and lines a unified diff touches (C files only)."""
    files: dict[str, tuple[list[tuple[int, int]], list[str]]] = {}
    current: str | None = None
    saw_diff = False
    for line in text.splitlines():
        m = _FILE.match(line)
        if m:
            saw_diff = True
            current = m.group(1) if m.group(1) != "/dev/null" else None
            if current is not None:
                files.setdefault(current, ([], []))
            continue
        h = _HUNK.match(line)
        if h and current is not None:
            start, count = int(h.group(1)), int(h.group(2) or "1")
            files[current][0].append((start, start + max(count, 1) - 1))
            name = _header_name(h.group(3))
            if name:
                files[current][1].append(name)
    if not saw_diff:
        raise PatchError("no '+++ ' file header: not a unified diff or format-patch mail")
    return tuple(Touched(p, tuple(r), tuple(dict.fromkeys(n)))
                 for p, (r, n) in sorted(files.items()) if p.endswith((".c", ".h")))


def git_diff(directory: Path, rev: str) -> str:
    """``git diff REV`` in ``directory`` (working tree against the revision)."""
    cmd = ["git", "-C", str(directory), "diff", "--no-color", "--no-ext-diff", "-U0",
           "--end-of-options", rev, "--"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise PatchError(f"git diff could not run: {err}") from err
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or ["git diff failed"])[0]
        raise PatchError(first)
    return proc.stdout


def touched_functions(touched: Touched, spans: list[tuple[str, int, int]]) -> set[str]:
    """Names of the functions (name, first, last line) a file's hunks overlap or name."""
    out = set(touched.names)
    for name, first, last in spans:
        if any(a <= last and first <= b for a, b in touched.ranges):
            out.add(name)
    return out
