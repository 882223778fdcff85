"""Equivalence proofs over lazycheck's IR for tools/mutants.py (docs/mutants.md).

Three rules, each a proof that a swap of two adjacent statements cannot change
any dependent target's verdict.  Both read the checked IR of every dependent
target's program (never names or comments):

- **LOCALREAD**: a non-halting check (``WARN_ON``/``VM_WARN_ON*``) swapped with
  an assignment to a function local, where both read only constants, other
  locals and per-task variables of ``current``, and every write to those
  variables anywhere in the program goes through ``current`` in a function no
  switch hook reaches and no interrupt handler reaches past an
  ``in_interrupt()`` bail-out.  No other actor can then write what the two
  read between the two steps, the local is invisible to every other actor,
  and the check writes only the violation record: both orders see the same
  values.
- **STEP**: a swap inside one step (a context-switch hook that no function
  calls, which the scheduler runs as one step, or an ``atomic { }`` block)
  of two statements whose transitive footprints (variables, thread flags,
  PTE state, callee locals) are disjoint and which contain no check, no
  monitored call (an API role or a PTE writer) and no built-in with other
  effects.  Sequential composition of disjoint updates commutes.
- **PRIVATE**: a store ``current->field = e`` (``e`` of constants and locals)
  swapped with a statement that cannot leave the block (no return, jump or
  BUG) and whose code, transitively, never reads or writes ``field`` nor a
  local ``e`` reads, where ``field`` is read by no pure function (the
  monitors' predicates) and read or written, everywhere in the program, only
  through ``current`` by code no switch hook reaches and no interrupt handler
  reaches past an ``in_interrupt()`` bail-out.  No actor but the task itself
  can observe the field, and the task is inside the window: the store
  commutes with every step of the other statement and of every other actor.
"""

from __future__ import annotations

from collections.abc import Iterable

from lazycheck import ir

WARNS = frozenset({ir.Builtin.WARN})
_PTE_OPS = frozenset({ir.Builtin.PTE_SYNC, ir.Builtin.PTE_WRITE, ir.Builtin.PTE_STORE,
                      ir.Builtin.DSB, ir.Builtin.ISB, ir.Builtin.MB})
_CONST_WORLD = frozenset({ir.World.CURRENT, ir.World.THIS_CPU})
Token = tuple[str, ...]


def pair_at(prog: ir.Program, file: str, line: int) -> tuple[ir.Function, tuple[ir.IStmt, ...],
                                                              int] | None:
    """(function, block, index) of the two adjacent IR statements at ``line``, ``line + 1``."""
    for f in prog.functions:
        for block in _blocks(f.body):
            for k in range(len(block) - 1):
                a, b = block[k].span, block[k + 1].span
                if (a.file == file and a.line == line and b.file == file
                        and b.line == line + 1):
                    return f, block, k
    return None


def _blocks(body: tuple[ir.IStmt, ...]) -> Iterable[tuple[ir.IStmt, ...]]:
    yield body
    for s in body:
        match s:
            case ir.SIf(then=t, other=o):
                yield from _blocks(t)
                yield from _blocks(o)
            case ir.SAtomic(body=b) | ir.SFor(body=b):
                yield from _blocks(b)
            case _:
                pass


def in_atomic(f: ir.Function, block: tuple[ir.IStmt, ...]) -> bool:
    """Whether ``block`` lies (at any depth) inside an ``atomic { }`` of ``f``."""
    def walk(body: tuple[ir.IStmt, ...], inside: bool) -> bool:
        if body is block:
            return inside
        for s in body:
            match s:
                case ir.SIf(then=t, other=o):
                    if walk(t, inside) or walk(o, inside):
                        return True
                case ir.SAtomic(body=b):
                    if walk(b, True):
                        return True
                case ir.SFor(body=b):
                    if walk(b, inside):
                        return True
                case _:
                    pass
        return False
    return walk(f.body, False)


