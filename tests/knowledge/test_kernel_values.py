"""Run-time buffer sizes known before evaluation (knowledge/kernel_values.py) make the UB-capacity check
determined on the vector baselines, and a check never guesses what the kernel computes per core or per branch."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import transforms
from knowledge.checks import CheckSet, SourceFacts, evaluate
from knowledge.kernel_values import kernel_values, task_values
from knowledge.seed import load_pack
from npu_agent.hardware import load_profile
from tasks import catalogue

HW = load_profile("ascend910b2")
ROOT = Path(__file__).resolve().parents[2]


def _baseline(name: str) -> str:
    return (ROOT / "tasks" / "kernels" / name / "baseline.cpp").read_text()


def _ub_check() -> dict:
    return next(e for e in load_pack() if e.id == "seed-ascend910b2-ub-capacity").check


def test_host_tiling_and_init_give_the_row_length_the_buffers_are_sized_from() -> None:
    src = _baseline("row_sum_fp32")
    v = kernel_values(src, [[8192, 2000]], HW)
    # tiling: cols = last dim, rows = the rest, per = ceil(rows / min(48 AIV cores, BLOCK_DIM));
    # Init: padded = cols rounded up to 32 B of float.
    assert v["cols"] == 2000 and v["rows"] == 8192 and v["perCore"] == -(-8192 // 48) and v["padded"] == 2000
    assert kernel_values(src, [[8192, 2001]], HW)["padded"] == 2008
    # Without the check values the UB total is undetermined; with them it is the kernel's real total.
    assert evaluate(_ub_check(), src, {}, HW)[0] is None
    assert evaluate(_ub_check(), src, v, HW) == (False, "")
    assert "start" not in v and "myRows" not in v  # they depend on the block index: never guessed


def test_core_count_comes_from_the_profile_and_a_missing_one_leaves_it_unknown() -> None:
    src = _baseline("transpose_fp16")
    assert kernel_values(src, [[2048, 2048]], HW)["perCore"] == 2048 // 48 + 1
    v = kernel_values(src, [[2048, 2048]], None)
    assert "perCore" not in v and v["padded"] == 2048


def test_double_buffering_a_wide_transpose_is_caught_before_dispatch() -> None:
    src = transforms.apply(_baseline("transpose_fp16"), "queue_depth", {"depth": 2})
    spec = catalogue.get_task("transpose_fp16").spec  # 4096 x 4096: 2 x (8 KB + 128 KB) per core
    checks = CheckSet(load_pack(), HW)
    assert not checks.run(src, {})
    fired = checks.run(src, task_values(src, spec, HW))
    assert [v.entry_id for v in fired] == ["seed-ascend910b2-ub-capacity"], fired
    assert "278528" in fired[0].message


_KERNEL = """
#include "kernel_operator.h"
using namespace AscendC;
using T = half;
constexpr int32_t BUFFER_NUM = 2;
namespace optiling {
static ge::graphStatus TilingFunc(gert::TilingContext* context)
{
    const gert::Shape& shape = context->GetInputShape(0)->GetOriginShape();
    uint32_t cols = static_cast<uint32_t>(shape.GetDim(shape.GetDimNum() - 1));
    TilingData tiling;
    tiling.set_cols(cols);
    tiling.set_big(cols * 1000000000u);
    return ge::GRAPH_SUCCESS;
}
}
class K {
public:
    __aicore__ inline void Init(GM_ADDR x, uint32_t cols, uint32_t big)
    {
        uint32_t len = cols * sizeof(T);
        %BODY%
    }
    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> inX;
    TBuf<TPosition::VECCALC> tmp;
};
extern "C" __global__ __aicore__ void k(GM_ADDR x, GM_ADDR tiling)
{
    GET_TILING_DATA(tilingData, tiling);
    K op;
    op.Init(x, tilingData.cols, tilingData.big);
}
"""


def _kernel(body: str) -> str:
    return _KERNEL.replace("%BODY%", body)


def test_straight_line_init_is_read_up_to_its_init_buffers() -> None:
    v = kernel_values(_kernel("pipe.InitBuffer(inX, BUFFER_NUM, len);\npipe.InitBuffer(tmp, 4 * len);"), [[4, 100000]])
    assert v["len"] == 200000 and v["cols"] == 100000
    assert "big" not in v  # 1e14 does not fit the uint32 the tiling field is set from: unknown, not wrapped
    src = _kernel("pipe.InitBuffer(inX, BUFFER_NUM, len);\npipe.InitBuffer(tmp, 4 * len);")
    assert evaluate(_ub_check(), src, v, HW)[0] is True
    assert evaluate(_ub_check(), src, kernel_values(src, [[4, 1000]]), HW) == (False, "")


@pytest.mark.parametrize("body", [
    "if (cols > 8) { pipe.InitBuffer(inX, BUFFER_NUM, len); }\npipe.InitBuffer(tmp, len);",   # under a branch
    "pipe.InitBuffer(inX, BUFFER_NUM, len);\nlen = len / 2;\npipe.InitBuffer(tmp, len);",      # len changes between
    "for (int i = 0; i < 2; ++i) { len += 32; }\npipe.InitBuffer(inX, BUFFER_NUM, len);",       # assigned in a loop
    "Grow(&len);\npipe.InitBuffer(inX, BUFFER_NUM, len);",                                     # written through a pointer
    "len = len * GetBlockIdx();\npipe.InitBuffer(inX, BUFFER_NUM, len);",                       # per core
])
def test_what_the_init_may_not_compute_the_same_everywhere_is_never_guessed(body: str) -> None:
    src = _kernel(body)
    assert "len" not in kernel_values(src, [[4, 100000]])
    assert evaluate(_ub_check(), src, kernel_values(src, [[4, 100000]]), HW)[0] is None


def test_an_init_buffer_outside_the_init_gives_no_values() -> None:
    src = _kernel("pipe.InitBuffer(inX, BUFFER_NUM, len);").replace(
        "    TPipe pipe;", "    __aicore__ inline void More() { pipe.InitBuffer(tmp, 64); }\n    TPipe pipe;")
    assert kernel_values(src, [[4, 1000]]) == {}


def test_sizeof_of_a_type_alias_folds_and_a_conflicting_alias_does_not() -> None:
    src = "using T = float;\nconstexpr uint32_t TILE = 8192;\nTQue<QuePosition::VECIN, 1> q;\n" \
          "GlobalTensor<T> xGm;\npipe.InitBuffer(q, 8, TILE * sizeof(T));\n"
    assert evaluate(_ub_check(), src, {}, HW)[0] is True          # 8 x 32 KB
    assert SourceFacts.parse(src).type_sizes == {"T": 4}
    assert evaluate(_ub_check(), src.replace("8, TILE", "2, TILE"), {}, HW) == (False, "")
    assert evaluate(_ub_check(), "using T = half;\n" + src, {}, HW)[0] is None


def test_values_never_override_the_source_constants() -> None:
    src = _baseline("add_fp16_8192x8192")
    v = kernel_values(src, [[4096, 4096], [4096, 4096]], HW)
    assert "TILE" not in v and "BUFFER_NUM" not in v and v["total"] == 4096 * 4096

# The twin's ground truth for these checks (both sides of the UB limit) is in test_transforms_vector.py, which
# shares its module's twin build.


def test_no_check_fires_on_a_transformed_baseline_the_twin_passes() -> None:
    """test_transforms_vector.py runs each of these (double-buffered, a tile step up, a core step down, L2 bypass)
    on the twin at the task's reduced dims and requires it to pass: a check must not reject any of them."""
    from tests.knowledge.test_transforms_vector import VECTOR_TASKS, _transformed

    checks = CheckSet(load_pack(), HW)
    determined = 0
    for name in VECTOR_TASKS:
        source, _ = _transformed(name)
        spec = catalogue.get_task(name).reduced().spec
        values = task_values(source, spec, HW)
        assert not checks.run(source, values), (name, list(spec.inputs[0].shape), values)
        determined += evaluate(_ub_check(), source, values, HW)[0] is not None
    # Decided, not skipped, on every one. (At full size some do overflow: layernorm_fp32's, double-buffered with
    # 2 rows of 4096 floats per copy, needs 213056 B; the twin stops it at its last InitBuffer, UB_OUT_OF_BOUNDS.)
    assert determined == len(VECTOR_TASKS)


