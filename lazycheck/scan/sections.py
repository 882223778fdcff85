"""What a call means for lazy MMU mode: section calls of every API generation, locks, sleeps.

Generations (docs/lazy-mmu-semantics.md §1): G0/G1 stateless
``arch_enter/leave_lazy_mmu_mode()``; G1'' ``_nolazy`` variants and
``arch_in_lazy_mmu_mode()``; G2 ``lazy_mmu_state_t`` returned by enter and
passed to leave; G3 ``lazy_mmu_mode_enable/disable/pause/resume()``; G4
``lazy_mmu_mode_enable_with_ptes()``.  ``apply_to_page_range()`` runs its
callback inside the section apply_to_pte_range() opens (§3.4).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from lazycheck.scan.syntax import Call


class Op(enum.Enum):
    """What a call does to the section, the locks or the CPU."""

    ENTER = "enter"
    LEAVE = "leave"
    FLUSH = "flush"
    PAUSE = "pause"
    RESUME = "resume"
    APPLY = "apply"  # runs a callback inside a section
    NOLAZY = "nolazy"  # G1'': the same walk without a section
    QUERY = "query"
    LOCK = "lock"
    UNLOCK = "unlock"
    SLEEP = "sleep"


@dataclass(frozen=True, slots=True)
class Meaning:
    """One effect of a call: op, API generation (section ops) and a detail."""

    op: Op
    gen: str = ""
    detail: str = ""  # the lock, the sleeping reason, the callback


NESTING_FORBIDDEN = frozenset({"G0/G1"})  # generations whose sections must not nest (H3/H4)

PREEMPT_DISABLING = ("powerpc-hash", "sparc64", "s390")  # arch enter disables preemption (§2)

# name -> (reason, index of the gfp argument or None when it always may sleep)
SLEEPING: dict[str, tuple[str, int | None]] = {
    "might_sleep": ("might_sleep()", None),
    "cond_resched": ("a scheduling point", None),
    "schedule": ("a scheduling point", None),
    "schedule_timeout": ("a scheduling point", None),
    "msleep": ("sleeps", None),
    "msleep_interruptible": ("sleeps", None),
    "ssleep": ("sleeps", None),
    "usleep_range": ("sleeps", None),
    "fsleep": ("may sleep", None),
    "mutex_lock": ("a sleeping lock", None),
    "mutex_lock_interruptible": ("a sleeping lock", None),
    "mutex_lock_killable": ("a sleeping lock", None),
    "down": ("a semaphore", None),
    "down_read": ("a sleeping lock", None),
    "down_write": ("a sleeping lock", None),
    "mmap_read_lock": ("a sleeping lock", None),
    "mmap_write_lock": ("a sleeping lock", None),
    "folio_lock": ("a sleeping lock", None),
    "lock_page": ("a sleeping lock", None),
    "wait_for_completion": ("waits", None),
    "synchronize_rcu": ("waits for a grace period", None),
    "flush_work": ("waits", None),
    "vmalloc": ("vmalloc() allocates with GFP_KERNEL", None),
    "vzalloc": ("vzalloc() allocates with GFP_KERNEL", None),
    "vfree": ("vfree() may sleep", None),
    "copy_from_user": ("may fault", None),
    "copy_to_user": ("may fault", None),
    "get_user": ("may fault", None),
    "put_user": ("may fault", None),
    "__get_free_page": ("allocation", 0),
    "__get_free_pages": ("allocation", 0),
    "get_zeroed_page": ("allocation", 0),
    "alloc_page": ("allocation", 0),
    "alloc_pages": ("allocation", 0),
    "folio_alloc": ("allocation", 0),
    "alloc_pages_node": ("allocation", 1),
    "alloc_pages_bulk": ("allocation", 0),
    "alloc_pages_bulk_array": ("allocation", 0),
    "kmalloc": ("allocation", 1),
    "kzalloc": ("allocation", 1),
    "kcalloc": ("allocation", 2),
    "kmalloc_array": ("allocation", 2),
    "kvmalloc": ("allocation", 1),
    "kmem_cache_alloc": ("allocation", 1),
    "kmem_cache_zalloc": ("allocation", 1),
    "__vmalloc": ("allocation", 1),
    "pte_alloc_one_kernel": ("page-table allocation (GFP_PGTABLE_KERNEL)", None),
}

# GFP flag words that allow direct reclaim, hence sleeping (include/linux/gfp_types.h)
RECLAIM_GFP = re.compile(r"\b(GFP_KERNEL|GFP_KERNEL_ACCOUNT|GFP_USER|GFP_HIGHUSER\w*|GFP_NOFS|"
                         r"GFP_NOIO|GFP_PGTABLE_\w+|__GFP_DIRECT_RECLAIM|__GFP_RECLAIM)\b")

_SPIN = re.compile(r"^(raw_)?spin_(try)?lock(_irq|_irqsave|_bh|_nested|_nest_lock)?$")
_UNSPIN = re.compile(r"^(raw_)?spin_unlock(_irq|_irqrestore|_bh)?$")
_API = re.compile(r"lazy_mmu")
# the calls a function without a section can contribute to a callee summary
CHEAP_CALLS = re.compile(
    rb"\b(" + "|".join(re.escape(k) for k in sorted(SLEEPING, key=len, reverse=True)).encode()
    + rb"|(?:raw_)?spin_(?:try)?lock\w*|scoped_guard|guard|pte_(?:offset|alloc)_map_lock)\s*\(")


def lock_name(arg: str) -> str:
    """``&init_mm.page_table_lock`` -> ``init_mm.page_table_lock``; ``&ptl`` -> ``ptl``."""
    return re.sub(r"\s+", "", arg).lstrip("&").replace("(", "").replace(")", "")


def lock_class(name: str) -> str:
    """``init_mm`` (the kernel page-table lock), ``ptl`` (a split PTE lock) or ``spin``."""
    if "init_mm" in name:
        return "init_mm"
    if "ptl" in name or "page_table_lock" in name:
        return "ptl"
    return "spin"


def sleeps(call: Call) -> str | None:
    """Why ``call`` may sleep, or ``None`` (allocations only when their GFP flags reclaim)."""
    entry = SLEEPING.get(call.name)
    if entry is None:
        return None
    reason, gfp = entry
    if gfp is None:
        return reason
    if gfp < len(call.args) and RECLAIM_GFP.search(call.args[gfp]):
        return f"{reason} with {RECLAIM_GFP.search(call.args[gfp]).group(1)}"  # type: ignore[union-attr]
    return None


def is_api_implementation(name: str) -> bool:
    """Functions that implement the API or the arch hooks: not call sites."""
    return bool(_API.search(name)) or "context_switch" in name or name == "__switch_to"


def _guard(call: Call) -> tuple[Meaning, ...]:
    kind = call.args[0] if call.args else ""
    target = call.args[1] if len(call.args) > 1 else kind
    if "mutex" in kind or kind in ("rwsem_read", "rwsem_write"):
        return (Meaning(Op.SLEEP, detail=f"{call.name}({kind}): a sleeping lock"),)
    if "spinlock" in kind:
        return (Meaning(Op.LOCK, detail=lock_name(target)),)
    return ()


def _section(call: Call) -> tuple[Meaning, ...]:
    n = call.name
    if n == "arch_enter_lazy_mmu_mode":
        return (Meaning(Op.ENTER, "G2" if call.result else "G0/G1"),)
    if n == "arch_leave_lazy_mmu_mode":
        return (Meaning(Op.LEAVE, "G2" if call.args else "G0/G1"),)
    if n == "arch_flush_lazy_mmu_mode":
        return (Meaning(Op.FLUSH, "G0/G1"),)
    if n in ("arch_enter_lazy_mmu_mode_pte", "arch_enter_lazy_mmu_mode_with_ptes",
             "lazy_mmu_mode_enable_with_ptes"):
        return (Meaning(Op.ENTER, "G4"),)
    simple = {"lazy_mmu_mode_enable": Op.ENTER, "lazy_mmu_mode_disable": Op.LEAVE,
              "lazy_mmu_mode_pause": Op.PAUSE, "lazy_mmu_mode_resume": Op.RESUME}
    if n in simple:
        return (Meaning(simple[n], "G3"),)
    if n in ("arch_in_lazy_mmu_mode",):
        return (Meaning(Op.QUERY, "G1''"),)
    if n in ("is_lazy_mmu_mode_active", "__task_lazy_mmu_mode_active"):
        return (Meaning(Op.QUERY, "G3"),)
    return ()


_OTHER = frozenset({"apply_to_page_range", "apply_to_existing_page_range",
                    "pte_offset_map_lock", "pte_alloc_map_lock", "pte_unmap_unlock", "guard",
                    "scoped_guard", "scoped_cond_guard", "__guard_release"})


def meaning(call: Call) -> tuple[Meaning, ...]:
    """Everything ``call`` does that the checks follow (often nothing)."""
    n = call.name
    if not ("lazy_mmu" in n or n in SLEEPING or n in _OTHER or "spin_" in n
            or n.endswith("_nolazy")):
        return ()
    if "lazy_mmu" in n:
        return _section(call)
    if n in ("apply_to_page_range", "apply_to_existing_page_range"):
        cb = call.args[3] if len(call.args) > 3 else ""
        return (Meaning(Op.APPLY, "apply", cb if cb.isidentifier() else ""),)
    if n.endswith("_nolazy") and "apply_to" in n:
        return (Meaning(Op.NOLAZY, "G1''"),)
    if n in ("pte_offset_map_lock", "pte_alloc_map_lock"):
        return (Meaning(Op.LOCK, detail=lock_name(call.args[3]) if len(call.args) > 3
                        else "ptl"),)
    if n == "pte_unmap_unlock":
        return (Meaning(Op.UNLOCK, detail=lock_name(call.args[1]) if len(call.args) > 1
                        else "ptl"),)
    if _SPIN.match(n):
        return (Meaning(Op.LOCK, detail=lock_name(call.args[0]) if call.args else "?"),)
    if _UNSPIN.match(n):
        return (Meaning(Op.UNLOCK, detail=lock_name(call.args[0]) if call.args else "?"),)
    if n in ("guard", "scoped_guard", "scoped_cond_guard"):
        return _guard(call)
    if n == "__guard_release":
        got = _guard(call)
        return tuple(Meaning(Op.UNLOCK, detail=m.detail) for m in got if m.op is Op.LOCK)
    why = sleeps(call)
    return (Meaning(Op.SLEEP, detail=f"{n}(): {why}"),) if why else ()
