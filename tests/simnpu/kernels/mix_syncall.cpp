// SyncAll across blocks (no kernel type declared: the toolchain makes a kernel that syncs a mix AIV 1:0 kernel).
// Block b writes (b + 1) * 10 to its slot of `val`, syncs, then copies its right neighbour's slot to z[b]:
// without the sync, blocks that run earlier would read slots not yet written.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void mix_syncall(GM_ADDR x, GM_ADDR val, GM_ADDR z)
{
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
    SyncAll();  // SYNC
    DataCopy(t, next, 8);
    SetFlag<HardEvent::MTE2_MTE3>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_MTE3>(EVENT_ID0);
    DataCopy(out, t, 8);
}
