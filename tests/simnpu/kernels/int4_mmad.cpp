// int4 C (32 x 128) = A (32 x 128) @ B (128 x 128), int4b_t data packed two per byte (element 2i in the low nibble).
// GM -> L1 with Nd2NzParams in bytes (as the b8 it moves), then A to L0A twice: LoadData 2D (c) and load3dv2 (c3),
// and B (row-major, not transposed) to L0B's Zn with LoadDataWithTranspose: each repeat transposes one 64 x 64
// square (four vertically adjacent NZ fractals of one 64-column group) into four 16 x 64 Zn fractals. Mmad with
// K in int4 elements, Fixpipe of the int32 result. `nib` holds scalar reads of the packed tensor and sizes.
// mode 1: LoadDataWithTranspose of int4b_t into L0A; mode 2: an odd K.
#include "kernel_operator.h"
using namespace AscendC;
constexpr uint32_t M = 32, K = 128, N = 128;

extern "C" __global__ __aicore__ void int4_mmad(GM_ADDR a, GM_ADDR b, GM_ADDR mode, GM_ADDR c, GM_ADDR c3, GM_ADDR nib)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIC_ONLY);
    TPipe pipe;
    TBuf<TPosition::A1> l1;
    TBuf<TPosition::A2> l0a;
    TBuf<TPosition::B2> l0b;
    TBuf<TPosition::CO1> l0c;
    pipe.InitBuffer(l1, (M * K + K * N) / 2);  // bytes: two int4b_t per byte
    pipe.InitBuffer(l0a, M * K / 2);
    pipe.InitBuffer(l0b, K * N / 2);
    pipe.InitBuffer(l0c, M * N * 4);
    GlobalTensor<int4b_t> aGm, bGm;
    GlobalTensor<int32_t> cGm, c3Gm, nibGm, modeGm;
    aGm.SetGlobalBuffer((__gm__ int4b_t *)a, M * K);
    bGm.SetGlobalBuffer((__gm__ int4b_t *)b, K * N);
    cGm.SetGlobalBuffer((__gm__ int32_t *)c, M * N);
    c3Gm.SetGlobalBuffer((__gm__ int32_t *)c3, M * N);
    nibGm.SetGlobalBuffer((__gm__ int32_t *)nib, 8);
    modeGm.SetGlobalBuffer((__gm__ int32_t *)mode, 1);
    const int32_t md = modeGm.GetValue(0);

    LocalTensor<int4b_t> a1 = l1.Get<int4b_t>();
    LocalTensor<int4b_t> b1 = a1[M * K];
    LocalTensor<int4b_t> a2 = l0a.Get<int4b_t>();
    LocalTensor<int4b_t> b2 = l0b.Get<int4b_t>();
    nibGm.SetValue(0, static_cast<int8_t>(aGm.GetValue(0)));
    nibGm.SetValue(1, static_cast<int8_t>(aGm.GetValue(1)));
    nibGm.SetValue(2, static_cast<int8_t>(aGm.GetValue(K + 1)));
    nibGm.SetValue(3, static_cast<int8_t>(aGm[2].GetValue(1)));
    nibGm.SetValue(4, static_cast<int32_t>(a2.GetSize()));
    nibGm.SetValue(5, static_cast<int32_t>(b1.GetSize()));
    nibGm.SetValue(6, static_cast<int32_t>(a2[64].GetPhyAddr() - a2.GetPhyAddr()));

    // Nd2Nz of int4b_t counts the D axis in bytes (the b8 it moves): K / 2 bytes per row of A.
    DataCopy(a1, aGm, Nd2NzParams(1, M, K / 2, 0, K / 2, M, 1, 0));
    DataCopy(b1, bGm, Nd2NzParams(1, K, N / 2, 0, N / 2, K, 1, 0));
    SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    if (md == 1) {
        LoadDataWithTranspose(a2, a1, LoadData2dTransposeParams(0, 1, 1, 0, 0));  // BAD_T
    }
    for (uint32_t mb = 0; mb < M / 16; ++mb) {  // NZ -> Zz, one 16-row band per call (16 x 64 fractals)
        LoadData(a2[mb * (K / 64) * 1024], a1[mb * 1024], LoadData2DParams(0, K / 64, M / 16, 0, 0, false, 0));
    }
    for (uint32_t kb = 0; kb < K / 64; ++kb) {
        // squares of 64 x 64 (2 KB): the next 64-column group lies K / 64 squares further; each repeat writes four
        // Zn fractals, so the next repeat's first one is 3 fractals after the end of this one's first
        LoadDataWithTranspose(b2[kb * 64 * N], b1[kb * 4096], LoadData2dTransposeParams(0, N / 64, K / 64, 3, 0));
    }
    SetFlag<HardEvent::MTE1_M>(EVENT_ID0);
    WaitFlag<HardEvent::MTE1_M>(EVENT_ID0);
    LocalTensor<int32_t> cl = l0c.Get<int32_t>();
    Mmad(cl, a2, b2, MmadParams(M, N, md == 2 ? K - 1 : K, 0, false, true));  // BAD_K
    SetFlag<HardEvent::M_FIX>(EVENT_ID0);
    WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
    Fixpipe(cGm, cl, FixpipeParamsV220(N, M, M, N, false));
    SetFlag<HardEvent::M_MTE1>(EVENT_ID0);
    WaitFlag<HardEvent::M_MTE1>(EVENT_ID0);

    // A again, through load3dv2 (img2col of the NC1HWC0 view: H 1, W M, C1 K / 64, C0 64 half bytes).
    LoadData3DParamsV2<int4b_t> p;
    p.l1H = 1;
    p.l1W = M;
    p.channelSize = K;
    p.kExtension = K;
    p.mExtension = M;
    LoadData(a2, a1, p);
    SetFlag<HardEvent::MTE1_M>(EVENT_ID1);
    WaitFlag<HardEvent::MTE1_M>(EVENT_ID1);
    SetFlag<HardEvent::FIX_M>(EVENT_ID0);
    WaitFlag<HardEvent::FIX_M>(EVENT_ID0);
    Mmad(cl, a2, b2, MmadParams(M, N, K, 0, false, true));
    SetFlag<HardEvent::M_FIX>(EVENT_ID1);
    WaitFlag<HardEvent::M_FIX>(EVENT_ID1);
    Fixpipe(c3Gm, cl, FixpipeParamsV220(N, M, M, N, false));
}
