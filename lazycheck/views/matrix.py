"""The model zoo as a table: arch x API generation, each cell the targets there.

Every target in ``specs/targets`` is checked by :func:`lazycheck.run.corpus.run_many`
(explicit engine) and summarised here by :func:`cell`.  A cell lists
its targets with the verdict (``PASS``, ``FAIL:<property>``, ``VACUOUS`` for
a PASS that did not exercise what the target claims, ``UNKNOWN``, or
``ERROR``), how far it went (``exhausted`` or ``bounded``), whether that is
the expected verdict, and the source commit.  Nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lazycheck.errors import LazycheckError
from lazycheck.outcome import Outcome, TargetError, Verdict
from lazycheck.targets import load_target

# column order: API generations in history order; anything else sorts after
WIDTH = 100  # the text table fits a terminal and a mail

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


def cell(name: str, root: Path, got: Outcome | TargetError) -> Cell:
    """The matrix cell of target ``name``."""
    if isinstance(got, TargetError):
        try:
            t = load_target(name, root)
        except LazycheckError:
            return Cell(name, "?", "?", "", "?", "ERROR", "", 0, 0, 0.0, False)
        return Cell(name, t.arch, t.generation, t.source, str(t.expect), "ERROR", "", 0, 0,
                    0.0, False)
    o, t = got, got.target
    s = o.result.stats
    verdict = f"FAIL:{o.property_id}" if o.status == "FAIL" else o.status
    reach = "" if o.verdict is Verdict.FAIL else ("exhausted" if s.exhausted else "bounded")
    return Cell(name, t.arch, t.generation, t.source, str(t.expect), verdict, reach, s.states,
                s.depth, s.elapsed_s, o.as_expected)


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
                line = f"  {g:<6} {c.label}  [{c.source}]"
                lines.append(line if len(line) <= WIDTH else line[:WIDTH - 4] + "...]")
    return "\n".join(lines) + "\n"
