"""goto, bounded while and fixed-width signed integers: checked, then explored.

Each case is a tiny model with the kernel prelude, instantiated for one CPU
and one task and explored by the explicit engine (see tests/kernel/test_world.py
for the helper's conventions).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lazycheck import ir
from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.errors import ModelError
from lazycheck.kernel.config import KernelConfig, Preempt
from lazycheck.kernel.world import instantiate
from lazycheck.lang.loader import load
from lazycheck.outcome import Limits, Result, Verdict
from lazycheck.properties import DEFAULT_PROPERTIES, MODEL_BOUNDS


def run(tmp_path: Path, body: str, decls: str = "") -> tuple[Result, str]:
    """Verdict of ``task void t0(void) { body }`` and the violated property id."""
    s = tmp_path / "scenario.lazy"
    s.write_text('model scenario "t" source "tests";\npte kernel p0 = 0;\n' + decls
                 + "\ntask void t0(void)\n{\n" + body + "\n}\n", encoding="utf-8")
    loaded = load([s], tmp_path)
    cfg = KernelConfig(cpus=1, tasks=("t0",), preempt=Preempt.NONE,
                       properties=DEFAULT_PROPERTIES)
    system = instantiate(loaded.program, cfg)
    r = ExplicitEngine().check(system, Limits(bound=60, max_states=100_000))
    pid = system.violation(r.violation_code).property_id if r.verdict is Verdict.FAIL else ""
    return r, pid


def test_s8_wraps_in_twos_complement(tmp_path: Path) -> None:
    r, pid = run(tmp_path, "s8 c = 127;\n c++;\n BUG_ON(c == -128);")
    assert (r.verdict, pid) == (Verdict.FAIL, "no-bug")


def test_int_is_s32_and_wraps(tmp_path: Path) -> None:
    r, _ = run(tmp_path, "int c = -5;\n c -= 3;\n BUG_ON(c != -8);")
    assert r.verdict is Verdict.PASS
    assert ir.FIXED_WIDTH["int"].lo == -(1 << 31)


def test_bounded_int_overflow_is_model_bounds_not_a_wrap(tmp_path: Path) -> None:
    r, pid = run(tmp_path, "int<-1..1> c = 1;\n c++;")
    assert (r.verdict, pid) == (Verdict.FAIL, MODEL_BOUNDS)


def test_while_runs_until_its_condition_fails(tmp_path: Path) -> None:
    r, _ = run(tmp_path, "int<0..3> n = 0;\n while (n < 3) __bound(3) { n++; }\n"
               " BUG_ON(n != 3);")
    assert r.verdict is Verdict.PASS


def test_while_past_its_bound_is_model_bounds(tmp_path: Path) -> None:
    r, pid = run(tmp_path, "int<0..3> n = 0;\n while (n < 3) __bound(2) { n++; }")
    assert (r.verdict, pid) == (Verdict.FAIL, MODEL_BOUNDS)


def test_break_leaves_a_while_without_a_bounds_error(tmp_path: Path) -> None:
    r, _ = run(tmp_path, "int<0..9> n = 0;\n while (1) __bound(2) { n++; if (n == 2) break; }"
               "\n BUG_ON(n != 2);")
    assert r.verdict is Verdict.PASS


@pytest.mark.parametrize("atomic", [False, True])
def test_goto_skips_to_its_label(tmp_path: Path, atomic: bool) -> None:
    """The CFG builder and the straight-line executor (calls inside atomic) agree."""
    decls = ("int f(void)\n{\n int e = 0;\n for (i = 0; i < 3; i++) {\n"
             "  if (i == 1) { e = 7; goto out; }\n  e = e + 1;\n }\n e = 100;\nout:\n"
             " return e;\n}\n")
    call = "atomic { r = f(); }" if atomic else "r = f();"
    r, _ = run(tmp_path, f"int r = 0;\n {call}\n BUG_ON(r != 7);", decls)
    assert r.verdict is Verdict.PASS


@pytest.mark.parametrize(("body", "message"), [
    ("goto out;", "goto to unknown label 'out'"),
    ("out: ;\n goto out;", "goto 'out' jumps backwards"),
    ("if (1) { out: ; }", "label 'out' inside a nested block"),
    ("atomic { goto out; }\nout: ;", "goto 'out' leaves an atomic block"),
])
def test_bad_gotos_are_lzc308(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ModelError) as exc:
        run(tmp_path, body)
    d = exc.value.diagnostics[0]
    assert (d.code, d.message) == ("LZC308", message)


# Signed fixed-width state that wraps as the kernel's does (-fno-strict-overflow).  No lazy
# MMU counter of the kernel is signed: task_struct::lazy_mmu_state is u8/u8 (G3 v5/v6),
# Xen's xen_lazy_nesting is unsigned int (49147beb0ccb), powerpc's batch->active an int
# only ever 0 or 1, so these tiny models pin the semantics instead of a kernel pair.
_WRAP = {
    "percpu-s8-up": ("percpu s8 nest = 127;", "this_cpu_inc(nest);\n"
                     " BUG_ON(this_cpu_read(nest) < 0);", Verdict.FAIL),
    "percpu-u8-up": ("percpu u8 nest = 255;", "this_cpu_inc(nest);\n"
                     " BUG_ON(this_cpu_read(nest) < 0);", Verdict.PASS),
    "pertask-s16-down": ("pertask s16 t.depth = -32768;", "current->t.depth--;\n"
                         " BUG_ON(current->t.depth != 32767);", Verdict.PASS),
    "global-s8-sum": ("global s8 g = 100;", "g += 100;\n BUG_ON(g != -56);", Verdict.PASS),
    "global-s16-edge": ("global s16 g = 32767;", "g++;\n BUG_ON(g < 0);", Verdict.FAIL),
}


@pytest.mark.parametrize("case", sorted(_WRAP))
@pytest.mark.parametrize("engine", ["explicit", "bmc"])
def test_signed_state_wraps_in_every_engine(tmp_path: Path, case: str, engine: str) -> None:
    """Kept in state (per CPU, per task, global), a signed counter wraps in two's
    complement in the explicit engine and in z3's encoding alike; u8 never goes negative."""
    from lazycheck.engines.bmc import BmcEngine  # imports z3 lazily
    decls, body, want = _WRAP[case]
    s = tmp_path / "scenario.lazy"
    s.write_text('model scenario "t" source "tests";\n' + decls
                 + "\ntask void t0(void)\n{\n " + body + "\n}\n", encoding="utf-8")
    system = instantiate(load([s], tmp_path).program,
                         KernelConfig(cpus=1, tasks=("t0",), preempt=Preempt.NONE,
                                      properties=DEFAULT_PROPERTIES))
    eng = ExplicitEngine() if engine == "explicit" else BmcEngine()
    r = eng.check(system, Limits(bound=30, max_states=100_000))
    assert r.verdict is want, (case, engine, r.verdict)
