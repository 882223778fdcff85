"""Targets: arch model x api model x scenario x kernel config x bound, as data.

A target lives in ``specs/targets/<name>.toml``; its expected verdict is
stored there too, never in a comment.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lazycheck import confine as cf
from lazycheck.diagnostics import Diagnostic, Span, excerpt
from lazycheck.errors import ModelError
from lazycheck.kernel.config import KernelConfig, Preempt
from lazycheck.properties import BY_ID, DEFAULT_PROPERTIES

MAX_BOUND = 400  # deeper than any target needs; a larger bound is a mistake


@dataclass(frozen=True, slots=True)
class Expectation:
    verdict: str  # "pass" | "fail"
    property: str | None = None
    at: str = ""  # "file.lazy:LINE" where the property must fire ("" = anywhere)

    def __str__(self) -> str:
        return self.verdict if self.property is None else f"{self.verdict}:{self.property}"


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    path: Path
    description: str
    arch: str  # e.g. "x86-xen-pv"
    generation: str  # e.g. "G0"
    source: str  # the commit or message the target is about
    models: tuple[Path, ...]
    config: KernelConfig
    bound: int
    expect: Expectation
    requires: tuple[str, ...] = ()  # events the target claims to exercise (REQUIREMENTS)
    may_skip: tuple[str, ...] = ()  # "file.lazy:line" scenario statements allowed unreached
    bounded: str = ""  # why a bounded (not exhausted, not proved) PASS is enough; "" = never
    reach: tuple[str, ...] = ()  # __reach("label") points in any model that must be reached


# what a target may claim to exercise -> the witness label the engine records
REQUIREMENTS = {
    "preempted-in-section": "a task was switched out inside a section",
    "irq-in-section": "an interrupt arrived inside a section",
}


def find_root(start: Path | None = None) -> Path:
    """The repository: the nearest directory above ``start`` with specs/targets."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / "specs" / "targets").is_dir() and (d / "models").is_dir():
            return d
    pkg = Path(__file__).resolve().parent.parent
    return pkg


def target_names(root: Path) -> list[str]:
    """Every target under ``root``, sorted by name."""
    return sorted(p.stem for p in (root / "specs" / "targets").glob("*.toml"))


def target_path(name: str, root: Path) -> Path:
    """Where target ``name``'s TOML lives under ``root``."""
    return root / "specs" / "targets" / f"{name}.toml"


def expect_line(toml: Path) -> int:
    """The line of ``verdict = ...`` under ``[expect]`` (1 if not found)."""
    try:
        lines = toml.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    section = ""
    for i, line in enumerate(lines, 1):
        m = re.match(r"\s*\[([^\]]+)\]", line)
        if m:
            section = m.group(1).strip()
        elif section == "expect" and re.match(r"\s*verdict\s*=", line):
            return i
    return 1


def _key_span(path: Path, text: str, key: str) -> Span:
    for i, line in enumerate(text.splitlines(), 1):
        m = re.match(rf"\s*{re.escape(key)}\s*=", line)
        if m:
            return Span(str(path), i, line.index(key) + 1, len(key))
    return Span(str(path), 1, 1)


