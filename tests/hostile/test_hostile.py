"""Hostile inputs: each gives its coded diagnostic, exit 2, in seconds and bounded memory.

Every case runs ``lazycheck`` in a child process against a small repository
built in a temporary directory, next to a "secret" file outside it (and a
secret in the environment, for ``/proc/self/environ``).  A case passes when
the process exits 2 with the expected ``error[LZCnnn]``, within
:data:`SECONDS` and :data:`MAX_RSS_MB`, and no byte of the secret appears in
stdout, stderr or any report written.  Written for issue 9.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SECRET = "CANARY-5ec7e7-do-not-print"
SECONDS = 20.0
MAX_RSS_MB = 400
HEADER = 'model scenario "hostile" source "tests";\n\n'


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    seconds: float
    rss_mb: float


# the child reports its own peak RSS (KB) when it exits, however it exits: VmHWM of its
# own address space (getrusage's ru_maxrss keeps, across execve, the peak of the forked
# copy of its parent: a pytest-xdist worker that had grown to 466 MB gave every child
# 466 MB)
_WRAP = """
import atexit, os, re, resource
def peak_kb():
    try:
        with open("/proc/self/status") as f:
            return int(re.search(r"VmHWM:\\s+(\\d+)", f.read()).group(1))
    except (OSError, AttributeError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
atexit.register(lambda: open(os.environ["HOSTILE_RSS"], "w").write(str(peak_kb())))
from lazycheck.cli.main import main
main(prog_name="lazycheck")
"""


def run(args: list[str], cwd: Path) -> Ran:
    """``lazycheck ARGS`` in a child; its exit code, output, wall time and peak RSS."""
    rss_file = cwd.parent / f"rss-{os.getpid()}-{time.monotonic_ns()}"
    env = {**os.environ, "LAZYCHECK_SECRET": SECRET, "HOSTILE_RSS": str(rss_file)}
    start = time.monotonic()
    try:
        res = subprocess.run([sys.executable, "-c", _WRAP, *args], cwd=cwd, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, timeout=SECONDS * 3, check=False)
        code, out = res.returncode, res.stdout
    except subprocess.TimeoutExpired as exc:
        code, out = -1, exc.stdout or b""
    rss = int(rss_file.read_text()) / 1024 if rss_file.is_file() else 0.0
    return Ran(code, out.decode("utf-8", "replace"), time.monotonic() - start, rss)


def _tree(tmp: Path) -> tuple[Path, Path]:
    """A repository (models/, specs/targets/) and a secret file beside it."""
    outside = tmp / "outside"
    outside.mkdir()
    (outside / "secret.lazy").write_text(HEADER + f"// {SECRET}\n{SECRET}\n")
    repo = tmp / "repo"
    for sub in ("models/arch", "models/api", "models/scenarios", "specs/targets"):
        (repo / sub).mkdir(parents=True)
    for rel in ("arch/x86-xen-pv-49147beb0ccb.lazy", "arch/x86-xen-pv-c36549ff8d84.lazy",
                "arch/x86-xen-pv-multicall.lazy", "api/g0-stateless.lazy",
                "scenarios/copy-pte-range-set-ptes.lazy"):
        (repo / "models" / rel).write_text((REPO / "models" / rel).read_text())
    toml = (REPO / "specs" / "targets" / "xen-nesting-counter.toml").read_text()
    (repo / "specs" / "targets" / "xen-nesting-counter.toml").write_text(toml)
    return repo, outside


def target(repo: Path, name: str, **keys: str) -> str:
    """A copy of xen-nesting-counter with TOML lines replaced (``key = value`` as given)."""
    lines = (repo / "specs" / "targets" / "xen-nesting-counter.toml").read_text().splitlines()
    out = []
    for line in lines:
        key = line.split("=", 1)[0].strip()
        out.append(f"{key} = {keys.pop(key)}" if key in keys and "=" in line else line)
    out += [f"{k} = {v}" for k, v in keys.items()]
    (repo / "specs" / "targets" / f"{name}.toml").write_text("\n".join(out) + "\n")
    return name


def model(repo: Path, rel: str, text: str | bytes) -> str:
    p = repo / "models" / rel
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text)
    return rel


def _cases(repo: Path, outside: Path) -> dict[str, tuple[list[str], str]]:
    """case name -> (lazycheck arguments, the code the output must carry)."""
    secret_abs = str(outside / "secret.lazy")
    model(repo, "scenarios/inc-abs.lazy", HEADER + f'#include "{secret_abs}"\n')
    model(repo, "scenarios/inc-dotdot.lazy", HEADER + '#include "../../../outside/secret.lazy"\n')
    model(repo, "scenarios/inc-proc.lazy", HEADER + '#include "/proc/self/environ"\n')
    model(repo, "scenarios/inc-proc-rel.lazy",
          HEADER + '#include "' + "../" * 30 + 'proc/self/environ"\n')
    model(repo, "scenarios/long-line.lazy", HEADER + "task void f(void) { " + "x" * 100_000
          + " @ y }\n")
    model(repo, "scenarios/deep-paren.lazy", HEADER + "task void f(void) { int x = "
          + "(" * 10_000 + "1" + ")" * 10_000 + "; }\n")
    model(repo, "scenarios/deep-block.lazy", HEADER + "task void f(void) { "
          + "{" * 10_000 + "}" * 10_000 + " }\n")
    model(repo, "scenarios/deep-if.lazy", HEADER + "task void f(void) { "
          + "if (1) " * 10_000 + "; }\n")
    model(repo, "scenarios/digits.lazy", HEADER + "task void f(void) { int x = "
          + "9" * 5_000 + "; }\n")
    model(repo, "scenarios/arabic.lazy", HEADER + "task void f(void) { int x = \u0663\u0664; }\n")
    model(repo, "scenarios/latin1.lazy", HEADER.encode() + b"// caf\xe9\n")
    model(repo, "scenarios/big.lazy", HEADER + "//" + "x" * (1 << 20) + "\n")
    for i in range(20):  # an include chain deeper than the limit
        model(repo, f"scenarios/chain{i}.lazy", HEADER + f'#include "chain{i + 1}.lazy"\n')
    model(repo, "scenarios/chain20.lazy", HEADER)
    os.mkfifo(repo / "models" / "scenarios" / "fifo.lazy")
    os.symlink(secret_abs, repo / "models" / "scenarios" / "link.lazy")
    t = {k: f'"{v}"' for k, v in {
        "abs": secret_abs, "dotdot": "../../outside/secret.lazy", "environ": "/proc/self/environ",
        "zero": "/dev/zero", "fifo": "scenarios/fifo.lazy", "link": "scenarios/link.lazy",
        "dir": "scenarios"}.items()}
    cases: dict[str, tuple[list[str], str]] = {
        f"target-{k}": (["verify", target(repo, f"t-{k}", scenario=v)], "LZC013")
        for k, v in t.items()}
    for name, code in (("inc-abs", "LZC013"), ("inc-dotdot", "LZC013"), ("inc-proc", "LZC013"),
                       ("inc-proc-rel", "LZC013"), ("long-line", "LZC001"),
                       ("deep-paren", "LZC005"), ("deep-block", "LZC005"),
                       ("deep-if", "LZC005"), ("digits", "LZC006"), ("arabic", "LZC001"),
                       ("latin1", "LZC010"), ("big", "LZC014"), ("chain0", "LZC005")):
        tn = target(repo, f"m-{name}", scenario=f'"scenarios/{name}.lazy"')
        cases[f"model-{name}"] = (["verify", tn], code)
    cases["lint-long-line"] = (["lint", "models/scenarios/long-line.lazy"], "LZC001")
    cases["lint-dev-zero"] = (["lint", "/dev/zero"], "LZC013")
    return cases


def _toml_cases(repo: Path) -> dict[str, tuple[list[str], str]]:
    bad = {"kernel-not-table": ("LZC402", {"description": '"x"\nkernel = 5'}),
           "props-nested": ("LZC402", {"bound": "40\nproperties = [[1]]"}),
           "props-empty": ("LZC402", {"bound": "40\nproperties = []"}),
           "tasks-ints": ("LZC402", {"tasks": "[1, 2]"}),
           "bound-string": ("LZC402", {"bound": '"x"'}),
           "cpus-float": ("LZC402", {"cpus": "1e400"}),
           "cpus-huge": ("LZC403", {"cpus": "9" * 18}),
           "requires-nested": ("LZC402", {"bound": "40\nrequires = [[1]]"}),
           "bounded-empty": ("LZC402", {"bound": '40\nbounded = ""'})}
    cases = {f"toml-{k}": (["verify", target(repo, f"x-{k}", **keys)], code)
             for k, (code, keys) in bad.items()}
    (repo / "specs" / "targets" / "x-latin1.toml").write_bytes(b'description = "caf\xe9"\n')
    (repo / "specs" / "targets" / "x-huge.toml").write_text("#" * (70 << 10) + "\n")
    os.mkfifo(repo / "specs" / "targets" / "x-fifo.toml")
    (repo / "specs" / "targets" / "x-digits.toml").write_text(f"cpus = {'9' * 5000}\n")
    (repo / "specs" / "targets" / "x-deep.toml").write_text("a = " + "[" * 30_000 + "]" * 30_000)
    cases["toml-digits"] = (["verify", "x-digits"], "LZC402")
    cases["toml-deep"] = (["verify", "x-deep"], "LZC402")
    cases["toml-latin1"] = (["verify", "x-latin1"], "LZC010")
    cases["toml-huge"] = (["verify", "x-huge"], "LZC014")
    cases["toml-fifo"] = (["verify", "x-fifo"], "LZC401")
    cases["name-dotdot"] = (["verify", "../../outside/secret"], "LZC013")
    cases["bound-zero"] = (["verify", "xen-nesting-counter", "--bound", "0"], "LZC406")
    cases["bound-negative"] = (["verify", "xen-nesting-counter", "--bound", "-3"], "LZC406")
    cases["timeout-nan"] = (["verify", "xen-nesting-counter", "--timeout", "nan"], "LZC406")
    cases["timeout-inf"] = (["verify", "xen-nesting-counter", "--timeout", "inf"], "LZC406")
    cases["states-zero"] = (["verify", "xen-nesting-counter", "--max-states", "0"], "LZC406")
    cases["output-dir"] = (["verify", "xen-nesting-counter", "--output", "no-dir/t.svg"],
                           "LZC407")
    cases["ci-junit-fifo"] = (["ci", "--junit", "specs/targets/x-fifo.toml"], "LZC407")
    cases["ci-rev-option"] = (["ci", "--changed-since", "--output=/tmp/pwn"], "LZC408")
    return cases


def _trace_cases(repo: Path, tmp: Path) -> dict[str, tuple[list[str], str]]:
    res = subprocess.run([sys.executable, "-m", "lazycheck", "verify", "xen-nesting-counter",
                          "--format", "itf"], cwd=repo, capture_output=True, text=True,
                         check=False)
    doc = json.loads(res.stdout)

    def write(name: str, d: object) -> str:
        p = tmp / f"{name}.itf.json"
        p.write_text(json.dumps(d) if not isinstance(d, str) else d)
        return str(p)

    drop = {**doc, "states": doc["states"][:-1]}
    swap = json.loads(json.dumps(doc))
    var = swap["vars"][0]
    swap["states"][1][var] = {"#bigint": "3"} if swap["states"][1][var] != {"#bigint": "3"} \
        else {"#bigint": "0"}
    noprop = json.loads(json.dumps(doc))
    noprop["#meta"]["config"]["properties"] = []
    escape = json.loads(json.dumps(doc))
    escape["#meta"]["target"] = "../../outside/secret"
    return {
        "itf-dropped-step": (["replay", write("drop", drop)], "LZC410"),
        "itf-edited-state": (["replay", write("swap", swap)], "LZC410"),
        "itf-no-properties": (["replay", write("noprop", noprop)], "LZC410"),
        "itf-target-escape": (["replay", write("escape", escape)], "LZC013"),
        "itf-deep-json": (["replay", write("deep", "[" * 100_000 + "]" * 100_000)], "LZC409"),
        "itf-digits": (["replay", write("digits", '{"#meta": {"bound": ' + "9" * 5000
                                        + "}, \"states\": []}")], "LZC409"),
        "itf-dev-zero": (["replay", "/dev/zero"], "LZC013"),
    }


Cases = dict[str, tuple[list[str], str]]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Cases]:
    tmp = tmp_path_factory.mktemp("hostile")
    repo, outside = _tree(tmp)
    cases = {**_cases(repo, outside), **_toml_cases(repo), **_trace_cases(repo, tmp)}
    return repo, cases


NAMES = [
    *(f"target-{k}" for k in ("abs", "dotdot", "environ", "zero", "fifo", "link", "dir")),
    *(f"model-{k}" for k in ("inc-abs", "inc-dotdot", "inc-proc", "inc-proc-rel", "long-line",
                             "deep-paren", "deep-block", "deep-if", "digits", "arabic",
                             "latin1", "big", "chain0")),
    "lint-long-line", "lint-dev-zero",
    *(f"toml-{k}" for k in ("kernel-not-table", "props-nested", "props-empty", "tasks-ints",
                            "bound-string", "cpus-float", "cpus-huge", "requires-nested",
                            "bounded-empty", "digits", "deep", "latin1", "huge", "fifo")),
    "name-dotdot", "bound-zero", "bound-negative", "timeout-nan", "timeout-inf", "states-zero",
    "output-dir", "ci-junit-fifo", "ci-rev-option",
    "itf-dropped-step", "itf-edited-state", "itf-no-properties", "itf-target-escape",
    "itf-deep-json", "itf-digits", "itf-dev-zero",
]


@pytest.mark.parametrize("case", NAMES)
def test_hostile_input(case: str, hostile: tuple[Path, Cases]) -> None:
    repo, cases = hostile
    args, code = cases[case]
    r = run(["--root", str(repo), *args], repo)
    assert "Traceback" not in r.out, r.out[-2000:]
    assert r.code == 2, f"{case}: exit {r.code}\n{r.out[-2000:]}"
    assert f"error[{code}]" in r.out, r.out[-2000:]
    assert SECRET not in r.out
    assert "LAZYCHECK_SECRET" not in r.out
    assert len(r.out) < 20_000, "diagnostics stay bounded"
    assert r.seconds < SECONDS, f"{case}: {r.seconds:.1f} s"
    assert r.rss_mb < MAX_RSS_MB, f"{case}: {r.rss_mb:.0f} MB"


def test_every_case_is_listed(hostile: tuple[Path, Cases]) -> None:
    assert sorted(NAMES) == sorted(hostile[1])


def test_ci_survives_every_hostile_target(
        hostile: tuple[Path, Cases], tmp_path: Path) -> None:
    """One ci run over all the broken targets: ERROR rows in every format, exit 2, no leak."""
    repo, _ = hostile
    reports = {k: tmp_path / f"r.{k}" for k in ("junit", "ktap", "sarif", "markdown")}
    args = [f"--{k}={p}" for k, p in reports.items()]
    r = run(["--root", str(repo), "ci", "--no-progress", *args], repo)
    assert "Traceback" not in r.out and r.code == 2, r.out[-3000:]
    assert SECRET not in r.out and r.rss_mb < MAX_RSS_MB
    names = sorted(p.stem for p in (repo / "specs" / "targets").glob("*.toml"))
    texts = {k: p.read_text() for k, p in reports.items()}
    assert all(SECRET not in t for t in texts.values())
    # one row per claimed configuration: every row but xen-nesting-counter's is an ERROR
    cases = re.findall(r'<testcase classname="[^"]*" name="([^"]+)"', texts["junit"])
    broken = [c for c in cases if not c.startswith("xen-nesting-counter")]
    assert {c.split("[")[0] for c in broken} == set(names) - {"xen-nesting-counter"}
    assert texts["junit"].count("<error ") == len(broken)
    assert texts["ktap"].count("not ok") == len(broken)
    assert "# ERROR" in texts["ktap"]
    sarif = json.loads(texts["sarif"])
    assert len(sarif["runs"][0]["results"]) == len(broken)
    assert {res["ruleId"] for res in sarif["runs"][0]["results"]} == {"bad-input"}
