"""Machine-readable outputs of ``lazycheck ci``: JUnit XML, KTAP, Markdown, SARIF 2.1.0."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from lazycheck.properties import BY_ID
from lazycheck.views.ci_rows import CiRow


def junit(rows: list[CiRow]) -> str:
    """JUnit XML: one test case per target configuration, failures and errors marked."""
    suite = ET.Element("testsuite", name="lazycheck", tests=str(len(rows)),
                       failures=str(sum(1 for r in rows if r.status == "MISMATCH")),
                       errors=str(sum(1 for r in rows if r.status in ("error", "unknown"))))
    for r in rows:
        case = ET.SubElement(suite, "testcase", classname="lazycheck.targets", name=r.target,
                             time=f"{r.elapsed_s:.3f}")
        if r.status == "MISMATCH":
            f = ET.SubElement(case, "failure",
                              message=f"expected {r.expected}, got {r.found}")
            f.text = r.report
        elif r.status in ("error", "unknown"):
            e = ET.SubElement(case, "error", message=r.detail)
            e.text = r.report
        out = ET.SubElement(case, "system-out")
        out.text = r.report
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def ktap(rows: list[CiRow]) -> str:
    """KTAP version 1 (Documentation/dev-tools/ktap.rst): header, plan, one line per test."""
    lines = ["KTAP version 1", f"1..{len(rows)}"]
    for i, r in enumerate(rows, 1):
        for d in r.report.splitlines():
            if d.strip():
                lines.append(f"# {d}")
        if r.status == "ok":
            lines.append(f"ok {i} {r.target}")
        elif r.status == "unknown":
            reason = " ".join(r.detail.split())  # a SKIP reason is one complete line
            lines.append(f"ok {i} {r.target} # SKIP verdict UNKNOWN: {reason}")
        elif r.status == "error":
            lines.append(f"not ok {i} {r.target} # ERROR {_one_line(r.detail)}")
        else:
            lines.append(f"# {r.target}: expected {r.expected}, got {r.found}")
            if r.why:
                lines.append(f"# {r.target}: {_one_line(r.why)}")
            lines.append(f"not ok {i} {r.target}")
    return "\n".join(lines) + "\n"


def _one_line(text: str, width: int = 200) -> str:
    """``text`` on one line, at most ``width`` characters (a KTAP reason)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[:width - 3] + "..."


def markdown(rows: list[CiRow]) -> str:
    """A Markdown summary to post on a patch or pull request."""
    bad = [r for r in rows if r.status != "ok"]
    head = ("all targets have their expected verdict" if not bad
            else f"{len(bad)} of {len(rows)} targets differ from their expected verdict")
    lines = [f"## lazycheck ci: {head}", "",
             "| target | expected | verdict | states | depth | exhausted | status |",
             "|---|---|---|---:|---:|---|---|"]
    for r in rows:
        got = r.verdict + (f": {r.property_id}" if r.property_id else "")
        lines.append(f"| `{r.target}` | {r.expected} | {got} | {r.states:,} | {r.depth} | "
                     f"{'yes' if r.exhausted else 'no'} | {r.status} |")
    for r in bad:
        lines += ["", f"<details><summary><code>{r.target}</code>: {r.status}</summary>", "",
                  "```", r.report.rstrip(), "```", "", "</details>"]
    return "\n".join(lines) + "\n"


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_OTHER_RULES = {
    "unexpected-pass": "a target expected to fail passed: the model no longer shows the bug "
                       "(fix the model, or update the expected verdict in the target TOML)",
    "bad-input": "a target or a model it uses does not load",
    "unknown-verdict": "a state or time limit was hit, or the model outgrew its own bounds",
    "bounded-pass": "a PASS that neither exhausted the state space nor proved the "
                    "properties (raise the bound, or opt in with [check] bounded = \"reason\")",
    "moved-violation": "the expected property failed, but not where the target expects it "
                       "([expect] at): the check that used to catch it may be gone",
}


