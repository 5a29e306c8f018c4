// LocalTensor operator overloads: dst = a + b, a - b, a * b, a / b over dst.GetSize() elements, and
// mask = a < b (a bit mask over a.GetSize() elements), as CANN's SymbolOverride* do.
#include "kernel_operator.h"
using namespace AscendC;

constexpr uint32_t N = 64;

extern "C" __global__ __aicore__ void vec_operators(GM_ADDR a, GM_ADDR b, GM_ADDR y, GM_ADDR m)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> ba, bb, bo, bm;
    pipe.InitBuffer(ba, N * 4);
    pipe.InitBuffer(bb, N * 4);
    pipe.InitBuffer(bo, 4 * N * 4);
    pipe.InitBuffer(bm, 32);
    GlobalTensor<float> aGm, bGm, yGm;
    GlobalTensor<uint8_t> mGm;
    aGm.SetGlobalBuffer((__gm__ float *)a, N);
    bGm.SetGlobalBuffer((__gm__ float *)b, N);
    yGm.SetGlobalBuffer((__gm__ float *)y, 4 * N);
    mGm.SetGlobalBuffer((__gm__ uint8_t *)m, 32);
    LocalTensor<float> x = ba.Get<float>(), z = bb.Get<float>(), o = bo.Get<float>();
    LocalTensor<uint8_t> mask = bm.Get<uint8_t>();
    DataCopy(x, aGm, N);
    DataCopy(z, bGm, N);
    PipeBarrier<PIPE_ALL>();
    LocalTensor<float> o0 = o[0], o1 = o[N], o2 = o[2 * N], o3 = o[3 * N];
    o0.SetSize(N); o1.SetSize(N); o2.SetSize(N); o3.SetSize(N);
    o0 = x + z;
    o1 = x - z;
    o2 = x * z;
    o3 = x / z;
    Duplicate(mask.ReinterpretCast<uint16_t>(), (uint16_t)0, 16);
    mask = x < z;
    PipeBarrier<PIPE_ALL>();
    DataCopy(yGm, o, 4 * N);
    DataCopy(mGm, mask, 32);
}
