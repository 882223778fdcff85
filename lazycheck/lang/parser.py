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
_QUALIFIERS = {"__weak", "task", "irq", "softirq", "pure", "static", "inline"}
_SIMPLE_TYPES = {"void", "bool", "u8", "u16", "u32", "s8", "s16", "s32", "int",
                 "pte_t", "pteval_t", "cpu_t", "task_t",
                 "spinlock_t", "thread_flags_t"}
# words that can never name a type, so "WORD IDENT" is not a declaration
_KEYWORDS = {"return", "if", "else", "for", "for_each_pte", "break", "continue", "atomic",
             "model", "source", "enum", "typedef", "while", "do", "goto", "thread_flag",
             "pte", "lazy_mmu_api", "percpu", "pertask", "global", "true", "false", "NULL",
             "current", "task", "irq", "softirq", "pure", "__weak", "static", "inline"}
# Kernel C the language lacks, with what to write instead (docs/language.md, "Types").
_INTS = ("u8, u16, u32, s8, s16, s32 or int (fixed width, wrapping like the kernel's) or "
         "int<lo..hi> (range-checked)")
_C_HINTS: dict[str, tuple[str, str]] = {
    "unsigned": ("C integer types", f"write one of {_INTS}; the model has no 64-bit "
                 "values, so 'unsigned long' becomes u32 or a small int<0..N>"),
    "signed": ("C integer types", f"write one of {_INTS}"),
    "long": ("C integer types", f"write one of {_INTS}"),
    "short": ("C integer types", f"write one of {_INTS}"),
    "char": ("C integer types", f"write one of {_INTS}"),
    "struct": ("structs", "a task's field is 'pertask TYPE name;' (read current->name), a "
               "per-CPU struct field 'percpu TYPE batch.field;'; an mm_struct or "
               "vm_area_struct argument is dropped: 'pte kernel NAME;' or 'pte user NAME;' "
               "says which address space a PTE belongs to"),
    "union": ("unions", "declare each member as its own variable"),
    "const": ("type qualifiers", "drop 'const'"),
    "volatile": ("type qualifiers", "drop 'volatile': every shared access is a step"),
}
_BINARY_LEVELS: tuple[tuple[str, ...], ...] = (
    ("||",), ("&&",), ("&",), ("==", "!="), ("<", "<=", ">", ">="), ("+", "-"))


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
    """Recursive-descent parser from tokens of one ``.lazy`` file to its syntax tree."""

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
        """The current token."""
        return self.toks[self.i]

    def peek(self, k: int = 1) -> Token:
        """The token ``k`` places ahead (the EOF token past the end)."""
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def advance(self) -> Token:
        """Consume the current token and return it; EOF is never consumed."""
        t = self.toks[self.i]
        if t.kind is not Tok.EOF:
            self.i += 1
        return t

    def error(self, msg: str, span: Span | None = None, help: str | None = None) -> _Fail:
        """Record an LZC003 syntax error; return the exception that abandons the construct."""
        self.diags.append(Diagnostic("LZC003", msg, span or self.tok.span, help=help))
        return _Fail()

    def _describe(self, t: Token) -> str:
        return "end of file" if t.kind is Tok.EOF else f"'{t.text}'"

    def expect(self, text: str, what: str | None = None) -> Token:
        """Consume the punctuation or keyword ``text``, or fail with a syntax error."""
        if self.tok.is_(text):
            return self.advance()
        raise self.error(f"expected '{text}'{' ' + what if what else ''}, "
                         f"found {self._describe(self.tok)}")

    def accept(self, text: str) -> bool:
        """Consume ``text`` if it comes next; whether it did."""
        if self.tok.is_(text):
            self.advance()
            return True
        return False

    def ident(self, what: str) -> Token:
        """Consume an identifier, or fail naming ``what`` was expected."""
        if self.tok.kind is Tok.IDENT:
            return self.advance()
        raise self.error(f"expected {what}, found {self._describe(self.tok)}")

    def text_between(self, first: Token, last: Token) -> str:
        """The source text from ``first`` to ``last`` (a statement's text for traces)."""
        a, b = first.span, last.span
        if a.line == b.line and 1 <= a.line <= len(self.lines):
            return self.lines[a.line - 1][a.col - 1:b.col - 1 + b.length].strip()
        if 1 <= a.line <= len(self.lines):
            return self.lines[a.line - 1][a.col - 1:].strip()
        return first.text

    def skip_to_decl(self) -> None:
        """Recover from a syntax error: skip to the start of the next declaration."""
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
        """Parse the whole file: an optional ``model`` header, then declarations."""
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
        """Parse ``model KIND "title" source "..." [based_on "..."];``."""
        first = self.expect("model")
        kind = self.ident("model kind")
        if kind.text not in ("arch", "api", "scenario", "common"):
            self.diags.append(Diagnostic("LZC011", f"unknown model kind '{kind.text}'",
                                         kind.span, help="use arch, api, scenario or common"))
        title = self.string("a title string")
        based_on = ""
        if self.accept("based_on"):
            based_on = self.string("the base model's file name after based_on")
        if not self.tok.is_("source"):
            self.diags.append(Diagnostic(
                "LZC011", "model header names no source", self.tok.span,
                help='every model names the kernel commit or message it encodes: '
                     'add source "<commit id> <subject>"'))
            raise _Fail()
        self.advance()
        source = self.string("a source string")
        self.expect(";", "after the model header")
        return ast.Header(kind.text, title, source, first.span, based_on)

    def string(self, what: str) -> str:
        """Consume a string literal, or fail naming ``what`` was expected."""
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
        if t.text in _C_HINTS and self.peek().kind is Tok.IDENT:
            return True
        return t.text not in _KEYWORDS and self.peek().kind is Tok.IDENT

    def parse_type(self) -> ast.TypeRef:
        """Parse a type reference, with hints for C types the language does not have."""
        t = self.tok
        if t.kind is Tok.IDENT and t.text in _C_HINTS and t.text not in self.typedefs:
            what, help = _C_HINTS[t.text]
            shown = t.text
            if t.text == "struct" and self.peek().kind is Tok.IDENT:
                shown = f"struct {self.peek().text}"
            elif self.peek().kind is Tok.IDENT and self.peek().text in _C_HINTS:
                shown = f"{t.text} {self.peek().text}"
            raise self.error(f"'{shown}': the model language has no {what}", help=help)
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
        """Parse an integer literal with an optional minus sign."""
        neg = self.accept("-")
        if self.tok.kind is not Tok.INT:
            raise self.error(f"expected an integer, found {self._describe(self.tok)}")
        v = int(self.advance().text)
        return -v if neg else v

    def dotted_name(self) -> tuple[str, Span]:
        """Parse ``a.b.c`` (a struct field flattened into a variable name) and its span."""
        first = self.ident("a name")
        parts = [first.text]
        while self.tok.is_(".") and self.peek().kind is Tok.IDENT:
            self.advance()
            parts.append(self.advance().text)
        return ".".join(parts), first.span

    def parse_decl(self) -> ast.ADecl:
        """One top-level declaration; the first word picks the form."""
        t = self.tok
        if t.kind is Tok.INCLUDE:
            self.advance()
            return ast.Include(self.string("a file name after #include"), t.span)
        if t.kind is Tok.DEFINE:
            return self.parse_define()
        if t.is_("kernel") and self.peek().kind is Tok.STRING:
            self.advance()
            site = self.advance()
            self.expect(";", "after the kernel declaration")
            return ast.KernelDecl(site.text, site.span)
        if t.is_("enum") and self.peek(2).is_("{"):
            return self.parse_enum()
        if t.is_("spinlock_t") and not self.peek(2).is_("("):
            self.advance()
            lock, _ = self.dotted_name()
            self.expect(";")
            return ast.LockDecl(lock, t.span)
        forms: dict[str, Callable[[], ast.ADecl]] = {
            "typedef": self.parse_typedef, "thread_flag": self.parse_flags,
            "pte": self.parse_pte, "lazy_mmu_api": self.parse_api}
        form = forms.get(t.text)
        if t.kind is Tok.IDENT and form is not None:
            return form()
        if t.kind is Tok.IDENT and t.text in _STORAGE:
            return self.parse_var()
        quals: list[str] = []
        while self.tok.kind is Tok.IDENT and self.tok.text in _QUALIFIERS:
            quals.append(self.advance().text)
        if self.is_type_start():
            ty = self.parse_type()
            name = self.ident("a function name")
            return self.parse_function(tuple(quals), ty, name)
        raise self.error(f"expected a declaration, found {self._describe(self.tok)}",
                         help="top level holds #include, #define, kernel, enum, typedef, "
                              "percpu/pertask/global variables, thread_flag, spinlock_t, "
                              "pte, lazy_mmu_api and functions")

    def parse_define(self) -> ast.ConstDecl:
        """Parse ``#define NAME N`` (one line, an integer): a named constant."""
        t = self.advance()
        name = self.ident("a constant name after #define")
        neg = self.tok.is_("-")
        if neg:
            self.advance()
        if self.tok.kind is not Tok.INT or self.tok.span.line != t.span.line \
                or name.span.line != t.span.line:
            raise self.error("#define takes a name and an integer on one line",
                             help="write #define NAME 2; models have no macros")
        v = int(self.advance().text)
        return ast.ConstDecl(name.text, -v if neg else v, name.span)

    def parse_enum(self) -> ast.EnumDecl:
        """Parse an ``enum NAME { A, B, ... };`` declaration."""
        t = self.advance()
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

    def parse_typedef(self) -> ast.TypedefDecl:
        """Parse a ``typedef TYPE NAME;`` declaration."""
        t = self.advance()
        ty = self.parse_type()
        name = self.ident("typedef name")
        self.expect(";")
        self.typedefs.add(name.text)
        return ast.TypedefDecl(ty, name.text, t.span)

    def parse_flags(self) -> ast.FlagDecl:
        """Parse a ``thread_flag`` declaration of one or more flags."""
        t = self.advance()
        names = [self.ident("a flag name")]
        while self.accept(","):
            names.append(self.ident("a flag name"))
        self.expect(";")
        return ast.FlagDecl(tuple((n.text, n.span) for n in names), t.span)

    def parse_pte(self) -> ast.PteDecl:
        """Parse a ``pte kernel|user NAME [= value];`` declaration."""
        t = self.advance()
        mm = self.ident("kernel or user")
        if mm.text not in ("kernel", "user"):
            raise self.error("expected 'kernel' or 'user' after 'pte'", mm.span,
                             help="say which address space the PTE maps: "
                                  "pte kernel NAME; or pte user NAME;")
        name = self.ident("a PTE name")
        init = self.parse_expr() if self.accept("=") else None
        self.expect(";")
        return ast.PteDecl(mm.text, name.text, init, t.span)

    def parse_api(self) -> ast.ApiDecl:
        """Parse the ``lazy_mmu_api { role = function; ... }`` block."""
        t = self.advance()
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

    def parse_var(self) -> ast.VarDecl:
        """Parse a percpu, pertask or global variable declaration."""
        t = self.advance()
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

    def parse_function(self, quals: tuple[str, ...], ret: ast.TypeRef,
                       name: Token) -> ast.FuncDecl:
        """Parse a function's parameter list and body after its name."""
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
        """Parse ``{ statements }``; also the span of the closing brace."""
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
        """Parse a loop or branch body: a block or a single statement."""
        if self.tok.is_("{"):
            return self.parse_block()[0]
        st = self.parse_stmt()
        return () if st is None else (st,)

    @_nested
    def parse_stmt(self) -> ast.AStmt | None:
        """One statement (None for an empty ``;``); the first word picks the form."""
        t = self.tok
        if t.is_(";"):
            self.advance()
            return None
        if t.is_("{"):
            body, _ = self.parse_block()
            return _Seq.wrap(body, t.span)
        forms: dict[str, Callable[[], ast.AStmt]] = {
            "if": self.parse_if, "return": self.parse_return, "atomic": self.parse_atomic,
            "break": self.parse_jump, "continue": self.parse_jump, "for": self.parse_for,
            "for_each_pte": self.parse_for_each_pte, "goto": self.parse_goto,
            "while": self.parse_while}
        form = forms.get(t.text)
        if t.kind is Tok.IDENT and form is not None:
            return form()
        if t.kind is Tok.IDENT and self.peek().is_(":") and t.text not in _KEYWORDS:
            self.advance()
            colon = self.advance()
            return ast.LabelStmt(t.text, t.span, self.text_between(t, colon))
        if t.is_("do"):
            raise self.error("'do ... while' is not supported: model loops must be bounded",
                             help="write while (cond) __bound(N) { ... } or "
                                  "for (i = 0; i < N; i++) with a constant N")
        if self.is_type_start() and (self.peek().kind is Tok.IDENT or (
                self.tok.is_("int") and self.peek().is_("<"))):
            return self.parse_local()
        return self.parse_simple()

    def parse_if(self) -> ast.IfStmt:
        """Parse ``if (cond) body [else body]``."""
        t = self.advance()
        self.expect("(", "after if")
        cond = self.parse_expr()
        close = self.expect(")", "to close the if condition")
        text = self.text_between(t, close)
        then = self.parse_body()
        other: tuple[ast.AStmt, ...] = ()
        if self.accept("else"):
            other = self.parse_body()
        return ast.IfStmt(cond, then, other, t.span, text)

    def parse_return(self) -> ast.ReturnStmt:
        """Parse ``return [expr];``."""
        t = self.advance()
        value = None if self.tok.is_(";") else self.parse_expr()
        semi = self.expect(";", "after return")
        return ast.ReturnStmt(value, t.span, self.text_between(t, semi))

    def parse_atomic(self) -> ast.AtomicStmt:
        """Parse an ``atomic { ... }`` block."""
        t = self.advance()
        body, _ = self.parse_block()
        return ast.AtomicStmt(body, t.span, "atomic {")

    def parse_jump(self) -> ast.JumpStmt:
        """Parse ``break;`` or ``continue;``."""
        t = self.advance()
        self.expect(";")
        return ast.JumpStmt(t.text, t.span, t.text + ";")

    def parse_goto(self) -> ast.GotoStmt:
        """Parse ``goto label;``."""
        t = self.advance()
        label = self.ident("a label after goto")
        semi = self.expect(";", "after goto")
        return ast.GotoStmt(label.text, t.span, self.text_between(t, semi))

    def parse_while(self) -> ast.WhileStmt:
        """``while (cond) __bound(N) body``: the bound is written, never guessed."""
        t = self.advance()
        self.expect("(", "after while")
        cond = self.parse_expr()
        close = self.expect(")", "to close the while condition")
        text = self.text_between(t, close)
        if not self.tok.is_("__bound"):
            raise self.error("a while loop needs a bound the checker can see", t.span,
                             help="write while (cond) __bound(N) { ... }: N is the most "
                                  "iterations the loop may run (more gives UNKNOWN)")
        self.advance()
        self.expect("(", "after __bound")
        named = self.tok.text if self.tok.kind is Tok.IDENT else ""  # a #define'd bound
        if not named and (self.tok.kind is not Tok.INT or not 1 <= int(self.tok.text) <= 64):
            raise self.error(f"expected a loop bound 1..64, found {self._describe(self.tok)}")
        bound = int(self.advance().text) if not named else (self.advance(), 1)[1]
        self.expect(")", "to close __bound(N)")
        body = self.parse_body()
        return ast.WhileStmt(cond, bound, body, t.span, text, named)

    def parse_for_each_pte(self) -> ast.ForStmt:
        """Parse ``for_each_pte (p) body``: a loop over every declared PTE."""
        t = self.advance()
        self.expect("(", "after for_each_pte")
        var = self.ident("the PTE variable")
        close = self.expect(")")
        body = self.parse_body()
        return ast.ForStmt(var.text, ast.Num(0, t.span), ast.Name("__NR_PTES", t.span),
                           body, t.span, self.text_between(t, close))

    def parse_local(self) -> ast.LocalDecl:
        """Parse a local variable declaration with an optional initialiser."""
        t = self.tok
        ty = self.parse_type()
        self.accept("*")
        name = self.ident("a variable name")
        init = self.parse_expr() if self.accept("=") else None
        semi = self.expect(";", "after the declaration")
        return ast.LocalDecl(ty, name.text, init, t.span, self.text_between(t, semi))

    def parse_simple(self) -> ast.AssignStmt | ast.ExprStmt:
        """An assignment, an increment or a call statement."""
        t = self.tok
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
        """Parse ``for (init; i < hi; i++) body`` with constant bounds."""
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
        """Parse an expression, including ``cond ? a : b``."""
        cond = self.parse_binary(0)
        if self.tok.is_("?"):
            q = self.advance()
            then = self.parse_expr()
            self.expect(":", "in a ?: expression")
            other = self.parse_expr()
            return ast.Cond(cond, then, other, q.span)
        return cond

    def parse_binary(self, level: int) -> ast.AExpr:
        """Parse binary operators at precedence ``level`` and tighter."""
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
        """Parse a prefix ``!``, ``-``, ``&`` or ``*`` expression."""
        t = self.tok
        if t.kind is Tok.PUNCT and t.text in ("!", "-", "&", "*"):
            self.advance()
            arg = self.parse_unary()
            if t.text == "*":
                return arg
            return ast.Unary(t.text, arg, t.span)
        return self.parse_postfix()

    def parse_postfix(self) -> ast.AExpr:
        """Parse calls, indexing and ``.``/``->`` member access after a primary."""
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
        """Parse a literal, a name or a parenthesised expression."""
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
        """A bare block as a statement: ``if (1) { body }``, keeping its scope."""
        # if (1) { body } keeps the block's scope and costs no step (constant guard)
        return ast.IfStmt(ast.Num(1, span), body, (), span, "{")


def parse(text: str, file: str) -> tuple[ast.ModelFile, list[Diagnostic]]:
    """Parse one ``.lazy`` file's text into its syntax tree and diagnostics."""
    p = Parser(text, file)
    flood = _operator_flood(p.toks)
    if flood is not None:
        return ast.ModelFile(file, None, ()), [*p.diags, flood]
    mf = p.parse_file()
    return mf, p.diags
