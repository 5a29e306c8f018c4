// UB overflow by InitBuffer totals: two 100 KB buffers in a 192 KB Unified Buffer.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    TPipe pipe;
    TQue<QuePosition::VECIN, 1> inQueue;
    pipe.InitBuffer(inQueue, 2, 100 * 1024);  // FAULT
}
