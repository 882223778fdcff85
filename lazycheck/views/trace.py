"""Counterexample traces: the steps an engine found, replayed and explained.

A :class:`Trace` is built only by replaying action indices through the
concrete semantics, so every trace shown to a user has been re-checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lazycheck.semantics import Semantics, State
from lazycheck.system import (
    Action,
    ActionKind,
    SourceStep,
    System,
    VarKind,
    Violation,
    free_vars,
)

# world variables that change at almost every step and say little to a reviewer
_QUIET = ("irq_budget", "cpu_of[")


@dataclass(frozen=True, slots=True)
class Change:
    """One state variable a trace step changed, as shown."""

    name: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.name}: {self.old} -> {self.new}"


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One step of a counterexample: the action, who ran, the statements, the changes."""

    number: int
    action: Action
    cpu: str
    actor: str  # the task or interrupt that acts
    statements: tuple[SourceStep, ...]  # those that ran (path condition true)
    changes: tuple[Change, ...]
    context: str  # preempt/irq state of the actor after the step
    cpu_no: int = 0  # the CPU the step ran on, as a number


@dataclass(frozen=True, slots=True)
class Trace:
    """A counterexample: its steps, the states, and the violation it ends in."""

    steps: tuple[TraceStep, ...]
    states: tuple[State, ...]
    violation_code: int


def _value(system: System, state: State, name: str) -> int:
    return state[system.var_index[name]]


def _show(system: System, state: State, name: str) -> str:
    i = system.var_index[name]
    return system.vars[i].show(state[i])


def task_names(system: System) -> list[str]:
    """The trace names of every task, idle tasks included (``T0``, ``idle0``, ...)."""
    return [system.vars[i].labels[k] for i in (system.var_index["curr[cpu0]"],)
            for k in range(len(system.vars[i].labels))]


def cone_of_influence(system: System, states: tuple[State, ...], actions: tuple[int, ...]
                      ) -> set[int]:
    """Variables whose values flowed, step by step, into the final violation."""
    if not actions:
        return set()
    relevant = {system.violation_var}
    for k in range(len(actions) - 1, -1, -1):
        pre, post = states[k], states[k + 1]
        a = system.actions[actions[k]]
        for u in a.updates:
            if u.var in relevant and pre[u.var] != post[u.var]:
                free_vars(u.value, relevant)
    return relevant


def build_trace(system: System, actions: Sequence[int], slice_: bool = True) -> Trace:
    """Replay ``actions`` and describe each step.

    With ``slice_``, a step lists only changes to variables in the dynamic cone
    of influence of the final violation (:func:`cone_of_influence`).
    """
    sem = Semantics(system)
    states = sem.replay(actions)
    cone = cone_of_influence(system, tuple(states), tuple(actions)) if slice_ else None
    names = task_names(system)
    steps = []
    for k, idx in enumerate(actions):
        pre, post = states[k], states[k + 1]
        a = system.actions[idx]
        if a.kind is ActionKind.TASK:
            assert a.task is not None
            actor = names[a.task]
            cpu = _show(system, pre, f"cpu_of[{actor}]")
        elif a.kind is ActionKind.SWITCH:
            actor = names[a.task] if a.task is not None else "?"
            cpu = f"cpu{a.cpu}"
        else:
            cpu = f"cpu{a.cpu}"
            actor = "irq"
        ran = tuple(s for s in a.steps if sem.evaluate(s.when, pre))
        if k == len(actions) - 1 and post[system.violation_var]:
            # a fired BUG_ON/WARN_ON ends the story: the kernel oopses there
            ran = _cut_at_violation(ran, system.violation(post[system.violation_var]))
        changes = []
        for i, var in enumerate(system.vars):
            if pre[i] == post[i] or var.kind not in (VarKind.STATE, VarKind.WORLD):
                continue
            if var.name.startswith(_QUIET):
                continue
            if cone is not None and i not in cone:
                continue
            changes.append(Change(var.name, var.show(pre[i]), var.show(post[i])))
        steps.append(TraceStep(k + 1, a, cpu, actor, ran, tuple(changes),
                               _context(system, post, a, names), _cpu_number(cpu)))
    code = states[-1][system.violation_var] if states else 0
    return Trace(tuple(steps), tuple(states), code)


def _cut_at_violation(ran: tuple[SourceStep, ...], v: Violation) -> tuple[SourceStep, ...]:
    """The statements of the violating step up to the one that fired.

    A monitor at a call's return fires after the callee's body: its statements
    stay, up to the caller's next statement.
    """
    cut = [i for i, s in enumerate(ran) if s.span == v.span]
    if not cut:
        return ran
    k = cut[-1]
    if v.returns:
        caller = ran[k].function
        later = [i for i in range(k + 1, len(ran)) if ran[i].function == caller]
        return ran[:later[0]] if later else ran
    return ran[:k + 1]


def _cpu_number(cpu: str) -> int:
    digits = cpu[len("cpu"):]
    return int(digits) if digits.isdigit() else 0


def initial_tasks(system: System, cpus: int) -> list[str]:
    """The task each CPU runs in the initial state."""
    return [_show(system, system.init, f"curr[cpu{c}]") for c in range(cpus)]


@dataclass(frozen=True, slots=True)
class Deferred:
    """A PTE write that has not taken effect at the end of a trace, and where it was made."""

    writer: str  # a task name, or irq@cpuN
    pte: str
    value: str
    step: int  # the step that made the write (0: before the trace)
    cpu: str
    in_section: bool  # the writer was inside a lazy MMU section when it wrote


def deferred_writes(system: System, trace: Trace) -> list[Deferred]:
    """Every write still pending at the end of ``trace``, with the step that made it."""
    out: list[Deferred] = []
    if not trace.states:
        return out
    for writer, pte, val in pending_writes(system, trace.states[-1]):
        i = system.var_index[f"pending({writer},{pte})"]
        j = system.var_index[f"pending_val({writer},{pte})"]
        step, cpu, inside = 0, "", False
        for st in reversed(trace.steps):
            pre, post = trace.states[st.number - 1], trace.states[st.number]
            # the step that made the write still pending: it raised the flag, or it
            # replaced an older pending write to the same PTE by a new value
            if post[i] and (not pre[i] or pre[j] != post[j]):
                step, cpu = st.number, st.cpu
                d = system.var_index.get(f"depth({writer})")
                inside = d is not None and (pre[d] > 0 or post[d] > 0)
                break
        out.append(Deferred(writer, pte, val, step, cpu, inside))
    return sorted(out, key=lambda d: (d.writer, d.pte))


def _context(system: System, state: State, a: Action, names: list[str]) -> str:
    if a.kind in (ActionKind.IRQ, ActionKind.IRQ_ENTRY):
        return "irq"
    task = names[a.other] if a.kind is ActionKind.SWITCH and a.other is not None else (
        names[a.task] if a.task is not None else "")
    if not task:
        return ""
    pc = _value(system, state, f"preempt_count[{task}]")
    off = _value(system, state, f"irqs_disabled[{task}]")
    parts = [f"preempt_count={pc}"] if pc else []
    if off:
        parts.append("irqs off")
    return " ".join(parts)


def pending_writes(system: System, state: State) -> list[tuple[str, str, str]]:
    """(writer, pte, value) of every PTE write that has not taken effect."""
    out = []
    for i, var in enumerate(system.vars):
        if var.kind is VarKind.GHOST and var.name.startswith("pending(") and state[i]:
            inner = var.name[len("pending("):-1]
            writer, pte = inner.split(",", 1)
            val = state[system.var_index[f"pending_val({writer},{pte})"]]
            out.append((writer, pte, str(val)))
    return out

