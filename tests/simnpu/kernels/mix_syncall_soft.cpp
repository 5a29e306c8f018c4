// Soft SyncAll over a zeroed GM workspace (input `sync`, GetBlockNum() * 32 bytes) and a UB scratch, twice:
// block b writes (b + 1) * 10, syncs, copies its right neighbour's value to z[b], syncs again (the second round
// waits for every counter to reach 2) and then writes its value doubled.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void mix_syncall_soft(GM_ADDR sync, GM_ADDR val, GM_ADDR z)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf, work;
    pipe.InitBuffer(buf, 32);
    pipe.InitBuffer(work, GetBlockNum() * 32);
    LocalTensor<int32_t> t = buf.Get<int32_t>();
    LocalTensor<int32_t> w = work.Get<int32_t>();
    int32_t b = GetBlockIdx(), n = GetBlockNum();
    GlobalTensor<int32_t> syncGm, mine, next, out;
    syncGm.SetGlobalBuffer((__gm__ int32_t *)sync, n * 8);
    mine.SetGlobalBuffer((__gm__ int32_t *)val + b * 8, 8);
    next.SetGlobalBuffer((__gm__ int32_t *)val + ((b + 1) % n) * 8, 8);
    out.SetGlobalBuffer((__gm__ int32_t *)z + b * 8, 8);
    Duplicate(t, (b + 1) * 10, 8);
    SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
    WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
    DataCopy(mine, t, 8);
    SyncAll(syncGm, w);
    DataCopy(t, next, 8);
    SetFlag<HardEvent::MTE2_MTE3>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_MTE3>(EVENT_ID0);
    DataCopy(out, t, 8);
    SyncAll(syncGm, w);
    Duplicate(t, (b + 1) * 20, 8);
    SetFlag<HardEvent::V_MTE3>(EVENT_ID1);
    WaitFlag<HardEvent::V_MTE3>(EVENT_ID1);
    DataCopy(mine, t, 8);
}
