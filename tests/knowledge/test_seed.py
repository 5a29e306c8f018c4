"""The seed pack: documented, numbers from the hardware profile, idempotent, never resurrecting a deletion."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.base import KnowledgeBase
from knowledge.model import KnowledgeError
from knowledge.seed import available_packs, load_pack, seed_store


def test_the_pack_covers_the_default_soc_with_sources_and_profile_numbers() -> None:
    assert "ascend910b2" in available_packs()
    pack = {e.id: e for e in load_pack("ascend910b2")}
    required = {"ub-capacity", "datacopy-32b", "datacopypad-tail", "repeat-255", "double-buffer", "tail-core-tiling"}
    assert required <= {i.removeprefix("seed-ascend910b2-") for i in pack}
    for e in pack.values():
        assert e.origin == "seed" and e.state == "active" and e.hardware == "ascend910b2" and e.template
        assert e.provenance[0]["role"] == "documentation" and len(e.provenance[0]["source"]) > 20
        assert "{hw." not in e.rationale + e.template
    assert "196608 bytes of UB, all of it for a vector-only kernel's TPipe; a fused Cube+Vector (KERNEL_TYPE_MIX_*) kernel keeps 256 of them back" in pack["seed-ascend910b2-ub-capacity"].rationale
    assert "at most 255" in pack["seed-ascend910b2-repeat-255"].rationale
    assert "multiple of 32 bytes" in pack["seed-ascend910b2-datacopy-32b"].rationale
    assert "DataCopyPad" in pack["seed-ascend910b2-datacopypad-tail"].template
    assert pack["seed-ascend910b2-ub-capacity"].check["when"].startswith("ub_bytes_requested >")
    with pytest.raises(KnowledgeError, match="no seed pack for 'ascend310p'"):
        load_pack("ascend310p")


def test_seeding_is_idempotent_and_respects_deletions(tmp_path: Path) -> None:
    kb = KnowledgeBase(tmp_path / "k.sqlite")
    n = len(kb.entries())
    assert n == len(load_pack("ascend910b2"))
    assert seed_store(kb.store) == []
    kb.delete("seed-ascend910b2-double-buffer", "no gain on this workload")
    assert seed_store(kb.store) == []
    again = KnowledgeBase(tmp_path / "k.sqlite")
    assert len(again.entries()) == n - 1 and again.get("seed-ascend910b2-double-buffer").state == "deleted"


def test_double_buffering_is_two_buffers_and_a_corrected_transform_reaches_a_stored_entry(tmp_path: Path) -> None:
    double = "seed-ascend910b2-double-buffer"
    pack = {e.id: e for e in load_pack("ascend910b2")}
    # Two buffers per queue, not "one more": depth 3 or 4 only costs UB (and overflowed it on transpose).
    assert pack[double].transform == {"name": "queue_depth", "values": {"depth": 2}}
    assert "two tiles of every streaming queue" in pack[double].rationale and "196608 bytes" in pack[double].rationale
    kb = KnowledgeBase(tmp_path / "k.sqlite")
    kb.update(double, {"transform": {"name": "queue_depth", "values": {"depth": "up"}}}, reason="an older pack")
    assert seed_store(kb.store) == []
    assert kb.get(double).transform == pack[double].transform
    assert kb.history(double)[-1]["reason"] == "seed pack: executable transform changed from {'depth': 'up'}"
    assert seed_store(kb.store) == [] and len(kb.history(double)) == 3  # nothing more to correct


def test_a_vector_bound_kernel_has_a_seed_entry_about_the_vector_pipe() -> None:
    e = {x.id: x for x in load_pack("ascend910b2")}["seed-ascend910b2-vector-long-instructions"]
    assert e.trigger.bottleneck == "PIPE_BOUND:VECTOR" and e.kind == "optimization"
    assert "256 bytes per operand at 256 bytes per cycle" in e.rationale  # hw.limits / hw.compute
    assert "cce_costmodel_vector_compute" in e.provenance[0]["source"]
