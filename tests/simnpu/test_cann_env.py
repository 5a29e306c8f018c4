"""What a CANN build provides around the kernel API (docs/kernel-contract.md, "What a CANN build provides"):
debug interfaces, the arch macros per hardware profile, __cube__/__vector__, static-tensor programming, the
standard headers, ge::TypeUtils and the tiling-context accessors public tiling functions use."""

from __future__ import annotations

import numpy as np
import pytest

from hawk.v1 import result_pb2
from npu_agent.simnpu import Twin
from tests.simnpu.helpers import kernel_source, marked_line, run_task, task, tensor


def _debug(entry: str):
    return task(entry, [tensor("x", [64], "float32")], [tensor("y", [64], "float32")])


def test_printf_and_dump_tensor_write_the_kernel_output(twin) -> None:
    r, ins = run_task(twin, kernel_source("cann_debug.cpp"), _debug("debug_print"))
    assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"
    np.testing.assert_array_equal(r.outputs["y"], ins["x"])
    assert "[AIV Block 0/1] value 42 half 1.500000" in r.log_tail
    assert "[AIV Block 0/1] tag abc" in r.log_tail
    assert "DumpTensor: desc=5, addr=0, data_type=float32, position=UB, dump_size=4" in r.log_tail
    assert "[" + ", ".join(f"{v:f}" for v in ins["x"][:4]) + "]" in r.log_tail


def test_passing_asserts_and_the_compiled_out_assert_macro_do_not_stop_the_kernel(twin) -> None:
    r, ins = run_task(twin, kernel_source("cann_debug.cpp"), _debug("debug_assert_pass"))
    assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"
    np.testing.assert_array_equal(r.outputs["y"], ins["x"])


@pytest.mark.parametrize("entry, marker, text", [
    ("debug_assert_fmt", "FAIL_FMT", "Assertion `tileNum != 10' The tileNum value is 10."),
    ("debug_assert_plain", "FAIL_PLAIN", "Assertion `GetBlockNum() > 4 && \"block dim too small!\"'"),
])
def test_a_failing_assert_ends_the_run_naming_the_kernel_line(twin, entry: str, marker: str, text: str) -> None:
    source = kernel_source("cann_debug.cpp")
    r, _ = run_task(twin, source, _debug(entry))
    assert r.status == result_pb2.RUNTIME_ERROR, r.message
    assert f"[ASSERT] kernel.cpp:{marked_line(source, marker)}: {text}" in r.message
    assert "block 0 of 1" in r.message
    assert "[ASSERT]" in r.log_tail  # printed as the device prints it


def test_cube_qualifier_runs_on_aic_with_static_tensors(twin) -> None:
    spec = task("cube_static", [tensor("a", [16, 32], "int8"), tensor("bt", [16, 32], "int8")],
                [tensor("c", [16, 16], "int32")])
    rng = np.random.default_rng(3)
    inputs = {"a": rng.integers(-128, 128, (16, 32)).astype(np.int8),
              "bt": rng.integers(-128, 128, (16, 32)).astype(np.int8)}
    r, _ = run_task(twin, kernel_source("cann_cube_static.cpp"), spec, inputs=inputs)
    assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"
    assert "on AIC cores" in r.message
    np.testing.assert_array_equal(r.outputs["c"], inputs["a"].astype(np.int32) @ inputs["bt"].astype(np.int32).T)


def _vector_static(twin: Twin):
    spec = task("vector_static", [tensor("x", [256]), tensor("y", [256])],
                [tensor("z", [256]), tensor("info", [8], "int32")])
    r, ins = run_task(twin, kernel_source("cann_vector_static.cpp"), spec)
    assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"
    np.testing.assert_array_equal(r.outputs["z"], ins["x"] + ins["y"])
    return r


def test_vector_kernel_tik2_allocator_utilities_and_arch_macros(twin) -> None:
    r = _vector_static(twin)
    assert "on AIV cores" in r.message
    info = r.outputs["info"]
    assert list(info[:2]) == [2201, 220]                 # __NPU_ARCH__, __CCE_AICORE__ of ascend910b2
    assert list(info[2:4]) == [512, 1024]                # LocalMemAllocator: back to back from 0, no padding
    assert info[4] == 32 + 1024                          # DivCeil(1000, 32) + AlignUp(1000, 32)
    assert info[5] == 1                                  # float32_t is float, int4b_t is its own type
    assert info[6] == 4                                  # max(Ceil(7, 2), CeilDivision(9, 4))
    assert info[7] == 1                                  # no TPipe: GetTPipePtr() is null


def test_arch_macros_follow_the_hardware_profile(twin_root) -> None:
    # Same work root: the runtime object is shared, the precompiled header is per arch.
    r = _vector_static(Twin("ascend310p", work_root=twin_root))
    assert list(r.outputs["info"][:2]) == [2002, 200]


def test_tiling_context_accessors_and_standard_cpp_tiling_struct(twin) -> None:
    spec = task("cann_env", [tensor("x", [8, 32], "float32"), tensor("axis", [2], "int32")],
                [tensor("y", [8, 32], "float32"), tensor("info", [16], "int32")])
    spec.attributes.update({"alpha": "2.5", "axes": "[3, 4, 5]", "mode": "sum", "n": "7"})
    rng = np.random.default_rng(4)
    inputs = {"x": rng.uniform(-1, 1, (8, 32)).astype(np.float32), "axis": np.array([1, 6], np.int32)}
    r, _ = run_task(twin, kernel_source("cann_tiling_context.cpp"), spec, inputs=inputs)
    assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"
    np.testing.assert_array_equal(r.outputs["y"], inputs["x"] * np.float32(2.5))
    assert r.stats["block_dim"] == 2
    assert list(r.outputs["info"]) == [
        7,        # GetAttrPointer<int32_t> of an int attribute
        3, 5,     # GetListInt: size, element 2
        1,        # GetAttrPointer<char>
        6,        # GetInputTensor(1)->GetData<int32_t>()[1]: the axis tensor's value
        1,        # GetOptionalInputTensor of an absent input is null
        1,        # GetOriginFormat / GetStorageFormat: ND
        0,        # GetDeterministic
        22,       # GetComputeNodeInfo: 2 inputs, 2 outputs
        4,        # ge::GetSizeByDataType(DT_FLOAT)
        1,        # TypeUtils::DataTypeToSerialString(DT_INT32)
        2,        # TypeUtils::GetDataTypeLength(DT_FLOAT16)
        192,      # fe::PlatFormInfos::GetLocalMemSize(UB) in KiB
        7,        # std::vector, std::map, std::string, std::accumulate without their headers
        1,        # GetCompileInfo: zero bytes
        2,        # SetSimdNumBlocks / GetSimdNumBlocks
    ]
