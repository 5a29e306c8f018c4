// A runaway loop: the loop condition never changes.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 1024);
    LocalTensor<half> t = buf.Get<half>();
    for (uint32_t i = 0; i < 10; i += 0) {
        Duplicate(t, (half)0.0, 256);  // LAST
    }
}
