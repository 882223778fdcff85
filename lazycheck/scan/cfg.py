"""Per-function control-flow graph (networkx) of :mod:`lazycheck.scan.syntax` statements.

Nodes carry a :class:`Node` (``attr "node"``); an edge out of a branch node
carries the condition and the sense it was taken with.  Handled: ``goto``
and labels, early ``return``, ``while``/``for``/``do``, ``for_each_*``
macros (a loop that may run zero or more times), ``switch`` with
fall-through, ``break``/``continue``, and ``guard()``/``scoped_guard()``
whose release runs on every exit from the scope (return, goto, break,
continue, falling off the end).  A goto releases every guard but the
function body's own (labels are at the top level in kernel code).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from lazycheck.scan import syntax as sx

ENTRY, EXIT = 0, 1
Port = tuple[int, sx.Cond | None, bool]
RELEASE = "__guard_release"
NOWHERE = sx.Pos(0, 0)


@dataclass(frozen=True, slots=True)
class Node:
    """kind: entry, exit, stmt, branch, return, join; effects run in order."""

    kind: str
    effects: tuple[sx.Effect, ...] = ()
    pos: sx.Pos = NOWHERE
    cond: sx.Cond | None = None
    text: str = ""


@dataclass
class _Loop:
    breaks: list[Port] = field(default_factory=list)
    cont: int | None = None  # None in a switch: continue goes to the enclosing loop
    depth: int = 0


class _Builder:
    """Mutable while one function's graph is built; returns an immutable-by-use graph."""

    def __init__(self) -> None:
        self.g = nx.DiGraph()
        self.g.add_node(ENTRY, node=Node("entry"))
        self.g.add_node(EXIT, node=Node("exit"))
        self.labels: dict[str, int] = {}
        self.loops: list[_Loop] = []
        self.scopes: list[list[sx.Call]] = []
        self.switches: list[int] = []

    def add(self, node: Node, ports: list[Port]) -> int:
        """Add a node reached from ``ports``."""
        n = int(self.g.number_of_nodes())
        self.g.add_node(n, node=node)
        self.connect(ports, n)
        return n

    def connect(self, ports: list[Port], target: int) -> None:
        """Edges from every port to ``target``."""
        for src, cond, sense in ports:
            self.g.add_edge(src, target, cond=cond, sense=sense)

    def releases(self, ports: list[Port], keep: int) -> list[Port]:
        """Run the guard releases of every scope deeper than ``keep``, innermost first."""
        for scope in reversed(self.scopes[keep:]):
            for call in reversed(scope):
                ports = [(self.add(Node("stmt", (call,), call.pos, text="guard release"),
                                   ports), None, True)]
        return ports

    def block(self, items: tuple[sx.Stmt, ...], ports: list[Port]) -> list[Port]:
        """A ``{ }`` scope: its statements, then its guard releases."""
        self.scopes.append([])
        for s in items:
            ports = self.stmt(s, ports)
        ports = self.releases(ports, len(self.scopes) - 1)
        self.scopes.pop()
        return ports

    def stmt(self, s: sx.Stmt, ports: list[Port]) -> list[Port]:
        """One statement; returns the ports falling out of it."""
        match s:
            case sx.SBlock(items=items):
                return self.block(items, ports)
            case sx.SExpr(expr=e, pos=pos):
                if not e.effects:
                    return ports
                return [(self.add(Node("stmt", e.effects, pos, text=e.text), ports), None, True)]
            case sx.SUnparsed(text=text, pos=pos):
                return [(self.add(Node("stmt", (), pos, text=text), ports), None, True)]
            case sx.SIf():
                return self.if_(s, ports)
            case sx.SLoop():
                return self.loop(s, ports)
            case sx.SSwitch():
                return self.switch(s, ports)
            case sx.SCase():
                n = self.add(Node("join", pos=s.pos), ports)
                if self.switches:
                    self.g.add_edge(self.switches[-1], n, cond=None, sense=True)
                return [(n, None, True)]
            case sx.SReturn():
                return self.return_(s, ports)
            case sx.SJump():
                return self.jump(s, ports)
            case sx.SLabel(name=name, pos=pos):
                n = self.label(name, pos)
                self.connect(ports, n)
                return [(n, None, True)]
            case sx.SGuard(call=call, pos=pos):
                n = self.add(Node("stmt", (call,), pos, text="guard"), ports)
                self.scopes[-1].append(sx.Call(RELEASE, call.args, pos))
                return [(n, None, True)]
            case sx.SScoped(call=call, body=body, pos=pos):
                n = self.add(Node("stmt", (call,), pos, text="scoped_guard"), ports)
                self.scopes.append([sx.Call(RELEASE, call.args, pos)])
                out = self.stmt(body, [(n, None, True)])
                out = self.releases(out, len(self.scopes) - 1)
                self.scopes.pop()
                return out
        return ports

    def label(self, name: str, pos: sx.Pos) -> int:
        """The join node of a label (created by the first goto or the label)."""
        if name not in self.labels:
            self.labels[name] = self.add(Node("join", pos=pos, text=name + ":"), [])
        elif pos != sx.Pos(0, 0):
            self.g.nodes[self.labels[name]]["node"] = Node("join", pos=pos, text=name + ":")
        return self.labels[name]

    def if_(self, s: sx.SIf, ports: list[Port]) -> list[Port]:
        """``if``/``else``: a branch node, both arms."""
        b = self.add(Node("branch", s.pre.effects, s.pos, s.cond, s.pre.text), ports)
        out = self.stmt(s.then, [(b, s.cond, True)])
        if s.other is not None:
            return out + self.stmt(s.other, [(b, s.cond, False)])
        return [*out, (b, s.cond, False)]

    def loop(self, s: sx.SLoop, ports: list[Port]) -> list[Port]:
        """A loop: head branch, body, update, back edge; breaks leave it."""
        if s.init is not None and s.init.effects:
            ports = [(self.add(Node("stmt", s.init.effects, s.pos, text=s.init.text), ports),
                      None, True)]
        head = self.add(Node("branch", s.pre.effects, s.pos, s.cond, s.pre.text),
                        [] if s.kind == "do" else ports)
        start = self.add(Node("join", pos=s.pos), ports if s.kind == "do" else
                         [(head, s.cond, True)])
        cont = head
        if s.update is not None and s.update.effects:
            cont = self.add(Node("stmt", s.update.effects, s.pos, text=s.update.text), [])
            self.g.add_edge(cont, head, cond=None, sense=True)
        ctx = _Loop(cont=cont, depth=len(self.scopes))
        self.loops.append(ctx)
        body_out = self.stmt(s.body, [(start, None, True)])
        self.loops.pop()
        self.connect(body_out, cont)
        if s.kind == "do":
            self.g.add_edge(head, start, cond=s.cond, sense=True)
        return [(head, s.cond, False), *ctx.breaks]

    def switch(self, s: sx.SSwitch, ports: list[Port]) -> list[Port]:
        """``switch``: a dispatch node to every case, fall-through kept."""
        d = self.add(Node("branch", s.pre.effects, s.pos, sx.Unknown(s.pre.text),
                          s.pre.text), ports)
        ctx = _Loop(depth=len(self.scopes))
        self.loops.append(ctx)
        self.switches.append(d)
        out = self.stmt(s.body, [])
        self.switches.pop()
        self.loops.pop()
        has_default = isinstance(s.body, sx.SBlock) and any(
            isinstance(i, sx.SCase) and i.default for i in s.body.items)
        return out + ctx.breaks + ([] if has_default else [(d, None, True)])

    def return_(self, s: sx.SReturn, ports: list[Port]) -> list[Port]:
        """``return``: the return node, every guard release, then EXIT."""
        n = self.add(Node("return", s.expr.effects, s.pos, text=s.expr.text or "}"), ports)
        self.connect(self.releases([(n, None, True)], 0), EXIT)
        return []

    def jump(self, s: sx.SJump, ports: list[Port]) -> list[Port]:
        """``goto``/``break``/``continue`` with the guard releases they cross."""
        if s.kind == "goto":
            out = self.releases(ports, 1)
            self.connect(out, self.label(s.label, sx.Pos(0, 0)))
            return []
        target = None
        for ctx in reversed(self.loops):
            if s.kind == "break" or ctx.cont is not None:
                target = ctx
                break
        if target is None:
            return []
        out = self.releases(ports, target.depth)
        if s.kind == "break":
            target.breaks.extend(out)
        elif target.cont is not None:
            self.connect(out, target.cont)
        return []


def build(fn: sx.Function) -> nx.DiGraph:
    """The control-flow graph of ``fn``: ENTRY (0) to EXIT (1)."""
    b = _Builder()
    out = b.block(fn.body.items, [(ENTRY, None, True)])
    b.connect(out, EXIT)
    return b.g


def node(g: nx.DiGraph, n: int) -> Node:
    """The :class:`Node` stored at ``n``."""
    result: Node = g.nodes[n]["node"]
    return result
