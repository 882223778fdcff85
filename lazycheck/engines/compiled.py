"""The explicit engine's BFS as machine code (issue 10, item 5): numba and LLVM.

Used past 100k states when numba is importable (the Python search hands its
levels over: :func:`take_over`), from the first state with ``--compiled``,
never with ``--no-compiled``.  What depends on the system -- every action,
the dispatch on :func:`lazycheck.semantics.action_index`, the coverage
conditions, packing and unpacking -- is LLVM IR generated here from the
expression DAG and compiled with llvmlite; the BFS itself is the numba kernel
of :mod:`lazycheck.engines.compiled_kernel`, the same for every system.
States are ``ceil(bits / 64)`` words in discovery order (the store is the
BFS queue, a level a range of it) with an open-addressing table of indices.

Identical results.  States are expanded in the Python search's order and
successors in action order; the search is reduced by the symmetry group of
:mod:`lazycheck.engines.symmetry` exactly when and as the Python one is
(unreduced up to ``SYMMETRY_AFTER``, then the canonical forms of the levels;
the same canonical form, computed in the kernel from :func:`group_arrays`);
a reduced FAIL is searched again unreduced; traces are chosen by the Python
code from the stored levels.  ``-j N`` runs N threads whose buffers are
merged in order, so nothing depends on N.  A value that does not fit its
field ends the compiled search and the Python path runs instead.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import itertools
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lazycheck.engines import symmetry
from lazycheck.engines.memory import MemoryWatch, physical_memory
from lazycheck.engines.symmetry import Group
from lazycheck.outcome import Limits, Progress, Result, Stats, Verdict
from lazycheck.semantics import OutOfRange, Packing, Semantics, _children, action_index
from lazycheck.system import (
    TRUE,
    Action,
    Binary,
    BinOp,
    Const,
    Expr,
    Ite,
    Not,
    Select,
    System,
    Var,
    Wrap,
)

if TYPE_CHECKING:
    from lazycheck.engines.explicit import _Search

# states a kernel call expands before it returns to Python for the clock and memory
BUDGET = 4096
# with -j N: states each thread expands between two merges
CHUNK = 8192
# buffer rows per state of a chunk (a part that could overflow its buffer stops early)
ROWS_PER_STATE = 4
# machine code is generated at LLVM's level 0 (cheap to compile, ~2x slower on Xen's large
# switch actions); past this many states the search recompiles at TIER = (IR passes,
# code generation) and goes on (bench/compiled.py); code compiled at TIER before is
# loaded from the cache from the start
TIER_STATES = 1_000_000
TIER = (0, 2)



def available() -> bool:
    """Whether numba can be imported (the ``[compiled]`` extra is installed)."""
    return importlib.util.find_spec("numba") is not None


_CMP = {BinOp.EQ: "eq", BinOp.NE: "ne", BinOp.LT: "slt", BinOp.LE: "sle", BinOp.GT: "sgt",
        BinOp.GE: "sge"}


class _Emit:
    """LLVM IR for expression DAGs over ``ptr %s`` (an ``i64`` per variable), one SSA
    value per distinct node, evaluated eagerly (an array read out of its range, on
    a branch not taken, reads element 0)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.names: dict[int, str] = {}
        self.n = 0
        self.keep: list[Expr] = []  # keeps the ids stable

    def tmp(self) -> str:
        """A fresh SSA name."""
        self.n += 1
        return f"%t{self.n}"

    def value(self, root: Expr) -> str:
        """The ``i64`` operand of ``root``, emitting what is not emitted yet (post-order)."""
        self.keep.append(root)
        stack: list[tuple[Expr, bool]] = [(root, False)]
        while stack:
            e, ready = stack.pop()
            if id(e) in self.names:
                continue
            if isinstance(e, Const):
                self.names[id(e)] = str(e.value)
            elif ready:
                self.names[id(e)] = self.op(e)
            else:
                stack.append((e, True))
                stack.extend((c, False) for c in _children(e) if id(c) not in self.names)
        return self.names[id(root)]

    def test(self, e: Expr) -> str:
        """An ``i1`` operand: ``e != 0``."""
        v = self.value(e)
        t = self.tmp()
        self.lines.append(f"  {t} = icmp ne i64 {v}, 0")
        return t

    def load(self, at: str) -> str:
        """``s[at]``."""
        p, v = self.tmp(), self.tmp()
        self.lines.append(f"  {p} = getelementptr inbounds i64, ptr %s, i64 {at}")
        self.lines.append(f"  {v} = load i64, ptr {p}")
        return v

    def op(self, e: Expr) -> str:
        """Emit one node whose children are emitted; its operand."""
        name = self.names.get
        add = self.lines.append
        if isinstance(e, Var):
            return self.load(str(e.index))
        t = self.tmp()
        if isinstance(e, Select):
            x, ok, c = name(id(e.index)), self.tmp(), self.tmp()
            add(f"  {ok} = icmp ult i64 {x}, {e.size}")
            add(f"  {c} = select i1 {ok}, i64 {x}, i64 0")
            add(f"  {t} = add i64 {c}, {e.base}")
            return self.load(t)
        if isinstance(e, Not):
            add(f"  {t} = icmp eq i64 {name(id(e.arg))}, 0")
            return self.widen(t)
        if isinstance(e, Ite):
            add(f"  {t} = icmp ne i64 {name(id(e.cond))}, 0")
            r = self.tmp()
            add(f"  {r} = select i1 {t}, i64 {name(id(e.then))}, i64 {name(id(e.other))}")
            return r
        if isinstance(e, Wrap):
            m = e.hi - e.lo + 1
            r, neg, up, pick, out = (self.tmp() for _ in range(5))
            add(f"  {t} = sub i64 {name(id(e.arg))}, {e.lo}")
            add(f"  {r} = srem i64 {t}, {m}")
            add(f"  {neg} = icmp slt i64 {r}, 0")
            add(f"  {up} = add i64 {r}, {m}")
            add(f"  {pick} = select i1 {neg}, i64 {up}, i64 {r}")
            add(f"  {out} = add i64 {pick}, {e.lo}")
            return out
        assert isinstance(e, Binary)
        a, b = name(id(e.left)), name(id(e.right))
        if e.op in (BinOp.ADD, BinOp.SUB):
            add(f"  {t} = {'add' if e.op is BinOp.ADD else 'sub'} i64 {a}, {b}")
            return t
        if e.op in (BinOp.AND, BinOp.OR):
            x, y = self.tmp(), self.tmp()
            add(f"  {x} = icmp ne i64 {a}, 0")
            add(f"  {y} = icmp ne i64 {b}, 0")
            add(f"  {t} = {'and' if e.op is BinOp.AND else 'or'} i1 {x}, {y}")
            return self.widen(t)
        add(f"  {t} = icmp {_CMP[e.op]} i64 {a}, {b}")
        return self.widen(t)

    def widen(self, bit: str) -> str:
        """An ``i1`` as ``i64`` 0/1."""
        t = self.tmp()
        self.lines.append(f"  {t} = zext i1 {bit} to i64")
        return t


