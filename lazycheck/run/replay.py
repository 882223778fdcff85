"""``lazycheck replay``: read a saved ITF counterexample and re-check it against the current models.

:func:`replay` rebuilds the system for the recorded target and
configuration from the *current* models (through :func:`lazycheck.run.verify.build`),
maps the action names back to actions and steps through
:mod:`lazycheck.semantics`: a reviewer of a fix sees whether the saved
counterexample still reproduces.  Nothing here prints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lazycheck.errors import LazycheckError
from lazycheck.kernel.config import KernelConfig, Preempt
from lazycheck.run.verify import build
from lazycheck.semantics import Semantics, State
from lazycheck.targets import load_target, validate_config


class ItfError(LazycheckError):
    """A file that is not a lazycheck ITF trace: bad input (exit 2)."""


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


def replay(rec: Recorded, root: Path) -> ReplayResult:
    """Re-check ``rec`` against the current models under ``root``.

    Raises :class:`~lazycheck.errors.ModelError` if the target or its
    models no longer load (bad input).
    """
    t = load_target(rec.target, root)
    validate_config(rec.config, rec.bound)
    loaded, system = build(t, root, rec.config)
    now = loaded.content_hashes()
    changed = tuple(sorted({k for k in set(now) | set(rec.models)
                            if now.get(k) != rec.models.get(k)}))
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
