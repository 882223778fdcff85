"""Hypothesis strategies for random small, well-typed ``.lazy`` model sets.

:func:`models` draws a :class:`GeneratedModel`: the source text of three
files -- an arch model, a G0-style api model and a scenario -- plus a
random :class:`~lazycheck.kernel.config.KernelConfig`.  Unlike
:mod:`tests.property.strategies` (random ``System`` s straight from the IR),
these go through the whole front end: parser, checker, inliner, fusion,
context-switch and interrupt construction and the property monitors, so the
two engines are compared on systems shaped like the real corpus.

Arch part: 1-3 per-CPU variables (``bool``, ``int<0..2>`` or an enum), an
optional per-task field, 1-2 thread flags, optionally a Xen-like per-CPU
write queue indexed by ``pte_t``; random bodies for
``arch_enter_lazy_mmu_mode``, ``arch_leave_lazy_mmu_mode`` and ``set_pte``
built from ``__pte_write/__pte_store/__pte_sync/dsb``, ``this_cpu_*``,
thread-flag operations, ``if/else``, ``preempt_disable/enable`` pairs,
``BUG_ON``/``WARN_ON`` on random conditions and ``atomic`` blocks; optionally
the context-switch hooks and the ``lazy_mmu_task``/``lazy_mmu_cpu``
predicates.

Scenario part: 1-2 PTEs, 1-2 task programs with (possibly nested, rarely
unbalanced) sections, ``set_pte``/``pte_clear`` writes, spinlock pairs,
``cond_resched()``, ``if (__nondet())`` choices and ``for`` loops bounded by a
``#define``d constant with a ``__nondet()`` exit (the shapes ``lazycheck
extract`` drafts use); optionally an interrupt program.

Every drawn model is loaded (parse + check) inside the strategy, and the
strategy asserts that it is accepted: a rejected model is a bug in this
generator (or in the checker), never silently filtered.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from lazycheck import ir
from lazycheck.errors import ModelError
from lazycheck.ir import Loaded
from lazycheck.kernel.config import KernelConfig, Preempt
from lazycheck.kernel.world import instantiate
from lazycheck.lang.loader import load
from lazycheck.properties import PROPERTIES
from lazycheck.system import System

FILES = ("arch.lazy", "api.lazy", "scenario.lazy")
ENUM = ("FZ_OFF", "FZ_ON", "FZ_BUSY")

API_TEXT = """\
model api "fuzz: G0 stateless hooks" source "generated";

__weak void arch_enter_lazy_mmu_mode(void)
{
}

__weak void arch_leave_lazy_mmu_mode(void)
{
}

