"""``lazycheck explain`` on every FAIL/fix pair of the zoo and ``verify --format mail``: goldens."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import update_golden as ug  # tests/update_golden.py: the goldens' one runner

from lazycheck.run.explain import explain
from lazycheck.run.verify import run
from lazycheck.targets import load_target
from lazycheck.views.explain import explain_svg, sentence

PAIRS = ug.explain_pairs()
MAIL = ug.mail_cases()


def test_pairs_are_fail_and_fix_of_one_arch() -> None:
    assert ("powerpc-hash-preemptible", "powerpc-hash-b9ef323ea168") in PAIRS
    for f, p in PAIRS:
        bad, good = load_target(f, ug.REPO), load_target(p, ug.REPO)
        assert bad.expect.verdict == "fail" and good.expect.verdict == "pass", (f, p)
        assert bad.arch == good.arch and bad.config.cpus == good.config.cpus


@pytest.mark.parametrize(("fail", "fix"), PAIRS)
def test_explain_golden(fail: str, fix: str) -> None:
    r = ug.run_explain(fail, fix)
    assert r.exception is None, repr(r.exception)
    expected = (ug.EXPLAIN / f"{fail}.expected").read_text(encoding="utf-8")
    assert ug.golden_expected(r) == expected, "output differs; run `make golden-update`?"
    assert r.exit_code == 0  # every fix of the zoo blocks its counterexample
    assert all(len(line) <= 100 for line in r.stdout.splitlines())


def test_explain_names_the_load_bearing_preempt_disable() -> None:
    o = run(load_target("powerpc-hash-preemptible", ug.REPO), ug.REPO)
    e = explain(o, load_target("powerpc-hash-b9ef323ea168", ug.REPO), ug.REPO)
    assert e.load_bearing is not None
    assert (e.load_bearing.function, e.load_bearing.text) == (
        "arch_enter_lazy_mmu_mode", "preempt_disable();")
    assert e.blocked_how == "disabled" and e.why == (("preempt_count[T0]", "0", "1"),)
    assert sentence(e) == (
        "b9ef323ea168: the preempt_disable() added to arch_enter_lazy_mmu_mode() makes the "
        f"context switch T0 -> T1 on cpu0 at step {e.blocked_step} impossible.")


def test_explain_against_itself_still_reproduces() -> None:
    o = run(load_target("sparc64-preemptible", ug.REPO), ug.REPO)
    e = explain(o, load_target("sparc64-preemptible", ug.REPO), ug.REPO)
    assert e.blocked_step == 0 and e.load_bearing is None
    assert e.still_property == "no-deferred-write-outside-section"
    assert "does not block" in sentence(e)


def test_explain_svg_annotates_the_fix() -> None:
    o = run(load_target("sparc64-preemptible", ug.REPO), ug.REPO)
    e = explain(o, load_target("sparc64-a1d416bf9faf", ug.REPO), ug.REPO)
    svg = explain_svg(e)
    root = ET.fromstring(svg.split("\n", 1)[1])
    ns = "{http://www.w3.org/2000/svg}"
    fixes = ["".join(t.itertext()) for t in root.iter(f"{ns}text") if t.get("class") == "fix"]
    joined = " ".join(" ".join(fixes).split())
    assert "fix a1d416bf9faf: sparc64-a1d416bf9faf.lazy:13 arch_enter_lazy_mmu_mode: " \
           "preempt_disable();" in joined, fixes
    assert "x with a1d416bf9faf this step cannot happen (disabled)" in joined


def test_explain_of_a_passing_target_is_bad_input() -> None:
    r = ug.run_cli(["explain", "arm64-nested", "--against", "arm64-g3"])
    assert r.exit_code == 2 and "does not fail" in r.stderr


@pytest.mark.parametrize("case", MAIL)
def test_mail_golden(case: str) -> None:
    r = ug.run_mail(case)
    assert r.exception is None, repr(r.exception)
    expected = (ug.MAIL / f"{case}.expected").read_text(encoding="utf-8")
    assert ug.golden_expected(r) == expected, "output differs; run `make golden-update`?"
    body = r.stdout.splitlines()
    assert all(len(line) <= 72 for line in body), [x for x in body if len(x) > 72]
    assert any(line.startswith("reproduce: lazycheck verify ") for line in body)
    assert any(line.startswith("source: ") for line in body)


def test_explain_against_a_patch(tmp_path: Path) -> None:
    """b9ef323ea168 as a patch mail (models/patches/, paths made repo-relative), applied to a copy.

    (The sparc64 fix can no longer serve: since it is written ``based_on`` its base, the
    diff between the two files is not the fix.)"""
    diff = (ug.REPO / "models/patches/powerpc-hash-b9ef323ea168.diff").read_text(encoding="utf-8")
    lines = [("--- a/models/" + x[6:]) if x.startswith("--- a/") else
             ("+++ b/models/" + x[6:]) if x.startswith("+++ b/") else x
             for x in diff.splitlines()]
    patch = tmp_path / "0001-powerpc-64s-disable-preemption.patch"
    patch.write_text("From b9ef323ea1680000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
                     + "\n".join(lines) + "\n", encoding="utf-8")
    r = ug.run_cli(["explain", "powerpc-hash-preemptible", "--against", str(patch)])
    assert r.exit_code == 0, r.stderr
    flat = " ".join(r.stdout.split())
    assert ("b9ef323ea168: the preempt_disable() added to arch_enter_lazy_mmu_mode() makes "
            "the context switch T0 -> T1 on cpu0 at step 3 impossible.") in flat
    base = ug.REPO / "models/arch/powerpc-hash-preemptible.lazy"
    assert "preempt_disable" not in base.read_text(encoding="utf-8").split(
        "arch_enter_lazy_mmu_mode")[1].split("}")[0], "the patch must not touch the tree"


def test_explain_patch_that_does_not_apply_is_bad_input(tmp_path: Path) -> None:
    patch = tmp_path / "bad.patch"
    patch.write_text("--- a/models/arch/nope.lazy\n+++ b/models/arch/nope.lazy\n@@ -1 +1 @@\n"
                     "-x\n+y\n", encoding="utf-8")
    r = ug.run_cli(["explain", "sparc64-preemptible", "--against", str(patch)])
    assert r.exit_code == 2 and "does not apply" in r.stderr


def test_explain_against_a_toml_path_reads_that_file(tmp_path: Path) -> None:
    ok = ug.run_cli(["explain", "sparc64-preemptible", "--against",
                     "specs/targets/sparc64-a1d416bf9faf.toml"])
    assert ok.exit_code == 0, ok.stderr
    outside = tmp_path / "sparc64-a1d416bf9faf.toml"  # same name, outside the root
    outside.write_text("secret = 1\n")
    r = ug.run_cli(["explain", "sparc64-preemptible", "--against", str(outside)])
    assert r.exit_code == 2 and "LZC" in r.stderr and "secret" not in r.stdout + r.stderr