def reachable(prog: ir.Program, roots: Iterable[str]) -> set[str]:
    """Every function the functions ``roots`` call, transitively (roots included)."""
    names = {f.name for f in prog.functions}
    seen: set[str] = set()
    todo = [r for r in roots if r in names]
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        todo.extend(c for c in ir.calls_in(prog.function(n).body) if c in names)
    return seen


def called_anywhere(prog: ir.Program, name: str) -> bool:
    """Whether some function of ``prog`` calls ``name``."""
    return any(name in ir.calls_in(f.body) for f in prog.functions)


# ---------------------------------------------------------------- LOCALREAD


def task_fields(e: ir.IExpr, skip_slot: int | None) -> set[str] | None:
    """The per-task variables of ``current`` that ``e`` reads; None if it reads anything else.

    Allowed: constants, locals (but not ``skip_slot``), ``current->field`` and
    operators over them.
    """
    match e:
        case ir.EConst():
            return set()
        case ir.ELocal(slot=s):
            return None if s == skip_slot else set()
        case ir.EVar(sym=sym, where=ir.EWorld(what=ir.World.CURRENT), index=()):
            return {sym}
        case ir.EUnary(arg=a):
            return task_fields(a, skip_slot)
        case ir.EBinary(left=a, right=b):
            fa, fb = task_fields(a, skip_slot), task_fields(b, skip_slot)
            return None if fa is None or fb is None else fa | fb
        case _:
            return None


def bails_in_interrupt(f: ir.Function) -> bool:
    """Whether ``f`` starts with ``if (in_interrupt() || ...) return;``."""
    if not f.body:
        return False
    first = f.body[0]
    if not (isinstance(first, ir.SIf) and not first.other and len(first.then) == 1
            and isinstance(first.then[0], ir.SReturn)):
        return False
    return _has_disjunct(first.cond, ir.World.IN_INTERRUPT)


def _has_disjunct(e: ir.IExpr, what: ir.World) -> bool:
    match e:
        case ir.EWorld(what=w) if w is what:
            return True
        case ir.EBinary(op="||", left=a, right=b):
            return _has_disjunct(a, what) or _has_disjunct(b, what)
        case _:
            return False


def private_writes(prog: ir.Program, fields: set[str], hooks: Iterable[str]) -> str:
    """"" when only the running task itself can write ``fields`` of itself; else why not."""
    from_switch = reachable(prog, hooks)
    from_irq = reachable(prog, (f.name for f in prog.functions if f.is_irq))
    for f in prog.functions:
        for s in ir.walk(f.body):
            if not (isinstance(s, ir.SAssign) and isinstance(s.target, ir.LVar)
                    and s.target.sym in fields):
                continue
            if not (isinstance(s.target.where, ir.EWorld)
                    and s.target.where.what is ir.World.CURRENT):
                return f"{f.name}() writes {s.target.sym} of a task other than current"
            if f.name in from_switch:
                return f"{f.name}() writes {s.target.sym} and runs in a switch hook"
            if f.name in from_irq and not bails_in_interrupt(f):
                return f"{f.name}() writes {s.target.sym} and runs in interrupt context"
    return ""


def local_read_swap(prog: ir.Program, file: str, line: int, hooks: Iterable[str]) -> str:
    """Rule LOCALREAD on one program: why the swap at ``line`` changes nothing, or ""."""
    found = pair_at(prog, file, line)
    if found is None:
        return ""
    _, block, k = found
    a, b = block[k], block[k + 1]
    check, assign = (a, b) if isinstance(a, ir.SBuiltin) else (b, a)
    if not (isinstance(check, ir.SBuiltin) and check.op in WARNS
            and isinstance(assign, ir.SAssign) and isinstance(assign.target, ir.LLocal)):
        return ""
    slot = assign.target.slot
    reads = [task_fields(x, slot) for x in check.args] + [task_fields(assign.value, None)]
    if any(r is None for r in reads):
        return ""
    fields = set().union(*(r for r in reads if r is not None))
    if private_writes(prog, fields, hooks):
        return ""
    return ("local read: the check and the local's read see the same per-task fields "
            f"({', '.join(sorted(fields)) or 'none'}), which only the task itself writes")


# ---------------------------------------------------------------- STEP