def _rule_id(r: CiRow) -> str:
    if r.verdict == "ERROR":
        return "bad-input"
    if r.verdict == "UNKNOWN":
        return "unknown-verdict"
    if r.why:
        return "bounded-pass" if r.verdict == "PASS" else "moved-violation"
    if r.verdict == "FAIL" and r.property_id:
        return r.property_id
    return "unexpected-pass"


def _location(uri: str, line: int, col: int = 0) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(line, 1)}
    if col > 0:
        region["startColumn"] = col
    return {"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                                 "region": region}}


def _tool_version() -> str:
    try:
        return version("lazycheck")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


def _is_model(path: str) -> bool:
    return "/arch/" in path or "/api/" in path


def _fail_site(r: CiRow, changed: frozenset[str] | None) -> tuple[str, int, int]:
    """Where a FAIL sits: the statement that fired, or the last one run, in a changed file.

    Without ``--changed-since`` an arch or API model counts as changed (that is
    what a pull request on a model changes; the scenario is the related location)."""
    fired = (r.violation_file, r.violation_line, r.violation_col)
    touched = (lambda f: f in changed) if changed is not None else _is_model
    if r.violation_file and touched(r.violation_file):
        return fired
    hits = [(f, ln) for f, ln in r.executed if touched(f)]
    if hits:
        return hits[-1][0], hits[-1][1], 0
    return fired


def _result(r: CiRow, index: dict[str, int], changed: frozenset[str] | None
            ) -> dict[str, Any]:
    """The SARIF result of one target whose verdict is not the expected one."""
    rid = _rule_id(r)
    msg = f"target {r.target}: expected {r.expected}, got {r.found}. {r.detail}"
    if r.verdict == "FAIL" and r.executed:
        loc = _location(*_fail_site(r, changed))
    elif r.violation_file and r.violation_line:
        loc = _location(r.violation_file, r.violation_line, r.violation_col)
    else:
        loc = _location(r.toml or f"specs/targets/{r.target}.toml", r.expect_line)
    res: dict[str, Any] = {
        "ruleId": rid, "ruleIndex": index[rid], "level": "error",
        "message": {"text": msg}, "locations": [loc],
        "partialFingerprints": {"lazycheckTarget/v1": f"{r.target}:{rid}"},
    }
    if r.toml and r.violation_file:
        res["relatedLocations"] = [
            {"id": 1, **_location(r.toml, r.expect_line),
             "message": {"text": f"expected verdict of {r.target}: {r.expected}"}}]
        scen = [(f, ln) for f, ln in r.executed if "/scenarios/" in f]
        if scen:
            res["relatedLocations"].append(
                {"id": 2, **_location(*scen[-1]),
                 "message": {"text": f"the last call-site line the trace of {r.target} "
                                     "ran"}})
    flow = [{"location": {**_location(f, ln), "message": {"text": what}}}
            for f, ln, what in r.steps if f and ln]
    if flow:
        res["codeFlows"] = [{"message": {"text": f"counterexample of {r.target}"},
                             "threadFlows": [{"locations": flow}]}]
    return res


def sarif(rows: list[CiRow], changed: frozenset[str] | None = None) -> str:
    """SARIF 2.1.0: one result per target whose verdict differs from its expectation.

    A result sits where a reviewer has to look: an unexpected FAIL at the
    violation's span in the model (with the trace as a code flow), an
    unexpected PASS at the expected verdict in the target's TOML, a load
    error at the diagnostic's span.  Paths are relative to the repository
    (``%SRCROOT%``), so code scanning can annotate the diff.
    """
    bad = [r for r in rows if r.status != "ok"]
    used = sorted({_rule_id(r) for r in bad})
    rules = []
    for rid in used:
        prop = BY_ID.get(rid)
        text = (f"{prop.description} [{', '.join(prop.hazards)}]" if prop is not None
                else _OTHER_RULES.get(rid, rid))
        rules.append({"id": rid, "name": rid.replace("-", " "),
                      "shortDescription": {"text": text},
                      "defaultConfiguration": {"level": "error"}})
    index = {rid: i for i, rid in enumerate(used)}
    results = [_result(r, index, changed) for r in bad]
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "lazycheck", "version": _tool_version(),
                                "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2, ensure_ascii=True) + "\n"
