"""The raw CCE intrinsics layer (include/hawk/cce.h) against numpy expectations of the documented semantics of the
Ascend C APIs they underlie: vector intrinsics under the mask register (normal and counter mode), vconv, vcmpv,
vcgadd, the accumulating vcadd with get_acc_val / GetReduceRepeatSumSpr, copy_* (DataCopy); vtranspose and
scatter_vnchwconv_b16/b32 over the VA registers (Transpose, TransDataTo5HD with its repeatTimes-1 offset);
GatherMask (built-in and user patterns, counter mode, rsvdCnt) and vreducev2; PopStackBuffer with CANN's
DuplicateImpl / DataCopyUB2GMImpl; intrinsics the twin does not model compile and end with UNSUPPORTED_API; the aclnn
op-dev host headers of an op project's L0 code, and CANN in-place OpDef outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hawk.v1 import result_pb2 as S
from npu_agent import taskspec
from npu_agent.candidate import Candidate
from npu_agent.hardware import load_profile
from npu_agent.taskspec import load_task_file
from tests.simnpu.helpers import kernel_source, marked_line, run_task, task, tensor

PROJECTS = Path(__file__).resolve().parent / "projects"
ROW_SUM = PROJECTS / "row_sum"

N = 256
SOURCE = "cce_intrinsics.cpp"


@pytest.fixture(scope="module")
def vec(twin):
    ins = [tensor("a", [N], "float32"), tensor("b", [N], "float32"), tensor("h", [N], "float16"),
           tensor("s1", [N], "int16"), tensor("s2", [N], "int16")]
    outs = [tensor("add", [N], "float32"), tensor("exph", [N], "float16"), tensor("muls", [N], "float32"),
            tensor("conv", [N], "float16"), tensor("cmp", [32], "uint8"), tensor("cnt", [N], "float32"),
            tensor("orr", [N], "int16"), tensor("bsum", [32], "float32"), tensor("acc", [8], "float32")]
    rng = np.random.default_rng(3)
    inputs = {"a": rng.uniform(-4, 4, N).astype(np.float32), "b": rng.uniform(-4, 4, N).astype(np.float32),
              "h": rng.uniform(-2, 2, N).astype(np.float16),
              "s1": rng.integers(-32768, 32768, N).astype(np.int16),
              "s2": rng.integers(-32768, 32768, N).astype(np.int16)}
    r, ins = run_task(twin, kernel_source(SOURCE), task("cce_vector", ins, outs), inputs=inputs)
    assert r.status == S.OK, f"{r.message}\n{r.log_tail}"
    return r.outputs, ins


def test_vector_intrinsics_run_under_the_mask_register(vec) -> None:
    o, i = vec
    a, b, h = i["a"], i["b"], i["h"]
    np.testing.assert_array_equal(o["add"], a + b)
    want = np.zeros(N, np.float16)
    lanes = (np.arange(N) % 128) < 8  # set_vector_mask(0, 0xFF): 8 elements of each 128-element repeat
    want[lanes] = np.exp(h[lanes].astype(np.float32)).astype(np.float16)
    np.testing.assert_allclose(o["exph"].astype(np.float32), want.astype(np.float32), rtol=1e-3)
    assert np.all(o["exph"][~lanes] == 0)
    np.testing.assert_array_equal(o["muls"], a * np.float32(3))
    np.testing.assert_array_equal(o["conv"], a.astype(np.float16))  # vconv_f322f16r: round to nearest even
    np.testing.assert_array_equal(o["cmp"], np.packbits(a < b, bitorder="little"))
    cnt = np.full(N, -1, np.float32)
    cnt[:100] = a[:100] + np.float32(1)  # counter mode: the register's 100 elements
    np.testing.assert_array_equal(o["cnt"], cnt)
    np.testing.assert_array_equal(o["orr"], i["s1"] | i["s2"])
    np.testing.assert_allclose(o["bsum"], a.reshape(32, 8).sum(axis=1), rtol=1e-6, atol=1e-6)


def test_accumulating_vcadd_and_reduce_sum_fill_the_acc_register(vec) -> None:
    o, i = vec
    a = i["a"].astype(np.float64)
    np.testing.assert_allclose(o["acc"][0], a.sum(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(o["acc"][1], a[:100].sum(), rtol=1e-5, atol=1e-5)


def test_vtranspose_and_scatter_vnchwconv(twin) -> None:
    ins = [tensor("s", [512], "int16"), tensor("f", [N], "float32")]
    outs = [tensor("t16", [N], "int16"), tensor("nchw16", [512], "int16"), tensor("nchw32", [N], "float32"),
            tensor("api1", [N], "int16")]
    rng = np.random.default_rng(5)
    inputs = {"s": rng.integers(-30000, 30000, 512).astype(np.int16), "f": rng.uniform(-1, 1, N).astype(np.float32)}
    r, i = run_task(twin, kernel_source(SOURCE), task("cce_transpose", ins, outs), inputs=inputs)
    assert r.status == S.OK, f"{r.message}\n{r.log_tail}"
    s, f = i["s"], i["f"]
    np.testing.assert_array_equal(r.outputs["t16"], s[:256].reshape(16, 16).T.ravel())
    np.testing.assert_array_equal(r.outputs["nchw16"], s.reshape(16, 32).T.ravel())
    np.testing.assert_array_equal(r.outputs["nchw32"], f.reshape(16, 16).T.ravel())
    # repeatTimes 1 with srcRepStride 16: the source list is read 16 blocks in (TransDataTo5HD.md)
    np.testing.assert_array_equal(r.outputs["api1"], s[256:].reshape(16, 16).T.ravel())


def test_gather_mask_patterns_and_counts(twin) -> None:
    ins = [tensor("h", [N], "float16"), tensor("f", [128], "float32"), tensor("pat", [8], "int32")]
    outs = [tensor("odd", [128], "float16"), tensor("even", [64], "float32"), tensor("user", [128], "float32"),
            tensor("fourth", [32], "float32"), tensor("counts", [8], "int32")]
    rng = np.random.default_rng(9)
    pat = np.zeros(8, np.int32)
    pat[0] = np.int32(np.uint32(0x9999_9999).view(np.int32))  # 1001...: the first and fourth of every four
    pat[1] = 0xA5  # bits 32..39
    inputs = {"h": rng.uniform(-1, 1, N).astype(np.float16), "f": rng.uniform(-1, 1, 128).astype(np.float32),
              "pat": pat}
    r, i = run_task(twin, kernel_source(SOURCE), task("gather_mask", ins, outs), inputs=inputs)
    assert r.status == S.OK, f"{r.message}\n{r.log_tail}"
    h, f, o = i["h"], i["f"], r.outputs
    np.testing.assert_array_equal(o["odd"], h[1::2])
    np.testing.assert_array_equal(o["even"], f[0::2])
    bits = np.unpackbits(pat.view(np.uint8), bitorder="little")[:40].astype(bool)
    kept = np.concatenate([f[64 * rep:64 * rep + 40][bits] for rep in range(2)])
    want = np.zeros(128, np.float32)
    want[:kept.size] = kept
    np.testing.assert_array_equal(o["user"], want)
    np.testing.assert_array_equal(o["fourth"], f[0::4])
    np.testing.assert_array_equal(o["counts"][:5], [128, 64, kept.size, 32, 32])


def test_pop_stack_buffer_and_cann_impl_helpers(twin) -> None:
    r, _ = run_task(twin, kernel_source(SOURCE), task("impl_helpers", [tensor("x", [64], "float32")],
                                                      [tensor("y", [64], "float32"), tensor("info", [8], "int32")]))
    assert r.status == S.OK, f"{r.message}\n{r.log_tail}"
    np.testing.assert_array_equal(r.outputs["y"], np.full(64, 2.5, np.float32))
    ok, addr, size = r.outputs["info"][:3]
    assert ok == 1 and addr == 1024  # right after the TPipe's 1000-byte buffer, 32-byte aligned
    ub = load_profile("ascend910b2")["memory"]["ub_bytes"]  # a vector-only kernel may use the whole UB
    assert addr + size * 4 == ub


@pytest.mark.parametrize("entry, name, marker", [
    ("cce_unmodelled", "vgather", "UNMODELLED_LINE"),
    ("cce_other_form", "vadd (this argument form)", "OTHER_FORM_LINE"),
    ("cce_unmodelled_cube", "get_status", None),
])
def test_unmodelled_intrinsics_compile_and_fail_as_unsupported_api(twin, entry: str, name: str,
                                                                   marker: str | None) -> None:
    source = kernel_source(SOURCE)
    r, _ = run_task(twin, source, task(entry, [tensor("x", [8], "float32")], [tensor("y", [8], "float32")]))
    assert r.status == S.HARDWARE_EXCEPTION, f"{r.message}\n{r.log_tail}"
    assert r.exception.kind == "UNSUPPORTED_API", r.exception.message
    assert f"{name} is a CCE intrinsic" in r.exception.message, r.exception.message
    if marker:  # a variadic stub has no line argument: it names the last API call's line
        assert r.exception.source_line == marked_line(source, marker)


L0_CPP = """// The aclnn L0 side of an op project (op_host/<op>_l0.cpp), CANN's op-dev API.
#include "level0/geglu_v2.h"
#include "opdev/make_op_executor.h"
#include "opdev/op_dfx.h"
#include "opdev/op_log.h"
#include "opdev/shape_utils.h"
#include "opdev/data_type_utils.h"
#include "opdev/format_utils.h"
#include "opdev/op_def.h"
#include "aclnn/opdev/op_log.h"
#include "experiment/metadef/common/util/error_manager/error_manager.h"

