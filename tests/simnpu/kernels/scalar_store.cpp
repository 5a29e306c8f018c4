// z = x element by element with scalar accesses only (GetValue, and operator() as an lvalue for the store): slow
// but honest, so the output coverage check accepts it. With FORGE_REF the kernel takes the address of one element
// (`&zGm(0)`, the real host address of the output) and stores the rest through it, outside the API: refused.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    GlobalTensor<float> xGm, zGm;
    xGm.SetGlobalBuffer((__gm__ float *)x, 256);
    zGm.SetGlobalBuffer((__gm__ float *)z, 256);
#if defined(FORGE_REF)
    float *p = &zGm(0);
    for (int i = 0; i < 256; ++i) p[i] = xGm.GetValue(i);
#else
    for (int i = 255; i >= 0; --i) zGm(i) = xGm.GetValue(i);
#endif
}
