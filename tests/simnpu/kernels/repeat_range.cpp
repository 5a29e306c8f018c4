// repeatTime above 255 in the mask/repeat form.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 80 * 1024);
    LocalTensor<half> t = buf.Get<half>();
    Add(t, t, t, 128, 300, {1, 1, 1, 8, 8, 8});  // FAULT
}
