"""Name resolution and type checking: syntax trees -> :class:`lazycheck.ir.Program`.

Kernel built-ins are desugared here (see :mod:`lazycheck.ir`).  Every
problem becomes a :class:`~lazycheck.diagnostics.Diagnostic`; the checker
keeps going after an error so one run reports them all.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from lazycheck import ir
from lazycheck.diagnostics import Diagnostic, Span
from lazycheck.lang import ast
from lazycheck.properties import BY_ID, MODEL_BOUNDS

_ROLES = ("enter", "leave", "pause", "resume")
_WARNS = ("WARN_ON", "WARN_ON_ONCE", "VM_WARN_ON", "VM_WARN_ON_ONCE")
_BUGS = ("BUG_ON", "BUG", "VM_BUG_ON")  # VM_BUG_ON is BUG_ON under CONFIG_DEBUG_VM
_INTLIKE = (ir.Kind.INT, ir.Kind.BOOL)
# built-ins that are reads: pure, usable inside expressions
_EXPR_BUILTINS = frozenset({"this_cpu_read", "__this_cpu_read", "per_cpu", "smp_processor_id",
                "raw_smp_processor_id", "in_interrupt", "preemptible", "irqs_disabled",
                "preempt_count", "test_thread_flag", "test_ti_thread_flag",
                "test_and_set_thread_flag", "test_and_clear_thread_flag",
                "test_and_set_ti_thread_flag", "test_and_clear_ti_thread_flag",
                "__pte_read", "__pte_hw", "pte_is_kernel", "pte_none", "pte_present",
                "pte_valid", "mk_pte", "pfn_pte", "spin_is_locked", "task_thread_info",
                "get_cpu", "__isb_pending"})
_KERNEL_SITE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+/-]*\.[ch]:[A-Za-z_][A-Za-z0-9_]*")
_SNAPSHOT = ir.Type(ir.Kind.INT, 0, 0)  # a thread_flags_t local's own slot: never read
_FLAG_READS = ("read_thread_flags", "read_task_thread_flags")
_DSB_DOMAINS = {"sy", "st", "ld", "ish", "ishst", "ishld", "nsh", "nshst", "osh", "oshst"}


class _Error(Exception):
    pass


@dataclass
class _FnCtx:
    """Mutable per-function state while checking one body."""

    name: str
    ret: ir.Type
    pure: bool
    locals: list[ir.LocalSym] = field(default_factory=list)
    scopes: list[dict[str, int]] = field(default_factory=list)
    calls: set[str] = field(default_factory=set)
    loop_depth: int = 0
    temps: int = 0
    labels: dict[str, int] = field(default_factory=dict)  # top-level label -> its index
    top_index: int = 0  # index of the top-level statement being checked
    atomic_depth: int = 0
    whiles: list[bool] = field(default_factory=list)  # innermost loop last: a while?
    snapshots: dict[int, dict[str, int]] = field(default_factory=dict)  # thread_flags_t

    def new_local(self, name: str, ty: ir.Type) -> int:
        """Allocate a slot for a local, parameter or temporary of type ``ty``."""
        slot = len(self.locals)
        self.locals.append(ir.LocalSym(slot, name, ty))
        return slot

    def lookup(self, name: str) -> int | None:
        """The slot of the innermost local named ``name`` in scope, if any."""
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None


Pre = list[ir.IStmt]
ExprHandler = Callable[[ast.CallExpr, "_FnCtx", Pre], ir.IExpr]


class Checker:
    """Resolves names and types of parsed model files and lowers them to the IR."""

    def __init__(self, files: list[ast.ModelFile], lint: bool = False) -> None:
        self.files = files
        self.lint = lint  # also the checks a model may fail and still be explored
        self.diags: list[Diagnostic] = []
        self.enums: dict[str, tuple[str, ...]] = {}
        self.enum_of: dict[str, tuple[str, int]] = {}  # member -> (enum, value)
        self.typedefs: dict[str, ir.Type] = {}
        self.vars: dict[str, ir.VarSym] = {}
        self.flags: dict[str, int] = {}
        self.locks: dict[str, int] = {}
        self.ptes: dict[str, ir.PteSym] = {}
        self.fdecls: dict[str, tuple[ast.FuncDecl, str]] = {}
        self.roles: dict[tuple[str, str], Span] = {}  # (role, function) -> where
        self.defined: dict[str, Span] = {}
        self.site = 0
        self.consts: dict[str, int] = {}  # #define NAME N
        self.stmt_builtins = self._stmt_builtins()  # built once: closures over self
        self.expr_builtins = self._expr_builtins()

    def err(self, code: str, msg: str, span: Span | None, help: str | None = None) -> _Error:
        """Record a coded diagnostic; return the exception that abandons the construct."""
        self.diags.append(Diagnostic(code, msg, span, help=help))
        return _Error()

    # ------------------------------------------------------------ declarations
    def define(self, name: str, span: Span) -> bool:
        """Claim a top-level name; LZC102 and ``False`` if it is already defined."""
        if name in self.defined:
            prev = self.defined[name]
            self.diags.append(Diagnostic("LZC102", f"'{name}' is defined twice", span,
                                         notes=(("first defined here", prev),),
                                         help="rename one of them"))
            return False
        self.defined[name] = span
        return True

    def resolve_type(self, t: ast.TypeRef) -> ir.Type:
        """The IR type a written type reference names (fixed-width, ranges, enums, typedefs)."""
        if t.name in ir.FIXED_WIDTH and (t.lo is None or t.hi is None):
            return ir.FIXED_WIDTH[t.name]  # u8, s32, int...: wrap like the kernel's
        if t.name == "int":
            assert t.lo is not None and t.hi is not None
            if t.lo > t.hi:
                raise self.err("LZC204", f"empty range int<{t.lo}..{t.hi}>", t.span,
                               help="write the lower bound first")
            if t.hi - t.lo > 4096:
                raise self.err("LZC204", f"range int<{t.lo}..{t.hi}> is too wide", t.span,
                               help="keep model integers small (at most 4096 values)")
            return ir.Type(ir.Kind.INT, t.lo, t.hi)
        simple = {"void": ir.VOID, "bool": ir.BOOL, "u8": ir.U8, "pte_t": ir.PTE,
                  "pteval_t": ir.PTEVAL, "cpu_t": ir.CPU, "task_t": ir.TASK}
        if t.name in simple:
            return simple[t.name]
        if t.name.startswith("enum "):
            en = t.name[5:]
            if en not in self.enums:
                raise self.err("LZC103", f"unknown enum '{en}'", t.span,
                               help="declare it with enum NAME { A, B };")
            return ir.Type(ir.Kind.ENUM, 0, len(self.enums[en]) - 1, enum=en,
                           members=self.enums[en])
        if t.name in self.typedefs:
            return self.typedefs[t.name]
        if t.name == "thread_flags_t":
            raise self.err("LZC201", "thread_flags_t is only the type of a local that holds "
                           "read_thread_flags()", t.span,
                           help="declare it in the function: thread_flags_t flags = "
                                "read_thread_flags();")
        raise self.err("LZC103", f"unknown type '{t.name}'", t.span)

    def collect(self) -> None:
        """First pass: gather every file's declarations before checking bodies."""
        for mf in self.files:
            kind = mf.header.kind if mf.header else "common"
            for d in mf.decls:
                with contextlib.suppress(_Error):
                    self.collect_decl(d, kind)

    def const_value(self, e: ast.AExpr, ty: ir.Type) -> int:
        """The value of a constant initialiser (number, negated number, enum member) in ``ty``."""
        if isinstance(e, ast.Num):
            v = e.value
        elif isinstance(e, ast.Unary) and e.op == "-" and isinstance(e.arg, ast.Num):
            v = -e.arg.value
        elif isinstance(e, ast.Name) and e.ident in self.consts:
            v = self.consts[e.ident]
        elif isinstance(e, ast.Name) and e.ident in self.enum_of:
            en, v = self.enum_of[e.ident]
            if ty.kind is not ir.Kind.ENUM or ty.enum != en:
                raise self.err("LZC201", f"'{e.ident}' is an enum {en} value, not {ty}",
                               e.span)
        else:
            raise self.err("LZC201", "initialiser must be a constant", _span(e),
                           help="use a literal or an enumerator")
        if ty.kind is ir.Kind.ENUM and isinstance(e, ast.Num):
            raise self.err("LZC201", f"integer initialiser for {ty}", e.span,
                           help=f"use one of {', '.join(ty.members)}")
        if not ty.lo <= v <= ty.hi and ty.kind in (ir.Kind.INT, ir.Kind.BOOL,
                                                   ir.Kind.PTEVAL):
            raise self.err("LZC205", f"{v} is outside {ty}", _span(e))
        return v

    def collect_decl(self, d: ast.ADecl, kind: str) -> None:
        """Enter one top-level declaration into the symbol tables."""
        match d:
            case ast.Include():
                pass
            case ast.KernelDecl(site=site, span=span):
                self.kernel_site(site, span)
            case ast.ConstDecl(name=name, value=value, span=span):
                if self.define(name, span):
                    self.consts[name] = value
            case ast.EnumDecl(name=name, members=members, span=span):
                if self.define("enum " + name, span):
                    self.enums[name] = tuple(m for m, _ in members)
                    for i, (m, ms) in enumerate(members):
                        if self.define(m, ms):
                            self.enum_of[m] = (name, i)
            case ast.TypedefDecl(type=t, name=name, span=span):
                if self.define(name, span):
                    self.typedefs[name] = self.resolve_type(t)
            case ast.VarDecl():
                self.collect_var(d)
            case ast.FlagDecl(names=names):
                for n, s in names:
                    if self.define(n, s):
                        self.flags[n] = len(self.flags)
            case ast.LockDecl(name=name, span=span):
                if self.define(name, span):
                    self.locks[name] = len(self.locks)
            case ast.PteDecl(mm=mm, name=name, init=init, span=span):
                value = self.const_value(init, ir.PTEVAL) if init is not None else 0
                if self.define(name, span):
                    self.ptes[name] = ir.PteSym(name, len(self.ptes), mm == "kernel", value,
                                                span)
            case ast.FuncDecl():
                self.collect_function(d, kind)
            case ast.ApiDecl(roles=roles):
                self.collect_roles(roles)

    def kernel_site(self, site: str, span: Span) -> None:
        """LZC017 unless ``site`` reads ``path/file.c:function``."""
        if not _KERNEL_SITE.fullmatch(site) or ".." in site.split("/"):
            self.diags.append(Diagnostic(
                "LZC017", f"kernel \"{site}\" is not FILE:FUNCTION", span,
                help='name the kernel source file (relative to the tree) and the function '
                     'this scenario models: kernel "mm/memory.c:zap_pte_range";'))

    def collect_var(self, d: ast.VarDecl) -> None:
        """Declare a percpu, pertask or global variable with its dimensions and initial value."""
        ty = self.resolve_type(d.type)
        if ty.kind is ir.Kind.VOID:
            raise self.err("LZC201", "variable of type void", d.span)
        specs = tuple(self.dim_spec(dim) for dim in d.dims)
        value = self.const_value(d.init, ty) if d.init is not None else ty.lo
        if self.define(d.name, d.span):
            self.vars[d.name] = ir.VarSym(d.name, d.storage, ty, specs, value, d.span)

    def dim_spec(self, dim: ast.TypeRef | ast.AExpr) -> ir.DimSpec:
        """What an array dimension is indexed by: pte_t, cpu_t, task_t or a fixed size."""
        if isinstance(dim, ast.TypeRef):
            dt = self.resolve_type(dim)
            by = {ir.Kind.PTE: ir.Dim.PTE, ir.Kind.CPU: ir.Dim.CPU,
                  ir.Kind.TASK: ir.Dim.TASK}.get(dt.kind)
            if by is None:
                raise self.err("LZC201", f"arrays are indexed by pte_t, cpu_t, "
                               f"task_t or a constant, not {dt}", dim.span)
            return ir.DimSpec(by)
        if isinstance(dim, ast.Num) and 1 <= dim.value <= 8:
            return ir.DimSpec(ir.Dim.FIXED, dim.value)
        raise self.err("LZC201", "array size must be 1..8, pte_t, cpu_t or "
                       "task_t", _span(dim))

    def collect_function(self, d: ast.FuncDecl, kind: str) -> None:
        """Record a function declaration; a strong definition overrides a ``__weak`` one."""
        name, span = d.name, d.span
        prev = self.fdecls.get(name)
        weak = "__weak" in d.qualifiers
        if prev is None:
            self.fdecls[name] = (d, kind)
        elif "__weak" in prev[0].qualifiers and not weak:
            self.fdecls[name] = (d, kind)  # a strong definition overrides
        elif weak:
            pass  # the strong (or first weak) definition stays
        else:
            self.diags.append(Diagnostic(
                "LZC102", f"function '{name}' is defined twice", span,
                notes=(("first defined here", prev[0].span),),
                help="mark the generic one __weak if the arch overrides it"))

    def collect_roles(self, roles: tuple[tuple[str, str, Span], ...]) -> None:
        """Record the ``lazy_mmu_api`` roles, rejecting unknown or repeated ones (LZC305)."""
        for role, fn, rs in roles:
            if role not in _ROLES:
                self.diags.append(Diagnostic(
                    "LZC305", f"unknown lazy_mmu_api role '{role}'", rs,
                    help=f"roles are {', '.join(_ROLES)}"))
            elif (role, fn) in self.roles:
                self.diags.append(Diagnostic(
                    "LZC305", f"{role} = {fn} is given twice", rs,
                    notes=(("first given here", self.roles[(role, fn)]),)))
            else:
                self.roles[(role, fn)] = rs

    # ------------------------------------------------------------ functions
    def check_functions(self) -> list[ir.Function]:
        """Check every collected function body; those with errors are left out."""
        out: list[ir.Function] = []
        for name in self.fdecls:
            fd, kind = self.fdecls[name]
            with contextlib.suppress(_Error):
                out.append(self.check_function(fd, kind))
        return out

    def check_function(self, fd: ast.FuncDecl, kind: str) -> ir.Function:
        """Check one function's parameters and body and lower it to an ``ir.Function``."""
        ret = self.resolve_type(fd.ret)
        ctx = _FnCtx(fd.name, ret, "pure" in fd.qualifiers)
        ctx.scopes.append({})
        params: list[ir.LocalSym] = []
        for p in fd.params:
            pty = self.resolve_type(p.type)
            slot = ctx.new_local(p.name, pty)
            ctx.scopes[-1][p.name] = slot
            params.append(ctx.locals[slot])
        if ({"task", "irq", "softirq"} & set(fd.qualifiers)) and (params or ret != ir.VOID):
            raise self.err("LZC201", f"program '{fd.name}' must be void {fd.name}(void)",
                           fd.span)
        self.collect_labels(fd.body, ctx)
        body = self.block(fd.body, ctx)
        if {"irq", "softirq"} & set(fd.qualifiers):
            self.no_sleep_in_irq(body)
        if ctx.pure:
            if not (len(body) == 1 and isinstance(body[0], ir.SReturn)
                    and body[0].value is not None):
                raise self.err("LZC306", f"pure function '{fd.name}' must be a single "
                               "'return expression;'", fd.span,
                               help="pure functions are evaluated inside other statements; "
                                    "drop 'pure' to make it an ordinary function")
        elif ret.kind is not ir.Kind.VOID and not _always_returns(body):
            raise self.err("LZC207", f"'{fd.name}' can reach its end without returning a "
                           f"{ret}", fd.end, help="add a return statement")
        return ir.Function(fd.name, tuple(params), ret, tuple(ctx.locals), body,
                           fd.qualifiers, kind, fd.span, fd.end)

    def collect_labels(self, body: tuple[ast.AStmt, ...], ctx: _FnCtx) -> None:
        """Labels of the function's top-level block (the only place a label may be)."""
        for i, s in enumerate(body):
            if isinstance(s, ast.LabelStmt):
                if s.label in ctx.labels:
                    self.diags.append(Diagnostic("LZC102", f"label '{s.label}' is defined "
                                                 "twice", s.span, help="rename one of them"))
                ctx.labels.setdefault(s.label, i)

    def no_sleep_in_irq(self, body: tuple[ir.IStmt, ...]) -> None:
        """An interrupt handler runs to completion: it may not schedule or sleep."""
        for s in body:
            match s:
                case ir.SBuiltin(op=ir.Builtin.SCHEDULE | ir.Builtin.SLEEP, span=span,
                                 text=text):
                    self.diags.append(Diagnostic(
                        "LZC303", f"interrupt handler calls {text.rstrip(';')}", span,
                        help="interrupt handlers run to completion and may not sleep or "
                             "schedule; move this into a task program"))
                case ir.SIf(then=t, other=o):
                    self.no_sleep_in_irq(t)
                    self.no_sleep_in_irq(o)
                case ir.SAtomic(body=b) | ir.SFor(body=b):
                    self.no_sleep_in_irq(b)
                case _:
                    pass

    def block(self, stmts: tuple[ast.AStmt, ...], ctx: _FnCtx) -> tuple[ir.IStmt, ...]:
        """Check a block of statements in a new scope."""
        top = len(ctx.scopes) == 1  # the function body itself: where labels live
        ctx.scopes.append({})
        out: list[ir.IStmt] = []
        for i, s in enumerate(stmts):
            if top:
                ctx.top_index = i
            with contextlib.suppress(_Error):
                out.extend(self.stmt(s, ctx))
        ctx.scopes.pop()
        return tuple(out)

    def stmt(self, s: ast.AStmt, ctx: _FnCtx) -> list[ir.IStmt]:
        """Check one statement; calls inside it are hoisted in front of it."""
        match s:
            case ast.LocalDecl():
                return self.local_decl(s, ctx)
            case ast.AssignStmt():
                return self.assign(s, ctx)
            case ast.ExprStmt(expr=e, span=span, text=text):
                if isinstance(e, ast.CallExpr):
                    return self.call_stmt(e, ctx, None, text)
                raise self.err("LZC003", "expression statement has no effect", span,
                               help="a statement is a call, an assignment or a declaration")
            case ast.IfStmt(cond=c, then=then, other=other, span=span, text=text):
                pre: Pre = []
                cond = self.cond(c, ctx, pre)
                return [*pre, ir.SIf(cond, self.block(then, ctx), self.block(other, ctx),
                                     span, text)]
            case ast.ReturnStmt():
                return self.return_stmt(s, ctx)
            case ast.AtomicStmt(body=body, span=span, text=text):
                ctx.atomic_depth += 1
                inner = self.block(body, ctx)
                ctx.atomic_depth -= 1
                return [ir.SAtomic(inner, span, text)]
            case ast.ForStmt():
                return self.for_stmt(s, ctx)
            case ast.GotoStmt() | ast.LabelStmt():
                return self.goto_or_label(s, ctx)
            case ast.WhileStmt():
                return self.while_stmt(s, ctx)
            case ast.JumpStmt(kind=k, span=span, text=text):
                if ctx.loop_depth == 0:
                    raise self.err("LZC003", f"'{k}' outside a loop", span)
                if k == "continue" and ctx.whiles[-1]:
                    raise self.err("LZC003", "'continue' in a while loop is not supported",
                                   span, help="put the rest of the body under an if")
                return [ir.SJump(k, span, text)]
        raise AssertionError(s)

    def local_decl(self, s: ast.LocalDecl, ctx: _FnCtx) -> list[ir.IStmt]:
        """Check a local declaration: allocate its slot and assign its initialiser."""
        if s.type.name == "thread_flags_t":
            return self.snapshot_decl(s, ctx)
        ty = self.resolve_type(s.type)
        pre: Pre = []
        value = self.expr(s.init, ctx, pre, want=ty) if s.init is not None else None
        slot = ctx.new_local(s.name, ty)
        ctx.scopes[-1][s.name] = slot
        if value is None or s.init is None:
            return pre
        return [*pre, ir.SAssign(ir.LLocal(slot), self.coerce(value, ty, s.init),
                                 s.span, s.text)]

    def assign(self, s: ast.AssignStmt, ctx: _FnCtx) -> list[ir.IStmt]:
        """Check an assignment or compound assignment and lower it to ``SAssign``."""
        snap = ctx.lookup(s.target.ident) if isinstance(s.target, ast.Name) else None
        if snap is not None and snap in ctx.snapshots:
            if s.op != "=" or s.value is None:
                raise self.err("LZC201", f"'{s.op}' on a thread_flags_t", s.span,
                               help="assign it read_thread_flags()")
            return self.snapshot_read(s.value, ctx.snapshots[snap], s.span, s.text, ctx)
        pre: Pre = []
        lv, cur = self.lvalue(s.target, ctx, pre)
        ty = ir.type_of(cur)
        if s.op == "=":
            assert s.value is not None
            rhs = self.coerce(self.expr(s.value, ctx, pre, want=ty), ty, s.value)
        else:
            if ty.kind is not ir.Kind.INT:
                raise self.err("LZC201", f"'{s.op}' on a {ty}", s.span)
            amount: ir.IExpr = ir.EConst(1, ty)
            if s.value is not None:
                amount = self.expr(s.value, ctx, pre)
            rhs = ir.EBinary("+" if s.op in ("+=", "++") else "-", cur, amount, ty)
        return [*pre, ir.SAssign(lv, rhs, s.span, s.text)]

    def return_stmt(self, s: ast.ReturnStmt, ctx: _FnCtx) -> list[ir.IStmt]:
        """Check a ``return`` against the function's return type."""
        v, span, text = s.value, s.span, s.text
        if v is None:
            if ctx.ret.kind is not ir.Kind.VOID:
                raise self.err("LZC207", f"'{ctx.name}' must return a {ctx.ret}", span)
            return [ir.SReturn(None, span, text)]
        if ctx.ret.kind is ir.Kind.VOID:
            raise self.err("LZC201", f"void function '{ctx.name}' returns a value", span)
        pre: Pre = []
        rv = self.coerce(self.expr(v, ctx, pre, want=ctx.ret), ctx.ret, v)
        return [*pre, ir.SReturn(rv, span, text)]

    def goto_or_label(self, s: ast.GotoStmt | ast.LabelStmt, ctx: _FnCtx) -> list[ir.IStmt]:
        """Forward gotos to a label of the function's top-level block, as in error exits."""
        where = "at the top level of the function, after every goto that names it"
        if isinstance(s, ast.LabelStmt):
            if len(ctx.scopes) != 2:
                raise self.err("LZC308", f"label '{s.label}' inside a nested block", s.span,
                               help=f"put the label {where}")
            return [ir.SLabel(s.label, s.span, s.text)]
        at = ctx.labels.get(s.label)
        if at is None:
            raise self.err("LZC308", f"goto to unknown label '{s.label}'", s.span,
                           help=f"define '{s.label}:' {where}")
        if at <= ctx.top_index:
            raise self.err("LZC308", f"goto '{s.label}' jumps backwards", s.span,
                           help="only forward gotos are supported (the kernel's error "
                                "exits); write a bounded loop instead")
        if ctx.atomic_depth:
            raise self.err("LZC308", f"goto '{s.label}' leaves an atomic block", s.span,
                           help="an atomic block is one step: end it before jumping")
        return [ir.SGoto(s.label, s.span, s.text)]

    def while_stmt(self, s: ast.WhileStmt, ctx: _FnCtx) -> list[ir.IStmt]:
        """Unroll ``while (c) __bound(N)`` into N nested tests; an (N+1)-th turn is a
        model-bounds violation (UNKNOWN), never silently cut off."""
        bound = s.bound if not s.bound_name else self.consts.get(s.bound_name, 0)
        if not 1 <= bound <= 64:
            raise self.err("LZC304", f"__bound({s.bound_name}) is not a constant 1..64",
                           s.span, help="#define the bound as an integer 1..64")
        ctx.scopes.append({})
        slot = ctx.new_local(f"while{s.span.line}", ir.Type(ir.Kind.INT, 0, 0))
        pre: Pre = []
        cond = self.cond(s.cond, ctx, pre)
        ctx.loop_depth += 1
        ctx.whiles.append(True)
        try:
            inner = self.block(s.body, ctx)
        finally:
            ctx.loop_depth -= 1
            ctx.whiles.pop()
            ctx.scopes.pop()
        over = (ir.SBuiltin(
            ir.Builtin.CHECK, (ir.EConst(0, ir.BOOL),), s.span,
            s.text, 0, MODEL_BOUNDS),)  # same text as the test: one statement for coverage
        body: tuple[ir.IStmt, ...] = (*pre, ir.SIf(cond, over, (), s.span, s.text))
        for _ in range(bound):
            body = (*pre, ir.SIf(cond, (*inner, *body), (), s.span, s.text))
        # one turn of a for loop: `break` in the body leaves the whole while
        return [ir.SFor(slot, 0, 1, body, s.span, s.text)]

    def for_stmt(self, s: ast.ForStmt, ctx: _FnCtx) -> list[ir.IStmt]:
        """Check a constant-bound ``for`` (or a loop over every PTE) and lower it to ``SFor``."""
        lo_v, hi_v = self.loop_bound(s.lo), self.loop_bound(s.hi)
        ctx.scopes.append({})
        each_pte = isinstance(s.hi, ast.Name) and s.hi.ident == "__NR_PTES"
        slot = ctx.new_local(s.var, ir.PTE if each_pte else ir.Type(
            ir.Kind.INT, min(lo_v, hi_v), max(lo_v, hi_v)))
        ctx.scopes[-1][s.var] = slot
        ctx.loop_depth += 1
        ctx.whiles.append(False)
        inner = self.block(s.body, ctx)
        ctx.whiles.pop()
        ctx.loop_depth -= 1
        ctx.scopes.pop()
        return [ir.SFor(slot, lo_v, hi_v, inner, s.span, s.text)]

    def loop_bound(self, e: ast.AExpr) -> int:
        """The constant value of a ``for`` bound (a number or ``__NR_PTES``); LZC304 otherwise."""
        if isinstance(e, ast.Num):
            return e.value
        if isinstance(e, ast.Name) and e.ident == "__NR_PTES":
            return len(self.ptes)
        if isinstance(e, ast.Name) and e.ident in self.consts:
            return self.consts[e.ident]
        raise self.err("LZC304", "loop bounds must be integer constants", _span(e),
                       help="unroll by hand or use a constant bound")

    # ------------------------------------------------------------ calls
    def call_stmt(self, e: ast.CallExpr, ctx: _FnCtx, dest: ir.LLocal | None,
                  text: str) -> list[ir.IStmt]:
        """Check a call statement: a kernel built-in or a model function call."""
        pre: Pre = []
        name, _args, span = e.func, e.args, e.span
        handler = self.stmt_builtins.get(name)
        if handler is not None:
            out = handler(e, ctx, pre, text)  # may hoist calls into pre: run it first
            return [*pre, *out]
        if name in _WARNS or name in _BUGS:
            return self.bug_warn(e, ctx, pre, text)
        if name == "__check":
            self.arity(e, 2)
            pid = e.args[0]
            if not isinstance(pid, ast.Str) or pid.value not in BY_ID:
                raise self.err("LZC405", "__check() needs a known property id as a string",
                               _span(pid), help="known: " + ", ".join(sorted(BY_ID)))
            cond = self.cond(e.args[1], ctx, pre)
            self.site += 1
            return [*pre, ir.SBuiltin(ir.Builtin.CHECK, (cond,), span, text, self.site,
                                      pid.value)]
        if name == "__reach":
            return [*pre, self.reach(e, text)]
        if name in _EXPR_BUILTINS and dest is None:
            raise self.err("LZC003", f"result of {name}() is not used", span)
        if name in self.fdecls:
            fd, _ = self.fdecls[name]
            if "pure" in fd.qualifiers and dest is None:
                raise self.err("LZC003", f"result of pure function {name}() is not used",
                               span)
            iargs = self.args(e, fd, ctx, pre)
            ctx.calls.add(name)
            return [*pre, ir.SCall(name, iargs, dest, span, text)]
        raise self.err("LZC104", f"unknown function '{name}'", span,
                       help="define it in the model, or check the spelling of the kernel "
                            "built-in (see docs/language.md)")

    def reach(self, e: ast.CallExpr, text: str) -> ir.SBuiltin:
        """``__reach("label")``: no effect; a target's ``reach`` key names the label."""
        self.arity(e, 1)
        label = e.args[0]
        if not isinstance(label, ast.Str) or not label.value:
            raise self.err("LZC201", "__reach() takes a label string", _span(label),
                           help='write __reach("name") and list "name" in the target\'s '
                                'reach = [...]')
        return ir.SBuiltin(ir.Builtin.REACH, (), e.span, text, 0, label.value)

    def args(self, e: ast.CallExpr, fd: ast.FuncDecl, ctx: _FnCtx, pre: Pre) -> tuple[
            ir.IExpr, ...]:
        """Check a model function call's arguments against its parameters (LZC202)."""
        if len(e.args) != len(fd.params):
            raise self.err("LZC202", f"{fd.name}() takes {len(fd.params)} argument"
                           f"{'s' if len(fd.params) != 1 else ''}, {len(e.args)} given",
                           e.span, help=f"see its definition at {fd.span}")
        out = []
        for a, p in zip(e.args, fd.params, strict=True):
            pty = self.resolve_type(p.type)
            out.append(self.coerce(self.expr(a, ctx, pre, want=pty), pty, a))
        return tuple(out)

    def bug_warn(self, e: ast.CallExpr, ctx: _FnCtx, pre: Pre, text: str) -> list[ir.IStmt]:
        """Lower ``BUG``/``BUG_ON``/``WARN_ON`` to a numbered ``SBuiltin`` site."""
        self.site += 1
        op = ir.Builtin.BUG if e.func in _BUGS else ir.Builtin.WARN
        if e.func == "BUG":
            self.arity(e, 0)
            cond: ir.IExpr = ir.EConst(1, ir.BOOL)
        else:
            self.arity(e, 1)
            cond = self.cond(e.args[0], ctx, pre)
        return [*pre, ir.SBuiltin(op, (cond,), e.span, text, self.site)]

    def arity(self, e: ast.CallExpr, n: int) -> None:
        """LZC202 unless the built-in call ``e`` has ``n`` arguments."""
        if len(e.args) != n:
            raise self.err("LZC202", f"{e.func}() takes {n} argument{'s' if n != 1 else ''}"
                           f", {len(e.args)} given", e.span)

    def _stmt_builtins(self) -> dict[str, Callable[[ast.CallExpr, _FnCtx, Pre, str],
                                                  list[ir.IStmt]]]:
        def simple(op: ir.Builtin, n: int) -> Callable[[ast.CallExpr, _FnCtx, Pre, str],
                                                      list[ir.IStmt]]:
            def h(e: ast.CallExpr, ctx: _FnCtx, pre: Pre, text: str) -> list[ir.IStmt]:
                if op is ir.Builtin.DSB:
                    # dsb(ishst), dsb(ish), dsb(sy): the domain does not matter to the
                    # model, a PTE store by this CPU becomes visible either way
                    for a in e.args:
                        if not (isinstance(a, ast.Name) and a.ident in _DSB_DOMAINS):
                            raise self.err("LZC201", "dsb() takes a barrier domain such as "
                                           "ishst, ish or sy", _span(a))
                    if len(e.args) > 1:
                        raise self.err("LZC202", "dsb() takes at most one argument", e.span)
                    return [ir.SBuiltin(op, (), e.span, text)]
                self.arity(e, n)
                kinds = {ir.Builtin.PTE_WRITE: (ir.PTE, ir.PTEVAL),
                         ir.Builtin.PTE_STORE: (ir.PTE, ir.PTEVAL),
                         ir.Builtin.PTE_SYNC: (ir.PTE,),
                         ir.Builtin.TLB_FLUSH: (ir.PTE,)}.get(op, ())
                args = tuple(self.coerce(self.expr(a, ctx, pre, want=k), k, a)
                             for a, k in zip(e.args, kinds, strict=True))
                return [ir.SBuiltin(op, args, e.span, text)]
            return h

        def nothing(e: ast.CallExpr, ctx: _FnCtx, pre: Pre, text: str) -> list[ir.IStmt]:
            return []

        return {
            "preempt_disable": simple(ir.Builtin.PREEMPT_DISABLE, 0),
            "preempt_enable": simple(ir.Builtin.PREEMPT_ENABLE, 0),
            "preempt_enable_no_resched": simple(ir.Builtin.PREEMPT_ENABLE, 0),
            "local_irq_disable": simple(ir.Builtin.IRQ_DISABLE, 0),
            "local_irq_enable": simple(ir.Builtin.IRQ_ENABLE, 0),
            "local_bh_disable": simple(ir.Builtin.BH_DISABLE, 0),
            "local_bh_enable": simple(ir.Builtin.BH_ENABLE, 0),
            "__pte_write": simple(ir.Builtin.PTE_WRITE, 2),
            "__pte_store": simple(ir.Builtin.PTE_STORE, 2),
            "__pte_sync": simple(ir.Builtin.PTE_SYNC, 1),
            "__flush_tlb_check": simple(ir.Builtin.TLB_FLUSH, 1),
            "dsb": simple(ir.Builtin.DSB, 0),
            "cond_resched": simple(ir.Builtin.SCHEDULE, 0),
            "schedule": simple(ir.Builtin.SCHEDULE, 0),
            "might_sleep": simple(ir.Builtin.SLEEP, 0),
            "barrier": nothing,
            **self._world_detail_builtins(),
            "spin_lock": self._lock(ir.Builtin.SPIN_LOCK),
            "spin_unlock": self._lock(ir.Builtin.SPIN_UNLOCK),
            "this_cpu_write": self._this_cpu("write"),
            "__this_cpu_write": self._this_cpu("write", ir.World.CHECKED_CPU),
            "this_cpu_inc": self._this_cpu("inc"),
            "this_cpu_dec": self._this_cpu("dec"),
            "this_cpu_add": self._this_cpu("add"),
            "this_cpu_sub": self._this_cpu("sub"),
            "set_thread_flag": self._flag_set(1, False),
            "clear_thread_flag": self._flag_set(0, False),
            "set_ti_thread_flag": self._flag_set(1, True),
            "clear_ti_thread_flag": self._flag_set(0, True),
        }

    def _world_detail_builtins(self) -> dict[str, Callable[[ast.CallExpr, _FnCtx, Pre, str],
                                                          list[ir.IStmt]]]:
        """isb(), smp_mb(), put_cpu(), local_irq_save/restore() (issue 11 item 6)."""
        def plain(op: ir.Builtin) -> Callable[[ast.CallExpr, _FnCtx, Pre, str],
                                              list[ir.IStmt]]:
            def h(e: ast.CallExpr, ctx: _FnCtx, pre: Pre, text: str) -> list[ir.IStmt]:
                self.arity(e, 0)
                return [ir.SBuiltin(op, (), e.span, text)]
            return h
        return {"isb": plain(ir.Builtin.ISB), "smp_mb": plain(ir.Builtin.MB),
                "put_cpu": plain(ir.Builtin.PREEMPT_ENABLE),
                "local_irq_save": self._irq_save, "local_irq_restore": self._irq_restore,
                "fork": self._fork}

    def _fork(self, e: ast.CallExpr, ctx: _FnCtx, pre: Pre, text: str) -> list[ir.IStmt]:
        """``fork(child)``: copy_process() of the running task into a ``task`` program."""
        self.arity(e, 1)
        a = e.args[0]
        fd = self.fdecls.get(a.ident) if isinstance(a, ast.Name) else None
        if fd is None or "task" not in fd[0].qualifiers:
            raise self.err("LZC201", "fork() takes the name of a task program", _span(a),
                           help="task void child(void) { ... } and fork(child);")
        here = self.fdecls.get(ctx.name)
        if here is not None and {"irq", "softirq"} & set(here[0].qualifiers):
            raise self.err("LZC302", "fork() in an interrupt handler", e.span,
                           help="a task forks, from process context")
        assert isinstance(a, ast.Name)
        return [ir.SBuiltin(ir.Builtin.FORK, (), e.span, text, prop=a.ident)]

    def _irq_save(self, e: ast.CallExpr, ctx: _FnCtx, pre: Pre, text: str) -> list[ir.IStmt]:
        """``local_irq_save(flags)``: flags = irqs_disabled(); local_irq_disable(); one step."""
        self.arity(e, 1)
        lv, _cur = self.lvalue(e.args[0], ctx, pre)
        was = ir.EWorld(ir.World.IRQS_DISABLED, (), ir.BOOL)
        return [ir.SAtomic((ir.SAssign(lv, was, e.span, text),
                            ir.SBuiltin(ir.Builtin.IRQ_DISABLE, (), e.span, text)), e.span, text)]

    def _irq_restore(self, e: ast.CallExpr, ctx: _FnCtx, pre: Pre, text: str
                     ) -> list[ir.IStmt]:
        """``local_irq_restore(flags)``: IRQs as they were at the save (nesting-correct)."""
        self.arity(e, 1)
        flags = self.cond(e.args[0], ctx, pre)
        off = ir.SBuiltin(ir.Builtin.IRQ_DISABLE, (), e.span, text)
        on = ir.SBuiltin(ir.Builtin.IRQ_ENABLE, (), e.span, text)
        return [ir.SAtomic((ir.SIf(flags, (off,), (on,), e.span, "{"),), e.span, text)]

    def _lock(self, op: ir.Builtin) -> Callable[[ast.CallExpr, _FnCtx, Pre, str],
                                                list[ir.IStmt]]:
        def h(e: ast.CallExpr, ctx: _FnCtx, pre: Pre, text: str) -> list[ir.IStmt]:
            self.arity(e, 1)
            lock = self.lock_ref(e.args[0])
            return [ir.SBuiltin(op, (ir.EConst(lock, ir.Type(ir.Kind.INT, 0, 64)),),
                                e.span, text)]
        return h

    def lock_ref(self, a: ast.AExpr) -> int:
        """The index of the spinlock a lock built-in names (LZC101 if undeclared)."""
        if isinstance(a, ast.Unary) and a.op == "&":
            a = a.arg
        name = _dotted(a)
        if name is None or name not in self.locks:
            raise self.err("LZC101", f"unknown spinlock '{name or '?'}'", _span(a),
                           help="declare it with spinlock_t NAME;")
        return self.locks[name]

    def _this_cpu(self, what: str, cpu: ir.World = ir.World.THIS_CPU
                  ) -> Callable[[ast.CallExpr, _FnCtx, Pre, str], list[ir.IStmt]]:
        def h(e: ast.CallExpr, ctx: _FnCtx, pre: Pre, text: str) -> list[ir.IStmt]:
            self.arity(e, 2 if what in ("write", "add", "sub") else 1)
            cur = self.percpu_ref(e.args[0], ctx, pre, ir.EWorld(cpu, (), ir.CPU))
            assert isinstance(cur, ir.EVar)
            ty = cur.type
            lv = ir.LVar(cur.sym, cur.where, cur.index)
            if what == "write":
                value = self.coerce(self.expr(e.args[1], ctx, pre, want=ty), ty, e.args[1])
            else:
                if ty.kind is not ir.Kind.INT:
                    raise self.err("LZC201", f"this_cpu_{what}() on a {ty}", e.span)
                amount: ir.IExpr = ir.EConst(1, ty)
                if what in ("add", "sub"):
                    amount = self.expr(e.args[1], ctx, pre)
                value = ir.EBinary("+" if what in ("inc", "add") else "-", cur, amount, ty)
            # this_cpu_* operations are single steps, like the kernel's
            if cpu is ir.World.CHECKED_CPU:  # __this_cpu_*(): not an atomic block, it is checked
                return [ir.SAssign(lv, value, e.span, text)]
            return [ir.SAtomic((ir.SAssign(lv, value, e.span, text),), e.span, text)]
        return h

    def _flag_set(self, value: int, ti: bool) -> Callable[[ast.CallExpr, _FnCtx, Pre, str],
                                                          list[ir.IStmt]]:
        def h(e: ast.CallExpr, ctx: _FnCtx, pre: Pre, text: str) -> list[ir.IStmt]:
            self.arity(e, 2 if ti else 1)
            task = self.task_arg(e.args[0], ctx, pre) if ti else _current()
            flag = self.flag_ref(e.args[-1])
            return [ir.SAssign(ir.LFlag(flag, task), ir.EConst(value, ir.BOOL), e.span, text)]
        return h

    def flag_ref(self, a: ast.AExpr) -> int:
        """The index of a declared thread flag (LZC101 if undeclared)."""
        if isinstance(a, ast.Name) and a.ident in self.flags:
            return self.flags[a.ident]
        raise self.err("LZC101", f"unknown thread flag '{_dotted(a) or '?'}'", _span(a),
                       help="declare it with thread_flag NAME;")

    def task_arg(self, a: ast.AExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
        """The task a thread-flag built-in acts on (``task_thread_info(t)`` or ``t``)."""
        if isinstance(a, ast.CallExpr) and a.func == "task_thread_info" and len(a.args) == 1:
            a = a.args[0]
        t = self.expr(a, ctx, pre)
        if ir.type_of(t).kind is not ir.Kind.TASK:
            raise self.err("LZC201", f"expected a task, found {ir.type_of(t)}", _span(a))
        return t

    def percpu_ref(self, a: ast.AExpr, ctx: _FnCtx, pre: Pre, cpu: ir.IExpr) -> ir.IExpr:
        """The percpu variable element a ``this_cpu_*``/``per_cpu`` access names on ``cpu``."""
        index: list[ir.IExpr] = []
        while isinstance(a, ast.Index):
            index.insert(0, self.expr(a.index, ctx, pre))
            a = a.base
        if isinstance(a, ast.Unary) and a.op == "&":
            a = a.arg
        name = _dotted(a)
        sym = self.vars.get(name or "")
        if sym is None or sym.storage != "percpu":
            raise self.err("LZC206", f"'{name or '?'}' is not a per-CPU variable", _span(a),
                           help="declare it with percpu TYPE NAME;")
        return ir.EVar(sym.name, cpu, self.check_index(sym, index, _span(a)), sym.type)

    def check_index(self, sym: ir.VarSym, index: list[ir.IExpr], span: Span) -> tuple[
            ir.IExpr, ...]:
        """Check the index count and each index's type against a variable's dimensions."""
        if len(index) != len(sym.dims):
            raise self.err("LZC201", f"'{sym.name}' has {len(sym.dims)} dimension"
                           f"{'s' if len(sym.dims) != 1 else ''}, indexed with {len(index)}",
                           span)
        for ix, d in zip(index, sym.dims, strict=True):
            k = ir.type_of(ix).kind
            want = {ir.Dim.PTE: ir.Kind.PTE, ir.Dim.CPU: ir.Kind.CPU,
                    ir.Dim.TASK: ir.Kind.TASK, ir.Dim.FIXED: ir.Kind.INT}[d.dim]
            if k is not want and not (want is ir.Kind.INT and k is ir.Kind.INT):
                raise self.err("LZC201", f"'{sym.name}' is indexed by {want.value}, "
                               f"not {k.value}", span)
        return tuple(index)

    # ------------------------------------------------------------ expressions
    def cond(self, e: ast.AExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
        """Check an expression used as a condition (never void)."""
        c = self.expr(e, ctx, pre)
        if ir.type_of(c).kind is ir.Kind.VOID:
            raise self.err("LZC201", "void value used as a condition", _span(e))
        return c

    def coerce(self, v: ir.IExpr, ty: ir.Type, at: ast.AExpr) -> ir.IExpr:
        """Check that ``v`` fits type ``ty`` (LZC201/LZC205) and retype constants."""
        vt = ir.type_of(v)
        if vt.kind is ir.Kind.VOID:
            raise self.err("LZC201", "void value used", _span(at))
        if (isinstance(v, ir.EConst) and ty.kind in (ir.Kind.INT, ir.Kind.PTEVAL)
                and not ty.wrap and not ty.lo <= v.value <= ty.hi):
            raise self.err("LZC205", f"{v.value} is outside {ty}", _span(at),
                           help="widen the declared range or use a value inside it")
        if ty.kind is vt.kind and (ty.kind is not ir.Kind.ENUM or ty.enum == vt.enum):
            return v
        ok = {(ir.Kind.BOOL, ir.Kind.INT), (ir.Kind.INT, ir.Kind.BOOL),
              (ir.Kind.PTEVAL, ir.Kind.INT), (ir.Kind.INT, ir.Kind.PTEVAL)}
        if (ty.kind, vt.kind) in ok:
            if ty.kind is ir.Kind.BOOL and vt.kind is ir.Kind.INT:
                return ir.EBinary("!=", v, ir.EConst(0, vt), ir.BOOL)
            if isinstance(v, ir.EConst) and not ty.lo <= v.value <= ty.hi:
                raise self.err("LZC205", f"{v.value} is outside {ty}", _span(at))
            return v
        raise self.err("LZC201", f"expected {ty}, found {vt}", _span(at))

    def expr(self, e: ast.AExpr, ctx: _FnCtx, pre: Pre, want: ir.Type | None = None
             ) -> ir.IExpr:
        """Check an expression; calls with side effects are hoisted into ``pre``."""
        match e:
            case ast.Num(value=v):
                if want is not None and want.kind in (ir.Kind.INT, ir.Kind.PTEVAL,
                                                      ir.Kind.BOOL):
                    return ir.EConst(v, want if want.lo <= v <= want.hi else
                                     ir.Type(ir.Kind.INT, v, v))
                return ir.EConst(v, ir.Type(ir.Kind.INT, min(v, 0), max(v, 0)))
            case ast.Name(ident=name, span=span):
                return self.name(name, span, ctx, want)
            case ast.Member():
                return self.member(e, ctx, pre)
            case ast.Index(base=base, index=ix):
                indices: list[ir.IExpr] = [self.expr(ix, ctx, pre)]
                while isinstance(base, ast.Index):
                    indices.insert(0, self.expr(base.index, ctx, pre))
                    base = base.base
                aname = _dotted(base)
                asym = self.vars.get(aname or "")
                if asym is None:
                    raise self.err("LZC101", f"unknown array '{aname or '?'}'", _span(base))
                if asym.storage != "global":
                    how = "this_cpu_read()" if asym.storage == "percpu" else "current->"
                    raise self.err("LZC206", f"'{asym.name}' is {asym.storage}: read it with "
                                   f"{how}", _span(base))
                return ir.EVar(asym.name, None, self.check_index(asym, indices, _span(e)),
                               asym.type)
            case ast.Unary(op="!", arg=a):
                return ir.EUnary("!", self.cond(a, ctx, pre), ir.BOOL)
            case ast.Unary(op="-", arg=a):
                neg_arg = self.expr(a, ctx, pre)
                if isinstance(neg_arg, ir.EConst):
                    nv = -neg_arg.value
                    return ir.EConst(nv, ir.Type(ir.Kind.INT, nv, nv))
                return ir.EUnary("-", neg_arg, ir.type_of(neg_arg))
            case ast.Str(span=span):
                raise self.err("LZC201", "a string is only allowed as the property id of "
                               "__check()", span)
            case ast.Unary(op="&", span=span):
                raise self.err("LZC201", "'&' is only allowed in spin_lock(&lock) and "
                               "this_cpu_*(&var)", span)
            case ast.BinaryOp(op=op, left=left, right=right, span=span):
                return self.binary(op, left, right, span, ctx, pre)
            case ast.Cond(cond=c, then=t, other=o, span=span):
                cc = self.cond(c, ctx, pre)
                sub: Pre = []
                tt = self.expr(t, ctx, sub, want)
                oo = self.expr(o, ctx, sub, want)
                if sub:
                    raise self.err("LZC302", "call with side effects inside ?:", span,
                                   help="assign the call's result to a local first")
                ty = ir.type_of(tt)
                return ir.ECond(cc, tt, self.coerce(oo, ty, o), ty)
            case ast.CallExpr():
                return self.call_expr(e, ctx, pre)
        raise AssertionError(e)

    def binary(self, op: str, left: ast.AExpr, right: ast.AExpr, span: Span, ctx: _FnCtx,
               pre: Pre) -> ir.IExpr:
        """Check a binary operator; ``&&``/``||`` keep the right side's calls conditional."""
        if op == "&":
            return self.flag_mask(left, right, span, ctx, pre)
        a = self.expr(left, ctx, pre)
        if op in ("&&", "||"):
            sub: Pre = []
            b = self.expr(right, ctx, sub)
            if all(isinstance(x, ir.SNondet) for x in sub):
                pre.extend(sub)  # a choice made when unused changes nothing: make it first
            else:
                raise self.err("LZC302", f"call with side effects on the right of '{op}'",
                               _span(right), help="C would skip it when the left side "
                               "decides: assign it to a local first, under an if")
            return ir.EBinary(op, a, b, ir.BOOL)
        b = self.expr(right, ctx, pre, want=ir.type_of(a))
        ta, tb = ir.type_of(a), ir.type_of(b)
        if op in ("+", "-"):
            if ta.kind not in _INTLIKE or tb.kind not in _INTLIKE:
                raise self.err("LZC201", f"'{op}' needs integers, found {ta} and {tb}", span)
            return ir.EBinary(op, a, b, ta if ta.kind is ir.Kind.INT else tb)
        if isinstance(a, ir.EConst) and ta.kind is ir.Kind.INT:
            a = self.coerce_const(a, tb, left)
            ta = ir.type_of(a)
        if isinstance(b, ir.EConst) and tb.kind is ir.Kind.INT:
            b = self.coerce_const(b, ta, right)
            tb = ir.type_of(b)
        same = ta.kind is tb.kind and (ta.kind is not ir.Kind.ENUM or ta.enum == tb.enum)
        if not same and not (ta.kind in _INTLIKE and tb.kind in _INTLIKE):
            raise self.err("LZC201", f"cannot compare {ta} with {tb}", span)
        if ta.kind is ir.Kind.ENUM and op not in ("==", "!="):
            raise self.err("LZC201", f"'{op}' on enum values", span,
                           help="compare enums with == or !=")
        return ir.EBinary(op, a, b, ir.BOOL)

    def coerce_const(self, c: ir.EConst, ty: ir.Type, at: ast.AExpr) -> ir.IExpr:
        """Retype an integer constant compared with a value of type ``ty``."""
        if ty.kind is ir.Kind.ENUM:
            raise self.err("LZC201", f"comparing {ty} with the integer {c.value}", _span(at),
                           help=f"use one of {', '.join(ty.members)}")
        if ty.kind in (ir.Kind.PTEVAL, ir.Kind.INT, ir.Kind.BOOL):
            return ir.EConst(c.value, ty if ty.lo <= c.value <= ty.hi else c.type)
        if ty.kind in (ir.Kind.TASK, ir.Kind.CPU) and c.value >= 0:
            return ir.EConst(c.value, ty)  # task 0, cpu 1: numbered as in the trace
        return c

    def name(self, name: str, span: Span, ctx: _FnCtx, want: ir.Type | None = None
             ) -> ir.IExpr:
        """Resolve an identifier: a local, ``current``, a #define, an enum member, or a
        variable."""
        slot = ctx.lookup(name)
        if slot is not None and slot in ctx.snapshots:
            raise self.err("LZC201", f"'{name}' holds read_thread_flags(): test one flag of it "
                           f"with {name} & _TIF_NAME", span)
        if slot is not None:
            return ir.ELocal(slot, ctx.locals[slot].type)
        if name in self.consts:  # a #define'd constant reads as its number
            return self.expr(ast.Num(self.consts[name], span), ctx, [], want)
        if name == "current":
            return _current()
        if name in self.enum_of:
            en, v = self.enum_of[name]
            return ir.EConst(v, ir.Type(ir.Kind.ENUM, 0, len(self.enums[en]) - 1, enum=en,
                                        members=self.enums[en]))
        if name in self.ptes:
            return ir.EConst(self.ptes[name].index, ir.PTE)
        sym = self.vars.get(name)
        if sym is not None:
            if sym.storage != "global":
                how = "this_cpu_read(x) or per_cpu(x, cpu)" if sym.storage == "percpu" \
                    else "current->" + name
                raise self.err("LZC206", f"'{name}' is {sym.storage}: read it with {how}",
                               span)
            if sym.dims:
                raise self.err("LZC201", f"array '{name}' used without an index", span)
            return ir.EVar(name, None, (), sym.type)
        if name in self.flags:
            raise self.err("LZC206", f"thread flag '{name}' used as a value", span,
                           help=f"use test_thread_flag({name})")
        if name.startswith("_TIF_") and name[1:] in self.flags:
            raise self.err("LZC206", f"mask '{name}' outside 'flags & {name}'", span,
                           help=f"test a read_thread_flags() snapshot: flags & {name}")
        raise self.err("LZC101", f"unknown name '{name}'", span,
                       help="declare it, or check the spelling")

    def member(self, e: ast.Member, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
        """Resolve ``a.b``/``a->b``: a dotted global or a per-task field of a task."""
        whole = _dotted(e)
        if whole is not None and whole in self.vars and self.vars[whole].storage == "global":
            sym = self.vars[whole]
            return ir.EVar(whole, None, (), sym.type)
        path: list[str] = []
        base: ast.AExpr = e
        while isinstance(base, ast.Member):
            path.insert(0, base.member)
            if base.arrow:
                base = base.base
                break
            base = base.base
        else:
            raise self.err("LZC101", f"unknown name '{whole or '?'}'", e.span)
        field_name = ".".join(path)
        task = self.expr(base, ctx, pre)
        if ir.type_of(task).kind is not ir.Kind.TASK:
            raise self.err("LZC201", f"'->' on a {ir.type_of(task)}: only tasks have fields",
                           e.span)
        fsym = self.vars.get(field_name)
        if fsym is None or fsym.storage != "pertask":
            raise self.err("LZC101", f"no per-task field '{field_name}'", e.span,
                           help=f"declare it with pertask TYPE {field_name};")
        return ir.EVar(fsym.name, task, (), fsym.type)

    def call_expr(self, e: ast.CallExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
        """A call used as a value: a read-like built-in or a non-void model function."""
        name, span = e.func, e.span
        handler = self.expr_builtins.get(name)
        if handler is not None:
            return handler(e, ctx, pre)
        if name in self.fdecls:
            return self.call_value(e, ctx, pre)
        if name in self.stmt_builtins or name in _BUGS:
            raise self.err("LZC302", f"{name}() has no value", span,
                           help="call it as a statement")
        raise self.err("LZC104", f"unknown function '{name}'", span,
                       help="define it in the model, or check the spelling of the kernel "
                            "built-in (see docs/language.md)")

    def call_value(self, e: ast.CallExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
        """Check a model function call used as a value: pure inline or hoisted temporary."""
        name, span = e.func, e.span
        fd, _ = self.fdecls[name]
        ret = self.resolve_type(fd.ret)
        if ret.kind is ir.Kind.VOID:
            raise self.err("LZC201", f"void function {name}() used as a value", span)
        if "pure" in fd.qualifiers:
            iargs = self.args(e, fd, ctx, pre)
            ctx.calls.add(name)
            return ir.EPureCall(name, iargs, ret)
        if ctx.pure:
            raise self.err("LZC306", f"pure function calls {name}(), which is not pure",
                           span)
        tmp = self.temp(ctx, ret)
        pre.extend(self.call_stmt(e, ctx, ir.LLocal(tmp), f"{name}(...)"))
        return ir.ELocal(tmp, ret)

    def _expr_builtins(self) -> dict[str, ExprHandler]:
        """Built-ins usable as values, by name: the table call_expr dispatches on."""
        table: dict[str, ExprHandler] = {
            "this_cpu_read": self._this_cpu_read, "__this_cpu_read": self._this_cpu_read_checked,
            "per_cpu": self._per_cpu, "task_thread_info": self._task_thread_info,
            "spin_is_locked": self._spin_is_locked, "__nondet": self._nondet,
            "get_cpu": self._get_cpu,
        }
        for name in _FLAG_READS:
            table[name] = self._flags_word
        world = {"smp_processor_id": (ir.World.CHECKED_CPU, ir.CPU),
                 "raw_smp_processor_id": (ir.World.THIS_CPU, ir.CPU),
                 "in_interrupt": (ir.World.IN_INTERRUPT, ir.BOOL),
                 "preemptible": (ir.World.PREEMPTIBLE, ir.BOOL),
                 "irqs_disabled": (ir.World.IRQS_DISABLED, ir.BOOL),
                 "__isb_pending": (ir.World.ISB_PENDING, ir.BOOL),
                 "preempt_count": (ir.World.PREEMPT_COUNT, ir.Type(ir.Kind.INT, 0,
                                                                  ir.PREEMPT_MAX))}
        for name, (what, ty) in world.items():
            table[name] = self._world_read(what, ty)
        for name, what in (("__pte_read", ir.World.PTE_MEM), ("__pte_hw", ir.World.PTE_HW),
                           ("pte_is_kernel", ir.World.PTE_IS_KERNEL)):
            table[name] = self._pte_read(what)
        for name in ("pte_none", "pte_present", "pte_valid"):
            table[name] = self._pte_test("==" if name == "pte_none" else "!=")
        table["mk_pte"] = table["pfn_pte"] = self._mk_pte
        table["test_thread_flag"] = self._test_flag(False)
        table["test_ti_thread_flag"] = self._test_flag(True)
        for name in ("test_and_set_thread_flag", "test_and_clear_thread_flag",
                     "test_and_set_ti_thread_flag", "test_and_clear_ti_thread_flag"):
            table[name] = self._test_and_flag(name)
        for name in _WARNS:
            table[name] = self._warn_value
        return table

    def _nondet(self, e: ast.CallExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
        """``__nondet()``: true or false, either may happen (a condition the model abstracts)."""
        self.arity(e, 0)
        if ctx.pure or ctx.atomic_depth:
            raise self.err("LZC302", "__nondet() inside " + ("a pure function" if ctx.pure
                           else "an atomic block"), e.span,
                           help="a choice is a step of its own: make it before the block")
        tmp = self.temp(ctx, ir.BOOL)
        pre.append(ir.SNondet(tmp, e.span, "__nondet()"))
        return ir.ELocal(tmp, ir.BOOL)

    def _this_cpu_read(self, e: ast.CallExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
        self.arity(e, 1)
        return self.percpu_ref(e.args[0], ctx, pre, ir.EWorld(ir.World.THIS_CPU, (), ir.CPU))

    def _this_cpu_read_checked(self, e: ast.CallExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
        # __this_cpu_read(): __this_cpu_preempt_check("read") under CONFIG_DEBUG_PREEMPT
        self.arity(e, 1)
        return self.percpu_ref(e.args[0], ctx, pre, ir.EWorld(ir.World.CHECKED_CPU, (),
                                                              ir.CPU))

    def _per_cpu(self, e: ast.CallExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
        self.arity(e, 2)
        cpu = self.expr(e.args[1], ctx, pre)
        if ir.type_of(cpu).kind is not ir.Kind.CPU:
            raise self.err("LZC201", f"per_cpu() needs a cpu_t, found {ir.type_of(cpu)}",
                           _span(e.args[1]))
        return self.percpu_ref(e.args[0], ctx, pre, cpu)

    def _task_thread_info(self, e: ast.CallExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
        self.arity(e, 1)
        return self.task_arg(e.args[0], ctx, pre)

    def _get_cpu(self, e: ast.CallExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
        """``get_cpu()``: preempt_disable() as its own step, then smp_processor_id()."""
        self.arity(e, 0)
        if ctx.pure:
            raise self.err("LZC306", "get_cpu() disables preemption: not in a pure function",
                           e.span)
        pre.append(ir.SBuiltin(ir.Builtin.PREEMPT_DISABLE, (), e.span, "get_cpu();"))
        return ir.EWorld(ir.World.THIS_CPU, (), ir.CPU)

    def _flags_word(self, e: ast.CallExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
        """``read_thread_flags()`` as a bare value: the model has no flags word."""
        raise self.err("LZC201", f"{e.func}() is a snapshot of the whole flags word", e.span,
                       help="assign it to a local (thread_flags_t flags = "
                            f"{e.func}(...);) and test flags & _TIF_NAME, or test "
                            f"{e.func}(...) & _TIF_NAME at once")

    def flags_task(self, e: ast.AExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr | None:
        """The task whose flags ``e`` reads, if ``e`` is read_(task_)thread_flags()."""
        if not isinstance(e, ast.CallExpr) or e.func not in _FLAG_READS:
            return None
        if e.func == "read_thread_flags":
            self.arity(e, 0)
            return _current()
        self.arity(e, 1)
        return self.task_arg(e.args[0], ctx, pre)

    def snapshot_decl(self, s: ast.LocalDecl, ctx: _FnCtx) -> list[ir.IStmt]:
        """``thread_flags_t flags [= read_thread_flags()];``: one boolean slot per flag."""
        marker = ctx.new_local(s.name, _SNAPSHOT)
        bits = {f: ctx.new_local(f"{s.name}&_{f}", ir.BOOL) for f in self.flags}
        ctx.snapshots[marker] = bits
        ctx.scopes[-1][s.name] = marker
        if s.init is None:
            return []
        return self.snapshot_read(s.init, bits, s.span, s.text, ctx)

    def snapshot_read(self, value: ast.AExpr, bits: dict[str, int], span: Span, text: str,
                      ctx: _FnCtx) -> list[ir.IStmt]:
        """``flags = read_thread_flags()``: READ_ONCE(ti->flags), every flag in one step."""
        pre: Pre = []
        task = self.flags_task(value, ctx, pre)
        if task is None:
            raise self.err("LZC201", "a thread_flags_t holds only read_thread_flags() or "
                           "read_task_thread_flags(t)", _span(value))
        if ctx.pure:
            raise self.err("LZC306", "read_thread_flags() snapshot in a pure function", span,
                           help="test the flag directly: test_thread_flag(TIF_NAME)")
        reads = tuple(ir.SAssign(ir.LLocal(slot), ir.EFlag(self.flags[f], task), span,
                                 "" if i else text)  # one trace line for the one load
                      for i, (f, slot) in enumerate(bits.items()))
        return [*pre, ir.SAtomic(reads, span, text)]

    def flag_mask(self, left: ast.AExpr, right: ast.AExpr, span: Span, ctx: _FnCtx,
                  pre: Pre) -> ir.IExpr:
        """``flags & _TIF_X`` (or ``BIT(TIF_X)``): bit TIF_X of a snapshot, or of a fresh
        read_thread_flags()."""
        mask = right.ident if isinstance(right, ast.Name) else ""
        if (isinstance(right, ast.CallExpr) and right.func == "BIT" and len(right.args) == 1
                and isinstance(right.args[0], ast.Name)):
            mask = "_" + right.args[0].ident
        if mask in self.flags:
            raise self.err("LZC201", f"'{mask}' is a bit number, not a mask", _span(right),
                           help=f"test the mask: & _{mask} or & BIT({mask})")
        if not (mask.startswith("_TIF_") and mask[1:] in self.flags):
            raise self.err("LZC201", "'&' tests one thread flag: flags & _TIF_NAME", span,
                           help="the right side is the mask of a declared thread_flag")
        flag = mask[1:]
        task = self.flags_task(left, ctx, pre)
        if task is not None:
            return ir.EFlag(self.flags[flag], task)
        slot = ctx.lookup(left.ident) if isinstance(left, ast.Name) else None
        if slot is None or slot not in ctx.snapshots:
            raise self.err("LZC201", "'&' needs a read_thread_flags() snapshot on its left",
                           _span(left), help="thread_flags_t flags = read_thread_flags();")
        return ir.ELocal(ctx.snapshots[slot][flag], ir.BOOL)

    def _spin_is_locked(self, e: ast.CallExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
        self.arity(e, 1)
        return ir.ELockHeld(self.lock_ref(e.args[0]))

    def _world_read(self, what: ir.World, ty: ir.Type) -> ExprHandler:
        def h(e: ast.CallExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
            self.arity(e, 0)
            return ir.EWorld(what, (), ty)
        return h

    def _pte_read(self, what: ir.World) -> ExprHandler:
        def h(e: ast.CallExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
            self.arity(e, 1)
            p = self.coerce(self.expr(e.args[0], ctx, pre), ir.PTE, e.args[0])
            return ir.EWorld(what, (p,), ir.BOOL if what is ir.World.PTE_IS_KERNEL
                             else ir.PTEVAL)
        return h

    def _pte_test(self, op: str) -> ExprHandler:
        def h(e: ast.CallExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
            self.arity(e, 1)
            a = e.args[0]
            v = self.coerce(self.expr(a, ctx, pre, want=ir.PTEVAL), ir.PTEVAL, a)
            return ir.EBinary(op, v, ir.EConst(0, ir.PTEVAL), ir.BOOL)
        return h

    def _mk_pte(self, e: ast.CallExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
        self.arity(e, 1)
        a = e.args[0]
        return self.coerce(self.expr(a, ctx, pre, want=ir.PTEVAL), ir.PTEVAL, a)

    def _test_flag(self, ti: bool) -> ExprHandler:
        def h(e: ast.CallExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
            self.arity(e, 2 if ti else 1)
            task = self.task_arg(e.args[0], ctx, pre) if ti else _current()
            return ir.EFlag(self.flag_ref(e.args[-1]), task)
        return h

    def _test_and_flag(self, name: str) -> ExprHandler:
        ti = "_ti_" in name
        value = 1 if "_set_" in name else 0

        def h(e: ast.CallExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
            self.arity(e, 2 if ti else 1)
            task = self.task_arg(e.args[0], ctx, pre) if ti else _current()
            flag = self.flag_ref(e.args[-1])
            tmp = self.temp(ctx, ir.BOOL)
            pre.append(ir.SAtomic((
                ir.SAssign(ir.LLocal(tmp), ir.EFlag(flag, task), e.span, ""),
                ir.SAssign(ir.LFlag(flag, task), ir.EConst(value, ir.BOOL), e.span, ""),
            ), e.span, name + "()"))
            return ir.ELocal(tmp, ir.BOOL)
        return h

    def _warn_value(self, e: ast.CallExpr, ctx: _FnCtx, pre: Pre) -> ir.IExpr:
        self.arity(e, 1)
        c = self.cond(e.args[0], ctx, pre)
        tmp = self.temp(ctx, ir.BOOL)
        self.site += 1
        pre.append(ir.SAssign(ir.LLocal(tmp), c, e.span, ""))
        pre.append(ir.SBuiltin(ir.Builtin.WARN, (ir.ELocal(tmp, ir.BOOL),), e.span,
                               f"{e.func}(...)", self.site))
        return ir.ELocal(tmp, ir.BOOL)

    def temp(self, ctx: _FnCtx, ty: ir.Type) -> int:
        """Allocate a fresh temporary local of type ``ty``."""
        ctx.temps += 1
        return ctx.new_local(f"tmp{ctx.temps}", ty)

    def lvalue(self, target: ast.AExpr, ctx: _FnCtx, pre: Pre) -> tuple[ir.LValue, ir.IExpr]:
        """Check an assignment target; also return its current value for compound ops."""
        if isinstance(target, ast.Name):
            slot = ctx.lookup(target.ident)
            if slot is not None:
                return ir.LLocal(slot), ir.ELocal(slot, ctx.locals[slot].type)
        if isinstance(target, ast.CallExpr) and target.func == "per_cpu":
            cur = self.expr(target, ctx, pre)
        else:
            cur = self.expr(target, ctx, pre)
        if isinstance(cur, ir.EVar):
            return ir.LVar(cur.sym, cur.where, cur.index), cur
        raise self.err("LZC203", "cannot assign to this expression", _span(target),
                       help="assign to a local, a global, per_cpu(x, cpu) or current->field; "
                            "use this_cpu_write() for per-CPU variables")

    # ------------------------------------------------------------ whole program
    def check_calls(self, fns: list[ir.Function]) -> None:
        """Reject recursion among model functions (the world inlines every call)."""
        graph: dict[str, set[str]] = {f.name: set() for f in fns}
        for f in fns:
            graph[f.name] = ir.calls_in(f.body)
        state: dict[str, int] = {}

        def visit(n: str, stack: list[str]) -> None:
            state[n] = 1
            for m in sorted(graph.get(n, ())):
                if state.get(m) == 1:
                    fd = self.fdecls[n][0]
                    cycle = " -> ".join([*stack[stack.index(m):], n, m]) if m in stack \
                        else f"{n} -> {m}"
                    self.diags.append(Diagnostic("LZC301", f"recursive call: {cycle}",
                                                 fd.span, help="models are inlined; "
                                                 "unroll the recursion by hand"))
                elif m in graph and state.get(m) is None:
                    visit(m, [*stack, n])
            state[n] = 2

        for n in sorted(graph):
            if state.get(n) is None:
                visit(n, [])

    def check_roles(self) -> None:
        """LZC305 for every ``lazy_mmu_api`` role bound to an unknown function."""
        for (role, fn), span in self.roles.items():
            if fn not in self.fdecls:
                self.diags.append(Diagnostic("LZC305", f"{role} names unknown function "
                                             f"'{fn}'", span))

    def check_weak_model(self, fns: list[ir.Function]) -> None:
        """An arch that defers PTE writes must say whose lazy MMU mode is on.

        With the prelude's ``false`` lazy_mmu_task()/lazy_mmu_cpu() every mode
        property (mode-off-after-outermost, visible-after-disable, ...) holds
        trivially, so such a model would PASS without checking anything."""
        if any("__weak" not in self.fdecls[p][0].qualifiers
               for p in ("lazy_mmu_task", "lazy_mmu_cpu") if p in self.fdecls):
            return
        where: Span | None = None
        what = ""
        sp = self.fdecls.get("set_pte")
        if sp is not None and "__weak" not in sp[0].qualifiers and sp[1] in ("arch", "common"):
            where, what = sp[0].span, "overrides set_pte()"
        for f in fns:
            if where is None and f.file_kind in ("arch", "common") and _stores(f.body):
                where, what = f.span, f"defers PTE writes with __pte_store() in {f.name}()"
        if where is None:
            return
        self.diags.append(Diagnostic(
            "LZC309", f"the arch model {what} but never overrides lazy_mmu_task() or "
            "lazy_mmu_cpu(): every lazy MMU mode property would hold trivially", where,
            help="say whose mode is on: define 'pure bool lazy_mmu_task(task_t tsk)' "
                 "(the task carries lazy state, e.g. a thread flag) or 'pure bool "
                 "lazy_mmu_cpu(cpu_t cpu)' (the CPU does, e.g. a per-CPU batch->active)"))

    def run(self) -> ir.Program | None:
        """Check all files; the program, or ``None`` with the diagnostics in ``diags``."""
        self.collect()
        fns = self.check_functions()
        self.check_calls(fns)
        self.check_roles()
        if self.lint and not self.diags:
            self.check_weak_model(fns)
        if self.diags:
            return None
        files = tuple(ir.SourceFile(mf.path, mf.header.kind, mf.header.title,
                                    mf.header.source, tuple(
                                        d.site for d in mf.decls
                                        if isinstance(d, ast.KernelDecl)))
                      for mf in self.files if mf.header is not None)
        return ir.Program(
            files=files,
            vars=tuple(self.vars.values()),
            flags=tuple(self.flags),
            locks=tuple(self.locks),
            ptes=tuple(self.ptes.values()),
            functions=tuple(fns),
            roles=tuple(sorted(self.roles)),
            enums=tuple(self.enums.items()),
        )


def _current() -> ir.IExpr:
    return ir.EWorld(ir.World.CURRENT, (), ir.TASK)


def _dotted(e: ast.AExpr) -> str | None:
    if isinstance(e, ast.Name):
        return e.ident
    if isinstance(e, ast.Member) and not e.arrow:
        base = _dotted(e.base)
        return None if base is None else f"{base}.{e.member}"
    return None


def _span(e: ast.AExpr | ast.TypeRef) -> Span:
    return e.span


def _stores(body: tuple[ir.IStmt, ...]) -> bool:
    """Does ``body`` (nested blocks included) defer a PTE write with __pte_store()?"""
    for s in body:
        match s:
            case ir.SBuiltin(op=ir.Builtin.PTE_STORE):
                return True
            case ir.SIf(then=t, other=o) if _stores(t) or _stores(o):
                return True
            case ir.SAtomic(body=b) | ir.SFor(body=b) if _stores(b):
                return True
            case _:
                pass
    return False


def _always_returns(body: tuple[ir.IStmt, ...]) -> bool:
    for s in body:
        if isinstance(s, ir.SReturn):
            return True
        if isinstance(s, ir.SIf) and _always_returns(s.then) and _always_returns(s.other):
            return True
        if isinstance(s, ir.SBuiltin) and s.op is ir.Builtin.BUG and s.args == (
                ir.EConst(1, ir.BOOL),):
            return True
    return False


def builtin_names() -> frozenset[str]:
    """Every kernel built-in a model may call (docs/language.md lists each one)."""
    c = Checker([])
    return frozenset({*c.stmt_builtins, *c.expr_builtins, *_BUGS, *_WARNS, "__check",
                      "__reach"})


def check_program(files: list[ast.ModelFile], lint: bool = False,
                  ) -> tuple[ir.Program | None, list[Diagnostic]]:
    """Check parsed files into a Program; ``lint`` adds the weak-model check (LZC309)."""
    c = Checker(files, lint)
    prog = c.run()
    return prog, c.diags
