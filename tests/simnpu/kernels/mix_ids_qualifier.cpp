// mix_ids.cpp with the kernel type taken from the entry's __mix__(1, 2) qualifier (the .asc style) instead of
// KERNEL_TASK_TYPE_DEFAULT: every core writes GetBlockIdx, GetSubBlockIdx, GetSubBlockNum, GetTaskRatio,
// GetBlockNum, g_coreType and ASCEND_IS_AIC to its own 8-int slot (AIC: aic[b], AIV: aiv[GetBlockIdx()]).
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __mix__(1, 2) __aicore__ void mix_ids(GM_ADDR x, GM_ADDR aic, GM_ADDR aiv)
{
    GlobalTensor<int32_t> out;
    if ASCEND_IS_AIC {
        out.SetGlobalBuffer((__gm__ int32_t *)aic + GetBlockIdx() * 8, 8);
    } else {
        out.SetGlobalBuffer((__gm__ int32_t *)aiv + GetBlockIdx() * 8, 8);
    }
    out.SetValue(0, GetBlockIdx());
    out.SetValue(1, GetSubBlockIdx());
    out.SetValue(2, GetSubBlockNum());
    out.SetValue(3, GetTaskRatio());
    out.SetValue(4, GetBlockNum());
    out.SetValue(5, g_coreType);
    out.SetValue(6, ASCEND_IS_AIC ? 1 : 0);
    out.SetValue(7, GetTaskRation());
}