def _action_ir(i: int, action: Action, nv: int) -> list[str]:
    """``i1 @a<i>(ptr %s, ptr %n)``: false if disabled, else ``n`` := the successor."""
    lines = [f"define internal i1 @a{i}(ptr noalias %s, ptr noalias %n) nounwind {{", "entry:"]
    em = _Emit(lines)
    g = em.test(action.guard)
    lines += [f"  br i1 {g}, label %upd, label %off", "off:", "  ret i1 0", "upd:"]
    outs = [em.value(u.value) for u in action.updates]
    lines += ["  br label %cp", "cp:", "  %j = phi i64 [0, %upd], [%j1, %cp]",
              "  %ps = getelementptr inbounds i64, ptr %s, i64 %j",
              "  %v = load i64, ptr %ps",
              "  %pn = getelementptr inbounds i64, ptr %n, i64 %j",
              "  store i64 %v, ptr %pn", "  %j1 = add i64 %j, 1",
              f"  %d = icmp eq i64 %j1, {nv}", "  br i1 %d, label %wr, label %cp", "wr:"]
    for k, (u, o) in enumerate(zip(action.updates, outs, strict=True)):
        lines.append(f"  %w{k} = getelementptr inbounds i64, ptr %n, i64 {u.var}")
        lines.append(f"  store i64 {o}, ptr %w{k}")
    return [*lines, "  ret i1 1", "}", ""]


def _successors_ir(system: System) -> list[str]:
    """``i64 @successors(i64 s, i64 out, i64 idx)``: the enabled actions' successors
    (rows of ``out``) and indices, in :func:`action_index`'s order; returns how many."""
    nv = len(system.vars)
    groups, always = action_index(system)
    lines = ["define i64 @successors(i64 %ps, i64 %pout, i64 %pidx) nounwind {", "entry:",
             "  %s = inttoptr i64 %ps to ptr", "  %out = inttoptr i64 %pout to ptr",
             "  %idx = inttoptr i64 %pidx to ptr", "  %kp = alloca i64",
             "  store i64 0, ptr %kp"]
    em = _Emit(lines)
    tries: list[tuple[str, tuple[int, ...]]] = []
    for gk, (gate, var, table) in enumerate(groups):
        c = em.load(str(var))
        arms = " ".join(f"i64 {v}, label %g{gk}v{v}" for v in sorted(table))
        lines.append(f"  switch i64 {c}, label %g{gk}end [ {arms} ]")
        for v in sorted(table):
            lines.append(f"g{gk}v{v}:")
            sub = _Emit(lines)
            sub.n = em.n
            ok = sub.test(gate) if gate != TRUE else "true"
            em.n = sub.n
            lines.append(f"  br i1 {ok}, label %g{gk}v{v}try, label %g{gk}end")
            lines.append(f"g{gk}v{v}try:")
            lines.extend(_tries(f"g{gk}v{v}", table[v], nv))
            lines.append(f"  br label %g{gk}end")
        lines.append(f"g{gk}end:")
    del tries
    lines.extend(_tries("al", always, nv))
    return [*lines, "  %kend = load i64, ptr %kp", "  ret i64 %kend", "}", ""]


