"""Patch review (--diff, --changed-since) and bad input (exit 2, coded, no traceback)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from lazycheck.cli.main import main
from lazycheck.scan import diff

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent.parent
PATCH = """From 0000 Mon Sep 17 00:00:00 2001
Subject: [PATCH] mm/vmalloc: demo

---
--- a/mm/vmalloc.c
+++ b/mm/vmalloc.c
@@ -20,7 +20,7 @@ static int vmap_pages_pte_range(pmd_t *pmd, unsigned long addr,
 \t\tstruct page *page = pages[*nr];
-\t\tif (WARN_ON(!pte_none(ptep_get(pte))))
+\t\tif (WARN_ON(!pte_none(ptep_get(pte)) ))
 \t\t\treturn -EBUSY;
"""


def _scan(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, ["--root", str(ROOT), "scan", *args])
    assert res.exception is None or isinstance(res.exception, SystemExit)
    return res.exit_code, res.stdout, res.stderr


def test_parse_patch_lines_and_header_names() -> None:
    (t,) = diff.parse_patch(PATCH)
    assert t.path == "mm/vmalloc.c"
    assert t.ranges == ((20, 26),)
    assert t.names == ("vmap_pages_pte_range",)


def test_diff_scans_only_touched_functions_and_names_targets(tmp_path: Path) -> None:
    patch = tmp_path / "x.patch"
    patch.write_text(PATCH, encoding="utf-8")
    code, out, _ = _scan("--diff", str(patch), "-C", str(FIXTURES / "vmap-44562c71e2cf"))
    assert code == 1
    assert "vmap_pages_pte_range" in out and "vmap_pte_range()" not in out
    assert "vmap-pages-error-path-xen" in out  # a zoo target of the touched call site


def test_changed_since_in_a_git_tree(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("no git")
    tree = tmp_path / "linux"
    shutil.copytree(FIXTURES / "vmap-fea18c686320", tree)
    env = ["-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    subprocess.run(["git", "-C", str(tree), *env, "add", "."], check=True)
    subprocess.run(["git", "-C", str(tree), *env, "commit", "-qm", "x"], check=True)
    src = (FIXTURES / "vmap-44562c71e2cf" / "mm" / "vmalloc.c").read_text()
    (tree / "mm" / "vmalloc.c").write_text(src)
    code, out, _ = _scan("--changed-since", "HEAD", "-C", str(tree))
    assert code == 1 and "section-leak" in out
    code, _, err = _scan("--changed-since", "--output=/tmp/x", "-C", str(tree))
    assert code == 2 and "LZS003" in err


@pytest.mark.parametrize("args", [["nonexistent-dir"], [], ["--diff", "/nonexistent.patch"]])
def test_bad_input_exits_2_with_a_code(args: list[str]) -> None:
    code, _, err = _scan(*args)
    assert code == 2 and "error[LZS" in err and "Traceback" not in err


def test_not_a_diff(tmp_path: Path) -> None:
    p = tmp_path / "x.patch"
    p.write_text("hello\n", encoding="utf-8")
    code, _, err = _scan("--diff", str(p))
    assert code == 2 and "LZS003" in err


def test_extract_bad_site() -> None:
    res = CliRunner().invoke(main, ["extract", "nocolon"])
    assert res.exit_code == 2 and "LZS010" in res.stderr
