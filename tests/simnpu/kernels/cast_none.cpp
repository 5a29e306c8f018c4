// Cast float -> bfloat16_t with RoundMode::CAST_NONE, which the A2 Cast table does not accept.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void cast_none(GM_ADDR x, GM_ADDR y)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 512);
    GlobalTensor<float> xGm;
    xGm.SetGlobalBuffer((__gm__ float *)x, 64);
    LocalTensor<float> f = buf.Get<float>();
    DataCopy(f, xGm, 64);
    LocalTensor<bfloat16_t> b = f[64].ReinterpretCast<bfloat16_t>();
    Cast(b, f, RoundMode::CAST_NONE, 64);
}
