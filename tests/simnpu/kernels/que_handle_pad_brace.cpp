// y = x + x over N floats (N not a multiple of 8), written with two CANN forms:
// - the TBufHandle forms of TQue (AllocBuffer, EnQue(handle), DeQue() with no template argument, FreeBuffer) next
//   to the tensor forms on the same queue;
// - DataCopyPad(gm, ub, {count, len, srcStride, dstStride}): a four-value brace list, which CANN resolves to
//   DataCopyParams (DataCopyExtParams has no four-argument constructor).
// tail: the UB block holding x's last 4 floats after the GM -> UB DataCopyPad with no left/right padding: the dummy
//   data up to 32 bytes repeats the block's first element.
#include "kernel_operator.h"

using namespace AscendC;

constexpr uint32_t N = 100;

extern "C" __global__ __aicore__ void que_handle_pad_brace(GM_ADDR x, GM_ADDR y, GM_ADDR tail)
{
    TPipe pipe;
    TQue<TPosition::VECIN, 1> inQ;
    TQue<TPosition::VECOUT, 1> outQ;
    pipe.InitBuffer(inQ, 1, 512);
    pipe.InitBuffer(outQ, 1, 512);
    GlobalTensor<float> xGm, yGm, tailGm;
    xGm.SetGlobalBuffer((__gm__ float*)x, N);
    yGm.SetGlobalBuffer((__gm__ float*)y, N);
    tailGm.SetGlobalBuffer((__gm__ float*)tail, 8);
    // A buffer taken and returned by handle first: the queue is free again afterwards.
    TBufHandle h = inQ.AllocBuffer();
    inQ.EnQue(h);
    TBufHandle back = inQ.DeQue();
    inQ.FreeBuffer(back);
    LocalTensor<float> xL = inQ.AllocTensor<float>();
    DataCopyPad(xL, xGm, {1, static_cast<uint16_t>(N * sizeof(float)), 0, 0}, {false, 0, 0, 0});
    inQ.EnQue(xL);
    inQ.DeQue();  // the handle form, result unused (the kernel keeps using xL)
    for (uint32_t i = 0; i < 8; ++i) tailGm.SetValue(i, xL.GetValue(96 + i));
    LocalTensor<float> yL = outQ.AllocTensor<float>();
    Add(yL, xL, xL, N);
    inQ.FreeTensor(xL);
    outQ.EnQue(yL);
    yL = outQ.DeQue<float>();
    DataCopyPad(yGm, yL, {1, static_cast<uint16_t>(N * sizeof(float)), 0, 0});
    outQ.FreeTensor(yL);
}
