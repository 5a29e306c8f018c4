// DeQue on an empty queue: the EnQue was forgotten.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    TPipe pipe;
    TQue<QuePosition::VECIN, 1> inQueue;
    pipe.InitBuffer(inQueue, 1, 512);
    GlobalTensor<half> xGm;
    xGm.SetGlobalBuffer((__gm__ half *)x, 256);
    LocalTensor<half> t = inQueue.AllocTensor<half>();
    DataCopy(t, xGm, 256);
    LocalTensor<half> u = inQueue.DeQue<half>();  // FAULT
}
