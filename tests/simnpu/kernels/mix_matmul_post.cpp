// Mixed AIC+AIV kernel (KERNEL_TYPE_MIX_AIC_1_2), the classic pattern: on each AI Core the AIC computes a 16x16
// block C = A x B (fp16 in, fp32 out) into the GM workspace and sets cross-core flag 3 (mode 2); its two AIVs wait
// for it, each takes 8 rows (GetSubBlockIdx), computes z = relu(C) * 2 and sets flag 4 back; the AIC waits for
// both before it ends. Block count and workspace come from the tiling function.
#include "kernel_operator.h"
#include "register/tilingdata_base.h"
#include "tiling/platform/platform_ascendc.h"

namespace optiling {
BEGIN_TILING_DATA_DEF(MixTiling)
TILING_DATA_FIELD_DEF(uint32_t, blocks);
END_TILING_DATA_DEF;
REGISTER_TILING_DATA_CLASS(MixMatmulPost, MixTiling)

static ge::graphStatus TilingFunc(gert::TilingContext *context)
{
    MixTiling tiling;
    uint32_t rows = context->GetInputShape(0)->GetOriginShape().GetDim(0);
    tiling.set_blocks(rows / 16);
    context->SetBlockDim(rows / 16);
    tiling.SaveToBuffer(context->GetRawTilingData()->GetData(), context->GetRawTilingData()->GetCapacity());
    context->GetRawTilingData()->SetDataSize(tiling.GetDataSize());
    size_t *ws = context->GetWorkspaceSizes(1);
    ws[0] = rows * 16 * sizeof(float);
    return ge::GRAPH_SUCCESS;
}
}  // namespace optiling

IMPL_OP_OPTILING(MixMatmulPost).Tiling(optiling::TilingFunc);

using namespace AscendC;
constexpr uint32_t F = 16;  // one fp16 fractal: M = K = N = 16 per block

__aicore__ inline void CubePart(GM_ADDR a, GM_ADDR b, GM_ADDR ws)
{
    TPipe pipe;
    TQue<QuePosition::A1, 1> qa1;
    TQue<QuePosition::B1, 1> qb1;
    TQue<QuePosition::A2, 1> qa2;
    TQue<QuePosition::B2, 1> qb2;
    TQue<QuePosition::CO1, 1> qc;
    pipe.InitBuffer(qa1, 1, F * F * sizeof(half));
    pipe.InitBuffer(qb1, 1, F * F * sizeof(half));
    pipe.InitBuffer(qa2, 1, F * F * sizeof(half));
    pipe.InitBuffer(qb2, 1, F * F * sizeof(half));
    pipe.InitBuffer(qc, 1, F * F * sizeof(float));
    GlobalTensor<half> aGm, bGm;
    GlobalTensor<float> wsGm;
    aGm.SetGlobalBuffer((__gm__ half *)a + GetBlockIdx() * F * F, F * F);
    bGm.SetGlobalBuffer((__gm__ half *)b, F * F);
    wsGm.SetGlobalBuffer((__gm__ float *)ws + GetBlockIdx() * F * F, F * F);
    LocalTensor<half> a1 = qa1.AllocTensor<half>();
    LocalTensor<half> b1 = qb1.AllocTensor<half>();
    DataCopy(a1, aGm, Nd2NzParams(1, F, F, 0, F, F, 1, 0));
    DataCopy(b1, bGm, Nd2NzParams(1, F, F, 0, F, F, 1, 0));
    qa1.EnQue(a1);
    qb1.EnQue(b1);
    a1 = qa1.DeQue<half>();
    b1 = qb1.DeQue<half>();
    LocalTensor<half> a2 = qa2.AllocTensor<half>();
    LocalTensor<half> b2 = qb2.AllocTensor<half>();
    LoadData2DParams pa;
    pa.repeatTimes = 1;
    LoadData(a2, a1, pa);
    LoadData2DParams pb;
    pb.repeatTimes = 1;
    pb.ifTranspose = true;
    LoadData(b2, b1, pb);
    qa2.EnQue(a2);
    qb2.EnQue(b2);
    qa1.FreeTensor(a1);
    qb1.FreeTensor(b1);
    a2 = qa2.DeQue<half>();
    b2 = qb2.DeQue<half>();
    LocalTensor<float> c = qc.AllocTensor<float>();
    Mmad(c, a2, b2, MmadParams(F, F, F));
    qc.EnQue(c);
    qa2.FreeTensor(a2);
    qb2.FreeTensor(b2);
    c = qc.DeQue<float>();
    FixpipeParamsV220 fp(F, F, F, F, false);  // nSize, mSize, srcStride, dstStride, reluEn
    Fixpipe<float, float, CFG_ROW_MAJOR>(wsGm, c, fp);
    qc.FreeTensor(c);
    CrossCoreSetFlag<2, PIPE_FIX>(3);  // SET_AIC: C is in GM
    CrossCoreWaitFlag(4);              // WAIT_AIC: both AIVs are done with it
}

__aicore__ inline void VectorPart(GM_ADDR ws, GM_ADDR z)
{
    constexpr uint32_t ROWS = F / 2;
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, ROWS * F * sizeof(float));
    LocalTensor<float> t = buf.Get<float>();
    uint32_t block = GetBlockIdx() / GetSubBlockNum();
    uint32_t row0 = block * F + GetSubBlockIdx() * ROWS;
    GlobalTensor<float> wsGm, zGm;
    wsGm.SetGlobalBuffer((__gm__ float *)ws + row0 * F, ROWS * F);
    zGm.SetGlobalBuffer((__gm__ float *)z + row0 * F, ROWS * F);
    CrossCoreWaitFlag(3);  // WAIT_AIV
    DataCopy(t, wsGm, ROWS * F);
    SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
    Relu(t, t, ROWS * F);
    Muls(t, t, 2.0f, ROWS * F);
    SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
    WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
    DataCopy(zGm, t, ROWS * F);
    CrossCoreSetFlag<2, PIPE_MTE3>(4);  // SET_AIV
}

extern "C" __global__ __aicore__ void mix_matmul_post(GM_ADDR a, GM_ADDR b, GM_ADDR z, GM_ADDR workspace,
                                                      GM_ADDR tiling)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_MIX_AIC_1_2);
    GET_TILING_DATA(td, tiling);
    if (GetBlockNum() != td.blocks) return;
    if ASCEND_IS_AIC {
        CubePart(a, b, workspace);
    }
    if ASCEND_IS_AIV {
        VectorPart(workspace, z);
    }
}
