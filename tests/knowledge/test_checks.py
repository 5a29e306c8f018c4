"""Executable checks: the predicate language, what it reads from a source, and that it cannot run Python."""

from __future__ import annotations

import pytest

from knowledge.base import KnowledgeBase
from knowledge.checks import SourceFacts, evaluate, validate_check
from knowledge.model import KnowledgeError
from npu_agent.hardware import load_profile
from tests.knowledge.helpers import kernel

HW = load_profile("ascend910b2")
UB_CHECK = {"when": "ub_bytes_requested > hw.memory.ub_bytes - hw.memory.ub_reserved_bytes",
            "message": "InitBuffer total {ub_bytes_requested} B > {hw.memory.ub_bytes} B"}


def test_source_facts_read_constants_queues_and_init_buffers() -> None:
    src = kernel(tile=4096) + "#define EXTRA_LEN (1024U * 2)\nstatic const uint32_t HALF = static_cast<uint32_t>(EXTRA_LEN) / 2;\n"
    f = SourceFacts.parse(src)
    assert f.constants["BUFFER_NUM"] == "2" and f.constants["TILE_LENGTH"] == "4096"
    assert f.constants["EXTRA_LEN"] == "(1024 * 2)" and f.constants["HALF"] == "(EXTRA_LEN) / 2"
    assert f.queue_positions == {"inQueueX": "VECIN", "inQueueY": "VECIN", "outQueueZ": "VECOUT"}
    assert f.init_buffers[0] == ("inQueueX", ["BUFFER_NUM", "TILE_LENGTH * 2"]) and f.elem_type == "half"
    fired, _ = evaluate({"when": "HALF == 1024 and elem_bytes == 2", "message": "m"}, f)
    assert fired is True


def test_ub_capacity_check_fires_only_when_the_buffers_do_not_fit() -> None:
    # 3 queues x 2 buffers x 4096 half = 48 KiB: fits; x 40000 = 480000 B: does not.
    assert evaluate(UB_CHECK, kernel(tile=4096), {}, HW) == (False, "")
    fired, msg = evaluate(UB_CHECK, kernel(tile=40000), {}, HW)
    assert fired is True and msg == "InitBuffer total 480000 B > 196608 B"
    # Rounded up to 32 B per buffer: 3 x 2 x align_up(2 x 16385, 32) = 196800 > 196608 usable (a vector-only
    # kernel has the whole UB; the 256 B reserve is for fused kernels), 3 x 2 x 2 x 16384 = 196608 fits.
    assert evaluate(UB_CHECK, kernel(tile=16385), {}, HW)[0] is True
    assert evaluate(UB_CHECK, kernel(tile=16384), {}, HW)[0] is False


def test_tiling_values_override_the_source_and_unknowns_make_it_undetermined() -> None:
    src = kernel().replace("TILE_LENGTH * sizeof(half)", "tileLength * sizeof(half)")
    fired, why = evaluate(UB_CHECK, src, {}, HW)
    assert fired is None and "tileLength is not known" in why
    assert evaluate(UB_CHECK, src, {"tileLength": 40000}, HW)[0] is True
    assert evaluate({"when": "hw.memory.ub_bytes > 0", "message": "m"}, src, {}, None) == (None, "no hardware profile given")
    assert evaluate({"when": "TILE_LENGTH / 0 > 1", "message": "m"}, src)[0] is None


def test_regex_functions_and_hardware_booleans() -> None:
    src = kernel()
    assert evaluate({"when": "count('InitBuffer') == 3 and matches('DataCopy\\\\(')", "message": "m"}, src)[0] is True
    assert evaluate({"when": "matches('DataCopyPad')", "message": "m"}, src)[0] is False
    assert evaluate({"when": "not hw.dtypes.bf16_vector_arith", "message": "m"}, src, {}, HW)[0] is True
    assert evaluate({"when": "defined('NOPE') or align_up(TILE_LENGTH + 1, 16) == 4112", "message": "m"}, src)[0]


@pytest.mark.parametrize("expr", [
    "__import__('os').system('touch /tmp/pwned')", "open('/etc/passwd')", "(1).__class__", "hw.__class__.__mro__",
    "[x for x in ()]", "TILE_LENGTH[0]", "2 ** 99999999", "lambda: 1", "eval('1')", "matches(TILE_LENGTH)",
    "matches('(')", "min(key=1)", "{'a': 1}", "x if y else z", "f'{TILE_LENGTH}'",
])
def test_anything_but_the_language_is_refused_before_it_is_stored(expr: str) -> None:
    with pytest.raises(KnowledgeError, match="check"):
        validate_check({"when": expr, "message": "m"})


def test_check_spec_shape_is_validated() -> None:
    with pytest.raises(KnowledgeError, match="'message' must be a non-empty string"):
        validate_check({"when": "1 > 0"})
    with pytest.raises(KnowledgeError, match=r"unknown field\(s\) \['code'\]"):
        validate_check({"when": "1 > 0", "message": "m", "code": "print()"})
    with pytest.raises(KnowledgeError, match="must be an object"):
        validate_check("1 > 0")


def test_seeded_checks_stop_broken_candidates_before_dispatch(kb: KnowledgeBase) -> None:
    assert kb.check(kernel(tile=4096), {}, "ascend910b2") == []
    over = kb.check(kernel(tile=40000), {}, "ascend910b2")
    assert [v.entry_id for v in over] == ["seed-ascend910b2-ub-capacity"]
    assert "480000" in over[0].message and "196608" in over[0].message
    unaligned = kb.check(kernel(tile=4001), {}, "ascend910b2")
    assert [v.entry_id for v in unaligned] == ["seed-ascend910b2-datacopy-32b"]
    assert unaligned[0].message.startswith("TILE_LENGTH 4001 x 2 B is not a multiple of 32 B")
    too_many = {v.entry_id for v in kb.check(kernel(buffer_num=9, tile=512), {}, "ascend910b2")}
    assert too_many == {"seed-ascend910b2-queue-buffer-limit", "seed-ascend910b2-double-buffer"}
    assert [v.entry_id for v in kb.check(kernel(tile=512), {"REPEAT_TIMES": 300}, "ascend910b2")] == [
        "seed-ascend910b2-repeat-255"]
    bf16 = kernel(tile=512).replace("LocalTensor<half>", "LocalTensor<bfloat16_t>")
    assert [v.entry_id for v in kb.check(bf16, {}, "ascend910b2")] == ["seed-ascend910b2-bf16-vector"]
    assert kb.check(bf16.replace("AscendC::Add(", "AscendC::Cast(zF, xLocal, CAST_NONE, 8);\nAscendC::Add("), {},
                    "ascend910b2") == []
    with pytest.raises(KnowledgeError, match="unknown hardware profile 'ascend999'"):
        kb.check(kernel(), {}, "ascend999")


def test_deleted_entries_do_not_check(kb: KnowledgeBase) -> None:
    kb.delete("seed-ascend910b2-ub-capacity", "testing")
    assert kb.check(kernel(tile=40000), {}, "ascend910b2") == []
