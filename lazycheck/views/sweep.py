"""``lazycheck sweep``'s cells and table: one row per (target, preempt, CPUs, tasks).

A cell is plain data built from an :class:`Outcome` (or the error that stopped
the check) and crosses process boundaries; :func:`text` is the table the CLI
prints, byte-stable unless ``timings`` is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from lazycheck.outcome import Outcome, TargetError, Verdict


class Point(Protocol):
    """A grid point (``lazycheck.run.corpus.GridPoint``), as far as a view needs it."""

    @property
    def target(self) -> str:
        """The name of the target the point checks."""


@dataclass(frozen=True, slots=True)
class SweepCell:
    """One configuration of one target: its verdict and how far the search went."""

    target: str
    preempt: str
    cpus: int
    tasks: int
    verdict: str  # PASS | FAIL:<property> | UNKNOWN | VACUOUS | ERROR
    states: int
    depth: int
    exhausted: bool
    elapsed_s: float
    detail: str  # why UNKNOWN, or the error


def cell(point: Point, got: Outcome | TargetError) -> SweepCell:
    """The cell of one grid point."""
    if isinstance(got, TargetError):
        return SweepCell(point.target, "?", 0, 0, "ERROR", 0, 0, False, 0.0,
                         str(got.error).splitlines()[0] if str(got.error) else "error")
    o, s = got, got.result.stats
    verdict = f"FAIL:{o.property_id}" if o.status == "FAIL" else o.status
    reason = o.result.reason if o.verdict is Verdict.UNKNOWN else ""
    return SweepCell(point.target, o.config.preempt.value, o.config.cpus, o.config.ntasks,
                     verdict, s.states, s.depth, s.exhausted, s.elapsed_s, reason)


def text(cells: list[SweepCell], timings: bool = False) -> str:
    """The sweep as a table, one line per cell, in grid order."""
    w = max([len("target")] + [len(c.target) for c in cells])
    wv = max([len("verdict")] + [len(c.verdict) for c in cells])
    head = (f"{'target':<{w}}  {'preempt':<7}  {'cpus':>4}  {'tasks':>5}  {'verdict':<{wv}}  "
            f"{'states':>10}  {'depth':>5}  space" + ("    time s" if timings else ""))
    lines = [head, "-" * len(head)]
    for c in cells:
        space = "exhausted" if c.exhausted else ("-" if c.verdict.startswith("FAIL") else
                                                 "bounded")
        line = (f"{c.target:<{w}}  {c.preempt:<7}  {c.cpus:>4}  {c.tasks:>5}  "
                f"{c.verdict:<{wv}}  {c.states:>10,}  {c.depth:>5}  {space:<9}")
        if timings:
            line += f" {c.elapsed_s:>8.2f}"
        if c.detail:
            line += f"  ({c.detail})"
        lines.append(line.rstrip())
    return "\n".join(lines) + "\n"
