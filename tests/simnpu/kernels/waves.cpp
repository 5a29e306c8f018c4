// Direct-launch kernel (no tiling function): block b writes 8 copies of b. Block count from the task.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void waves_kernel(GM_ADDR x, GM_ADDR ids)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 32);
    LocalTensor<int32_t> t = buf.Get<int32_t>();
    Duplicate(t, static_cast<int32_t>(GetBlockIdx()), 8);
    GlobalTensor<int32_t> out;
    out.SetGlobalBuffer((__gm__ int32_t *)ids + 8 * GetBlockIdx(), 8);
    DataCopy(out, t, 8);
}
