"""Kernel C -> :mod:`lazycheck.scan.syntax`, with tree-sitter; the only module that knows it.

Tolerant by construction: tree-sitter always returns a tree.  Regions it
could not parse (ERROR nodes) and tokens it had to invent (MISSING nodes)
are counted as :class:`Region` s; an unparsable region inside a function
becomes an opaque :class:`SUnparsed` statement.  Kernel macros that take a
block (``for_each_*``, ``scoped_guard``) parse as a call missing its ``;``
followed by a statement: they are recognised and not counted as errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from lazycheck.scan import syntax as sx

Node = Any  # tree_sitter.Node: typed loosely, the wheel ships no stubs for every version

_BLOCK_MACRO = re.compile(r"(for_each|scoped_guard|scoped_cond_guard)")
_COND_PASS = frozenset({"likely", "unlikely", "WARN_ON", "WARN_ON_ONCE", "VM_WARN_ON",
                        "VM_WARN_ON_ONCE", "WARN", "WARN_ONCE"})
_INT = re.compile(r"^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$")


@cache
def _parser() -> Any:
    """One tree-sitter C parser per process."""
    import tree_sitter
    import tree_sitter_c

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_c.language()))


def parse_tree(data: bytes) -> Node:
    """The tree-sitter root node of ``data``."""
    return _parser().parse(data).root_node


def _pos(node: Node) -> sx.Pos:
    row, col = node.start_point
    return sx.Pos(row + 1, col + 1)


def _end(node: Node) -> sx.Pos:
    row, col = node.end_point
    return sx.Pos(row + 1, col + 1)


def _text(node: Node) -> str:
    return bytes(node.text or b"").decode("utf-8", "replace")


def _is_block_macro_call(stmt: Node) -> bool:
    """``for_each_x(a, b)`` / ``scoped_guard(t, l)`` parsed as a statement missing ``;``."""
    if stmt.type != "expression_statement" or stmt.named_child_count < 1:
        return False
    call = stmt.named_children[0]
    if call.type != "call_expression":
        return False
    fn = call.child_by_field_name("function")
    if fn is None or fn.type != "identifier" or not _BLOCK_MACRO.search(_text(fn)):
        return False
    last = stmt.children[-1]
    return bool(last.is_missing)


def regions(root: Node) -> tuple[sx.Region, ...]:
    """Every ERROR and (not forgiven) MISSING node, visiting only subtrees with errors."""
    out: list[sx.Region] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_missing:
            parent = node.parent
            if parent is None or not _is_block_macro_call(parent):
                out.append(sx.Region("missing", _pos(node), _end(node)))
            continue
        if node.is_error:
            out.append(sx.Region("error", _pos(node), _end(node)))
            continue
        if node.has_error:
            stack.extend(reversed(node.children))
    return tuple(sorted(out, key=lambda r: (r.pos, r.kind)))


def function_nodes(root: Node) -> Iterator[Node]:
    """Top-level function definitions, also inside ``#if`` blocks."""
    stack = list(reversed(root.children))
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            yield node
        elif node.type.startswith("preproc_") or node.type in ("ERROR", "declaration_list",
                                                                 "linkage_specification"):
            stack.extend(reversed(node.children))


def _declarator_name(decl: Node | None) -> str | None:
    while decl is not None:
        if decl.type in ("identifier", "field_identifier"):
            return _text(decl)
        if decl.type == "function_declarator":
            decl = decl.child_by_field_name("declarator")
            continue
        nxt = decl.child_by_field_name("declarator")
        if nxt is None:
            kids = [c for c in decl.named_children if c.type in (
                "identifier", "function_declarator", "pointer_declarator",
                "parenthesized_declarator")]
            nxt = kids[0] if kids else None
        decl = nxt
    return None


def function_name(node: Node) -> str | None:
    """The name a function definition defines (``None`` if tree-sitter lost it)."""
    return _declarator_name(node.child_by_field_name("declarator"))


def _params(node: Node) -> tuple[str, ...]:
    decl = node.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    if decl is None:
        return ()
    plist = decl.child_by_field_name("parameters")
    names = []
    for p in plist.named_children if plist is not None else ():
        name = _declarator_name(p.child_by_field_name("declarator"))
        if name:
            names.append(name)
    return tuple(names)