using namespace op;

namespace l0op {
OP_TYPE_REGISTER(RowSum);

const aclTensor* RowSum(const aclTensor* self, aclOpExecutor* executor) {
    L0_DFX(RowSum, self);
    op::Shape outShape = self->GetViewShape();
    outShape.SetDimNum(1);
    auto out = executor->AllocTensor(outShape, self->GetDataType(), Format::FORMAT_ND);
    if (out == nullptr) {
        OP_LOGE(ACLNN_ERR_INNER_NULLPTR, "alloc out tensor failed.");
        ErrorManager::GetInstance().ReportErrMessage("E89999", {{"op", "RowSum"}});
        return nullptr;
    }
    auto ret = ADD_TO_LAUNCHER_LIST_AICORE(RowSum, OP_INPUT(self), OP_OUTPUT(out), OP_ATTR(1));
    return ret == ACLNN_SUCCESS && IsFloatingType(out->GetDataType()) ? out : nullptr;
}
}  // namespace l0op
"""


def test_op_project_with_aclnn_l0_host_code_and_an_in_place_output(twin) -> None:
    """An op_host/*_l0.cpp on the aclnn op-dev headers compiles and links (the twin never runs it), and an OpDef
    output named like an input (a CANN in-place output) matches the task's output of another name."""
    spec = next(d.spec for d in load_task_file(PROJECTS / "projects.toml") if d.name == "glue_row_sum")
    files = dict(Candidate.from_path(ROW_SUM).files)
    files["op_host/row_sum_l0.cpp"] = L0_CPP
    files["op_host/row_sum_def.cpp"] = files["op_host/row_sum_def.cpp"].replace('this->Output("y")',
                                                                              'this->Output("x")')
    built = twin.compile(Candidate.from_files(files), spec.kernel_entry, task=spec)
    assert built.ok, f"{built.message}\n{built.log_tail}"
    inputs = taskspec.generate_inputs(spec, 5)
    r = twin.run(built.binary, spec, inputs)
    assert r.status == S.OK, f"{r.message}\n{r.log_tail}"
    np.testing.assert_allclose(r.outputs["y"], inputs["x"].sum(axis=1), rtol=1e-5, atol=1e-5)
