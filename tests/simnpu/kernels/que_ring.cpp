// TQue buffers are handed out in a ring (TQueBind::AllocBuffer): with 2 buffers, AllocTensor alternates between
// them even when the previous one was already freed, so a depth-2 pipeline really has two buffers in flight.
// The kernel writes the UB address of each allocation to z.
#include "kernel_operator.h"
using namespace AscendC;

constexpr uint32_t TILE = 256;

extern "C" __global__ __aicore__ void que_ring(GM_ADDR x, GM_ADDR z)
{
    GlobalTensor<int32_t> zGm;
    zGm.SetGlobalBuffer((__gm__ int32_t *)z, 8);
    TPipe pipe;
    TQue<QuePosition::VECIN, 2> inQueue;
    TQue<QuePosition::VECOUT, 1> outQueue;
    pipe.InitBuffer(inQueue, 2, TILE * sizeof(float));
    pipe.InitBuffer(outQueue, 3, TILE * sizeof(float));  // 3 buffers after the 2 of inQueue
    for (int32_t i = 0; i < 4; i++) {
        LocalTensor<float> t = inQueue.AllocTensor<float>();
        zGm.SetValue(i, static_cast<int32_t>(t.GetPhyAddr()));
        inQueue.EnQue(t);
        LocalTensor<float> d = inQueue.DeQue<float>();
        inQueue.FreeTensor(d);
    }
    LocalTensor<float> a = outQueue.AllocTensor<float>();  // 3-buffer ring: 0, 1, then 2 after freeing 0
    LocalTensor<float> b = outQueue.AllocTensor<float>();
    outQueue.FreeTensor(a);
    LocalTensor<float> c = outQueue.AllocTensor<float>();
    LocalTensor<float> d = outQueue.AllocTensor<float>();  // the ring wraps to the freed buffer 0
    zGm.SetValue(4, static_cast<int32_t>(a.GetPhyAddr()));
    zGm.SetValue(5, static_cast<int32_t>(b.GetPhyAddr()));
    zGm.SetValue(6, static_cast<int32_t>(c.GetPhyAddr()));
    zGm.SetValue(7, static_cast<int32_t>(d.GetPhyAddr()));
}
