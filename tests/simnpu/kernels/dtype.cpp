// A dtype the API does not support on the SoC: Add has no bfloat16_t on Atlas A2.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 1024);
    LocalTensor<bfloat16_t> t = buf.Get<bfloat16_t>();
    Add(t, t[128], t[256], 128);  // FAULT
}
