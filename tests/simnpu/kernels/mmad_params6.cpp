// The six-argument MmadParams {m, n, k, unitFlag, cmatrixSource, cmatrixInitVal}: the second Mmad keeps the
// first one's result (cmatrixInitVal = false, source CO1), so C = 2 * A @ B. The eight-argument form with
// the deprecated isBias = true accumulates too: c3 = 3 * A @ B.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void mmad_params6(GM_ADDR a, GM_ADDR bt, GM_ADDR c, GM_ADDR c3)
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
    GlobalTensor<float> cGm, c3Gm;
    aGm.SetGlobalBuffer((__gm__ half *)a, 256);
    bGm.SetGlobalBuffer((__gm__ half *)bt, 256);
    cGm.SetGlobalBuffer((__gm__ float *)c, 256);
    c3Gm.SetGlobalBuffer((__gm__ float *)c3, 256);
    LocalTensor<half> l1t = l1.Get<half>();
    DataCopy(l1t, aGm, 256);       // one 16 x 16 fractal: A row-major
    DataCopy(l1t[256], bGm, 256);  // B^T row-major is the Zn fractal of B
    SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    LoadData(l0a.Get<half>(), l1t, LoadData2DParams(0, 1, 0, 0, 0, false, 0));
    LoadData(l0b.Get<half>(), l1t[256], LoadData2DParams(0, 1, 0, 0, 0, false, 0));
    SetFlag<HardEvent::MTE1_M>(EVENT_ID0);
    WaitFlag<HardEvent::MTE1_M>(EVENT_ID0);
    LocalTensor<float> cl = l0c.Get<float>();
    Mmad(cl, l0a.Get<half>(), l0b.Get<half>(), MmadParams{16, 16, 16, 0, false, true});
    PipeBarrier<PIPE_M>();
    Mmad(cl, l0a.Get<half>(), l0b.Get<half>(), MmadParams{16, 16, 16, 0, false, false});
    SetFlag<HardEvent::M_FIX>(EVENT_ID0);
    WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
    Fixpipe(cGm, cl, FixpipeParamsV220(16, 16, 16, 16, false));
    SetFlag<HardEvent::FIX_M>(EVENT_ID0);
    WaitFlag<HardEvent::FIX_M>(EVENT_ID0);
    Mmad(cl, l0a.Get<half>(), l0b.Get<half>(), MmadParams(16, 16, 16, true, 0, false, false, false));
    SetFlag<HardEvent::M_FIX>(EVENT_ID0);
    WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
    Fixpipe(c3Gm, cl, FixpipeParamsV220(16, 16, 16, 16, false));
}
