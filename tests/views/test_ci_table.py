"""``lazycheck ci``'s summary table: grouped per target, within 100 columns."""

from __future__ import annotations

from lazycheck.views.ci_rows import CiRow, ci_table


def _row(config: str, verdict: str = "FAIL", matched: bool = True, states: int = 19) -> CiRow:
    name = "arm64-5fdd05efa1cd-softirq-with-a-long-name-for-wrapping"
    return CiRow(target=f"{name}[{config}]", expected="fail:no-deferred-write-outside-section",
                 verdict=verdict, property_id="no-deferred-write-outside-section"
                 if verdict == "FAIL" else "", matched=matched, states=states, depth=3,
                 exhausted=True, elapsed_s=0.1, detail="", report=f"report of {config}",
                 config=config)


def test_one_group_per_target_and_width() -> None:
    configs = [f"{p},irqs={i}" for p in ("none", "voluntary", "full", "rt") for i in (0, 1)]
    text = ci_table([_row(c, states=123_456) for c in configs])
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert sum(1 for line in lines if line.startswith("arm64-")) == 1
    assert "[ok]" in text and "rt,irqs=1 123,456" in " ".join(lines)
    assert "report of" not in text  # reports only for what is not ok


def test_a_mismatch_is_named_with_what_was_found() -> None:
    text = ci_table([_row("none"), _row("full", verdict="PASS", matched=False)])
    assert "[1 of 2 NOT OK]" in text
    assert "full MISMATCH: got PASS" in text
    assert "--- arm64-5fdd05efa1cd-softirq-with-a-long-name-for-wrapping[full]: MISMATCH" in text
    assert "report of full" in text and "report of none" not in text
