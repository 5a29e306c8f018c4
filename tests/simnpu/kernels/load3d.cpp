// LoadData with LoadData3DParamsV2 (load3dv2) against the documented img2col: (1) a half convolution, the NC1HWC0
// feature map (C1 2, H 5, W 6) expanded with padding (left 1, top 1, value 0.5), stride 2 and a 3 x 3 filter into
// L0A, the weights [288 x 32] moved L1 -> L0B by load3dv2 (always transposed to L0B), C = img2col(x) @ w;
// (2) float A given as A^T [16 x 24]: load3dv2 with enTranspose into L0A, B [16 x 16] by load3dv2 into L0B,
// C = A @ B.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void load3d(GM_ADDR x, GM_ADDR w, GM_ADDR at, GM_ADDR b, GM_ADDR c, GM_ADDR c2)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIC_ONLY);
    TPipe pipe;
    TBuf<TPosition::A1> l1a;
    TBuf<TPosition::B1> l1b;
    TBuf<TPosition::A2> l0a;
    TBuf<TPosition::B2> l0b;
    TBuf<TPosition::CO1> l0c;
    pipe.InitBuffer(l1a, 8192);
    pipe.InitBuffer(l1b, 32768);
    pipe.InitBuffer(l0a, 16384);
    pipe.InitBuffer(l0b, 32768);
    pipe.InitBuffer(l0c, 8192);
    GlobalTensor<half> xGm, wGm;
    GlobalTensor<float> atGm, bGm, cGm, c2Gm;
    xGm.SetGlobalBuffer((__gm__ half *)x, 2 * 5 * 6 * 16);
    wGm.SetGlobalBuffer((__gm__ half *)w, 288 * 32);
    atGm.SetGlobalBuffer((__gm__ float *)at, 16 * 24);
    bGm.SetGlobalBuffer((__gm__ float *)b, 16 * 16);
    cGm.SetGlobalBuffer((__gm__ float *)c, 6 * 32);
    c2Gm.SetGlobalBuffer((__gm__ float *)c2, 24 * 16);

    // (1) convolution through img2col
    LocalTensor<half> fm = l1a.Get<half>();
    LocalTensor<half> w1 = l1b.Get<half>();
    DataCopy(fm, xGm, 2 * 5 * 6 * 16);
    DataCopy(w1, wGm, Nd2NzParams(1, 288, 32, 0, 32, 288, 1, 0));
    SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    LocalTensor<half> a2 = l0a.Get<half>();
    LocalTensor<half> b2 = l0b.Get<half>();
    const uint8_t pad[4] = {1, 0, 1, 0};
    LoadData3DParamsV2<half> pa(pad, 5, 6, 32, 288, 16, 0, 0, 2, 2, 3, 3, 1, 1, false, false, (half)0.5);
    LoadData(a2, fm, pa);
    LoadData3DParamsV2<half> pb;
    pb.l1H = 288; pb.l1W = 1; pb.channelSize = 32; pb.kExtension = 32; pb.mExtension = 288;
    LoadData(b2, w1, pb);
    SetFlag<HardEvent::MTE1_M>(EVENT_ID0);
    WaitFlag<HardEvent::MTE1_M>(EVENT_ID0);
    LocalTensor<float> c1 = l0c.Get<float>();
    Mmad(c1, a2, b2, MmadParams(6, 32, 288, 0, false, true));
    SetFlag<HardEvent::M_FIX>(EVENT_ID0);
    WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
    Fixpipe(cGm, c1, FixpipeParamsV220(32, 6, 16, 32, false));
    PipeBarrier<PIPE_ALL>();

    // (2) float, A given transposed
    LocalTensor<float> at1 = l1a.Get<float>();
    LocalTensor<float> b1 = l1b.Get<float>();
    DataCopy(at1, atGm, Nd2NzParams(1, 16, 24, 0, 24, 16, 1, 0));
    DataCopy(b1, bGm, Nd2NzParams(1, 16, 16, 0, 16, 16, 1, 0));
    SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID1);
    WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID1);
    LocalTensor<float> fa2 = l0a.Get<float>();
    LocalTensor<float> fb2 = l0b.Get<float>();
    LoadData3DParamsV2<float> ta;
    ta.l1H = 1; ta.l1W = 16; ta.channelSize = 24; ta.kExtension = 24; ta.mExtension = 16; ta.enTranspose = true;
    LoadData(fa2, at1, ta);
    LoadData3DParamsV2<float> tb;
    tb.l1H = 16; tb.l1W = 1; tb.channelSize = 16; tb.kExtension = 16; tb.mExtension = 16;
    LoadData(fb2, b1, tb);
    SetFlag<HardEvent::MTE1_M>(EVENT_ID1);
    WaitFlag<HardEvent::MTE1_M>(EVENT_ID1);
    LocalTensor<float> fc1 = l0c.Get<float>();
    MmadParams mp(24, 16, 16, 0, false, true);
    mp.kDirectionAlign = true;
    Mmad(fc1, fa2, fb2, mp);
    SetFlag<HardEvent::M_FIX>(EVENT_ID1);
    WaitFlag<HardEvent::M_FIX>(EVENT_ID1);
    Fixpipe(c2Gm, fc1, FixpipeParamsV220(16, 24, 32, 16, false));
}
