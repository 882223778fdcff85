"""The interface every engine implements.  Engines never print, exit or read globals."""

from __future__ import annotations

from typing import Protocol

from lazycheck.outcome import Limits, Result
from lazycheck.system import System


class Engine(Protocol):
    """Checks one transition system within limits and returns a result."""

    name: str

    def check(self, system: System, limits: Limits) -> Result:
        """The verdict on ``system`` within ``limits``; a FAIL carries a shortest trace."""
        ...
