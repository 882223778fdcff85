"""``lazycheck explain``: replay a counterexample on the fixed model, name what blocks it.

The failing target's shortest counterexample is replayed, step by step, on
the models of the fix (another target, or the same target with a patch
applied).  Context switches and interrupts map by action name, as
:mod:`lazycheck.run.replay` does; a task's step maps by its *statement
sequence*: the fixed task runs until it has executed the same statements
(by function and text), whatever statements the fix added on the way.  The
first failing step that cannot happen on the fixed model is *blocked*; the
fix statement whose effect blocks it is found by a backward slice from the
variables that step depends on and whose values differ from the
counterexample's.  Nothing here prints.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lazycheck.errors import LazycheckError
from lazycheck.outcome import Explanation, FixStep, Outcome
from lazycheck.run.verify import build
from lazycheck.semantics import Semantics, State
from lazycheck.system import Action, ActionKind, SourceStep, System, free_vars
from lazycheck.targets import Target, load_target

Key = tuple[str, str]
MAX_CATCH_UP = 32  # fixed-model steps one task may take to match one failing step


class ExplainError(LazycheckError):
    """explain cannot run: the target does not fail, or the patch does not apply (exit 2)."""


def _key(s: SourceStep) -> Key:
    return (s.function, " ".join(s.text.split()))


def _shown(s: SourceStep) -> bool:
    return s.text not in ("", "{")


def _keys(system: System) -> set[Key]:
    return {_key(s) for a in system.actions for s in a.steps if _shown(s)}


def _renamed(bad: System, good: System, rename: dict[str, str]) -> dict[str, str]:
    """Functions a fix renamed (``vmalloc_fault`` -> ``vmalloc_fault_fixed``): a function
    gone from the fixed models maps to the one new function that extends its name."""
    def functions(system: System) -> set[str]:
        return {s.function for a in system.actions for s in a.steps}

    before, after = functions(bad), functions(good)
    gone, new = before - after - set(rename), after - before
    out = {}
    for f in sorted(gone):
        match = [g for g in new if g.startswith(f + "_")]
        if len(match) == 1:
            out[f] = match[0]
    return out


@dataclass(frozen=True, slots=True)
class _Hist:
    """One action run on the fixed model while replaying failing step ``step``."""

    step: int
    action: int
    pre: State
    post: State
    ran: tuple[SourceStep, ...]


@dataclass(frozen=True, slots=True)
class _Stop:
    """Where the replay stopped: the failing step, how, and the fixed variables to slice from."""

    step: int
    how: str
    relevant: frozenset[int]
    other: int = -1  # diverges: the fixed action the task takes instead


class _Replay:
    """The fixed model stepping along the failing trace."""

    def __init__(self, bad: System, good: System, rename: dict[str, str]) -> None:
        self.bad, self.good = bad, good
        self.rename = rename  # a task program the fix renamed: failing name -> fixed name
        self.sem = Semantics(good)
        self.bad_sem = Semantics(bad)
        self.state = good.init
        self.hist: list[_Hist] = []
        self.rename.update(_renamed(bad, good, rename))
        bad_keys, good_keys = {self.bad_key(s) for a in bad.actions for s in a.steps
                               if _shown(s)}, _keys(good)
        self.old_functions = {k[0] for k in bad_keys}
        self.added = good_keys - bad_keys
        self.removed = bad_keys - good_keys
        self.by_name = {a.name: i for i, a in enumerate(good.actions)}

    def bad_key(self, s: SourceStep) -> Key:
        """A failing-model statement's key, under the fixed model's program names."""
        return (self.rename.get(s.function, s.function), _key(s)[1])

    def ran(self, system: System, sem: Semantics, idx: int, state: State) -> tuple[
            SourceStep, ...]:
        """The statements action ``idx`` runs from ``state`` (path condition true)."""
        return tuple(s for s in system.actions[idx].steps
                     if _shown(s) and sem.evaluate(s.when, state))

    def fire(self, step: int, idx: int) -> tuple[SourceStep, ...]:
        """Run fixed action ``idx`` as part of failing step ``step``."""
        pre = self.state
        ran = self.ran(self.good, self.sem, idx, pre)
        self.state = self.sem.step(pre, idx)
        self.hist.append(_Hist(step, idx, pre, self.state, ran))
        return ran

    def guard_vars(self, idx: int) -> frozenset[int]:
        """The fixed variables action ``idx``'s guard reads."""
        out: set[int] = set()
        free_vars(self.good.actions[idx].guard, out)
        return frozenset(out)

    def by_name_step(self, step: int, a: Action) -> _Stop | None:
        """A switch or an interrupt: the action of the same name, if enabled."""
        idx = self.by_name.get(a.name)
        if idx is None:
            return _Stop(step, "missing", frozenset())
        if not self.sem.enabled(self.state, idx):
            return _Stop(step, "disabled", self.guard_vars(idx))
        self.fire(step, idx)
        return None

    def task_step(self, step: int, a: Action, bad_pre: State) -> _Stop | None:
        """A task's step: run the same task until it has run the same statements."""
        want = [k for k in map(self.bad_key, self.ran(self.bad, self.bad_sem,
                                               self.bad.actions.index(a), bad_pre))
                if k not in self.removed]
        for _ in range(MAX_CATCH_UP):
            if not want:
                return None
            cands = [i for i, g in enumerate(self.good.actions)
                     if g.kind is ActionKind.TASK and g.task == a.task
                     and self.sem.enabled(self.state, i)]
            if not cands:
                mine = [i for i, g in enumerate(self.good.actions)
                        if g.kind is ActionKind.TASK and g.task == a.task]
                rel = frozenset().union(*(self.guard_vars(i) for i in mine)) if mine \
                    else frozenset()
                return _Stop(step, "disabled", rel)
            pick = self._matching(cands, want)
            if pick is None:
                return _Stop(step, "diverges", self.guard_vars(cands[0]), cands[0])
            for k in map(_key, self.fire(step, pick)):
                if want and k == want[0]:
                    want.pop(0)
        return _Stop(step, "diverges", frozenset())

    def _matching(self, cands: list[int], want: list[Key]) -> int | None:
        """The enabled action whose statements (fix statements aside) continue ``want``."""
        for i in cands:
            ks = [k for k in map(_key, self.ran(self.good, self.sem, i, self.state))
                  if k not in self.added]
            n = min(len(ks), len(want))
            if ks[:n] == want[:n] and (ks or any(
                    k in self.added for k in map(_key, self.ran(self.good, self.sem, i,
                                                                 self.state)))):
                return i
        return None


