"""Counterexample traces in the ITF format of Apalache and Quint.

ITF (Informal Trace Format, Apalache ADR-015) is a JSON object::

    {"#meta": {...}, "vars": ["x", ...],
     "states": [{"#meta": {"index": 0, "action": "init"}, "x": {"#bigint": "0"}, ...}, ...]}

Values: integers are ``{"#bigint": "n"}`` (always, as Quint writes them,
so no reader has to care about the 2^53 limit of JSON numbers), booleans
are JSON ``true``/``false``, enumerators and task/CPU/PTE names are
strings.  Every state variable of the system is listed, in system order.

``#meta`` at the top records what is needed to re-check the trace later:
the target, its kernel configuration, the bound, the engine, the property
and message of the violation, and the SHA-256 of every model file read
(prelude and includes too).  Each state's ``#meta`` carries its ``index``
and the ``action`` that led to it (``"init"`` for state 0), by the
action's stable name (``T0:3->4#3``, ``switch@cpu0:T0->idle0``, ...).

:func:`lazycheck.run.replay.replay` reads such a file back and re-checks it
against the current models.  Nothing here prints.
"""

from __future__ import annotations

import json
from typing import Any

from lazycheck.kernel.config import KernelConfig
from lazycheck.outcome import Outcome, Verdict
from lazycheck.semantics import Semantics, State
from lazycheck.system import StateVar, System

FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"
SOURCE = "lazycheck"


def _value(var: StateVar, v: int) -> Any:
    if var.labels == ("false", "true"):
        return bool(v)
    if var.labels and var.lo <= v <= var.hi:
        return var.labels[v - var.lo]
    return {"#bigint": str(v)}


def _state(system: System, state: State, index: int, action: str) -> dict[str, Any]:
    out: dict[str, Any] = {"#meta": {"index": index, "action": action}}
    for var, v in zip(system.vars, state, strict=True):
        out[var.name] = _value(var, v)
    return out


def config_meta(cfg: KernelConfig) -> dict[str, Any]:
    """The kernel configuration as ITF ``#meta`` JSON."""
    return {"cpus": cfg.cpus, "tasks": list(cfg.tasks), "preempt": cfg.preempt.value,
            "irq_handlers": list(cfg.irq_handlers), "irqs": cfg.irqs,
            "properties": list(cfg.properties)}


def to_itf(o: Outcome) -> dict[str, Any]:
    """The outcome's counterexample (the initial state alone for a PASS) as ITF."""
    system = o.system
    actions = o.result.trace if o.result.verdict is Verdict.FAIL else ()
    states = Semantics(system).replay(actions)
    meta: dict[str, Any] = {
        "format": "ITF",
        "format-description": FORMAT_DESCRIPTION,
        "source": SOURCE,
        "description": f"lazycheck counterexample for target {o.target.name}",
        "target": o.target.name,
        "config": config_meta(o.config),
        "bound": o.bound,
        "engine": o.engine,
        "verdict": o.result.verdict.value,
        "models": o.loaded.content_hashes(),
    }
    if o.result.verdict is Verdict.FAIL:
        v = system.violation(o.result.violation_code)
        meta["violation"] = {"property": v.property_id, "message": v.message,
                             "span": v.span.short if v.span else ""}
    out_states = [_state(system, states[0], 0, "init")]
    for k, idx in enumerate(actions):
        out_states.append(_state(system, states[k + 1], k + 1, system.actions[idx].name))
    return {"#meta": meta, "vars": [v.name for v in system.vars], "states": out_states}


def dumps(doc: dict[str, Any]) -> str:
    """Byte-stable JSON: fixed key order as built, two-space indent, ASCII only."""
    return json.dumps(doc, indent=2, ensure_ascii=True) + "\n"
