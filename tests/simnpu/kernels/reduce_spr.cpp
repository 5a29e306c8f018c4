// GetReduceMaxMinCount / GetReduceRepeatMaxMinSpr: the max/min register the Max/Min reductions leave.
// vals[0], idx[0]: counter-mode WholeReduceMin over all N floats (as BLAS isamin kernels use it): the minimum and
//   its element index; vals[1], idx[1]: WholeReduceMax in normal mode over 3 repeats of 64, via the newer name.
#include "kernel_operator.h"

using namespace AscendC;

constexpr uint32_t N = 300;

extern "C" __global__ __aicore__ void reduce_spr(GM_ADDR x, GM_ADDR vals, GM_ADDR idx)
{
    TPipe pipe;
    TQue<TPosition::VECIN, 1> inQ;
    TBuf<TPosition::VECCALC> dstB;
    pipe.InitBuffer(inQ, 1, 320 * sizeof(float));
    pipe.InitBuffer(dstB, 256);
    GlobalTensor<float> xGm, valsGm;
    GlobalTensor<int32_t> idxGm;
    xGm.SetGlobalBuffer((__gm__ float*)x, N);
    valsGm.SetGlobalBuffer((__gm__ float*)vals, 8);
    idxGm.SetGlobalBuffer((__gm__ int32_t*)idx, 8);
    LocalTensor<float> xL = inQ.AllocTensor<float>();
    DataCopyPad(xL, xGm, DataCopyExtParams(1, N * sizeof(float), 0, 0, 0), DataCopyPadExtParams<float>(false, 0, 0, 0.0f));
    inQ.EnQue(xL);
    xL = inQ.DeQue<float>();
    LocalTensor<float> d = dstB.Get<float>();
    SetMaskCount();
    SetVectorMask<float, MaskMode::COUNTER>(0, N);
    WholeReduceMin<float, false>(d, xL, MASK_PLACEHOLDER, 1, 1, 1, 8);
    SetMaskNorm();
    ResetMask();
    event_t e = static_cast<event_t>(GetTPipePtr()->FetchEventID(HardEvent::V_S));
    SetFlag<HardEvent::V_S>(e);
    WaitFlag<HardEvent::V_S>(e);
    float val = 0, index = 0;
    GetReduceMaxMinCount<float>(val, index);
    valsGm.SetValue(0, val);
    idxGm.SetValue(0, *reinterpret_cast<int32_t*>(&index));
    WholeReduceMax<float>(d, xL, 64, 3, 1, 1, 8);
    SetFlag<HardEvent::V_S>(e);
    WaitFlag<HardEvent::V_S>(e);
    GetReduceRepeatMaxMinSpr<float>(val, index);
    valsGm.SetValue(1, val);
    idxGm.SetValue(1, *reinterpret_cast<int32_t*>(&index));
    inQ.FreeTensor(xL);
}
