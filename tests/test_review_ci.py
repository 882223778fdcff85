"""``lazycheck ci``: SARIF 2.1.0, JUnit, KTAP, --changed-since, -j and progress."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import networkx as nx
import pytest
from click.testing import CliRunner

from lazycheck.cli.main import main
from lazycheck.run import depgraph
from lazycheck.run.corpus import run_many
from lazycheck.views import ci_formats
from lazycheck.views.ci_rows import ci_row

REPO = Path(__file__).resolve().parent.parent
# The SARIF 2.1.0 JSON schema as published on SchemaStore ("2.1.0-rtm.5", the OASIS
# committee-specification schema; its "version" enum is "2.1.0"), from the MIT-licensed
# npm package @microsoft/jest-sarif.  Vendored: the tests run without network.
SCHEMA = Path(__file__).resolve().parent / "schemas" / "sarif-2.1.0-rtm.5.json"
SMALL = ["vmap-pages-error-path-xen", "vmap-pages-error-path-xen-fea18c686320",
         "sparc64-preemptible"]
# one case per target x claimed configuration (x86 Xen PV: every preemption model;
# sparc64: no PREEMPT_RT, docs/targets.md)
CASES = [f"{n}[{m}]" for n in SMALL[:2] for m in ("none", "voluntary", "full", "rt")] + \
    [f"{SMALL[2]}[{m}]" for m in ("none", "voluntary", "full")]


def _copy_repo(tmp: Path) -> Path:
    dst = tmp / "repo"
    shutil.copytree(REPO / "models", dst / "models")
    shutil.copytree(REPO / "specs", dst / "specs")
    return dst


def _validate(doc: object) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema).validate(doc)


def _ci(repo: Path, *args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, ["--root", str(repo), "ci", *args])
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture(scope="module")
def wrong(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str, dict[str, Path]]:
    """A copy of the repository where two targets carry a wrong expected verdict."""
    repo = _copy_repo(tmp_path_factory.mktemp("wrong"))
    t1 = repo / "specs" / "targets" / "vmap-pages-error-path-xen.toml"
    t1.write_text(t1.read_text().replace('property = "mode-off-after-outermost"',
                                         'property = "no-bug"'))
    t2 = repo / "specs" / "targets" / "vmap-pages-error-path-xen-fea18c686320.toml"
    text = t2.read_text()
    text = re.sub(r'verdict = "pass"', 'verdict = "fail"\nproperty = "no-bug"', text)
    t2.write_text(text)
    out = {k: repo.parent / f"out.{k}" for k in ("sarif", "junit", "ktap", "md")}
    code, stdout, _ = _ci(repo, "-j", "2", *SMALL, "--sarif", str(out["sarif"]),
                          "--junit", str(out["junit"]), "--ktap", str(out["ktap"]),
                          "--markdown", str(out["md"]))
    return repo, code, stdout, out


def test_wrong_expectation_fails_ci(wrong: tuple[Path, int, str, dict[str, Path]]) -> None:
    _, code, stdout, _ = wrong
    assert code == 1
    assert "3 of 11 target configurations have their expected verdict" in stdout
    # what was found, not only what was expected
    flat = " ".join(stdout.split())  # the report wraps at 100 columns
    assert ("expect fail:no-bug (UNEXPECTED: expected fail:no-bug, got FAIL "
            "mode-off-after-outermost)") in flat
    assert "(UNEXPECTED: expected fail:no-bug, got PASS)" in flat


def test_sarif_is_valid_and_points_at_the_violation(
        wrong: tuple[Path, int, str, dict[str, Path]]) -> None:
    repo, _, _, out = wrong
    doc = json.loads(out["sarif"].read_text())
    _validate(doc)
    results = doc["runs"][0]["results"]
    assert len(results) == 8  # every configuration of the two wrong targets
    by_target = {r["partialFingerprints"]["lazycheckTarget/v1"].split(":")[0]
                 .removesuffix("[full]"): r for r in results}
    # unexpected FAIL (wrong property): on the arch/API line a pull request changes (the
    # statement that fired, or the last arch/API statement the trace ran), the call-site
    # line as a related location
    r = by_target["vmap-pages-error-path-xen"]
    assert r["ruleId"] == "mode-off-after-outermost"
    assert "expected fail:no-bug, got FAIL mode-off-after-outermost" in r["message"]["text"]
    loc = r["locations"][0]["physicalLocation"]
    uri, line = loc["artifactLocation"]["uri"], loc["region"]["startLine"]
    assert uri.startswith(("models/arch/", "models/api/")) and (repo / uri).is_file()
    flow = r["codeFlows"][0]["threadFlows"][0]["locations"]
    ran = [(x["location"]["physicalLocation"]["artifactLocation"]["uri"],
            x["location"]["physicalLocation"]["region"]["startLine"]) for x in flow]
    assert (uri, line) in ran or any(u == uri for u, _ in ran)
    scen = [x for x in r["relatedLocations"] if x["id"] == 2]
    assert scen and scen[0]["physicalLocation"]["artifactLocation"]["uri"].startswith(
        "models/scenarios/")
    # unexpected PASS: at the expected verdict in the target's TOML
    r = by_target["vmap-pages-error-path-xen-fea18c686320"]
    assert r["ruleId"] == "unexpected-pass"
    loc = r["locations"][0]["physicalLocation"]
    uri, line = loc["artifactLocation"]["uri"], loc["region"]["startLine"]
    assert uri == "specs/targets/vmap-pages-error-path-xen-fea18c686320.toml"
    assert (repo / uri).read_text().splitlines()[line - 1].startswith("verdict")
    rules = [x["id"] for x in doc["runs"][0]["tool"]["driver"]["rules"]]
    assert rules == sorted(rules) and {r["ruleId"] for r in results} <= set(rules)


def test_sarif_without_mismatches_is_valid_and_empty() -> None:
    rows = run_many(["vmap-pages-error-path-xen"], REPO, ci_row)
    doc = json.loads(ci_formats.sarif(rows))
    _validate(doc)
    assert doc["runs"][0]["results"] == []


def test_junit_parses(wrong: tuple[Path, int, str, dict[str, Path]]) -> None:
    _, _, _, out = wrong
    suite = ET.parse(out["junit"]).getroot()
    assert suite.tag == "testsuite" and suite.get("tests") == "11"
    assert suite.get("failures") == "8"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == set(CASES)
    assert cases["sparc64-preemptible[full]"].find("failure") is None
    f = cases["vmap-pages-error-path-xen[full]"].find("failure")
    assert f is not None and "expected fail:no-bug" in (f.get("message") or "")


def test_ktap_follows_kernel_conventions(wrong: tuple[Path, int, str, dict[str, Path]]
                                         ) -> None:
    _, _, _, out = wrong
    lines = out["ktap"].read_text().splitlines()
    assert lines[0] == "KTAP version 1"
    assert lines[1] == "1..11"
    results = []
    for line in lines[2:]:
        m = re.fullmatch(r"(ok|not ok) (\d+) (\S+)( # (SKIP |TODO |ERROR |expected ).*)?", line)
        if m:
            results.append((m.group(1), int(m.group(2)), m.group(3)))
        else:
            assert line.startswith("# ") and line == line.rstrip(), repr(line)
    assert [n for _, n, _ in results] == list(range(1, 12))
    assert [name for _, _, name in results] == CASES
    assert [ok for ok, _, _ in results] == ["not ok"] * 8 + ["ok"] * 3
    assert ("# vmap-pages-error-path-xen[full]: expected fail:no-bug, got FAIL "
            "mode-off-after-outermost") in lines


def test_output_does_not_depend_on_jobs() -> None:
    c1, out1, _ = _ci(REPO, "-j", "1", "--no-progress", *SMALL)
    c3, out3, _ = _ci(REPO, "-j", "3", "--no-progress", *SMALL)
    assert (c1, out1) == (c3, out3)
    assert c1 == 0


def test_plain_progress_lines_in_name_order() -> None:
    _, _, err = _ci(REPO, "-j", "3", *SMALL)
    lines = [x for x in err.splitlines() if x.startswith("[")]
    assert lines == [f"[{i}/11] {n}: ok" for i, n in enumerate(CASES, 1)]


# ---------------------------------------------------------------- --changed-since


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture()
def gitrepo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = _copy_repo(tmp_path)
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q",
         "-m", "base")
    return repo


def _expected(repo: Path, changed: str) -> list[str]:
    """Targets naming ``changed`` directly or through the include closure, by hand."""
    g, _ = depgraph.build(repo)
    return sorted(str(n)[len("target:"):] for n in g if str(n).startswith("target:")
                  and changed in nx.descendants(g, n))


def test_changed_since_selects_exactly_dependents(gitrepo: Path) -> None:
    assert depgraph.select(gitrepo, "HEAD")[0] == []
    inc = gitrepo / "models" / "arch" / "x86-xen-pv-multicall.lazy"
    inc.write_text(inc.read_text() + "\n/* touched */\n")
    names, changed = depgraph.select(gitrepo, "HEAD")
    assert changed == {"models/arch/x86-xen-pv-multicall.lazy"}
    # included only: selected through the #include closure of the arch models
    assert "xen-nesting-counter" in names and "xen-nested" in names
    assert not any(n.startswith(("arm64", "powerpc", "sparc64")) for n in names)
    assert names == _expected(gitrepo, "models/arch/x86-xen-pv-multicall.lazy")


def test_changed_since_toml_and_untracked(gitrepo: Path) -> None:
    t = gitrepo / "specs" / "targets" / "sparc64-preemptible.toml"
    t.write_text(t.read_text() + "\n")
    (gitrepo / "models" / "scenarios" / "unused-new.lazy").write_text("/* new */\n")
    names, changed = depgraph.select(gitrepo, "HEAD")
    assert names == ["sparc64-preemptible"]
    assert "models/scenarios/unused-new.lazy" in changed


def test_changed_since_prelude_selects_every_target() -> None:
    g, broken = depgraph.build(REPO)
    every = sorted(str(n)[len("target:"):] for n in g if str(n).startswith("target:"))
    assert depgraph.affected(g, {"lazycheck/kernel/prelude.lazy"}, broken) == every
    assert depgraph.affected(g, {"lazycheck/properties.py"}, broken) == every


def test_changed_since_on_the_command_line(gitrepo: Path) -> None:
    scen = gitrepo / "models" / "scenarios"
    used = "vmap-pages-pte-range-44562c71e2cf.lazy"
    assert (scen / used).is_file()
    code, out, _ = _ci(gitrepo, "--changed-since", "HEAD", "--no-progress")
    assert code == 0 and "0 targets depend" in out
    (scen / used).write_text((scen / used).read_text() + "\n")
    code, out, _ = _ci(gitrepo, "--changed-since", "HEAD", "--no-progress")
    assert code == 0, out
    assert "vmap-pages-error-path-xen: expect" in out and "xen-nesting-counter" not in out
    code, _, err = _ci(gitrepo, "--changed-since", "no-such-rev")
    assert code == 2 and "no-such-rev" in err
