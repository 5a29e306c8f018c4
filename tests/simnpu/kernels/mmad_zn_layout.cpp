// fp16 C (32 x 48) = A (32 x 32) @ B (32 x 48) through the documented fractal layouts: GM -> L1 NZ (Nd2Nz),
// L1 -> L0A Zz (one LoadData per 16-row band) and L1 -> L0B Zn ([k1][n1] fractals, each transposed: one LoadData
// per 16-row k band gathering its n fractals), Mmad, Fixpipe float out.
#include "kernel_operator.h"
using namespace AscendC;
constexpr uint32_t M = 32, K = 32, N = 48;

extern "C" __global__ __aicore__ void mmad_zn_layout(GM_ADDR a, GM_ADDR b, GM_ADDR c)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIC_ONLY);
    TPipe pipe;
    TBuf<TPosition::A1> l1;
    TBuf<TPosition::A2> l0a;
    TBuf<TPosition::B2> l0b;
    TBuf<TPosition::CO1> l0c;
    pipe.InitBuffer(l1, (M * K + K * N) * 2);
    pipe.InitBuffer(l0a, M * K * 2);
    pipe.InitBuffer(l0b, K * N * 2);
    pipe.InitBuffer(l0c, M * N * 4);
    GlobalTensor<half> aGm, bGm;
    GlobalTensor<float> cGm;
    aGm.SetGlobalBuffer((__gm__ half *)a, M * K);
    bGm.SetGlobalBuffer((__gm__ half *)b, K * N);
    cGm.SetGlobalBuffer((__gm__ float *)c, M * N);
    LocalTensor<half> a1 = l1.Get<half>();
    LocalTensor<half> b1 = a1[M * K];
    DataCopy(a1, aGm, Nd2NzParams(1, M, K, 0, K, M, 1, 0));
    DataCopy(b1, bGm, Nd2NzParams(1, K, N, 0, N, K, 1, 0));
    SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    LocalTensor<half> a2 = l0a.Get<half>();
    LocalTensor<half> b2 = l0b.Get<half>();
    for (uint32_t i = 0; i < M / 16; ++i) {
        LoadData(a2[i * 16 * K], a1[i * 256], LoadData2DParams(0, K / 16, M / 16, 0, 0, false, 0));
    }
    for (uint32_t i = 0; i < K / 16; ++i) {
        LoadData(b2[i * 16 * N], b1[i * 256], LoadData2DParams(0, N / 16, K / 16, 0, 0, true, 0));
    }
    SetFlag<HardEvent::MTE1_M>(EVENT_ID0);
    WaitFlag<HardEvent::MTE1_M>(EVENT_ID0);
    LocalTensor<float> c1 = l0c.Get<float>();
    Mmad(c1, a2, b2, MmadParams(M, N, K, 0, false, true));
    SetFlag<HardEvent::M_FIX>(EVENT_ID0);
    WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
    Fixpipe(cGm, c1, FixpipeParamsV220(N, M, M, N, false));
}
