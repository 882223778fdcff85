"""models/README.md is the catalogue: it must cover every model and hold the real matrix."""

from __future__ import annotations

from pathlib import Path

from lazycheck.run.corpus import run_many
from lazycheck.targets import find_root, target_names
from lazycheck.views import matrix

ROOT = find_root(Path(__file__).resolve().parent)
README = ROOT / "models" / "README.md"


def test_every_model_file_has_a_catalogue_entry() -> None:
    text = README.read_text(encoding="utf-8")
    models = ROOT / "models"
    missing = [str(p.relative_to(models)) for p in sorted(models.rglob("*.lazy"))
               if f"**`{p.relative_to(models)}`**" not in text]
    assert missing == [], f"add these to models/README.md: {missing}"


def test_readme_matrix_is_the_generated_one() -> None:
    """The matrix in the README cannot drift: it equals `lazycheck matrix --markdown`."""
    cells = run_many(target_names(ROOT), ROOT, matrix.cell, jobs=2)
    table = matrix.markdown(cells).strip().splitlines()
    text = README.read_text(encoding="utf-8").splitlines()
    start = text.index(table[0])
    assert text[start:start + len(table)] == table, (
        "models/README.md's matrix is stale: run `lazycheck matrix --markdown FILE -j 2` "
        "and paste the table")
