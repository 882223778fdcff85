"""Mutation testing of the arch and API models: does some target notice each change?

``make mutants`` (``python tools/mutants.py``) makes small, kernel-meaningful
changes to ``models/arch/*.lazy`` and ``models/api/*.lazy`` one at a time --
delete a ``preempt_disable()``, a flush, a ``BUG_ON``/``WARN``, any other
statement; swap two adjacent statements; invert an ``if``; drop a line of a
context-switch hook; delete a ``preempt_disable()``/``preempt_enable()`` pair
(a per-CPU access made preemptible) -- and runs, for each mutant, the targets
that depend on the file (:mod:`lazycheck.run.depgraph`) exactly as ``ci``
does.  A mutant is *killed* when some dependent target no longer has its
expected verdict (a mismatch, or UNKNOWN: either way the gate is not green),
*stillborn* when the models no longer load (the gate reports ERROR), and
*survives* otherwise.  Score = killed / (killed + survived).  Survivors are
listed; each must be killed by a new target or property or justified as
equivalent in docs/mutants.md.

Each mutant runs in a scratch copy of models/ and specs/; the repository is
never modified.  Options: ``--files`` (globs under models/), ``--limit N``
(first N mutants), ``--json PATH`` (write every result), ``--timeout S``
(per target run).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import mutant_proofs  # noqa: E402  (tools/, beside this script)

from lazycheck import ir  # noqa: E402
from lazycheck.errors import LazycheckError  # noqa: E402
from lazycheck.kernel.monitors import PTE_WRITERS  # noqa: E402
from lazycheck.kernel.scheduler import SWITCH_HOOKS  # noqa: E402
from lazycheck.lang.loader import load  # noqa: E402
from lazycheck.outcome import Verdict  # noqa: E402
from lazycheck.run import depgraph  # noqa: E402
from lazycheck.run.verify import run  # noqa: E402
from lazycheck.targets import Expectation, Target, load_target, target_names  # noqa: E402
from lazycheck.views.ci_rows import gate_problem  # noqa: E402

_CALL = re.compile(r"^(\s*)([A-Za-z_]\w*)\s*\(.*\)\s*;\s*(/\*.*\*/|//.*)?$")
_STMT = re.compile(r"^\s+[^\s{}#/*].*;\s*(/\*.*\*/|//.*)?$")
_IF = re.compile(r"^(\s*(?:\}\s*else\s+)?if\s*)\((.*)\)(\s*\{?\s*)$")
_TABLE = re.compile(r"^\s*\w+\s*=\s*\w+\s*;")  # a lazy_mmu_api entry: order is irrelevant
_FUNC = re.compile(r"^(?:[\w<>.*]+\s+)+\**(\w+)\s*\(")


@dataclass(frozen=True)
class Mutant:
    file: str  # relative to the repository
    line: int  # 1-based line of the (first) change
    kind: str
    what: str  # the original line(s), stripped
    text: str  # the whole mutated file
    deleted: tuple[int, ...] = ()  # 1-based lines of the original that are gone


@dataclass(frozen=True)
class Outcome:
    mutant: str
    kind: str
    status: str  # killed | survived | stillborn | equivalent
    by: str  # the target that killed it, or why it is stillborn
    seconds: float


def _kind_of_call(name: str, func: str) -> str:
    if "context_switch" in func or func.endswith("switch_to"):
        return "drop-hook-line"
    if name == "preempt_disable":
        return "delete-preempt_disable"
    if "flush" in name:
        return "delete-flush"
    if name.startswith(("BUG", "WARN", "VM_WARN", "VM_BUG")):
        return "delete-check"
    return "delete-statement"


def _functions(lines: list[str]) -> list[str]:
    """The enclosing function name of every line ("" outside functions)."""
    out, current, depth = [], "", 0
    for line in lines:
        if depth == 0:
            m = _FUNC.match(line)
            if m:
                current = m.group(1)
        depth += line.count("{") - line.count("}")
        out.append(current if depth > 0 or "}" in line else "")
        if depth <= 0:
            depth = 0
    return out


def mutants_of(rel: str, text: str) -> list[Mutant]:
    """Every mutant of one model file, in line order."""
    lines = text.split("\n")
    funcs = _functions(lines)
    out: list[Mutant] = []

    def make(i: int, kind: str, new: list[str], what: str, gone: tuple[int, ...] = ()) -> None:
        out.append(Mutant(rel, i + 1, kind, what.strip(), "\n".join(new), gone))

    for i, line in enumerate(lines):
        if not funcs[i]:
            continue
        m = _CALL.match(line)
        if m or _STMT.match(line):
            kind = _kind_of_call(m.group(2), funcs[i]) if m else (
                "drop-hook-line" if "context_switch" in funcs[i] else "delete-statement")
            if not line.strip().startswith(("return", "enum ", "int", "bool", "cpu_t", "u8")):
                make(i, kind, lines[:i] + lines[i + 1:], line, (i + 1,))
        mi = _IF.match(line)
        if mi:
            make(i, "invert-condition",
                 [*lines[:i], f"{mi.group(1)}(!({mi.group(2)})){mi.group(3)}", *lines[i + 1:]],
                 line)
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if (_STMT.match(line) and _STMT.match(nxt) and funcs[i + 1] == funcs[i]
                and _indent(line) == _indent(nxt) and line.strip() != nxt.strip()
                and not _declares(line) and not _declares(nxt)
                and not (_TABLE.match(line) and _TABLE.match(nxt))):
            make(i, "swap-statements", [*lines[:i], nxt, line, *lines[i + 2:]],
                 f"{line.strip()} <-> {nxt.strip()}")
        if m and m.group(2) == "preempt_disable":
            j = _matching_enable(lines, funcs, i)
            if j is not None:
                new = [x for k, x in enumerate(lines) if k not in (i, j)]
                make(i, "make-preemptible", new, f"{line.strip()} ... {lines[j].strip()}",
                     (i + 1, j + 1))
    return out


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


def _declares(line: str) -> bool:
    return bool(re.match(r"^\s*(enum\s+\w+|int(<[^>]*>)?|bool|cpu_t|u8|pte_t|task_t)\s+\w+",
                         line))


def _matching_enable(lines: list[str], funcs: list[str], i: int) -> int | None:
    """The preempt_enable() that closes the preempt_disable() on line ``i`` (same function)."""
    depth = 0
    for j in range(i, len(lines)):
        if funcs[j] != funcs[i]:
            return None
        s = lines[j].strip()
        if s.startswith("preempt_disable("):
            depth += 1
        elif s.startswith("preempt_enable("):
            depth -= 1
            if depth == 0:
                return j
    return None


def is_fixture(path: Path) -> bool:
    """A model that is itself a hand-made mutant of a kernel model: its header says
    "A MUTATION, not a kernel" or "NOT a kernel commit" (a counterfactual).

    Its text is a copy of kernel models that are mutated on their own (or, for a
    counterfactual, the base's code with one deliberate change); mutating it
    would count mutants of code no kernel has, against a target that exists to
    FAIL because of the one change the model makes.
    """
    head = path.read_text(encoding="utf-8")[:2000]
    return "A MUTATION, not a kernel" in head or "NOT a kernel commit" in head


def dependents(root: Path) -> dict[str, list[str]]:
    """Model file (relative) -> the targets that depend on it, fastest first."""
    g, _ = depgraph.build(root)
    out: dict[str, list[str]] = {}
    for f in g.nodes:
        if str(f).startswith("models/"):
            out[str(f)] = depgraph.affected(g, {str(f)})
    return out


def baseline(root: Path, names: list[str], timeout: float) -> dict[str, float]:
    """Every target's run time, checking that each has its expected verdict today."""
    times = {}
    for n in names:
        t0 = time.monotonic()
        o = run(load_target(n, root), root, max_states=500_000, timeout_s=timeout)
        if not o.as_expected or gate_problem(o) or o.verdict is Verdict.UNKNOWN:
            print(f"mutants: target {n} is not green before mutation ({o.status}); "
                  "it cannot judge mutants and is left out", flush=True)
            continue
        times[n] = time.monotonic() - t0
    return times


def shifted(t: Target, m: Mutant) -> Target:
    """``t`` with its expected location moved as the mutant's deleted lines move it.

    Deleting an unrelated line above a BUG_ON moves the BUG_ON up: the same
    check, not a kill.  A deleted check's location is gone: the line number
    now belongs to the statement that moved up into it, so a violation caught
    by that next check must not match (it is a kill, the check fired
    elsewhere); the expectation names the deleted line, which no span has.
    A swap moves the expected check to the other line of the pair, so a
    second check swapped in front of it fires elsewhere.
    """
    claims = tuple(dataclasses.replace(c, expect=_moved(c.expect, m)) for c in t.claims)
    return dataclasses.replace(t, expect=_moved(t.expect, m), claims=claims)


def _moved(exp: Expectation, m: Mutant) -> Expectation:
    at = exp.at
    if not at or at.rsplit(":", 1)[0] != Path(m.file).name:
        return exp
    line = int(at.rsplit(":", 1)[1])
    if line in m.deleted:
        return dataclasses.replace(exp, at=f"{at} (deleted)")
    if m.kind == "swap-statements" and line in (m.line, m.line + 1):
        other = m.line + 1 if line == m.line else m.line  # the check moved with its swap
        return dataclasses.replace(exp, at=f"{Path(m.file).name}:{other}")
    moved = line - sum(1 for d in m.deleted if d < line)
    return dataclasses.replace(exp, at=f"{Path(m.file).name}:{moved}")


# ---------------------------------------------------------------- equivalent mutants
# A mutant is classified *equivalent* only by one of these two rules, each a proof
# that no target can tell it from the original (docs/mutants.md, "Equivalent
# mutants").  Never because no target happened to kill it.
#
# Rule TCE (trivial compiler equivalence): every dependent target's program,
# compiled by lazycheck's own checker from the mutated file, is equal to the
# original's as IR (source positions and statement texts are not part of IR
# equality).  The system a target checks is built from that IR alone, so the
# behaviours are the same; a deleted no-op line only moves the lines below it,
# and `[expect] at` is moved with them (shifted()).
#
# Rule COMMUTE: a swap of two statements that lie inside one `atomic { }` block
# (one step: no other CPU, task or interrupt runs between them) and whose
# footprints are disjoint (neither writes what the other reads or writes), where
# each is an assignment or a PTE built-in from a fixed table and neither calls a
# model function, a check (BUG/WARN) or a scheduling/preemption built-in.  Two
# such state updates in one step commute: the step's result is the same.

_PTE_FOOT = {  # built-in -> (state it reads, state it writes), from kernel/symexec.py
    "__pte_sync": ({"pte_mem", "pte_stored"}, {"pte_hw", "pte_stored", "ghost_settle"}),
    "__pte_write": (set(), {"pte_mem", "pte_hw", "pte_stored", "ghost_settle"}),
    "__pte_store": (set(), {"pte_mem", "pte_stored"}),
}
_PURE_READS = frozenset({"per_cpu", "this_cpu_read", "__pte_read", "test_thread_flag",
                         "test_ti_thread_flag", "task_thread_info", "true", "false"})
_IDENT = re.compile(r"[A-Za-z_][\w.]*")
_ASSIGN = re.compile(r"^\s*(.+?)\s*(?:[-+]?=)\s*(.+?);")


def _reads(text: str) -> set[str] | None:
    """Identifiers an expression reads; None if it calls anything not known pure."""
    for call in re.findall(r"([A-Za-z_]\w*)\s*\(", text):
        if call not in _PURE_READS:
            return None
    return {x for x in _IDENT.findall(text) if x not in _PURE_READS}


def footprint(stmt: str) -> tuple[set[str], set[str]] | None:
    """(reads, writes) of one simple statement, or None when it is not classifiable."""
    s = re.sub(r"/\*.*?\*/|//.*$", "", stmt).strip()
    call = re.match(r"^([A-Za-z_]\w*)\s*\((.*)\)\s*;$", s)
    if call and call.group(1) in _PTE_FOOT:
        args = _reads(call.group(2))
        if args is None:
            return None
        r, w = _PTE_FOOT[call.group(1)]
        return r | args, set(w)
    if call and call.group(1) in ("this_cpu_write", "__this_cpu_write"):
        var, _, value = call.group(2).partition(",")
        s = f"{var} = {value};"
    m = _ASSIGN.match(s)
    if not m or "==" in s.split(";")[0].split("=", 1)[0]:
        return None
    lhs, rhs = m.group(1), m.group(2)
    pc = re.match(r"^per_cpu\((.*),\s*(\w+)\)$", lhs)
    base = pc.group(1) if pc else lhs
    # a task field is one variable whatever task expression names it (current->f, tsk->f):
    # keep only the field path, as _IDENT reads it on the other side
    name = re.match(r"^[A-Za-z_][\w.]*", base.rsplit("->", 1)[-1].strip())
    reads_l = _reads(lhs.replace("per_cpu(", "(")) if pc else _reads(lhs)
    reads_r = _reads(rhs)
    if name is None or reads_l is None or reads_r is None:
        return None
    written = name.group(0)
    return (reads_r | (reads_l - {written})) | ({written} if "+=" in s or "-=" in s else set()), \
        {written}


def inside_atomic(lines: list[str], i: int) -> bool:
    """Whether line ``i`` is (at any depth) inside an ``atomic { }`` block."""
    stack: list[bool] = []
    for k in range(i):
        line = re.sub(r"/\*.*?\*/|//.*$", "", lines[k])
        for ch in line:
            if ch == "{":
                stack.append(bool(re.match(r"^\s*atomic\s*\{", line)))
            elif ch == "}" and stack:
                stack.pop()
    return any(stack)


def commuting_swap(m: Mutant, original: str) -> str:
    """Rule COMMUTE: why this swap provably changes nothing, or ""."""
    if m.kind != "swap-statements":
        return ""
    lines = original.split("\n")
    i = m.line - 1
    if not (inside_atomic(lines, i) and inside_atomic(lines, i + 1)):
        return ""
    a, b = footprint(lines[i]), footprint(lines[i + 1])
    if a is None or b is None:
        return ""
    (ra, wa), (rb, wb) = a, b
    if wa & (rb | wb) or wb & ra:
        return ""
    return "commute: one atomic step, disjoint footprints"


# Rule DEADHOOK: a deleted `BUG_ON(preemptible())` (or WARN/VM_ form) whose function
# is a context-switch hook (kernel/scheduler.py SWITCH_HOOKS) that no function of
# any dependent target's program calls.  The world runs such a function only as the
# scheduler's hook, with Ctx.in_switch, where preemptible() is the constant FALSE
# (kernel/symexec.py, World.PREEMPTIBLE): the check can never fire and writes
# nothing, so the switch step's transitions are the same without it.
_PREEMPTIBLE_CHECK = re.compile(
    r"^(?:BUG_ON|VM_BUG_ON|WARN_ON|WARN_ON_ONCE|VM_WARN_ON|VM_WARN_ON_ONCE)"
    r"\(\s*preemptible\(\)\s*\);$")


def dead_hook_check(m: Mutant, original: str, scratch: Path, targets: list[str]) -> str:
    """Rule DEADHOOK: why this deleted check can never fire, or ""."""
    stmt = re.sub(r"/\*.*?\*/|//.*$", "", m.what).strip()
    if m.kind not in ("delete-check", "drop-hook-line") or not _PREEMPTIBLE_CHECK.match(stmt):
        return ""
    hook = _functions(original.split("\n"))[m.line - 1]
    if hook not in SWITCH_HOOKS or not targets:
        return ""
    for name in targets:
        prog = load(list(load_target(name, scratch).models), scratch).program
        if any(isinstance(x, ir.SCall) and x.func == hook
               for f in prog.functions for x in ir.walk(f.body)):
            return ""
    return f"dead hook check: {hook}() runs only as a switch hook, where preemptible() is false"


def ir_proof(m: Mutant, scratch: Path, targets: list[str],
             cache: dict[str, ir.Program]) -> str:
    """Rules LOCALREAD, STEP and PRIVATE (tools/mutant_proofs.py): the proof for every dependent
    target's program, or "" when one of them does not have it."""
    if m.kind != "swap-statements" or not targets:
        return ""
    hooks = frozenset(SWITCH_HOOKS)
    why = ""
    for rule in ("LOCALREAD", "STEP", "PRIVATE"):
        for name in targets:
            if name not in cache:
                cache[name] = load(list(load_target(name, scratch).models), scratch).program
            prog = cache[name]
            if rule == "LOCALREAD":
                why = mutant_proofs.local_read_swap(prog, m.file, m.line, hooks)
            elif rule == "PRIVATE":
                why = mutant_proofs.private_store_swap(prog, m.file, m.line, hooks)
            else:
                forbidden = frozenset({f for _, f in prog.roles} | set(PTE_WRITERS))
                why = mutant_proofs.step_swap(prog, m.file, m.line, hooks, forbidden)
            if not why:
                break
        if why:
            return why
    return ""


def _ir_key(p: ir.Program) -> tuple[object, ...]:
    return (p.vars, p.flags, p.locks, p.ptes, p.functions, p.roles, p.enums)


def same_ir(m: Mutant, scratch: Path, targets: list[str],
            cache: dict[str, tuple[object, ...]]) -> str:
    """Rule TCE: "identical IR" when every dependent target compiles to the same program."""
    if not targets:
        return ""
    for name in targets:
        t = load_target(name, scratch)
        if name not in cache:
            cache[name] = _ir_key(load(list(t.models), scratch).program)
        try:
            mutated = load(list(t.models), scratch,
                           overrides={(scratch / m.file).resolve(): m.text}).program
        except LazycheckError:
            return ""
        if _ir_key(mutated) != cache[name]:
            return ""
    return "identical IR (trivial compiler equivalence)"


def judge(m: Mutant, scratch: Path, targets: list[str], timeout: float) -> Outcome:
    """Run ``targets`` on the mutant in ``scratch``; restore the file afterwards."""
    path = scratch / m.file
    original = path.read_text(encoding="utf-8")
    path.write_text(m.text, encoding="utf-8")
    label = f"{m.file}:{m.line} {m.kind}: {m.what}"
    t0 = time.monotonic()
    try:
        # the primary configuration of every target first (cheap kills), then the other
        # configurations a FAIL target claims (there a claimed PASS is the only check of
        # the model beyond its failure path), then those of the PASS targets: every
        # configuration `lazycheck ci` checks, so a survivor survived ci.
        for stage in (0, 1, 2):
            rest = stage > 0
            for name in targets:
                t = shifted(load_target(name, scratch), m)
                want = "fail" if stage == 1 else "pass"
                configs = [c.config for c in t.claims if c.config != t.config
                           and t.expect.verdict == want] if rest else [t.config]
                for cfg in configs:
                    try:
                        o = run(t, scratch, cfg, max_states=500_000, timeout_s=timeout)
                    except LazycheckError as err:
                        return Outcome(label, m.kind, "stillborn",
                                       f"{name}: {type(err).__name__}", time.monotonic() - t0)
                    if o.verdict is Verdict.UNKNOWN or not o.as_expected or gate_problem(o):
                        where = f"{name}[{cfg.preempt.value},irqs={cfg.irqs}]" if rest else name
                        return Outcome(label, m.kind, "killed", where, time.monotonic() - t0)
        return Outcome(label, m.kind, "survived", "", time.monotonic() - t0)
    finally:
        path.write_text(original, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Generate, run and report; exit 1 when the score is below ``--goal``."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", nargs="*", default=["arch/*.lazy", "api/*.lazy"])
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--sample", type=int, default=0,
                    help="judge a uniform random sample of this many mutants (--seed)")
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--rerun", type=Path, default=None,
                    help="judge again only the survivors recorded in this --json file")
    ap.add_argument("--only", nargs="*", default=None, metavar="FILE:LINE:KIND",
                    help="judge only these mutants (FILE under models/, e.g. "
                         "arch/arm64-g3.lazy:36:delete-statement)")
    ap.add_argument("--survivors-of", type=Path, default=None, metavar="MD",
                    help="judge only the survivors listed in this file (docs/mutants.md), "
                         "matched by file, kind and text (a line that moved is found again)")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--goal", type=float, default=95.0)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip checking (and timing) every target before mutating")
    ap.add_argument("--merge", type=Path, nargs="*", default=None,
                    help="only report: the union of these --json files, a later file's "
                         "result for a mutant replacing an earlier one")
    args = ap.parse_args(argv)
    if args.merge:
        merged: dict[str, Outcome] = {}
        for path in args.merge:
            for r in json.loads(path.read_text(encoding="utf-8")):
                merged[r["mutant"]] = Outcome(**r)
        return report(reclassified(list(merged.values())), args.goal, args.json)
    with tempfile.TemporaryDirectory(prefix="lazycheck-mutants-") as tmp:
        scratch = Path(tmp)
        shutil.copytree(REPO / "models", scratch / "models")
        shutil.copytree(REPO / "specs", scratch / "specs")
        deps = dependents(scratch)
        cost = {} if args.no_baseline else baseline(scratch, target_names(scratch),
                                                        args.timeout)
        files = sorted({p for g in args.files for p in (scratch / "models").glob(g)
                        if not is_fixture(p)})
        todo = [m for p in files for m in mutants_of(p.relative_to(scratch).as_posix(),
                                                      p.read_text(encoding="utf-8"))]
        todo = todo[:args.limit] if args.limit else todo
        if args.rerun is not None:
            old = json.loads(args.rerun.read_text(encoding="utf-8"))
            again = {r["mutant"] for r in old if r["status"] == "survived"}
            todo = [m for m in todo if f"{m.file}:{m.line} {m.kind}: {m.what}" in again]
        elif args.only is not None or args.survivors_of is not None:
            todo = selected(todo, args.only or [], args.survivors_of)
        elif args.sample and args.sample < len(todo):
            keep = set(random.Random(args.seed).sample(range(len(todo)), args.sample))
            todo = [m for k, m in enumerate(todo) if k in keep]
        print(f"mutants: {len(todo)} mutants of {len(files)} files", flush=True)
        results = []
        ir_cache: dict[str, tuple[object, ...]] = {}
        progs: dict[str, ir.Program] = {}
        for k, m in enumerate(todo, 1):
            targets = sorted((n for n in deps.get(m.file, []) if n in cost or not cost),
                             key=lambda n: cost.get(n, 1e9))
            text = (scratch / m.file).read_text(encoding="utf-8")
            why = commuting_swap(m, text) or dead_hook_check(m, text, scratch, targets) or \
                same_ir(m, scratch, targets, ir_cache) or ir_proof(m, scratch, targets, progs)
            if why:
                r = Outcome(f"{m.file}:{m.line} {m.kind}: {m.what}", m.kind, "equivalent",
                            why, 0.0)
            elif targets:
                r = judge(m, scratch, targets, args.timeout)
            else:
                r = Outcome(f"{m.file}:{m.line} {m.kind}: {m.what}", m.kind, "survived",
                            "no target uses the file", 0.0)
            results.append(r)
            if args.json is not None:  # every result so far: a run stopped early still counts
                args.json.write_text(json.dumps([asdict(x) for x in results], indent=1) + "\n")
            print(f"[{k}/{len(todo)}] {r.status:9} {r.mutant[:110]}"
                  f"{' (' + r.by + ')' if r.by else ''}", flush=True)
    return report(results, args.goal, args.json)