def _tries(tag: str, actions: tuple[int, ...] | list[int], nv: int) -> list[str]:
    """Try ``actions`` in order, appending each enabled one's successor and index."""
    lines: list[str] = []
    for i in actions:
        b = f"{tag}a{i}"
        lines += [f"  %{b}k = load i64, ptr %kp", f"  %{b}o = mul i64 %{b}k, {nv}",
                  f"  %{b}r = getelementptr inbounds i64, ptr %out, i64 %{b}o",
                  f"  %{b}e = call i1 @a{i}(ptr %s, ptr %{b}r)",
                  f"  br i1 %{b}e, label %{b}y, label %{b}n", f"{b}y:",
                  f"  %{b}x = getelementptr inbounds i64, ptr %idx, i64 %{b}k",
                  f"  store i64 {i}, ptr %{b}x", f"  %{b}k1 = add i64 %{b}k, 1",
                  f"  store i64 %{b}k1, ptr %kp", f"  br label %{b}n", f"{b}n:"]
    return lines


def _coverage_ir(system: System, width: int) -> list[str]:
    """``i64 @coverage(i64 s, i64 flags, i64, i64)``: sets the flags (rows of ``width``)
    of the watched properties (row 2) and of the witness labels (row 3) whose condition
    holds in ``s`` (a witness only if its action is enabled: row 1)."""
    lines = ["define i64 @coverage(i64 %ps, i64 %pf, i64 %u1, i64 %u2) nounwind {", "entry:",
             "  %s = inttoptr i64 %ps to ptr", "  %f = inttoptr i64 %pf to ptr"]
    em = _Emit(lines)
    labels = _witness_labels(system)
    conds: list[tuple[Expr, int, int | None]] = [
        (e, 2 * width + k, None) for k, (_, e) in enumerate(system.watches)]
    conds += [(e, 3 * width + labels[label], width + i)
              for i, e, label in system.witness_points()]
    for k, (e, at, enabled) in enumerate(conds):
        v = em.value(e)
        lines += [f"  %c{k}p = getelementptr inbounds i64, ptr %f, i64 {at}",
                  f"  %c{k}o = load i64, ptr %c{k}p", f"  %c{k}h = icmp ne i64 {v}, 0"]
        if enabled is not None:
            lines += [f"  %c{k}ep = getelementptr inbounds i64, ptr %f, i64 {enabled}",
                      f"  %c{k}e = load i64, ptr %c{k}ep", f"  %c{k}en = icmp ne i64 %c{k}e, 0",
                      f"  %c{k}b = and i1 %c{k}h, %c{k}en"]
        else:
            lines.append(f"  %c{k}b = or i1 %c{k}h, false")
        lines += [f"  %c{k}z = zext i1 %c{k}b to i64", f"  %c{k}n = or i64 %c{k}o, %c{k}z",
                  f"  store i64 %c{k}n, ptr %c{k}p"]
    return [*lines, "  ret i64 0", "}", ""]


