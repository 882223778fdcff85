"""Verify a scenario file (an extracted draft) on every arch model of its API generation.

``lazycheck verify --scenario FILE --arch all`` and ``lazycheck extract --verify``:
the arch models, api models and preemption models come from the targets
(:func:`lazycheck.scan.inventory.arch_models`), every ``task`` of the file runs
at once (one CPU each), and a draft claims no coverage, so a PASS stays a PASS.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lazycheck.kernel.config import KernelConfig, Preempt
from lazycheck.lang import ast
from lazycheck.lang.lexer import Tok, tokenize
from lazycheck.lang.parser import parse
from lazycheck.outcome import Outcome
from lazycheck.properties import DEFAULT_PROPERTIES, PropertyId
from lazycheck.run.verify import run
from lazycheck.scan.inventory import arch_models
from lazycheck.targets import Expectation, Target

BOUND = 80  # depth bound of each run (the drafts' loops are bounded by LOOP_BOUND)
MAX_STATES = 500_000
TIMEOUT_S = 120.0
# the correctness properties a call site alone can break: the defaults, WARN_ON in the
# arch and api models, flushes, sleeping and locks.  Not batching-kept (performance: a
# target asks for it), nor the scenario-level single-shadow-install and mapped-before-use,
# which need statements a draft does not extract.
DRAFT_PROPERTIES: tuple[PropertyId, ...] = (
    *DEFAULT_PROPERTIES, PropertyId.NO_WARN, PropertyId.FLUSH_AFTER_VISIBLE,
    PropertyId.NO_SLEEP_IN_ATOMIC, PropertyId.LOCK_BALANCED)


@dataclass(frozen=True, slots=True)
class DraftRun:
    """One verification of the scenario: which models, which tasks, the outcome."""

    arch: str
    api: str
    preempt: str
    tasks: tuple[str, ...]
    outcome: Outcome


def generation(text: str) -> str:
    """The API generation a scenario's calls belong to (G0/G1 when it calls no newer API);
    read from its identifiers, so comments do not count."""
    toks, _ = tokenize(text, "scenario")
    names = {t.text for t in toks if t.kind is Tok.IDENT}
    if "lazy_mmu_mode_enable_with_ptes" in names:
        return "G4"
    if names & {"lazy_mmu_mode_enable", "lazy_mmu_mode_disable", "lazy_mmu_mode_pause",
                "lazy_mmu_mode_resume"}:
        return "G3"
    if "lazy_mmu_state_t" in names:
        return "G2"
    return "G0/G1"


def task_names(text: str, path: str) -> tuple[str, ...]:
    """The ``task`` programs a scenario defines, in order."""
    mf, _ = parse(text, path)
    return tuple(d.name for d in mf.decls
                 if isinstance(d, ast.FuncDecl) and "task" in d.qualifiers)


def verify_draft(root: Path, draft: Path, arch: str = "all", engine: str = "explicit"
                 ) -> tuple[DraftRun, ...]:
    """Every run, in arch-model order (``arch``: ``all`` or one arch model's stem)."""
    text = draft.read_text(encoding="utf-8")
    tasks = task_names(text, str(draft))
    gen = generation(text)
    out: list[DraftRun] = []
    for arch_file, api, preempt in arch_models(root, gen):
        if arch != "all" and Path(arch_file).stem != arch:
            continue
        t = Target(f"draft-{draft.stem}", draft, "scenario on every arch model",
                   Path(arch_file).stem, gen, str(draft),
                   (root / "models" / arch_file, root / "models" / api, draft.resolve()),
                   KernelConfig(max(1, len(tasks)), tasks, Preempt(preempt),
                                properties=DRAFT_PROPERTIES),
                   BOUND, Expectation("pass"))
        outcome = run(t, root, engine=engine, max_states=MAX_STATES, timeout_s=TIMEOUT_S)
        out.append(DraftRun(arch_file, api, preempt, tasks, outcome))
    return tuple(out)
