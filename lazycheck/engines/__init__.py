"""The engine registry: one mapping drives the CLI, ``verify``, ``--engine both``, ``reproduce:``.

Engines are imported only when asked for, so a run of the explicit engine
never pays for importing z3.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import cast

from lazycheck.engines.base import Engine


@dataclass(frozen=True, slots=True)
class EngineInfo:
    """One registered engine: its name, what it does, and where it lives."""

    name: str
    summary: str
    module: str
    factory: str

    def make(self) -> Engine:
        """A fresh instance of the engine (imports its module on first use)."""
        return cast(Engine, getattr(importlib.import_module(self.module), self.factory)())


ENGINES: Mapping[str, EngineInfo] = MappingProxyType({
    "explicit": EngineInfo("explicit", "BFS (exhausts small spaces fast)",
                           "lazycheck.engines.explicit", "ExplicitEngine"),
    "bmc": EngineInfo("bmc", "z3 bounded model checking, then k-induction for a proof",
                      "lazycheck.engines.bmc", "BmcProver"),
    "houdini": EngineInfo("houdini", "a proof of this configuration from mined inductive "
                          "invariants (z3 Houdini)", "lazycheck.engines.houdini",
                          "HoudiniEngine"),
    "pdr": EngineInfo("pdr", "an unbounded proof with z3's Spacer (slow)",
                      "lazycheck.engines.pdr", "PdrEngine"),
})

DEFAULT_ENGINE = "explicit"

# ``--engine both``: the first is the verdict, the second must agree with it
BOTH = "both"
BOTH_PAIR = ("explicit", "bmc")

ENGINE_CHOICES: tuple[str, ...] = (*ENGINES, BOTH)


def engine_help() -> str:
    """The ``--engine`` help text, from the registry."""
    parts = [f"{e.name}: {e.summary}" for e in ENGINES.values()]
    parts.append(f"{BOTH}: run {' and '.join(BOTH_PAIR)}, fail if they disagree")
    return "; ".join(parts) + "."
