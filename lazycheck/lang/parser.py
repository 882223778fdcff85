"""Recursive-descent parser for ``.lazy`` files.

The grammar is a small subset of kernel C (see docs/language.md).  Errors
are collected as diagnostics; after an error the parser skips to the next
declaration so one typo gives one message.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from lazycheck.diagnostics import Diagnostic, Span
from lazycheck.lang import ast
from lazycheck.lang.lexer import Tok, Token, tokenize

_STORAGE = {"percpu", "pertask", "global"}
_QUALIFIERS = {"__weak", "task", "irq", "pure", "static", "inline"}
_SIMPLE_TYPES = {"void", "bool", "u8", "int", "pte_t", "pteval_t", "cpu_t", "task_t",
                 "spinlock_t"}
# words that can never name a type, so "WORD IDENT" is not a declaration
_KEYWORDS = {"return", "if", "else", "for", "for_each_pte", "break", "continue", "atomic",
             "model", "source", "enum", "typedef", "while", "do", "goto", "thread_flag",
             "pte", "lazy_mmu_api", "percpu", "pertask", "global", "true", "false", "NULL",
             "current", "task", "irq", "pure", "__weak", "static", "inline"}
_BINARY_LEVELS: tuple[tuple[str, ...], ...] = (
    ("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="), ("+", "-"))


class _Fail(Exception):
    pass


# Input limits (README "Input limits"): statements, expressions and unary
# operators nest at most MAX_NESTING deep, and one statement has at most
# MAX_OPERATORS operators, so every later pass recurses a bounded depth.
MAX_NESTING = 32
MAX_OPERATORS = 64
_F = TypeVar("_F", bound=Callable[..., Any])
_OPERATORS = {"||", "&&", "==", "!=", "<", "<=", ">", ">=", "+", "-", "!", "&", "*", "?"}


def _nested(fn: _F) -> _F:
    """Count a parse method's nesting; deeper than MAX_NESTING is LZC005, not a crash."""
    @functools.wraps(fn)
    def wrapper(self: Parser, *args: Any) -> Any:
        if self.depth >= MAX_NESTING:
            self.diags.append(Diagnostic(
                "LZC005", f"nesting deeper than {MAX_NESTING} levels", self.tok.span,
                help="split the statement or expression into smaller ones"))
            raise _Fail()
        self.depth += 1
        try:
            return fn(self, *args)
        finally:
            self.depth -= 1
    return cast(_F, wrapper)


def _operator_flood(toks: list[Token]) -> Diagnostic | None:
    """LZC005 at the first statement with more than MAX_OPERATORS operators."""
    count = 0
    for t in toks:
        if t.kind is not Tok.PUNCT:
            continue
        if t.text in (";", "{", "}"):
            count = 0
        elif t.text in _OPERATORS:
            count += 1
            if count > MAX_OPERATORS:
                return Diagnostic("LZC005", f"more than {MAX_OPERATORS} operators in one "
                                  "statement", t.span,
                                  help="split the expression with local variables")
    return None


