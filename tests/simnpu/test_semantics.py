"""Semantics that follow the public Ascend C documentation where the twin once differed (issue 12 item 4): each
test runs a small kernel of our own (kernels/) that reproduced the old behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from hawk.v1 import result_pb2, task_pb2
from npu_agent import taskspec
from tests.simnpu.helpers import build, kernel_source, marked_line, run_task, task, tensor

S = result_pb2


def _ok(r) -> None:
    assert r.status == S.OK, f"{S.Status.Name(r.status)}: {r.message}\n{r.log_tail}"


def test_a_pipe_of_the_whole_ub_is_legal_in_a_vector_only_kernel(twin) -> None:
    # TPipe's limit on 2201 is 192 KB (GetCoreMemSize(UB)); only fused kernels lose 256 B to the framework.
    spec = task("ub_full", [tensor("x", [256], "float32")], [tensor("z", [256], "float32")])
    r, ins = run_task(twin, kernel_source("ub_full_pipe.cpp"), spec)
    _ok(r)
    np.testing.assert_array_equal(r.outputs["z"], ins["x"] * np.float32(2))
    assert r.stats["buffer_peaks"]["UB"] == [196608, 196608]


def test_the_256_byte_reserve_of_mix_kernels_is_a_warning(twin) -> None:
    # The framework keeps the last 256 B of UB in a fused kernel, but the device's TPipe does not check it (public
    # kernels such as catlass' book the whole memory and run): a warning naming the line, not an exception.
    source = kernel_source("ub_full_pipe.cpp")
    spec = task("ub_full_mix", [tensor("x", [256], "float32")], [tensor("z", [256], "float32")])
    r, ins = run_task(twin, source, spec)
    _ok(r)
    np.testing.assert_array_equal(r.outputs["z"], ins["x"] * np.float32(2))
    line = marked_line(source, "// INIT")
    assert any(f"line {line}" in w and "last 256 bytes a fused Cube+Vector kernel" in w for w in r.warnings), r.warnings


def test_tque_buffers_rotate_in_a_ring(twin) -> None:
    # Before: AllocTensor took the lowest free buffer, so depth 2 re-used buffer 0 every time.
    spec = task("que_ring", [tensor("x", [8], "int32")], [tensor("z", [8], "int32")])
    r, _ = run_task(twin, kernel_source("que_ring.cpp"), spec)
    _ok(r)
    t = 1024
    np.testing.assert_array_equal(r.outputs["z"], [0, t, 0, t, 2 * t, 3 * t, 4 * t, 2 * t])


def test_reduction_destinations_need_only_element_alignment(twin) -> None:
    # Before: every reduction destination had to be 32-byte aligned (MISALIGNED_ADDRESS for ReduceSum into r[j]).
    spec = task("reduce_dst", [tensor("x", [256], "float32")], [tensor("z", [16], "float32")])
    x = np.random.default_rng(11).uniform(-1, 1, 256).astype(np.float32)
    x[37] = 3.0  # unique max
    r, _ = run_task(twin, kernel_source("reduce_dst.cpp"), spec, inputs={"x": x})
    _ok(r)
    z = r.outputs["z"]
    np.testing.assert_allclose(z[:4], x.reshape(4, 64).sum(axis=1), rtol=1e-5)
    np.testing.assert_allclose(z[5], x[:64].sum(), rtol=1e-5)
    assert z[6] == np.float32(3.0) and z[7:8].view(np.uint32)[0] == 37
    assert z[9] == np.float32(3.0)


def test_masks_set_outside_the_api_in_normal_and_counter_mode(twin) -> None:
    # Before: the isSetMask=false reductions ignored the mask register ("mask is 0"), SetVectorMask switched the
    # mode back to normal, and the mask form in counter mode read the count as a per-repeat mask.
    spec = task("reduce_masks", [tensor("x", [256], "float32")],
                [tensor("red", [32], "float32"), tensor("adds", [256], "float32"), tensor("adds2", [256], "float32")])
    x = np.random.default_rng(11).uniform(-1, 1, 256).astype(np.float32)
    r, _ = run_task(twin, kernel_source("reduce_masks.cpp"), spec, inputs={"x": x})
    _ok(r)
    red = r.outputs["red"]
    np.testing.assert_allclose(red[8:12], [x[0:64].sum(), x[64:128].sum(), x[128:192].sum(), x[192:200].sum()],
                               rtol=1e-5)
    np.testing.assert_allclose(red[16:19], [x[0:8].sum(), x[8:16].sum(), x[16:20].sum()], rtol=1e-5)
    assert (red[:8] == 0).all() and (red[12:16] == 0).all() and (red[19:24] == 0).all()
    np.testing.assert_allclose(red[24:26], [x[8:16].sum(), x[72:80].sum()], rtol=1e-5)
    np.testing.assert_allclose(red[26], x[:100].sum(), rtol=1e-5)
    want = np.zeros(256, np.float32)
    want[:70] = x[:70] + np.float32(1)
    np.testing.assert_array_equal(r.outputs["adds"], want)
    want = np.zeros(256, np.float32)
    want[:130] = x[:130] + np.float32(2)
    np.testing.assert_array_equal(r.outputs["adds2"], want)


def test_cast_half_to_int8_and_uint8_with_cast_none(twin) -> None:
    # Before: INVALID_PARAMETER ("Cast from half to int8_t does not support RoundMode::CAST_NONE").
    spec = task("cast_half_int8", [tensor("h", [128], "float16")], [tensor("i8", [128], "int8"),
                                                                      tensor("u8", [128], "uint8")])
    h = np.random.default_rng(3).uniform(-300, 300, 128).astype(np.float16)
    h[:6] = [2.5, 3.5, -1.5, -0.5, 127.5, 255.5]
    r, _ = run_task(twin, kernel_source("cast_half_int8.cpp"), spec, inputs={"h": h})
    _ok(r)
    rint = np.rint(h.astype(np.float64))
    np.testing.assert_array_equal(r.outputs["i8"], np.clip(rint, -128, 127).astype(np.int8))
    np.testing.assert_array_equal(r.outputs["u8"], np.clip(rint, 0, 255).astype(np.uint8))


def test_cast_round_modes_follow_the_a2_table(twin) -> None:
    # Before: half -> float accepted any RoundMode.
    source = kernel_source("cast_half_int8.cpp")
    spec = task("cast_half_float_rint", [tensor("h", [128], "float16")], [tensor("f", [128], "float32")])
    r, _ = run_task(twin, source, spec)
    assert r.status == S.HARDWARE_EXCEPTION and r.exception.kind == "INVALID_PARAMETER", r.message
    assert r.exception.source_line == marked_line(source, "// FAULT")
    assert "does not support RoundMode::CAST_RINT (supported: CAST_NONE)" in r.exception.message


def test_cast_float_to_float_rounds_to_integral_values(twin) -> None:
    # Before: the float -> float Cast only rounded to float precision, so a kernel's Cast(..., CAST_FLOOR) left the
    # value unchanged (NPUKernelBench's SinMath range reduction came out wrong).
    outs = ["rint", "floor_", "ceil_", "round_", "trunc_"]
    spec = task("cast_float_integral", [tensor("x", [64], "float32")], [tensor(n, [64], "float32") for n in outs])
    x = np.random.default_rng(5).uniform(-50, 50, 64).astype(np.float32)
    x[:8] = [2.5, -2.5, 3.5, -0.5, 0.5, 1e9 + 0.5, -7.0, 0.0]
    r, _ = run_task(twin, kernel_source("cast_float_integral.cpp"), spec, inputs={"x": x})
    _ok(r)
    half_away = np.sign(x) * np.floor(np.abs(x.astype(np.float64)) + 0.5)
    for name, want in zip(outs, [np.rint(x), np.floor(x), np.ceil(x), half_away, np.trunc(x)], strict=True):
        np.testing.assert_array_equal(r.outputs[name], want.astype(np.float32), err_msg=name)


def test_a_kernel_entry_may_be_named_like_a_libm_function(twin) -> None:
    # Before: COMPILE_ERROR (conflicting declaration of C function 'void sqrt(...)').
    spec = task("sqrt", [tensor("x", [256], "float32")], [tensor("y", [256], "float32")])
    x = np.random.default_rng(2).uniform(0, 4, 256).astype(np.float32)
    r, _ = run_task(twin, kernel_source("libm_entry.cpp"), spec, inputs={"x": x})
    _ok(r)
    np.testing.assert_allclose(r.outputs["y"], np.sqrt(x), rtol=1e-6)


def test_bool_output_and_a_not_compared_scratch_output(twin) -> None:
    # Before: "bool" was no dtype, and every output was compared (the unwritten scratch output failed).
    spec = task("positive_mask", [tensor("x", [256], "float32")], [tensor("mask", [256], "float32"),
                                                                     tensor("ws", [256], "float32")],
                reference="def reference(x):\n    return x > 0, None\n")
    spec.outputs[0].dtype = task_pb2.BOOL
    spec.outputs[1].not_compared = True
    binary = build(twin, kernel_source("bool_scratch.cpp"), spec.kernel_entry)
    reports = taskspec.verify(spec, lambda ins, outs: twin.run(binary, spec, ins).outputs, [5, 6])
    assert reports[-1].mismatch_count == 0 and reports[-1].output_name == "mask", reports[-1]
    assert list(reports[-1].not_compared) == ["ws"]


def test_an_in_place_output_is_its_inputs_buffer_after_the_run(twin, tmp_path) -> None:
    # Before: a task could not state an in-place operator (NPUKernelBench's InplaceAttnSoftmax has one tensor x,
    # read and overwritten); the output now names the input whose buffer it is, and the kernel gets no argument for it.
    out = tensor("y", [256], "float32")
    out.inplace_of = "x"
    spec = task("inplace_scale", [tensor("x", [256], "float32")], [out])
    x = np.random.default_rng(9).uniform(-4, 4, 256).astype(np.float32)
    r, _ = run_task(twin, kernel_source("inplace_scale.cpp"), spec, inputs={"x": x})
    _ok(r)
    np.testing.assert_array_equal(r.outputs["y"], x * np.float32(2) + np.float32(1))
    # The task file form, and its checks.
    f = tmp_path / "t.toml"
    f.write_text('[[task]]\nname = "ip"\ninputs = [{ name = "x", shape = [256], dtype = "float32" }]\n'
                 'outputs = [{ name = "y", shape = [256], dtype = "float32", inplace = "x" }]\n'
                 'reference = """\ndef reference(x):\n    return x * 2 + 1\n"""\nkernel_entry = "inplace_scale"\n')
    assert taskspec.load_task_file(f)[0].spec.outputs[0].inplace_of == "x"
    f.write_text(f.read_text().replace('inplace = "x"', 'inplace = "z"'))
    with pytest.raises(taskspec.TaskError, match="inplace names 'z', which is not an input"):
        taskspec.load_task_file(f)
