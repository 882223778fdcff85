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
    ("cpus = 2", 'cpus = "two"', 10, "'cpus' must be an integer, not a string"),
    ('preempt = "rt"', 'preempt = "lazy"', 12, "unknown value for 'preempt'"),
    ('tasks = ["t"]', "tasks = []", 11, "at least one task"),
    ("bound = 10", "bound = true", 15, "'bound' must be an integer, not a boolean"),
    ('verdict = "fail"', 'verdict = "maybe"', 18, "must be \"pass\", \"fail\""),
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


# --- the strict reader: unknown keys, positions, verdict forms, claims --------------------


def _diag(root: Path) -> tuple[str, int, int, str, str]:
    with pytest.raises(ModelError) as ei:
        load_target("t", root)
    (d,) = ei.value.diagnostics
    assert d.span is not None
    return d.code, d.span.line, d.span.col, d.message, d.help or ""


def test_unknown_key_suggests_the_right_one_at_its_position(tmp_path: Path) -> None:
    root = make_root(tmp_path, GOOD.replace("bound = 10", "bound = 10\n  proprties = []"))
    code, line, col, msg, help_ = _diag(root)
    assert (code, line, col) == ("LZC402", 16, 3)
    assert "unknown key 'proprties' in [check]" in msg and "did you mean 'properties'" in help_


def test_unknown_top_level_table_is_an_error(tmp_path: Path) -> None:
    root = make_root(tmp_path, GOOD + "\n[kernal]\ncpus = 1\n")
    code, line, _, _msg, help_ = _diag(root)
    assert (code, line) == ("LZC402", 21) and "did you mean 'kernel'" in help_


def test_wrong_list_item_points_at_the_item(tmp_path: Path) -> None:
    root = make_root(tmp_path, GOOD.replace('tasks = ["t"]', 'tasks = ["t", 3]'))
    code, line, col, msg, _ = _diag(root)
    assert (code, line, col) == ("LZC402", 11, 15) and "item 2 is an integer" in msg


def test_unknown_property_points_at_the_list_item(tmp_path: Path) -> None:
    root = make_root(tmp_path, GOOD.replace(
        "[check]\n", '[check]\nproperties = ["no-bug", "no-bugg"]\n'))
    code, line, col, _msg, help_ = _diag(root)
    assert (code, line, col) == ("LZC405", 15, 25) and "did you mean 'no-bug'" in help_


def test_fail_colon_property_is_accepted(tmp_path: Path) -> None:
    root = make_root(tmp_path, GOOD.replace('verdict = "fail"\nproperty = "no-bug"',
                                            'verdict = "fail:no-bug"'))
    assert str(load_target("t", root).expect) == "fail:no-bug"


def test_a_target_by_path(tmp_path: Path) -> None:
    root = make_root(tmp_path, GOOD)
    t = load_target(str(root / "specs" / "targets" / "t.toml"), root)
    assert t.name == "t" and t.models[0] == root / "models" / "arch.lazy"


