"""Kernels and hawk.v1 results for knowledge tests: real protobufs, as an agent would send them."""

from __future__ import annotations

from hawk.v1 import result_pb2, task_pb2
from knowledge.observation import Observation

# An Add kernel in the shape of Huawei's add_custom sample, with the tile length as a constant the tests vary.
KERNEL = """#include "kernel_operator.h"
constexpr int32_t BUFFER_NUM = {buffer_num};
constexpr uint32_t TILE_LENGTH = {tile};

class KernelAdd {{
public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, GM_ADDR z, uint32_t blockLength)
    {{
        xGm.SetGlobalBuffer((__gm__ half *)x + blockLength * AscendC::GetBlockIdx(), blockLength);
        yGm.SetGlobalBuffer((__gm__ half *)y + blockLength * AscendC::GetBlockIdx(), blockLength);
        zGm.SetGlobalBuffer((__gm__ half *)z + blockLength * AscendC::GetBlockIdx(), blockLength);
        pipe.InitBuffer(inQueueX, BUFFER_NUM, TILE_LENGTH * sizeof(half));
        pipe.InitBuffer(inQueueY, BUFFER_NUM, TILE_LENGTH * sizeof(half));
        pipe.InitBuffer(outQueueZ, BUFFER_NUM, TILE_LENGTH * sizeof(half));
    }}
    __aicore__ inline void Compute(int32_t i)
    {{
        AscendC::LocalTensor<half> xLocal = inQueueX.DeQue<half>();
        AscendC::LocalTensor<half> yLocal = inQueueY.DeQue<half>();
        AscendC::LocalTensor<half> zLocal = outQueueZ.AllocTensor<half>();
        AscendC::{op}(zLocal, xLocal, yLocal, TILE_LENGTH);
        AscendC::DataCopy(zGm[i * TILE_LENGTH], zLocal, TILE_LENGTH);
    }}
private:
    AscendC::TPipe pipe;
    AscendC::TQue<AscendC::QuePosition::VECIN, BUFFER_NUM> inQueueX, inQueueY;
    AscendC::TQue<AscendC::QuePosition::VECOUT, BUFFER_NUM> outQueueZ;
    AscendC::GlobalTensor<half> xGm, yGm, zGm;
}};
"""


def kernel(tile: int = 4096, buffer_num: int = 2, op: str = "Add") -> str:
    return KERNEL.format(tile=tile, buffer_num=buffer_num, op=op)


def task(dtype: int = task_pb2.FLOAT16) -> task_pb2.TaskSpec:
    return task_pb2.TaskSpec(
        name="add", category="elementwise", kernel_entry="add_custom",
        inputs=[task_pb2.TensorSpec(name="x", shape=[8192], dtype=dtype),
                task_pb2.TensorSpec(name="y", shape=[8192], dtype=dtype)],
        outputs=[task_pb2.TensorSpec(name="z", shape=[8192], dtype=dtype)])


def ub_overflow(evaluation_id: str, line: int = 11) -> result_pb2.Result:
    return result_pb2.Result(
        evaluation_id=evaluation_id, status=result_pb2.HARDWARE_EXCEPTION, hardware_profile="ascend910b2",
        message="hardware exception", hardware_exception=result_pb2.HardwareException(
            code="507035", error_code="0x4000000000000000", kind="UB_OUT_OF_BOUNDS",
            message="VEC instruction error: the ub address out of bounds", block_id=0, core_type=result_pb2.AIV,
            source_line=line, api="InitBuffer"))


def compile_error(evaluation_id: str, message: str, line: int = 21) -> result_pb2.Result:
    return result_pb2.Result(
        evaluation_id=evaluation_id, status=result_pb2.COMPILE_ERROR, hardware_profile="ascend910b2",
        message="compile error", diagnostics=[result_pb2.CompilerDiagnostic(severity="error", line=line,
                                                                              column=9, message=message)])


def wrong_tail(evaluation_id: str) -> result_pb2.Result:
    return result_pb2.Result(
        evaluation_id=evaluation_id, status=result_pb2.WRONG_ANSWER, hardware_profile="ascend910b2",
        numeric=result_pb2.NumericReport(output_name="z", mismatch_count=8, element_count=8200,
                                         first_mismatch_index=8192, max_abs_error=1.5, sets_checked=1))


def ok(evaluation_id: str, time_us: float, *, bottleneck: tuple[int, int] = (2, 3), floor: float = 0.9,
       mte2: float = 0.6, vector: float = 0.2, block_dim: int = 48, ub_peak: int = 98304) -> result_pb2.Result:
    """A passing result with an msprof-style profile (bottleneck default: LATENCY_BOUND on MTE2)."""
    r = result_pb2.Result(evaluation_id=evaluation_id, status=result_pb2.OK, hardware_profile="ascend910b2")
    p = r.profile
    p.time_us, p.block_dim, p.clock_mhz = time_us, block_dim, 1800
    ct = p.core_types.add(core_type=result_pb2.AIV, blocks=block_dim, total_cycles=int(time_us * 1800))
    for pipe, ratio in ((result_pb2.MTE2, mte2), (result_pb2.VECTOR, vector), (result_pb2.MTE3, 0.2),
                        (result_pb2.SCALAR, 0.05)):
        ct.pipes.add(pipe=pipe, busy_cycles=int(ratio * time_us * 1800), ratio=ratio)
    p.bottleneck.kind, p.bottleneck.pipe = bottleneck
    p.bottleneck.ratio = mte2
    p.bottleneck.explanation = "no pipe is near full"
    p.buffer_peaks.add(buffer="UB", peak_bytes=ub_peak, capacity_bytes=196352)
    p.floor.achieved_fraction = floor
    return r


def observe(result: result_pb2.Result, source: str, **kw) -> Observation:
    return Observation.from_result(result, source, task(), **kw)
