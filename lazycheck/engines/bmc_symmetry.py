"""Symmetry breaking for BMC: the first action is the least of its orbit.

The group is the one the explicit engine derives and checks structurally
(:func:`lazycheck.engines.symmetry.derive`): renamings of interchangeable
CPUs and tasks that map every action onto an action.  Only the subgroup
``H`` of renamings that fix the initial state is used (a CPU renaming need
not: "last ran on cpu0"), so the image ``h(R)`` of a run ``R`` is again a run
from the initial state, of the same length, through the renamed states;
the violation variable is invariant (checked), so ``h(R)`` violates iff
``R`` does.  Hence constraining the first action of the unrolling to the
least index of its ``H``-orbit loses no violation depth: for any run,
renaming it by the ``h`` that sends its first action to the orbit's least
gives one that satisfies the constraint.  It composes with the peephole
partial-order reduction (the least word equivalent to some ``h(R)`` starts
with an orbit-least action, or a smaller ``h'`` of it would be smaller:
renamings preserve the static independence of actions) and with the
context encoding (renamings map a task's actions and the switches into it
to another task's, and one CPU's interrupt actions to another CPU's, so the
number of contexts is kept).

The elements' action maps are rebuilt from the generators' (the first
elements of the group after the identity) by the same closure the group
was built with; if the rebuilt renamings are not exactly the group's, no
constraint is added.
"""

from __future__ import annotations

from lazycheck.engines.symmetry import Group, Renaming, derive
from lazycheck.smt import Encoder, Formula, StepVars
from lazycheck.system import System


def _element_maps(group: Group, n_actions: int) -> dict[Renaming, tuple[int, ...]] | None:
    """Each element's action map, composed from the generators'; None if they do not match."""
    gens = list(zip(group.elements[1:1 + len(group.action_maps)], group.action_maps,
                    strict=True))
    ident = group.elements[0]
    maps: dict[Renaming, tuple[int, ...]] = {ident: tuple(range(n_actions))}
    todo = [ident]
    while todo:
        r = todo.pop()
        for g, gmap in gens:
            h = r.then(g)  # g after r
            if h not in maps:
                maps[h] = tuple(gmap[b] for b in maps[r])
                todo.append(h)
    return maps if set(maps) == set(group.elements) else None


def first_actions(system: System) -> frozenset[int] | None:
    """The actions a run may start with up to symmetry (the least of each orbit), or None."""
    group = derive(system)
    if group is None:
        return None
    maps = _element_maps(group, len(system.actions))
    if maps is None:
        return None
    stab = [maps[r] for e, r in enumerate(group.elements)
            if group.apply(e, system.init) == system.init]
    keep = frozenset(a for a in range(len(system.actions)) if all(m[a] >= a for m in stab))
    return keep if len(keep) < len(system.actions) else None


def break_symmetry(enc: Encoder, first: StepVars) -> list[Formula]:
    """The action leaving ``first`` (the initial state) is the least of its orbit."""
    keep = first_actions(enc.system)
    if keep is None:
        return []
    return [enc.negate(enc.fired(first, a)) for a in range(len(enc.system.actions))
            if a not in keep]
