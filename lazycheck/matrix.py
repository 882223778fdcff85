"""The model zoo as a table: arch x API generation, each cell the targets there.

Every target in ``specs/targets`` is loaded with :mod:`lazycheck.targets` and
checked with :func:`lazycheck.verify.run` (explicit engine).  A cell lists
its targets with the verdict (``PASS``, ``FAIL:<property>``, ``VACUOUS`` for
a PASS that did not exercise what the target claims, ``UNKNOWN``, or
``ERROR``), how far it went (``exhausted`` or ``bounded``), whether that is
the expected verdict, and the source commit.  Nothing here prints.
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass
from pathlib import Path

from lazycheck.engines.base import Verdict
from lazycheck.errors import LazycheckError
from lazycheck.targets import load_target, target_names
from lazycheck.verify import run

# column order: API generations in history order; anything else sorts after
GENERATIONS = ("G0", "G1", "G1'", "G1''", "G2", "G3-v3", "G3-v4", "G3", "G4")


@dataclass(frozen=True, slots=True)
class Cell:
    target: str
    arch: str
    generation: str
    source: str
    expected: str
    verdict: str  # PASS | FAIL:<property> | VACUOUS | UNKNOWN | ERROR
    reach: str  # exhausted | bounded | ""
    states: int
    depth: int
    elapsed_s: float
    matched: bool

    @property
    def label(self) -> str:
        reach = f", {self.reach}" if self.reach else ""
        mark = "" if self.matched else " (UNEXPECTED)"
        return f"{self.target}: {self.verdict}{reach}{mark}"


def check_one(name: str, root: str) -> Cell:
    rootp = Path(root)
    try:
        t = load_target(name, rootp)
    except LazycheckError:
        return Cell(name, "?", "?", "", "?", "ERROR", "", 0, 0, 0.0, False)
    try:
        o = run(t, rootp, engine="explicit")
    except LazycheckError:
        return Cell(name, t.arch, t.generation, t.source, str(t.expect), "ERROR", "", 0, 0,
                    0.0, False)
    s = o.result.stats
    if o.vacuous:
        verdict = "VACUOUS"
    elif o.verdict is Verdict.FAIL:
        verdict = f"FAIL:{o.property_id}"
    else:
        verdict = o.verdict.value
    reach = "" if o.verdict is Verdict.FAIL else ("exhausted" if s.exhausted else "bounded")
    return Cell(name, t.arch, t.generation, t.source, str(t.expect), verdict, reach, s.states,
                s.depth, s.elapsed_s, o.as_expected)


def compute(root: Path, jobs: int = 1, names: list[str] | None = None) -> list[Cell]:
    """Check every target (or ``names``); rows in target-name order whatever ``jobs``."""
    todo = names or target_names(root)
    if jobs <= 1 or len(todo) <= 1:
        return [check_one(n, str(root)) for n in todo]
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(check_one, todo, [str(root)] * len(todo)))


def _gen_key(g: str) -> tuple[int, str]:
    return (GENERATIONS.index(g), g) if g in GENERATIONS else (len(GENERATIONS), g)


def grid(cells: list[Cell]) -> tuple[list[str], list[str], dict[tuple[str, str], list[Cell]]]:
    """(archs, generations, (arch, generation) -> cells), both axes sorted."""
    table: dict[tuple[str, str], list[Cell]] = {}
    for c in cells:
        table.setdefault((c.arch, c.generation), []).append(c)
    archs = sorted({c.arch for c in cells})
    gens = sorted({c.generation for c in cells}, key=_gen_key)
    return archs, gens, table


def markdown(cells: list[Cell]) -> str:
    """The matrix as Markdown: the arch x generation table, then one row per target."""
    archs, gens, table = grid(cells)
    out = ["| arch | " + " | ".join(gens) + " |", "|---|" + "---|" * len(gens)]
    for a in archs:
        row = []
        for g in gens:
            here = table.get((a, g), [])
            row.append("<br>".join(f"`{c.target}`: {c.verdict}"
                                   + (f" ({c.reach})" if c.reach else "")
                                   + ("" if c.matched else " **UNEXPECTED**")
                                   for c in here) or "–")
        out.append(f"| {a} | " + " | ".join(row) + " |")
    out += ["", "| target | arch | API | expected | verdict | states | depth | source |",
            "|---|---|---|---|---|---:|---:|---|"]
    for c in cells:
        got = c.verdict + (f" ({c.reach})" if c.reach else "")
        out.append(f"| `{c.target}` | {c.arch} | {c.generation} | {c.expected} | {got} | "
                   f"{c.states:,} | {c.depth} | {c.source.replace('|', '/')} |")
    bad = [c for c in cells if not c.matched]
    out += ["", f"{len(cells) - len(bad)} of {len(cells)} targets have their expected verdict."]
    return "\n".join(out) + "\n"


def text(cells: list[Cell]) -> str:
    """The matrix as plain text: one block per arch, one line per generation."""
    archs, gens, table = grid(cells)
    lines = []
    for a in archs:
        lines.append(a)
        for g in gens:
            for c in table.get((a, g), []):
                lines.append(f"  {g:<6} {c.label}  [{c.source}]")
    return "\n".join(lines) + "\n"
