// GM out of bounds on the last block only: the tail block reads 64 elements past the end of x.
#include "kernel_operator.h"
using namespace AscendC;

constexpr uint32_t PER_BLOCK = 64;
extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    TPipe pipe;
    TQue<QuePosition::VECIN, 1> inQueue;
    pipe.InitBuffer(inQueue, 1, PER_BLOCK * sizeof(half));
    GlobalTensor<half> xGm;
    xGm.SetGlobalBuffer((__gm__ half *)x + PER_BLOCK * GetBlockIdx(), PER_BLOCK);
    uint32_t offset = GetBlockIdx() == GetBlockNum() - 1 ? PER_BLOCK : 0;  // wrong tail offset
    LocalTensor<half> t = inQueue.AllocTensor<half>();
    DataCopy(t, xGm[offset], PER_BLOCK);  // FAULT
    inQueue.FreeTensor(t);
}