class Footprint:
    """The state one statement reads and writes, transitively through its calls."""

    def __init__(self, prog: ir.Program, forbidden: frozenset[str]) -> None:
        """``forbidden``: functions whose calls are monitored (roles, PTE writers)."""
        self.prog, self.forbidden = prog, forbidden
        self.names = {f.name for f in prog.functions}

    def stmt(self, s: ir.IStmt, fn: str, stack: tuple[str, ...] = ()
             ) -> tuple[set[Token], set[Token]] | None:
        """(reads, writes) of ``s`` in function ``fn``; None when not classifiable."""
        r: set[Token] = set()
        w: set[Token] = set()
        ok = self._stmt(s, fn, stack, r, w)
        return (r, w) if ok else None

    def _stmt(self, s: ir.IStmt, fn: str, stack: tuple[str, ...], r: set[Token],
              w: set[Token]) -> bool:
        match s:
            case ir.SAssign(target=t, value=v):
                return self._target(t, fn, r, w) and self._expr(v, fn, r)
            case ir.SIf(cond=c, then=t, other=o):
                return self._expr(c, fn, r) and all(self._stmt(x, fn, stack, r, w)
                                                    for x in (*t, *o))
            case ir.SAtomic(body=b):
                return all(self._stmt(x, fn, stack, r, w) for x in b)
            case ir.SFor(slot=slot, body=b):
                w.add(("local", fn, str(slot)))
                return all(self._stmt(x, fn, stack, r, w) for x in b)
            case ir.SReturn(value=v):
                return v is None or self._expr(v, fn, r)
            case ir.SCall():
                return self._call(s, fn, stack, r, w)
            case ir.SBuiltin(op=op, args=args) if op in _PTE_OPS:
                if op is not ir.Builtin.MB:
                    r.add(("pte",))
                    w.add(("pte",))
                if op in (ir.Builtin.DSB, ir.Builtin.ISB):
                    w.add(("isb",))
                return all(self._expr(x, fn, r) for x in args)
            case _:
                return False

    def _call(self, s: ir.SCall, fn: str, stack: tuple[str, ...], r: set[Token],
              w: set[Token]) -> bool:
        if s.func in self.forbidden or s.func not in self.names or s.func in stack:
            return False
        if s.dest is not None:
            w.add(("local", fn, str(s.dest.slot)))
        callee = self.prog.function(s.func)
        w.update(("local", callee.name, str(k)) for k in range(len(callee.locals)))
        return all(self._expr(x, fn, r) for x in s.args) and all(
            self._stmt(x, callee.name, (*stack, fn), r, w) for x in callee.body)

    def _target(self, t: ir.LValue, fn: str, r: set[Token], w: set[Token]) -> bool:
        match t:
            case ir.LLocal(slot=slot):
                w.add(("local", fn, str(slot)))
                return True
            case ir.LVar(sym=sym, where=where, index=index):
                w.add(("var", sym))
                return all(self._expr(x, fn, r) for x in (*index, *(() if where is None
                                                                    else (where,))))
            case ir.LFlag(flag=flag, task=task):
                w.add(("flag", str(flag)))
                return self._expr(task, fn, r)
        return False

    def _expr(self, e: ir.IExpr, fn: str, r: set[Token]) -> bool:
        match e:
            case ir.EConst():
                return True
            case ir.ELocal(slot=slot):
                r.add(("local", fn, str(slot)))
                return True
            case ir.EVar(sym=sym, where=where, index=index):
                r.add(("var", sym))
                return all(self._expr(x, fn, r) for x in (*index, *(() if where is None
                                                                    else (where,))))
            case ir.EFlag(flag=flag, task=task):
                r.add(("flag", str(flag)))
                return self._expr(task, fn, r)
            case ir.EWorld(what=what, args=args):
                if what not in _CONST_WORLD:
                    r.add(("pte",) if what in (ir.World.PTE_MEM, ir.World.PTE_HW)
                          else ("world", what.value))
                return all(self._expr(x, fn, r) for x in args)
            case ir.EUnary(arg=a):
                return self._expr(a, fn, r)
            case ir.EBinary(left=a, right=b):
                return self._expr(a, fn, r) and self._expr(b, fn, r)
            case ir.ECond(cond=c, then=t, other=o):
                return all(self._expr(x, fn, r) for x in (c, t, o))
            case ir.EPureCall(func=f, args=args):
                body = self.prog.function(f).body
                return all(self._expr(x, fn, r) for x in args) and all(
                    self._stmt(x, f, (), r, set()) for x in body)
            case _:
                return False


