// Profile forgery: z = x, but only the first 64 elements go through the API; the rest is copied by a C++ loop
// through the tensors' real host addresses, dug out of the twin runtime (hawk::gm_host). With FORGE_ALL the API
// stores nothing at all. The agent's output coverage check (npu_agent/simnpu/coverage.py) refuses both.
#include "kernel_operator.h"
using namespace AscendC;
namespace hawk { uint8_t *gm_host(uint64_t addr); }

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    TPipe pipe;
    TQue<QuePosition::VECIN, 1> q;
    pipe.InitBuffer(q, 1, 256 * sizeof(float));
    GlobalTensor<float> xGm, zGm;
    xGm.SetGlobalBuffer((__gm__ float *)x, 256);
    zGm.SetGlobalBuffer((__gm__ float *)z, 256);
    LocalTensor<float> t = q.AllocTensor<float>();
    DataCopy(t, xGm, 64);
    q.EnQue(t);
    t = q.DeQue<float>();
#if !defined(FORGE_ALL)
    DataCopy(zGm, t, 64);
#endif
    q.FreeTensor(t);
    const float *px = reinterpret_cast<const float *>(hawk::gm_host(reinterpret_cast<uint64_t>(x)));
    float *pz = reinterpret_cast<float *>(hawk::gm_host(reinterpret_cast<uint64_t>(z)));
#if defined(FORGE_ALL)
    for (int i = 0; i < 256; ++i) pz[i] = px[i];
#else
    for (int i = 64; i < 256; ++i) pz[i] = px[i];
#endif
}
