"""The small, standing part of ``make fuzz``: hypothesis mutates models, targets and traces.

Whatever the input, reading it ends in diagnostics (ModelError / ItfError),
never in another exception.  ``LAZYCHECK_FUZZ_EXAMPLES`` raises the count.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lazycheck.errors import ModelError
from lazycheck.lang.check import check_program
from lazycheck.lang.loader import read_models
from lazycheck.run import replay
from lazycheck.targets import load_target

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("LAZYCHECK_FUZZ_EXAMPLES", "60"))
MODELS = sorted((REPO / "models").rglob("*.lazy"))
_TOKEN = re.compile(r"\s+|//[^\n]*|/\*.*?\*/|\"[^\"\n]*\"|\w+|->|[+\-=!<>&|]=?|.", re.S)
SPICE = st.sampled_from(["(" * 60, "{", "}", ";", "9" * 400, "\u0663", "\x00", "@", "if (1)",
                         '#include "/etc/passwd"', '#include "../../x.lazy"', "!" * 70])
FAST = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@st.composite
def mutated_model(draw: st.DrawFn) -> str:
    toks = _TOKEN.findall(draw(st.sampled_from(MODELS)).read_text())
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(toks) - 1))
        op = draw(st.integers(0, 3))
        if op == 0:
            del toks[i]
        elif op == 1:
            toks.insert(i, draw(SPICE))
        elif op == 2:
            toks.insert(i, draw(st.sampled_from(toks)))
        else:
            toks[i] = draw(st.text(max_size=5))
    return "".join(toks)


@FAST
@given(text=mutated_model())
def test_mutated_model_gives_diagnostics_or_a_program(tmp_path: Path, text: str) -> None:
    p = tmp_path / "m.lazy"
    p.write_text(text, encoding="utf-8", errors="surrogatepass")
    files, _, diags = read_models([p], tmp_path)
    if not diags:
        check_program(files)  # may give diagnostics; must not raise


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    r = tmp_path_factory.mktemp("repo")
    shutil.copytree(REPO / "models", r / "models")
    shutil.copytree(REPO / "specs", r / "specs")
    return r


TOML_VALUES = st.sampled_from(['"x"', "0", "-1", "1e400", "true", "[]", "[[1]]", "{}", "nan",
                               '"/etc/passwd"', '"../../../etc/passwd"', '"/dev/zero"', '""',
                               "9" * 30, '["no-bug", 1]', '"' + "y" * 400 + '"'])


@FAST
@given(line=st.integers(0, 40), value=TOML_VALUES, extra=st.booleans())
def test_mutated_target_gives_diagnostics_or_a_target(repo: Path, line: int, value: str,
                                                      extra: bool) -> None:
    src = (REPO / "specs" / "targets" / "xen-nesting-counter.toml").read_text().split("\n")
    keyed = [i for i, ln in enumerate(src) if re.match(r"\s*\w+\s*=", ln)]
    i = keyed[line % len(keyed)]
    key = src[i].split("=", 1)[0].strip()
    src[i] = f"{key} = {value}" if not extra else src[i] + f"\n{key}2 = {value}"
    (repo / "specs" / "targets" / "fuzz.toml").write_text("\n".join(src))
    with contextlib.suppress(ModelError):
        load_target("fuzz", repo)


TRACE = json.loads((REPO / "tests" / "bad_input" / "lzc410_tampered.itf.json").read_text())
JSON_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8),
                        st.just({"#bigint": "9" * 60}), st.just([]), st.just({}))


@settings(max_examples=max(10, EXAMPLES // 2), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(path=st.lists(st.integers(0, 50), min_size=1, max_size=4), value=JSON_VALUES)
def test_mutated_trace_gives_itf_errors_or_a_record(repo: Path, path: list[int],
                                                    value: object) -> None:
    doc = json.loads(json.dumps(TRACE))
    node: object = doc
    for k in path[:-1]:
        if isinstance(node, dict) and node:
            node = node[sorted(node)[k % len(node)]]
        elif isinstance(node, list) and node:
            node = node[k % len(node)]
    if isinstance(node, dict) and node:
        node[sorted(node)[path[-1] % len(node)]] = value
    elif isinstance(node, list) and node:
        node[path[-1] % len(node)] = value
    with contextlib.suppress(replay.ItfError, ModelError):
        replay.replay(replay.parse(json.dumps(doc)), repo)
