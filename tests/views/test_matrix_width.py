"""``lazycheck matrix`` text fits 100 columns, however long a target's source is."""

from __future__ import annotations

from lazycheck.views.matrix import Cell, text


def test_matrix_text_fits_100_columns() -> None:
    long_source = "20250908073931.4159362-4-kevin.brodsky@arm.com [PATCH v2 3/7] arm64: mm: " \
                  "fully support nested lazy_mmu sections"
    cells = [Cell("vmap-pages-error-path-powerpc-fea18c686320", "powerpc-hash", "G3-v4",
                  long_source, "pass", "FAIL:no-deferred-write-outside-section", "", 10, 3,
                  0.1, False),
             Cell("arm64-nested", "arm64", "G2", "short", "pass", "PASS", "exhausted", 5, 2,
                  0.1, True)]
    lines = text(cells).splitlines()
    assert all(len(line) <= 100 for line in lines), [x for x in lines if len(x) > 100]
    assert any(line.endswith("[short]") for line in lines)
    assert any(line.endswith("...]") for line in lines)
