// Test direct-launch pair (kernel file + main.cpp): z = x + y over n floats, n a scalar kernel argument.
#include "kernel_operator.h"

extern "C" __global__ __aicore__ void vadd_custom(GM_ADDR x, GM_ADDR y, GM_ADDR z, uint32_t n)
{
    uint32_t length = n / AscendC::GetBlockNum();
    AscendC::TPipe pipe;
    AscendC::TBuf<AscendC::TPosition::VECCALC> buf;
    AscendC::GlobalTensor<float> xGm, yGm, zGm;
    xGm.SetGlobalBuffer((__gm__ float*)x + length * AscendC::GetBlockIdx(), length);
    yGm.SetGlobalBuffer((__gm__ float*)y + length * AscendC::GetBlockIdx(), length);
    zGm.SetGlobalBuffer((__gm__ float*)z + length * AscendC::GetBlockIdx(), length);
    pipe.InitBuffer(buf, 2 * length * sizeof(float));
    AscendC::LocalTensor<float> a = buf.Get<float>();
    AscendC::LocalTensor<float> b = a[length];
    AscendC::DataCopy(a, xGm, length);
    AscendC::DataCopy(b, yGm, length);
    AscendC::PipeBarrier<PIPE_ALL>();
    AscendC::Add(a, a, b, length);
    AscendC::PipeBarrier<PIPE_ALL>();
    AscendC::DataCopy(zGm, a, length);
}
