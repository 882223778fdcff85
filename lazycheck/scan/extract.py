"""``lazycheck extract FILE:FUNCTION``: a kernel call site -> a ``.lazy`` scenario draft.

Kept: section calls (every generation), PTE writes, spinlocks and the PTE
lock, preemption and IRQ calls, sleeping calls (as ``might_sleep()`` /
``cond_resched()``) and calls to functions of the same file that open a
section or may sleep (as small helpers).  Everything else is abstracted.

The function keeps its shape (:mod:`lazycheck.scan.emit`): conditions the
scanner does not follow become ``__nondet()`` choices, the locals that
decide paths (``err``) keep their sign, and every loop runs at most
``LOOP_BOUND`` turns (a ``#define`` the user raises).  The draft has one
model function per extracted C function and one ``task`` that runs it;
``--with FILE:FUNCTION`` adds a concurrent task.  Each distinct pointer
expression is one abstract PTE (``pte kernel`` for init_mm/vmalloc/kasan
code, ``pte user`` otherwise); PTE reads are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lazycheck.lang.check import builtin_names
from lazycheck.scan import cfg, checks, emit, parser
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


def model_name(name: str) -> str:
    """The draft's name for a C function: its own, unless the model language, the prelude
    or an API model already has it (then with ``_fn``)."""
    if len(name) > 64:
        name = name[:56] + f"_{sum(map(ord, name)) % 1000:03d}"
    if name in emit.RESERVED or name in _PRELUDE or "lazy_mmu" in name \
            or name in builtin_names() or name.startswith("__"):
        return f"{name}_fn"
    return name


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
        self.gens: set[tuple[str, str]] = set()  # (generation, op) of every section call kept

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
            ident = re.sub(r"\W", "_", name).strip("_")
            ok = ident.isidentifier() and len(ident) <= 48 and ident not in emit.RESERVED
            self.locks[name] = ident if ok else f"lock{len(self.locks)}"
        return self.locks[name]

    def value(self) -> int:
        """A fresh PTE value 1..7."""
        self.writes += 1
        return (self.writes - 1) % 7 + 1


def _section_stmt(c: sx.Call, m: sec.Meaning, names: _Names, g2: dict[str, str]
                  ) -> list[str]:
    """G2 keeps the state a C local holds: ``s = enter()`` ... ``leave(s)``."""
    if m.gen == "G2" and m.op is sec.Op.ENTER:
        var = g2.setdefault(c.result or f"#{len(g2)}", f"lazy_mmu_state_{len(g2)}")
        return [f"{var} = arch_enter_lazy_mmu_mode();"]
    if m.gen == "G2" and m.op is sec.Op.LEAVE:
        arg = g2.get(c.args[0].strip() if c.args else "", "LAZY_MMU_DEFAULT")
        return [f"arch_leave_lazy_mmu_mode({arg});"]
    if m.gen == "G4" and m.op is sec.Op.ENTER:
        p = names.pte(c.args[3] if len(c.args) > 3 else "pte")
        return [f"lazy_mmu_mode_enable_with_ptes({p}, {p});"]
    if m.op is sec.Op.ENTER and m.gen == "G0/G1" and c.result:
        return ["arch_enter_lazy_mmu_mode();"]
    return [f"{c.name}();"]


def _stmt(c: sx.Call, names: _Names, helpers: dict[str, checks.Summary],
          g2: dict[str, str]) -> list[str]:
    """The .lazy statements one kept call becomes (often none)."""
    out: list[str] = []
    for m in sec.meaning(c):
        if m.op in (sec.Op.ENTER, sec.Op.LEAVE, sec.Op.PAUSE, sec.Op.RESUME, sec.Op.FLUSH):
            out += _section_stmt(c, m, names, g2)
            names.gens.add((m.gen, m.op.name))
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
            names.gens.add(("G3" if g3 else "G0/G1", "APPLY"))
            out += [f"{enter}();\t/* apply_to_pte_range() */",
                    f"{model_name(m.detail)}();\t/* the apply_to_page_range() callback */",
                    f"{leave}();"]
    if out:
        return out
    if c.name in helpers:
        return [f"{model_name(c.name)}();"]
    if c.name in _CPU:
        return [_CPU[c.name]]
    if c.name in _WRITES:
        idx = _WRITES[c.name]
        p = names.pte(c.args[idx] if idx < len(c.args) else "pte")
        if c.name.startswith(("pte_clear", "ptep_get_and_clear", "ptep_clear")):
            return [f"pte_clear({p});\t/* {c.name}() */"]
        return [f"set_pte_at({p}, {names.value()});\t/* {c.name}() */"]
    return []


_PRELUDE = frozenset({"set_pte", "set_pte_at", "pte_clear", "ptep_get", "ptep_get_and_clear",
                      "flush_tlb_range"})


def _recorder(names: _Names, helpers: dict[str, checks.Summary]
              ) -> tuple[list[str], emit.Kept]:
    """The emitter's kept-call callback for one function, and what it has kept so far."""
    got: list[str] = []
    g2: dict[str, str] = {}

    def kept(c: sx.Call) -> list[str]:
        r = _stmt(c, names, helpers, g2)
        got.extend(r)
        return r
    return got, kept