def _packing_ir(packing: Packing) -> list[str]:
    """``i64 @unpack(i64 words, i64 s, i64)`` and ``i64 @pack(i64 n, i64 words, i64)`` (1,
    or 0 if a value does not fit its field), unrolled over the layout's fields."""
    nw = max(1, (packing.bits + 63) // 64)
    lines = ["define i64 @unpack(i64 %pw, i64 %ps, i64 %u) nounwind {", "entry:",
             "  %w = inttoptr i64 %pw to ptr", "  %s = inttoptr i64 %ps to ptr"]
    for j in range(nw):
        lines += [f"  %p{j} = getelementptr inbounds i64, ptr %w, i64 {j}",
                  f"  %w{j} = load i64, ptr %p{j}"]
    for v, (lo, w, off) in enumerate(zip(packing.lo, packing.width, packing.off, strict=True)):
        j, b = divmod(off, 64)
        lines.append(f"  %d{v} = getelementptr inbounds i64, ptr %s, i64 {v}")
        if w == 0:
            lines.append(f"  store i64 {lo}, ptr %d{v}")
            continue
        lines.append(f"  %a{v} = lshr i64 %w{j}, {b}")
        x = f"%a{v}"
        if b + w > 64:
            lines += [f"  %h{v} = shl i64 %w{j + 1}, {64 - b}", f"  %o{v} = or i64 %a{v}, %h{v}"]
            x = f"%o{v}"
        lines += [f"  %m{v} = and i64 {x}, {(1 << w) - 1}", f"  %x{v} = add i64 %m{v}, {lo}",
                  f"  store i64 %x{v}, ptr %d{v}"]
    lines += ["  ret i64 0", "}", "",
              "define i64 @pack(i64 %pn, i64 %pw, i64 %u) nounwind {", "entry:",
              "  %n = inttoptr i64 %pn to ptr", "  %w = inttoptr i64 %pw to ptr"]
    acc = ["0"] * nw
    bad = "false"
    for v, (lo, w, off) in enumerate(zip(packing.lo, packing.width, packing.off, strict=True)):
        j, b = divmod(off, 64)
        lines += [f"  %d{v} = getelementptr inbounds i64, ptr %n, i64 {v}",
                  f"  %v{v} = load i64, ptr %d{v}", f"  %x{v} = sub i64 %v{v}, {lo}",
                  f"  %c{v} = icmp ugt i64 %x{v}, {(1 << w) - 1}",
                  f"  %b{v} = or i1 {bad}, %c{v}"]
        bad = f"%b{v}"
        if w == 0:
            continue
        lines += [f"  %s{v} = shl i64 %x{v}, {b}", f"  %q{v} = or i64 {acc[j]}, %s{v}"]
        acc[j] = f"%q{v}"
        if b + w > 64:
            lines += [f"  %t{v} = lshr i64 %x{v}, {64 - b}",
                      f"  %r{v} = or i64 {acc[j + 1]}, %t{v}"]
            acc[j + 1] = f"%r{v}"
    for j in range(nw):
        lines += [f"  %p{j} = getelementptr inbounds i64, ptr %w, i64 {j}",
                  f"  store i64 {acc[j]}, ptr %p{j}"]
    lines += ["  %bad = zext i1 " + bad + " to i64", "  %ok = xor i64 %bad, 1", "  ret i64 %ok",
              "}", ""]
    return lines


def _witness_labels(system: System) -> dict[str, int]:
    """A number for each witness label, in order of first appearance."""
    out: dict[str, int] = {}
    for _, _, label in system.witness_points():
        out.setdefault(label, len(out))
    return out


def flag_width(system: System) -> int:
    """Columns of the kernel's flag rows (actions, watches, witness labels)."""
    return max(len(system.actions), len(system.watches), len(_witness_labels(system)), 1)


def module_ir(system: System, packing: Packing) -> str:
    """The LLVM IR of ``system``'s actions, their dispatch, its coverage conditions and
    its packing."""
    nv = len(system.vars)
    lines: list[str] = []
    for i, a in enumerate(system.actions):
        lines += _action_ir(i, a, nv)
    lines += _successors_ir(system) + _coverage_ir(system, flag_width(system))
    lines += _packing_ir(packing)
    return "\n".join(lines) + "\n"


def in_order(system: System) -> bool:
    """Whether :func:`action_index`'s groups yield successors in action order."""
    groups, always = action_index(system)
    spans = [(min(i for ix in t.values() for i in ix), max(i for ix in t.values() for i in ix))
             for _, _, t in groups] + [(i, i) for i in always]
    return not any(a[1] > b[0] for a, b in itertools.pairwise(spans))


def cache_dir() -> Path:
    """Where the machine code of generated systems is kept (``$XDG_CACHE_HOME``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lazycheck" / "compiled"


def cached_object(source: str, opt: int, codegen: int) -> Path:
    """Where :func:`jit` keeps the object code of ``source`` at these levels."""
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    key = hashlib.sha256("\0".join([source, str(opt), str(codegen), str(llvm.llvm_version_info),
                                     llvm.get_host_cpu_name(), llvm.get_host_cpu_features()
                                     .flatten()]).encode()).hexdigest()[:32]
    return cache_dir() / f"{key}.o"


def jit(source: str, opt: int = 0, codegen: int = 0, cache: bool = True) -> Any:
    """Compile the IR with llvmlite (numba's LLVM): IR passes at level ``opt`` (0: none),
    machine code at level ``codegen``; the execution engine, which owns the code.

    With ``cache``, the object code is kept under :func:`cache_dir` named by a hash
    of the IR, the levels, LLVM's version and the host CPU, and loaded from there
    next time (no parsing, no code generation).
    """
    import llvmlite.binding as llvm

    tm = llvm.Target.from_default_triple().create_target_machine(opt=codegen)
    path = cached_object(source, opt, codegen)
    if cache and path.exists():
        engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), tm)
        engine.add_object_file(llvm.ObjectFileRef.from_data(path.read_bytes()))
        engine.finalize_object()
        return engine
    mod = llvm.parse_assembly(source)
    mod.verify()
    if opt:
        pto = llvm.create_pipeline_tuning_options(speed_level=opt)
        pb = llvm.create_pass_builder(tm, pto)
        pb.getModulePassManager().run(mod, pb)
    engine = llvm.create_mcjit_compiler(mod, tm)
    if cache:
        engine.set_object_cache(lambda _m, data: _keep(path, data))
    engine.finalize_object()
    return engine


def _keep(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (a cache: failure to write is no error)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError:
        pass


def group_arrays(group: Group, packing: Packing) -> tuple[Any, ...] | None:
    """``group`` as the kernel's ``sym`` arrays (see compiled_kernel.canon): where every
    element moves each variable, its value tables, the live ranges and the key fields;
    None if two fields it swaps differ in width (the Python path then refuses too)."""
    import numpy as np

    from lazycheck.engines.symmetry import _key_fields

    g, nv = group.order, len(packing.lo)
    src = np.zeros((g, nv), dtype=np.int64)
    toff = np.full((g, nv), -1, dtype=np.int64)
    vinfo = np.full((2, nv), -1, dtype=np.int64)
    tab: list[int] = []
    for e, (vmap, vals) in enumerate(zip(group.var_maps, group.value_maps, strict=True)):
        for i, j in enumerate(vmap):
            if packing.width[i] and packing.width[j] != packing.width[i]:
                return None
            src[e, j] = i
            m = vals[i]
            if m is not None:
                lo = packing.lo[i]
                toff[e, i] = len(tab)
                tab.extend(m.get(r + lo, r + lo) for r in range(1 << packing.width[i]))
    for i, live in enumerate(group.live):
        if live is not None:
            pc, rng = live
            vinfo[0, i], vinfo[1, i] = pc, len(tab)
            tab.extend(int(r + packing.lo[pc] in rng) for r in range(1 << packing.width[pc]))
    keys = _key_fields(group, packing)
    kinfo = np.zeros((g, len(keys), 3), dtype=np.int64)
    for e, vals in enumerate(group.value_maps):
        shift = 0
        for k in reversed(range(len(keys))):
            j = keys[k]
            i = int(src[e, j])
            m, lo_i, mask = vals[i], packing.lo[i], (1 << packing.width[j]) - 1
            kinfo[e, k] = (i, len(tab), shift)
            tab.extend(((m.get(r + lo_i, r + lo_i) if m is not None else r + lo_i)
                        - packing.lo[j]) & mask for r in range(1 << packing.width[i]))
            shift += packing.width[j]
    return (src, toff, np.array(tab or [0], dtype=np.int64), vinfo,
            np.array(keys, dtype=np.int64), kinfo)


def no_group(nv: int) -> tuple[Any, ...]:
    """The ``sym`` arrays of the trivial group (the kernel then canonicalises nothing)."""
    import numpy as np

    return (np.zeros((1, nv), dtype=np.int64), np.full((1, nv), -1, dtype=np.int64),
            np.zeros(1, dtype=np.int64), np.full((2, nv), -1, dtype=np.int64),
            np.zeros(0, dtype=np.int64), np.zeros((1, 0, 3), dtype=np.int64))


class CompiledSearch:
    """One BFS on the compiled kernel; ``run()`` gives the Python search's result (None if
    a value outgrew its field: then the Python path must run).

    As the Python search (engines/explicit.py), it runs unreduced until a level ends
    past ``reduce_after`` states (0: never; with ``group`` given: reduced from the
    start), then goes on reduced from the canonical forms of the levels it has.
    """

    def __init__(self, system: System, limits: Limits, packing: Packing,
                 opt: tuple[int, int] = (0, 0), cache: bool = True,
                 group: Group | None = None, reduce_after: int = 0, workers: int = 1) -> None:
        import numpy as np

        from lazycheck.engines import compiled_kernel

        self.np, self.kernel = np, compiled_kernel
        self.system, self.limits, self.packing = system, limits, packing
        self.start = time.monotonic()
        cpu = time.process_time()
        self.source, self.cache = module_ir(system, packing), cache
        self.tier_cpu = 0.0  # CPU seconds of recompiling at TIER during the search
        if opt == (0, 0) and cache and cached_object(self.source, *TIER).exists():
            opt = TIER  # compiled at the higher level before: as cheap to load
        self.opt = opt
        self.fns = np.zeros(4, dtype=np.int64)
        self.engine = self.load_code(opt)
        self.compile_cpu = time.process_time() - cpu  # generating and compiling the IR
        nv = len(system.vars)
        self.layout = np.zeros((4, nv), dtype=np.int64)
        self.layout[0], self.layout[1], self.layout[2] = packing.lo, packing.off, packing.width
        self.layout[3, :3] = (system.violation_var, len(system.actions), in_order(system))
        self.words = max(1, (packing.bits + 63) // 64)
        self.store = self.reserve(limits.max_states + len(system.actions) + 1)
        self.table = np.full(1 << 14, -1, dtype=np.int32)
        self.flags = np.zeros((4, flag_width(system)), dtype=np.int64)
        self.ctr = np.zeros(3, dtype=np.int64)  # next state to expand, states, transitions
        self.memory = MemoryWatch(limits.max_memory)
        self.levels: list[int] = [0]  # where each BFS level starts in the store
        self.hi = 1  # where the level being expanded ends
        self.group: Group | None = None
        self.sym = no_group(nv)
        self.workers = max(1, workers)  # threads expanding a level (-j)
        self.tflags = [self.flags, *(np.zeros_like(self.flags) for _ in range(workers - 1))]
        self.tmps = [compiled_kernel.scratch(1, 1, 1, 1) for _ in range(self.workers)]
        self.reduce_after = 0 if group is not None else reduce_after
        self.deg = np.zeros(self.store.shape[0] if self.reduce_after else 0, dtype=np.int64)
        if group is not None:
            self.use_group(group)

    def reserve(self, rows: int) -> Any:
        """A store of up to ``rows`` states, at most what ``--max-memory`` can hold: zeroed
        pages are only mapped when written, so the store never has to be copied to grow
        (a copy would hold two stores at the peak); 4,096 rows if that is refused."""
        np = self.np
        budget = self.limits.max_memory or physical_memory()
        rows = max(1 << 12, min(rows, budget // (8 * self.words), (1 << 31) - 1))
        try:
            return np.zeros((rows, self.words), dtype=np.uint64)
        except MemoryError:
            return np.zeros((1 << 12, self.words), dtype=np.uint64)

    def use_group(self, group: Group) -> bool:
        """Canonicalise under ``group`` from now on (False if its arrays cannot be made)."""
        sym = group_arrays(group, self.packing)
        if sym is None:
            return False
        self.group, self.sym = group, sym
        self.tmps = [self.kernel.scratch(len(self.system.vars), self.words, group.order,
                                         len(sym[4])) for _ in range(self.workers)]
        self.tmp = self.tmps[0]
        return True

    @property
    def scratch(self) -> tuple[Any, ...]:
        """The kernel's scratch arrays for canonical forms (dummies without a group)."""
        return self.tmps[0]

    def load_code(self, opt: tuple[int, int]) -> Any:
        """Compile (or load) the system's code at ``opt``; point ``fns`` at it."""
        engine = jit(self.source, *opt, cache=self.cache)
        for k, f in enumerate(("successors", "coverage", "unpack", "pack")):
            self.fns[k] = engine.get_function_address(f)
        return engine

    def tier_up(self) -> None:
        """Past :data:`TIER_STATES` states, recompile at :data:`TIER` and go on with it."""
        if self.opt == (0, 0) and int(self.ctr[1]) > TIER_STATES:
            cpu = time.process_time()
            self.opt = TIER
            self.engine = self.load_code(TIER)
            self.tier_cpu = time.process_time() - cpu

    def load_kernel(self) -> None:
        """Compile the kernel, or load it from numba's cache, now (it expands nothing)."""
        self.kernel.expand(self.fns, self.layout, self.store, self.table, self.ctr, 0, 0, 0,
                           self.flags, self.sym, self.scratch, self.deg)
        self.kernel.rehash(self.store, 0, self.table)

    def stats(self, exhausted: bool, reached: int) -> Stats:
        """How far the search got."""
        return Stats(engine="explicit", states=int(self.ctr[1]),
                     transitions=int(self.ctr[2]), depth=reached, bound=self.limits.bound,
                     exhausted=exhausted, elapsed_s=time.monotonic() - self.start,
                     symmetry=self.group.order if self.group is not None else 1)

    def put_init(self) -> None:
        """Store the initial state (canonical under the group, if there is one)."""
        init = self.packing.pack(self.system.init)
        self.store[0, :] = self.to_words(init)
        if self.group is not None:
            vals = self.np.array(self.system.init, dtype=self.np.int64)
            if not self.kernel.canon(self.fns, self.sym, self.layout, vals, self.tmp):
                raise OutOfRange
            self.store[0, :] = self.to_words(self.packing.pack(tuple(int(v) for v in vals)))
        self.ctr[1] = 1
        self.kernel.rehash(self.store, 1, self.table)

    def to_words(self, state: int) -> Any:
        """A packed int as the kernel's words."""
        return self.np.frombuffer(state.to_bytes(self.words * 8, "little"),
                                  dtype=self.np.uint64)

    def resume(self, levels: list[list[int]], degrees: list[int], transitions: int,
               covered: tuple[set[int], set[str], set[str]]) -> None:
        """Go on from where a Python search stopped: its levels (packed ints, the last not
        expanded yet), its successor counts, transitions, and (fired, witnessed,
        watched)."""
        np = self.np
        count = sum(map(len, levels))
        size = 1 << max(12, (count + len(self.system.actions)).bit_length())
        self.store = self.reserve(max(self.limits.max_states + len(self.system.actions) + 1,
                                      size))
        self.table = np.full(size * 2, -1, dtype=np.int32)
        flat = [s for level in levels for s in level]
        raw = b"".join(s.to_bytes(self.words * 8, "little") for s in flat)
        self.store[:count] = np.frombuffer(raw, dtype=np.uint64).reshape(count, self.words)
        self.levels = list(itertools.accumulate([0, *map(len, levels[:-1])]))
        self.ctr[:] = (self.levels[-1], count, transitions)
        self.kernel.rehash(self.store, count, self.table)
        self.deg = np.zeros(self.store.shape[0] if self.reduce_after else 0, dtype=np.int64)
        self.deg[:len(degrees)] = degrees
        fired, witnessed, watched = covered
        for a in fired:
            self.flags[0, a] = 1
        for k, label in enumerate(_witness_labels(self.system)):
            self.flags[3, k] = label in witnessed
        for k, (p, _) in enumerate(self.system.watches):
            self.flags[2, k] = p in watched

    def grow(self, extra: int = 0) -> None:
        """Double the store until ``extra`` more states fit (default: one state's
        successors), and the table while it would be half full."""
        np = self.np
        n = int(self.ctr[1]) + (extra or len(self.system.actions))
        while n > self.store.shape[0]:
            store = np.zeros((self.store.shape[0] * 2, self.words), dtype=np.uint64)
            store[: self.store.shape[0]] = self.store
            self.store = store
            if len(self.deg):
                deg = np.zeros(store.shape[0], dtype=np.int64)
                deg[: len(self.deg)] = self.deg
                self.deg = deg
        if 2 * n > self.table.shape[0]:
            size = self.table.shape[0] * 2
            while 2 * n > size:
                size *= 2
            self.table = np.full(size, -1, dtype=np.int32)
            self.kernel.rehash(self.store, int(self.ctr[1]), self.table)

    def packed(self, e: int) -> int:
        """Store entry ``e`` as the Python search's packed int."""
        return int.from_bytes(self.store[e].tobytes(), "little")

    def reduce(self) -> None:
        """Continue reduced by the symmetry group (as ``_Search.reduce``): every stored level
        becomes the canonical forms of its states, first occurrences in order."""
        np = self.np
        self.reduce_after = 0
        deg, self.deg = self.deg, np.zeros(0, dtype=np.int64)
        group = symmetry.derive(self.system) if self.limits.symmetry else None
        if group is None or not self.use_group(group):
            return
        count = int(self.ctr[1])
        bounds = np.array([*self.levels, count], dtype=np.int64)
        nstore = np.zeros((self.store.shape[0], self.words), dtype=np.uint64)
        ntable = np.full(self.table.shape[0], -1, dtype=np.int32)
        nbounds = np.zeros(len(bounds), dtype=np.int64)
        n, tr = self.kernel.reduce_store(self.fns, self.sym, self.layout, self.store, bounds,
                                         deg, nstore, ntable, nbounds, self.tmp)
        if n < 0:
            raise OutOfRange
        self.store, self.table = nstore, ntable
        self.levels = [int(b) for b in nbounds[:-1]]
        self.ctr[:] = (self.levels[-1], n, tr)

    def run(self) -> Result | None:
        """The whole search, level by level (from the initial state unless resumed)."""
        system = self.system
        code = system.init[system.violation_var]
        if code:
            return Result(Verdict.FAIL, self.stats(False, 0), code, ())
        try:
            if int(self.ctr[1]) == 0:
                self.put_init()
            return self.levels_loop()
        except OutOfRange:
            return None

    def levels_loop(self) -> Result | None:
        """Expand level after level until the search ends."""
        limits = self.limits
        depth = len(self.levels) - 1
        while True:
            hi = self.hi = int(self.ctr[1])
            if limits.progress is not None:
                limits.progress(Progress("explicit", depth, hi, time.monotonic() - self.start))
            if depth >= limits.bound:
                return self.covered(Result(Verdict.PASS, self.stats(False, depth)))
            stop = self.expand(depth, hi)
            if stop is not None:
                return stop
            self.levels.append(hi)
            if self.reduce_after and int(self.ctr[1]) > self.reduce_after:
                self.reduce()
            if int(self.ctr[1]) == self.levels[-1]:
                return self.covered(Result(Verdict.PASS, self.stats(True, depth)))
            depth += 1

    def expand(self, depth: int, hi: int) -> Result | None:
        """Expand the level ending at ``hi``; a result if the search ends."""
        if self.workers > 1:
            return self.expand_threads(depth, hi)
        limits, k = self.limits, self.kernel
        while True:
            status = k.expand(self.fns, self.layout, self.store, self.table, self.ctr, hi,
                              BUDGET, limits.max_states, self.flags, self.sym, self.scratch,
                              self.deg)
            self.tier_up()
            if status == k.DONE:  # (a level of fewer than BUDGET states: the limits too)
                return self.over_limits(depth)
            if status == k.GROW:
                self.grow()
                continue
            if status == k.FAIL:
                return self.failed(depth)
            if status == k.RANGE:
                raise OutOfRange
            if status == k.LIMIT:
                return Result(Verdict.UNKNOWN, self.stats(False, depth),
                              reason=f"state limit of {limits.max_states:,} reached "
                                     f"at depth {depth + 1}")
            stop = self.over_limits(depth)
            if stop is not None:
                return stop

    def expand_threads(self, depth: int, hi: int) -> Result | None:
        """:meth:`expand` on ``workers`` threads: chunk by chunk, each thread expands a
        consecutive part into its buffer, then the buffers are merged in order."""
        from concurrent.futures import ThreadPoolExecutor

        bufs = self.buffers()
        with ThreadPoolExecutor(self.workers - 1) as pool:
            while int(self.ctr[0]) < hi:
                pos = int(self.ctr[0])
                end = min(hi, pos + CHUNK * self.workers)
                cuts = [pos + (end - pos) * t // self.workers for t in range(self.workers + 1)]
                jobs = [pool.submit(self.part, t, cuts[t], cuts[t + 1], bufs[t])
                        for t in range(1, self.workers)]
                parts = [self.part(0, cuts[0], cuts[1], bufs[0]), *(j.result() for j in jobs)]
                stop = self.merged(depth, cuts, parts, bufs)
                if stop is not None:
                    return stop
                self.tier_up()
        return None

    def buffers(self) -> list[tuple[Any, Any, Any]]:
        """Per thread: successor words, their (parent, violates, position), successor counts."""
        np = self.np
        rows = max(CHUNK * ROWS_PER_STATE, 2 * len(self.system.actions))
        return [(np.zeros((rows, self.words), dtype=np.uint64),
                 np.zeros((rows, 3), dtype=np.int64), np.zeros(CHUNK + 1, dtype=np.int64))
                for _ in range(self.workers)]

    def part(self, t: int, lo: int, hi: int, buf: tuple[Any, Any, Any]) -> tuple[int, int]:
        """Thread ``t`` expands states ``lo..hi`` into ``buf`` (see compiled_kernel)."""
        return self.kernel.expand_part(self.fns, self.layout, self.store, self.table, lo, hi,
                                       self.tflags[t], self.sym, self.tmps[t], self.deg, *buf)

    def merged(self, depth: int, cuts: list[int], parts: list[tuple[int, int]],
               bufs: list[tuple[Any, Any, Any]]) -> Result | None:
        """Merge the threads' buffers in order; a result if the search ends."""
        k, limits = self.kernel, self.limits
        for t, (n, done) in enumerate(parts):
            if n < 0:
                raise OutOfRange
            self.grow(n + 1)
            status = k.merge(self.store, self.table, self.ctr, cuts[t], done, n, bufs[t][0],
                             bufs[t][1], bufs[t][2], limits.max_states)
            if status == k.FAIL:
                return self.failed(depth)
            if status == k.LIMIT:
                return Result(Verdict.UNKNOWN, self.stats(False, depth),
                              reason=f"state limit of {limits.max_states:,} reached "
                                     f"at depth {depth + 1}")
            if done < cuts[t + 1]:
                break  # this part stopped early: the next chunk goes on from there
        return self.over_limits(depth)

    def over_limits(self, depth: int) -> Result | None:
        """UNKNOWN past the time or memory limit (read between kernel calls)."""
        limits = self.limits
        if time.monotonic() - self.start > limits.timeout_s:
            return Result(Verdict.UNKNOWN, self.stats(False, depth),
                          reason=f"time limit of {limits.timeout_s:g} s reached "
                                 f"at depth {depth + 1}")
        if self.memory.over(int(self.ctr[1])):
            return Result(Verdict.UNKNOWN, self.stats(False, depth),
                          reason=f"memory limit of {self.memory.describe()} reached "
                                 f"at depth {depth + 1}")
        return None

    def level_states(self) -> list[list[int]]:
        """The levels expanded so far (up to the one being expanded) as packed ints."""
        ends = [*self.levels[1:], self.hi]
        return [[self.packed(e) for e in range(a, b)]
                for a, b in zip(self.levels, ends, strict=True)]

    def failed(self, depth: int) -> Result:
        """The FAIL result: the levels back as packed ints, the trace chosen in Python (a
        reduced search: a concrete run to the canonical violation, as the Python one)."""
        from lazycheck.engines.explicit import _Search, choose_trace

        sem = Semantics(self.system, self.packing)
        if self.group is None:
            code, trace = choose_trace(self.system, sem, self.level_states())
        else:
            py = _Search(self.system, self.limits, self.packing, self.group, sem)
            py.levels = self.level_states()
            code, trace = py.concrete_trace(self.packed(int(self.ctr[1]) - 1))
        return Result(Verdict.FAIL, self.stats(False, depth + 1), code, trace)

    def covered(self, r: Result) -> Result:
        """``r`` with the actions fired, the events witnessed and the watches seen."""
        labels = list(_witness_labels(self.system))
        f = self.flags
        for other in self.tflags[1:]:
            f |= other
        fired = {i for i in range(len(self.system.actions)) if f[0, i]}
        if self.group is not None:
            fired = self.group.close_fired(fired)
        return dataclasses.replace(
            r, fired=frozenset(fired),
            witnessed=frozenset(lb for k, lb in enumerate(labels) if f[3, k]),
            coverage_known=True,
            watched=frozenset(p for k, (p, _) in enumerate(self.system.watches) if f[2, k]))


def check(system: System, limits: Limits, symmetry_after: int | None = None) -> Result | None:
    """The compiled search's result, reduced as the Python search is (``symmetry_after``:
    as ``ExplicitEngine``'s); None if a value outgrew its field (run Python).

    A reduced search that fails is run again unreduced, as in Python: the trace and
    counts are then the unreduced search's (if it fails too within the limits).
    """
    from lazycheck.engines.explicit import SYMMETRY_AFTER

    after = SYMMETRY_AFTER if symmetry_after is None else symmetry_after
    packing = Packing.of(system)
    if not limits.symmetry or limits.max_states <= after:
        return CompiledSearch(system, limits, packing, workers=limits.workers).run()
    group = symmetry.derive(system) if after == 0 else None
    if after == 0 and group is None:
        return CompiledSearch(system, limits, packing, workers=limits.workers).run()
    found = CompiledSearch(system, limits, packing, group=group, reduce_after=after,
                           workers=limits.workers).run()
    return settled(system, limits, packing, found)


def settled(system: System, limits: Limits, packing: Packing, found: Result | None
            ) -> Result | None:
    """A reduced FAIL searched again unreduced (its counts and trace, if it fails too)."""
    if found is None or found.verdict is not Verdict.FAIL or found.stats.symmetry == 1:
        return found
    plain = CompiledSearch(system, limits, packing, workers=limits.workers).run()
    if plain is None:
        return None
    return plain if plain.verdict is Verdict.FAIL else found


def take_over(system: System, limits: Limits, first: _Search) -> Result | None:
    """Go on from the Python search ``first`` (stopped unreduced at its switch to reduced,
    :meth:`lazycheck.engines.explicit._Search.run_until_reduced`) on the compiled kernel,
    reducing there as it would have; None if a value outgrew its field (run Python)."""
    packing = first.sem.packing
    assert packing is not None and first.degrees is not None
    search = CompiledSearch(system, limits, packing, reduce_after=first.reduce_after,
                            workers=limits.workers)
    search.start = first.start
    search.resume([list(map(int, level)) for level in first.levels], first.degrees,
                  first.transitions, (first.fired, first.witnessed, first.watched))
    return settled(system, limits, packing, search.run())
