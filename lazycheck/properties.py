"""The property catalogue: stable ids, what each checks, which hazards it catches.

The monitors themselves are compiled into the system by
:mod:`lazycheck.kernel.world`; this module is the single list of what
exists.  Hazard numbers refer to docs/lazy-mmu-semantics.md, section 4.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Property:
    id: str
    description: str
    hazards: tuple[str, ...]


PROPERTIES: tuple[Property, ...] = (
    Property("visible-after-disable",
             "when a leave/disable returns, every PTE write the task made before it has "
             "taken effect",
             ("H6", "H7", "H10")),
    Property("no-deferred-write-outside-section",
             "a PTE write by a task outside any section, or from an interrupt, takes effect "
             "before the write returns",
             ("H1", "H2", "H5", "H8")),
    Property("mode-off-after-outermost",
             "after the outermost leave/disable, after a pause, and when a task ends, neither "
             "the task nor its CPU is left in lazy MMU mode",
             ("H1", "H3", "H8")),
    Property("preempt-balanced",
             "preempt_count when the outermost section ends equals its value when it began, "
             "never underflows, and is 0 when a task ends",
             ("H8", "H17")),
    Property("no-bug",
             "no BUG_ON() or BUG() fires",
             ("H3", "H4", "H24")),
    Property("no-warn",
             "no WARN_ON()/VM_WARN_ON() fires",
             ("H5", "H6")),
    Property("batching-kept",
             "performance: a section stays lazy from its enter until its own outermost "
             "leave, pause windows excepted",
             ("H6", "H16", "H20")),
    Property("flush-after-visible",
             "a TLB flush of a range comes after the PTE writes to that range took effect",
             ("H12",)),
    Property("single-shadow-install",
             "no KASAN shadow page is leaked or freed twice: one page per shadow PTE",
             ("H10",)),
    Property("mapped-before-use",
             "a page is used (e.g. clear_page()) only once its new mapping is visible to the "
             "hardware",
             ("H7", "H23")),
    Property("no-sleep-in-atomic",
             "nothing may sleep while preemption or interrupts are disabled",
             ("H11", "H19", "H25")),
)

DEFAULT_PROPERTIES: tuple[str, ...] = (
    "visible-after-disable", "no-deferred-write-outside-section",
    "mode-off-after-outermost", "preempt-balanced", "no-bug")

# A model exceeded its own finite abstraction (an int<lo..hi> overflowed): the
# verdict is UNKNOWN, never PASS or FAIL.
MODEL_BOUNDS = "model-bounds"

BY_ID: dict[str, Property] = {p.id: p for p in PROPERTIES}
