// L0C overflow by an access: an Mmad whose 64 x 256 fp32 result (64 KB) starts 96 KB into a 128 KB L0C.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIC_ONLY);
    TPipe pipe;
    TBuf<TPosition::A2> a2;
    TBuf<TPosition::B2> b2;
    TBuf<TPosition::CO1> co1;
    pipe.InitBuffer(a2, 32 * 1024);
    pipe.InitBuffer(b2, 32 * 1024);
    pipe.InitBuffer(co1, 128 * 1024);
    LocalTensor<float> c = co1.Get<float>();
    Mmad(c[96 * 1024 / sizeof(float)], a2.Get<half>(), b2.Get<half>(), MmadParams(64, 256, 16));  // FAULT
}