def task_names(system: System) -> list[str]:
    """Task names by index, from the labels of ``curr[cpu0]``."""
    return list(system.vars[system.var_index["curr[cpu0]"]].labels)


def cone_of_influence(system: System, states: Sequence[State], actions: Sequence[int]
                      ) -> set[int]:
    """Variables whose values flowed, step by step, into the final violation."""
    relevant = {system.violation_var}
    for k in range(len(actions) - 1, -1, -1):
        pre, post = states[k], states[k + 1]
        for u in system.actions[actions[k]].updates:
            if u.var in relevant and pre[u.var] != post[u.var]:
                free_vars(u.value, relevant)
    return relevant


def _describe(bad: System, a: Action, names: list[str], bad_pre: State) -> str:
    """What failing step ``a`` does, in words: the thing the fix makes impossible."""
    if a.kind is ActionKind.SWITCH:
        return f"{a.summary or 'context switch'} on cpu{a.cpu}"
    if a.kind in (ActionKind.IRQ, ActionKind.IRQ_ENTRY):
        return f"the interrupt on cpu{a.cpu}"
    who = names[a.task] if a.task is not None else "the task"
    stmts = [s for s in a.steps if _shown(s) and Semantics(bad).evaluate(s.when, bad_pre)]
    if stmts:
        return f"{who}'s {stmts[0].text.rstrip(';')} in {stmts[0].function}()"
    return f"{who}'s step"


