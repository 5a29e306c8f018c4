// A kernel crash: a null pointer write after one Ascend C call.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 1024);  // LAST
    volatile int *p = nullptr;
    *p = 1;
}
