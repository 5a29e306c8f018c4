// An in-place operator: x = 2 * x + 1 written over its only tensor argument (as CANN's Inplace* ops do, whose
// OpDef has an input and no separate output). The task declares the output with `inplace = "x"`.
#include "kernel_operator.h"
using namespace AscendC;

constexpr uint32_t N = 256;

extern "C" __global__ __aicore__ void inplace_scale(GM_ADDR x)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, N * sizeof(float));
    GlobalTensor<float> xGm;
    xGm.SetGlobalBuffer((__gm__ float*)x, N);
    LocalTensor<float> t = buf.Get<float>();
    DataCopy(t, xGm, N);
    PipeBarrier<PIPE_ALL>();
    Muls(t, t, 2.0f, N);
    Adds(t, t, 1.0f, N);
    PipeBarrier<PIPE_ALL>();
    DataCopy(xGm, t, N);
}
