"""Reading model files: includes, the prelude, display paths, load()."""

from __future__ import annotations

from pathlib import Path

import pytest

from lazycheck.errors import ModelError
from lazycheck.lang.loader import PRELUDE, display_path, load, read_models

HDR = 'model {kind} "t" source "s";\n'


def write(p: Path, body: str, kind: str = "common") -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(HDR.format(kind=kind) + body, encoding="utf-8")
    return p


def test_prelude_is_read_first_and_shown_specially(tmp_path: Path) -> None:
    m = write(tmp_path / "m.lazy", "task void t(void) { }", "scenario")
    files, sources, diags = read_models([m], tmp_path)
    assert diags == []
    assert [f.path for f in files] == ["<prelude>/prelude.lazy", "m.lazy"]
    assert set(sources) == {"<prelude>/prelude.lazy", "m.lazy"}


def test_without_prelude(tmp_path: Path) -> None:
    m = write(tmp_path / "m.lazy", "")
    files, _, _ = read_models([m], tmp_path, prelude=False)
    assert [f.path for f in files] == ["m.lazy"]


def test_includes_are_relative_read_once_and_first(tmp_path: Path) -> None:
    """Pins dependency order and read-once: a diamond include reads the base once."""
    write(tmp_path / "sub" / "base.lazy", "global bool b;")
    write(tmp_path / "sub" / "left.lazy", '#include "base.lazy"\n')
    write(tmp_path / "sub" / "right.lazy", '#include "base.lazy"\n')
    top = write(tmp_path / "top.lazy", '#include "sub/left.lazy"\n#include "sub/right.lazy"\n')
    files, _, diags = read_models([top], tmp_path, prelude=False)
    assert diags == []
    assert [f.path for f in files] == ["sub/base.lazy", "sub/left.lazy", "sub/right.lazy",
                                       "top.lazy"]


def test_include_cycle_is_lzc012_with_the_chain(tmp_path: Path) -> None:
    write(tmp_path / "a.lazy", '#include "b.lazy"\n')
    write(tmp_path / "b.lazy", '#include "a.lazy"\n')
    _, _, diags = read_models([tmp_path / "a.lazy"], tmp_path, prelude=False)
    assert [d.code for d in diags] == ["LZC012"]
    assert "a.lazy -> b.lazy -> a.lazy" in diags[0].message
    assert diags[0].span is not None and diags[0].span.file == "b.lazy"


def test_self_include_is_a_cycle(tmp_path: Path) -> None:
    write(tmp_path / "a.lazy", '#include "a.lazy"\n')
    _, _, diags = read_models([tmp_path / "a.lazy"], tmp_path, prelude=False)
    assert [d.code for d in diags] == ["LZC012"]


def test_missing_include_is_lzc010_at_the_include(tmp_path: Path) -> None:
    write(tmp_path / "a.lazy", '\n#include "gone.lazy"\n')
    _, _, diags = read_models([tmp_path / "a.lazy"], tmp_path, prelude=False)
    assert [d.code for d in diags] == ["LZC010"]
    assert diags[0].span is not None and diags[0].span.line == 3
    assert "gone.lazy" in diags[0].message


def test_non_utf8_is_lzc010(tmp_path: Path) -> None:
    p = tmp_path / "a.lazy"
    p.write_bytes(b'model common "t" source "s";\n/* \xff */\n')
    _, _, diags = read_models([p], tmp_path, prelude=False)
    assert [d.code for d in diags] == ["LZC010"]
    assert "UTF-8" in diags[0].message


def test_display_path(tmp_path: Path) -> None:
    p = tmp_path / "x" / "y.lazy"
    assert display_path(p, tmp_path) == "x/y.lazy"
    assert display_path(p, tmp_path / "elsewhere") == str(p)
    assert display_path(PRELUDE, None) == "<prelude>/prelude.lazy"


def test_load_success(tmp_path: Path) -> None:
    m = write(tmp_path / "m.lazy", "task void t(void) { }", "scenario")
    loaded = load([m], tmp_path)
    assert loaded.program.tasks == ("t",)
    assert loaded.files == ("<prelude>/prelude.lazy", "m.lazy")
    assert "task void t" in loaded.sources["m.lazy"]


def test_load_raises_model_error_with_sources(tmp_path: Path) -> None:
    m = write(tmp_path / "m.lazy", "task void t(void) { nope(); }", "scenario")
    with pytest.raises(ModelError) as ei:
        load([m], tmp_path)
    assert [d.code for d in ei.value.diagnostics] == ["LZC104"]
    assert "m.lazy" in ei.value.sources


def test_load_stops_before_checking_on_parse_errors(tmp_path: Path) -> None:
    """Pins that a syntax error does not cascade into name errors from the checker."""
    m = write(tmp_path / "m.lazy", "global bool ;\ntask void t(void) { nope(); }", "scenario")
    with pytest.raises(ModelError) as ei:
        load([m], tmp_path)
    assert [d.code for d in ei.value.diagnostics] == ["LZC003"]
