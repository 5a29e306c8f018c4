// A TPipe of exactly the UB size (GetCoreMemSize(UB) = 192 KB on 910B2) is legal in a vector-only kernel: the data
// goes through the last KB of UB. The 256 B reserve applies to Cube+Vector fused (KERNEL_TYPE_MIX_*) kernels only,
// so the same pipe in a mix kernel overflows UB.
#include "kernel_operator.h"
using namespace AscendC;

constexpr uint32_t UB_BYTES = 192 * 1024;
constexpr uint32_t N = 256;

__aicore__ inline void ScaleThroughTopOfUb(GM_ADDR x, GM_ADDR z)
{
    GlobalTensor<float> xGm, zGm;
    xGm.SetGlobalBuffer((__gm__ float *)x, N);
    zGm.SetGlobalBuffer((__gm__ float *)z, N);
    TPipe pipe;
    TBuf<TPosition::VECCALC> all;
    pipe.InitBuffer(all, UB_BYTES);  // INIT
    LocalTensor<float> top = all.Get<float>()[(UB_BYTES - N * sizeof(float)) / sizeof(float)];
    DataCopy(top, xGm, N);
    SetFlag<HardEvent::MTE2_V>(0);
    WaitFlag<HardEvent::MTE2_V>(0);
    Muls(top, top, 2.0f, N);
    SetFlag<HardEvent::V_MTE3>(0);
    WaitFlag<HardEvent::V_MTE3>(0);
    DataCopy(zGm, top, N);
}

extern "C" __global__ __aicore__ void ub_full(GM_ADDR x, GM_ADDR z)
{
    ScaleThroughTopOfUb(x, z);
}

extern "C" __global__ __aicore__ void ub_full_mix(GM_ADDR x, GM_ADDR z)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_MIX_AIV_1_0);
    ScaleThroughTopOfUb(x, z);
}
