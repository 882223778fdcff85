"""Call-site inventory: every lazy MMU call site matched to the scenarios that model it.

The mapping lives in ``models/kernel-map.toml`` (kernel ``FILE:FUNCTION`` ->
scenario files); targets come from ``specs/targets/*.toml`` (their
``scenario`` and ``arch`` keys).  A call site matches a mapping entry when
the function names are equal and the scanned path ends with the entry's
file, or, for files outside a kernel tree layout, on the function name alone.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from lazycheck.scan.checks import CallSite

MAP_FILE = Path("models") / "kernel-map.toml"


@dataclass(frozen=True, slots=True)
class Coverage:
    """The models of one call site: scenarios, targets that run them, their arch models."""

    site: CallSite
    scenarios: tuple[str, ...]
    targets: tuple[str, ...]
    archs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Zoo:
    """The mapping and the targets, read once."""

    sites: tuple[tuple[str, str, tuple[str, ...]], ...]  # (file, function, scenarios)
    targets: tuple[tuple[str, str, str], ...]  # (target, scenario file, arch model)


def _as_tuple(v: object) -> tuple[str, ...]:
    if isinstance(v, str):
        return (v,)
    if isinstance(v, list):
        return tuple(str(x) for x in v)
    return ()


def load_zoo(root: Path) -> Zoo:
    """Read the mapping file and every target (missing files give an empty zoo)."""
    sites: list[tuple[str, str, tuple[str, ...]]] = []
    path = root / MAP_FILE
    if path.is_file():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for entry in data.get("site", []):
            file, _, fn = str(entry.get("kernel", "")).rpartition(":")
            sites.append((file, fn, _as_tuple(entry.get("scenarios"))))
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
