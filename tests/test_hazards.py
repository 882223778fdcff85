"""Every hazard number a report or a target cites resolves to a section of docs/hazards.md."""

from __future__ import annotations

import re
from pathlib import Path

from lazycheck.properties import PROPERTIES

REPO = Path(__file__).resolve().parent.parent
HAZARDS = REPO / "docs" / "hazards.md"


def _sections() -> dict[str, str]:
    """``H<n>`` -> the text of its section."""
    text = HAZARDS.read_text(encoding="utf-8")
    parts = re.split(r"^## (H\d+):", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_every_hazard_a_property_cites_has_a_section() -> None:
    """The closing sentence of a FAIL lists these: each must resolve."""
    have = _sections()
    cited = {h for p in PROPERTIES for h in p.hazards}
    assert cited and cited <= set(have), sorted(cited - set(have))


def test_every_hazard_a_target_names_lists_that_target() -> None:
    """A target whose TOML names H<n> appears in the H<n> section."""
    have = _sections()
    missing = []
    for toml in sorted((REPO / "specs" / "targets").glob("*.toml")):
        for h in sorted(set(re.findall(r"\bH\d+\b", toml.read_text(encoding="utf-8")))):
            if h not in have or f"`{toml.stem}`" not in have[h]:
                missing.append(f"{toml.stem} -> {h}")
    assert not missing, missing


def test_the_readme_points_at_the_project_page() -> None:
    """Issue 11 item 8: hazard references resolve inside the project."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "docs/hazards.md" in readme and "../shared" not in readme
