"""``lazycheck scan`` output: gcc-style text, JSON and SARIF 2.1.0 (pure: strings out)."""

from __future__ import annotations

import json
from importlib import metadata
from typing import Any

from lazycheck.scan.checks import CHECKS, HAZARD, Finding, severity
from lazycheck.scan.inventory import Coverage
from lazycheck.scan.scanner import ScanResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RULES = {
    "section-leak": "A path leaves the function with a lazy MMU section still open",
    "unbalanced-leave": "A leave/disable/resume with no matching enter/enable/pause on a path",
    "sleep-in-section": "A call that may sleep inside an open, unpaused lazy MMU section",
    "nested-section": "A lazy MMU section opened inside another on a generation that does "
                      "not nest",
    "lock-order": "A page-table lock, or a spinlock on PREEMPT_RT, taken inside a section",
}


def counts(result: ScanResult, arch: str) -> dict[str, int]:
    """Findings per severity."""
    out = {"error": 0, "warning": 0, "note": 0}
    for f in result.findings:
        out[severity(f, arch)] += 1
    return out


def text(result: ScanResult, arch: str, affected: tuple[Coverage, ...] | None = None) -> str:
    """What checkpatch users read: ``file:line:col: error: message [check, Hn]``."""
    lines = []
    for f in result.findings:
        lines.append(f"{f.path}:{f.pos}: {severity(f, arch)}: {f.message} "
                     f"[{f.check}, {f.hazard}]")
        for r in f.related:
            lines.append(f"{r.path}:{r.pos}: note: {r.text}")
    if affected is not None:
        lines.extend(_affected_text(affected))
    c = counts(result, arch)
    lines.append(
        f"scan: {result.files} file{'s' if result.files != 1 else ''}, {result.lines} lines, "
        f"{result.functions} function{'s' if result.functions != 1 else ''} with lazy MMU "
        f"calls, {len(result.findings)} finding{'s' if len(result.findings) != 1 else ''} "
        f"({_n(c['error'], 'error')}, {_n(c['warning'], 'warning')}, {_n(c['note'], 'note')}), "
        f"{len(result.regions)} unparsable region{'s' if len(result.regions) != 1 else ''}"
        + (f", {len(result.incomplete)} functions not fully explored"
           if result.incomplete else ""))
    return "\n".join(lines) + "\n"


def _n(k: int, word: str) -> str:
    return f"{k} {word}{'s' if k != 1 else ''}"


def _affected_text(affected: tuple[Coverage, ...]) -> list[str]:
    out = []
    for cov in affected:
        s = cov.site
        models = ", ".join(cov.scenarios) or "no model"
        out.append(f"{s.path}:{s.start}: note: {s.function}() is a lazy MMU call site "
                   f"({'/'.join(s.generations)}); models: {models}")
        if cov.targets:
            out.append(f"  targets: {' '.join(cov.targets)}")
            out.append(f"  arch models: {' '.join(cov.archs)}")
    return out


def _pos_list(ps: tuple[Any, ...]) -> str:
    return ",".join(str(p.line) for p in ps) or "-"


def inventory_text(cov: tuple[Coverage, ...]) -> str:
    """The call-site table, then the call sites no scenario encodes."""
    head = ("site", "function", "api", "enter", "leave", "pause/resume", "locks@enter",
            "depth", "models")
    rows = []
    for c in cov:
        s = c.site
        rows.append((f"{s.path}:{s.start}-{s.end}", s.function, "/".join(s.generations),
                     _pos_list(s.enters), _pos_list(s.leaves),
                     f"{_pos_list(s.pauses)}/{_pos_list(s.resumes)}",
                     ",".join(s.locks_at_enter) or "-", str(s.max_depth),
                     ",".join(x.removesuffix(".lazy") for x in c.scenarios) or "-"))
    w = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(head[:-1])]
    out = ["  ".join(f"{h:<{w[i]}}" for i, h in enumerate(head[:-1])) + "  " + head[-1]]
    for r in rows:
        out.append("  ".join(f"{v:<{w[i]}}" for i, v in enumerate(r[:-1])) + "  " + r[-1])
    missing = [c.site for c in cov if not c.scenarios]
    out.append("")
    out.append(f"{len(cov)} call site{'s' if len(cov) != 1 else ''}, "
               f"{len(cov) - len(missing)} with a model, {len(missing)} without:")
    out.extend(f"  {s.path}:{s.start}: {s.function}" for s in missing)
    for c in cov:
        if c.site.calls_inside:
            out.append(f"calls inside {c.site.function}(): {', '.join(c.site.calls_inside)}")
    return "\n".join(out) + "\n"


