"""Checker layer: every hardware rule ends the run with HARDWARE_EXCEPTION, the runtime-style code, the block,
the core type and the source line of the offending call (the `// FAULT` line of each kernel in kernels/).
Crashes and runaway loops end with their own clear statuses."""

from __future__ import annotations

import pytest

from hawk.v1 import result_pb2
from tests.simnpu.helpers import kernel_source, marked_line, run_task, task, tensor

S = result_pb2
AIV, AIC = S.AIV, S.AIC

# kernel file: (kind, code, api, core type, block id, words the message must hold)
CASES = {
    "ub_initbuffer.cpp": ("UB_OUT_OF_BOUNDS", "507035", "InitBuffer", AIV, 0, "the ub address out of bounds"),
    "ub_access.cpp": ("UB_OUT_OF_BOUNDS", "507035", "DataCopy", AIV, 0, "the ub address out of bounds"),
    "misaligned.cpp": ("MISALIGNED_ADDRESS", "507035", "Add", AIV, 0, "not 32-byte aligned"),
    "gm_oob.cpp": ("GM_OUT_OF_BOUNDS", "507035", "DataCopy", AIV, 3, "out of range"),
    "repeat_range.cpp": ("INVALID_PARAMETER", "507035", "Add", AIV, 0, "repeatTime is 300"),
    "dtype.cpp": ("UNSUPPORTED_DTYPE", "507035", "Add", AIV, 0, "bfloat16_t"),
    "queue_position.cpp": ("TOO_MANY_BUFFERS", "507035", "AllocTensor", AIV, 0,
                           "max buffer number in same queue position is 8"),
    "pipe_buffers.cpp": ("TOO_MANY_BUFFERS", "507035", "InitBuffer", AIV, 0, "should be in range (0, 64]"),
    "deque_empty.cpp": ("DEQUE_EMPTY", "507035", "DeQue", AIV, 0, "empty VECIN queue"),
    "queue_misuse.cpp": ("QUEUE_MISUSE", "507035", "FreeTensor", AIV, 0, "freed twice"),
    "vector_on_cube.cpp": ("WRONG_CORE_TYPE", "507015", "Add", AIC, 0, "aicore error"),
    "cube_on_vector.cpp": ("WRONG_CORE_TYPE", "507035", "Mmad", AIV, 0, "aivec error"),
    "l1_overflow.cpp": ("L1_OUT_OF_BOUNDS", "507015", "InitBuffer", AIC, 0, "the l1 address out of bounds"),
    "l0c_access.cpp": ("L0C_OUT_OF_BOUNDS", "507015", "Mmad", AIC, 0, "the l0c address out of bounds"),
    "deadlock.cpp": ("DEADLOCK", "507034", "WaitFlag", AIV, 0, "vector core timeout"),
}


def fault_task(block_dim: int = 1):
    return task("fault_kernel", [tensor("x", [256])], [tensor("z", [256])], block_dim=block_dim)


@pytest.mark.parametrize("kernel", sorted(CASES))
def test_hardware_exception(twin, kernel: str) -> None:
    kind, code, api, core, block, words = CASES[kernel]
    source = kernel_source(kernel)
    r, _ = run_task(twin, source, fault_task(block_dim=4))
    assert r.status == S.HARDWARE_EXCEPTION, f"{S.Status.Name(r.status)}: {r.message}\n{r.log_tail}"
    e = r.exception
    assert (e.kind, e.code, e.api) == (kind, code, api), e
    assert e.source_line == marked_line(source, "// FAULT")
    assert e.core_type == core and e.block_id == block
    assert e.error_code.startswith("0x") and words in e.message, e.message
    assert r.outputs == {}


def test_segfault_is_a_runtime_error_naming_the_last_call(twin) -> None:
    source = kernel_source("segfault.cpp")
    r, _ = run_task(twin, source, fault_task())
    assert r.status == S.RUNTIME_ERROR, r.message
    assert "SIGSEGV" in r.message and f"InitBuffer at line {marked_line(source, '// LAST')}" in r.message


def test_runaway_loop_times_out_naming_the_last_call(twin) -> None:
    source = kernel_source("runaway.cpp")
    r, _ = run_task(twin, source, fault_task(), timeout_s=2.0)
    assert r.status == S.TIMEOUT, r.message
    assert f"Duplicate at line {marked_line(source, '// LAST')}" in r.message