def function(node: Node) -> sx.Function | None:
    """A function definition as :class:`syntax.Function` (``None`` without a name or body)."""
    name = function_name(node)
    body = node.child_by_field_name("body")
    if name is None or body is None or body.type != "compound_statement":
        return None
    block = _block(body)
    closing = sx.SReturn(sx.Expr((), ""), sx.Pos(body.end_point[0] + 1,
                                                    max(body.end_point[1], 1)))
    return sx.Function(name, _params(node), sx.SBlock((*block.items, closing), block.pos),
                       _pos(node), _end(node))


# ---------------------------------------------------------------- statements


def _block(node: Node) -> sx.SBlock:
    return sx.SBlock(tuple(_items(node.named_children)), _pos(node))


def _items(children: list[Node]) -> Iterator[sx.Stmt]:
    """Statements of a block, flattening labels and cases, joining block macros."""
    i = 0
    while i < len(children):
        node = children[i]
        i += 1
        if node.type == "comment":
            continue
        if _is_block_macro_call(node):
            body: sx.Stmt = sx.SBlock((), _end(node))
            while i < len(children) and children[i].type == "comment":
                i += 1
            if i < len(children):
                body = _stmt(children[i])
                i += 1
            yield _block_macro(node.named_children[0], body, _pos(node))
            continue
        yield from _flat(node)


def _block_macro(call: Node, body: sx.Stmt, pos: sx.Pos) -> sx.Stmt:
    effects = _expr(call)
    head = effects.effects[-1] if effects.effects else None
    if isinstance(head, sx.Call) and head.name.startswith("scoped"):
        return sx.SScoped(head, body, pos)
    return sx.SLoop("macro", None, sx.Unknown(_text(call)), effects, None, body, pos)


def _flat(node: Node) -> Iterator[sx.Stmt]:
    if node.type == "labeled_statement":
        label = node.child_by_field_name("label")
        yield sx.SLabel(_text(label) if label is not None else "?", _pos(node))
        for child in node.named_children[1:]:
            yield from _flat(child)
    elif node.type == "case_statement":
        default = node.children[0].type == "default"
        yield sx.SCase(default, _pos(node))
        value = node.child_by_field_name("value")
        for child in node.named_children:
            if value is not None and child.id == value.id:
                continue
            yield from _flat(child)
    elif node.type != "comment":
        yield _stmt(node)


def _stmt(node: Node) -> sx.Stmt:
    handler = _STMTS().get(node.type)
    if handler is not None:
        return handler(node)
    if node.type.startswith("preproc_if"):
        return _preproc(node)
    if node.type == "ERROR" or (node.has_error and node.type not in ("expression_statement",
                                                                     "declaration")):
        return sx.SUnparsed(_text(node)[:80], _pos(node))
    return sx.SExpr(_expr(node), _pos(node))


@cache
def _STMTS() -> dict[str, Callable[[Node], sx.Stmt]]:
    return {
        "compound_statement": _block,
        "if_statement": _if,
        "while_statement": _while,
        "for_statement": _for,
        "do_statement": _do,
        "switch_statement": _switch,
        "return_statement": lambda n: sx.SReturn(_expr(n), _pos(n)),
        "goto_statement": lambda n: sx.SJump("goto", _text(n.child_by_field_name("label")),
                                             _pos(n)),
        "break_statement": lambda n: sx.SJump("break", "", _pos(n)),
        "continue_statement": lambda n: sx.SJump("continue", "", _pos(n)),
        "expression_statement": _expr_stmt,
        "labeled_statement": lambda n: sx.SBlock(tuple(_flat(n)), _pos(n)),
        "case_statement": lambda n: sx.SBlock(tuple(_flat(n)), _pos(n)),
    }


def _expr_stmt(node: Node) -> sx.Stmt:
    e = _expr(node)
    first = node.named_children[0] if node.named_child_count else None
    if (first is not None and first.type == "call_expression" and e.effects
            and isinstance(e.effects[-1], sx.Call) and e.effects[-1].name == "guard"):
        return sx.SGuard(e.effects[-1], _pos(node))
    return sx.SExpr(e, _pos(node))


def _opt(node: Node | None) -> sx.Stmt:
    return _stmt(node) if node is not None else sx.SBlock((), sx.Pos(0, 0))


def _if(node: Node) -> sx.Stmt:
    cond = node.child_by_field_name("condition")
    alt = node.child_by_field_name("alternative")
    if alt is not None and alt.type == "else_clause":
        alt = alt.named_children[0] if alt.named_child_count else None
    return sx.SIf(_cond(cond), _expr(cond), _opt(node.child_by_field_name("consequence")),
                  _stmt(alt) if alt is not None else None, _pos(node))


