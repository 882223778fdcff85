"""Targets: arch model x api model x scenario x kernel configs x bound, as data.

A target lives in ``specs/targets/<name>.toml`` (docs/targets.md describes
every key); its expected verdict, per configuration it claims, is stored
there too, never in a comment.  The reader is strict: an unknown key, a
value of the wrong type or a missing key is an LZC402 diagnostic at the
TOML's ``file:line:col`` (:class:`TomlPositions` finds them: tomllib gives
no positions).
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lazycheck import confine as cf
from lazycheck.diagnostics import Diagnostic, Span, excerpt
from lazycheck.errors import ModelError
from lazycheck.kernel.config import KernelConfig, Preempt
from lazycheck.properties import BY_ID, DEFAULT_PROPERTIES

MAX_BOUND = 400  # deeper than any target needs; a larger bound is a mistake
ZOO = Path(__file__).resolve().parent / "zoo"  # the models and targets a wheel ships
ROOT_FILE = "lazycheck.toml"  # marks a user's own directory of models and targets


@dataclass(frozen=True, slots=True)
class Expectation:
    """The verdict a target expects: ``pass``, or ``fail`` on one property."""

    verdict: str  # "pass" | "fail"
    property: str | None = None
    at: str = ""  # "file.lazy:LINE" where the property must fire ("" = anywhere)

    def __str__(self) -> str:
        return self.verdict if self.property is None else f"{self.verdict}:{self.property}"


@dataclass(frozen=True, slots=True)
class Claim:
    """One configuration a target claims, with what it expects there and why."""

    config: KernelConfig
    expect: Expectation
    requires: tuple[str, ...]
    reason: str = ""  # why this configuration's expectation differs from the target's
    label: str = ""  # the axes that tell this claim from the target's others, e.g. "rt"
    override: str = ""  # the [expect.<selector>] table it follows, if any


@dataclass(frozen=True, slots=True)
class Target:
    """A checked question: models, the configurations it claims, expected verdicts."""

    name: str
    path: Path
    description: str
    arch: str  # e.g. "x86-xen-pv"
    generation: str  # e.g. "G0"
    source: str  # the commit or message the target is about
    models: tuple[Path, ...]
    config: KernelConfig  # the primary configuration ([kernel]); the description's
    bound: int
    expect: Expectation  # the expectation of the primary configuration
    requires: tuple[str, ...] = ()  # events the target claims to exercise (REQUIREMENTS)
    may_skip: tuple[str, ...] = ()  # "file.lazy:line" scenario statements allowed unreached
    claims: tuple[Claim, ...] = ()  # every configuration it claims (the primary first)
    reach: tuple[str, ...] = ()  # __reach() labels that must be reached
    bounded: str = ""  # why a bounded (not exhausted, not proved) PASS is enough; "" = never
    where: tuple[tuple[str, Span], ...] = ()  # TOML key path -> its position

    def claim_for(self, config: KernelConfig) -> Claim | None:
        """The claim whose configuration is ``config``, if the target claims it."""
        return next((c for c in self.claims if c.config == config), None)

    def expect_for(self, config: KernelConfig) -> Expectation:
        """The verdict expected in ``config``: its own ``[expect.<model>]``, else the
        target's."""
        c = self.claim_for(config)
        return c.expect if c is not None and c.reason else self.expect

    def requires_for(self, config: KernelConfig) -> tuple[str, ...]:
        """The events the target claims to exercise in ``config``."""
        c = self.claim_for(config)
        return c.requires if c is not None and c.reason else self.requires

    def span_of(self, *path: str) -> Span | None:
        """Where key ``path`` (e.g. ``"kernel", "tasks"``) is in the TOML."""
        key = ".".join(path)
        return next((s for k, s in self.where if k == key), None)


# what a target may claim to exercise -> the witness label the engine records
REQUIREMENTS = {
    "preempted-in-section": "a task was switched out inside a section",
    "irq-in-section": "an interrupt arrived inside a section",
}