_LISTED = re.compile(r"^- `(models/)?(?P<file>[\w./-]+):(?P<line>\d+) (?P<kind>[\w-]+)` "
                     r"`(?P<what>.*?)`: ")


def listed_survivors(md: str) -> list[tuple[str, int, str, str]]:
    """(file, line, kind, text) of every survivor listed in a docs/mutants.md text.

    A listed text cut with "..." is a prefix of the mutant's text.
    """
    out = []
    for row in md.split("\n"):
        m = _LISTED.match(row)
        if m:
            out.append((f"models/{m['file']}", int(m["line"]), m["kind"], m["what"]))
    return out


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def selected(todo: list[Mutant], only: list[str], md: Path | None) -> list[Mutant]:
    """The mutants of ``todo`` named by ``--only`` specs or listed as survivors in ``md``.

    A listed survivor is matched by file, kind and text; when its line moved (the
    model was edited since the list was written), the nearest mutant with that text
    is taken.  A spec or a listed survivor that matches nothing is reported.
    """
    wanted: list[tuple[str, int, str, str]] = []
    for spec in only:
        path, num, sort = spec.rsplit(":", 2)
        wanted.append((f"models/{path.removeprefix('models/')}", int(num), sort, ""))
    if md is not None:
        wanted += listed_survivors(md.read_text(encoding="utf-8"))
    keep: list[Mutant] = []
    for file, line, kind, what in wanted:
        prefix = _squeeze(what.removesuffix("..."))
        cands = [m for m in todo if m.file == file and m.kind == kind
                 and (_squeeze(m.what).startswith(prefix) if what else m.line == line)]
        if not cands:
            print(f"mutants: no mutant {file}:{line} {kind} {what[:60]!r} today", flush=True)
            continue
        best = min(cands, key=lambda m: abs(m.line - line))
        if best not in keep:
            keep.append(best)
    return keep


