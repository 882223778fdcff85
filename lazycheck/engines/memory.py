"""``--max-memory``: a resident-memory budget the explicit engine checks as it goes.

The engine asks :class:`MemoryWatch` every few thousand new states; past the
budget it stops with UNKNOWN and the states it explored, rather than being
killed by the kernel's OOM killer.  The default budget is a share of the
machine's physical memory (:func:`default_budget`), split between ``ci``
workers.
"""

from __future__ import annotations

import os
import resource

# ask the kernel for the resident size once per this many new states
CHECK_EVERY = 4096
# the default budget: this fraction of physical memory, shared by the workers
DEFAULT_SHARE = 0.75


def physical_memory() -> int:
    """Bytes of physical memory (0 if the platform does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 0


def default_budget(workers: int = 1) -> int:
    """The default ``--max-memory`` of one of ``workers`` processes, in bytes."""
    return int(physical_memory() * DEFAULT_SHARE) // max(workers, 1)


def resident_bytes() -> int:
    """This process's resident set size now (Linux ``/proc``), else its peak."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * int(os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def parse_size(text: str) -> int:
    """``"512M"``, ``"16G"``, ``"1.5g"`` or plain bytes as a byte count."""
    t = text.strip().upper().removesuffix("B")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}.get(t[-1:], 1)
    number = t[:-1] if scale > 1 else t
    value = float(number)
    if value < 0:
        raise ValueError(text)
    return int(value * scale)


def show_size(n: int) -> str:
    """A byte count for people: ``1.5 GB``."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


class MemoryWatch:
    """Whether the process has outgrown ``budget`` bytes (0: never)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.next_check = CHECK_EVERY

    def over(self, states: int) -> bool:
        """True once the resident size exceeds the budget (checked every few states)."""
        if self.budget <= 0 or states < self.next_check:
            return False
        self.next_check = states + CHECK_EVERY
        return resident_bytes() > self.budget

    def describe(self) -> str:
        """The budget, for the UNKNOWN reason."""
        return show_size(self.budget)