def _finding_json(f: Finding, arch: str) -> dict[str, Any]:
    return {"check": f.check, "severity": severity(f, arch), "hazard": f.hazard,
            "path": f.path, "line": f.pos.line, "col": f.pos.col, "function": f.function,
            "message": f.message,
            "related": [{"path": r.path, "line": r.pos.line, "col": r.pos.col,
                         "message": r.text} for r in f.related]}


def _site_json(c: Coverage) -> dict[str, Any]:
    s = c.site
    return {"path": s.path, "function": s.function, "lines": [s.start, s.end],
            "generations": list(s.generations),
            "enter": [p.line for p in s.enters], "leave": [p.line for p in s.leaves],
            "pause": [p.line for p in s.pauses], "resume": [p.line for p in s.resumes],
            "flush": [p.line for p in s.flushes], "locks_at_enter": list(s.locks_at_enter),
            "max_depth": s.max_depth, "calls_inside": list(s.calls_inside),
            "callbacks": list(s.callbacks), "scenarios": list(c.scenarios),
            "targets": list(c.targets), "arch_models": list(c.archs)}


def as_json(result: ScanResult, arch: str, cov: tuple[Coverage, ...] | None = None) -> str:
    """The whole scan as JSON (sorted keys, stable)."""
    doc: dict[str, Any] = {
        "version": 1, "arch": arch, "files": result.files, "lines": result.lines,
        "functions": result.functions, "counts": counts(result, arch),
        "unparsable": [{"path": p, "kind": r.kind, "line": r.pos.line, "col": r.pos.col,
                        "end_line": r.end.line, "end_col": r.end.col}
                       for p, r in result.regions],
        "findings": [_finding_json(f, arch) for f in result.findings],
        "incomplete": [{"path": p, "function": fn} for p, fn in result.incomplete],
    }
    if cov is not None:
        doc["callsites"] = [_site_json(c) for c in cov]
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _loc(path: str, line: int, col: int) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": {"uri": path},
                                 "region": {"startLine": line, "startColumn": col}}}


def _version() -> str:
    try:
        return metadata.version("lazycheck")
    except metadata.PackageNotFoundError:
        return "0"


def sarif(result: ScanResult, arch: str) -> str:
    """SARIF 2.1.0 for code scanning on a kernel fork."""
    rules = [{"id": c, "name": c, "shortDescription": {"text": RULES[c]},
              "properties": {"hazard": HAZARD[c]}} for c in CHECKS]
    results = []
    for f in result.findings:
        results.append({
            "ruleId": f.check, "ruleIndex": CHECKS.index(f.check),
            "level": severity(f, arch), "message": {"text": f"{f.message} [{f.hazard}]"},
            "locations": [_loc(f.path, f.pos.line, f.pos.col)],
            "relatedLocations": [{**_loc(r.path, r.pos.line, r.pos.col), "id": i,
                                  "message": {"text": r.text}}
                                 for i, r in enumerate(f.related)],
            "properties": {"hazard": f.hazard, "function": f.function}})
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "lazycheck scan", "version": _version(), "rules": rules}},
        "results": results}]}
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"
