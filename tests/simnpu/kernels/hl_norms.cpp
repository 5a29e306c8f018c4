// Normalisation high-level APIs with their host tiling.
// hl_layernorm: LayerNorm (sharedTmpBuffer from GetLayerNormMaxMinTmpSize's minimum), then LayerNormGrad and
//   LayerNormGradBeta without one (the UB the TPipe leaves free); x, dy [B, S, H] float, gamma/beta [H].
// hl_layernorm_rstd: the [A, R] form, half x with float gamma/beta, float mean and rstd.
// hl_rmsnorm: RmsNorm with a PopStackBuffer temporary and ShapeInfo on the tensors; the host gives the tiling
//   (GetRmsNormMaxMinTmpSize / GetRmsNormTilingInfo) for that space.
// hl_rmsnorm_small: as hl_rmsnorm, but the pipe leaves less UB free than one row needs (no sharedTmpBuffer).
#include "kernel_operator.h"
#include "register/tilingdata_base.h"
#include "tiling/tiling_api.h"

namespace optiling {
BEGIN_TILING_DATA_DEF(HlNormTiling)
TILING_DATA_FIELD_DEF(uint32_t, tmpSize);
TILING_DATA_FIELD_DEF(float, epsilon);
TILING_DATA_FIELD_DEF_STRUCT(LayerNormTiling, lnTiling);
TILING_DATA_FIELD_DEF_STRUCT(LayerNormGradTiling, gradTiling);
TILING_DATA_FIELD_DEF_STRUCT(LayerNormGradBetaTiling, betaTiling);
TILING_DATA_FIELD_DEF_STRUCT(LayerNormSeparateTiling, rstdTiling);
TILING_DATA_FIELD_DEF_STRUCT(RmsNormTiling, rmsTiling);
END_TILING_DATA_DEF;
REGISTER_TILING_DATA_CLASS(HlNorm, HlNormTiling)

static ge::graphStatus TilingFunc(gert::TilingContext* context)
{
    const gert::Shape& x = context->GetInputShape(0)->GetOriginShape();
    uint32_t typeSize = context->GetInputDesc(0)->GetDataType() == ge::DT_FLOAT ? 4 : 2;
    HlNormTiling tiling;
    uint32_t maxSize = 0, minSize = 0;
    if (x.GetDimNum() == 3) {
        uint32_t b = x.GetDim(0), s = x.GetDim(1), h = x.GetDim(2);
        AscendC::TensorShape shape({b, s, h, h});
        AscendC::GetLayerNormMaxMinTmpSize(shape, typeSize, false, maxSize, minSize);
        AscendC::GetLayerNormNDTilingInfo(shape, minSize, typeSize, false, tiling.lnTiling);
        uint32_t gMax = 0, gMin = 0, bMax = 0, bMin = 0;
        AscendC::GetLayerNormGradMaxMinTmpSize(shape, typeSize, false, gMax, gMin);
        AscendC::GetLayerNormGradNDTilingInfo(shape, gMin / 4, typeSize, false, tiling.gradTiling);
        AscendC::GetLayerNormGradBetaMaxMinTmpSize(shape, typeSize, false, bMax, bMin);
        AscendC::GetLayerNormGradBetaNDTilingInfo(shape, bMin / 4, typeSize, false, tiling.betaTiling);
        uint32_t rMax = 0, rMin = 0;
        AscendC::TensorShape rms({b, s, h});
        AscendC::GetRmsNormMaxMinTmpSize(rms, typeSize, rMax, rMin);
        uint32_t rmsSize = (rMin + rMax) / 2;  // a few rows a pass
        AscendC::GetRmsNormTilingInfo(rms, rms, rmsSize, typeSize, tiling.rmsTiling);
        tiling.set_tmpSize(rmsSize > minSize ? rmsSize : minSize);
    } else {
        std::vector<int64_t> dims = {x.GetDim(0), x.GetDim(1)};
        AscendC::TensorShape shape(dims);
        AscendC::GetLayerNormMaxMinTmpSize(shape, typeSize, false, true, false, maxSize, minSize);
        AscendC::GetLayerNormNDTilingInfo(shape, maxSize, typeSize, false, true, tiling.rstdTiling);
        tiling.set_tmpSize(maxSize);
    }
    tiling.set_epsilon(1e-5f);
    context->SetBlockDim(1);
    tiling.SaveToBuffer(context->GetRawTilingData()->GetData(), context->GetRawTilingData()->GetCapacity());
    context->GetRawTilingData()->SetDataSize(tiling.GetDataSize());
    return ge::GRAPH_SUCCESS;
}
}  // namespace optiling
IMPL_OP_OPTILING(HlNorm).Tiling(optiling::TilingFunc);

