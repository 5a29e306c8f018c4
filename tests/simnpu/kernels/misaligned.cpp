// Misaligned UB address: a half tensor 3 elements (6 bytes) into a buffer is not 32-byte aligned.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 1024);
    LocalTensor<half> t = buf.Get<half>();
    Duplicate(t, (half)1.0, 256);
    Add(t[3], t[64], t[128], 32);  // FAULT
}
