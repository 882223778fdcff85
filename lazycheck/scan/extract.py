"""``lazycheck extract FILE:FUNCTION``: a kernel call site -> a ``.lazy`` scenario draft.

Kept: section calls (every generation), PTE writes, spinlocks and the PTE
lock, preemption and IRQ calls, sleeping calls (as ``might_sleep()`` /
``cond_resched()``) and calls to functions of the same file that open a
section or may sleep (as small helpers).  Everything else is abstracted.

The model language has no nondeterministic choice and no unbounded loop,
so the draft enumerates the paths instead: every feasible path through the
function (path-sensitive on locals like ``err``, loops unrolled up to
``loop_bound`` iterations) projected on the kept statements becomes its own
``task`` program, deduplicated, at most ``max_paths`` of them.  Verifying
every task verifies every extracted behaviour up to that bound.  Each
distinct pointer expression is one abstract PTE (``pte kernel`` for
init_mm/vmalloc/kasan code, ``pte user`` otherwise); reads and conditions are
dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import networkx as nx

from lazycheck.scan import cfg, checks, parser
from lazycheck.scan import sections as sec
from lazycheck.scan import syntax as sx

_WRITES = {"set_pte_at": 2, "set_pte": 0, "set_ptes": 2, "pte_clear": 2,
           "ptep_get_and_clear": 2, "ptep_get_and_clear_full": 2, "ptep_clear": 2,
           "ptep_set_wrprotect": 2, "ptep_modify_prot_commit": 2, "__set_pte": 0,
           "pte_clear_not_present_full": 2, "ptep_clear_flush": 2, "get_and_clear_ptes": 2}
_CPU = {"preempt_disable": "preempt_disable();", "preempt_enable": "preempt_enable();",
        "local_irq_disable": "local_irq_disable();", "local_irq_enable": "local_irq_enable();",
        "local_irq_save": "local_irq_disable();", "local_irq_restore": "local_irq_enable();",
        "cond_resched": "cond_resched();", "schedule": "schedule();"}


class ExtractError(Exception):
    """The function is not in the file, or has no lazy MMU call."""


@dataclass(frozen=True, slots=True)
class Draft:
    """The draft text and how it was built."""

    text: str
    tasks: tuple[str, ...]
    generation: str
    truncated: bool


class _Names:
    """PTE symbols and locks the draft declares (mutable while one draft is built)."""

    def __init__(self, kernel: bool) -> None:
        self.kernel = kernel
        self.ptes: dict[str, str] = {}
        self.locks: dict[str, str] = {}
        self.writes = 0

    def pte(self, expr: str) -> str:
        """The PTE symbol of a pointer expression."""
        key = re.sub(r"[\s()*&]", "", expr).removeprefix("+") or "pte"
        if key not in self.ptes:
            self.ptes[key] = f"pte{len(self.ptes)}"
        return self.ptes[key]

    def lock(self, name: str) -> str:
        """The draft's name for a kernel lock."""
        if name == "init_mm.page_table_lock":
            self.locks[name] = name
            return name
        if name not in self.locks:
            self.locks[name] = re.sub(r"\W", "_", name).strip("_") or "lock"
        return self.locks[name]

    def value(self) -> int:
        """A fresh PTE value 1..7."""
        self.writes += 1
        return (self.writes - 1) % 7 + 1


def _section_stmt(c: sx.Call, m: sec.Meaning, names: _Names, g2: list[str]) -> list[str]:
    if m.gen == "G2" and m.op is sec.Op.ENTER:
        var = f"lazy_mmu_state_{len(g2)}"
        g2.append(var)
        return [f"{var} = arch_enter_lazy_mmu_mode();"]
    if m.gen == "G2" and m.op is sec.Op.LEAVE:
        arg = "LAZY_MMU_DEFAULT" if "DEFAULT" in "".join(c.args) or not g2 else g2.pop()
        return [f"arch_leave_lazy_mmu_mode({arg});"]
    if m.gen == "G4" and m.op is sec.Op.ENTER:
        p = names.pte(c.args[3] if len(c.args) > 3 else "pte")
        return [f"lazy_mmu_mode_enable_with_ptes({p}, {p});"]
    if m.op is sec.Op.ENTER and m.gen == "G0/G1" and c.result:
        return ["arch_enter_lazy_mmu_mode();"]
    return [f"{c.name}();"]


