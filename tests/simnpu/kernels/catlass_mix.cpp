// A kernel class in the catlass style (issue 12): its operator() is a member template on the core type whose
// default argument is g_coreType, with in-class explicit specializations for AIC and AIV (as CANN's device
// compiler accepts them), a barrier flag chosen by BarrierFlag<MODE, g_coreType>::ID and a sub-arch macro test.
// No kernel type is declared: as CANN, the twin infers MIX 1:2 from the cube code of the AIC build and the vector
// code of the AIV build. On each AI Core the AIC computes a 16x16 block C = A x B into the GM workspace and sets
// cross-core flag 3 (mode 2); its two AIVs wait, pass a mode-0 barrier of all AIVs, each computes z = relu(C) * 2 on
// 8 rows, and sets flag 4 back; the AIC waits for both. Block count and workspace come from the tiling function.
#include "kernel_operator.h"
#include "register/tilingdata_base.h"

namespace optiling {
BEGIN_TILING_DATA_DEF(CatlassMixTiling)
TILING_DATA_FIELD_DEF(uint32_t, blocks);
END_TILING_DATA_DEF;
REGISTER_TILING_DATA_CLASS(CatlassMix, CatlassMixTiling)

static ge::graphStatus TilingFunc(gert::TilingContext *context)
{
    CatlassMixTiling tiling;
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

IMPL_OP_OPTILING(CatlassMix).Tiling(optiling::TilingFunc);

#if defined(__DAV_C220_CUBE__)
constexpr int32_t BUILT_FOR = AscendC::AIC;
#elif defined(__DAV_C220_VEC__)
constexpr int32_t BUILT_FOR = AscendC::AIV;
#endif
static_assert(BUILT_FOR == g_coreType, "each build sees its own core type");

namespace Demo {
constexpr uint32_t F = 16;  // one fp16 fractal: M = K = N = 16 per block

template <uint8_t MODE, int32_t CORE_TYPE>
struct BarrierFlag;
template <>
struct BarrierFlag<0, AscendC::AIV> {
    static constexpr uint16_t ID = 8;
};
template <>
struct BarrierFlag<0, AscendC::AIC> {
    static constexpr uint16_t ID = 9;
};

template <uint8_t MODE, pipe_t PIPE>
__aicore__ inline void CrossCoreBarrier()
{
    constexpr uint16_t flagId = BarrierFlag<MODE, g_coreType>::ID;
    AscendC::CrossCoreSetFlag<MODE, PIPE>(flagId);
    AscendC::CrossCoreWaitFlag(flagId);
}

template <class ElementC>
class MatmulPost {
public:
    struct Params {
        GM_ADDR a;
        GM_ADDR b;
        GM_ADDR ws;
        GM_ADDR z;
    };

    template <int32_t CORE_TYPE = g_coreType>
    __aicore__ inline void operator()(Params const &params);

    template <>
    __aicore__ inline void operator()<AscendC::AIC>(Params const &params)
    {
        using namespace AscendC;
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
        pipe.InitBuffer(qc, 1, F * F * sizeof(ElementC));
        GlobalTensor<half> aGm, bGm;
        GlobalTensor<ElementC> wsGm;
        aGm.SetGlobalBuffer((__gm__ half *)params.a + GetBlockIdx() * F * F, F * F);
        bGm.SetGlobalBuffer((__gm__ half *)params.b, F * F);
        wsGm.SetGlobalBuffer((__gm__ ElementC *)params.ws + GetBlockIdx() * F * F, F * F);
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
        LocalTensor<ElementC> c = qc.AllocTensor<ElementC>();
        Mmad(c, a2, b2, MmadParams(F, F, F));
        qc.EnQue(c);
        qa2.FreeTensor(a2);
        qb2.FreeTensor(b2);
        c = qc.DeQue<ElementC>();
        FixpipeParamsV220 fp(F, F, F, F, false);
        Fixpipe<ElementC, ElementC, CFG_ROW_MAJOR>(wsGm, c, fp);
        qc.FreeTensor(c);
        CrossCoreSetFlag<2, PIPE_FIX>(3);  // C is in GM
        CrossCoreWaitFlag(4);              // both AIVs are done with it
    }

    template <>
    __aicore__ inline void operator()<AscendC::AIV>(Params const &params)
    {
        using namespace AscendC;
        constexpr uint32_t ROWS = F / 2;
        TPipe pipe;
        TBuf<TPosition::VECCALC> buf;
        pipe.InitBuffer(buf, ROWS * F * sizeof(ElementC));
        LocalTensor<ElementC> t = buf.Get<ElementC>();
        uint32_t block = GetBlockIdx() / GetSubBlockNum();
        uint32_t row0 = block * F + GetSubBlockIdx() * ROWS;
        GlobalTensor<ElementC> wsGm, zGm;
        wsGm.SetGlobalBuffer((__gm__ ElementC *)params.ws + row0 * F, ROWS * F);
        zGm.SetGlobalBuffer((__gm__ ElementC *)params.z + row0 * F, ROWS * F);
        CrossCoreWaitFlag(3);
        CrossCoreBarrier<0, PIPE_MTE3>();  // every AIV of the launch has seen its AIC's C
        DataCopy(t, wsGm, ROWS * F);
        SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
        Relu(t, t, ROWS * F);
        Muls(t, t, static_cast<ElementC>(2), ROWS * F);
        SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
        WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
        DataCopy(zGm, t, ROWS * F);
        CrossCoreSetFlag<2, PIPE_MTE3>(4);
    }
};
}  // namespace Demo

extern "C" __global__ __aicore__ void catlass_mix(GM_ADDR a, GM_ADDR b, GM_ADDR z, GM_ADDR workspace, GM_ADDR tiling)
{
    GET_TILING_DATA(td, tiling);
    if (AscendC::GetBlockNum() != td.blocks) return;
    Demo::MatmulPost<float> kernel;
    kernel({a, b, workspace, z});
}