using namespace AscendC;

template <typename T>
__aicore__ inline LocalTensor<T> Load(TQue<TPosition::VECIN, 1>& q, GM_ADDR src, uint32_t n)
{
    GlobalTensor<T> gm;
    gm.SetGlobalBuffer((__gm__ T*)src, n);
    LocalTensor<T> t = q.AllocTensor<T>();
    DataCopy(t, gm, n);
    q.EnQue(t);
    return q.DeQue<T>();
}
template <typename T> __aicore__ inline void Store(GM_ADDR dst, const LocalTensor<T>& t, uint32_t n)
{
    GlobalTensor<T> gm;
    gm.SetGlobalBuffer((__gm__ T*)dst, n);
    event_t e = static_cast<event_t>(GetTPipePtr()->FetchEventID(HardEvent::V_MTE3));
    SetFlag<HardEvent::V_MTE3>(e);
    WaitFlag<HardEvent::V_MTE3>(e);
    DataCopy(gm, t, n);
}

extern "C" __global__ __aicore__ void hl_layernorm(GM_ADDR x, GM_ADDR gamma, GM_ADDR beta, GM_ADDR dy, GM_ADDR y,
                                                    GM_ADDR mean, GM_ADDR var, GM_ADDR pdx, GM_ADDR pdGamma,
                                                    GM_ADDR pdBeta, GM_ADDR workspace, GM_ADDR tilingGm)
{
    GET_TILING_DATA(t, tilingGm);
    const uint32_t h = t.lnTiling.hLength, rows = t.lnTiling.bLength * t.lnTiling.sLength, n = rows * h;
    TPipe pipe;
    TQue<TPosition::VECIN, 1> xQ, gQ, bQ, dyQ;
    TBuf<TPosition::VECCALC> yB, meanB, varB, pdxB, resB, pgB, pbB, tmpB;
    pipe.InitBuffer(xQ, 1, n * 4);
    pipe.InitBuffer(dyQ, 1, n * 4);
    pipe.InitBuffer(gQ, 1, h * 4);
    pipe.InitBuffer(bQ, 1, h * 4);
    pipe.InitBuffer(yB, n * 4);
    pipe.InitBuffer(pdxB, n * 4);
    pipe.InitBuffer(resB, n * 4);
    pipe.InitBuffer(meanB, rows * 4);
    pipe.InitBuffer(varB, rows * 4);
    pipe.InitBuffer(pgB, h * 4);
    pipe.InitBuffer(pbB, h * 4);
    pipe.InitBuffer(tmpB, t.tmpSize);
    LocalTensor<float> xL = Load<float>(xQ, x, n), dyL = Load<float>(dyQ, dy, n);
    LocalTensor<float> gL = Load<float>(gQ, gamma, h), bL = Load<float>(bQ, beta, h);
    LocalTensor<float> yL = yB.Get<float>(), meanL = meanB.Get<float>(), varL = varB.Get<float>();
    LocalTensor<float> pdxL = pdxB.Get<float>(), resL = resB.Get<float>();
    LocalTensor<float> pgL = pgB.Get<float>(), pbL = pbB.Get<float>();
    LocalTensor<uint8_t> tmp = tmpB.Get<uint8_t>();
    LayerNorm<float, false>(yL, meanL, varL, xL, gL, bL, tmp, t.epsilon, t.lnTiling);
    PipeBarrier<PIPE_V>();
    LayerNormGrad<float, false>(pdxL, resL, dyL, xL, varL, meanL, gL, t.epsilon, t.gradTiling);
    PipeBarrier<PIPE_V>();
    LayerNormGradBeta<float, false>(pgL, pbL, resL, dyL, t.betaTiling);
    Store(y, yL, n);
    Store(mean, meanL, rows);
    Store(var, varL, rows);
    Store(pdx, pdxL, n);
    Store(pdGamma, pgL, h);
    Store(pdBeta, pbL, h);
}

