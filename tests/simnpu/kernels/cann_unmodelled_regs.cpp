// CANN kernel-side names the twin compiles but does not model: each entry calls one, which must end the run with
// UNSUPPORTED_API naming it (never a compile error). The kernels are otherwise plain copies.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void reg_max_min(GM_ADDR x, GM_ADDR y)
{
    float value = 0;
    float index = 0;
    GetReduceMaxMinCount<float>(value, index);  // UNMODELLED_MAXMIN
    (void)x; (void)y;
}

extern "C" __global__ __aicore__ void broadcast_rows(GM_ADDR x, GM_ADDR y)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 1024);
    LocalTensor<float> t = buf.Get<float>();
    const uint32_t dstShape[2] = {8, 8};
    const uint32_t srcShape[2] = {1, 8};
    BroadCast<float, 2, 0>(t, t, dstShape, srcShape);  // UNMODELLED_BROADCAST
    (void)x; (void)y;
}