class Parser:
    depth = 0  # current nesting of statements and expressions (see _nested)

    def __init__(self, text: str, file: str) -> None:
        self.file = file
        self.lines = text.splitlines()
        self.toks, self.diags = tokenize(text, file)
        self.i = 0
        self.typedefs: set[str] = set()

    # ------------------------------------------------------------ helpers
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def advance(self) -> Token:
        t = self.toks[self.i]
        if t.kind is not Tok.EOF:
            self.i += 1
        return t

    def error(self, msg: str, span: Span | None = None, help: str | None = None) -> _Fail:
        self.diags.append(Diagnostic("LZC003", msg, span or self.tok.span, help=help))
        return _Fail()

    def _describe(self, t: Token) -> str:
        return "end of file" if t.kind is Tok.EOF else f"'{t.text}'"

    def expect(self, text: str, what: str | None = None) -> Token:
        if self.tok.is_(text):
            return self.advance()
        raise self.error(f"expected '{text}'{' ' + what if what else ''}, "
                         f"found {self._describe(self.tok)}")

    def accept(self, text: str) -> bool:
        if self.tok.is_(text):
            self.advance()
            return True
        return False

    def ident(self, what: str) -> Token:
        if self.tok.kind is Tok.IDENT:
            return self.advance()
        raise self.error(f"expected {what}, found {self._describe(self.tok)}")

    def text_between(self, first: Token, last: Token) -> str:
        a, b = first.span, last.span
        if a.line == b.line and 1 <= a.line <= len(self.lines):
            return self.lines[a.line - 1][a.col - 1:b.col - 1 + b.length].strip()
        if 1 <= a.line <= len(self.lines):
            return self.lines[a.line - 1][a.col - 1:].strip()
        return first.text

    def skip_to_decl(self) -> None:
        depth = 0
        while self.tok.kind is not Tok.EOF:
            t = self.advance()
            if t.is_("{"):
                depth += 1
            elif t.is_("}"):
                depth -= 1
                if depth <= 0:
                    self.accept(";")
                    return
            elif t.is_(";") and depth == 0:
                return

    # ------------------------------------------------------------ file
    def parse_file(self) -> ast.ModelFile:
        header = None
        decls: list[ast.ADecl] = []
        if self.tok.is_("model"):
            try:
                header = self.parse_header()
            except _Fail:
                self.skip_to_decl()
        else:
            self.diags.append(Diagnostic(
                "LZC011", "model file does not start with a header", self.tok.span,
                help='begin the file with: model arch|api|scenario|common "title" '
                     'source "commit or message-id";'))
        while self.tok.kind is not Tok.EOF:
            start = self.i
            try:
                decls.append(self.parse_decl())
            except _Fail:
                # resume after the whole declaration (a function body included),
                # so that one mistake gives one message
                self.i = start
                self.skip_to_decl()
                if self.i == start:
                    self.advance()
        return ast.ModelFile(self.file, header, tuple(decls))

    def parse_header(self) -> ast.Header:
        first = self.expect("model")
        kind = self.ident("model kind")
        if kind.text not in ("arch", "api", "scenario", "common"):
            self.diags.append(Diagnostic("LZC011", f"unknown model kind '{kind.text}'",
                                         kind.span, help="use arch, api, scenario or common"))
        title = self.string("a title string")
        if not self.tok.is_("source"):
            self.diags.append(Diagnostic(
                "LZC011", "model header names no source", self.tok.span,
                help='every model names the kernel commit or message it encodes: '
                     'add source "<commit id> <subject>"'))
            raise _Fail()
        self.advance()
        source = self.string("a source string")
        self.expect(";", "after the model header")
        return ast.Header(kind.text, title, source, first.span)

    def string(self, what: str) -> str:
        if self.tok.kind is Tok.STRING:
            return self.advance().text
        raise self.error(f"expected {what}, found {self._describe(self.tok)}")

    def is_type_start(self) -> bool:
        """A type begins here: a type word, or a typedef name (possibly from another
        file: two identifiers in a row can only be "TYPE name")."""
        t = self.tok
        if t.kind is not Tok.IDENT:
            return False
        if t.text in _SIMPLE_TYPES or t.text in self.typedefs or t.text in ("enum", "struct"):
            return True
        return t.text not in _KEYWORDS and self.peek().kind is Tok.IDENT

    def parse_type(self) -> ast.TypeRef:
        t = self.tok
        if t.is_("enum"):
            self.advance()
            name = self.ident("enum name")
            return ast.TypeRef("enum " + name.text, t.span)
        if t.is_("int") and self.peek().is_("<"):
            self.advance()
            self.advance()
            lo = self.signed_int()
            self.expect("..", "in int<lo..hi>")
            hi = self.signed_int()
            self.expect(">", "to close int<lo..hi>")
            return ast.TypeRef("int", t.span, lo, hi)
        if t.kind is Tok.IDENT and (t.text in _SIMPLE_TYPES or t.text in self.typedefs
                                    or (t.text not in _KEYWORDS
                                        and self.peek().kind is Tok.IDENT)):
            self.advance()
            return ast.TypeRef(t.text, t.span)
        raise self.error(f"expected a type, found {self._describe(t)}",
                         help="types are bool, u8, int<lo..hi>, enum NAME, pte_t, pteval_t, "
                              "cpu_t, task_t or a typedef")

    def signed_int(self) -> int:
        neg = self.accept("-")
        if self.tok.kind is not Tok.INT:
            raise self.error(f"expected an integer, found {self._describe(self.tok)}")
        v = int(self.advance().text)
        return -v if neg else v

    def dotted_name(self) -> tuple[str, Span]:
        first = self.ident("a name")
        parts = [first.text]
        while self.tok.is_(".") and self.peek().kind is Tok.IDENT:
            self.advance()
            parts.append(self.advance().text)
        return ".".join(parts), first.span

    def parse_decl(self) -> ast.ADecl:
        t = self.tok
        if t.kind is Tok.INCLUDE:
            self.advance()
            path = self.string("a file name after #include")
            return ast.Include(path, t.span)
        if t.is_("enum") and self.peek(2).is_("{"):
            self.advance()
            name = self.ident("enum name")
            self.expect("{")
            members: list[tuple[str, Span]] = []
            while not self.tok.is_("}"):
                m = self.ident("an enumerator")
                members.append((m.text, m.span))
                if not self.accept(","):
                    break
            self.expect("}", "to close the enum")
            self.expect(";", "after the enum")
            return ast.EnumDecl(name.text, tuple(members), t.span)
        if t.is_("typedef"):
            self.advance()
            ty = self.parse_type()
            name = self.ident("typedef name")
            self.expect(";")
            self.typedefs.add(name.text)
            return ast.TypedefDecl(ty, name.text, t.span)
        if t.is_("thread_flag"):
            self.advance()
            names = [self.ident("a flag name")]
            while self.accept(","):
                names.append(self.ident("a flag name"))
            self.expect(";")
            return ast.FlagDecl(tuple((n.text, n.span) for n in names), t.span)
        if t.is_("spinlock_t") and not self.peek(2).is_("("):
            self.advance()
            lock, _ = self.dotted_name()
            self.expect(";")
            return ast.LockDecl(lock, t.span)
        if t.is_("pte"):
            self.advance()
            mm = self.ident("kernel or user")
            if mm.text not in ("kernel", "user"):
                raise self.error("expected 'kernel' or 'user' after 'pte'", mm.span,
                                 help="say which address space the PTE maps: "
                                      "pte kernel NAME; or pte user NAME;")
            name = self.ident("a PTE name")
            init = self.parse_expr() if self.accept("=") else None
            self.expect(";")
            return ast.PteDecl(mm.text, name.text, init, t.span)
        if t.is_("lazy_mmu_api"):
            self.advance()
            self.expect("{")
            roles: list[tuple[str, str, Span]] = []
            while not self.tok.is_("}") and self.tok.kind is not Tok.EOF:
                role = self.ident("a role (enter, leave, pause, resume)")
                self.expect("=")
                fn = self.ident("a function name")
                self.expect(";")
                roles.append((role.text, fn.text, role.span))
            self.expect("}")
            self.accept(";")
            return ast.ApiDecl(tuple(roles), t.span)
        if t.kind is Tok.IDENT and t.text in _STORAGE:
            self.advance()
            ty = self.parse_type()
            vname, _ = self.dotted_name()
            dims: list[ast.TypeRef | ast.AExpr] = []
            while self.accept("["):
                if self.is_type_start():
                    dims.append(self.parse_type())
                else:
                    dims.append(self.parse_expr())
                self.expect("]")
            init = self.parse_expr() if self.accept("=") else None
            self.expect(";", "after the declaration")
            return ast.VarDecl(t.text, ty, vname, tuple(dims), init, t.span)
        quals: list[str] = []
        while self.tok.kind is Tok.IDENT and self.tok.text in _QUALIFIERS:
            quals.append(self.advance().text)
        if self.is_type_start():
            ty = self.parse_type()
            name = self.ident("a function name")
            return self.parse_function(tuple(quals), ty, name)
        raise self.error(f"expected a declaration, found {self._describe(self.tok)}",
                         help="top level holds #include, enum, typedef, percpu/pertask/"
                              "global variables, thread_flag, spinlock_t, pte, "
                              "lazy_mmu_api and functions")

    def parse_function(self, quals: tuple[str, ...], ret: ast.TypeRef,
                       name: Token) -> ast.FuncDecl:
        self.expect("(", "after the function name")
        params: list[ast.Param] = []
        if self.tok.is_("void") and self.peek().is_(")"):
            self.advance()
        while not self.tok.is_(")"):
            pty = self.parse_type()
            self.accept("*")
            pname = self.ident("a parameter name")
            params.append(ast.Param(pty, pname.text, pname.span))
            if not self.accept(","):
                break
        self.expect(")", "to close the parameter list")
        body, end = self.parse_block()
        return ast.FuncDecl(quals, ret, name.text, tuple(params), body, name.span, end)

    # ------------------------------------------------------------ statements
    def parse_block(self) -> tuple[tuple[ast.AStmt, ...], Span]:
        self.expect("{", "to open a block")
        out: list[ast.AStmt] = []
        while not self.tok.is_("}"):
            if self.tok.kind is Tok.EOF:
                raise self.error("unexpected end of file: missing '}'")
            st = self.parse_stmt()
            if st is not None:
                out.append(st)
        end = self.advance().span
        return tuple(out), end

    def parse_body(self) -> tuple[ast.AStmt, ...]:
        if self.tok.is_("{"):
            return self.parse_block()[0]
        st = self.parse_stmt()
        return () if st is None else (st,)

    @_nested
    def parse_stmt(self) -> ast.AStmt | None:
        t = self.tok
        if t.is_(";"):
            self.advance()
            return None
        if t.is_("{"):
            body, _ = self.parse_block()
            return _Seq.wrap(body, t.span)
        if t.is_("if"):
            self.advance()
            self.expect("(", "after if")
            cond = self.parse_expr()
            close = self.expect(")", "to close the if condition")
            text = self.text_between(t, close)
            then = self.parse_body()
            other: tuple[ast.AStmt, ...] = ()
            if self.accept("else"):
                other = self.parse_body()
            return ast.IfStmt(cond, then, other, t.span, text)
        if t.is_("return"):
            self.advance()
            value = None if self.tok.is_(";") else self.parse_expr()
            semi = self.expect(";", "after return")
            return ast.ReturnStmt(value, t.span, self.text_between(t, semi))
        if t.is_("atomic"):
            self.advance()
            body, _ = self.parse_block()
            return ast.AtomicStmt(body, t.span, "atomic {")
        if t.is_("break") or t.is_("continue"):
            self.advance()
            self.expect(";")
            return ast.JumpStmt(t.text, t.span, t.text + ";")
        if t.is_("for"):
            return self.parse_for()
        if t.is_("for_each_pte"):
            self.advance()
            self.expect("(", "after for_each_pte")
            var = self.ident("the PTE variable")
            close = self.expect(")")
            body = self.parse_body()
            return ast.ForStmt(var.text, ast.Num(0, t.span), ast.Name("__NR_PTES", t.span),
                               body, t.span, self.text_between(t, close))
        if t.is_("while") or t.is_("do") or t.is_("goto"):
            raise self.error(f"'{t.text}' is not supported: model loops must be bounded",
                             help="write for (i = 0; i < N; i++) with a constant N")
        if self.is_type_start() and (self.peek().kind is Tok.IDENT or (
                self.tok.is_("int") and self.peek().is_("<"))):
            ty = self.parse_type()
            self.accept("*")
            name = self.ident("a variable name")
            init = self.parse_expr() if self.accept("=") else None
            semi = self.expect(";", "after the declaration")
            return ast.LocalDecl(ty, name.text, init, t.span, self.text_between(t, semi))
        expr = self.parse_expr()
        for op in ("=", "+=", "-="):
            if self.accept(op):
                value = self.parse_expr()
                semi = self.expect(";", "after the assignment")
                return ast.AssignStmt(expr, op, value, t.span, self.text_between(t, semi))
        for op in ("++", "--"):
            if self.accept(op):
                semi = self.expect(";")
                return ast.AssignStmt(expr, op, None, t.span, self.text_between(t, semi))
        semi = self.expect(";", "after the statement")
        return ast.ExprStmt(expr, t.span, self.text_between(t, semi))

    def parse_for(self) -> ast.ForStmt:
        t = self.advance()
        self.expect("(", "after for")
        if self.is_type_start():
            self.parse_type()
        var = self.ident("the loop variable")
        self.expect("=", "in the for initialiser")
        lo = self.parse_expr()
        self.expect(";")
        v2 = self.ident("the loop variable")
        self.expect("<", "in the for condition (write i < N)")
        hi = self.parse_expr()
        self.expect(";")
        v3 = self.ident("the loop variable")
        self.expect("++", "in the for increment (write i++)")
        close = self.expect(")")
        if v2.text != var.text or v3.text != var.text:
            raise self.error("for loops must use one variable: for (i = a; i < b; i++)",
                             v2.span)
        body = self.parse_body()
        return ast.ForStmt(var.text, lo, hi, body, t.span, self.text_between(t, close))

    # ------------------------------------------------------------ expressions
    @_nested
    def parse_expr(self) -> ast.AExpr:
        cond = self.parse_binary(0)
        if self.tok.is_("?"):
            q = self.advance()
            then = self.parse_expr()
            self.expect(":", "in a ?: expression")
            other = self.parse_expr()
            return ast.Cond(cond, then, other, q.span)
        return cond

    def parse_binary(self, level: int) -> ast.AExpr:
        if level == len(_BINARY_LEVELS):
            return self.parse_unary()
        left = self.parse_binary(level + 1)
        while self.tok.kind is Tok.PUNCT and self.tok.text in _BINARY_LEVELS[level]:
            op = self.advance()
            right = self.parse_binary(level + 1)
            left = ast.BinaryOp(op.text, left, right, op.span)
        return left

    @_nested
    def parse_unary(self) -> ast.AExpr:
        t = self.tok
        if t.kind is Tok.PUNCT and t.text in ("!", "-", "&", "*"):
            self.advance()
            arg = self.parse_unary()
            if t.text == "*":
                return arg
            return ast.Unary(t.text, arg, t.span)
        return self.parse_postfix()

    def parse_postfix(self) -> ast.AExpr:
        e = self.parse_primary()
        while True:
            t = self.tok
            if t.is_("(") and isinstance(e, ast.Name):
                self.advance()
                args: list[ast.AExpr] = []
                while not self.tok.is_(")"):
                    args.append(self.parse_expr())
                    if not self.accept(","):
                        break
                self.expect(")", "to close the argument list")
                e = ast.CallExpr(e.ident, tuple(args), e.span)
            elif t.is_("->") or t.is_("."):
                self.advance()
                m = self.ident("a field name")
                e = ast.Member(e, m.text, t.text == "->", e.span)
            elif t.is_("["):
                self.advance()
                ix = self.parse_expr()
                self.expect("]")
                e = ast.Index(e, ix, e.span)
            else:
                return e

    def parse_primary(self) -> ast.AExpr:
        t = self.tok
        if t.kind is Tok.INT:
            self.advance()
            return ast.Num(int(t.text), t.span)
        if t.kind is Tok.STRING:
            self.advance()
            return ast.Str(t.text, t.span)
        if t.kind is Tok.IDENT:
            self.advance()
            if t.text == "true":
                return ast.Num(1, t.span)
            if t.text in ("false", "NULL"):
                return ast.Num(0, t.span)
            return ast.Name(t.text, t.span)
        if t.is_("("):
            self.advance()
            e = self.parse_expr()
            self.expect(")")
            return e
        raise self.error(f"expected an expression, found {self._describe(t)}")


class _Seq:
    """A bare ``{ ... }`` block inside a function is flattened into its parent."""

    @staticmethod
    def wrap(body: tuple[ast.AStmt, ...], span: Span) -> ast.AStmt:
        # if (1) { body } keeps the block's scope and costs no step (constant guard)
        return ast.IfStmt(ast.Num(1, span), body, (), span, "{")


def parse(text: str, file: str) -> tuple[ast.ModelFile, list[Diagnostic]]:
    p = Parser(text, file)
    flood = _operator_flood(p.toks)
    if flood is not None:
        return ast.ModelFile(file, None, ()), [*p.diags, flood]
    mf = p.parse_file()
    return mf, p.diags
