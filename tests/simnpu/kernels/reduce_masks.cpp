// The vector mask set outside the API (isSetMask=false) in normal and counter mode (SetMaskCount), for reductions
// and the mask form of a vector API.
// red: [8..11] WholeReduceSum<false> in counter mode over 200 elements; [16..18] BlockReduceSum<false>
//      in counter mode over 20 elements; [24,25] WholeReduceSum<false> in normal mode with bits 8..15, 2 repeats;
//      [26] ReduceSum<false> count form in counter mode over 100 elements.
// adds: Adds with mask[2] = {70, 0} in counter mode; adds2: Adds<false> in counter mode over 130 elements.
#include "kernel_operator.h"
using namespace AscendC;

constexpr uint32_t N = 256;

extern "C" __global__ __aicore__ void reduce_masks(GM_ADDR x, GM_ADDR red, GM_ADDR adds, GM_ADDR adds2)
{
    GlobalTensor<float> xGm, redGm, addsGm, adds2Gm;
    xGm.SetGlobalBuffer((__gm__ float *)x, N);
    redGm.SetGlobalBuffer((__gm__ float *)red, 32);
    addsGm.SetGlobalBuffer((__gm__ float *)adds, N);
    adds2Gm.SetGlobalBuffer((__gm__ float *)adds2, N);
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 4 * N * sizeof(float) + 32 * sizeof(float));
    LocalTensor<float> xl = buf.Get<float>();
    LocalTensor<float> o = xl[N];
    LocalTensor<float> o2 = xl[2 * N];
    LocalTensor<float> tmp = xl[3 * N];
    LocalTensor<float> r = xl[4 * N];
    DataCopy(xl, xGm, N);
    SetFlag<HardEvent::MTE2_V>(0);
    WaitFlag<HardEvent::MTE2_V>(0);
    Duplicate(r, 0.0f, 32);
    Duplicate(o, 0.0f, N);
    Duplicate(o2, 0.0f, N);

    SetMaskCount();
    SetVectorMask<float>(0, 200);
    WholeReduceSum<float, false>(r[8], xl, MASK_PLACEHOLDER, 1, 1, 1, 8);
    SetVectorMask<float, MaskMode::COUNTER>(20);
    BlockReduceSum<float, false>(r[16], xl, 1, MASK_PLACEHOLDER, 1, 1, 8);
    SetMaskNorm();
    ResetMask();

    SetVectorMask<float>(0, 0xFF00);
    WholeReduceSum<float, false>(r[24], xl, MASK_PLACEHOLDER, 2, 1, 1, 8);
    ResetMask();

    SetMaskCount();
    SetVectorMask<float>(0, 100);
    ReduceSum<float, false>(r[26], xl, tmp, 1);
    SetMaskNorm();
    ResetMask();

    SetMaskCount();
    uint64_t mask[2] = {70, 0};
    Adds<float>(o, xl, 1.0f, mask, 1, {1, 1, 8, 8});
    SetVectorMask<float, MaskMode::COUNTER>(130);
    Adds<float, false>(o2, xl, 2.0f, MASK_PLACEHOLDER, 1, {1, 1, 8, 8});
    SetMaskNorm();
    ResetMask();

    SetFlag<HardEvent::V_MTE3>(0);
    WaitFlag<HardEvent::V_MTE3>(0);
    DataCopy(redGm, r, 32);
    DataCopy(addsGm, o, N);
    DataCopy(adds2Gm, o2, N);
}