def _slice(r: _Replay, stop: _Stop, bad_state: State) -> tuple[_Hist, SourceStep] | None:
    """The last fix statement that wrote (the cone of) a variable the blocked step reads."""
    good, bad = r.good, r.bad
    if stop.other >= 0:  # the fix sends the task elsewhere: its first statement on the way
        cand = _Hist(stop.step, stop.other, r.state, r.state,
                     r.ran(good, r.sem, stop.other, r.state))
        near = [*(h for h in r.hist if h.step >= stop.step - 1), cand]
        now = [(h, s) for h in near for s in h.ran if _key(s) in r.added]
        # the fix's last statement in a function the failing model has (a call it added,
        # the assignment before its new branch) says more than a new callee's first line
        old = [hs for hs in now if hs[1].function in r.old_functions]
        if old:
            return old[-1]
        if now:
            return now[0]
    differ = {v for v in stop.relevant
              if good.vars[v].name in bad.var_index and not good.vars[v].name.endswith(".pc")
              and r.state[v] != bad_state[bad.var_index[good.vars[v].name]]}
    rel = set(differ or stop.relevant)
    for h in reversed(r.hist):
        a = good.actions[h.action]
        wrote = [u for u in a.updates if u.var in rel and h.pre[u.var] != h.post[u.var]]
        if not wrote:
            continue
        fixes = [s for s in h.ran if _key(s) in r.added]
        if fixes:  # a pc written: control flow, decided by the step's last fix statement
            pc = all(good.vars[u.var].name.endswith(".pc") for u in wrote)
            return h, fixes[-1] if pc else fixes[0]
        for u in wrote:
            free_vars(u.value, rel)
        free_vars(a.guard, rel)  # why this step ran at all
    first = next(((h, s) for h in r.hist for s in h.ran if _key(s) in r.added), None)
    return first


def _why(r: _Replay, stop: _Stop, bad_state: State) -> tuple[tuple[str, str, str], ...]:
    """(variable, value in the trace, value on the fixed model) for what the step reads."""
    out = []
    for v in sorted(stop.relevant, key=lambda i: r.good.vars[i].name):
        var = r.good.vars[v]
        j = r.bad.var_index.get(var.name)
        if j is None or r.state[v] == bad_state[j] or var.name.endswith(".pc"):
            continue
        out.append((var.name, r.bad.vars[j].show(bad_state[j]), var.show(r.state[v])))
    return tuple(out)


def replay_on_fix(failing: Outcome, good: System, rename: dict[str, str]
                  ) -> tuple[_Replay, _Stop | None, list[State]]:
    """Step the fixed system along the failing trace; where (if anywhere) it stops."""
    bad = failing.system
    r = _Replay(bad, good, rename)
    states = Semantics(bad).replay(failing.result.trace)
    for k, idx in enumerate(failing.result.trace, 1):
        a = bad.actions[idx]
        stop = (r.task_step(k, a, states[k - 1]) if a.kind is ActionKind.TASK
                else r.by_name_step(k, a))
        if stop is not None:
            return r, stop, states
        if r.sem.violation(r.state):
            return r, None, states
    if r.sem.violation(r.state):
        return r, None, states
    n = len(failing.result.trace)
    cone = cone_of_influence(bad, states, failing.result.trace)
    rel = frozenset(good.var_index[bad.vars[v].name] for v in cone
                    if bad.vars[v].name in good.var_index)
    return r, _Stop(n, "no-violation", rel), states


def _fix_step(r: _Replay, h: _Hist, s: SourceStep, root: Path, names: list[str],
              bad_functions: set[str]) -> FixStep:
    a = r.good.actions[h.action]
    actor = names[a.task] if a.kind is ActionKind.TASK and a.task is not None else (
        "irq" if a.kind in (ActionKind.IRQ, ActionKind.IRQ_ENTRY) else "switch")
    cpu = f"cpu{a.cpu}" if a.cpu is not None else ""
    if a.kind is ActionKind.TASK and a.task is not None:
        i = r.good.var_index.get(f"cpu_of[{actor}]")
        if i is not None:
            cpu = r.good.vars[i].show(h.pre[i])
    return FixStep(s.function, " ".join(s.text.split()), _rel(s.span.file, root),
                   s.span.line, s.function not in bad_functions, h.step, actor, cpu)


