// A public idiom: scalar inputs read through a raw GM pointer (`*(__gm__ T*)s`, a slow scalar access on the NPU;
// NPUKernelBench's MulSigmoidMulAddCustom does it). The twin runs it and charges each read as a scalar GM read.
// z = x * s[0] + s[1].
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void scale_kernel(GM_ADDR x, GM_ADDR s, GM_ADDR z)
{
    float scale = *((__gm__ float *)s);      // RAW
    float bias = ((__gm__ float *)s)[1];
    TPipe pipe;
    TQue<QuePosition::VECIN, 1> q;
    pipe.InitBuffer(q, 1, 256 * sizeof(float));
    GlobalTensor<float> xGm, zGm;
    xGm.SetGlobalBuffer((__gm__ float *)x, 256);
    zGm.SetGlobalBuffer((__gm__ float *)z, 256);
    LocalTensor<float> t = q.AllocTensor<float>();
    DataCopy(t, xGm, 256);
    q.EnQue(t);
    t = q.DeQue<float>();
    Muls(t, t, scale, 256);
    Adds(t, t, bias, 256);
    DataCopy(zGm, t, 256);
    q.FreeTensor(t);
}
