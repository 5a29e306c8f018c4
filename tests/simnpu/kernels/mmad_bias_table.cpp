// Mmad with a bias row: bias (float, N = 32) goes GM -> L1 (C1) -> BiasTable (C2, blockLen in 64 B). c1 uses the
// bias-tensor form (cmatrixInitVal = false); c2 the plain form with cmatrixSource = true (table read from 0);
// c0 the bias-tensor form with cmatrixInitVal = true (the table is ignored: C = A @ B).
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void mmad_bias_table(GM_ADDR a, GM_ADDR bt, GM_ADDR bias, GM_ADDR c1, GM_ADDR c2,
                                                      GM_ADDR c0)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIC_ONLY);
    TPipe pipe;
    TBuf<TPosition::A1> l1;
    TBuf<TPosition::C1> l1b;
    TBuf<TPosition::C2> btBuf;
    TBuf<TPosition::A2> l0a;
    TBuf<TPosition::B2> l0b;
    TBuf<TPosition::CO1> l0c;
    pipe.InitBuffer(l1, 1024 + 1024);
    pipe.InitBuffer(l1b, 128);
    pipe.InitBuffer(btBuf, 128);
    pipe.InitBuffer(l0a, 512);
    pipe.InitBuffer(l0b, 1024);
    pipe.InitBuffer(l0c, 2048);
    GlobalTensor<half> aGm, bGm;
    GlobalTensor<float> biasGm, c1Gm, c2Gm, c0Gm;
    aGm.SetGlobalBuffer((__gm__ half *)a, 256);       // A: 16 x 16
    bGm.SetGlobalBuffer((__gm__ half *)bt, 512);      // B^T: 32 x 16 = two Zn fractals (n blocks) of one k row
    biasGm.SetGlobalBuffer((__gm__ float *)bias, 32);
    c1Gm.SetGlobalBuffer((__gm__ float *)c1, 512);
    c2Gm.SetGlobalBuffer((__gm__ float *)c2, 512);
    c0Gm.SetGlobalBuffer((__gm__ float *)c0, 512);
    LocalTensor<half> l1t = l1.Get<half>();
    LocalTensor<float> b1 = l1b.Get<float>();
    DataCopy(l1t, aGm, 256);
    DataCopy(l1t[256], bGm, 512);
    DataCopy(b1, biasGm, 32);
    SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    LocalTensor<float> bt2 = btBuf.Get<float>();
    DataCopy(bt2, b1, DataCopyParams(1, 32 * sizeof(float) / 64, 0, 0));
    LoadData(l0a.Get<half>(), l1t, LoadData2DParams(0, 1, 0, 0, 0, false, 0));
    LoadData(l0b.Get<half>(), l1t[256], LoadData2DParams(0, 2, 1, 0, 0, false, 0));
    SetFlag<HardEvent::MTE1_M>(EVENT_ID0);
    WaitFlag<HardEvent::MTE1_M>(EVENT_ID0);
    LocalTensor<float> cl = l0c.Get<float>();
    MmadParams mp;
    mp.m = 16;
    mp.n = 32;
    mp.k = 16;
    mp.cmatrixInitVal = false;
    Mmad(cl, l0a.Get<half>(), l0b.Get<half>(), bt2, mp);
    SetFlag<HardEvent::M_FIX>(EVENT_ID0);
    WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
    Fixpipe(c1Gm, cl, FixpipeParamsV220(32, 16, 16, 32, false));
    SetFlag<HardEvent::FIX_M>(EVENT_ID0);
    WaitFlag<HardEvent::FIX_M>(EVENT_ID0);
    mp.cmatrixSource = true;
    Mmad(cl, l0a.Get<half>(), l0b.Get<half>(), mp);
    SetFlag<HardEvent::M_FIX>(EVENT_ID0);
    WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
    Fixpipe(c2Gm, cl, FixpipeParamsV220(32, 16, 16, 32, false));
    SetFlag<HardEvent::FIX_M>(EVENT_ID0);
    WaitFlag<HardEvent::FIX_M>(EVENT_ID0);
    mp.cmatrixSource = false;
    mp.cmatrixInitVal = true;
    Mmad(cl, l0a.Get<half>(), l0b.Get<half>(), bt2, mp);
    SetFlag<HardEvent::M_FIX>(EVENT_ID0);
    WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
    Fixpipe(c0Gm, cl, FixpipeParamsV220(32, 16, 16, 32, false));
}
