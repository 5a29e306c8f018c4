// FreeTensor twice on the same buffer.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    TPipe pipe;
    TQue<QuePosition::VECOUT, 1> outQueue;
    pipe.InitBuffer(outQueue, 1, 512);
    LocalTensor<half> t = outQueue.AllocTensor<half>();
    outQueue.FreeTensor(t);
    outQueue.FreeTensor(t);  // FAULT
}
