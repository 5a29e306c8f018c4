// InitConstValue: in L1 (32 B blocks) 8 blocks of 0, then 2 repeats x 2 blocks of 2.5 with a 1-block gap, copied
// out (fill); in L0A / L0B (512 B blocks) one fractal of 1 and one of 2, so A @ B = 32 everywhere (ones).
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void init_const(GM_ADDR fill, GM_ADDR ones)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIC_ONLY);
    TPipe pipe;
    TBuf<TPosition::A1> l1;
    TBuf<TPosition::A2> l0a;
    TBuf<TPosition::B2> l0b;
    TBuf<TPosition::CO1> l0c;
    pipe.InitBuffer(l1, 256);
    pipe.InitBuffer(l0a, 512);
    pipe.InitBuffer(l0b, 512);
    pipe.InitBuffer(l0c, 1024);
    GlobalTensor<float> fillGm, onesGm;
    fillGm.SetGlobalBuffer((__gm__ float *)fill, 64);
    onesGm.SetGlobalBuffer((__gm__ float *)ones, 256);
    LocalTensor<float> f = l1.Get<float>();
    InitConstValue(f, InitConstValueParams<float>(1, 8, 0, 0.0f));
    PipeBarrier<PIPE_MTE2>();
    InitConstValue(f, InitConstValueParams<float>(2, 2, 1, 2.5f));
    SetFlag<HardEvent::MTE2_MTE3>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_MTE3>(EVENT_ID0);
    DataCopy(fillGm, f, 64);
    InitConstValue(l0a.Get<half>(), InitConstValueParams<half>(1, 1, 0, half(1.0f)));
    InitConstValue(l0b.Get<half>(), InitConstValueParams<half>(1, 1, 0, half(2.0f)));
    SetFlag<HardEvent::MTE1_M>(EVENT_ID0);
    WaitFlag<HardEvent::MTE1_M>(EVENT_ID0);
    LocalTensor<float> cl = l0c.Get<float>();
    Mmad(cl, l0a.Get<half>(), l0b.Get<half>(), MmadParams(16, 16, 16, 0, false, true));
    SetFlag<HardEvent::M_FIX>(EVENT_ID0);
    WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
    Fixpipe(onesGm, cl, FixpipeParamsV220(16, 16, 16, 16, false));
}
