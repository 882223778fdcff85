"""Monitors report structured violations; a property id outside the catalogue cannot exist."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_world import WRITE_OUTSIDE, build, check

from lazycheck.diagnostics import Span
from lazycheck.properties import BY_ID, MODEL_BOUNDS, PROPERTIES, PropertyId, property_id
from lazycheck.system import Violation


def test_a_violation_with_a_string_property_cannot_be_built() -> None:
    """Issue 8 item 3: symexec.violate once ignored an unknown id silently."""
    with pytest.raises(TypeError):
        Violation(1, "no-such-property", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        PropertyId("no-such-property")


def test_the_catalogue_and_the_enum_agree() -> None:
    """Every catalogued property has an id; model-bounds is an id but no target's claim."""
    assert {p.id for p in PROPERTIES} == set(PropertyId) - {MODEL_BOUNDS}
    assert property_id("no-bug") is PropertyId.NO_BUG
    assert property_id("model-bounds") is None
    assert BY_ID["no-bug"].id is PropertyId.NO_BUG


def test_a_deferred_write_names_its_writer_and_the_returning_function(tmp_path: Path
                                                                      ) -> None:
    """The report reads actor/function from fields, never from the message."""
    sys_ = build(tmp_path, "void set_pte(pte_t ptep, pteval_t pte)\n{\n"
                 "    __pte_store(ptep, pte);\n}\n", WRITE_OUTSIDE, ("writer",))
    r = check(sys_)
    v = sys_.violation(r.violation_code)
    assert v.property_id is PropertyId.NO_DEFERRED_WRITE_OUTSIDE_SECTION
    assert (v.actor, v.function, v.returns, v.in_irq, v.cpu) == ("T0", "set_pte", True, False,
                                                                 None)


def test_a_bug_names_its_function_and_an_interrupt_its_cpu(tmp_path: Path) -> None:
    scen = ("global bool x;\nirq void h(void)\n{\n    BUG_ON(!x);\n}\n"
            "task void t(void)\n{\n    x = false;\n}\n")
    sys_ = build(tmp_path, "", scen, ("t",), cpus=1, irq_handlers=("h",), irqs=1)
    r = check(sys_)
    v = sys_.violation(r.violation_code)
    assert v.property_id is PropertyId.NO_BUG
    assert (v.function, v.actor, v.cpu, v.in_irq, v.returns) == ("h", "irq@cpu0.h", 0, True,
                                                                 False)
    assert isinstance(v.span, Span)


def test_the_same_site_in_two_tasks_gets_two_codes(tmp_path: Path) -> None:
    """A violation says which task ran it, so one BUG_ON in two tasks is two sites."""
    scen = "global bool x;\ntask void t(void)\n{\n    BUG_ON(x);\n    x = true;\n}\n"
    sys_ = build(tmp_path, "", scen, ("t", "t"), cpus=2)
    bugs = [v for v in sys_.violations if v.property_id is PropertyId.NO_BUG]
    assert sorted(v.actor for v in bugs) == ["T0", "T1"]
    assert len({v.code for v in bugs}) == 2