def step_swap(prog: ir.Program, file: str, line: int, hooks: frozenset[str],
              forbidden: frozenset[str]) -> str:
    """Rule STEP on one program: why the swap at ``line`` changes nothing, or ""."""
    found = pair_at(prog, file, line)
    if found is None:
        return ""
    f, block, k = found
    one_step = in_atomic(f, block) or (f.name in hooks and not called_anywhere(prog, f.name))
    if not one_step:
        return ""
    fp = Footprint(prog, forbidden)
    a, b = fp.stmt(block[k], f.name), fp.stmt(block[k + 1], f.name)
    if a is None or b is None:
        return ""
    (ra, wa), (rb, wb) = a, b
    if wa & (rb | wb) or wb & ra:
        return ""
    where = "atomic block" if in_atomic(f, block) else f"switch hook {f.name}()"
    return f"one step ({where}), disjoint footprints"


# ---------------------------------------------------------------- PRIVATE


def _syms(e: ir.IExpr) -> set[str]:
    """Every declared variable ``e`` names (reads), at any depth."""
    match e:
        case ir.EVar(sym=sym, where=where, index=index):
            out = {sym}
            for x in (*index, *(() if where is None else (where,))):
                out |= _syms(x)
            return out
        case ir.EWorld(args=a) | ir.EPureCall(args=a):
            return set().union(*(_syms(x) for x in a)) if a else set()
        case ir.EFlag(task=t):
            return _syms(t)
        case ir.EUnary(arg=a):
            return _syms(a)
        case ir.EBinary(left=a, right=b):
            return _syms(a) | _syms(b)
        case ir.ECond(cond=c, then=t, other=o):
            return _syms(c) | _syms(t) | _syms(o)
        case _:
            return set()


def _locals_read(e: ir.IExpr) -> set[int]:
    match e:
        case ir.ELocal(slot=s):
            return {s}
        case ir.EUnary(arg=a):
            return _locals_read(a)
        case ir.EBinary(left=a, right=b):
            return _locals_read(a) | _locals_read(b)
        case ir.EConst():
            return set()
        case _:
            return {-1}  # anything else: not a plain local/constant expression


def _stmt_exprs(s: ir.IStmt) -> tuple[ir.IExpr, ...]:
    match s:
        case ir.SAssign(target=ir.LVar(where=w, index=ix), value=v):
            return (v, *ix, *(() if w is None else (w,)))
        case ir.SAssign(target=ir.LFlag(task=t), value=v):
            return (v, t)
        case ir.SAssign(value=v):
            return (v,)
        case ir.SCall(args=a) | ir.SBuiltin(args=a):
            return a
        case ir.SIf(cond=c):
            return (c,)
        case ir.SReturn(value=v) if v is not None:
            return (v,)
        case _:
            return ()


def _touches(body: tuple[ir.IStmt, ...], field: str) -> bool:
    for s in ir.walk(body):
        if isinstance(s, ir.SAssign) and isinstance(s.target, ir.LVar) \
                and s.target.sym == field:
            return True
        if any(field in _syms(x) for x in _stmt_exprs(s)):
            return True
    return False


def _pure_calls(body: tuple[ir.IStmt, ...]) -> set[str]:
    out: set[str] = set()
    for s in ir.walk(body):
        for x in _stmt_exprs(s):
            out |= ir.calls_in((ir.SReturn(x, s.span),))
    return out


