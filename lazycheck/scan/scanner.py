"""Scan files and trees: parse in worker processes, check, then resolve across functions.

The worker :func:`scan_bytes` is top-level and pure (bytes in, frozen result
out), so it runs the same in-process and in a ``ProcessPoolExecutor``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lazycheck.scan import checks, parser
from lazycheck.scan import syntax as sx

_KEEP = re.compile(rb"lazy_mmu|apply_to_(existing_)?page_range")
SUFFIXES = (".c", ".h")


@dataclass(frozen=True, slots=True)
class FileScan:
    """One file's contribution: parse regions, per-function results, cheap summaries."""

    path: str
    lines: int
    regions: tuple[sx.Region, ...]
    results: tuple[checks.FunctionResult, ...]
    cheap: tuple[checks.Summary, ...]


@dataclass(frozen=True, slots=True)
class ScanResult:
    """A whole scan: totals, unparsable regions, findings, call sites."""

    files: int
    lines: int
    functions: int
    regions: tuple[tuple[str, sx.Region], ...]
    findings: tuple[checks.Finding, ...]
    callsites: tuple[checks.CallSite, ...]
    incomplete: tuple[tuple[str, str], ...]


def _keep(text: bytes) -> bool:
    return _KEEP.search(text) is not None


def scan_bytes(path: str, data: bytes) -> FileScan:
    """Parse and check one file (pure; the unit of work of a worker process)."""
    source, rest = parser.parse_source(path, data, _keep)
    results = tuple(checks.analyse(path, fn) for fn in source.functions)
    cheap = checks.cheap_summaries(path, data, list(rest))
    return FileScan(path, source.lines, source.regions, results, cheap)


def _scan_batch(batch: Sequence[tuple[str, str]]) -> list[FileScan]:
    """Worker entry: read and scan a batch of (display path, filesystem path)."""
    out = []
    for shown, real in batch:
        with open(real, "rb") as fh:
            out.append(scan_bytes(shown, fh.read()))
    return out


def collect(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """(display path, filesystem path) of every .c/.h file under ``paths``, sorted."""
    out: list[tuple[str, str]] = []
    for p in paths:
        if p.is_dir():
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for f in sorted(filenames):
                    if f.endswith(SUFFIXES):
                        full = os.path.join(dirpath, f)
                        out.append((full, full))
        else:
            out.append((str(p), str(p)))
    return out


def scan_files(files: Sequence[tuple[str, str]], jobs: int = 1) -> list[FileScan]:
    """Scan ``files``, spread over ``jobs`` processes when there are many."""
    if jobs <= 1 or len(files) < 8:
        return _scan_batch(files)
    size = max(1, min(64, len(files) // (jobs * 4)))
    batches = [files[i:i + size] for i in range(0, len(files), size)]
    out: list[FileScan] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for part in pool.map(_scan_batch, batches):
            out.extend(part)
    return out


def combine(scans: Sequence[FileScan], only: dict[str, set[str]] | None = None) -> ScanResult:
    """Resolve callee summaries across every file; keep results of ``only`` (path ->
    function names) when given, e.g. the functions a patch touches."""
    summaries: dict[str, list[checks.Summary]] = {}
    for fs in scans:
        for s in (*(r.summary for r in fs.results), *fs.cheap):
            summaries.setdefault(s.name, []).append(s)

    def wanted(path: str, fn: str) -> bool:
        """Is this function one the caller asked for?"""
        return only is None or fn in only.get(path, set())

    results = [r for fs in scans for r in fs.results if wanted(r.summary.path, r.summary.name)]
    direct = [f for r in results for f in r.findings]
    inside = [i for r in results for i in r.in_section]
    findings = sorted({*direct, *checks.resolve(inside, summaries)},
                      key=lambda f: (f.path, f.pos, f.check, f.message))
    sites = sorted((r.callsite for r in results if r.callsite is not None),
                   key=lambda c: (c.path, c.start, c.function))
    return ScanResult(
        len(scans), sum(fs.lines for fs in scans),
        sum(len(fs.results) for fs in scans),
        tuple((fs.path, reg) for fs in scans for reg in fs.regions),
        tuple(findings), tuple(sites),
        tuple((r.summary.path, r.summary.name) for r in results if r.incomplete))