def _stmt(c: sx.Call, names: _Names, helpers: dict[str, checks.Summary],
          g2: list[str]) -> list[str]:
    """The .lazy statements one kept call becomes (often none)."""
    out: list[str] = []
    for m in sec.meaning(c):
        if m.op in (sec.Op.ENTER, sec.Op.LEAVE, sec.Op.PAUSE, sec.Op.RESUME, sec.Op.FLUSH):
            out += _section_stmt(c, m, names, g2)
        elif m.op is sec.Op.LOCK:
            out.append(f"spin_lock(&{names.lock(m.detail)});")
        elif m.op is sec.Op.UNLOCK:
            out.append(f"spin_unlock(&{names.lock(m.detail)});")
        elif m.op is sec.Op.SLEEP:
            out.append(_CPU.get(c.name, "might_sleep();") + f"\t/* {m.detail} */")
        elif m.op is sec.Op.NOLAZY:
            out.append(f"/* {c.name}(): the same walk without a lazy MMU section */")
        elif m.op is sec.Op.APPLY and m.detail in helpers:
            g3 = helpers[m.detail].opens == ((sx.Pos(0, 0), "G3"),)
            enter, leave = ("lazy_mmu_mode_enable", "lazy_mmu_mode_disable") if g3 else \
                ("arch_enter_lazy_mmu_mode", "arch_leave_lazy_mmu_mode")
            out += [f"{enter}();\t/* apply_to_pte_range() */",
                    f"{m.detail}();\t/* the apply_to_page_range() callback */", f"{leave}();"]
    if out:
        return out
    if c.name in helpers:
        return [f"{c.name}();"]
    if c.name in _CPU:
        return [_CPU[c.name]]
    if c.name in _WRITES:
        idx = _WRITES[c.name]
        p = names.pte(c.args[idx] if idx < len(c.args) else "pte")
        if c.name.startswith(("pte_clear", "ptep_get_and_clear", "ptep_clear")):
            return [f"pte_clear({p});\t/* {c.name}() */"]
        return [f"set_pte_at({p}, {names.value()});\t/* {c.name}() */"]
    return []


_MAP_LOCK = frozenset({"pte_offset_map_lock", "pte_alloc_map_lock"})
_PRELUDE = frozenset({"set_pte", "set_pte_at", "pte_clear", "ptep_get", "ptep_get_and_clear",
                      "flush_tlb_range"})
MAX_WALK = 4_000  # path prefixes explored per function (then the draft says "more paths")


@dataclass(frozen=True, slots=True)
class _Walk:
    node: int
    env: tuple[tuple[str, sx.Sign], ...]
    visits: tuple[tuple[int, int], ...]
    stmts: tuple[str, ...]
    g2: tuple[str, ...]
    cond_locks: tuple[tuple[str, str], ...] = ()  # (result local, lock) of *_map_lock()


_VALUE = re.compile(r"^(set_pte_at\(\w+, )\d+(\);.*)$")


def _renumber(stmts: list[str]) -> tuple[str, ...]:
    """PTE values 1, 2, ... in path order, so equal paths compare equal."""
    out, k = [], 0
    for s in stmts:
        m = _VALUE.match(s)
        if m:
            out.append(f"{m.group(1)}{k % 7 + 1}{m.group(2)}")
            k += 1
        else:
            out.append(s)
    return tuple(out)


def paths(g: nx.DiGraph, names: _Names, helpers: dict[str, checks.Summary],
          loop_bound: int, max_paths: int) -> tuple[list[tuple[str, ...]], bool]:
    """Distinct kept-statement sequences of the feasible paths; truncated or not."""
    tracked = frozenset().union(*(checks.cond_vars(cfg.node(g, n).cond) for n in g.nodes))
    stack = [_Walk(cfg.ENTRY, tuple(sorted((v, sx.ANY) for v in tracked)), (), (), ())]
    found: dict[tuple[str, ...], None] = {}
    steps = 0
    while stack and len(found) < max_paths and steps < MAX_WALK:
        steps += 1
        w = stack.pop()
        node = cfg.node(g, w.node)
        env, stmts, g2 = dict(w.env), list(w.stmts), list(w.g2)
        cond_locks = list(w.cond_locks)
        for e in node.effects:
            if isinstance(e, sx.Assign):
                if e.var in tracked:
                    env[e.var] = e.value
            else:
                stmts += _stmt(e, names, helpers, g2)
                if e.name in _MAP_LOCK and e.result in tracked:
                    lock = sec.meaning(e)[0].detail
                    cond_locks.append((e.result, names.lock(lock)))
        if w.node == cfg.EXIT:
            found.setdefault(_renumber(stmts), None)
            continue
        visits = dict(w.visits)
        for succ in sorted(g.successors(w.node), reverse=True):
            if visits.get(succ, 0) > loop_bound:
                continue
            data = g.edges[w.node, succ]
            nenv = env if data["cond"] is None else checks.refine(env, data["cond"],
                                                                  data["sense"])
            if nenv is None:
                continue
            nv = {**visits, succ: visits.get(succ, 0) + 1}
            extra = tuple(f"spin_unlock(&{lk});\t/* {v} == NULL: the lock was not taken */"
                          for v, lk in cond_locks if nenv.get(v) == frozenset({"0"}))
            keep = tuple((v, lk) for v, lk in cond_locks if nenv.get(v) != frozenset({"0"}))
            stack.append(_Walk(succ, tuple(sorted(nenv.items())), tuple(sorted(nv.items())),
                               (*stmts, *extra), tuple(g2), keep))
    return list(found), bool(stack)


def _longest(g: nx.DiGraph, names: _Names, loop_bound: int) -> tuple[str, ...]:
    found, _ = paths(g, names, {}, loop_bound, 16)
    return max(found, key=len) if found else ()


