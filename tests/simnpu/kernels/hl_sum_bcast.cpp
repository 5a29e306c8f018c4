// Sum and Broadcast high-level APIs (direct launch: sizes are constants).
// hl_sum: row sums of x [ROWS, N] (N not 32-byte aligned: rows padded to INNER with DataCopyPad) with SumParams
//   and a sharedTmpBuffer of GetSumMaxMinTmpSize's size; y holds ROWS sums, padded to 8.
// hl_bcast: Broadcast<float, 2, 1> of a column [M, 1] to [M, K] with K not 32-byte aligned, BroadCast<half, 2, 0>
//   of row 0 over [M, KH] in place (as kernels broadcast gamma), and Broadcast<float, 1, 0> of one value to [K1].
#include "kernel_operator.h"

using namespace AscendC;

constexpr uint32_t ROWS = 5, N = 13, INNER = 16;
constexpr uint32_t M = 6, K = 20, KH = 32, K1 = 40;

extern "C" __global__ __aicore__ void hl_sum(GM_ADDR x, GM_ADDR y)
{
    TPipe pipe;
    TQue<TPosition::VECIN, 1> inQ;
    TQue<TPosition::VECOUT, 1> outQ;
    TBuf<TPosition::VECCALC> tmpB;
    uint32_t maxSize = 0, minSize = 0;
    GetSumMaxMinTmpSize(N, sizeof(float), false, maxSize, minSize);
    pipe.InitBuffer(inQ, 1, ROWS * INNER * sizeof(float));
    pipe.InitBuffer(outQ, 1, 8 * sizeof(float));
    pipe.InitBuffer(tmpB, minSize);
    GlobalTensor<float> xGm, yGm;
    xGm.SetGlobalBuffer((__gm__ float*)x, ROWS * N);
    yGm.SetGlobalBuffer((__gm__ float*)y, 8);
    LocalTensor<float> xL = inQ.AllocTensor<float>();
    DataCopyPad(xL, xGm, DataCopyExtParams(ROWS, N * sizeof(float), 0, 0, 0),
                DataCopyPadExtParams<float>(true, 0, INNER - N, 0.0f));
    inQ.EnQue(xL);
    xL = inQ.DeQue<float>();
    LocalTensor<float> yL = outQ.AllocTensor<float>();
    Duplicate(yL, 0.0f, 8);
    SumParams params;
    params.outter = ROWS;
    params.inner = INNER;
    params.n = N;
    Sum(yL, xL, tmpB.Get<uint8_t>(), params);
    outQ.EnQue(yL);
    yL = outQ.DeQue<float>();
    DataCopy(yGm, yL, 8);
}

extern "C" __global__ __aicore__ void hl_bcast(GM_ADDR col, GM_ADDR row, GM_ADDR one, GM_ADDR out1, GM_ADDR out0,
                                                GM_ADDR outScalar)
{
    TPipe pipe;
    TQue<TPosition::VECIN, 1> colQ, rowQ, oneQ;
    TQue<TPosition::VECOUT, 1> o1Q, o0Q;
    TBuf<TPosition::VECCALC> tmpB;
    pipe.InitBuffer(colQ, 1, 32);
    pipe.InitBuffer(rowQ, 1, M * KH * sizeof(half));
    pipe.InitBuffer(oneQ, 1, K1 * sizeof(float));
    pipe.InitBuffer(o1Q, 1, M * K * sizeof(float));
    pipe.InitBuffer(o0Q, 1, K1 * sizeof(float));
    pipe.InitBuffer(tmpB, 1024);
    GlobalTensor<float> colGm, oneGm, out1Gm, scalarGm;
    GlobalTensor<half> rowGm, out0Gm;
    colGm.SetGlobalBuffer((__gm__ float*)col, M);
    rowGm.SetGlobalBuffer((__gm__ half*)row, KH);
    oneGm.SetGlobalBuffer((__gm__ float*)one, 8);
    out1Gm.SetGlobalBuffer((__gm__ float*)out1, M * K);
    out0Gm.SetGlobalBuffer((__gm__ half*)out0, M * KH);
    scalarGm.SetGlobalBuffer((__gm__ float*)outScalar, K1);
    LocalTensor<float> colL = colQ.AllocTensor<float>();
    LocalTensor<half> rowL = rowQ.AllocTensor<half>();
    LocalTensor<float> oneL = oneQ.AllocTensor<float>();
    DataCopy(colL, colGm, 8);
    DataCopy(rowL, rowGm, KH);
    DataCopy(oneL, oneGm, 8);
    colQ.EnQue(colL);
    rowQ.EnQue(rowL);
    oneQ.EnQue(oneL);
    colL = colQ.DeQue<float>();
    rowL = rowQ.DeQue<half>();
    oneL = oneQ.DeQue<float>();
    LocalTensor<float> o1 = o1Q.AllocTensor<float>();
    LocalTensor<float> o0 = o0Q.AllocTensor<float>();
    const uint32_t colSrc[2] = {M, 1}, colDst[2] = {M, K};
    Broadcast<float, 2, 1>(o1, colL, colDst, colSrc, tmpB.Get<uint8_t>());
    const uint32_t rowSrc[2] = {1, KH}, rowDst[2] = {M, KH};
    BroadCast<half, 2, 0>(rowL, rowL, rowDst, rowSrc, tmpB.Get<uint8_t>());
    const uint32_t oneSrc[1] = {1}, oneDst[1] = {K1};
    Broadcast<float, 1, 0>(o0, oneL, oneDst, oneSrc);
    o1Q.EnQue(o1);
    o0Q.EnQue(o0);
    o1 = o1Q.DeQue<float>();
    o0 = o0Q.DeQue<float>();
    event_t e = static_cast<event_t>(GetTPipePtr()->FetchEventID(HardEvent::V_MTE3));
    SetFlag<HardEvent::V_MTE3>(e);
    WaitFlag<HardEvent::V_MTE3>(e);
    DataCopy(out1Gm, o1, M * K);
    DataCopy(out0Gm, rowL, M * KH);
    DataCopy(scalarGm, o0, K1);
}
