// unitFlag: Mmad and Fixpipe hand the L0C fractals over without an M_FIX event. The Mmad's unitFlag comes from
// the input (3 releases the fractals to the Fixpipe; 2 keeps them, so the Fixpipe with unitFlag 3 waits forever).
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void unit_flag(GM_ADDR a, GM_ADDR bt, GM_ADDR mode, GM_ADDR c)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIC_ONLY);
    TPipe pipe;
    TBuf<TPosition::A1> l1;
    TBuf<TPosition::A2> l0a;
    TBuf<TPosition::B2> l0b;
    TBuf<TPosition::CO1> l0c;
    pipe.InitBuffer(l1, 1024);
    pipe.InitBuffer(l0a, 512);
    pipe.InitBuffer(l0b, 512);
    pipe.InitBuffer(l0c, 1024);
    GlobalTensor<half> aGm, bGm;
    GlobalTensor<int32_t> modeGm;
    GlobalTensor<float> cGm;
    aGm.SetGlobalBuffer((__gm__ half *)a, 256);
    bGm.SetGlobalBuffer((__gm__ half *)bt, 256);
    modeGm.SetGlobalBuffer((__gm__ int32_t *)mode, 8);
    cGm.SetGlobalBuffer((__gm__ float *)c, 256);
    uint8_t mmadFlag = static_cast<uint8_t>(modeGm.GetValue(0));
    LocalTensor<half> l1t = l1.Get<half>();
    DataCopy(l1t, aGm, 256);
    DataCopy(l1t[256], bGm, 256);
    SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    LoadData(l0a.Get<half>(), l1t, LoadData2DParams(0, 1, 0, 0, 0, false, 0));
    LoadData(l0b.Get<half>(), l1t[256], LoadData2DParams(0, 1, 0, 0, 0, false, 0));
    SetFlag<HardEvent::MTE1_M>(EVENT_ID0);
    WaitFlag<HardEvent::MTE1_M>(EVENT_ID0);
    LocalTensor<float> cl = l0c.Get<float>();
    Mmad(cl, l0a.Get<half>(), l0b.Get<half>(), MmadParams(16, 16, 16, mmadFlag, false, true));
    Fixpipe(cGm, cl, FixpipeParamsV220(16, 16, 16, 16, false, QuantMode_t::NoQuant, 0, 1, 0, 0, 3));  // HANG
}
