"""The timing-only run (docs/cycle-model.md): every Ascend C call runs its checks and is recorded exactly as in a
functional run, but nothing is computed or moved; GM is zero-filled and no outputs come back. Every run reports
the kernel's first scalar read of task data (data_dependent), since a timing-only run of a kernel whose control
flow depends on the data is not trusted. Real g++ builds and sandboxed runs throughout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hawk.v1 import result_pb2
from npu_agent import taskspec
from npu_agent.simnpu.timing import simulate
from npu_agent.taskspec import load_task_file
from tests.simnpu.helpers import EXAMPLE_TASKS, EXAMPLES, build, kernel_source, marked_line, task, tensor
from tests.simnpu.test_checker import CASES, fault_task

S = result_pb2


@pytest.fixture(scope="module")
def example_tasks():
    return {t.name: t.spec for t in load_task_file(EXAMPLE_TASKS)}


def _both(twin, binary, spec, tmp_path: Path, inputs=None):
    ins = inputs if inputs is not None else taskspec.generate_inputs(spec, 11)
    f = twin.run(binary, spec, ins, record_to=tmp_path / "functional.bin")
    t = twin.run(binary, spec, {}, timing_only=True, record_to=tmp_path / "timing.bin")
    return f, t


@pytest.mark.parametrize("name,kernel", [("example_add_fp16", "add_custom.cpp"),
                                         ("example_matmul_fp16", "matmul_custom.cpp"),
                                         ("example_softmax_fp16", "softmax_custom.cpp"),
                                         ("example_layernorm_fp32", "layernorm_custom.cpp")])
def test_timing_only_records_what_the_functional_run_records(twin, example_tasks, tmp_path, name, kernel) -> None:
    spec = example_tasks[name]
    binary = build(twin, (EXAMPLES / kernel).read_text(), spec.kernel_entry)
    f, t = _both(twin, binary, spec, tmp_path)
    assert f.ok and t.ok, f"{f.message} / {t.message}"
    assert not f.timing_only and t.timing_only
    assert f.outputs and t.outputs == {}
    assert f.record is not None and t.record is not None
    assert len(f.record) == len(t.record) > 0
    assert np.array_equal(f.record.entries, t.record.entries)
    hw = twin.hardware
    assert simulate(f.record, hw).total_cycles == simulate(t.record, hw).total_cycles
    assert f.stats["bytes_moved"] == t.stats["bytes_moved"] and f.stats["api_calls"] == t.stats["api_calls"]
    # Softmax and layernorm read row statistics back as scalars (operands, not control flow, but the twin cannot
    # tell): the first such read is reported, in both runs.
    lines = [i + 1 for i, text in enumerate((EXAMPLES / kernel).read_text().splitlines()) if ".GetValue(" in text]
    reads = f"GetValue of a UB LocalTensor at line {lines[0]}" if lines else ""
    assert f.data_dependent == t.data_dependent == reads
    assert t.stats["timing_only"] is True and f.stats["timing_only"] is False


def test_a_ub_getvalue_makes_a_run_data_dependent(twin, tmp_path) -> None:
    """In a timing-only run the value read is whatever UB held (nothing was copied in), so the branch it steers
    may go either way: the run is flagged, with the line of the read."""
    spec = task("dd_kernel", [tensor("x", [256], "float32")], [tensor("z", [256], "float32")])
    source = kernel_source("data_dep_getvalue.cpp")
    binary = build(twin, source, "dd_kernel")
    x = np.abs(taskspec.generate_inputs(spec, 3)["x"]) + 1
    f, t = _both(twin, binary, spec, tmp_path, {"x": x.astype(np.float32)})
    assert f.ok and t.ok, f"{f.message} / {t.message}"
    np.testing.assert_allclose(f.outputs["z"], x * x[0], rtol=1e-6)
    line = marked_line(source, "// READ")
    want = f"GetValue of a UB LocalTensor at line {line}"
    assert f.data_dependent == want and t.data_dependent == want


def test_raw_gm_and_global_tensor_reads_are_data_dependent(twin, tmp_path) -> None:
    spec = task("scale_kernel", [tensor("x", [256], "float32"), tensor("s", [8], "float32")],
                [tensor("z", [256], "float32")])
    binary = build(twin, kernel_source("raw_scalar_read.cpp"), "scale_kernel")
    f, t = _both(twin, binary, spec, tmp_path)
    assert f.ok and t.ok, f"{f.message} / {t.message}"
    assert f.data_dependent.startswith("a raw read of GM through a pointer"), f.data_dependent
    assert t.data_dependent == f.data_dependent


GM_GETVALUE = """
#include "kernel_operator.h"
using namespace AscendC;
extern "C" __global__ __aicore__ void gv_kernel(GM_ADDR x, GM_ADDR z)
{
    GlobalTensor<int32_t> xGm, zGm;
    xGm.SetGlobalBuffer((__gm__ int32_t *)x, 64);
    zGm.SetGlobalBuffer((__gm__ int32_t *)z, 64);
    for (int i = 0; i < 64; ++i) zGm.SetValue(i, i + 1);
    int32_t v = xGm.GetValue(5);  // READ
    zGm.SetValue(0, v);
}
"""


def test_setvalue_is_not_a_data_read_but_a_gm_getvalue_is(twin, tmp_path) -> None:
    spec = task("gv_kernel", [tensor("x", [64], "int32")], [tensor("z", [64], "int32")])
    no_read = GM_GETVALUE.replace("    int32_t v = xGm.GetValue(5);  // READ\n    zGm.SetValue(0, v);\n", "")
    f, t = _both(twin, build(twin, no_read, "gv_kernel"), spec, tmp_path)
    assert f.ok and t.ok, f"{f.message} / {t.message}"
    assert f.data_dependent == "" and t.data_dependent == ""
    np.testing.assert_array_equal(f.outputs["z"], np.arange(64, dtype=np.int32) + 1)
    f, t = _both(twin, build(twin, GM_GETVALUE, "gv_kernel"), spec, tmp_path)
    assert f.ok and t.ok, f"{f.message} / {t.message}"
    line = marked_line(GM_GETVALUE, "// READ")
    assert f.data_dependent == f"GetValue of GlobalTensor data (x) at line {line}", f.data_dependent
    assert t.data_dependent == f.data_dependent
    assert f.stats["data_reads"] == 1


@pytest.mark.parametrize("kernel", sorted(CASES))
def test_a_fault_is_the_same_fault_in_a_timing_only_run(twin, tmp_path, kernel: str) -> None:
    source = kernel_source(kernel)
    spec = fault_task(block_dim=4)
    binary = build(twin, source, spec.kernel_entry)
    f, t = _both(twin, binary, spec, tmp_path)
    assert f.status == t.status == S.HARDWARE_EXCEPTION, f"{f.message} / {t.message}"
    fe, te = f.exception, t.exception
    assert (fe.kind, fe.code, fe.api, fe.source_line, fe.block_id, fe.core_type, fe.message) == \
        (te.kind, te.code, te.api, te.source_line, te.block_id, te.core_type, te.message)
    assert t.outputs == {}


def test_a_timing_only_run_needs_no_inputs_but_takes_them_when_given(twin, example_tasks, tmp_path) -> None:
    spec = example_tasks["example_add_fp16"]
    binary = build(twin, (EXAMPLES / "add_custom.cpp").read_text(), spec.kernel_entry)
    ins = taskspec.generate_inputs(spec, 5)
    t = twin.run(binary, spec, ins, timing_only=True)
    assert t.ok and t.outputs == {} and t.record is not None, t.message
    with pytest.raises(ValueError, match="missing"):
        twin.run(binary, spec, {})


# ------------------------------------------------------------------ the fast paths compute what the loops compute
def _edgy(rng: np.random.Generator, n: int, dtype) -> np.ndarray:
    """Random values of every magnitude plus the cases rounding and IEEE rules care about."""
    info = np.finfo(dtype)
    x = (rng.standard_normal(n) * np.exp2(rng.integers(-30, 30, n))).astype(np.float64)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, float(info.tiny) / 4, -float(info.tiny) / 3,
                        float(info.max), -float(info.max), 1.0, -1.0, 0.3], np.float64)
    x[rng.choice(n, 200, replace=False)] = rng.choice(special, 200)
    with np.errstate(over="ignore"):
        return x.astype(dtype)


def _run_both(twin, binary, spec, ins, tmp_path, baseline_isa: bool = False):
    """The fast paths (in their AVX2 build where the CPU has it, or their baseline build) and the generic loops."""
    from npu_agent.simnpu.runner import run_binary
    runs = [run_binary(binary, spec, ins, hardware=twin.hardware, sandbox=twin.sandbox, generic_math=g,
                       baseline_isa=baseline_isa, record_to=tmp_path / f"g{int(g)}.bin") for g in (False, True)]
    for r in runs:
        assert r.ok, f"{r.message}\n{r.log_tail}"
    assert np.array_equal(runs[0].record.entries, runs[1].record.entries)
    return runs


@pytest.mark.parametrize("values,isa", [("specials", "native"), ("dense", "native"), ("specials", "baseline"),
                                        ("dense", "baseline")])
def test_vector_fast_paths_are_bit_exact(twin, tmp_path, values, isa) -> None:
    n, ops = 1024, 23
    spec = task("fast_paths", [tensor("x", [n], "float32"), tensor("y", [n], "float32"), tensor("xh", [n]),
                               tensor("yh", [n])],
                [tensor("z", [ops * n], "float32"), tensor("zh", [ops * n]), tensor("cf", [n], "float32"),
                 tensor("ch", [n]), tensor("cb", [n], "bfloat16"), tensor("cfb", [n], "float32")])
    rng = np.random.default_rng(12)
    ins = {"x": _edgy(rng, n, np.float32), "y": _edgy(rng, n, np.float32), "xh": _edgy(rng, n, np.float16),
           "yh": _edgy(rng, n, np.float16)}
    if values == "dense":  # finite values of similar magnitude: the sums and reductions round, not saturate
        ins = {k: (rng.standard_normal(n) * 3 + 0.5).astype(v.dtype) for k, v in ins.items()}
    fast, generic = _run_both(twin, build(twin, kernel_source("fast_paths.cpp"), "fast_paths"), spec, ins, tmp_path,
                              baseline_isa=isa == "baseline")
    for name in ("z", "zh", "cf", "ch", "cb", "cfb"):
        a, b = fast.outputs[name], generic.outputs[name]
        bits = np.uint32 if a.dtype == np.float32 else np.uint16
        # Same bits, but a NaN's sign and payload (which operand x86 propagates is the compiler's choice).
        nan = (np.isnan(a) & np.isnan(b)) if a.dtype.kind == "f" else np.zeros(a.shape, bool)
        same = (a.view(bits) == b.view(bits)) | nan
        assert same.all(), f"{name}: {np.count_nonzero(~same)} elements differ, first at {np.flatnonzero(~same)[:5]}"
    # The kernel computed something: Add's count form left the last 5 elements at 0 and the rest is x + y.
    z = fast.outputs["z"].reshape(ops, n)
    if values == "dense":
        assert np.isfinite(z[20:, 0]).all() and np.isfinite(fast.outputs["zh"].reshape(ops, n)[20:, 0]).all()
    with np.errstate(invalid="ignore", over="ignore"):
        np.testing.assert_array_equal(z[0, :1019], ins["x"][:1019] + ins["y"][:1019])
    assert (z[0, 1019:] == 0).all()


@pytest.mark.parametrize("values,isa", [("specials", "native"), ("dense", "native"), ("dense", "baseline")])
def test_mmad_fast_path_is_bit_exact(twin, example_tasks, tmp_path, values, isa) -> None:
    """The example matmul (half in, float accumulate) on edgy inputs, fast path against the generic loop."""
    spec = example_tasks["example_matmul_fp16"]
    binary = build(twin, (EXAMPLES / "matmul_custom.cpp").read_text(), spec.kernel_entry)
    rng = np.random.default_rng(13)
    ins = {t.name: _edgy(rng, int(np.prod(t.shape)), np.float16).reshape(tuple(t.shape)) / 64
           for t in spec.inputs}
    if values == "dense":  # no specials: modest values, where the sums' rounding is what matters
        ins = {k: (rng.standard_normal(v.shape) * 4).astype(np.float16) for k, v in ins.items()}
    fast, generic = _run_both(twin, binary, spec, ins, tmp_path, baseline_isa=isa == "baseline")
    for name, a in fast.outputs.items():
        b = generic.outputs[name]
        # A NaN's sign and payload depend on which operand x86 propagates (the compiler's choice), not on the model.
        nan = np.isnan(a)
        assert np.array_equal(nan, np.isnan(b)), f"{name}: NaNs differ"
        assert a[~nan].tobytes() == b[~nan].tobytes(), f"{name} differs"
        assert values == "specials" or not nan.any()


def _hl_cases():
    from tests.simnpu import test_highlevel_apis as hl
    from tests.simnpu import test_highlevel_norms as hn
    rows, cols = hl.ROWS, hl.COLS
    soft = [tensor("y", [rows, cols], "float32"), tensor("max", [rows, 8], "float32"),
            tensor("sum", [rows, 8], "float32"), tensor("y2", [rows, cols], "float32")]
    return {
        "matmul": ("hl_matmul.cpp", hl._matmul_task("hl_matmul_all", False, True)),
        "softmax": ("hl_softmax.cpp", task("hl_softmax_f32", [tensor("x", [rows, cols], "float32")], soft)),
        "layernorm": ("hl_norms.cpp", hn._layernorm_task()),
        "rmsnorm": ("hl_norms.cpp", hn._rms_task("hl_rmsnorm")),
    }


@pytest.mark.parametrize("case", ["matmul", "softmax", "layernorm", "rmsnorm"])
def test_high_level_apis_record_the_same_in_a_timing_only_run(twin, tmp_path, case) -> None:
    kernel, spec = _hl_cases()[case]
    f, t = _both(twin, build(twin, kernel_source(kernel), spec.kernel_entry), spec, tmp_path)
    assert f.ok and t.ok, f"{f.message} / {t.message}"
    assert np.array_equal(f.record.entries, t.record.entries)
    assert simulate(f.record, twin.hardware).total_cycles == simulate(t.record, twin.hardware).total_cycles
