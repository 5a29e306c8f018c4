// y[r] = sum(x[r, :]) with the device builtins and utilities CANN's kernels use unqualified: block_idx,
// get_block_num(), GetTPipePtr(), ONE_BLK_SIZE, DEFAULT_REPEAT_STRIDE, AscendCUtils::SetMask, the vcadd intrinsic, likely,
// QuantMode_t and bisheng's `__forceinline__ [aicore]` attribute.
#include "kernel_operator.h"
#include "impl/dav_c220/kernel_operator_reg_others_impl.h"

namespace plain {  // CANN declares GetTPipePtr at global scope: found here without AscendC
__aicore__ inline bool HasPipe() { return GetTPipePtr() != nullptr; }
}  // namespace plain

using namespace AscendC;

static_assert(static_cast<int>(QuantMode_t::NoQuant) == 0, "QuantMode_t is the device compiler's global enum");

__forceinline__ [aicore]
uint32_t BlocksOf(uint32_t bytes) { return bytes / ONE_BLK_SIZE; }

extern "C" __global__ __aicore__ void row_sum(GM_ADDR x, GM_ADDR y, GM_ADDR workspace, GM_ADDR tiling)
{
    GET_TILING_DATA(t, tiling);
    if (unlikely(block_idx >= get_block_num())) {
        return;
    }
    const uint32_t rows = t.rowsPerBlock;
    const uint32_t cols = t.cols;
    GlobalTensor<float> xGm, yGm;
    xGm.SetGlobalBuffer((__gm__ float*)x + block_idx * rows * cols, rows * cols);
    yGm.SetGlobalBuffer((__gm__ float*)y + block_idx * rows, rows);
    TPipe pipe;
    TBuf<TPosition::VECCALC> inBuf, outBuf;
    pipe.InitBuffer(inBuf, rows * cols * sizeof(float));
    pipe.InitBuffer(outBuf, ONE_BLK_SIZE);
    LocalTensor<float> xl = inBuf.Get<float>();
    LocalTensor<float> yl = outBuf.Get<float>();
    DataCopy(xl, xGm, rows * cols);
    SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
    AscendCUtils::SetMask<float>(cols);
    if (likely(GetSubBlockDim() == 1 && plain::HasPipe())) {
        vcadd((__ubuf__ float*)yl.GetPhyAddr(), (__ubuf__ float*)xl.GetPhyAddr(), rows, 1, 1,
              BlocksOf(cols * sizeof(float)) == DEFAULT_REPEAT_STRIDE ? DEFAULT_REPEAT_STRIDE : 0, false);
    }
    AscendCUtils::ResetMask();
    SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
    WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
    DataCopy(yGm, yl, rows);
}
