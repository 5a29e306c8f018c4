// Cast half -> int8_t and half -> uint8_t with RoundMode::CAST_NONE, which the Atlas A2 Cast table lists (CAST_NONE
// rounds like CAST_RINT where the conversion loses precision; out-of-range values saturate).
#include "kernel_operator.h"
using namespace AscendC;

constexpr uint32_t N = 128;

extern "C" __global__ __aicore__ void cast_half_int8(GM_ADDR h, GM_ADDR i8, GM_ADDR u8)
{
    GlobalTensor<half> hGm;
    GlobalTensor<int8_t> i8Gm;
    GlobalTensor<uint8_t> u8Gm;
    hGm.SetGlobalBuffer((__gm__ half *)h, N);
    i8Gm.SetGlobalBuffer((__gm__ int8_t *)i8, N);
    u8Gm.SetGlobalBuffer((__gm__ uint8_t *)u8, N);
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, N * sizeof(half) + 2 * N);
    LocalTensor<half> hl = buf.Get<half>();
    LocalTensor<int8_t> il = hl[N].ReinterpretCast<int8_t>();
    LocalTensor<uint8_t> ul = il[N].ReinterpretCast<uint8_t>();
    DataCopy(hl, hGm, N);
    SetFlag<HardEvent::MTE2_V>(0);
    WaitFlag<HardEvent::MTE2_V>(0);
    Cast(il, hl, RoundMode::CAST_NONE, N);
    Cast(ul, hl, RoundMode::CAST_NONE, N);
    SetFlag<HardEvent::V_MTE3>(0);
    WaitFlag<HardEvent::V_MTE3>(0);
    DataCopy(i8Gm, il, N);
    DataCopy(u8Gm, ul, N);
}

// half -> float accepts CAST_NONE only (the A2 table; on the NPU another mode converts nothing).
extern "C" __global__ __aicore__ void cast_half_float_rint(GM_ADDR h, GM_ADDR f)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, N * sizeof(half) + N * sizeof(float));
    LocalTensor<half> hl = buf.Get<half>();
    LocalTensor<float> fl = hl[N].ReinterpretCast<float>();
    Cast(fl, hl, RoundMode::CAST_RINT, N);  // FAULT
}
