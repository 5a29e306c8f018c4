// More than 64 buffers in one TPipe.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> bufs[65];
    for (int i = 0; i < 65; ++i) {
        pipe.InitBuffer(bufs[i], 32);  // FAULT
    }
}
