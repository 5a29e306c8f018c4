"""Checks as a campaign runs them: the fast path (each check parsed once, skipped when a name it needs is
missing) and the verdicts cached per entry set, source and values give exactly what evaluating every seeded
entry one by one gives, on the built-in kernels and on variants that break each seeded constraint."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.knowledge_client import CampaignKnowledge
from knowledge.base import KnowledgeBase
from knowledge.checks import MAX_SOURCE_CHARS, evaluate, run_checks
from knowledge.model import KnowledgeError
from npu_agent.hardware import load_profile
from tests.knowledge.helpers import kernel

HW = load_profile("ascend910b2")
KERNELS = Path(__file__).resolve().parents[2] / "tasks" / "kernels"


def _sources() -> list[tuple[str, dict]]:
    """Real kernels (every built-in one), the helper's kernel broken in each seeded way, and tiling values."""
    out: list[tuple[str, dict]] = [(p.read_text(encoding="utf-8"), {}) for p in sorted(KERNELS.rglob("*.cpp"))]
    bf16 = kernel(tile=512).replace("LocalTensor<half>", "LocalTensor<bfloat16_t>")
    out += [(kernel(tile=4096), {}), (kernel(tile=40000), {}), (kernel(tile=4001), {}),
            (kernel(buffer_num=9, tile=512), {}), (kernel(tile=512), {"REPEAT_TIMES": 300}),
            (kernel(tile=512), {"TILE_LENGTH": 4001}), (bf16, {}), (kernel(tile=512), {"BUFFER_NUM": "x"})]
    return out


def _reference(entries: list, source: str, values: dict) -> list[tuple[str, str]]:
    """The plain path: every entry's check evaluated on its own."""
    out = []
    for e in entries:
        fired, message = evaluate(e.check, source, values, HW)
        if fired:
            out.append((e.id, message))
    return out


def test_cached_and_fast_verdicts_equal_evaluating_every_entry(tmp_path: Path) -> None:
    kb = KnowledgeBase(tmp_path / "kb.sqlite")  # the seed pack: its executable checks are real entries
    ck = CampaignKnowledge(kb, "ascend910b2")
    entries = ck.check_entries()
    assert len(entries) >= 5
    cases = _sources()
    assert len(cases) > 20
    fired = 0
    for _round in range(2):  # a new round's view each time: the second one is served from the cache
        view = ck.for_round()
        for source, values in cases:
            want = _reference(entries, source, values)
            assert [(v.entry_id, v.message) for v in run_checks(entries, source, values, HW)] == want
            assert view.check(None, source, values) == want  # type: ignore[arg-type]
            fired += len(want)
    assert fired >= 2 * 7, "the cases must break the seeded constraints for the comparison to mean anything"
    # Verdicts are cached only where some check got past the cheap tests (a parse to save); the rest are [] at
    # once. Both kinds are among the cases.
    checks = ck._check_sets[view._version]
    slow = sum(checks.may_fire(source, values) for source, values in cases)
    assert 0 < slow < len(cases)
    assert ck.check_runs == slow and ck.check_hits == slow


def test_a_changed_entry_makes_a_new_entry_set_and_a_fresh_verdict(tmp_path: Path, monkeypatch) -> None:
    from controller import knowledge_client

    monkeypatch.setattr(knowledge_client, "CHECK_ENTRIES_TTL_S", 0.0)  # every round fetches the entries again
    kb = KnowledgeBase(tmp_path / "kb.sqlite")
    ck = CampaignKnowledge(kb, "ascend910b2")
    src = kernel(tile=40000)
    assert [e for e, _ in ck.for_round().check(None, src, {})] == ["seed-ascend910b2-ub-capacity"]  # type: ignore[arg-type]
    kb.delete("seed-ascend910b2-ub-capacity", "testing")
    assert ck.for_round().check(None, src, {}) == []  # type: ignore[arg-type]
    assert ck.check_hits == 0 and ck.check_runs == 2


def test_a_source_too_long_to_check_is_refused_on_the_fast_path_too(tmp_path: Path) -> None:
    ck = CampaignKnowledge(KnowledgeBase(tmp_path / "kb.sqlite"), "ascend910b2")
    with pytest.raises(KnowledgeError, match="longer than"):
        ck.for_round().check(None, "x" * (MAX_SOURCE_CHARS + 1), {})  # type: ignore[arg-type]
