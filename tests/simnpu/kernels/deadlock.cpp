// A WaitFlag that no SetFlag satisfies: the vector pipe would wait for MTE2 forever.
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
    DataCopy(t, xGm, 256);
    WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);  // FAULT
    Adds(t, t, (half)1.0, 256);
}
