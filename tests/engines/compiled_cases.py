"""What the compiled-search tests share: a target's system, and a result's facts to compare.

The compiled search (engines/compiled.py) must give the Python search's result field for
field; :func:`facts` is every field a search decides, so two results compare equal only
when the searches agree on all of them.
"""

from __future__ import annotations

from pathlib import Path

from lazycheck.outcome import Result
from lazycheck.run.verify import build
from lazycheck.system import System
from lazycheck.targets import find_root, load_target

ROOT = find_root(Path(__file__).parent)


def target_system(name: str, cpus: int | None = None, tasks: int | None = None
                  ) -> tuple[System, int]:
    """The system of target ``name`` (at its own configuration, or with ``cpus``/``tasks``)
    and the target's bound."""
    t = load_target(name, ROOT)
    cfg = t.config.overridden(cpus=cpus, tasks=tasks) if cpus or tasks else t.config
    return build(t, ROOT, cfg)[1], t.bound


def facts(r: Result) -> tuple[object, ...]:
    """Everything a search decides: verdict, counts, the trace, coverage."""
    s = r.stats
    return (r.verdict, s.states, s.transitions, s.depth, s.exhausted, s.symmetry,
            r.violation_code, r.trace, r.reason, r.fired, r.witnessed, r.watched,
            r.coverage_known)