def private_field(prog: ir.Program, field: str, hooks: Iterable[str]) -> str:
    """"" when only the running task's own code, outside interrupts and switch hooks,
    reads or writes ``field`` of itself, and no pure function (monitor predicate) reads it."""
    from_switch = reachable(prog, hooks)
    from_irq = reachable(prog, (f.name for f in prog.functions if f.is_irq))
    for f in prog.functions:
        if not _touches(f.body, field):
            continue
        if "pure" in f.qualifiers:
            return f"pure {f.name}() reads {field}"
        if f.name in from_switch or (f.name in from_irq and not bails_in_interrupt(f)):
            return f"{f.name}() touches {field} from a switch hook or an interrupt"
        for s in ir.walk(f.body):
            where = s.target.where if isinstance(s, ir.SAssign) and isinstance(
                s.target, ir.LVar) and s.target.sym == field else None
            exprs = [x for e in _stmt_exprs(s) for x in _field_reads(e, field)]
            if where is not None:
                exprs.append(where)
            if any(not (isinstance(x, ir.EWorld) and x.what is ir.World.CURRENT)
                   for x in exprs):
                return f"{f.name}() touches {field} of a task other than current"
    return ""


def _field_reads(e: ir.IExpr, field: str) -> list[ir.IExpr]:
    """The task expressions (``where``) of every read of ``field`` in ``e``."""
    out: list[ir.IExpr] = []
    match e:
        case ir.EVar(sym=sym, where=where, index=index):
            if sym == field:
                out.append(where if where is not None else ir.EConst(0, ir.BOOL))
            for x in (*index, *(() if where is None else (where,))):
                out += _field_reads(x, field)
        case ir.EWorld(args=a) | ir.EPureCall(args=a):
            for x in a:
                out += _field_reads(x, field)
        case ir.EFlag(task=t) | ir.EUnary(arg=t):
            out += _field_reads(t, field)
        case ir.EBinary(left=a, right=b):
            out += _field_reads(a, field) + _field_reads(b, field)
        case ir.ECond(cond=c, then=t, other=o):
            out += _field_reads(c, field) + _field_reads(t, field) + _field_reads(o, field)
        case _:
            pass
    return out


def private_store_swap(prog: ir.Program, file: str, line: int, hooks: Iterable[str]) -> str:
    """Rule PRIVATE on one program: why the swap at ``line`` changes nothing, or ""."""
    found = pair_at(prog, file, line)
    if found is None:
        return ""
    _, block, k = found
    a, b = block[k], block[k + 1]
    store, other = (a, b) if _is_private_store(a) else (b, a)
    if not _is_private_store(store) or _is_private_store(other):
        return ""
    assert isinstance(store, ir.SAssign) and isinstance(store.target, ir.LVar)
    field = store.target.sym
    if any(isinstance(x, (ir.SReturn, ir.SJump, ir.SGoto, ir.SLabel)) or (
            isinstance(x, ir.SBuiltin) and x.op is ir.Builtin.BUG) for x in ir.walk((other,))):
        return ""  # the store would move across a return, a jump or a halt
    used = _locals_read(store.value)
    if -1 in used or used & _locals_written(other):
        return ""
    callees = reachable(prog, ir.calls_in((other,)) | _pure_calls((other,)))
    if _touches((other,), field) or any(_touches(prog.function(c).body, field)
                                         for c in callees):
        return ""
    if private_field(prog, field, hooks):
        return ""
    return (f"private store: {field} is read and written only by the task itself outside "
            "interrupts and switch hooks, and the other statement never touches it")


def _is_private_store(s: ir.IStmt) -> bool:
    return (isinstance(s, ir.SAssign) and isinstance(s.target, ir.LVar)
            and isinstance(s.target.where, ir.EWorld)
            and s.target.where.what is ir.World.CURRENT and not s.target.index)


def _locals_written(s: ir.IStmt) -> set[int]:
    out: set[int] = set()
    for x in ir.walk((s,)):
        if isinstance(x, ir.SAssign) and isinstance(x.target, ir.LLocal):
            out.add(x.target.slot)
        elif isinstance(x, ir.SCall) and x.dest is not None:
            out.add(x.dest.slot)
        elif isinstance(x, (ir.SFor, ir.SNondet)):
            out.add(x.slot)
    return out
