"""``lazycheck replay``: read a saved ITF counterexample and re-check it against the current models.

:func:`replay` rebuilds the system for the recorded target and
configuration from the *current* models (through :func:`lazycheck.run.verify.build`),
maps the action names back to actions and steps through
:mod:`lazycheck.semantics`: a reviewer of a fix sees whether the saved
counterexample still reproduces.  Nothing here prints.

A trace is checked, not believed.  Its kernel configuration must check the
target's properties; while the models are the ones it was recorded
against (same SHA-256), every recorded state must be the state the
semantics computes, every action must be enabled, and the last state must
violate the recorded property -- anything else is :class:`TraceMismatch`
("trace does not match the model at step N", bad input).  Only when the
models changed may a faithful prefix diverge, and only then does a trace
"no longer reproduce".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lazycheck.errors import LazycheckError
from lazycheck.kernel.config import KernelConfig, Preempt
from lazycheck.run.verify import build
from lazycheck.semantics import Semantics, State
from lazycheck.system import StateVar, System
from lazycheck.targets import Target, load_target, validate_config

MAX_STEPS = 10_000  # recorded states; the largest bound is far smaller


class ItfError(LazycheckError):
    """A file that is not a lazycheck ITF trace: bad input (exit 2)."""


class TraceMismatch(ItfError):
    """A trace whose states, actions or properties the models do not produce (exit 2)."""

    def __init__(self, step: int, why: str) -> None:
        self.step = step
        self.why = why
        super().__init__(f"trace does not match the model at step {step}: {why}")


@dataclass(frozen=True, slots=True)
class Recorded:
    target: str
    config: KernelConfig
    bound: int
    actions: tuple[str, ...]
    property_id: str
    message: str
    models: dict[str, str]  # path -> sha256
    vars: tuple[str, ...] = ()  # the recorded variable names, in order
    states: tuple[dict[str, Any], ...] = ()  # the recorded states, as ITF values


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ItfError(f"not JSON: {exc}") from None
    except (ValueError, RecursionError) as exc:  # 5,000-digit numbers, deep nesting
        raise ItfError(f"not a JSON document lazycheck reads: {type(exc).__name__}") from None


def _config(cfgm: dict[str, Any]) -> KernelConfig:
    try:
        for key in ("tasks", "irq_handlers", "properties"):
            if not isinstance(cfgm.get(key, []), list):
                raise TypeError(f"{key} is not a list")
        return KernelConfig(
            cpus=int(cfgm["cpus"]), tasks=tuple(str(t)[:128] for t in cfgm["tasks"]),
            preempt=Preempt(str(cfgm["preempt"])),
            irq_handlers=tuple(str(h)[:128] for h in cfgm.get("irq_handlers", [])),
            irqs=int(cfgm.get("irqs", 0)),
            properties=tuple(str(p)[:128] for p in cfgm.get("properties", [])))
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise ItfError(f"bad \"config\" in \"#meta\": {str(exc)[:100]}") from None


def _actions(states: list[Any]) -> tuple[str, ...]:
    if not states:
        raise ItfError("the trace has no states")
    if len(states) > MAX_STEPS:
        raise ItfError(f"the trace has more than {MAX_STEPS} states")
    actions: list[str] = []
    for i, st in enumerate(states):
        sm = st.get("#meta") if isinstance(st, dict) else None
        if not isinstance(sm, dict) or not isinstance(sm.get("action"), str):
            raise ItfError(f"state {i} has no \"#meta\".\"action\"")
        if sm.get("index", i) != i:
            raise ItfError(f"state {i} has index {str(sm.get('index'))[:40]!r}")
        if i > 0:
            actions.append(sm["action"][:200])
    return tuple(actions)


def parse(text: str) -> Recorded:
    """Read a lazycheck ITF trace; :class:`ItfError` says what is wrong with it."""
    doc = _load_json(text)
    if not isinstance(doc, dict) or not isinstance(doc.get("#meta"), dict) or \
            not isinstance(doc.get("states"), list):
        raise ItfError("not an ITF trace: expected an object with \"#meta\" and \"states\"")
    meta = doc["#meta"]
    cfgm, target, bound = meta.get("config"), meta.get("target"), meta.get("bound")
    if not isinstance(target, str) or not isinstance(cfgm, dict) or \
            not isinstance(bound, int) or isinstance(bound, bool):
        raise ItfError("not a lazycheck trace: \"#meta\" lacks target, config or bound")
    config = _config(cfgm)
    actions = _actions(doc["states"])
    viol = meta.get("violation", {})
    models = meta.get("models", {})
    names = doc.get("vars", [])
    if not isinstance(viol, dict) or not isinstance(models, dict) or \
            not isinstance(names, list):
        raise ItfError("bad \"violation\", \"models\" or \"vars\"")
    return Recorded(target, config, bound, actions, str(viol.get("property", ""))[:200],
                    str(viol.get("message", ""))[:500],
                    {str(k): str(v) for k, v in models.items()},
                    tuple(str(n) for n in names), tuple(doc["states"]))


@dataclass(frozen=True, slots=True)
class ReplayResult:
    reproduces: bool  # the trace still ends in a violation
    same: bool  # ... of the recorded property, with the recorded message
    steps: int  # steps replayed
    property_id: str
    message: str
    reason: str  # why it no longer reproduces, in words ("" when it does)
    changed_models: tuple[str, ...]  # files whose content differs from the recording


def _decode(var: StateVar, raw: Any) -> int | None:
    """The inverse of :func:`lazycheck.views.itf._value`; None for a value it never writes."""
    if var.labels == ("false", "true"):
        return int(raw) if isinstance(raw, bool) else None
    if var.labels and isinstance(raw, str):
        return var.lo + var.labels.index(raw) if raw in var.labels else None
    if isinstance(raw, dict) and isinstance(raw.get("#bigint"), str) and len(raw) == 1:
        s = raw["#bigint"]
        if len(s) <= 24 and s.lstrip("-").isascii() and s.lstrip("-").isdigit():
            return int(s)
    return None


def _state_differs(system: System, recorded: Any, state: State) -> str | None:
    """Why the recorded ITF state is not ``state`` (None when they are the same)."""
    if not isinstance(recorded, dict):
        return "the state is not an object"
    for var, val in zip(system.vars, state, strict=True):
        got = _decode(var, recorded.get(var.name))
        if got != val:
            shown = str(recorded.get(var.name))[:40]
            return f"{var.name} is recorded as {shown}, the model computes {var.show(val)}"
    extra = set(recorded) - {v.name for v in system.vars} - {"#meta"}
    if extra:
        return f"variable {sorted(extra)[0][:60]} is not in the model"
    return None


def _check_claims(rec: Recorded, t: Target) -> None:
    """The recorded configuration must check what the target checks, within its bound."""
    if rec.config.properties != t.config.properties:
        raise TraceMismatch(0, "the recorded properties "
                               f"({', '.join(rec.config.properties) or 'none'}) are not the "
                               f"target's ({', '.join(t.config.properties)})")
    if rec.property_id and rec.property_id not in t.config.properties:
        raise TraceMismatch(0, f"the recorded violation {rec.property_id} is not a property "
                               "the target checks")
    if len(rec.actions) > rec.bound:
        raise TraceMismatch(len(rec.actions), f"{len(rec.actions)} steps exceed the "
                                              f"recorded bound {rec.bound}")


def replay(rec: Recorded, root: Path) -> ReplayResult:
    """Re-check ``rec`` against the current models under ``root``.

    Raises :class:`~lazycheck.errors.ModelError` if the target or its
    models no longer load, :class:`TraceMismatch` for a trace the unchanged
    models do not produce (both bad input).  With changed models the recorded
    states cannot be checked (the reviewer sees which files changed): the
    actions are replayed as before.
    """
    t = load_target(rec.target, root)
    validate_config(rec.config, rec.bound)
    _check_claims(rec, t)
    loaded, system = build(t, root, rec.config)
    now = loaded.content_hashes()
    changed = tuple(sorted({k for k in set(now) | set(rec.models)
                            if now.get(k) != rec.models.get(k)}))
    strict = not changed
    if strict and rec.vars and rec.vars != tuple(v.name for v in system.vars):
        raise TraceMismatch(0, "the recorded variables are not the model's")
    return _walk(rec, system, changed, strict)


def _walk(rec: Recorded, system: System, changed: tuple[str, ...],
          strict: bool) -> ReplayResult:
    """Step through the recorded actions, checking each state while the models are unchanged."""
    by_name = {a.name: i for i, a in enumerate(system.actions)}
    sem = Semantics(system)
    state = system.init

    def result(ok: bool, steps: int, reason: str, st: State,
               at: int | None = None, why: str = "") -> ReplayResult:
        prop, msg = ("", "")
        if st[system.violation_var]:
            v = system.violation(st[system.violation_var])
            prop, msg = v.property_id, v.message
        if strict and (not ok or steps != len(rec.actions) or prop != rec.property_id
                       or msg != rec.message):
            raise TraceMismatch(steps if at is None else at, why or reason or
                                f"the model's violation ({prop or 'none'}) is not the "
                                f"recorded one ({rec.property_id or 'none'})")
        same = ok and prop == rec.property_id and msg == rec.message
        return ReplayResult(ok, same, steps, prop, msg, reason, changed)

    def faithful(k: int, st: State) -> str | None:
        if not strict or k >= len(rec.states):  # changed models: the actions decide
            return None
        return _state_differs(system, rec.states[k], st)

    why = faithful(0, state)
    if why is not None:
        return result(False, 0, f"step 0: {why}", state, 0, why)
    if sem.violation(state):
        return result(True, 0, "", state)
    for k, name in enumerate(rec.actions, 1):
        idx = by_name.get(name)
        if idx is None:
            return result(False, k - 1, f"step {k}: the current models have no action "
                                        f"{name}", state, k, f"no action {name}")
        if not sem.enabled(state, idx):
            return result(False, k - 1, f"step {k}: action {name} is not enabled in the "
                                        "current models", state, k,
                          f"action {name} is not enabled")
        state = sem.step(state, idx)
        why = faithful(k, state)
        if why is not None:
            return result(False, k, f"step {k}: {why}", state, k, why)
        if sem.violation(state):
            return result(True, k, "", state)
    return result(False, len(rec.actions), "every step replays, but no property fails "
                                           "at the end", state)