# The preemption models each arch can be built with (kernel/Kconfig.preempt:
# PREEMPT_VOLUNTARY and PREEMPT depend on !ARCH_NO_PREEMPT, PREEMPT_RT on
# ARCH_SUPPORTS_RT).  docs/targets.md cites the Kconfig lines behind each row.
ALL_PREEMPT = tuple(p.value for p in Preempt)
ARCH_PREEMPT: dict[str, tuple[str, ...]] = {
    "x86-native": ALL_PREEMPT,
    "x86-xen-pv": ALL_PREEMPT,
    "arm64": ALL_PREEMPT,
    "powerpc-hash": ALL_PREEMPT,
    "powerpc-radix": ALL_PREEMPT,
    "sparc64": ("none", "voluntary", "full"),  # no ARCH_SUPPORTS_RT (rechecked, linux-next 2025)
    "s390": ("none", "voluntary", "full"),  # no ARCH_SUPPORTS_RT (rechecked, linux-next 2025)
}


def arch_preempt(arch: str) -> tuple[str, ...]:
    """The preemption models ``arch`` can be built with (every one if unknown)."""
    return ARCH_PREEMPT.get(arch, ALL_PREEMPT)


# ----------------------------------------------------------------------------
# Roots: the repository, a user's directory, or the zoo shipped in the wheel


def is_root(d: Path) -> bool:
    """``d`` is a root: it has a lazycheck.toml, or models/ and specs/targets/."""
    return (d / ROOT_FILE).is_file() or ((d / "specs" / "targets").is_dir()
                                         and (d / "models").is_dir())


def find_root(start: Path | None = None) -> Path:
    """The directory of models/ and specs/: the nearest one at or above ``start`` (the
    cwd by default) with a ``lazycheck.toml`` or models/ and specs/targets/; else the zoo."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if is_root(d):
            return d
    return zoo_root()


def zoo_root() -> Path:
    """The shipped models and targets: lazycheck/zoo in a wheel, the checkout otherwise."""
    if (ZOO / "models").is_dir():
        return ZOO
    return Path(__file__).resolve().parent.parent


def target_dirs(root: Path) -> tuple[Path, ...]:
    """Where targets live under ``root``: its own, then the zoo's if it is not the zoo."""
    own = root / "specs" / "targets"
    zoo = zoo_root() / "specs" / "targets"
    return (own,) if own.resolve() == zoo.resolve() else (own, zoo)


def own_targets(root: Path) -> list[str]:
    """The targets in ``root``'s own specs/targets/, by name (none from the zoo)."""
    return sorted(p.stem for p in (root / "specs" / "targets").glob("*.toml"))


def target_names(root: Path) -> list[str]:
    """Every target under ``root`` (a user's directory shows its own first), by name."""
    own = sorted(p.stem for p in (root / "specs" / "targets").glob("*.toml"))
    if own:
        return own
    return sorted(p.stem for p in target_dirs(root)[-1].glob("*.toml"))


def target_path(name: str, root: Path) -> Path:
    """Where target ``name``'s TOML lives (a path to a .toml is taken as it is)."""
    if name.endswith(".toml"):
        return Path(name)
    for d in target_dirs(root):
        if (d / f"{name}.toml").is_file():
            return d / f"{name}.toml"
    return root / "specs" / "targets" / f"{name}.toml"


def models_dir(toml: Path, root: Path) -> Path:
    """The models/ a target's paths are relative to: beside its specs/, else the root's."""
    beside = toml.resolve().parent.parent.parent / "models"
    return beside if beside.is_dir() else root / "models"


