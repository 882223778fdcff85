"""models/README.md's matrix, read back for the tests that keep it generated.

The matrix is `lazycheck matrix --markdown` over every claimed configuration.
Running all of them again only to compare the table would check each
configuration twice, so the check is split: ``tests/test_corpus.py`` checks,
for the configuration it has just run, that the README shows exactly what
``lazycheck.views.matrix`` renders for it (its entry in the per-configuration
table and, for a target's own configuration, its grid entry and its row), and
``tests/test_models_catalogue.py`` checks the table's shape without running
anything (which targets, which entries where, the header and summary lines).
Together they pin every line of the generated table.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "models" / "README.md"
STALE = ("models/README.md's matrix is stale: run `lazycheck matrix --markdown FILE -j 2` "
         "and paste the table")
PER_CONFIG_HEADER = "| target | arch | none | voluntary | full | rt |"
OWN_HEADER = "| target | arch | API | expected | verdict | states | depth | source |"


@dataclass(frozen=True)
class Matrix:
    """The README's matrix, split into its three tables and its summary line."""

    grid_header: str
    grid: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]  # (arch, cells of entries)
    intro: tuple[str, ...]  # the lines between the grid and the per-configuration table
    per_config: tuple[tuple[str, str, tuple[tuple[str, ...], ...]], ...]  # name, arch, cols
    own: tuple[tuple[str, str], ...]  # (name, whole row)
    summary: str

    def columns(self, name: str) -> tuple[tuple[str, ...], ...]:
        """The per-configuration entries of target ``name``, one tuple per column."""
        return next(cols for n, _, cols in self.per_config if n == name)

    def grid_cell(self, arch: str, generation: str) -> tuple[str, ...]:
        """The entries of the grid cell (arch, generation)."""
        gens = _cells(self.grid_header)[1:]
        return next(cells for a, cells in self.grid if a == arch)[gens.index(generation)]


def _cells(line: str) -> list[str]:
    assert line.startswith("| ") and line.endswith(" |"), line
    return line[2:-2].split(" | ")


def _entries(cell: str) -> tuple[str, ...]:
    return () if cell == "–" else tuple(cell.split("<br>"))


def _block(lines: list[str], start: int) -> list[str]:
    """The table rows from ``start`` (after header and separator) to the blank line."""
    end = lines.index("", start)
    return lines[start + 2:end]


@cache
def read() -> Matrix:
    """The README's matrix (parsed once per process)."""
    return parse(README.read_text(encoding="utf-8").splitlines())


def parse(lines: list[str]) -> Matrix:
    """The matrix in ``lines`` (the README, or `lazycheck matrix --markdown` output)."""
    g = next(i for i, x in enumerate(lines) if x.startswith("| arch | G"))
    p = lines.index(PER_CONFIG_HEADER)
    o = lines.index(OWN_HEADER)
    grid = tuple((c[0], tuple(_entries(x) for x in c[1:]))
                 for c in map(_cells, _block(lines, g)))
    per_config = tuple((c[0].strip("`"), c[1], tuple(_entries(x) for x in c[2:]))
                       for c in map(_cells, _block(lines, p)))
    own = tuple((_cells(r)[0].strip("`"), r) for r in _block(lines, o))
    after_grid = g + 2 + len(grid)
    summary_at = o + 2 + len(own) + 1
    return Matrix(lines[g], grid, tuple(lines[after_grid:p]), per_config, own,
                  lines[summary_at])
