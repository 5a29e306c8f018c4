// Cast float -> float with a RoundMode rounds each value to an integral float (the floor/round/ceil/trunc/rint of
// Ascend C kernels, e.g. range reduction before a polynomial). Outputs: rint, floor, ceil, round, trunc of x.
#include "kernel_operator.h"
using namespace AscendC;

constexpr uint32_t N = 64;

extern "C" __global__ __aicore__ void cast_float_integral(GM_ADDR x, GM_ADDR rint, GM_ADDR floor_, GM_ADDR ceil_,
                                                          GM_ADDR round_, GM_ADDR trunc_)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> inBuf, outBuf;
    pipe.InitBuffer(inBuf, N * sizeof(float));
    pipe.InitBuffer(outBuf, N * sizeof(float));
    GlobalTensor<float> xGm;
    xGm.SetGlobalBuffer((__gm__ float*)x, N);
    LocalTensor<float> in = inBuf.Get<float>();
    LocalTensor<float> out = outBuf.Get<float>();
    DataCopy(in, xGm, N);
    PipeBarrier<PIPE_ALL>();
    GM_ADDR outs[5] = {rint, floor_, ceil_, round_, trunc_};
    const RoundMode modes[5] = {RoundMode::CAST_RINT, RoundMode::CAST_FLOOR, RoundMode::CAST_CEIL,
                                RoundMode::CAST_ROUND, RoundMode::CAST_TRUNC};
    for (int i = 0; i < 5; ++i) {
        Cast(out, in, modes[i], N);
        PipeBarrier<PIPE_ALL>();
        GlobalTensor<float> yGm;
        yGm.SetGlobalBuffer((__gm__ float*)outs[i], N);
        DataCopy(yGm, out, N);
        PipeBarrier<PIPE_ALL>();
    }
}