def _helpers(fn: sx.Function, by_name: dict[str, sx.Function], names: _Names,
             loop_bound: int) -> dict[str, tuple[str, ...]]:
    """Same-file callees (and apply_to_page_range callbacks) with kept statements."""
    called: list[str] = []
    g = cfg.build(fn)
    for n in g.nodes:
        for e in cfg.node(g, n).effects:
            if isinstance(e, sx.Call):
                called.append(e.name)
                called += [m.detail for m in sec.meaning(e) if m.op is sec.Op.APPLY]
    out: dict[str, tuple[str, ...]] = {}
    for name in dict.fromkeys(called):
        callee = by_name.get(name)
        if callee is None or name == fn.name or name in _PRELUDE \
                or sec.is_api_implementation(name):
            continue
        body = _longest(cfg.build(callee), names, loop_bound)
        if body:
            out[name] = body
    return out


def _generation(fn: sx.Function) -> str:
    g = cfg.build(fn)
    for n in sorted(g.nodes):
        for e in cfg.node(g, n).effects:
            if isinstance(e, sx.Call):
                for m in sec.meaning(e):
                    if m.op in (sec.Op.ENTER, sec.Op.LEAVE, sec.Op.PAUSE, sec.Op.RESUME):
                        return m.gen
    return "G0/G1"


def _in_caller_section(stmts: tuple[str, ...]) -> tuple[str, ...]:
    """A callback that first leaves or pauses runs inside its caller's section: add it."""
    first = next((s for s in stmts if "lazy_mmu_mode" in s), "")
    if first.startswith("lazy_mmu_mode_pause("):
        return ("lazy_mmu_mode_enable();\t/* the caller's section */", *stmts,
                "lazy_mmu_mode_disable();")
    if first.startswith("arch_leave_lazy_mmu_mode(LAZY_MMU_DEFAULT"):
        return ("lazy_mmu_state_9 = arch_enter_lazy_mmu_mode();\t/* the caller's section */",
                *stmts, "arch_leave_lazy_mmu_mode(lazy_mmu_state_9);")
    if first.startswith("arch_leave_lazy_mmu_mode("):
        return ("arch_enter_lazy_mmu_mode();\t/* the caller's section */", *stmts,
                "arch_leave_lazy_mmu_mode();")
    return stmts


def _body(stmts: tuple[str, ...]) -> list[str]:
    g2 = sorted(set(re.findall(r"lazy_mmu_state_\d+", " ".join(stmts))))
    decl = [f"\tlazy_mmu_state_t {v} = LAZY_MMU_DEFAULT;" for v in g2]
    return decl + [f"\t{s}" for s in stmts]


def extract(path: str, data: bytes, function: str, loop_bound: int = 1,
            max_paths: int = 8) -> Draft:
    """The scenario draft of ``function`` in ``data`` (the text of ``path``)."""
    source, _ = parser.parse_source(path, data, lambda _t: True)
    by_name = {f.name: f for f in source.functions}
    fn = by_name.get(function)
    if fn is None:
        raise ExtractError(f"no function {function}() in {path}")
    text = data[:].decode("utf-8", "replace")
    names = _Names(bool(re.search(r"init_mm|vmalloc|vmap|kasan|kernel", text)))
    helper_bodies = _helpers(fn, by_name, names, loop_bound)
    helpers = {n: checks.Summary(n, path, sx.Pos(0, 0), opens=(
        (sx.Pos(0, 0), "G3" if "lazy_mmu_mode_" in " ".join(b) else "G0/G1"),))
        for n, b in helper_bodies.items()}
    found, truncated = paths(cfg.build(fn), names, helpers, loop_bound, max_paths)
    if not any(found):
        raise ExtractError(f"{function}() in {path} makes no lazy MMU, PTE or lock call")
    tasks = tuple(f"{function}__p{i}" for i in range(len(found)))
    out = [f"/*\n * Draft extracted by `lazycheck extract {path}:{function}` (line {fn.pos.line}).",
           f" * {len(found)} distinct path(s), loops unrolled up to {loop_bound + 1} times"
           + ("; more paths exist (raise --max-paths)" if truncated else "") + ".",
           " * Conditions are dropped: each path is its own task program.  Each pointer",
           " * expression is one abstract PTE.  Review before committing it as a model.",
           " */",
           f'model scenario "draft: {function}() from {path}"',
           f'\tsource "extracted from {path}:{function}";', ""]
    kind = "kernel" if names.kernel else "user"
    out += [f"pte {kind} {sym} = 0;\t/* {expr} */" for expr, sym in names.ptes.items()]
    out += [f"spinlock_t {sym};" for sym in dict.fromkeys(names.locks.values())]
    for name, body in helper_bodies.items():
        out += ["", f"void {name}(void)", "{", *_body(body), "}"]
    for task, stmts in zip(tasks, found, strict=True):
        out += ["", f"task void {task}(void)", "{", *_body(_in_caller_section(stmts)), "}"]
    return Draft("\n".join(out) + "\n", tasks, _generation(fn), truncated)
