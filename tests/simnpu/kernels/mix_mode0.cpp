// CrossCoreSetFlag mode 0 among all AIVs of a KERNEL_TYPE_MIX_AIV_1_0 kernel, used as a barrier: block b writes
// (b + 1) * 10, sets flag 0 after its MTE3 copy and waits, then copies its right neighbour's value to z[b].
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void mix_mode0(GM_ADDR x, GM_ADDR val, GM_ADDR z)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_MIX_AIV_1_0);
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 32);
    LocalTensor<int32_t> t = buf.Get<int32_t>();
    int32_t b = GetBlockIdx(), n = GetBlockNum();
    GlobalTensor<int32_t> mine, next, out;
    mine.SetGlobalBuffer((__gm__ int32_t *)val + b * 8, 8);
    next.SetGlobalBuffer((__gm__ int32_t *)val + ((b + 1) % n) * 8, 8);
    out.SetGlobalBuffer((__gm__ int32_t *)z + b * 8, 8);
    Duplicate(t, (b + 1) * 10, 8);
    SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
    WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
    DataCopy(mine, t, 8);
    CrossCoreSetFlag<0, PIPE_MTE3>(0);
    CrossCoreWaitFlag(0);
    DataCopy(t, next, 8);
    SetFlag<HardEvent::MTE2_MTE3>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_MTE3>(EVENT_ID0);
    DataCopy(out, t, 8);
}
