"""Call-site inventory: every lazy MMU call site matched to the scenarios that model it.

Each scenario under ``models/scenarios/`` declares the kernel functions it
models (``kernel "mm/memory.c:zap_pte_range";``, docs/language.md); targets
come from ``specs/targets/*.toml`` (their ``scenario`` and ``arch`` keys).
A call site matches a declaration when the function names are equal and the
scanned path ends with the declared file, or, for files outside a kernel
tree layout, on the function name alone.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from lazycheck.lang import ast
from lazycheck.lang.parser import parse
from lazycheck.scan.checks import CallSite

SCENARIOS = Path("models") / "scenarios"


@dataclass(frozen=True, slots=True)
class Coverage:
    """The models of one call site: scenarios, targets that run them, their arch models."""

    site: CallSite
    scenarios: tuple[str, ...]
    targets: tuple[str, ...]
    archs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Zoo:
    """The scenarios' kernel declarations and the targets, read once."""

    sites: tuple[tuple[str, str, tuple[str, ...]], ...]  # (file, function, scenarios)
    targets: tuple[tuple[str, str, str], ...]  # (target, scenario file, arch model)


def _as_tuple(v: object) -> tuple[str, ...]:
    if isinstance(v, str):
        return (v,)
    if isinstance(v, list):
        return tuple(str(x) for x in v)
    return ()


def load_zoo(root: Path) -> Zoo:
    """Read every scenario's ``kernel`` declarations and every target (none: empty zoo)."""
    by_site: dict[str, list[str]] = {}
    for path in sorted((root / SCENARIOS).glob("*.lazy")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        mf, _ = parse(text, str(path))
        for d in mf.decls:
            if isinstance(d, ast.KernelDecl):
                by_site.setdefault(d.site, []).append(path.name)
    sites = [(file, fn, tuple(scen)) for site, scen in sorted(by_site.items())
             for file, _, fn in (site.rpartition(":"),)]
    targets: list[tuple[str, str, str]] = []
    for t in sorted((root / "specs" / "targets").glob("*.toml")):
        try:
            data = tomllib.loads(t.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue
        arch = Path(str(data.get("arch", ""))).stem
        for scen in _as_tuple(data.get("scenario")):
            targets.append((t.stem, Path(scen).name, arch))
    return Zoo(tuple(sites), tuple(targets))


def _matches(site: CallSite, file: str, fn: str) -> bool:
    if site.function != fn:
        return False
    shown = site.path.replace("\\", "/")
    return shown.endswith("/" + file) or shown == file or "/" not in file


def coverage(site: CallSite, zoo: Zoo) -> Coverage:
    """The scenarios, targets and arch models that encode ``site``."""
    exact = [s for f, fn, s in zoo.sites if _matches(site, f, fn)]
    loose = [s for f, fn, s in zoo.sites if fn == site.function]
    scen = sorted({x for group in (exact or loose) for x in group})
    hits = [(t, a) for t, s, a in zoo.targets if s in scen]
    return Coverage(site, tuple(scen), tuple(sorted({t for t, _ in hits})),
                    tuple(sorted({a for _, a in hits})))


def inventory(sites: tuple[CallSite, ...], zoo: Zoo) -> tuple[Coverage, ...]:
    """Every call site with its coverage, in scan order."""
    return tuple(coverage(s, zoo) for s in sites)


API_GENERATION = {"g0-stateless": "G0/G1", "g1-2025-docs": "G0/G1", "g2-lazy-mmu-state": "G2",
                  "g3-v6": "G3", "g4-s390-with-ptes": "G4"}


def arch_models(root: Path, generation: str) -> tuple[tuple[str, str, str], ...]:
    """(arch model, api model, preemption model) triples, paths relative to models/, that
    targets combine for an API generation (``apply`` counts as G0/G1): every arch model a
    draft should verify on, in the kernel configurations the zoo checks it in."""
    gen = "G0/G1" if generation in ("apply", "G1''") else generation
    pairs: set[tuple[str, str, str]] = set()
    for t in sorted((root / "specs" / "targets").glob("*.toml")):
        try:
            data = tomllib.loads(t.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if str(data.get("source", "")).startswith("counterfactual"):
            continue  # a counterfactual arch (issue 11 pairs), not kernel code to check on
        api, arch = str(data.get("api", "")), str(data.get("arch", ""))
        kernel = data.get("kernel", {})
        preempt = str(kernel.get("preempt", "full")) if isinstance(kernel, dict) else "full"
        if API_GENERATION.get(Path(api).stem) == gen and arch:
            pairs.add((arch, api, preempt))
    return tuple(sorted(pairs))