def _with_g2(decls: list[str], lines: list[str]) -> list[str]:
    """Declare the G2 ``lazy_mmu_state_t`` locals the lines use, then the locals."""
    g2 = sorted(set(re.findall(r"lazy_mmu_state_\d+", " ".join(lines))))
    return [f"\tlazy_mmu_state_t {v} = LAZY_MMU_DEFAULT;" for v in g2] + \
        [f"\t{d}" for d in decls]


def _function(head: str, fn: sx.Function, kept: emit.Kept) -> list[str]:
    """``head { body }`` for one C function."""
    decls, lines = emit.body(fn, kept)
    return ["", head, "{", *_with_g2(decls, lines), *lines, "}"]


def _helpers(fn: sx.Function, by_name: dict[str, sx.Function], names: _Names
             ) -> dict[str, list[str]]:
    """Same-file callees (and apply_to_page_range callbacks) that keep a statement, as
    model functions (one level: their own callees are not followed)."""
    called: list[str] = []
    g = cfg.build(fn)
    for n in g.nodes:
        for e in cfg.node(g, n).effects:
            if isinstance(e, sx.Call):
                called.append(e.name)
                called += [m.detail for m in sec.meaning(e) if m.op is sec.Op.APPLY]
    out: dict[str, list[str]] = {}
    for name in dict.fromkeys(called):
        callee = by_name.get(name)
        if callee is None or name == fn.name or name in _PRELUDE or not name.isidentifier() \
                or sec.is_api_implementation(name):
            continue
        got, kept = _recorder(names, {})
        try:
            text = _function(f"void {model_name(name)}(void)", callee, kept)
        except emit.EmitError:
            continue
        if got:
            out[name] = text
    return out


_FAMILIES = ("G4", "G3", "G2", "G0/G1")  # a draft's section calls must all fit one API model


def _fits(family: str, gen: str, op: str) -> bool:
    """Whether a kept section call of ``gen`` fits the API model of ``family``."""
    if family == "G4":
        return gen in ("G4", "G3")
    if family == "G2":
        return gen == "G2" or (gen == "G0/G1" and op in ("ENTER", "FLUSH"))
    if family == "G0/G1":
        return gen in ("G0/G1", "G1''")
    return gen == family


def _family(gens: set[tuple[str, str]], first: str) -> str:
    """The API generation every kept section call fits (G3 calls fit G4 too); an
    ExtractError when the function mixes generations no API model has together."""
    for fam in _FAMILIES:
        if any(g == fam for g, _ in gens) or (not gens and fam == first):
            if all(_fits(fam, g, op) for g, op in gens):
                return fam
            mixed = ", ".join(sorted({g for g, _ in gens}))
            raise ExtractError(f"the section calls mix API generations ({mixed}): no API "
                               "model has them all")
    return first


def _generation(fn: sx.Function) -> str:
    g = cfg.build(fn)
    for n in sorted(g.nodes):
        for e in cfg.node(g, n).effects:
            if isinstance(e, sx.Call):
                for m in sec.meaning(e):
                    if m.op in (sec.Op.ENTER, sec.Op.LEAVE, sec.Op.PAUSE, sec.Op.RESUME):
                        return m.gen
    return "G0/G1"


_CALLER = {"lazy_mmu_mode_pause(": ("lazy_mmu_mode_enable();", "lazy_mmu_mode_disable();"),
           "arch_leave_lazy_mmu_mode(LAZY_MMU_DEFAULT": (
               "lazy_mmu_state_9 = arch_enter_lazy_mmu_mode();",
               "arch_leave_lazy_mmu_mode(lazy_mmu_state_9);"),
           "arch_leave_lazy_mmu_mode(": ("arch_enter_lazy_mmu_mode();",
                                         "arch_leave_lazy_mmu_mode();")}


