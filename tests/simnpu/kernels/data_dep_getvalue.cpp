// A kernel whose control flow depends on the data: it reads x[0] from UB with GetValue and scales by it only
// when it is positive. A timing-only run of it cannot be trusted; the twin reports the read (data_dependent).
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void dd_kernel(GM_ADDR x, GM_ADDR z)
{
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
    float first = t.GetValue(0);  // READ
    if (first > 0.0f) {
        Muls(t, t, first, 256);
    }
    DataCopy(zGm, t, 256);
    q.FreeTensor(t);
}