def _while(node: Node) -> sx.Stmt:
    cond = node.child_by_field_name("condition")
    return sx.SLoop("while", None, _cond(cond), _expr(cond), None,
                    _opt(node.child_by_field_name("body")), _pos(node))


def _do(node: Node) -> sx.Stmt:
    cond = node.child_by_field_name("condition")
    return sx.SLoop("do", None, _cond(cond), _expr(cond), None,
                    _opt(node.child_by_field_name("body")), _pos(node))


def _for(node: Node) -> sx.Stmt:
    init = node.child_by_field_name("initializer")
    cond = node.child_by_field_name("condition")
    upd = node.child_by_field_name("update")
    return sx.SLoop("for", _expr(init) if init is not None else None,
                    _cond(cond) if cond is not None else sx.Const(True),
                    _expr(cond) if cond is not None else sx.Expr((), ""),
                    _expr(upd) if upd is not None else None,
                    _opt(node.child_by_field_name("body")), _pos(node))


def _switch(node: Node) -> sx.Stmt:
    cond = node.child_by_field_name("condition")
    return sx.SSwitch(_expr(cond), _opt(node.child_by_field_name("body")), _pos(node))


def _preproc(node: Node) -> sx.Stmt:
    """``#if``/``#ifdef`` inside a body: either branch may be compiled in."""
    alt = node.child_by_field_name("alternative")
    skip = {c.id for c in (node.child_by_field_name("condition"),
                           node.child_by_field_name("name"), alt) if c is not None}
    body = [c for c in node.named_children if c.id not in skip]
    other = _preproc(alt) if alt is not None else None
    return sx.SIf(sx.Unknown("#if"), sx.Expr((), ""),
                  sx.SBlock(tuple(_items(body)), _pos(node)), other, _pos(node))


# ---------------------------------------------------------------- expressions


def _expr(node: Node | None) -> sx.Expr:
    if node is None:
        return sx.Expr((), "")
    out: list[sx.Effect] = []
    _collect(node, out)
    return sx.Expr(tuple(out), _text(node))


def _call_name(fn: Node) -> tuple[str, tuple[str, ...]]:
    """``f`` -> ("f", ()); ``guard(spinlock)`` -> ("guard", ("spinlock",)); ``ops->f``."""
    if fn.type == "call_expression":
        inner = fn.child_by_field_name("function")
        args = fn.child_by_field_name("arguments")
        name = _text(inner) if inner is not None else "?"
        return name, tuple(_text(a) for a in (args.named_children if args else ())
                           if a.type != "comment")
    if fn.type == "parenthesized_expression" and fn.named_child_count:
        return _call_name(fn.named_children[0])
    return _text(fn), ()


def _collect(node: Node, out: list[sx.Effect]) -> None:
    """Calls and assignments below ``node``, arguments before the call."""
    t = node.type
    if t == "call_expression":
        args = node.child_by_field_name("arguments")
        arg_nodes = [a for a in (args.named_children if args else ()) if a.type != "comment"]
        for a in arg_nodes:
            _collect(a, out)
        fn = node.child_by_field_name("function")
        name, pre = _call_name(fn) if fn is not None else ("?", ())
        out.append(sx.Call(name, (*pre, *(_text(a) for a in arg_nodes)), _pos(node)))
        return
    if t in ("assignment_expression", "init_declarator"):
        left = node.child_by_field_name("left") or node.child_by_field_name("declarator")
        right = node.child_by_field_name("right") or node.child_by_field_name("value")
        if right is not None:
            _collect(right, out)
        var = _declarator_name(left) if left is not None and left.type != "field_expression" \
            else (_text(left) if left is not None else None)
        if var is None:
            return
        op = node.child_by_field_name("operator")
        plain = op is None or _text(op) == "="
        if right is not None and right.type == "call_expression" and out \
                and isinstance(out[-1], sx.Call):
            last = out[-1]
            out[-1] = sx.Call(last.name, last.args, last.pos, var)
        out.append(sx.Assign(var, _sign(right) if plain and right is not None else sx.ANY))
        return
    if t == "update_expression":
        arg = node.child_by_field_name("argument")
        if arg is not None and arg.type == "identifier":
            out.append(sx.Assign(_text(arg), sx.ANY))
        return
    for child in node.named_children:
        _collect(child, out)


