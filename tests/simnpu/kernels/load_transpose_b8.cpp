// int8 C (16 x 64) = A (16 x 64) @ B (64 x 64), B given row-major (not transposed): GM -> L1 NZ (16 x 32
// fractals), then LoadDataWithTranspose builds L0B's Zn: each repeat transposes one 32 x 32 square (two
// vertically adjacent NZ fractals of one 32-column group) into two 16 x 32 Zn fractals.
#include "kernel_operator.h"
using namespace AscendC;
constexpr uint32_t M = 16, K = 64, N = 64;

extern "C" __global__ __aicore__ void load_transpose_b8(GM_ADDR a, GM_ADDR b, GM_ADDR c)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIC_ONLY);
    TPipe pipe;
    TBuf<TPosition::A1> l1;
    TBuf<TPosition::A2> l0a;
    TBuf<TPosition::B2> l0b;
    TBuf<TPosition::CO1> l0c;
    pipe.InitBuffer(l1, M * K + K * N);
    pipe.InitBuffer(l0a, M * K);
    pipe.InitBuffer(l0b, K * N);
    pipe.InitBuffer(l0c, M * N * 4);
    GlobalTensor<int8_t> aGm, bGm;
    GlobalTensor<int32_t> cGm;
    aGm.SetGlobalBuffer((__gm__ int8_t *)a, M * K);
    bGm.SetGlobalBuffer((__gm__ int8_t *)b, K * N);
    cGm.SetGlobalBuffer((__gm__ int32_t *)c, M * N);
    LocalTensor<int8_t> a1 = l1.Get<int8_t>();
    LocalTensor<int8_t> b1 = a1[M * K];
    DataCopy(a1, aGm, Nd2NzParams(1, M, K, 0, K, M, 1, 0));
    DataCopy(b1, bGm, Nd2NzParams(1, K, N, 0, N, K, 1, 0));
    SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    LocalTensor<int8_t> a2 = l0a.Get<int8_t>();
    LocalTensor<int8_t> b2 = l0b.Get<int8_t>();
    LoadData(a2, a1, LoadData2DParams(0, K / 32, 1, 0, 0, false, 0));
    for (uint32_t kb = 0; kb < K / 32; ++kb) {
        // squares of 32 x 32 bytes: the next 32-column group lies K / 32 squares further
        LoadDataWithTranspose(b2[kb * 32 * N], b1[kb * 1024], LoadData2dTransposeParams(0, N / 32, K / 32, 1, 0));
    }
    SetFlag<HardEvent::MTE1_M>(EVENT_ID0);
    WaitFlag<HardEvent::MTE1_M>(EVENT_ID0);
    LocalTensor<int32_t> cl = l0c.Get<int32_t>();
    Mmad(cl, a2, b2, MmadParams(M, N, K, 0, false, true));
    SetFlag<HardEvent::M_FIX>(EVENT_ID0);
    WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
    Fixpipe(cGm, cl, FixpipeParamsV220(N, M, M, N, false));
}