def _task(name: str, body: list[str]) -> list[str]:
    """The task that runs ``name``; a callback whose first section call is a leave or a
    pause runs inside its caller's section, so the task opens one around it."""
    first = next((ln.strip() for ln in body if "lazy_mmu_mode" in ln), "")
    wrap = next((w for k, w in _CALLER.items() if first.startswith(k)), None)
    lines = [f"\t{name}();"]
    if wrap is not None:
        lines = [f"\t{wrap[0]}\t/* the caller's section */", *lines, f"\t{wrap[1]}"]
    return ["", f"task void {name}_task(void)", "{", *_with_g2([], lines), *lines, "}"]


def _site_name(path: str, function: str) -> str:
    """``mm/vmalloc.c:f`` for a path inside a kernel-shaped tree (else the file name)."""
    parts = path.replace("\\", "/").split("/")
    tops = [i for i, p in enumerate(parts) if p in _TOPS]
    rel = "/".join(parts[tops[-1]:]) if tops else parts[-1]
    return f"{rel}:{function}"


_TOPS = frozenset({"mm", "fs", "arch", "include", "kernel", "drivers", "lib", "net", "virt",
                   "security", "block", "init", "ipc", "sound", "crypto"})


@dataclass(frozen=True, slots=True)
class _Part:
    """One extracted function: its model function, its task, its helpers."""

    name: str
    lines: list[str]
    generation: str


def _part(path: str, data: bytes, function: str, names: _Names) -> tuple[
        _Part, dict[str, list[str]]]:
    source, _ = parser.parse_source(path, data, lambda _t: True)
    by_name = {f.name: f for f in source.functions}
    fn = by_name.get(function)
    if fn is None or not function.isidentifier():
        raise ExtractError(f"no function {function}() in {path}")
    helper_text = _helpers(fn, by_name, names)
    helpers = {n: checks.Summary(n, path, sx.Pos(0, 0), opens=(
        (sx.Pos(0, 0), "G3" if "lazy_mmu_mode_" in " ".join(b) else "G0/G1"),))
        for n, b in helper_text.items()}
    got, kept = _recorder(names, helpers)
    try:
        lines = _function(f"void {model_name(function)}(void)", fn, kept)
    except emit.EmitError as err:
        raise ExtractError(f"{function}() in {path}: {err}") from err
    if not got:
        raise ExtractError(f"{function}() in {path} makes no lazy MMU, PTE or lock call")
    return _Part(model_name(function), lines, _generation(fn)), helper_text


def extract(path: str, data: bytes, function: str, loop_bound: int = 2,
            others: tuple[tuple[str, bytes, str], ...] = ()) -> Draft:
    """The scenario draft of ``function`` in ``data`` (the text of ``path``); ``others``
    (path, text, function) each add a task that runs concurrently with it."""
    text = data.decode("utf-8", "replace")
    names = _Names(bool(re.search(r"init_mm|vmalloc|vmap|kasan|kernel", text)))
    parts: list[_Part] = []
    helpers: dict[str, list[str]] = {}
    for p, d, f in ((path, data, function), *others):
        part, more = _part(p, d, f, names)
        if any(q.name == part.name for q in parts):
            raise ExtractError(f"{f}() is extracted twice")
        parts.append(part)
        helpers.update({k: v for k, v in more.items() if k not in {q.name for q in parts}})
    out = [f"/*\n * Draft extracted by `lazycheck extract {path}:{function}`"
           + "".join(f" --with {p}:{f}" for p, _, f in others) + ".",
           " * Conditions the draft does not follow are __nondet() choices; the locals",
           " * that decide paths (err, ret, ...) keep their sign (-1, 0, 1).  Every loop",
           f" * runs at most {emit.BOUND} turns: raise it to explore longer runs.  Each",
           " * pointer expression is one abstract PTE.  Review before committing it as a model.",
           " */",
           f'model scenario "draft: {function}() from {path}"',
           f'\tsource "extracted from {path}:{function}";', "",
           *[f'kernel "{_site_name(p, f)}";' for p, _, f in ((path, data, function), *others)],
           "", f"#define {emit.BOUND} {max(1, loop_bound)}", ""]
    kind = "kernel" if names.kernel else "user"
    out += [f"pte {kind} {sym} = 0;\t/* {expr} */" for expr, sym in names.ptes.items()]
    out += [f"spinlock_t {sym};" for sym in dict.fromkeys(names.locks.values())]
    for body in helpers.values():
        out += body
    for part in parts:
        out += [*part.lines, *_task(part.name, part.lines)]
    tasks = tuple(f"{p.name}_task" for p in parts)
    first = "G0/G1" if parts[0].generation in ("apply", "G1''") else parts[0].generation
    return Draft("\n".join(out) + "\n", tasks, _family(names.gens, first), False)
