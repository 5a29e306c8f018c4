// A vector API on a cube core: an AIC-only kernel calls Add.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIC_ONLY);
    TPipe pipe;
    TBuf<TPosition::A1> buf;
    pipe.InitBuffer(buf, 1024);
    LocalTensor<half> t = buf.Get<half>();
    Add(t, t[128], t[256], 128);  // FAULT
}