def test_a_relative_target_path_inside_the_root(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_root(tmp_path / "r", GOOD)
    monkeypatch.chdir(root / "models")
    assert load_target("../specs/targets/t.toml", root).name == "t"


def test_a_target_path_is_confined_to_the_root(tmp_path: Path) -> None:
    root = make_root(tmp_path / "r", GOOD)
    (tmp_path / "elsewhere").mkdir()
    for name in (str(root / "specs" / "targets" / "t.toml"), "../r/specs/targets/t.toml"):
        with pytest.raises(ModelError) as exc:
            load_target(name, tmp_path / "elsewhere")
        assert exc.value.diagnostics[0].code == "LZC013"
    with pytest.raises(ModelError) as exc:
        load_target("../t", root)
    assert exc.value.diagnostics[0].code == "LZC013"


def test_default_claim_is_every_model_the_arch_can_be_built_with(tmp_path: Path) -> None:
    t = load_target("t", make_root(tmp_path, GOOD))
    assert [c.config.preempt.value for c in t.claims] == ["none", "voluntary", "full", "rt"]
    sparc = load_target("t", make_root(tmp_path / "s", GOOD.replace(
        '"test-arch"', '"sparc64"').replace('preempt = "rt"', 'preempt = "full"')))
    assert [c.label for c in sparc.claims] == ["none", "voluntary", "full"]


def test_narrowing_a_claim_needs_a_reason(tmp_path: Path) -> None:
    narrowed = GOOD + '\n[configs]\npreempt = ["rt"]\n'
    code, line, _, msg, _ = _diag(make_root(tmp_path, narrowed))
    assert (code, line) == ("LZC402", 22) and "leaves out none, voluntary, full" in msg
    ok = load_target("t", make_root(tmp_path / "b", narrowed + 'narrowed = "why"\n'))
    assert [c.label for c in ok.claims] == [""]  # one configuration: no label needed
    assert len(ok.claims) == 1


def test_per_config_expectation_with_reason(tmp_path: Path) -> None:
    text = GOOD + '\n[expect.none]\nverdict = "pass"\nreason = "no preemption"\n'
    t = load_target("t", make_root(tmp_path, text))
    none = next(c for c in t.claims if c.label == "none")
    assert str(none.expect) == "pass" and none.reason == "no preemption"
    assert str(t.expect) == "fail:no-bug"  # the target's own configuration (rt)
    assert str(t.expect_for(none.config)) == "pass"


def test_other_helpers_keys_are_in_the_schema(tmp_path: Path) -> None:
    text = GOOD.replace("bound = 10", 'bound = 10\nreach = ["window"]\nbounded = "deep enough"') \
        + 'at = "scenario.lazy:3"\n'
    t = load_target("t", make_root(tmp_path, text))
    assert (t.reach, t.bounded, t.expect.at) == (("window",), "deep enough", "scenario.lazy:3")


def test_bounded_lives_under_check_and_at_under_expect(tmp_path: Path) -> None:
    for i, (text, msg) in enumerate((
            (GOOD + 'bounded = "deep enough"\n', "unknown key 'bounded' in [expect]"),
            (GOOD.replace("bound = 10", 'bound = 10\nbounded = ""'), "non-empty reason"),
            (GOOD + 'at = "scenario"\n', "file.lazy:LINE"),
            (GOOD.replace('verdict = "fail"\nproperty = "no-bug"', 'verdict = "pass"')
             + 'at = "scenario.lazy:3"\n', "belongs to a \"fail\""))):
        with pytest.raises(ModelError) as exc:
            load_target("t", make_root(tmp_path / str(i), text))
        assert msg in exc.value.diagnostics[0].message


def test_toml_positions_of_keys_values_and_items() -> None:
    from lazycheck.targets import TomlPositions

    pos = TomlPositions('a = 1\n[t]\n"q k" = """x\n"""\nl = [\n  "a",\n  "b" ]\n'
                        '[[r]]\nx = {y = 2}\n[[r]]\nx = 3\n')
    assert pos.key(("a",)) == (1, 1) and pos.value(("a",)) == (1, 5)
    assert pos.key(("t", "q k")) == (3, 1)
    assert pos.value(("t", "l", 1)) == (7, 3)
    assert pos.value(("r", 0, "x", "y")) == (9, 10) and pos.key(("r", 1, "x")) == (11, 1)


def test_every_schema_key_is_documented() -> None:
    from lazycheck.targets import SCHEMA

    doc = (Path(__file__).resolve().parents[2] / "docs" / "targets.md").read_text("utf-8")
    missing = [f"{s}.{k.name}" for s, keys in SCHEMA.items() for k in keys
               if f"`{k.name}`" not in doc and f"[{k.name}]" not in doc
               and f"[{s}.{k.name}]" not in doc and k.name not in ("none", "voluntary",
                                                                     "full", "rt")]
    assert missing == []


def test_selectors_pick_the_most_specific_table(tmp_path: Path) -> None:
    text = GOOD.replace('preempt = "rt"', 'preempt = "rt"\nirq_handlers = ["i"]\nirqs = 1') + \
        '\n[configs]\nirqs = [0, 1]\n' \
        '\n[expect."irqs=0"]\nverdict = "pass"\nreason = "off"\n' \
        '\n[expect."none,irqs=0"]\nverdict = "pass"\nreason = "none, off"\n'
    t = load_target("t", make_root(tmp_path, text))
    by = {c.label: c for c in t.claims}
    assert len(by) == 8 and by["rt,irqs=1"].config == t.config
    assert by["none,irqs=0"].reason == "none, off" and by["full,irqs=0"].reason == "off"
    assert by["full,irqs=1"].reason == "" and str(by["full,irqs=1"].expect) == "fail:no-bug"


def test_equally_specific_selectors_are_ambiguous(tmp_path: Path) -> None:
    text = GOOD.replace('preempt = "rt"', 'preempt = "rt"\nirq_handlers = ["i"]\nirqs = 1') + \
        '\n[configs]\nirqs = [0, 1]\n' \
        '\n[expect."irqs=0"]\nverdict = "pass"\nreason = "off"\n' \
        '\n[expect.none]\nverdict = "pass"\nreason = "none"\n'
    code, _, _, msg, _ = _diag(make_root(tmp_path, text))
    assert code == "LZC402" and "both select none,irqs=0" in msg


def test_a_selector_for_an_unclaimed_config_is_an_error(tmp_path: Path) -> None:
    text = GOOD + '\n[expect."cpus=3"]\nverdict = "pass"\nreason = "x"\n'
    code, line, _, msg, _ = _diag(make_root(tmp_path, text))
    assert (code, line) == ("LZC402", 21) and "selects no configuration" in msg
