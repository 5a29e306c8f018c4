"""Semantics that follow the public Ascend C documentation where the twin once differed (issue 12 item 4): each
test runs a small kernel of our own (kernels/) that reproduced the old behaviour."""

from __future__ import annotations

import numpy as np

from hawk.v1 import result_pb2
from tests.simnpu.helpers import kernel_source, marked_line, run_task, task, tensor

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


def test_the_256_byte_reserve_applies_to_mix_kernels(twin) -> None:
    source = kernel_source("ub_full_pipe.cpp")
    spec = task("ub_full_mix", [tensor("x", [256], "float32")], [tensor("z", [256], "float32")])
    r, _ = run_task(twin, source, spec)
    assert r.status == S.HARDWARE_EXCEPTION, r.message
    assert r.exception.kind == "UB_OUT_OF_BOUNDS" and r.exception.source_line == marked_line(source, "// INIT")
    assert "exceeds the limit 196352" in r.exception.message


def test_tque_buffers_rotate_in_a_ring(twin) -> None:
    # Before: AllocTensor took the lowest free buffer, so depth 2 re-used buffer 0 every time.
    spec = task("que_ring", [tensor("x", [8], "int32")], [tensor("z", [8], "int32")])
    r, _ = run_task(twin, kernel_source("que_ring.cpp"), spec)
    _ok(r)
    t = 1024
    np.testing.assert_array_equal(r.outputs["z"], [0, t, 0, t, 2 * t, 3 * t, 4 * t, 2 * t])
