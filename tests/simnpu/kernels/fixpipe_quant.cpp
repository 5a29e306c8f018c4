// int8 x int8 -> int32 C (16 x 16), then Fixpipe quant modes: DEQF16 with a scalar scale of 0.5 (deq), the same
// with reluEn (deq_relu), VDEQF16 with a per-column uint64_t scale tensor in L1 (vdeq, scales given as 32 int32
// words), and REQ8 to int8 with scale 1/64 and the sign bit (req).
#include "kernel_operator.h"
using namespace AscendC;

__aicore__ inline uint64_t F32Bits(float f)
{
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

extern "C" __global__ __aicore__ void fixpipe_quant(GM_ADDR a, GM_ADDR bt, GM_ADDR scales, GM_ADDR deq,
                                                    GM_ADDR deq_relu, GM_ADDR vdeq, GM_ADDR req)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIC_ONLY);
    TPipe pipe;
    TBuf<TPosition::A1> l1;
    TBuf<TPosition::C1> l1q;
    TBuf<TPosition::A2> l0a;
    TBuf<TPosition::B2> l0b;
    TBuf<TPosition::CO1> l0c;
    pipe.InitBuffer(l1, 1024);
    pipe.InitBuffer(l1q, 128);
    pipe.InitBuffer(l0a, 512);
    pipe.InitBuffer(l0b, 512);
    pipe.InitBuffer(l0c, 1024);
    GlobalTensor<int8_t> aGm, bGm, reqGm;
    GlobalTensor<uint64_t> sGm;
    GlobalTensor<half> deqGm, reluGm, vdeqGm;
    aGm.SetGlobalBuffer((__gm__ int8_t *)a, 512);
    bGm.SetGlobalBuffer((__gm__ int8_t *)bt, 512);
    sGm.SetGlobalBuffer((__gm__ uint64_t *)scales, 16);
    deqGm.SetGlobalBuffer((__gm__ half *)deq, 256);
    reluGm.SetGlobalBuffer((__gm__ half *)deq_relu, 256);
    vdeqGm.SetGlobalBuffer((__gm__ half *)vdeq, 256);
    reqGm.SetGlobalBuffer((__gm__ int8_t *)req, 256);
    LocalTensor<int8_t> l1t = l1.Get<int8_t>();
    LocalTensor<uint64_t> q = l1q.Get<uint64_t>();
    DataCopy(l1t, aGm, 512);
    DataCopy(l1t[512], bGm, 512);
    DataCopy(q, sGm, 16);
    SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    LoadData(l0a.Get<int8_t>(), l1t, LoadData2DParams(0, 1, 0, 0, 0, false, 0));
    LoadData(l0b.Get<int8_t>(), l1t[512], LoadData2DParams(0, 1, 0, 0, 0, false, 0));
    SetFlag<HardEvent::MTE1_M>(EVENT_ID0);
    WaitFlag<HardEvent::MTE1_M>(EVENT_ID0);
    LocalTensor<int32_t> cl = l0c.Get<int32_t>();
    Mmad(cl, l0a.Get<int8_t>(), l0b.Get<int8_t>(), MmadParams(16, 16, 32, 0, false, true));
    SetFlag<HardEvent::M_FIX>(EVENT_ID0);
    WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
    SetFlag<HardEvent::MTE2_FIX>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_FIX>(EVENT_ID0);
    Fixpipe(deqGm, cl, FixpipeParamsV220(16, 16, 16, 16, false, QuantMode_t::DEQF16, F32Bits(0.5f), 1, 0, 0, 0));
    Fixpipe(reluGm, cl, FixpipeParamsV220(16, 16, 16, 16, true, QuantMode_t::DEQF16, F32Bits(0.5f), 1, 0, 0, 0));
    FixpipeParamsV220 vp(16, 16, 16, 16, false);
    vp.quantPre = QuantMode_t::VDEQF16;
    Fixpipe<half, int32_t, CFG_ROW_MAJOR>(vdeqGm, cl, q, vp);
    FixpipeParamsV220 rp(16, 16, 16, 16, false);
    rp.quantPre = QuantMode_t::REQ8;
    rp.deqScalar = F32Bits(1.0f / 64) | (1ull << 46);
    Fixpipe(reqGm, cl, rp);
}