lazy_mmu_api {
\tenter = arch_enter_lazy_mmu_mode;
\tleave = arch_leave_lazy_mmu_mode;
}
"""


@dataclass(frozen=True, slots=True)
class GeneratedModel:
    """Three model files as text and the kernel configuration to check them with."""

    arch: str
    api: str
    scenario: str
    config: KernelConfig
    program: ir.Program = field(compare=False, repr=False)

    def texts(self) -> dict[str, str]:
        return dict(zip(FILES, (self.arch, self.api, self.scenario), strict=True))

    def system(self) -> System:
        return instantiate(self.program, self.config)

    def reproducer(self) -> str:
        """Everything needed to reproduce a finding: the files and the config."""
        c = self.config
        parts = [f"// ---- {name}\n{text}" for name, text in self.texts().items()]
        parts.append(
            "// ---- kernel config\n"
            f"// KernelConfig(cpus={c.cpus}, tasks={c.tasks!r}, preempt=Preempt.{c.preempt.name}"
            f", irq_handlers={c.irq_handlers!r}, irqs={c.irqs}, "
            f"properties={c.properties!r})\n")
        return "\n".join(parts)


def load_texts(texts: dict[str, str]) -> Loaded:
    """Write ``texts`` (file name -> source) to a fresh directory and load them."""
    with tempfile.TemporaryDirectory(prefix="lazycheck-fuzz-") as tmp:
        d = Path(tmp)
        for name, text in texts.items():
            (d / name).write_text(text, encoding="utf-8")
        return load([d / name for name in texts], d)


# ---------------------------------------------------------------- arch state


@dataclass(frozen=True, slots=True)
class PcpuVar:
    name: str
    kind: str  # "bool" | "int" | "enum"

    @property
    def decl_type(self) -> str:
        return {"bool": "bool", "int": "int<0..2>", "enum": "enum fz_mode"}[self.kind]

    def values(self) -> tuple[str, ...]:
        return {"bool": ("false", "true"), "int": ("0", "1", "2"), "enum": ENUM}[self.kind]


@dataclass(frozen=True, slots=True)
class ArchState:
    pcpu: tuple[PcpuVar, ...]
    field: PcpuVar | None  # a pertask field "fz.<name>", read as current->fz.<name>
    flags: tuple[str, ...]
    queue: bool  # percpu bool fz_q[pte_t]; percpu pteval_t fz_v[pte_t]


@dataclass(frozen=True, slots=True)
class Where:
    """What a body may refer to: the function it is in."""

    state: ArchState
    params: tuple[str, ...] = ()  # "ptep"/"pte" in set_pte, "prev"/"next" in hooks
    in_hook: bool = False


def _indent(lines: list[str], n: int = 1) -> list[str]:
    return ["\t" * n + ln for ln in lines]


@st.composite
def _value(draw: st.DrawFn, var: PcpuVar) -> str:
    return draw(st.sampled_from(var.values()))


@st.composite
def _atom(draw: st.DrawFn, w: Where) -> str:
    """A side-effect-free condition."""
    s = w.state
    kinds = ["pcpu", "pcpu", "flag", "world"]
    if s.field is not None:
        kinds.append("field")
    if "ptep" in w.params:
        kinds += ["pte", "pte"]
    if w.in_hook:
        kinds += ["tiflag"]
    kind = draw(st.sampled_from(kinds))
    if kind == "pcpu":
        v = draw(st.sampled_from(s.pcpu))
        if v.kind == "bool":
            return draw(st.sampled_from((f"this_cpu_read({v.name})",
                                         f"!this_cpu_read({v.name})")))
        op = draw(st.sampled_from(("==", "!=")))
        return f"this_cpu_read({v.name}) {op} {draw(_value(v))}"
    if kind == "field":
        assert s.field is not None
        op = draw(st.sampled_from(("==", "!=")))
        return f"current->fz.{s.field.name} {op} {draw(_value(s.field))}"
    if kind == "flag":
        return f"test_thread_flag({draw(st.sampled_from(s.flags))})"
    if kind == "tiflag":
        t = draw(st.sampled_from(w.params))
        return f"test_ti_thread_flag(task_thread_info({t}), {draw(st.sampled_from(s.flags))})"
    if kind == "pte":
        return draw(st.sampled_from((
            "pte_is_kernel(ptep)", "pte_valid(pte)", "pte == 1",
            "__pte_hw(ptep) == __pte_read(ptep)", "pte_none(__pte_read(ptep))")))
    return draw(st.sampled_from(("in_interrupt()", "preemptible()", "irqs_disabled()",
                                 "preempt_count() > 0", "!in_interrupt()")))


@st.composite
def _cond(draw: st.DrawFn, w: Where, depth: int = 2) -> str:
    if depth <= 0 or draw(st.integers(0, 2)) > 0:
        return draw(_atom(w))
    kind = draw(st.sampled_from(("not", "and", "or")))
    a = draw(_cond(w, depth - 1))
    if kind == "not":
        return f"!({a})"
    b = draw(_cond(w, depth - 1))
    return f"({a}) {'&&' if kind == 'and' else '||'} ({b})"


_ARCH_STMTS = ("pcpu_write", "pcpu_write", "pcpu_step", "field", "flag", "flag", "tac",
               "if", "if", "preempt", "bug", "warn", "atomic", "dsb", "ret", "sync_all")


@st.composite
def _arch_stmt(draw: st.DrawFn, w: Where, depth: int,
               extra: tuple[Callable[[], st.SearchStrategy[list[str]]], ...] = (),
               in_atomic: bool = False) -> list[str]:
    """One random arch statement (as lines).  ``extra`` adds function-specific ones."""
    s = w.state
    kinds = list(_ARCH_STMTS)
    if depth <= 0:
        kinds = [k for k in kinds if k not in ("tac", "if", "preempt", "atomic")]
    if in_atomic:
        kinds = [k for k in kinds if k not in ("ret", "preempt", "atomic")]
    if s.field is None:
        kinds.remove("field")
    if w.in_hook:
        kinds += ["tiflag", "tiflag"]
    if s.queue:
        kinds += ["flush_queue"]
    choice = draw(st.integers(0, len(kinds) + len(extra) - 1))
    if choice >= len(kinds):
        return draw(extra[choice - len(kinds)]())
    kind = kinds[choice]
    sub = _arch_body(w, depth - 1, extra, in_atomic)
    if kind == "pcpu_write":
        v = draw(st.sampled_from(s.pcpu))
        same = [u for u in s.pcpu if u.kind == v.kind and u != v]
        if same and draw(st.integers(0, 3)) == 0:
            return [f"this_cpu_write({v.name}, this_cpu_read({draw(st.sampled_from(same)).name}));"]
        return [f"this_cpu_write({v.name}, {draw(_value(v))});"]
    if kind == "pcpu_step":
        ints = [u for u in s.pcpu if u.kind == "int"]
        if not ints:
            return ["dsb();"]
        v = draw(st.sampled_from(ints))
        op = draw(st.sampled_from(("inc", "dec")))
        if draw(st.booleans()):  # guarded, as careful kernel code would be
            edge = "2" if op == "inc" else "0"
            return [f"if (this_cpu_read({v.name}) != {edge})",
                    f"\tthis_cpu_{op}({v.name});"]
        return [f"this_cpu_{op}({v.name});"]
    if kind == "field":
        assert s.field is not None
        return [f"current->fz.{s.field.name} = {draw(_value(s.field))};"]
    if kind == "flag":
        op = draw(st.sampled_from(("set", "clear")))
        return [f"{op}_thread_flag({draw(st.sampled_from(s.flags))});"]
    if kind == "tiflag":
        op = draw(st.sampled_from(("set", "clear")))
        t = draw(st.sampled_from(w.params))
        return [f"{op}_ti_thread_flag(task_thread_info({t}), "
                f"{draw(st.sampled_from(s.flags))});"]
    if kind == "tac":
        op = draw(st.sampled_from(("set", "clear")))
        f = draw(st.sampled_from(s.flags))
        if w.in_hook and draw(st.booleans()):
            t = draw(st.sampled_from(w.params))
            head = f"if (test_and_{op}_ti_thread_flag(task_thread_info({t}), {f})) {{"
        else:
            head = f"if (test_and_{op}_thread_flag({f})) {{"
        return [head, *_indent(draw(sub)), "}"]
    if kind == "if":
        out = [f"if ({draw(_cond(w))}) {{", *_indent(draw(sub))]
        if draw(st.booleans()):
            out += ["} else {", *_indent(draw(sub))]
        return [*out, "}"]
    if kind == "preempt":
        return ["preempt_disable();", *draw(sub), "preempt_enable();"]
    if kind == "bug":
        return [f"BUG_ON({draw(_cond(w))});"]
    if kind == "warn":
        return [f"{draw(st.sampled_from(('WARN_ON', 'VM_WARN_ON_ONCE')))}({draw(_cond(w))});"]
    if kind == "atomic":
        inner = _arch_body(w, depth - 1, extra, True)
        return ["atomic {", *_indent(draw(inner)), "}"]
    if kind == "dsb":
        return ["dsb();"]
    if kind == "ret":
        return [f"if ({draw(_cond(w))})", "\treturn;"]
    if kind == "flush_queue":
        return ["fz_flush_queue();"]
    return ["for_each_pte(p) {", "\t__pte_sync(p);", "}"]  # sync_all


@st.composite
def _arch_body(draw: st.DrawFn, w: Where, depth: int,
               extra: tuple[Callable[[], st.SearchStrategy[list[str]]], ...] = (),
               in_atomic: bool = False) -> list[str]:
    n = draw(st.integers(0 if depth < 2 else 1, 3 if depth >= 2 else 2))
    out: list[str] = []
    for _ in range(n):
        out += draw(_arch_stmt(w, depth, extra, in_atomic))
    return out


@st.composite
def _pte_core(draw: st.DrawFn, w: Where) -> list[str]:
    """The part of set_pte() that makes the write reach the page table."""
    kind = draw(st.sampled_from(("write", "store", "store_sync", "split", "queue")))
    if kind == "write":
        return ["__pte_write(ptep, pte);"]
    if kind == "store":
        return ["__pte_store(ptep, pte);"]
    if kind == "store_sync":
        tail = draw(st.sampled_from(("__pte_sync(ptep);", "dsb();")))
        return ["__pte_store(ptep, pte);", f"if ({draw(_cond(w))})", f"\t{tail}"]
    if kind == "queue" and w.state.queue:
        return [f"if ({draw(_cond(w))}) {{",
                "\tatomic {",
                "\t\tthis_cpu_write(fz_q[ptep], true);",
                "\t\tthis_cpu_write(fz_v[ptep], pte);",
                "\t}",
                "\treturn;",
                "}",
                "__pte_write(ptep, pte);"]
    return [f"if ({draw(_cond(w))}) {{", "\t__pte_store(ptep, pte);", "} else {",
            "\t__pte_write(ptep, pte);", "}"]


def _function(head: str, body: list[str]) -> str:
    return "\n".join([head, "{", *_indent(body), "}", ""])


@st.composite
def arch_states(draw: st.DrawFn) -> ArchState:
    kinds = draw(st.lists(st.sampled_from(("bool", "int", "enum")), min_size=1, max_size=3))
    pcpu = tuple(PcpuVar(f"fz_cpu{i}", k) for i, k in enumerate(kinds))
    fld = None
    if draw(st.booleans()):
        fld = PcpuVar("state", draw(st.sampled_from(("bool", "int", "enum"))))
    flags = tuple(f"TIF_FZ{i}" for i in range(draw(st.integers(1, 2))))
    return ArchState(pcpu, fld, flags, draw(st.integers(0, 3)) == 0)


@st.composite
def arch_texts(draw: st.DrawFn) -> str:
    s = draw(arch_states())
    lines = ['model arch "fuzz: random arch" source "generated";', ""]
    if any(v.kind == "enum" for v in (*s.pcpu, s.field) if v is not None):
        lines += [f"enum fz_mode {{ {', '.join(ENUM)} }};", ""]
    for v in s.pcpu:
        lines.append(f"percpu {v.decl_type} {v.name} = {draw(_value(v))};")
    if s.field is not None:
        lines.append(f"pertask {s.field.decl_type} fz.{s.field.name} = "
                     f"{draw(_value(s.field))};")
    lines.append(f"thread_flag {', '.join(s.flags)};")
    if s.queue:
        lines += ["percpu bool fz_q[pte_t];", "percpu pteval_t fz_v[pte_t];"]
    lines.append("")
    if s.queue:
        lines.append(_function("void fz_flush_queue(void)", [
            "atomic {",
            "\tfor_each_pte(p) {",
            "\t\tif (this_cpu_read(fz_q[p])) {",
            "\t\t\t__pte_write(p, this_cpu_read(fz_v[p]));",
            "\t\t\tthis_cpu_write(fz_q[p], false);",
            "\t\t}",
            "\t}",
            "}"]))
    plain = Where(s)
    lines.append(_function("void arch_enter_lazy_mmu_mode(void)",
                           draw(_arch_body(plain, 2))))
    lines.append(_function("void arch_leave_lazy_mmu_mode(void)",
                           draw(_arch_body(plain, 2))))
    pw = Where(s, ("ptep", "pte"))
    body = draw(_arch_body(pw, 1)) if draw(st.booleans()) else []
    body += draw(_pte_core(pw))
    if draw(st.booleans()):
        body += draw(_arch_body(pw, 1))
    lines.append(_function("void set_pte(pte_t ptep, pteval_t pte)", body))

    def call(fn: str) -> Callable[[], st.SearchStrategy[list[str]]]:
        return lambda: st.just([f"{fn}();"])

    hooks = (("arch_start_context_switch", ("prev",), "task_t prev"),
             ("__switch_to", ("prev", "next"), "task_t prev, task_t next"),
             ("arch_end_context_switch", ("next",), "task_t next"))
    for name, params, decl in hooks:
        if draw(st.integers(0, 2)) == 0:
            continue
        extra = (call("arch_leave_lazy_mmu_mode"),) if name == "arch_start_context_switch" \
            else (call("arch_enter_lazy_mmu_mode"),) if name == "arch_end_context_switch" \
            else ()
        lines.append(_function(f"void {name}({decl})",
                               draw(_arch_body(Where(s, params, True), 2, extra))))
    if draw(st.integers(0, 3)) > 0:
        tw = Where(s, ("tsk",), True)
        opts = [f"test_ti_thread_flag(task_thread_info(tsk), {f})" for f in s.flags]
        if s.field is not None:
            opts += [f"tsk->fz.{s.field.name} {op} {v}" for op in ("==", "!=")
                     for v in s.field.values()[1:2]]
        pred = draw(st.sampled_from(opts))
        if draw(st.integers(0, 3)) == 0:
            pred = f"{pred} && {draw(st.sampled_from(opts))}"
        del tw
        lines.append(_function("pure bool lazy_mmu_task(task_t tsk)", [f"return {pred};"]))
    if draw(st.integers(0, 3)) > 0:
        v = draw(st.sampled_from(s.pcpu))
        if v.kind == "bool":
            pred = f"per_cpu({v.name}, cpu)"
        else:
            pred = f"per_cpu({v.name}, cpu) {draw(st.sampled_from(('==', '!=')))} " \
                   f"{draw(_value(v))}"
        lines.append(_function("pure bool lazy_mmu_cpu(cpu_t cpu)", [f"return {pred};"]))
    return "\n".join(lines)


# ---------------------------------------------------------------- scenario


@dataclass(frozen=True, slots=True)
class Scene:
    ptes: tuple[str, ...]
    irq: bool = False  # generating the interrupt program


_TASK_STMTS = ("set", "set", "set", "clear", "section", "section", "lock", "resched",
               "warn", "ifnone", "preempt", "unbalanced", "bug", "irqoff", "sleep",
               "nondet", "nloop")


@st.composite
def _task_stmt(draw: st.DrawFn, sc: Scene, depth: int) -> list[str]:
    kinds = list(_TASK_STMTS)
    if depth <= 0:
        kinds = [k for k in kinds if k not in ("section", "lock", "ifnone", "preempt",
                                               "irqoff", "nondet", "nloop")]
    if sc.irq:
        kinds = [k for k in kinds if k not in ("lock", "resched", "sleep", "irqoff")]
    kind = draw(st.sampled_from(kinds))
    sub = _task_body(sc, depth - 1)
    p = draw(st.sampled_from(sc.ptes))
    if kind == "set":
        return [f"set_pte({p}, {draw(st.integers(0, 3))});"]
    if kind == "clear":
        return [f"pte_clear({p});"]
    if kind == "section":
        return ["arch_enter_lazy_mmu_mode();", *draw(sub), "arch_leave_lazy_mmu_mode();"]
    if kind == "lock":
        return ["spin_lock(&fz_lock);", *draw(sub), "spin_unlock(&fz_lock);"]
    if kind == "resched":
        return ["cond_resched();"]
    if kind == "warn":
        return [f"WARN_ON(ptep_get({p}) == {draw(st.integers(0, 3))});"]
    if kind == "bug":
        return [f"BUG_ON(!pte_none(ptep_get({p})) && ptep_get({p}) != "
                f"{draw(st.integers(1, 3))});"]
    if kind == "ifnone":
        return [f"if (pte_none(ptep_get({p}))) {{", *_indent(draw(sub)), "}"]
    if kind == "preempt":
        return ["preempt_disable();", *draw(sub), "preempt_enable();"]
    if kind == "irqoff":
        return ["local_irq_disable();", *draw(sub), "local_irq_enable();"]
    if kind == "sleep":
        return ["might_sleep();"]
    if kind == "nondet":  # what an extracted draft makes of a condition it abstracts
        out = ["if (__nondet()) {", *_indent(draw(sub))]
        if draw(st.booleans()):
            out += ["} else {", *_indent(draw(sub))]
        return [*out, "}"]
    if kind == "nloop":  # an extracted loop: at most FZ_LOOP_BOUND turns, any may be the last
        i = f"fz_i{depth}"
        return [f"for (int<0..2> {i} = 0; {i} < FZ_LOOP_BOUND; {i}++) {{",
                "\tif (__nondet())", "\t\tbreak;", *_indent(draw(sub)), "}"]
    return [draw(st.sampled_from(("arch_enter_lazy_mmu_mode();",
                                  "arch_leave_lazy_mmu_mode();")))]  # unbalanced


@st.composite
def _task_body(draw: st.DrawFn, sc: Scene, depth: int) -> list[str]:
    n = draw(st.integers(1, 3 if depth >= 2 else 2))
    out: list[str] = []
    for _ in range(n):
        out += draw(_task_stmt(sc, depth))
    return out


@st.composite
def scenario_texts(draw: st.DrawFn) -> tuple[str, tuple[str, ...], bool]:
    """Scenario source, its task program names, whether it has an irq program."""
    nptes = draw(st.integers(1, 2))
    ptes = tuple(f"fz_pte{i}" for i in range(nptes))
    lines = ['model scenario "fuzz: random call sites" source "generated";', "",
             f"#define FZ_LOOP_BOUND {draw(st.integers(1, 2))}", ""]
    for p in ptes:
        mm = draw(st.sampled_from(("kernel", "kernel", "user")))
        lines.append(f"pte {mm} {p} = {draw(st.integers(0, 2))};")
    lines += ["", "spinlock_t fz_lock;", ""]
    sc = Scene(ptes)
    progs = tuple(f"fz_task{i}" for i in range(draw(st.integers(1, 2))))
    for name in progs:
        body = draw(_task_body(sc, 2))
        if draw(st.integers(0, 2)) > 0:  # most programs are one section around the rest
            body = ["arch_enter_lazy_mmu_mode();", *body, "arch_leave_lazy_mmu_mode();"]
        lines.append(_function(f"task void {name}(void)", body))
    irq = draw(st.integers(0, 2)) == 0
    if irq:
        lines.append(_function("irq void fz_irq(void)", draw(_task_body(Scene(ptes, True), 1))))
    return "\n".join(lines), progs, irq


# ---------------------------------------------------------------- whole models

_PREEMPTS = (Preempt.NONE, Preempt.VOLUNTARY, Preempt.FULL, Preempt.RT)
_PROPERTY_IDS = tuple(p.id for p in PROPERTIES)


@st.composite
def configs(draw: st.DrawFn, progs: tuple[str, ...], irq: bool) -> KernelConfig:
    ntasks = draw(st.integers(1, 2))
    tasks = tuple(draw(st.sampled_from(progs)) for _ in range(ntasks))
    chosen = set(draw(st.lists(st.sampled_from(_PROPERTY_IDS), min_size=1, unique=True)))
    irqs = draw(st.integers(0, 1)) if irq else 0
    return KernelConfig(
        cpus=draw(st.integers(1, 2)),
        tasks=tasks,
        preempt=draw(st.sampled_from(_PREEMPTS)),
        irq_handlers=("fz_irq",) if irqs else (),
        irqs=irqs,
        properties=tuple(p for p in _PROPERTY_IDS if p in chosen),
    )


@st.composite
def models(draw: st.DrawFn) -> GeneratedModel:
    """A random well-typed model set with a kernel config (see the module docstring)."""
    arch = draw(arch_texts())
    scenario, progs, irq = draw(scenario_texts())
    config = draw(configs(progs, irq))
    texts = dict(zip(FILES, (arch, API_TEXT, scenario), strict=True))
    try:
        loaded = load_texts(texts)
    except ModelError as exc:  # the generator must only produce valid models
        raise AssertionError("generated model rejected by the checker:\n"
                             + "\n".join(str(d) for d in exc.diagnostics)
                             + "\n" + "\n".join(texts.values())) from exc
    return GeneratedModel(arch, API_TEXT, scenario, config, loaded.program)
