// g_coreType where C++ needs a constant that the twin's source scan does not look for (an enumerator): the one
// compile fails on it, and the twin compiles the kernel again once per core type (an AIV-only kernel here: the AIV
// build alone is linked). z = x * kCore, with kCore == AscendC::AIV (2) in the AIV build.
#include "kernel_operator.h"
using namespace AscendC;

enum : int32_t { kCore = g_coreType };

extern "C" __global__ __aicore__ void coretype_enum(GM_ADDR x, GM_ADDR z)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 256 * sizeof(float));
    LocalTensor<float> t = buf.Get<float>();
    GlobalTensor<float> xGm, zGm;
    xGm.SetGlobalBuffer((__gm__ float *)x, 256);
    zGm.SetGlobalBuffer((__gm__ float *)z, 256);
    DataCopy(t, xGm, 256);
    SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
    Muls(t, t, static_cast<float>(kCore), 256);
    SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
    WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
    DataCopy(zGm, t, 256);
}
