"""The explicit path imports neither networkx nor z3 (each costs ~0.1-0.3 s per process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from pathlib import Path
from lazycheck.run.verify import run
from lazycheck.targets import load_target
root = Path(sys.argv[1])
run(load_target("xen-nesting-counter", root), root)
print(sorted(m for m in ("networkx", "z3") if m in sys.modules))
"""


def test_explicit_verify_imports_neither_networkx_nor_z3() -> None:
    """A whole explicit run leaves both heavy modules unimported."""
    out = subprocess.run([sys.executable, "-c", PROBE, str(ROOT)], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]"


CLI_PROBE = """
import sys
from lazycheck.cli.main import main
try:
    main(["verify", "xen-nesting-counter", "--no-timings"])
except SystemExit:
    pass
sys.stdout = sys.__stdout__
print("HEAVY", sorted(m for m in ("networkx", "z3", "dask", "distributed", "rich")
                      if m in sys.modules))
"""


def test_cli_verify_imports_no_heavy_module() -> None:
    """``lazycheck verify`` on the explicit engine imports none of z3, networkx, dask, rich."""
    out = subprocess.run([sys.executable, "-c", CLI_PROBE], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "HEAVY []"