def _rel(path: str, root: Path) -> str:
    p = Path(path)
    try:
        return p.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return p.name


def _commit(t: Target) -> str:
    """The fix's commit id or message id (the first word of its source), else its target."""
    word = t.source.split()[0] if t.source.split() else ""
    if "@" in word or (len(word) >= 7 and all(c in "0123456789abcdef" for c in word)):
        return word
    return t.name


def explain(failing: Outcome, fixed: Target, root: Path, fixed_root: Path | None = None
            ) -> Explanation:
    """Replay ``failing``'s counterexample on ``fixed``'s models and name what blocks it."""
    cfg = failing.config
    rename: dict[str, str] = {}
    if fixed.config.ntasks == cfg.ntasks:  # a fix may rename a task's program
        rename = {a: b for a, b in zip(cfg.tasks, fixed.config.tasks, strict=True) if a != b}
        cfg = dataclasses.replace(cfg, tasks=fixed.config.tasks)
    _, good = build(fixed, fixed_root or root, cfg)
    r, stop, bad_states = replay_on_fix(failing, good, rename)
    names = task_names(failing.system)
    bad_functions = {r.bad_key(s)[0] for a in failing.system.actions for s in a.steps}
    fix = sorted({(s.function, " ".join(s.text.split()), _rel(s.span.file, fixed_root or root),
                   s.span.line) for a in good.actions for s in a.steps
                  if _shown(s) and _key(s) in r.added}, key=lambda x: (x[2], x[3], x[1]))
    commit = _commit(fixed)
    base = Explanation(failing, fixed.name, commit, fixed.source, tuple(fix), 0, 0, "", "",
                       None)
    if stop is None:
        v = good.violation(r.state[good.violation_var])
        done = max((h.step for h in r.hist), default=0)
        return dataclasses.replace(base, replayed=done, still_property=v.property_id,
                                   still_message=v.message)
    bad_at = bad_states[stop.step - 1] if stop.how != "no-violation" else bad_states[-1]
    a = failing.system.actions[failing.result.trace[stop.step - 1]]
    found = _slice(r, stop, bad_at)
    lb = _fix_step(r, found[0], found[1], fixed_root or root, names, bad_functions) \
        if found else None
    return dataclasses.replace(
        base, replayed=stop.step - 1 if stop.how != "no-violation" else stop.step,
        blocked_step=stop.step, blocked_how=stop.how,
        blocked_what=_describe(failing.system, a, names, bad_states[stop.step - 1]),
        load_bearing=lb, why=_why(r, stop, bad_at))


def patched_root(root: Path, patch: Path, work: Path) -> Path:
    """A copy of ``root``'s models/ and specs/ in ``work`` with ``patch`` applied (git apply)."""
    for d in ("models", "specs"):
        shutil.copytree(root / d, work / d)
    proc = subprocess.run(["git", "apply", "--whitespace=nowarn", str(patch.resolve())],
                          cwd=work, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ExplainError(f"{patch}: the patch does not apply to models/ and specs/: "
                           f"{proc.stderr.strip()}")
    return work


def patch_commit(patch: Path) -> str:
    """The commit a patch names (``From <sha>`` of git format-patch), or the file name."""
    try:
        first = patch.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0]
    except OSError:
        return patch.name
    parts = first.split()
    if len(parts) > 1 and parts[0] == "From" and len(parts[1]) >= 12:
        return parts[1][:12]
    return patch.name


def explain_patch(failing: Outcome, target: Target, root: Path, patch: Path
                  ) -> Explanation:
    """:func:`explain` against the same target with ``patch`` applied to the models."""
    with tempfile.TemporaryDirectory(prefix="lazycheck-explain-") as tmp:
        work = patched_root(root, patch, Path(tmp))
        commit = patch_commit(patch)
        fixed = load_target(target.name, work)
        fixed = dataclasses.replace(
            fixed, source=patch.name if commit == patch.name else f"{commit} ({patch.name})")
        return dataclasses.replace(explain(failing, fixed, root, work), commit=commit)