def expect_line(toml: Path, override: str = "") -> int:
    """The line of ``verdict = ...`` under ``[expect]`` (or ``[expect.<override>]``)."""
    try:
        pos = TomlPositions(toml.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return 1
    path = ("expect", override, "verdict") if override else ("expect", "verdict")
    return pos.value(path)[0]


# ----------------------------------------------------------------------------
# Where each key and value is in a TOML text


_BARE = re.compile(r"[A-Za-z0-9_-]+")


class TomlPositions:
    """Line and column of every key, value and array element of a TOML text.

    Only positions are read here; tomllib reads the values.  Keys are paths:
    ``("kernel", "tasks")``, an array element ``("kernel", "tasks", 1)``.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.keys: dict[tuple[str | int, ...], tuple[int, int]] = {}
        self.values: dict[tuple[str | int, ...], tuple[int, int]] = {}
        self._aot: dict[tuple[str | int, ...], int] = {}
        with contextlib.suppress(IndexError, ValueError, RecursionError):
            self._document()  # tomllib reports syntax errors; positions are best effort

    def key(self, path: tuple[str | int, ...]) -> tuple[int, int]:
        """Where key ``path`` is written (its table's header, or 1:1, if absent)."""
        for n in range(len(path), -1, -1):
            if path[:n] in self.keys:
                return self.keys[path[:n]]
        return (1, 1)

    def value(self, path: tuple[str | int, ...]) -> tuple[int, int]:
        """Where the value at ``path`` starts (else where its key is)."""
        return self.values.get(path) or self.key(path)

    def _pos(self, i: int | None = None) -> tuple[int, int]:
        i = self.i if i is None else i
        line = self.text.count("\n", 0, i) + 1
        return line, i - (self.text.rfind("\n", 0, i) + 1) + 1

    def _skip(self, newlines: bool = True) -> None:
        t = self.text
        while self.i < len(t):
            c = t[self.i]
            if c == "#":
                while self.i < len(t) and t[self.i] != "\n":
                    self.i += 1
            elif c in " \t\r" or (newlines and c == "\n"):
                self.i += 1
            else:
                return

    def _document(self) -> None:
        table: tuple[str | int, ...] = ()
        while True:
            self._skip()
            if self.i >= len(self.text):
                return
            if self.text[self.i] == "[":
                table = self._header()
            else:
                self._keyval(table)

    def _header(self) -> tuple[str | int, ...]:
        at = self._pos()
        double = self.text.startswith("[[", self.i)
        self.i += 2 if double else 1
        path: tuple[str | int, ...] = tuple(self._keypath())
        self.i += 2 if double else 1
        if double:
            n = self._aot[path] = self._aot.get(path, -1) + 1
            self.keys.setdefault(path, at)
            path = (*path, n)
        self.keys[path] = at
        return path

    def _keypath(self) -> list[str]:
        parts = []
        while True:
            self._skip(newlines=False)
            parts.append(self._key())
            self._skip(newlines=False)
            if self.text[self.i] != ".":
                return parts
            self.i += 1

    def _key(self) -> str:
        t = self.text
        if t[self.i] in "\"'":
            q = t[self.i]
            end = t.index(q, self.i + 1)
            k = t[self.i + 1:end]
            self.i = end + 1
            return k
        m = _BARE.match(t, self.i)
        if not m:
            raise IndexError
        self.i = m.end()
        return m.group()

    def _keyval(self, table: tuple[str | int, ...]) -> None:
        start = self.i
        parts = self._keypath()
        path = (*table, *parts)
        self.keys[path] = self._pos(start)
        self._skip(newlines=False)
        self.i += 1  # "="
        self._skip(newlines=False)
        self._value(path)

    def _value(self, path: tuple[str | int, ...]) -> None:
        t = self.text
        self.values[path] = self._pos()
        c = t[self.i]
        if t.startswith(('"""', "'''"), self.i):
            q = t[self.i:self.i + 3]
            end = t.index(q, self.i + 3)
            while t.startswith(q[0], end + 3):
                end += 1
            self.i = end + 3
        elif c in "\"'":
            j = self.i + 1
            while t[j] != c:
                j += 2 if (c == '"' and t[j] == "\\") else 1
            self.i = j + 1
        elif c == "[":
            self._array(path)
        elif c == "{":
            self._inline_table(path)
        else:
            m = re.compile(r"[^,\]\}\s#]+").match(t, self.i)
            self.i = m.end() if m else self.i + 1

    def _array(self, path: tuple[str | int, ...]) -> None:
        self.i += 1
        n = 0
        while True:
            self._skip()
            if self.text[self.i] == "]":
                self.i += 1
                return
            self._value((*path, n))
            n += 1
            self._skip()
            if self.text[self.i] == ",":
                self.i += 1

    def _inline_table(self, path: tuple[str | int, ...]) -> None:
        self.i += 1
        while True:
            self._skip(newlines=False)
            if self.text[self.i] == "}":
                self.i += 1
                return
            self._keyval(path)
            self._skip(newlines=False)
            if self.text[self.i] == ",":
                self.i += 1


# ----------------------------------------------------------------------------
# The schema: every key a target may hold, its type and its default


@dataclass(frozen=True, slots=True)
class Key:
    """One key of the target schema (docs/targets.md lists them all)."""

    name: str
    kind: str  # "str", "int", "list[str]", "list[int]", "table"
    required: bool = False
    allowed: tuple[str, ...] = ()  # for str and list[str] values


_EXPECT_KEYS = (Key("verdict", "str", True), Key("property", "str"),
                Key("reason", "str"), Key("requires", "list[str]"),
                Key("at", "str"))
SCHEMA: dict[str, tuple[Key, ...]] = {
    "": (Key("description", "str", True), Key("arch_name", "str", True),
         Key("generation", "str", True), Key("source", "str", True),
         Key("arch", "str", True), Key("api", "str", True), Key("scenario", "str", True),
         Key("kernel", "table", True), Key("check", "table", True),
         Key("expect", "table", True), Key("configs", "table")),
    "kernel": (Key("cpus", "int", True), Key("tasks", "list[str]", True),
               Key("preempt", "str", allowed=ALL_PREEMPT),
               Key("irq_handlers", "list[str]"), Key("irqs", "int")),
    "check": (Key("bound", "int", True), Key("properties", "list[str]", allowed=tuple(BY_ID)),
              Key("requires", "list[str]", allowed=tuple(REQUIREMENTS)),
              Key("may_skip", "list[str]"), Key("reach", "list[str]"),
              Key("bounded", "str")),
    "expect": _EXPECT_KEYS,  # and [expect.<selector>] tables: see selector()
    "expect.*": _EXPECT_KEYS,  # [expect.none], [expect."irqs=0"], [expect."rt,cpus=1"]
    "configs": (Key("preempt", "list[str]", allowed=ALL_PREEMPT), Key("cpus", "list[int]"),
                Key("tasks", "list[int]"), Key("irqs", "list[int]"), Key("narrowed", "str")),
}

_PY = {"str": str, "int": int, "table": dict, "list[str]": list, "list[int]": list}


class _Reader:
    """Reads one target file against :data:`SCHEMA`; every error has a position."""

    def __init__(self, path: Path, shown: str, text: str) -> None:
        self.path, self.shown, self.text = path, shown, text
        self.pos = TomlPositions(text)

    def error(self, path: tuple[str | int, ...], msg: str, help: str | None = None,
              code: str = "LZC402", at_value: bool = True, length: int = 1) -> ModelError:
        """A coded diagnostic at the TOML position of key ``path`` (its value, or the key)."""
        line, col = self.pos.value(path) if at_value else self.pos.key(path)
        return ModelError([Diagnostic(code, msg, Span(self.shown, line, col, length),
                                      help=help)], {self.shown: self.text})

    def span(self, path: tuple[str | int, ...]) -> Span:
        """Where the value of key ``path`` is in the TOML."""
        line, col = self.pos.value(path)
        return Span(self.shown, line, col)

    def table(self, data: Mapping[str, object], section: str,
              path: tuple[str, ...]) -> dict[str, object]:
        """Check ``data`` against the schema of ``section``; return it with defaults out."""
        keys = {k.name: k for k in SCHEMA[section]}
        for name, value in data.items():
            if section == "expect" and isinstance(value, dict) and selector(name):
                continue  # [expect.<selector>]: checked with the claims
            if name not in keys:
                self._unknown(path, name, list(keys))
            self._check(keys[name], value, (*path, name))
        for k in keys.values():
            if k.required and k.name not in data:
                where = f"[{'.'.join(path)}]" if path else "the top level"
                raise self.error(path, f"missing key '{k.name}' in {where}",
                                 help=f"add {k.name} = ... (docs/targets.md)",
                                 at_value=False)
        return dict(data)

    def _unknown(self, path: tuple[str, ...], name: str, known: list[str]) -> None:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        where = f"[{'.'.join(path)}]" if path else "the top level"
        hint = (f"did you mean '{close[0]}'? " if close else "") + \
            f"keys of {where}: {', '.join(known)}"
        raise self.error((*path, name), f"unknown key '{name}' in {where}", help=hint,
                         at_value=False, length=len(name))

    def _check(self, key: Key, value: object, path: tuple[str | int, ...]) -> None:
        typ = _PY[key.kind]
        if not isinstance(value, typ) or isinstance(value, bool):
            raise self.error(path, f"'{key.name}' must be {_KIND_TEXT[key.kind]}, not "
                             f"{_toml_type(value)}", help="docs/targets.md lists every key")
        if key.kind.startswith("list["):
            elem = str if key.kind == "list[str]" else int
            assert isinstance(value, list)
            for i, v in enumerate(value):
                if not isinstance(v, elem) or isinstance(v, bool):
                    raise self.error((*path, i), f"'{key.name}' must be "
                                     f"{_KIND_TEXT[key.kind]}; item {i + 1} is "
                                     f"{_toml_type(v)}")
                self._allowed(key, v, (*path, i))
        else:
            self._allowed(key, value, path)

    def _allowed(self, key: Key, value: object, path: tuple[str | int, ...]) -> None:
        if key.allowed and isinstance(value, str) and value not in key.allowed:
            close = difflib.get_close_matches(value, key.allowed, n=1)
            code = "LZC405" if key.name == "properties" else "LZC402"
            what = "property" if key.name == "properties" else f"value for '{key.name}'"
            raise self.error(path, f"unknown {what} '{value}'", code=code,
                             help=(f"did you mean '{close[0]}'? " if close else "")
                             + "allowed: " + ", ".join(sorted(key.allowed)))


_KIND_TEXT = {"str": "a string", "int": "an integer", "table": "a table",
              "list[str]": "a list of strings", "list[int]": "a list of integers"}


def _toml_type(v: object) -> str:
    if isinstance(v, bool):
        return "a boolean"
    return {str: "a string", int: "an integer", float: "a float", list: "an array",
            dict: "a table"}.get(type(v), type(v).__name__)


# ----------------------------------------------------------------------------
# Loading a target


def _unknown_target(name: str, root: Path) -> ModelError:
    known = target_names(root)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6) or \
        [k for k in known if name.split("-")[0] in k][:5]
    return ModelError([Diagnostic(
        "LZC401", f"unknown target '{name}'", None,
        help=("did you mean: " + ", ".join(close) + "? " if close else "")
        + "`lazycheck list` shows every target; a path to a .toml file works too")])


def confined_target_path(name: str, root: Path) -> Path:
    """Where target ``name`` lives, confined: a plain name in specs/targets/ (the root's,
    then the zoo's), or a path to a ``.toml`` that stays inside the root (LZC013)."""
    if name.endswith(".toml"):
        return _confined_toml(name, root)
    if "/" in name or "\\" in name or name.startswith(".") or not name:
        raise ModelError([Diagnostic("LZC013", f"target name '{excerpt(name, 0, 80)}' is "
                                     "not a plain name", None,
                                     help="name a target in specs/targets/ without a path, "
                                          "or give a path to its .toml inside the root")])
    found = [cf.confine(f"{name}.toml", d, what="target name", inside="specs/targets/")
             for d in target_dirs(root)]
    return next((p for p in found if p.is_file()), found[0])


def _confined_toml(name: str, root: Path) -> Path:
    """A target given as a path to its .toml: resolved from the working directory and
    confined to the root (or the shipped zoo)."""
    if len(name) > cf.MAX_PATH_CHARS or "\0" in name:
        return cf.confine(name, root, what="target path")  # raises LZC013
    try:
        p = (Path.cwd() / name).resolve()
    except (OSError, RuntimeError, ValueError):
        return cf.confine(name, root, what="target path")
    for top in (root, zoo_root()):
        if p.is_relative_to(top.resolve()):
            return p
    raise ModelError([Diagnostic("LZC013", f"target path '{excerpt(name, 0, 80)}' leaves "
                                 f"the root {root}", None,
                                 help="target paths stay inside the root (--root or "
                                      "lazycheck.toml)")])


def _read(name: str, root: Path) -> tuple[Path, _Reader, dict[str, object]]:
    path = confined_target_path(name, root)
    if not path.is_file():
        if name.endswith(".toml"):
            raise ModelError([Diagnostic("LZC401", f"no target file '{name}'", None,
                                         help="check the path")])
        raise _unknown_target(name, root)
    shown = _shown(path, root)
    text = cf.read_text(path, shown, cf.MAX_TOML_BYTES)
    try:
        data = tomllib.loads(text)
    except (ValueError, RecursionError) as exc:  # TOMLDecodeError, 5,000-digit ints, deep nesting
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        span = Span(shown, int(m.group(1)), int(m.group(2))) if m else Span(shown, 1, 1)
        raise ModelError([Diagnostic("LZC402", f"not valid TOML: {exc}", span)],
                         {shown: text}) from None
    return path, _Reader(path, shown, text), data


def _shown(path: Path, root: Path) -> str:
    for base in (root, zoo_root(), Path.cwd()):
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return str(path)


def _expectation(r: _Reader, t: Mapping[str, object], path: tuple[str, ...],
                 props: list[str]) -> Expectation:
    """``verdict = "pass"``, ``"fail"`` with ``property``, or ``"fail:<property>"``."""
    verdict = str(t["verdict"])
    prop = t.get("property")
    if ":" in verdict:
        verdict, _, inline = verdict.partition(":")
        if prop is not None and prop != inline:
            raise r.error((*path, "property"), f"property '{prop}' contradicts the verdict's "
                          f"'{inline}'", help="name the property once")
        prop = inline
    if verdict not in ("pass", "fail"):
        raise r.error((*path, "verdict"), f"expected verdict must be \"pass\", \"fail\" or "
                      f"\"fail:<property>\", not \"{t['verdict']}\"",
                      help=(f"did you mean \"{close[0]}\"? " if (close := difflib.
                            get_close_matches(verdict, ["pass", "fail"], n=1)) else "")
                      + 'e.g. verdict = "pass" or verdict = "fail:no-bug"')
    if verdict == "pass":
        if prop is not None:
            raise r.error((*path, "property"), "a \"pass\" expectation names no property",
                          help="remove property, or expect \"fail\"")
        _at(r, t, path, verdict)
        return Expectation("pass")
    if not isinstance(prop, str) or prop not in props:
        close = difflib.get_close_matches(str(prop), props, n=1) if prop else []
        raise r.error((*path, "verdict"), "a \"fail\" expectation names the failing "
                      "property, one of the checked ones" +
                      (f" ('{prop}' is not checked)" if prop else ""),
                      help=(f"did you mean '{close[0]}'? " if close else "")
                      + 'write verdict = "fail:<property>"; checked: ' + ", ".join(props))
    return Expectation("fail", prop, _at(r, t, path, verdict))


def _kernel_config(r: _Reader, kernel: Mapping[str, object],
                   props: list[str]) -> KernelConfig:
    tasks = kernel["tasks"]
    assert isinstance(tasks, list)
    if not tasks:
        raise r.error(("kernel", "tasks"), "'tasks' must list at least one task program "
                      "by name", help='e.g. tasks = ["copy_pte_range"]')
    handlers = kernel.get("irq_handlers", [])
    assert isinstance(handlers, list)
    return KernelConfig(cpus=int(str(kernel["cpus"])), tasks=tuple(map(str, tasks)),
                        preempt=Preempt(str(kernel.get("preempt", "full"))),
                        irq_handlers=tuple(map(str, handlers)),
                        irqs=int(str(kernel.get("irqs", 0))),
                        properties=tuple(props))


def _axes(r: _Reader, configs: Mapping[str, object], base: KernelConfig,
          arch: str) -> dict[str, list[object]]:
    """The values each configuration axis takes; the preemption default is the arch's."""
    arch_set = arch_preempt(arch)
    preempt = configs.get("preempt", list(arch_set))
    assert isinstance(preempt, list)
    missing = [p for p in arch_set if p not in preempt]
    if missing and "narrowed" not in configs:
        raise r.error(("configs", "preempt"), f"the claim leaves out {', '.join(missing)}, "
                      f"which {arch} can be built with",
                      help="claim every model, with [expect.<model>] for one where the "
                           "target does not hold; or say why in configs.narrowed")
    claimed = {base.preempt.value, *map(str, preempt)}
    axes: dict[str, list[object]] = {"preempt": [p for p in ALL_PREEMPT if p in claimed]}
    for axis, own in (("cpus", base.cpus), ("tasks", base.ntasks), ("irqs", base.irqs)):
        vals = configs.get(axis, [own])
        assert isinstance(vals, list)
        axes[axis] = list(sorted({own, *map(int, vals)}))
    return axes


def _config_of(base: KernelConfig, preempt: object, cpus: object, ntasks: object,
               irqs: object) -> KernelConfig:
    return base.overridden(int(str(cpus)), int(str(ntasks)), str(preempt), int(str(irqs)))


_SELECTOR_PART = re.compile(r"(cpus|tasks|irqs)=(\d+)")


def selector(name: str) -> dict[str, object] | None:
    """``"none"``, ``"irqs=0"``, ``"rt,cpus=1"``: the configurations an ``[expect.<name>]``
    table is about, as axis -> value; None if ``name`` is not a selector."""
    out: dict[str, object] = {}
    for part in name.split(","):
        m = _SELECTOR_PART.fullmatch(part.strip())
        if part.strip() in ALL_PREEMPT:
            out["preempt"] = part.strip()
        elif m:
            out[m.group(1)] = int(m.group(2))
        else:
            return None
    return out


def _matches(sel: Mapping[str, object], cfg: KernelConfig) -> bool:
    have = {"preempt": cfg.preempt.value, "cpus": cfg.cpus, "tasks": cfg.ntasks,
            "irqs": cfg.irqs}
    return all(have[k] == v for k, v in sel.items())


def _overrides(r: _Reader, expect: Mapping[str, object],
               claimed: list[KernelConfig], base: KernelConfig
               ) -> dict[str, tuple[dict[str, object], dict[str, object]]]:
    """The ``[expect.<selector>]`` tables, each checked: schema, reason, what it selects."""
    out = {}
    for name, tbl in expect.items():
        if not isinstance(tbl, dict):
            continue
        path = ("expect", name)
        sel = selector(name)
        assert sel is not None  # the reader let only selectors through
        r.table(tbl, "expect.*", path)
        if "reason" not in tbl:
            raise r.error(path, f"[expect.{name}] must say why the expectation differs "
                          "here", at_value=False, help='add reason = "<the kernel reason>"')
        if _matches(sel, base):
            raise r.error(path, f"[expect.{name}] selects the target's own configuration "
                          "([kernel])", at_value=False, help="its expectation is [expect]")
        if not any(_matches(sel, c) for c in claimed):
            raise r.error(path, f"[expect.{name}] selects no configuration the target "
                          "claims", at_value=False, help="claim it in [configs]")
        out[name] = (sel, tbl)
    return out


def _claims(r: _Reader, data: Mapping[str, object], base: KernelConfig, props: list[str],
            requires: tuple[str, ...], bound: int) -> tuple[Claim, ...]:
    expect = data["expect"]
    configs = data.get("configs", {})
    assert isinstance(expect, dict) and isinstance(configs, dict)
    axes = _axes(r, configs, base, str(data["arch_name"]))
    varying = [a for a, v in axes.items() if len(v) > 1]
    default = _expectation(r, expect, ("expect",), props)
    combos = list(itertools.product(*axes.values()))
    cfgs = [_config_of(base, *combo) for combo in combos]
    overrides = _overrides(r, expect, cfgs, base)
    out = []
    for combo, cfg in zip(combos, cfgs, strict=True):
        _validate(r, cfg, bound)
        label = ",".join(str(v) if a == "preempt" else f"{a}={v}"
                         for a, v in zip(axes, combo, strict=True) if a in varying)
        hits = sorted(((len(sel), name) for name, (sel, _) in overrides.items()
                       if _matches(sel, cfg)), reverse=True)
        if len(hits) > 1 and hits[0][0] == hits[1][0]:
            raise r.error(("expect", hits[1][1]), f"[expect.{hits[0][1]}] and "
                          f"[expect.{hits[1][1]}] both select {label}", at_value=False,
                          help="add a table that names both axes")
        if not hits:
            out.append(Claim(cfg, default, requires, "", label))
            continue
        name = hits[0][1]
        tbl = overrides[name][1]
        req = tbl.get("requires", list(requires))
        assert isinstance(req, list)
        out.append(Claim(cfg, _expectation(r, tbl, ("expect", name), props),
                         tuple(map(str, req)), str(tbl["reason"]), label, name))
    return tuple(out)


def _validate(r: _Reader, cfg: KernelConfig, bound: int) -> None:
    def bad(k: str, m: str) -> ModelError:
        path = ("check", "bound") if k == "bound" else ("kernel", k)
        return r.error(path, m, "these limits keep the state space within memory",
                       "LZC404" if k == "bound" else "LZC403")
    validate_config(cfg, bound, bad)


def _strs(table: Mapping[str, object], key: str) -> tuple[str, ...]:
    v = table.get(key, [])
    return tuple(map(str, v)) if isinstance(v, list) else ()


def _section(r: _Reader, data: Mapping[str, object], s: str) -> dict[str, object]:
    t = data.get(s, {})
    return r.table(t if isinstance(t, dict) else {}, s, (s,))


def load_target(name: str, root: Path) -> Target:
    """Read and check target ``name`` (or a path to its .toml); bad input raises
    :class:`ModelError` at the TOML's file:line:col."""
    path, r, data = _read(name, root)
    r.table(data, "", ())
    kernel, check, _expect = (_section(r, data, s) for s in ("kernel", "check", "expect"))
    _section(r, data, "configs")
    props = list(_strs(check, "properties")) if "properties" in check \
        else [str(p) for p in DEFAULT_PROPERTIES]
    if not props:
        raise r.error(("check", "properties"), "'properties' must list at least one property "
                      "id", help="a target that checks nothing cannot pass; drop the key to "
                                 "check the default properties")
    mods = _model_paths(r, data, models_dir(path, root))
    base = _kernel_config(r, kernel, props)
    bound = int(str(check["bound"]))
    claims = _claims(r, data, base, props, _strs(check, "requires"), bound)
    primary = next(c for c in claims if c.config == base)
    where = tuple((".".join(map(str, k)), Span(r.shown, *r.pos.value(k)))
                  for k in r.pos.values if all(isinstance(p, str) for p in k))
    return Target(name=path.stem, path=path, description=str(data["description"]),
                  arch=str(data["arch_name"]), generation=str(data["generation"]),
                  source=str(data["source"]), models=mods, config=base, bound=bound,
                  expect=primary.expect, requires=primary.requires,
                  may_skip=_strs(check, "may_skip"), claims=claims,
                  reach=_strs(check, "reach"), bounded=_bounded(r, check), where=where)


def _bounded(r: _Reader, check: Mapping[str, object]) -> str:
    """``[check] bounded = "reason"``: why a bounded PASS is enough (never empty)."""
    bounded = str(check.get("bounded", ""))
    if not bounded and "bounded" in check:
        raise r.error(("check", "bounded"), "'bounded' must be a non-empty reason why a "
                      "bounded PASS is enough", help="say why, or drop the key")
    return bounded


def _at(r: _Reader, t: Mapping[str, object], path: tuple[str, ...], verdict: str) -> str:
    """``[expect] at = "file.lazy:LINE"``: where the expected FAIL fires ("" = anywhere)."""
    at = str(t.get("at", ""))
    if "at" in t and not re.fullmatch(r"[\w.+-]+\.lazy:\d+", at):
        raise r.error((*path, "at"), "'at' must be \"file.lazy:LINE\", where the property "
                      "fires", help='e.g. at = "scenario.lazy:12"')
    if at and verdict != "fail":
        raise r.error((*path, "at"), "'at' belongs to a \"fail\" expectation",
                      help="remove at, or expect \"fail\"")
    return at


def _model_paths(r: _Reader, data: Mapping[str, object], models: Path) -> tuple[Path, ...]:
    out = []
    for key in ("arch", "api", "scenario"):
        rel = str(data[key])
        span = r.span((key,))
        p = resolve_model(rel, models, span)
        if p is None:
            raise r.error((key,), f"{key} model 'models/{rel}' does not exist",
                          help="paths are relative to models/ (yours, then the shipped zoo's)")
        cf.check_regular(p, f"models/{excerpt(rel, 0, 80)}", cf.MAX_MODEL_BYTES, span)
        out.append(p)
    return tuple(out)


def resolve_model(rel: str, models: Path, span: Span | None = None) -> Path | None:
    """A model path relative to ``models`` or, failing that, to the shipped zoo's models/;
    confined to that models/ (LZC013)."""
    for base in (models, zoo_root() / "models"):
        p = cf.confine(rel, base, span, what="model path", inside="models/")
        if p.exists():
            return p
    return None


def validate_config(config: KernelConfig, bound: int,
                    bad: Callable[[str, str], ModelError] | None = None) -> None:
    """Reject configurations the explorer cannot hold in memory or that make no sense."""
    problems: list[tuple[str, str]] = []
    if not 1 <= config.cpus <= 4:
        problems.append(("cpus", f"{config.cpus} CPUs: use 1 to 4"))
    if not 1 <= config.ntasks <= 4:
        problems.append(("tasks", f"{config.ntasks} tasks: use 1 to 4"))
    if not 0 <= config.irqs <= 3:
        problems.append(("irqs", f"{config.irqs} interrupts: use 0 to 3"))
    if config.irqs and not config.irq_handlers:
        problems.append(("irqs", "interrupts are allowed but no irq_handlers are named"))
    if not 1 <= bound <= MAX_BOUND:
        problems.append(("bound", f"bound {bound} is outside 1..{MAX_BOUND}"))
    if not problems:
        return
    key, msg = problems[0]
    if bad is not None:
        raise bad(key, msg)
    code = "LZC404" if key == "bound" else "LZC403"
    raise ModelError([Diagnostic(code, msg, None,
                                 help="these limits keep the state space within memory")])