extern "C" __global__ __aicore__ void hl_layernorm_rstd(GM_ADDR x, GM_ADDR gamma, GM_ADDR beta, GM_ADDR y,
                                                         GM_ADDR mean, GM_ADDR rstd, GM_ADDR workspace,
                                                         GM_ADDR tilingGm)
{
    GET_TILING_DATA(t, tilingGm);
    const uint32_t a = t.rstdTiling.aLength, r = t.rstdTiling.rLength, n = a * r;
    TPipe pipe;
    TQue<TPosition::VECIN, 1> xQ, gQ, bQ;
    TBuf<TPosition::VECCALC> yB, meanB, rstdB, tmpB;
    pipe.InitBuffer(xQ, 1, n * 2);
    pipe.InitBuffer(gQ, 1, r * 4);
    pipe.InitBuffer(bQ, 1, r * 4);
    pipe.InitBuffer(yB, n * 2);
    pipe.InitBuffer(meanB, a * 4);
    pipe.InitBuffer(rstdB, a * 4);
    pipe.InitBuffer(tmpB, t.tmpSize);
    LocalTensor<half> xL = Load<half>(xQ, x, n);
    LocalTensor<float> gL = Load<float>(gQ, gamma, r), bL = Load<float>(bQ, beta, r);
    LocalTensor<half> yL = yB.Get<half>();
    LocalTensor<float> meanL = meanB.Get<float>(), rstdL = rstdB.Get<float>();
    LayerNormPara para = {a, r, r};
    LayerNorm<float, half, false, LNCFG_NORM>(yL, meanL, rstdL, xL, gL, bL, t.epsilon, tmpB.Get<uint8_t>(), para,
                                              t.rstdTiling);
    Store(y, yL, n);
    Store(mean, meanL, a);
    Store(rstd, rstdL, a);
}

__aicore__ inline void RmsNormRun(GM_ADDR x, GM_ADDR gamma, GM_ADDR y, GM_ADDR tilingGm, bool leaveLittle)
{
    GET_TILING_DATA(t, tilingGm);
    const RmsNormTiling& rt = t.rmsTiling;
    const uint32_t h = rt.hLength, n = rt.bLength * rt.sLength * h;
    TPipe pipe;
    TQue<TPosition::VECIN, 1> xQ, gQ;
    TQue<TPosition::VECOUT, 1> yQ;
    pipe.InitBuffer(xQ, 1, n * 4);
    pipe.InitBuffer(gQ, 1, h * 4);
    pipe.InitBuffer(yQ, 1, n * 4);
    LocalTensor<float> xL = Load<float>(xQ, x, n), gL = Load<float>(gQ, gamma, h);
    LocalTensor<float> yL = yQ.AllocTensor<float>();
    uint32_t shape[3] = {rt.bLength, rt.sLength, h};
    ShapeInfo info = {3, shape, 3, shape, DataFormat::ND};
    xL.SetShapeInfo(info);
    yL.SetShapeInfo(info);
    if (leaveLittle) {
        // Take almost all of UB so the framework's temporary space is less than one row.
        TBuf<TPosition::VECCALC> filler;
        LocalTensor<uint8_t> rest;
        PopStackBuffer<uint8_t, TPosition::VECCALC>(rest);
        pipe.InitBuffer(filler, rest.GetSize() - 32);
        RmsNorm<float>(yL, xL, gL, t.epsilon, rt);  // hl_rmsnorm_small: too little space
    } else {
        LocalTensor<uint8_t> stack;
        PopStackBuffer<uint8_t, TPosition::LCM>(stack);
        stack.SetSize(t.tmpSize);
        RmsNorm<float, false>(yL, xL, gL, stack, t.epsilon, rt);
    }
    yQ.EnQue(yL);
    yL = yQ.DeQue<float>();
    Store(y, yL, n);
}
extern "C" __global__ __aicore__ void hl_rmsnorm(GM_ADDR x, GM_ADDR gamma, GM_ADDR y, GM_ADDR workspace,
                                                  GM_ADDR tilingGm)
{
    RmsNormRun(x, gamma, y, tilingGm, false);
}
extern "C" __global__ __aicore__ void hl_rmsnorm_small(GM_ADDR x, GM_ADDR gamma, GM_ADDR y, GM_ADDR workspace,
                                                        GM_ADDR tilingGm)
{
    RmsNormRun(x, gamma, y, tilingGm, true);
}
