"""models/README.md is the catalogue: it must cover every model and hold the real matrix."""

from __future__ import annotations

from pathlib import Path

import readme_matrix

from lazycheck.targets import find_root, load_target, target_names
from lazycheck.views import matrix

ROOT = find_root(Path(__file__).resolve().parent)
README = ROOT / "models" / "README.md"


def test_every_model_file_has_a_catalogue_entry() -> None:
    text = README.read_text(encoding="utf-8")
    models = ROOT / "models"
    missing = [str(p.relative_to(models)) for p in sorted(models.rglob("*.lazy"))
               if f"**`{p.relative_to(models)}`**" not in text]
    assert missing == [], f"add these to models/README.md: {missing}"


def test_readme_matrix_has_the_generated_shape() -> None:
    """The README's matrix lists every target and claimed configuration, where
    `lazycheck matrix --markdown` puts them; what each entry says is checked by
    tests/test_corpus.py when it runs that configuration (tests/readme_matrix.py)."""
    names = target_names(ROOT)
    targets = {n: load_target(n, ROOT) for n in names}
    cells = [matrix.Cell(n, t.arch, t.generation, t.source, str(t.expect_for(cl.config)),
                         "?", "", 0, 0, 0.0, True, cl.label, cl.config == t.config,
                         cl.config.preempt.value)
             for n, t in targets.items() for cl in t.claims]
    shape = readme_matrix.parse(matrix.markdown(cells).splitlines())
    readme = readme_matrix.read()
    assert readme.grid_header == shape.grid_header, readme_matrix.STALE
    assert readme.intro == shape.intro and readme.summary == shape.summary, readme_matrix.STALE
    assert [(a, [len(e) for e in c]) for a, c in readme.grid] == \
        [(a, [len(e) for e in c]) for a, c in shape.grid], readme_matrix.STALE
    assert [(n, a, [len(e) for e in c]) for n, a, c in readme.per_config] == \
        [(n, a, [len(e) for e in c]) for n, a, c in shape.per_config], readme_matrix.STALE
    assert [n for n, _ in readme.own] == [n for n, _ in shape.own], readme_matrix.STALE
