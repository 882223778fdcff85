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
PREEMPT_MODELS = ("none", "voluntary", "full", "rt")  # the per-configuration table's columns


@dataclass(frozen=True, slots=True)
class Cell:
    """One target configuration in the arch x API-generation matrix."""

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
    config: str = ""  # the claimed configuration's label ("rt", "full,irqs=1"), if several
    primary: bool = True  # the target's own configuration ([kernel])
    preempt: str = ""  # the configuration's preemption model

    @property
    def label(self) -> str:
        """``target: VERDICT, reach`` as a cell of the text matrix shows it."""
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
    claim = t.claim_for(o.config)
    return Cell(name, t.arch, t.generation, t.source, str(t.expect_for(o.config)), verdict,
                reach, s.states, s.depth, s.elapsed_s, o.as_expected,
                claim.label if claim else "", o.config == t.config, o.config.preempt.value)


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


def _mismatched(cells: list[Cell]) -> dict[str, list[str]]:
    """target -> the configurations where its verdict is not the expected one."""
    out: dict[str, list[str]] = {}
    for c in cells:
        if not c.matched:
            out.setdefault(c.target, []).append(c.config or "own")
    return out


def per_config(cells: list[Cell]) -> list[str]:
    """One row per target, one column per preemption model: the verdict in each claimed
    configuration ('–': not claimed; a mark where it is not the expected one)."""
    out = ["| target | arch | " + " | ".join(PREEMPT_MODELS) + " |",
           "|---|---|" + "---|" * len(PREEMPT_MODELS)]
    by_target: dict[str, list[Cell]] = {}
    for c in cells:
        by_target.setdefault(c.target, []).append(c)
    for name, cs in by_target.items():
        cols = []
        for m in PREEMPT_MODELS:
            here = [c for c in cs if column(c) == m]
            cols.append("<br>".join(config_entry(c) for c in here) or "–")
        out.append(f"| `{name}` | {cs[0].arch} | " + " | ".join(cols) + " |")
    return out


def column(c: Cell) -> str:
    """The preemption-model column of ``c`` in the per-configuration table."""
    return c.preempt or "full"


def config_entry(c: Cell) -> str:
    """``c`` in its column of the per-configuration table (bold: the target's own)."""
    bold = "**" if c.primary else ""
    return bold + c.verdict + bold + ("" if c.matched else " ✗") + _extra_axes(c)


def grid_entry(c: Cell, bad: dict[str, list[str]]) -> str:
    """``c`` (a target's own configuration) in its arch x generation cell."""
    return (f"`{c.target}`: {c.verdict}" + (f" ({c.reach})" if c.reach else "")
            + (f" **UNEXPECTED** ({', '.join(bad[c.target])})" if c.target in bad else ""))


def own_row(c: Cell) -> str:
    """``c`` (a target's own configuration) as its row of the last table."""
    got = c.verdict + (f" ({c.reach})" if c.reach else "")
    return (f"| `{c.target}` | {c.arch} | {c.generation} | {c.expected} | {got} | "
            f"{c.states:,} | {c.depth} | {c.source.replace('|', '/')} |")


def summary(n_matched: int, n_cells: int, n_targets: int) -> str:
    """The last line of the Markdown matrix."""
    return (f"{n_matched} of {n_cells} target configurations "
            f"({n_targets} targets) have their expected verdict.")


def _extra_axes(c: Cell) -> str:
    rest = [p for p in c.config.split(",") if "=" in p]
    return f" ({', '.join(rest)})" if rest else ""


def markdown(cells: list[Cell]) -> str:
    """The matrix as Markdown: the arch x generation table of each target's own
    configuration, the verdict per claimed configuration, then one row per target."""
    bad = _mismatched(cells)
    own = [c for c in cells if c.primary]
    archs, gens, table = grid(own)
    out = ["| arch | " + " | ".join(gens) + " |", "|---|" + "---|" * len(gens)]
    for a in archs:
        row = []
        for g in gens:
            here = table.get((a, g), [])
            row.append("<br>".join(grid_entry(c, bad) for c in here) or "–")
        out.append(f"| {a} | " + " | ".join(row) + " |")
    out += ["", "Verdict in every configuration each target claims (**bold**: the target's "
            "own; ✗: not the expected verdict; –: not claimed):", "", *per_config(cells)]
    out += ["", "| target | arch | API | expected | verdict | states | depth | source |",
            "|---|---|---|---|---|---:|---:|---|"]
    out += [own_row(c) for c in own]
    nbad = sum(1 for c in cells if not c.matched)
    out += ["", summary(len(cells) - nbad, len(cells), len(own))]
    return "\n".join(out) + "\n"


def text(cells: list[Cell]) -> str:
    """The matrix as plain text: one block per arch, one line per generation."""
    bad = _mismatched(cells)
    archs, gens, table = grid([c for c in cells if c.primary])
    lines = []
    for a in archs:
        lines.append(a)
        for g in gens:
            for c in table.get((a, g), []):
                more = f" (UNEXPECTED in {', '.join(bad[c.target])})" \
                    if c.target in bad and c.matched else ""
                line = f"  {g:<6} {c.label}{more}  [{c.source}]"
                lines.append(line if len(line) <= WIDTH else line[:WIDTH - 4] + "...]")
    return "\n".join(lines) + "\n"