def test_a_tiling_field_set_under_a_branch_is_not_known() -> None:
    src = _kernel("pipe.InitBuffer(inX, BUFFER_NUM, len);").replace(
        "    tiling.set_big(", "    if (cols > 1000) { tiling.set_cols(cols / 2); }\n    tiling.set_big(")
    v = kernel_values(src, [[4, 100000]])
    assert "cols" not in v and "len" not in v, v
    assert kernel_values(src.replace("if (cols > 1000) {", "{"), [[4, 100000]]) == {}  # a bare scope: the same


def test_run_time_values_asked_lazily_decide_as_values_given_up_front() -> None:
    """Proposers hand the checks `task_values` as a callable (most candidates never get past the cheap tests, so
    the host tiling is not evaluated for them); the verdicts must be those of the values given up front, which
    holds because every run-time name is spelled in the source the cheap tests look at."""
    from tests.knowledge.test_transforms_vector import VECTOR_TASKS, _transformed

    checks = CheckSet(load_pack(), HW)
    cases = [(name, _transformed(name)[0]) for name in VECTOR_TASKS]
    cases += [(t.name, t.baseline.read_text()) for t in catalogue.all_tasks() if t.baseline]
    cases.append(("transpose_fp16", transforms.apply(_baseline("transpose_fp16"), "queue_depth", {"depth": 2})))
    asked, fired = 0, 0
    for name, source in cases:
        spec = catalogue.get_task(name).spec
        values = task_values(source, spec, HW)
        assert all(k in source for k in values), (name, [k for k in values if k not in source])
        calls: list[int] = []

        def runtime(source: str = source, spec=spec, calls: list[int] = calls) -> dict:
            calls.append(1)
            return task_values(source, spec, HW)

        eager = [(v.entry_id, v.message) for v in checks.run(source, values)]
        lazy = [(v.entry_id, v.message) for v in checks.run(source, {}, runtime)]
        assert lazy == eager, name
        asked += bool(calls)
        fired += bool(eager)
    assert asked and fired, "the cases must exercise the run-time values and a violation"
