// LayerNorm over the rows of a float32 matrix: y = (x - mean) / sqrt(var + eps) * gamma + beta (written to
// docs/kernel-contract.md). eps is the task attribute "epsilon", read by the host tiling function. Row sums use
// WholeReduceSum in its mask/repeat form (64 floats per repeat, then one more pass over the partial sums).
#include "kernel_operator.h"
#include "register/tilingdata_base.h"
#include "tiling/platform/platform_ascendc.h"

using namespace AscendC;

namespace optiling {
BEGIN_TILING_DATA_DEF(LayerNormTiling)
TILING_DATA_FIELD_DEF(uint32_t, rows);
TILING_DATA_FIELD_DEF(uint32_t, cols);
TILING_DATA_FIELD_DEF(uint32_t, rowsPerCore);
TILING_DATA_FIELD_DEF(float, eps);
END_TILING_DATA_DEF;
REGISTER_TILING_DATA_CLASS(LayerNormCustom, LayerNormTiling)

static ge::graphStatus TilingFunc(gert::TilingContext *context)
{
    const gert::Shape &shape = context->GetInputShape(0)->GetOriginShape();
    uint32_t rows = shape.GetDim(0);
    uint32_t cols = shape.GetDim(1);
    const float *eps = context->GetAttrs()->GetFloat(0);  // attributes by index, sorted by name
    if (cols % 64 != 0 || cols / 64 > 64 || eps == nullptr) {
        return ge::GRAPH_FAILED;
    }
    auto platform = platform_ascendc::PlatformAscendC(context->GetPlatformInfo());
    uint32_t cores = platform.GetCoreNumAiv();
    LayerNormTiling tiling;
    tiling.set_rows(rows);
    tiling.set_cols(cols);
    tiling.set_rowsPerCore((rows + cores - 1) / cores);
    tiling.set_eps(*eps);
    context->SetBlockDim((rows + tiling.get_rowsPerCore() - 1) / tiling.get_rowsPerCore());
    tiling.SaveToBuffer(context->GetRawTilingData()->GetData(), context->GetRawTilingData()->GetCapacity());
    context->GetRawTilingData()->SetDataSize(tiling.GetDataSize());
    context->GetWorkspaceSizes(1)[0] = 0;
    return ge::GRAPH_SUCCESS;
}
}  // namespace optiling

IMPL_OP_OPTILING(LayerNormCustom).Tiling(optiling::TilingFunc);

class KernelLayerNorm {
public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR gamma, GM_ADDR beta, GM_ADDR y, const optiling::LayerNormTiling &t)
    {
        cols = t.cols;
        eps = t.eps;
        uint32_t first = t.rowsPerCore * GetBlockIdx();
        myRows = first >= t.rows ? 0 : (t.rows - first < t.rowsPerCore ? t.rows - first : t.rowsPerCore);
        xGm.SetGlobalBuffer((__gm__ float *)x + first * cols, myRows * cols);
        yGm.SetGlobalBuffer((__gm__ float *)y + first * cols, myRows * cols);
        gammaGm.SetGlobalBuffer((__gm__ float *)gamma, cols);
        betaGm.SetGlobalBuffer((__gm__ float *)beta, cols);
        pipe.InitBuffer(inQueue, 2, cols * sizeof(float));
        pipe.InitBuffer(outQueue, 2, cols * sizeof(float));
        pipe.InitBuffer(paramBuf, 2 * cols * sizeof(float));
        pipe.InitBuffer(tmpBuf, cols * sizeof(float));
        pipe.InitBuffer(statBuf, 2 * 64 * sizeof(float));
    }
    __aicore__ inline void Process()
    {
        LocalTensor<float> params = paramBuf.Get<float>();
        DataCopy(params, gammaGm, cols);
        DataCopy(params[cols], betaGm, cols);
        SetFlag<HardEvent::MTE2_V>(EVENT_ID1);
        WaitFlag<HardEvent::MTE2_V>(EVENT_ID1);
        for (uint32_t r = 0; r < myRows; ++r) {
            LocalTensor<float> xLocal = inQueue.AllocTensor<float>();
            DataCopy(xLocal, xGm[r * cols], cols);
            inQueue.EnQue(xLocal);
            Compute(params);
            LocalTensor<float> yLocal = outQueue.DeQue<float>();
            DataCopy(yGm[r * cols], yLocal, cols);
            outQueue.FreeTensor(yLocal);
        }
    }

private:
    // Sum of one row of `cols` floats into stat[0], via partial sums per 64-float repeat.
    __aicore__ inline float RowSum(const LocalTensor<float> &src, const LocalTensor<float> &stat)
    {
        uint32_t repeats = cols / 64;
        WholeReduceSum<float>(stat, src, 64, repeats, 1, 1, 8);
        PipeBarrier<PIPE_V>();
        WholeReduceSum<float>(stat[64], stat, repeats, 1, 1, 1, 8);
        SetFlag<HardEvent::V_S>(EVENT_ID0);
        WaitFlag<HardEvent::V_S>(EVENT_ID0);
        return stat.GetValue(64);
    }
    __aicore__ inline void Compute(const LocalTensor<float> &params)
    {
        LocalTensor<float> xLocal = inQueue.DeQue<float>();
        LocalTensor<float> yLocal = outQueue.AllocTensor<float>();
        LocalTensor<float> tmp = tmpBuf.Get<float>();
        LocalTensor<float> stat = statBuf.Get<float>();
        float mean = RowSum(xLocal, stat) / cols;
        Adds(yLocal, xLocal, -mean, cols);
        Mul(tmp, yLocal, yLocal, cols);
        float var = RowSum(tmp, stat) / cols;
        Duplicate(stat, var, 8);
        Adds(stat, stat, eps, 8);
        Rsqrt(stat, stat, 8);
        SetFlag<HardEvent::V_S>(EVENT_ID0);
        WaitFlag<HardEvent::V_S>(EVENT_ID0);
        float rstd = stat.GetValue(0);
        Muls(yLocal, yLocal, rstd, cols);
        Mul(yLocal, yLocal, params, cols);
        Add(yLocal, yLocal, params[cols], cols);
        outQueue.EnQue(yLocal);
        inQueue.FreeTensor(xLocal);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, 1> inQueue;
    TQue<QuePosition::VECOUT, 1> outQueue;
    TBuf<TPosition::VECCALC> paramBuf, tmpBuf, statBuf;
    GlobalTensor<float> xGm, yGm, gammaGm, betaGm;
    uint32_t cols = 0, myRows = 0;
    float eps = 0;
};

extern "C" __global__ __aicore__ void layernorm_custom(GM_ADDR x, GM_ADDR gamma, GM_ADDR beta, GM_ADDR y,
                                                       GM_ADDR workspace, GM_ADDR tiling)
{
    GET_TILING_DATA(tilingData, tiling);
    KernelLayerNorm op;
    op.Init(x, gamma, beta, y, tilingData);
    op.Process();
}
