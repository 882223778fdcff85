"""A PASS is VACUOUS when no checked property ever met the state it watches.

Issue 11 item 5: with x86 native (nothing deferred, no lazy state) and a
scenario that never disables preemption, mode-off-after-outermost and
preempt-balanced hold in every state trivially; the verdict must say so.
The same scenario on Xen PV (lazy MMU mode is on inside the section) is
an ordinary PASS.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from lazycheck.kernel.config import KernelConfig, Preempt
from lazycheck.outcome import Verdict
from lazycheck.run.verify import coverage_of, run
from lazycheck.targets import Expectation, Target, find_root
from lazycheck.views.report import verdict_line

ROOT = find_root(Path(__file__).resolve().parent)
PROPS = ("mode-off-after-outermost", "preempt-balanced")


def _target(arch: str) -> Target:
    m = ROOT / "models"
    return Target(
        name="vacuous-test", path=m, description="", arch="x", generation="G1", source="t",
        models=(m / "arch" / arch, m / "api" / "g0-stateless.lazy",
                m / "scenarios" / "vmap-pages-pte-range-fea18c686320.lazy"),
        config=KernelConfig(cpus=1, tasks=("vmap_pages",), preempt=Preempt.FULL,
                            properties=PROPS),
        bound=40, expect=Expectation("pass"))


def test_nothing_watched_is_vacuous() -> None:
    o = run(_target("x86-native.lazy"), ROOT)
    assert o.verdict is Verdict.PASS
    assert o.coverage is not None
    assert {p for p, _ in o.coverage.unwatched} == set(PROPS)
    assert o.status == "VACUOUS" and not o.as_expected


def test_a_watched_state_makes_the_pass_count() -> None:
    o = run(_target("x86-xen-pv-c36549ff8d84.lazy"), ROOT)
    assert o.status == "PASS"
    assert o.coverage is not None
    assert "mode-off-after-outermost" not in {p for p, _ in o.coverage.unwatched}


def test_each_idle_property_is_marked_in_the_verdict() -> None:
    o = run(_target("x86-xen-pv-c36549ff8d84.lazy"), ROOT)
    assert o.coverage is not None
    o = dataclasses.replace(o, coverage=dataclasses.replace(
        o.coverage, unwatched=(("preempt-balanced", "preempt_count is raised"),)))
    assert "preempt-balanced (VACUOUS)" in verdict_line(o)


def test_reach_points_inside_arch_models_count_for_vacuity() -> None:
    """xen-nested requires the nested branches of the Xen G2 hooks: both are reached;
    a label that no explored step executes makes the PASS VACUOUS."""
    from lazycheck.targets import load_target

    t = load_target("xen-nested", ROOT)
    assert t.reach == ("xen-enter-nested", "xen-leave-nested")
    o = run(t, ROOT)
    assert o.status == "PASS" and o.coverage is not None and not o.coverage.missing
    t2 = dataclasses.replace(t, reach=("xen-enter-nested", "no-such-point"))
    cov = coverage_of(t2, o.system, o.result, o.loaded.program)
    assert cov is not None and cov.missing == ('__reach("no-such-point")',)
    assert dataclasses.replace(o, target=t2, coverage=cov).status == "VACUOUS"


def test_a_reach_point_on_a_branch_never_taken_is_not_reached(tmp_path: Path) -> None:
    """A point counts only where its path is taken: the action that holds both arms
    of the `if` fires, but `x` is never true, so "never" is not reached (it used to
    count because its action fired)."""
    from lazycheck.engines.explicit import ExplicitEngine
    from lazycheck.kernel.world import instantiate
    from lazycheck.lang.loader import load
    from lazycheck.outcome import Limits
    from lazycheck.system import reach_label

    s = tmp_path / "s.lazy"
    s.write_text('model scenario "reach" source "tests";\nglobal bool x;\nglobal int<0..1> y;\n'
                 'task void t(void)\n{\n    atomic {\n        if (x) {\n'
                 '            __reach("never");\n        } else {\n'
                 '            __reach("always");\n        }\n        y = 1;\n    }\n}\n',
                 encoding="utf-8")
    program = load([s], tmp_path).program
    system = instantiate(program, KernelConfig(cpus=1, tasks=("t",), preempt=Preempt.NONE,
                                               properties=("no-bug",)))
    assert any(len(a.reaches) == 2 for a in system.actions), "both arms in one action"
    result = ExplicitEngine().check(system, Limits(bound=20, max_states=1000))
    assert {x for x in ("never", "always") if reach_label(x) in result.witnessed} == {"always"}


def test_an_api_without_its_leave_role_makes_the_pass_vacuous(tmp_path: Path) -> None:
    """Issue 9 (monitor wiring): deleting ``leave = ...;`` from ``lazy_mmu_api`` removes
    the leave-site monitors; the same PASS is then VACUOUS, not green."""
    api = (ROOT / "models" / "api" / "g0-stateless.lazy").read_text()
    assert "\tleave = arch_leave_lazy_mmu_mode;\n" in api
    (tmp_path / "api.lazy").write_text(api.replace("\tleave = arch_leave_lazy_mmu_mode;\n",
                                                   "\n"))
    t = _target("x86-xen-pv-c36549ff8d84.lazy")
    t = dataclasses.replace(t, models=(t.models[0], tmp_path / "api.lazy", t.models[2]))
    o = run(t, ROOT)
    assert o.verdict is Verdict.PASS and o.coverage is not None
    assert o.coverage.missing == ("lazy_mmu_api binds enter but no leave",)
    assert o.status == "VACUOUS" and not o.as_expected
    assert run(_target("x86-xen-pv-c36549ff8d84.lazy"), ROOT).coverage.missing == ()  # type: ignore[union-attr]
