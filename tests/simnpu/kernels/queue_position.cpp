// More than 8 outstanding buffers in one queue position: five VECIN queues of two buffers, nine allocated.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    TPipe pipe;
    TQue<QuePosition::VECIN, 2> q[5];
    for (int i = 0; i < 5; ++i) pipe.InitBuffer(q[i], 2, 256);
    LocalTensor<half> held[10];
    for (int i = 0; i < 8; ++i) held[i] = q[i / 2].AllocTensor<half>();
    held[8] = q[4].AllocTensor<half>();  // FAULT
}
