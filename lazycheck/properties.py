"""The property catalogue: stable ids, what each checks, which hazards it catches.

The monitors themselves are compiled into the system by
:mod:`lazycheck.kernel.monitors`; this module is the single list of what
exists.  Hazard numbers refer to docs/hazards.md.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class PropertyId(enum.StrEnum):
    """Every property id a monitor can report; a value outside it cannot be built."""

    VISIBLE_AFTER_DISABLE = "visible-after-disable"
    NO_DEFERRED_WRITE_OUTSIDE_SECTION = "no-deferred-write-outside-section"
    MODE_OFF_AFTER_OUTERMOST = "mode-off-after-outermost"
    PREEMPT_BALANCED = "preempt-balanced"
    NO_BUG = "no-bug"
    NO_WARN = "no-warn"
    BATCHING_KEPT = "batching-kept"
    FLUSH_AFTER_VISIBLE = "flush-after-visible"
    SINGLE_SHADOW_INSTALL = "single-shadow-install"
    MAPPED_BEFORE_USE = "mapped-before-use"
    NO_SLEEP_IN_ATOMIC = "no-sleep-in-atomic"
    LOCK_BALANCED = "lock-balanced"
    DEBUG_PREEMPT = "debug-preempt"
    # A model exceeded its own finite abstraction (an int<lo..hi> overflowed): the
    # verdict is UNKNOWN, never PASS or FAIL.  Always monitored, never in a target.
    MODEL_BOUNDS = "model-bounds"


@dataclass(frozen=True, slots=True)
class Property:
    """One entry of the catalogue: the id, what it checks, the hazards it catches."""

    id: PropertyId
    description: str
    hazards: tuple[str, ...]


PROPERTIES: tuple[Property, ...] = (
    Property(PropertyId.VISIBLE_AFTER_DISABLE,
             "when a leave/disable returns, every PTE write the task made before it has "
             "taken effect",
             ("H6", "H7", "H10")),
    Property(PropertyId.NO_DEFERRED_WRITE_OUTSIDE_SECTION,
             "a PTE write by a task outside any section, or from an interrupt, takes effect "
             "before the write returns",
             ("H1", "H2", "H5", "H8")),
    Property(PropertyId.MODE_OFF_AFTER_OUTERMOST,
             "after the outermost leave/disable, after a pause, and when a task ends, neither "
             "the task nor its CPU is left in lazy MMU mode",
             ("H1", "H3", "H8")),
    Property(PropertyId.PREEMPT_BALANCED,
             "preempt_count when the outermost section ends equals its value when it began, "
             "never underflows, and is 0 when a task ends",
             ("H8", "H17")),
    Property(PropertyId.NO_BUG,
             "no BUG_ON() or BUG() fires",
             ("H3", "H4", "H24")),
    Property(PropertyId.NO_WARN,
             "no WARN_ON()/VM_WARN_ON() fires",
             ("H5", "H6")),
    Property(PropertyId.BATCHING_KEPT,
             "performance: a section stays lazy from its enter until its own outermost "
             "leave, pause windows excepted",
             ("H6", "H16", "H20")),
    Property(PropertyId.FLUSH_AFTER_VISIBLE,
             "a TLB flush of a range comes after the PTE writes to that range took effect",
             ("H12",)),
    Property(PropertyId.SINGLE_SHADOW_INSTALL,
             "no KASAN shadow page is leaked or freed twice: one page per shadow PTE",
             ("H10",)),
    Property(PropertyId.MAPPED_BEFORE_USE,
             "a page is used (e.g. clear_page()) only once its new mapping is visible to the "
             "hardware",
             ("H7", "H23")),
    Property(PropertyId.NO_SLEEP_IN_ATOMIC,
             "nothing may sleep while preemption or interrupts are disabled",
             ("H11", "H19", "H25")),
    Property(PropertyId.LOCK_BALANCED,
             "no spinlock is taken again by the task or CPU that holds it (a self-deadlock), "
             "and none is still held when a task ends",
             ("H9",)),
    Property(PropertyId.DEBUG_PREEMPT,
             "CONFIG_DEBUG_PREEMPT: smp_processor_id(), this_cpu_ptr() and __this_cpu_*() are "
             "used only where the task cannot migrate (preemption or interrupts off, or "
             "migration disabled), as check_preemption_disabled() reports",
             ("H1", "H2")),
)

DEFAULT_PROPERTIES: tuple[PropertyId, ...] = (
    PropertyId.VISIBLE_AFTER_DISABLE, PropertyId.NO_DEFERRED_WRITE_OUTSIDE_SECTION,
    PropertyId.MODE_OFF_AFTER_OUTERMOST, PropertyId.PREEMPT_BALANCED, PropertyId.NO_BUG)

MODEL_BOUNDS = PropertyId.MODEL_BOUNDS

BY_ID: dict[str, Property] = {p.id: p for p in PROPERTIES}
"""The catalogue by id (a plain string id looks up the same entry)."""


def property_id(text: str) -> PropertyId | None:
    """The catalogued id spelled ``text``, or None (model-bounds is not a target's to name)."""
    return BY_ID[text].id if text in BY_ID else None