def load_target(name: str, root: Path) -> Target:
    """Read and check target ``name``; bad input raises :class:`ModelError`."""
    path = confined_target_path(name, root)
    if not path.is_file():
        known = target_names(root)
        close = [k for k in known if name.split("-")[0] in k][:5]
        raise ModelError([Diagnostic(
            "LZC401", f"unknown target '{name}'", None,
            help=("did you mean: " + ", ".join(close) + "? " if close else "")
            + "`lazycheck list` shows every target")])
    shown = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    text = cf.read_text(path, shown, cf.MAX_TOML_BYTES)
    try:
        data = tomllib.loads(text)
    except (ValueError, RecursionError) as exc:  # TOMLDecodeError, 5,000-digit ints, deep nesting
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        span = Span(shown, int(m.group(1)), int(m.group(2))) if m else Span(shown, 1, 1)
        raise ModelError([Diagnostic("LZC402", f"not valid TOML: {exc}", span)],
                         {shown: text}) from None

    def bad(key: str, msg: str, help: str | None = None, code: str = "LZC402") -> ModelError:
        return ModelError([Diagnostic(code, msg, _key_span(Path(shown), text, key),
                                      help=help)], {shown: text})

    def get(table: dict[str, object], key: str, typ: type, default: object = None) -> object:
        if key not in table:
            if default is None:
                raise bad(key, f"missing key '{key}'")
            return default
        v = table[key]
        if not isinstance(v, typ) or (typ is int and isinstance(v, bool)):
            raise bad(key, f"'{key}' must be a {typ.__name__}")
        return v

    models_dir = root / "models"
    mods: list[Path] = []
    for key in ("arch", "api", "scenario"):
        rel = str(get(data, key, str))
        mods.append(_model_path(rel, models_dir, _key_span(Path(shown), text, key),
                                functools.partial(bad, key, help="paths are relative to "
                                                                 "models/"), key))
    kernel = data.get("kernel", {})
    check = data.get("check", {})
    expect = data.get("expect", {})
    if not all(isinstance(t, dict) for t in (kernel, check, expect)):
        raise bad("kernel", "[kernel], [check] and [expect] must be tables")
    assert isinstance(kernel, dict) and isinstance(check, dict) and isinstance(expect, dict)
    tasks = get(kernel, "tasks", list)
    assert isinstance(tasks, list)
    if not tasks or not all(isinstance(t, str) for t in tasks):
        raise bad("tasks", "'tasks' must list at least one task program by name")
    preempt_s = str(get(kernel, "preempt", str, "full"))
    try:
        preempt = Preempt(preempt_s)
    except ValueError:
        raise bad("preempt", f"unknown preemption model '{preempt_s}'",
                  help="use none, voluntary, full or rt") from None
    handlers = get(kernel, "irq_handlers", list, [])
    assert isinstance(handlers, list)
    props = get(check, "properties", list, list(DEFAULT_PROPERTIES))
    assert isinstance(props, list)
    if not props or not all(isinstance(p, str) for p in props):
        raise bad("properties", "'properties' must list at least one property id",
                  help="a target that checks nothing cannot pass; drop the key to check "
                       "the default properties")
    for p in props:
        if p not in BY_ID:
            raise bad("properties", f"unknown property '{p}'",
                      help="known: " + ", ".join(sorted(BY_ID)), code="LZC405")
    verdict = str(get(expect, "verdict", str))
    if verdict not in ("pass", "fail"):
        raise bad("verdict", "expected verdict must be \"pass\" or \"fail\"")
    prop = expect.get("property")
    if verdict == "fail" and (not isinstance(prop, str) or prop not in props):
        raise bad("verdict", "a \"fail\" expectation names the failing property, one of "
                  "the checked ones", help='add property = "<id>" under [expect]')
    requires = get(check, "requires", list, [])
    may_skip = get(check, "may_skip", list, [])
    reach = get(check, "reach", list, [])  # lang helper: __reach("label") points
    assert isinstance(requires, list) and isinstance(may_skip, list)
    assert isinstance(reach, list)
    extra = _gate_keys(check, expect, verdict, bad)
    for r in requires:
        if not isinstance(r, str):
            raise bad("requires", "'requires' must list requirement names")
        if r not in REQUIREMENTS:
            raise bad("requires", f"unknown requirement '{r}'",
                      help="known: " + ", ".join(sorted(REQUIREMENTS)))
    cpus = get(kernel, "cpus", int)
    irqs = get(kernel, "irqs", int, 0)
    bound = get(check, "bound", int)
    assert isinstance(cpus, int) and isinstance(irqs, int) and isinstance(bound, int)
    config = KernelConfig(cpus=cpus, tasks=tuple(str(t) for t in tasks), preempt=preempt,
                          irq_handlers=tuple(str(h) for h in handlers), irqs=irqs,
                          properties=tuple(str(p) for p in props))
    validate_config(config, bound,
                    lambda k, m: bad(k, m, "these limits keep the state space within memory",
                                     "LZC404" if k == "bound" else "LZC403"))
    return Target(name=name, path=path, description=str(get(data, "description", str)),
                  arch=str(get(data, "arch_name", str)),
                  generation=str(get(data, "generation", str)),
                  source=str(get(data, "source", str)), models=tuple(mods), config=config,
                  bound=bound,
                  expect=Expectation(verdict, str(prop) if verdict == "fail" else None,
                                     extra[1]),
                  requires=tuple(str(r) for r in requires),
                  may_skip=tuple(str(m) for m in may_skip), bounded=extra[0],
                  reach=tuple(str(r) for r in reach))


def confined_target_path(name: str, root: Path) -> Path:
    """:func:`target_path`, refusing a name that is not a plain file name in specs/targets."""
    if "/" in name or "\\" in name or name.startswith("."):
        raise ModelError([Diagnostic("LZC013", f"target name '{excerpt(name, 0, 80)}' is "
                                     "not a plain name", None,
                                     help="name a target in specs/targets/ without a path")])
    return cf.confine(f"{name}.toml", root / "specs" / "targets", what="target name",
                      inside="specs/targets/")


def _model_path(rel: str, models_dir: Path, span: Span,
                bad: Callable[[str], ModelError], key: str) -> Path:
    """A target's model path: confined to models/, an existing regular file."""
    p = cf.confine(rel, models_dir, span, what="model path", inside="models/")
    if not p.exists():
        raise bad(f"{key} model 'models/{rel}' does not exist")
    cf.check_regular(p, f"models/{excerpt(rel, 0, 80)}", cf.MAX_MODEL_BYTES, span)
    return p


def _gate_keys(check: dict[str, object], expect: dict[str, object], verdict: str,
               bad: Callable[..., ModelError]) -> tuple[str, str]:
    """``[check] bounded = "reason"`` and ``[expect] at = "file.lazy:LINE"``, checked."""
    bounded = check.get("bounded", "")
    at = expect.get("at", "")
    if not isinstance(bounded, str) or (bounded == "" and "bounded" in check):
        raise bad("bounded", "'bounded' must be a non-empty reason why a bounded PASS is "
                  "enough")
    if not isinstance(at, str) or (at and not re.fullmatch(r"[\w.+-]+\.lazy:\d+", at)):
        raise bad("at", "'at' must be \"file.lazy:LINE\", where the property fires")
    if at and verdict != "fail":
        raise bad("at", "'at' belongs to a \"fail\" expectation")
    return bounded, at


def validate_config(config: KernelConfig, bound: int,
                    bad: object = None) -> None:
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
    if callable(bad):
        raise bad(key, msg)
    code = "LZC404" if key == "bound" else "LZC403"
    raise ModelError([Diagnostic(code, msg, None,
                                 help="these limits keep the state space within memory")])
