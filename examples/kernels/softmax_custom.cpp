// Softmax over the rows of a float16 matrix, computed in float32 and rounded once (written to
// docs/kernel-contract.md). Rows are split over the vector cores by the host tiling function; each core
// streams its rows through a double-buffered pipeline: CopyIn (MTE2) -> Compute (V) -> CopyOut (MTE3).
#include "kernel_operator.h"
#include "register/tilingdata_base.h"
#include "tiling/platform/platform_ascendc.h"

using namespace AscendC;

namespace optiling {
BEGIN_TILING_DATA_DEF(SoftmaxTiling)
TILING_DATA_FIELD_DEF(uint32_t, rows);
TILING_DATA_FIELD_DEF(uint32_t, cols);
TILING_DATA_FIELD_DEF(uint32_t, rowsPerCore);
END_TILING_DATA_DEF;
REGISTER_TILING_DATA_CLASS(SoftmaxCustom, SoftmaxTiling)

static ge::graphStatus TilingFunc(gert::TilingContext *context)
{
    const gert::Shape &shape = context->GetInputShape(0)->GetOriginShape();
    uint32_t rows = shape.GetDim(0);
    uint32_t cols = shape.GetDim(1);
    if (cols % 64 != 0 || context->GetInputDesc(0)->GetDataType() != ge::DT_FLOAT16) {
        return ge::GRAPH_FAILED;  // this kernel wants whole 256-byte float rows
    }
    auto platform = platform_ascendc::PlatformAscendC(context->GetPlatformInfo());
    uint32_t cores = platform.GetCoreNumAiv();
    uint32_t blockDim = rows < cores ? rows : cores;
    SoftmaxTiling tiling;
    tiling.set_rows(rows);
    tiling.set_cols(cols);
    tiling.set_rowsPerCore((rows + blockDim - 1) / blockDim);
    context->SetBlockDim((rows + tiling.get_rowsPerCore() - 1) / tiling.get_rowsPerCore());
    tiling.SaveToBuffer(context->GetRawTilingData()->GetData(), context->GetRawTilingData()->GetCapacity());
    context->GetRawTilingData()->SetDataSize(tiling.GetDataSize());
    size_t *workspace = context->GetWorkspaceSizes(1);
    workspace[0] = 0;
    return ge::GRAPH_SUCCESS;
}
}  // namespace optiling

IMPL_OP_OPTILING(SoftmaxCustom).Tiling(optiling::TilingFunc);

constexpr int32_t BUFFER_NUM = 2;

class KernelSoftmax {
public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, const optiling::SoftmaxTiling &t)
    {
        cols = t.cols;
        uint32_t first = t.rowsPerCore * GetBlockIdx();
        myRows = first >= t.rows ? 0 : (t.rows - first < t.rowsPerCore ? t.rows - first : t.rowsPerCore);
        xGm.SetGlobalBuffer((__gm__ half *)x + first * cols, myRows * cols);
        yGm.SetGlobalBuffer((__gm__ half *)y + first * cols, myRows * cols);
        pipe.InitBuffer(inQueue, BUFFER_NUM, cols * sizeof(half));
        pipe.InitBuffer(outQueue, BUFFER_NUM, cols * sizeof(half));
        pipe.InitBuffer(rowBuf, cols * sizeof(float));
        pipe.InitBuffer(workBuf, cols * sizeof(float));
        pipe.InitBuffer(statBuf, 64);
    }
    __aicore__ inline void Process()
    {
        for (uint32_t r = 0; r < myRows; ++r) {
            CopyIn(r);
            Compute();
            CopyOut(r);
        }
    }

private:
    __aicore__ inline void CopyIn(uint32_t r)
    {
        LocalTensor<half> xLocal = inQueue.AllocTensor<half>();
        DataCopy(xLocal, xGm[r * cols], cols);
        inQueue.EnQue(xLocal);
    }
    __aicore__ inline void Compute()
    {
        LocalTensor<half> xLocal = inQueue.DeQue<half>();
        LocalTensor<half> yLocal = outQueue.AllocTensor<half>();
        LocalTensor<float> row = rowBuf.Get<float>();
        LocalTensor<float> work = workBuf.Get<float>();
        LocalTensor<float> stat = statBuf.Get<float>();
        Cast(row, xLocal, RoundMode::CAST_NONE, cols);
        ReduceMax(stat, row, work, cols);
        SetFlag<HardEvent::V_S>(EVENT_ID0);
        WaitFlag<HardEvent::V_S>(EVENT_ID0);
        float rowMax = stat.GetValue(0);
        Adds(row, row, -rowMax, cols);
        Exp(row, row, cols);
        ReduceSum(stat, row, work, cols);
        SetFlag<HardEvent::V_S>(EVENT_ID0);
        WaitFlag<HardEvent::V_S>(EVENT_ID0);
        float rowSum = stat.GetValue(0);
        Muls(row, row, 1.0f / rowSum, cols);
        Cast(yLocal, row, RoundMode::CAST_RINT, cols);
        outQueue.EnQue(yLocal);
        inQueue.FreeTensor(xLocal);
    }
    __aicore__ inline void CopyOut(uint32_t r)
    {
        LocalTensor<half> yLocal = outQueue.DeQue<half>();
        DataCopy(yGm[r * cols], yLocal, cols);
        outQueue.FreeTensor(yLocal);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> inQueue;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outQueue;
    TBuf<TPosition::VECCALC> rowBuf, workBuf, statBuf;
    GlobalTensor<half> xGm, yGm;
    uint32_t cols = 0, myRows = 0;
};

extern "C" __global__ __aicore__ void softmax_custom(GM_ADDR x, GM_ADDR y, GM_ADDR workspace, GM_ADDR tiling)
{
    GET_TILING_DATA(tilingData, tiling);
    KernelSoftmax op;
    op.Init(x, y, tilingData);
    op.Process();
}
