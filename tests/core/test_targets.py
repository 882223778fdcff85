"""Target files: loading, validation, and where their diagnostics point."""

from __future__ import annotations

from pathlib import Path

import pytest

from lazycheck.errors import ModelError
from lazycheck.kernel.config import Preempt
from lazycheck.targets import MAX_BOUND, find_root, load_target, target_names

GOOD = """\
description = "tmp target"
arch_name = "test-arch"
generation = "G0"
source = "tests"
arch = "arch.lazy"
api = "api.lazy"
scenario = "scenario.lazy"

[kernel]
cpus = 2
tasks = ["t"]
preempt = "rt"

[check]
bound = 10

[expect]
verdict = "fail"
property = "no-bug"
"""


def make_root(tmp_path: Path, toml: str, name: str = "t") -> Path:
    (tmp_path / "specs" / "targets").mkdir(parents=True)
    (tmp_path / "models").mkdir()
    for m in ("arch", "api", "scenario"):
        (tmp_path / "models" / f"{m}.lazy").write_text(
            f'model {m} "x" source "y";\n', encoding="utf-8")
    (tmp_path / "specs" / "targets" / f"{name}.toml").write_text(toml, encoding="utf-8")
    return tmp_path


def diag_of(root: Path, name: str = "t") -> tuple[str, int | None, str]:
    with pytest.raises(ModelError) as ei:
        load_target(name, root)
    (d,) = ei.value.diagnostics
    return d.code, (d.span.line if d.span else None), d.message


def test_good_target_loads(tmp_path: Path) -> None:
    root = make_root(tmp_path, GOOD)
    t = load_target("t", root)
    assert (t.name, t.arch, t.generation, t.bound) == ("t", "test-arch", "G0", 10)
    assert t.config.cpus == 2 and t.config.tasks == ("t",)
    assert t.config.preempt is Preempt.RT
    assert str(t.expect) == "fail:no-bug"
    assert [p.name for p in t.models] == ["arch.lazy", "api.lazy", "scenario.lazy"]
    assert "no-bug" in t.config.properties


def test_target_names_and_find_root(tmp_path: Path) -> None:
    root = make_root(tmp_path, GOOD, "b")
    (root / "specs" / "targets" / "a.toml").write_text(GOOD, encoding="utf-8")
    assert target_names(root) == ["a", "b"]
    sub = root / "models"
    assert find_root(sub) == root.resolve()


def test_unknown_target_is_lzc401(tmp_path: Path) -> None:
    root = make_root(tmp_path, GOOD, "xen-thing")
    with pytest.raises(ModelError) as ei:
        load_target("xen-other", root)
    (d,) = ei.value.diagnostics
    assert d.code == "LZC401" and d.span is None
    assert d.help is not None and "did you mean: xen-thing?" in d.help


def test_unknown_property_in_target_is_lzc405_at_its_line(tmp_path: Path) -> None:
    """An unknown property id is LZC405 (unknown property), at the properties key."""
    root = make_root(tmp_path, GOOD.replace("[check]\n", '[check]\nproperties = ["nope"]\n'))
    code, line, msg = diag_of(root)
    assert (code, line) == ("LZC405", 15) and "unknown property 'nope'" in msg


def test_invalid_toml_is_lzc402_at_its_line(tmp_path: Path) -> None:
    root = make_root(tmp_path, GOOD.replace('tasks = ["t"]', 'tasks = ["t"'))
    code, line, msg = diag_of(root)
    assert code == "LZC402" and line == 12 and "not valid TOML" in msg


@pytest.mark.parametrize(("old", "new", "line", "words"), [
    ('arch_name = "test-arch"\n', "", 1, "missing key 'arch_name'"),
    ('arch = "arch.lazy"', 'arch = "nope.lazy"', 5, "does not exist"),
    ("cpus = 2", 'cpus = "two"', 10, "'cpus' must be a int"),
    ('preempt = "rt"', 'preempt = "lazy"', 12, "unknown preemption model"),
    ('tasks = ["t"]', "tasks = []", 11, "at least one task"),
    ("bound = 10", "bound = true", 15, "'bound' must be a int"),
    ('verdict = "fail"', 'verdict = "maybe"', 18, "must be \"pass\" or \"fail\""),
    ('property = "no-bug"', 'property = "no-warn"', 18, "names the failing property"),
])
def test_malformed_target_is_lzc402_at_the_key(tmp_path: Path, old: str, new: str,
                                                line: int, words: str) -> None:
    assert old in GOOD
    root = make_root(tmp_path, GOOD.replace(old, new))
    code, got_line, msg = diag_of(root)
    assert code == "LZC402"
    assert got_line == line
    assert words in msg


def test_diagnostic_path_is_relative_to_the_root(tmp_path: Path) -> None:
    root = make_root(tmp_path, GOOD.replace("cpus = 2", 'cpus = "x"'))
    with pytest.raises(ModelError) as ei:
        load_target("t", root)
    span = ei.value.diagnostics[0].span
    assert span is not None and span.file == "specs/targets/t.toml"
    assert "specs/targets/t.toml" in ei.value.sources


def test_bound_too_large_in_target_file_is_lzc404_at_its_line(tmp_path: Path) -> None:
    """Pins LZC404 for bounds in target files, with the line of 'bound ='."""
    root = make_root(tmp_path, GOOD.replace("bound = 10", f"bound = {MAX_BOUND + 1}"))
    code, line, _ = diag_of(root)
    assert (code, line) == ("LZC404", 15)


def test_bound_too_large_in_target_file_points_at_its_line(tmp_path: Path) -> None:
    root = make_root(tmp_path, GOOD.replace("bound = 10", f"bound = {MAX_BOUND + 1}"))
    code, line, msg = diag_of(root)
    assert line == 15 and f"outside 1..{MAX_BOUND}" in msg
    assert code in ("LZC402", "LZC404")


def test_too_many_cpus_in_target_file_is_lzc403(tmp_path: Path) -> None:
    """Pins LZC403 for out-of-range kernel configuration in target files."""
    root = make_root(tmp_path, GOOD.replace("cpus = 2", "cpus = 9"))
    assert diag_of(root)[:2] == ("LZC403", 10)


def test_bound_limits_are_inclusive(tmp_path: Path) -> None:
    root = make_root(tmp_path, GOOD.replace("bound = 10", f"bound = {MAX_BOUND}"))
    assert load_target("t", root).bound == MAX_BOUND
