"""Issue 9 (mutants): a thread's owed isb is tracked whenever a dsb'd store can be observed.

Before, ``Layout.uses_isb`` was true only when some function called ``isb()``:
deleting arm64's only ``isb()`` removed the state, ``__isb_pending()`` became
the constant false, and the fixmap targets PASSed a model that never
context-synchronizes (docs/mutants.md, the four ``isb()`` survivors).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lazycheck.kernel.layout import Layout
from lazycheck.lang.loader import load
from lazycheck.outcome import Verdict
from lazycheck.run.verify import run
from lazycheck.targets import load_target
from tests.kernel.test_world_details import REPO, zoo_copy


def _layout(root: Path, name: str) -> Layout:
    t = load_target(name, root)
    return Layout(load(list(t.models), root).program, t.config)


@pytest.mark.parametrize(("model", "target"), [
    ("arch/arm64-g3.lazy", "arm64-g3-fixmap"),
    ("arch/arm64-pte-barriers.lazy", "arm64-kevin-v2-nesting-fixmap"),
])
def test_a_model_that_lost_its_only_isb_still_owes_one(tmp_path: Path, model: str,
                                                       target: str) -> None:
    """Delete the isb() after the dsb: the fixmap user sees __isb_pending() and FAILs."""
    root = zoo_copy(tmp_path)
    path = root / "models" / model
    lines = path.read_text(encoding="utf-8").split("\n")
    isb = [k for k, x in enumerate(lines) if x.strip().startswith("isb();")]
    assert len(isb) == 1
    path.write_text("\n".join(lines[:isb[0]] + lines[isb[0] + 1:]), encoding="utf-8")
    assert _layout(root, target).uses_isb
    out = run(load_target(target, root), root)
    assert out.result.verdict is Verdict.FAIL
    assert out.system.violation(out.result.violation_code).property_id == "mapped-before-use"


def test_the_shipped_model_passes_and_tracks() -> None:
    """The near miss: with its isb() the same target PASSes (the state is there too)."""
    assert _layout(REPO, "arm64-g3-fixmap").uses_isb
    assert run(load_target("arm64-g3-fixmap", REPO), REPO).result.verdict is Verdict.PASS


def test_no_dsb_no_state(tmp_path: Path) -> None:
    """Without any dsb no store is ever published, so nothing is owed: no state for it."""
    root = zoo_copy(tmp_path)
    path = root / "models" / "arch/arm64-g3.lazy"
    lines = path.read_text(encoding="utf-8").split("\n")
    keep = [x for x in lines if not x.strip().startswith(("isb();", "dsb("))]
    assert len(keep) < len(lines) - 1
    path.write_text("\n".join(keep), encoding="utf-8")
    assert not _layout(root, "arm64-g3-fixmap").uses_isb
