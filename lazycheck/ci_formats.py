"""Machine-readable outputs of ``lazycheck ci``: JUnit XML, KTAP, Markdown."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from lazycheck.ci import CiRow


def junit(rows: list[CiRow]) -> str:
    suite = ET.Element("testsuite", name="lazycheck", tests=str(len(rows)),
                       failures=str(sum(1 for r in rows if r.status == "MISMATCH")),
                       errors=str(sum(1 for r in rows if r.status in ("error", "unknown"))))
    for r in rows:
        case = ET.SubElement(suite, "testcase", classname="lazycheck.targets", name=r.target,
                             time=f"{r.elapsed_s:.3f}")
        if r.status == "MISMATCH":
            f = ET.SubElement(case, "failure",
                              message=f"expected {r.expected}, got {r.verdict}"
                                      f"{':' + r.property_id if r.property_id else ''}")
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
            lines.append(f"# {d}" if d else "#")
        if r.status == "ok":
            lines.append(f"ok {i} {r.target}")
        elif r.status == "unknown":
            lines.append(f"ok {i} {r.target} # SKIP verdict UNKNOWN: {r.detail}")
        else:
            lines.append(f"not ok {i} {r.target}")
    return "\n".join(lines) + "\n"


def markdown(rows: list[CiRow]) -> str:
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
