// Fixpipe out of an NZ L0C (C = A @ B, 32 x 32 float): (1) to L1 with CFG_NZ and F322F16 (dstStride = 32 B blocks
// between the Z columns), then L1 -> GM as is: nz[g][i][c] = C[i][16 g + c]; (2) to GM ND with ndNum = 2, the
// second NZ matrix (the second Z column) srcNdStride = 2 KB-fractals away: split[t][i][c] = C[i][16 t + c].
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fixpipe_nz_l1(GM_ADDR a, GM_ADDR bt, GM_ADDR nz, GM_ADDR split)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIC_ONLY);
    TPipe pipe;
    TBuf<TPosition::A1> l1;
    TBuf<TPosition::C1> l1out;
    TBuf<TPosition::A2> l0a;
    TBuf<TPosition::B2> l0b;
    TBuf<TPosition::CO1> l0c;
    pipe.InitBuffer(l1, 2048);
    pipe.InitBuffer(l1out, 2048);
    pipe.InitBuffer(l0a, 1024);
    pipe.InitBuffer(l0b, 1024);
    pipe.InitBuffer(l0c, 4096);
    GlobalTensor<half> aGm, bGm, nzGm;
    GlobalTensor<float> splitGm;
    aGm.SetGlobalBuffer((__gm__ half *)a, 512);   // A 32 x 16: two Zz fractals (m blocks)
    bGm.SetGlobalBuffer((__gm__ half *)bt, 512);  // B^T 32 x 16: two Zn fractals (n blocks)
    nzGm.SetGlobalBuffer((__gm__ half *)nz, 1024);
    splitGm.SetGlobalBuffer((__gm__ float *)split, 1024);
    LocalTensor<half> l1t = l1.Get<half>();
    DataCopy(l1t, aGm, 512);
    DataCopy(l1t[512], bGm, 512);
    SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    LoadData(l0a.Get<half>(), l1t, LoadData2DParams(0, 2, 1, 0, 0, false, 0));
    LoadData(l0b.Get<half>(), l1t[512], LoadData2DParams(0, 2, 1, 0, 0, false, 0));
    SetFlag<HardEvent::MTE1_M>(EVENT_ID0);
    WaitFlag<HardEvent::MTE1_M>(EVENT_ID0);
    LocalTensor<float> cl = l0c.Get<float>();
    Mmad(cl, l0a.Get<half>(), l0b.Get<half>(), MmadParams(32, 32, 16, 0, false, true));
    SetFlag<HardEvent::M_FIX>(EVENT_ID0);
    WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
    LocalTensor<half> o1 = l1out.Get<half>();
    FixpipeParamsV220 fp(32, 32, 32, 32, false);
    fp.quantPre = QuantMode_t::F322F16;
    Fixpipe<half, float, CFG_NZ>(o1, cl, fp);
    FixpipeParamsV220 nd(16, 32, 32, 16, false);
    nd.ndNum = 2;
    nd.srcNdStride = 2;
    nd.dstNdStride = 32 * 16;
    Fixpipe<float, float, CFG_ROW_MAJOR>(splitGm, cl, nd);
    SetFlag<HardEvent::FIX_MTE3>(EVENT_ID0);
    WaitFlag<HardEvent::FIX_MTE3>(EVENT_ID0);
    DataCopy(nzGm, o1, 1024);
}
