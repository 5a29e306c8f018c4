// L1 overflow by InitBuffer totals on a cube core: 2 x 300 KB of A1 buffers in a 512 KB L1.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIC_ONLY);
    TPipe pipe;
    TQue<QuePosition::A1, 1> a1;
    pipe.InitBuffer(a1, 2, 300 * 1024);  // FAULT
}
