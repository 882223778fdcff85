"""Shared helpers of the scan tests: the golden runner, loaded by path (tests/ has no
packages, and tests/update_golden.py already owns that module name)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent


def load_runner() -> ModuleType:
    """tests/scan/update_golden.py as the module ``scan_update_golden``."""
    if "scan_update_golden" in sys.modules:
        return sys.modules["scan_update_golden"]
    spec = importlib.util.spec_from_file_location("scan_update_golden",
                                                  HERE / "update_golden.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["scan_update_golden"] = mod
    spec.loader.exec_module(mod)
    return mod
