// UB overflow by an access past a tensor: a DataCopy into a view near the end of UB runs past it.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 1024);
    GlobalTensor<half> xGm;
    xGm.SetGlobalBuffer((__gm__ half *)x, 256);
    LocalTensor<half> t = buf.Get<half>();
    LocalTensor<half> nearEnd = t[(192 * 1024 - 256) / sizeof(half)];
    DataCopy(nearEnd, xGm, 256);  // FAULT
}
