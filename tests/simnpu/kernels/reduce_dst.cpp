// Reduction destinations need only the alignment of what they write (ReduceRepeat.md 表3): one element for a sum
// or a value, a (value, index) pair for Max/Min with index. Sources stay 32-byte aligned.
// z: [0..3] ReduceSum of four rows into z[j]; [5] WholeReduceSum into z[5]; [6, 7] WholeReduceMax (value, index)
//    into z[6]; [9] ReduceMax (count form, value only) into z[9].
#include "kernel_operator.h"
using namespace AscendC;

constexpr uint32_t N = 256;

extern "C" __global__ __aicore__ void reduce_dst(GM_ADDR x, GM_ADDR z)
{
    GlobalTensor<float> xGm, zGm;
    xGm.SetGlobalBuffer((__gm__ float *)x, N);
    zGm.SetGlobalBuffer((__gm__ float *)z, 16);
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 2 * N * sizeof(float) + 16 * sizeof(float));
    LocalTensor<float> xl = buf.Get<float>();
    LocalTensor<float> tmp = xl[N];
    LocalTensor<float> r = xl[2 * N];
    DataCopy(xl, xGm, N);
    SetFlag<HardEvent::MTE2_V>(0);
    WaitFlag<HardEvent::MTE2_V>(0);
    Duplicate(r, 0.0f, 16);
    for (int32_t j = 0; j < 4; j++) {
        ReduceSum<float>(r[j], xl[j * 64], tmp, 64);
    }
    WholeReduceSum<float>(r[5], xl, 64, 1, 1, 1, 8);
    WholeReduceMax<float>(r[6], xl, 64, 1, 1, 1, 8, ReduceOrder::ORDER_VALUE_INDEX);
    ReduceMax<float>(r[9], xl, tmp, N, false);
    SetFlag<HardEvent::V_MTE3>(0);
    WaitFlag<HardEvent::V_MTE3>(0);
    DataCopy(zGm, r, 16);
}
