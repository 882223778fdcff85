"""Counterexample traces in the ITF format of Apalache and Quint, and their replay.

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

:func:`replay` rebuilds the system for the recorded target and
configuration from the *current* models, maps the action names back to
actions and steps through :mod:`lazycheck.semantics`: a reviewer of a fix
sees whether the saved counterexample still reproduces.  Nothing here
prints.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lazycheck.engines.base import Verdict
from lazycheck.errors import LazycheckError
from lazycheck.kernel.config import KernelConfig, Preempt
from lazycheck.kernel.world import instantiate
from lazycheck.lang.loader import load
from lazycheck.semantics import Semantics, State
from lazycheck.system import StateVar, System
from lazycheck.targets import load_target, validate_config
from lazycheck.verify import Outcome

FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"
SOURCE = "lazycheck"


class ItfError(LazycheckError):
    """A file that is not a lazycheck ITF trace: bad input (exit 2)."""


def content_hashes(sources: dict[str, str]) -> dict[str, str]:
    """SHA-256 of every model file, keyed by its path as shown, sorted."""
    return {k: hashlib.sha256(v.encode("utf-8")).hexdigest() for k, v in sorted(sources.items())}


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
    return {"cpus": cfg.cpus, "tasks": list(cfg.tasks), "preempt": cfg.preempt.value,
            "irq_handlers": list(cfg.irq_handlers), "irqs": cfg.irqs,
            "properties": list(cfg.properties)}


def to_itf(o: Outcome, engine: str = "explicit") -> dict[str, Any]:
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
        "engine": engine,
        "verdict": o.result.verdict.value,
        "models": content_hashes(o.loaded.sources),
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


# ---------------------------------------------------------------- replay


@dataclass(frozen=True, slots=True)
class Recorded:
    target: str
    config: KernelConfig
    bound: int
    actions: tuple[str, ...]
    property_id: str
    message: str
    models: dict[str, str]  # path -> sha256


def parse(text: str) -> Recorded:
    """Read a lazycheck ITF trace; :class:`ItfError` says what is wrong with it."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ItfError(f"not JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("#meta"), dict) or \
            not isinstance(doc.get("states"), list):
        raise ItfError("not an ITF trace: expected an object with \"#meta\" and \"states\"")
    meta = doc["#meta"]
    cfgm = meta.get("config")
    target = meta.get("target")
    bound = meta.get("bound")
    if not isinstance(target, str) or not isinstance(cfgm, dict) or not isinstance(bound, int):
        raise ItfError("not a lazycheck trace: \"#meta\" lacks target, config or bound")
    try:
        config = KernelConfig(
            cpus=int(cfgm["cpus"]), tasks=tuple(str(t) for t in cfgm["tasks"]),
            preempt=Preempt(str(cfgm["preempt"])),
            irq_handlers=tuple(str(h) for h in cfgm.get("irq_handlers", [])),
            irqs=int(cfgm.get("irqs", 0)),
            properties=tuple(str(p) for p in cfgm.get("properties", [])))
    except (KeyError, TypeError, ValueError) as exc:
        raise ItfError(f"bad \"config\" in \"#meta\": {exc!r}") from None
    actions: list[str] = []
    for i, st in enumerate(doc["states"]):
        sm = st.get("#meta") if isinstance(st, dict) else None
        if not isinstance(sm, dict) or not isinstance(sm.get("action"), str):
            raise ItfError(f"state {i} has no \"#meta\".\"action\"")
        if sm.get("index", i) != i:
            raise ItfError(f"state {i} has index {sm.get('index')!r}")
        if i > 0:
            actions.append(sm["action"])
    if not doc["states"]:
        raise ItfError("the trace has no states")
    viol = meta.get("violation", {})
    models = meta.get("models", {})
    if not isinstance(viol, dict) or not isinstance(models, dict):
        raise ItfError("bad \"violation\" or \"models\" in \"#meta\"")
    return Recorded(target, config, bound, tuple(actions), str(viol.get("property", "")),
                    str(viol.get("message", "")), {str(k): str(v) for k, v in models.items()})


@dataclass(frozen=True, slots=True)
class ReplayResult:
    reproduces: bool  # the trace still ends in a violation
    same: bool  # ... of the recorded property, with the recorded message
    steps: int  # steps replayed
    property_id: str
    message: str
    reason: str  # why it no longer reproduces, in words ("" when it does)
    changed_models: tuple[str, ...]  # files whose content differs from the recording

    @property
    def exit_code(self) -> int:
        return 1 if self.reproduces else 0


def replay(rec: Recorded, root: Path) -> ReplayResult:
    """Re-check ``rec`` against the current models under ``root``.

    Raises :class:`~lazycheck.errors.ModelError` if the target or its
    models no longer load (bad input).
    """
    t = load_target(rec.target, root)
    validate_config(rec.config, rec.bound)
    loaded = load(list(t.models), root)
    now = content_hashes(loaded.sources)
    changed = tuple(sorted({k for k in set(now) | set(rec.models)
                            if now.get(k) != rec.models.get(k)}))
    system = instantiate(loaded.program, rec.config)
    by_name = {a.name: i for i, a in enumerate(system.actions)}
    sem = Semantics(system)
    state = system.init

    def result(ok: bool, steps: int, reason: str, st: State) -> ReplayResult:
        code = st[system.violation_var]
        prop, msg = ("", "")
        if code:
            v = system.violation(code)
            prop, msg = v.property_id, v.message
        same = ok and prop == rec.property_id and msg == rec.message
        return ReplayResult(ok, same, steps, prop, msg, reason, changed)

    if sem.violation(state):
        return result(True, 0, "", state)
    for k, name in enumerate(rec.actions, 1):
        idx = by_name.get(name)
        if idx is None:
            return result(False, k - 1, f"step {k}: the current models have no action "
                                        f"{name}", state)
        if not sem.enabled(state, idx):
            return result(False, k - 1, f"step {k}: action {name} is not enabled in the "
                                        "current models", state)
        state = sem.step(state, idx)
        for var, val in zip(system.vars, state, strict=True):
            if not var.lo <= val <= var.hi:
                return result(False, k, f"step {k}: {var.name} = {val} leaves "
                                        f"{var.lo}..{var.hi}", state)
        if sem.violation(state):
            if k < len(rec.actions):
                return result(True, k, "", state)
            break
    if not sem.violation(state):
        return result(False, len(rec.actions), "every step replays, but no property fails "
                                               "at the end", state)
    return result(True, len(rec.actions), "", state)


def describe(rec: Recorded, r: ReplayResult, path: str) -> list[str]:
    """What a reviewer reads after ``lazycheck replay``."""
    lines = [f"replay   {path}: target {rec.target}, {rec.config.describe()}, "
             f"{len(rec.actions)} steps"]
    if r.changed_models:
        lines.append("models   changed since the trace was saved: " + ", ".join(r.changed_models))
    else:
        lines.append("models   unchanged since the trace was saved")
    if r.reproduces and r.same:
        lines.append(f"STILL FAILS  {r.property_id}: {r.message} (after {r.steps} steps, the "
                     "same violation as recorded)")
    elif r.reproduces:
        lines.append(f"STILL FAILS  {r.property_id}: {r.message} (after {r.steps} steps; "
                     f"recorded: {rec.property_id}: {rec.message})")
    else:
        lines.append(f"NO LONGER REPRODUCES  {r.reason}")
        lines.append(f"         recorded: {rec.property_id}: {rec.message}")
        lines.append(f"         confirm with: lazycheck verify {rec.target}")
    return lines
