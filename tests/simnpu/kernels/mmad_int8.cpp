// int8 x int8 -> int32 Mmad: A (16 x 32) row-major is one L0A fractal (16 x 32 int8); B is given transposed
// (bt = B^T, 16 x 32), which is exactly one L0B fractal (16 n-rows x 32 k-columns). The int32 result (one
// 16 x 16 NZ fractal in L0C) goes out through Fixpipe without conversion.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void mmad_int8(GM_ADDR a, GM_ADDR bt, GM_ADDR c)
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
    GlobalTensor<int8_t> aGm, bGm;
    aGm.SetGlobalBuffer((__gm__ int8_t *)a, 512);
    bGm.SetGlobalBuffer((__gm__ int8_t *)bt, 512);
    GlobalTensor<int32_t> cGm;
    cGm.SetGlobalBuffer((__gm__ int32_t *)c, 256);
    LocalTensor<int8_t> l1t = l1.Get<int8_t>();
    DataCopy(l1t, aGm, 512);
    DataCopy(l1t[512], bGm, 512);
    SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    LoadData2DParams p;
    p.repeatTimes = 1;
    LoadData(l0a.Get<int8_t>(), l1t, p);
    LoadData(l0b.Get<int8_t>(), l1t[512], p);
    SetFlag<HardEvent::MTE1_M>(EVENT_ID0);
    WaitFlag<HardEvent::MTE1_M>(EVENT_ID0);
    LocalTensor<int32_t> cl = l0c.Get<int32_t>();
    Mmad(cl, l0a.Get<int8_t>(), l0b.Get<int8_t>(), MmadParams(16, 16, 32));
    SetFlag<HardEvent::M_FIX>(EVENT_ID0);
    WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
    Fixpipe<int32_t, int32_t, CFG_ROW_MAJOR>(cGm, cl, FixpipeParamsV220(16, 16, 16, 16, false));
}
