// Who am I in a mixed kernel (KERNEL_TYPE_MIX_AIC_1_2, block count from the task): every core writes
// GetBlockIdx, GetSubBlockIdx, GetSubBlockNum, GetTaskRatio, GetBlockNum, g_coreType and ASCEND_IS_AIC to its
// own 8-int slot, the AIC of block b to aic[b], the AIV to aiv[GetBlockIdx()] (= b * 2 + GetSubBlockIdx()).
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void mix_ids(GM_ADDR x, GM_ADDR aic, GM_ADDR aiv)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_MIX_AIC_1_2);
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
