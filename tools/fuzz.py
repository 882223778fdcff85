"""Grammar-aware fuzzing: models through lint and verify, targets through ci, traces through replay.

``make fuzz`` (``python tools/fuzz.py --inputs 10000``) mutates the real
corpus -- models/**/*.lazy at the token level (delete, duplicate, swap,
replace by another token of the corpus, splice lines from another model,
deep nesting, huge or non-ASCII literals, invalid UTF-8, hostile
``#include`` paths), target TOMLs at the key level (wrong types, hostile
model paths, odd bounds, broken tables) and ITF traces at the JSON level
(edited values, dropped or duplicated states, hostile targets) -- and runs
each input through the CLI in a scratch copy of the repository, next to a
secret file outside it.  It asserts, per input: no traceback, an exit code
in the documented set (0-5), no internal error (5), bounded time (a worker
that stops making progress is killed and the input counted as a hang), no
byte of the secret in the output.  Inputs run in chunks in worker processes;
the summary is a table.  Deterministic for a given ``--seed``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SECRET = "FUZZ-CANARY-0a1b2c"
HANG_S = 60.0  # no progress for this long: the input hangs
SHARES = (("lint", 0.70), ("verify", 0.08), ("ci", 0.12), ("replay", 0.10))
_TOKEN = re.compile(r"\s+|//[^\n]*|/\*.*?\*/|\"[^\"\n]*\"|\w+|\.\.\.|->|[+\-=!<>&|]=?|.", re.S)
HOSTILE_PATHS = ("/etc/passwd", "../../../outside/secret.lazy", "/proc/self/environ",
                 "/dev/zero", "../" * 20 + "etc/hostname", "arch", "", "x" * 300,
                 "scenarios/../../../outside/secret.lazy", "~/.ssh/id_rsa")
WEIRD = ("(" * 50, "{" * 50, "9" * 5000, "0x" + "f" * 100, "\u0663\u0664", "\u00e9", "@",
         "#define X", "if (1) " * 40, "!" * 100, "a" * 300, "\t", "\"", "/*", "\x00")


# ---------------------------------------------------------------- mutators
def mutate_model(text: str, rng: random.Random, vocab: list[str], other: str) -> bytes:
    """A token-level mutant of a model file (sometimes not valid UTF-8)."""
    toks = _TOKEN.findall(text) or [""]
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(toks))
        op = rng.randrange(9)
        if op == 0:
            del toks[i:i + rng.randint(1, 3)]
        elif op == 1:
            toks.insert(i, toks[i])
        elif op == 2:
            j = rng.randrange(len(toks))
            toks[i], toks[j] = toks[j], toks[i]
        elif op == 3:
            toks[i] = rng.choice(vocab)
        elif op == 4:
            lines = other.splitlines() or [""]
            toks.insert(i, "\n" + rng.choice(lines) + "\n")
        elif op == 5:
            toks.insert(i, rng.choice(WEIRD))
        elif op == 6:
            toks.insert(i, f'\n#include "{rng.choice(HOSTILE_PATHS)}"\n')
        elif op == 7:
            toks[i:] = toks[i:i + 1]  # truncate
        else:
            toks.insert(i, str(rng.choice((0, 1, 65535, 65537, 2**31, 10**30))))
        toks = toks or [""]
    data = "".join(toks).encode("utf-8", "surrogatepass")
    if rng.random() < 0.03:
        k = rng.randrange(len(data) + 1)
        data = data[:k] + bytes([rng.choice((0x80, 0xC3, 0xFF, 0xE2))]) + data[k:]
    return data


def mutate_gently(rel: str, text: str, rng: random.Random) -> bytes:
    """A mutant that usually still loads: a statement deleted, swapped or negated
    (tools/mutants.py), or one name or number replaced by another of the same file."""
    sys.path.insert(0, str(REPO / "tools"))
    import mutants

    if rng.random() < 0.6:
        ms = mutants.mutants_of(rel, text)
        if ms:
            return rng.choice(ms).text.encode()
    toks = _TOKEN.findall(text)
    spots = [i for i, t in enumerate(toks) if re.fullmatch(r"\w+", t)]
    if spots:
        i = rng.choice(spots)
        same = [t for t in toks if t.isdigit() == toks[i].isdigit() and re.fullmatch(r"\w+", t)]
        toks[i] = rng.choice(same)
    return "".join(toks).encode()


def _value(rng: random.Random) -> str:
    return rng.choice(['"x"', "0", "-1", "400", "401", "1e400", "true", "[]", "[[1]]", "{}",
                       '["a", 1]', "9" * 30, '"' + rng.choice(HOSTILE_PATHS) + '"', '""',
                       '"no-bug"', '["no-bug"]', "nan", '"' + "y" * 500 + '"'])


def mutate_toml(text: str, rng: random.Random) -> bytes:
    """A key-level mutant of a target TOML."""
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        keyed = [i for i, ln in enumerate(lines) if re.match(r"\s*\w+\s*=", ln)] or [0]
        i = rng.choice(keyed)
        op = rng.randrange(7)
        key = lines[i].split("=", 1)[0].strip() if "=" in lines[i] else "x"
        if op == 0:
            lines[i] = f"{key} = {_value(rng)}"
        elif op == 1:
            del lines[i]
        elif op == 2:
            lines.insert(i, rng.choice(["[kernel]", "[check]", "[expect]", "[[expect]]",
                                        "[kernel.x]", "bound = 3", 'bounded = "fuzz"',
                                        'at = "x.lazy:1"', "properties = []", "cpus = 0"]))
        elif op == 3:
            lines[i] = lines[i] + rng.choice(WEIRD)
        elif op == 4 and key in ("arch", "api", "scenario"):
            lines[i] = f'{key} = "{rng.choice(HOSTILE_PATHS)}"'
        elif op == 5:
            lines[i] = f"bound = {rng.choice([1, 2, 3, 5, 8, 0, -1])}"
        else:
            lines.insert(i, f"{key} = {_value(rng)}")  # a duplicate key
    data = "\n".join(lines).encode()
    return data + (b"\xff" if rng.random() < 0.02 else b"")


def _poke(node: Any, rng: random.Random, depth: int = 0) -> Any:
    if isinstance(node, dict) and node and depth < 6:
        k = rng.choice(list(node))
        if rng.random() < 0.2:
            node.pop(k)
        else:
            node[k] = _poke(node[k], rng, depth + 1)
        return node
    if isinstance(node, list) and node and depth < 6:
        i = rng.randrange(len(node))
        if rng.random() < 0.2:
            node.insert(i, node[i])
        elif rng.random() < 0.2:
            del node[i]
        else:
            node[i] = _poke(node[i], rng, depth + 1)
        return node
    return rng.choice([None, True, 0, -1, 10**40, "x", {"#bigint": "7"}, {"#bigint": "9" * 50},
                       [], {}, "../../outside/secret", 1.5])


def mutate_trace(doc: dict[str, Any], rng: random.Random) -> bytes:
    """A JSON-level mutant of an ITF trace."""
    d = json.loads(json.dumps(doc))
    for _ in range(rng.randint(1, 3)):
        d = _poke(d, rng)
    if rng.random() < 0.05:
        return ("[" * 5000 + "]" * 5000).encode()
    return json.dumps(d).encode()


# ---------------------------------------------------------------- one worker
def _scratch(tmp: Path) -> Path:
    outside = tmp / "outside"
    outside.mkdir()
    (outside / "secret.lazy").write_text(f'model common "s" source "s";\n// {SECRET}\n')
    repo = tmp / "repo"
    shutil.copytree(REPO / "models", repo / "models")
    shutil.copytree(REPO / "specs", repo / "specs")
    return repo


def _case(k: int, seed: int, repo: Path, corpus: dict[str, Any]) -> tuple[str, list[str]]:
    """Input ``k``: write it into ``repo`` and return (kind, lazycheck arguments)."""
    rng = random.Random(f"{seed}:{k}")
    kind = rng.choices([s[0] for s in SHARES], [s[1] for s in SHARES])[0]
    models, targets, traces = corpus["models"], corpus["targets"], corpus["traces"]
    if kind in ("lint", "verify"):
        name = rng.choice(sorted(targets))
        rel = rng.choice(corpus["uses"][name]) if kind == "verify" else rng.choice(sorted(models))
        data = (mutate_gently(rel, models[rel], rng) if kind == "verify" and rng.random() < 0.8
                else mutate_model(models[rel], rng, corpus["vocab"],
                                  models[rng.choice(sorted(models))]))
        (repo / rel).write_bytes(data)
        if kind == "lint":
            return kind, ["lint", rel]
        return kind, ["verify", name, "--bound", str(rng.randint(1, 12)), "--max-states",
                      "20000", "--timeout", "10", "--no-timings"]
    if kind == "ci":
        name = rng.choice(sorted(targets))
        (repo / "specs" / "targets" / f"{name}.toml").write_bytes(
            mutate_toml(targets[name], rng))
        return kind, ["ci", "--no-progress", "--budget", "20", name]
    trace = repo / "fuzz.itf.json"
    trace.write_bytes(mutate_trace(rng.choice(traces), rng))
    return kind, ["replay", str(trace)]


def _restore(repo: Path, corpus: dict[str, Any]) -> None:
    for rel, text in corpus["models"].items():
        p = repo / rel
        if p.read_bytes() != text.encode():
            p.write_text(text)
    for name, text in corpus["targets"].items():
        p = repo / "specs" / "targets" / f"{name}.toml"
        if p.read_bytes() != text.encode():
            p.write_text(text)


def worker(seed: int, start: int, end: int, out: Path) -> None:
    """Run inputs [start, end) and append one JSON line per input to ``out``."""
    from click.testing import CliRunner

    from lazycheck.cli.main import main
    tmp = Path(tempfile.mkdtemp(prefix="lazycheck-fuzz-"))
    repo = _scratch(tmp)
    corpus = _corpus(repo)
    old = Path.cwd()
    os.chdir(repo)
    try:
        with out.open("a") as log:
            for k in range(start, end):
                kind, args = _case(k, seed, repo, corpus)
                t0 = time.monotonic()
                res = CliRunner().invoke(main, ["--root", str(repo), *args],
                                         catch_exceptions=True)
                text = res.stdout + res.stderr
                exc = res.exception if not isinstance(res.exception, SystemExit) else None
                rec = {"k": k, "kind": kind, "code": res.exit_code,
                       "seconds": round(time.monotonic() - t0, 3),
                       "traceback": exc is not None or "Traceback (most recent" in text,
                       "leak": SECRET in text or "FUZZ_ENV_SECRET" in text,
                       "why": (repr(exc)[:300] if exc is not None else
                               text[-300:] if res.exit_code == 5 else "")}
                log.write(json.dumps(rec) + "\n")
                log.flush()
                _restore(repo, corpus)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
            log.write(json.dumps({"rss_mb": rss}) + "\n")
    finally:
        os.chdir(old)
        shutil.rmtree(tmp, ignore_errors=True)


def _corpus(repo: Path) -> dict[str, Any]:
    from lazycheck.run.verify import run
    from lazycheck.targets import load_target, target_names
    from lazycheck.views import itf

    models = {p.relative_to(repo).as_posix(): p.read_text()
              for p in sorted((repo / "models").rglob("*.lazy"))}
    names = target_names(repo)
    targets = {n: (repo / "specs" / "targets" / f"{n}.toml").read_text() for n in names}
    uses = {}
    for n in names:
        t = load_target(n, repo)
        uses[n] = [p.relative_to(repo.resolve()).as_posix() for p in t.models]
    traces = []
    for n in ("xen-nesting-counter", "xen-set-ptes-nesting", "vmap-pages-error-path-xen"):
        if n in names:
            traces.append(itf.to_itf(run(load_target(n, repo), repo)))
    vocab = sorted({t for text in models.values() for t in _TOKEN.findall(text)
                    if t.strip() and len(t) < 40})
    return {"models": models, "targets": targets, "uses": uses, "traces": traces,
            "vocab": vocab}


# ---------------------------------------------------------------- the driver
def _run_chunk(seed: int, start: int, end: int, out: Path) -> int:
    """Run a chunk in a child; on a hang, kill it and return the input that hung (else -1)."""
    env = {**os.environ, "FUZZ_ENV_SECRET": SECRET}
    cmd = [sys.executable, __file__, "--worker", str(seed), str(start), str(end), str(out)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    last, size = time.monotonic(), -1
    while proc.poll() is None:
        time.sleep(0.5)
        now_size = out.stat().st_size if out.exists() else 0
        if now_size != size:
            last, size = time.monotonic(), now_size
        elif time.monotonic() - last > HANG_S:
            proc.kill()
            proc.wait()
            done = _done(out)
            return max(done) + 1 if done else start
    return -1


def _done(out: Path) -> set[int]:
    if not out.exists():
        return set()
    return {json.loads(ln)["k"] for ln in out.read_text().splitlines()
            if ln.startswith('{"k"')}


def summary(out: Path, hangs: list[int]) -> tuple[str, bool]:
    """The table, and whether the run is clean."""
    recs = [json.loads(ln) for ln in out.read_text().splitlines()]
    rss = max([r["rss_mb"] for r in recs if "rss_mb" in r] or [0])
    rows = [r for r in recs if "k" in r]
    lines = [f"{'command':<8} {'inputs':>7} {'tracebacks':>10} {'hangs':>6} "
             f"{'undocumented exit':>17} {'internal (5)':>12} {'leaks':>6} {'max s':>7}  "
             "exit codes"]
    clean = True
    for kind in [*(s[0] for s in SHARES), "total"]:
        rs = [r for r in rows if kind in (r["kind"], "total")]
        h = len(hangs) if kind == "total" else 0
        tb = sum(r["traceback"] for r in rs)
        bad = sum(r["code"] not in range(6) for r in rs)
        internal = sum(r["code"] == 5 for r in rs)
        leaks = sum(r["leak"] for r in rs)
        codes = ",".join(f"{c}:{sum(r['code'] == c for r in rs)}"
                         for c in sorted({r["code"] for r in rs}))
        mx = max([r["seconds"] for r in rs] or [0])
        lines.append(f"{kind:<8} {len(rs) + h:>7} {tb:>10} {h:>6} {bad:>17} {internal:>12} "
                     f"{leaks:>6} {mx:>7.1f}  {codes}")
        if kind == "total":
            clean = not (tb or h or bad or internal or leaks)
    lines.append(f"peak RSS of a worker: {rss} MB")
    for r in rows:
        if r["traceback"] or r["code"] not in range(5) or r["leak"]:
            lines.append(f"  input {r['k']} ({r['kind']}): exit {r['code']} {r['why']}")
    lines += [f"  input {k}: hang (no progress for {HANG_S:g} s)" for k in hangs]
    return "\n".join(lines), clean


def main(argv: list[str] | None = None) -> int:
    """Fuzz ``--inputs`` inputs in chunks; print the table; exit 1 unless clean."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inputs", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--chunk", type=int, default=500)
    ap.add_argument("--out", type=Path, default=Path("fuzz-results.jsonl"))
    ap.add_argument("--worker", nargs=4, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        s, a, b, o = args.worker
        worker(int(s), int(a), int(b), Path(o))
        return 0
    args.out.unlink(missing_ok=True)
    hangs: list[int] = []
    start = 0
    while start < args.inputs:
        end = min(start + args.chunk, args.inputs)
        hung = _run_chunk(args.seed, start, end, args.out)
        if hung >= 0:
            hangs.append(hung)
            start = hung + 1
        else:
            start = end
        print(f"fuzz: {start}/{args.inputs} inputs", file=sys.stderr, flush=True)
    table, clean = summary(args.out, hangs)
    print(table)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main())
