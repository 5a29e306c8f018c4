// A cube API on a vector core: an AIV kernel calls Mmad.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 4096);
    LocalTensor<half> a = buf.Get<half>();
    LocalTensor<float> c = buf.Get<float>();
    Mmad(c, a, a[256], MmadParams(16, 16, 16));  // FAULT
}
