"""Every kernel-world variable has its CPU/task coordinates, so symmetry can rename it.

A world array added without an axis in ``kernel/symroles.py`` does not make the
search unsound (the automorphism check rejects every renaming), it silently
switches symmetry off: arm64's ``isb_owed`` did, for every arm64 model.
"""

from __future__ import annotations

import re
from pathlib import Path

from lazycheck.run.verify import build
from lazycheck.targets import load_target, target_names

ROOT = Path(__file__).resolve().parents[2]
GLOBAL = {"irq_budget", "violation"}  # belong to no CPU and no task


def test_every_world_variable_has_coordinates() -> None:
    unowned: dict[str, str] = {}
    for name in target_names(ROOT):
        t = load_target(name, ROOT)
        _, system = build(t, ROOT, t.config)
        assert system.roles is not None
        for i, slot in enumerate(system.roles.slots):
            if slot[2].startswith("#"):
                unowned.setdefault(re.sub(r"\[.*", "", system.vars[i].name), name)
    assert set(unowned) <= GLOBAL, {k: v for k, v in unowned.items() if k not in GLOBAL}