def _int(node: Node) -> int | None:
    """The value of an integer literal, ``-N`` or ``(N)``; ``None`` otherwise."""
    if node.type == "parenthesized_expression" and node.named_child_count == 1:
        return _int(node.named_children[0])
    if node.type == "number_literal":
        m = _INT.match(_text(node))
        return int(m.group(1), 0) if m else None
    if node.type == "unary_expression":
        op = node.child_by_field_name("operator")
        arg = node.child_by_field_name("argument")
        if op is not None and _text(op) == "-" and arg is not None:
            v = _int(arg)
            return -v if v is not None else None
    if node.type in ("true", "false", "null"):
        return 1 if node.type == "true" else 0
    if node.type == "identifier" and _text(node) in ("NULL", "false", "true"):
        return 1 if _text(node) == "true" else 0
    return None


def _sign(node: Node) -> sx.Sign:
    """The signs a right-hand side may have (``-ENOMEM`` is negative)."""
    v = _int(node)
    if v is not None:
        return frozenset({"-" if v < 0 else "0" if v == 0 else "+"})
    if node.type == "unary_expression":
        op = node.child_by_field_name("operator")
        if op is not None and _text(op) == "-":
            return frozenset({"-"})
        if op is not None and _text(op) == "!":
            return frozenset({"0", "+"})
    if node.type == "parenthesized_expression" and node.named_child_count == 1:
        return _sign(node.named_children[0])
    return sx.ANY


def _cond(node: Node | None) -> sx.Cond:
    """A branch condition, as far as the path-sensitive checks follow it."""
    if node is None:
        return sx.Const(True)
    t = node.type
    if t in ("parenthesized_expression", "condition_clause") and node.named_child_count == 1:
        return _cond(node.named_children[0])
    v = _int(node)
    if v is not None:
        return sx.Const(v != 0)
    if t in ("identifier", "field_expression"):
        return sx.Atom(_text(node), "!=", 0)
    if t == "unary_expression":
        op = node.child_by_field_name("operator")
        arg = node.child_by_field_name("argument")
        if op is not None and _text(op) == "!" and arg is not None:
            return sx.Not(_cond(arg))
    if t == "binary_expression":
        return _binary_cond(node)
    if t == "assignment_expression":
        left = node.child_by_field_name("left")
        if left is not None and left.type == "identifier":
            return sx.Atom(_text(left), "!=", 0)
    if t == "call_expression":
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if fn is not None and _text(fn) in _COND_PASS and args is not None \
                and args.named_child_count >= 1:
            return _cond(args.named_children[0])
    return sx.Unknown(_text(node)[:60])


def _binary_cond(node: Node) -> sx.Cond:
    op_node = node.child_by_field_name("operator")
    op = _text(op_node) if op_node is not None else ""
    left = node.child_by_field_name("left")
    right = node.child_by_field_name("right")
    if left is None or right is None:
        return sx.Unknown(_text(node)[:60])
    if op == "&&":
        return sx.And(_cond(left), _cond(right))
    if op == "||":
        return sx.Or(_cond(left), _cond(right))
    flip = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}
    if op in flip:
        lv, rv = _int(left), _int(right)
        if rv is not None and left.type in ("identifier", "field_expression"):
            return sx.Atom(_text(left), op, rv)
        if lv is not None and right.type in ("identifier", "field_expression"):
            return sx.Atom(_text(right), flip[op], lv)
    return sx.Unknown(_text(node)[:60])


# ---------------------------------------------------------------- files


def parse_source(path: str, data: bytes, keep: Callable[[bytes], bool]) -> tuple[
        sx.SourceFile, tuple[tuple[str, int, int], ...]]:
    """Parse one file.  Functions whose text ``keep`` accepts are converted in full;
    the others come back as (name, first byte, end byte) for a cheap summary."""
    root = parse_tree(data)
    kept: list[sx.Function] = []
    rest: list[tuple[str, int, int]] = []
    for node in function_nodes(root):
        text = data[node.start_byte:node.end_byte]
        if keep(text):
            fn = function(node)
            if fn is not None:
                kept.append(fn)
        else:
            name = function_name(node)
            if name is not None:
                rest.append((name, node.start_byte, node.end_byte))
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    return sx.SourceFile(path, lines, tuple(kept), regions(root)), tuple(rest)