def reclassified(results: list[Outcome]) -> list[Outcome]:
    """Recorded survivors that the equivalence rules (as they are now) prove equivalent.

    The rules are proofs about the mutant and the repository's models, not about
    a run, so applying them to an older run's survivors is sound as long as the
    mutated file is unchanged (a mutant is matched by file, line, kind and text).
    """
    deps = dependents(REPO)
    by_label: dict[str, Mutant] = {}
    for p in sorted((REPO / "models").glob("*/*.lazy")):
        rel = p.relative_to(REPO).as_posix()
        for m in mutants_of(rel, p.read_text(encoding="utf-8")):
            by_label[f"{m.file}:{m.line} {m.kind}: {m.what}"] = m
    cache: dict[str, tuple[object, ...]] = {}
    progs: dict[str, ir.Program] = {}
    out = []
    for r in results:
        found = by_label.get(r.mutant)
        text = "" if found is None else (REPO / found.file).read_text(encoding="utf-8")
        why = "" if r.status != "survived" or found is None else (
            commuting_swap(found, text)
            or dead_hook_check(found, text, REPO, deps.get(found.file, []))
            or same_ir(found, REPO, deps.get(found.file, []), cache)
            or ir_proof(found, REPO, deps.get(found.file, []), progs))
        out.append(dataclasses.replace(r, status="equivalent", by=why) if why else r)
    return out


