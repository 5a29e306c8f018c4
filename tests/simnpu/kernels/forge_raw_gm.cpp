// Profile forgery: z = x + 1 done by a plain C++ loop over the GM pointers, outside the Ascend C API. The twin
// charges each raw read of x as a scalar GM read and refuses the first raw store to z.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    GlobalTensor<float> xGm;
    xGm.SetGlobalBuffer((__gm__ float *)x, 256);
    float one = xGm.GetValue(0) * 0.0f + 1.0f;  // LAST
    __gm__ float *px = (__gm__ float *)x;
    __gm__ float *pz = (__gm__ float *)z;
    for (int i = 0; i < 256; ++i) pz[i] = px[i] + one;  // RAW
}