def report(results: list[Outcome], goal: float, out: Path | None) -> int:
    """The summary table by kind, the score, and every survivor."""
    kinds = sorted({r.kind for r in results})
    print(f"\n{'kind':<24} {'mutants':>8} {'killed':>7} {'survived':>9} {'stillborn':>10} "
          f"{'equivalent':>11}")
    for k in [*kinds, "total"]:
        rs = [r for r in results if k in (r.kind, "total")]
        n = {s: sum(1 for r in rs if r.status == s) for s in ("killed", "survived",
                                                               "stillborn", "equivalent")}
        print(f"{k:<24} {len(rs):>8} {n['killed']:>7} {n['survived']:>9} {n['stillborn']:>10} "
              f"{n['equivalent']:>11}")
    killed = sum(1 for r in results if r.status == "killed")
    survived = [r for r in results if r.status == "survived"]
    score = 100.0 * killed / max(1, killed + len(survived))
    print(f"\nmutation score: {score:.1f} % ({killed} killed of {killed + len(survived)} "
          f"viable mutants; goal {goal:g} %)")
    if survived:
        print("\nsurvivors:")
        for r in survived:
            print(f"  {r.mutant}{'  [' + r.by + ']' if r.by else ''}")
    if out is not None:
        out.write_text(json.dumps([asdict(r) for r in results], indent=1) + "\n")
    return 0 if score >= goal else 1


if __name__ == "__main__":
    raise SystemExit(main())
