// SoftMax high-level API: rows of x [rows, cols] (cols 32-byte aligned) -> y, and the row max and sum as
// [rows, 8] float blocks; SoftMaxTilingFunc on the host sizes the shared temporary buffer for 8 rows a pass.
// hl_softmax_f32: float everywhere, then SimpleSoftMax from the sum and max gives y2 (= y).
// hl_softmax_f16: half x and y with float sum and max.
#include "kernel_operator.h"
#include "register/tilingdata_base.h"
#include "tiling/tiling_api.h"

namespace optiling {
BEGIN_TILING_DATA_DEF(HlSoftmaxTiling)
TILING_DATA_FIELD_DEF(uint32_t, rows);
TILING_DATA_FIELD_DEF(uint32_t, cols);
TILING_DATA_FIELD_DEF(uint32_t, tileRows);
TILING_DATA_FIELD_DEF(uint32_t, tmpSize);
TILING_DATA_FIELD_DEF_STRUCT(SoftMaxTiling, softmaxTilingData);
END_TILING_DATA_DEF;
REGISTER_TILING_DATA_CLASS(HlSoftmax, HlSoftmaxTiling)

static ge::graphStatus TilingFunc(gert::TilingContext* context)
{
    const gert::Shape& x = context->GetInputShape(0)->GetOriginShape();
    uint32_t rows = x.GetDim(0), cols = x.GetDim(1);
    uint32_t typeSize = context->GetInputDesc(0)->GetDataType() == ge::DT_FLOAT ? 4 : 2;
    HlSoftmaxTiling tiling;
    uint32_t tileRows = 16;
    std::vector<int64_t> dims = {tileRows, cols};
    ge::Shape shape(dims);
    uint32_t minSize = AscendC::GetSoftMaxMinTmpSize(shape, typeSize, false);
    uint32_t maxSize = AscendC::GetSoftMaxMaxTmpSize(shape, typeSize, false);
    uint32_t tmpSize = (minSize + maxSize) / 2;  // room for some rows a pass, not all
    AscendC::SoftMaxTilingFunc(shape, typeSize, tmpSize, tiling.softmaxTilingData);
    tiling.set_rows(rows);
    tiling.set_cols(cols);
    tiling.set_tileRows(tileRows);
    tiling.set_tmpSize(tmpSize);
    context->SetBlockDim(rows / tileRows);
    tiling.SaveToBuffer(context->GetRawTilingData()->GetData(), context->GetRawTilingData()->GetCapacity());
    context->GetRawTilingData()->SetDataSize(tiling.GetDataSize());
    return ge::GRAPH_SUCCESS;
}
}  // namespace optiling
IMPL_OP_OPTILING(HlSoftmax).Tiling(optiling::TilingFunc);

template <typename T, bool simple>
__aicore__ inline void Run(GM_ADDR x, GM_ADDR y, GM_ADDR maxOut, GM_ADDR sumOut, GM_ADDR y2, GM_ADDR tilingGm)
{
    GET_TILING_DATA(t, tilingGm);
    uint32_t n = t.tileRows * t.cols, row0 = AscendC::GetBlockIdx() * t.tileRows;
    AscendC::TPipe pipe;
    AscendC::TQue<AscendC::TPosition::VECIN, 1> inQ;
    AscendC::TQue<AscendC::TPosition::VECOUT, 1> outQ, maxQ, sumQ;
    AscendC::TBuf<AscendC::TPosition::VECCALC> tmp;
    pipe.InitBuffer(inQ, 1, n * sizeof(T));
    pipe.InitBuffer(outQ, 1, n * sizeof(T));
    pipe.InitBuffer(maxQ, 1, t.tileRows * 32);
    pipe.InitBuffer(sumQ, 1, t.tileRows * 32);
    pipe.InitBuffer(tmp, t.tmpSize);
    AscendC::GlobalTensor<T> xGm, yGm, y2Gm;
    AscendC::GlobalTensor<float> maxGm, sumGm;
    xGm.SetGlobalBuffer((__gm__ T*)x + row0 * t.cols, n);
    yGm.SetGlobalBuffer((__gm__ T*)y + row0 * t.cols, n);
    maxGm.SetGlobalBuffer((__gm__ float*)maxOut + row0 * 8, t.tileRows * 8);
    sumGm.SetGlobalBuffer((__gm__ float*)sumOut + row0 * 8, t.tileRows * 8);
    AscendC::LocalTensor<T> xLocal = inQ.AllocTensor<T>();
    AscendC::DataCopy(xLocal, xGm, n);
    inQ.EnQue(xLocal);
    xLocal = inQ.DeQue<T>();
    AscendC::LocalTensor<T> yLocal = outQ.AllocTensor<T>();
    AscendC::LocalTensor<float> maxLocal = maxQ.AllocTensor<float>();
    AscendC::LocalTensor<float> sumLocal = sumQ.AllocTensor<float>();
    AscendC::SoftMaxShapeInfo shape = {t.tileRows, t.cols, t.tileRows, t.cols};
    AscendC::SoftMax<T>(yLocal, sumLocal, maxLocal, xLocal, tmp.Get<uint8_t>(), t.softmaxTilingData, shape);
    outQ.EnQue(yLocal);
    maxQ.EnQue(maxLocal);
    sumQ.EnQue(sumLocal);
    yLocal = outQ.DeQue<T>();
    maxLocal = maxQ.DeQue<float>();
    sumLocal = sumQ.DeQue<float>();
    AscendC::DataCopy(yGm, yLocal, n);
    AscendC::DataCopy(maxGm, maxLocal, t.tileRows * 8);
    AscendC::DataCopy(sumGm, sumLocal, t.tileRows * 8);
    if constexpr (simple) {
        y2Gm.SetGlobalBuffer((__gm__ T*)y2 + row0 * t.cols, n);
        AscendC::PipeBarrier<PIPE_ALL>();
        AscendC::SimpleSoftMax<T>(yLocal, sumLocal, maxLocal, xLocal, tmp.Get<uint8_t>(), t.softmaxTilingData, shape);
        AscendC::PipeBarrier<PIPE_ALL>();
        AscendC::DataCopy(y2Gm, yLocal, n);
    }
    outQ.FreeTensor(yLocal);
    maxQ.FreeTensor(maxLocal);
    sumQ.FreeTensor(sumLocal);
    inQ.FreeTensor(xLocal);
}

extern "C" __global__ __aicore__ void hl_softmax_f32(GM_ADDR x, GM_ADDR y, GM_ADDR maxOut, GM_ADDR sumOut, GM_ADDR y2,
                                                     GM_ADDR workspace, GM_ADDR tiling)
{
    Run<float, true>(x, y, maxOut, sumOut, y2, tiling);
}

extern "C" __global__ __aicore__ void hl_softmax_f16(GM_ADDR x, GM_ADDR y, GM_ADDR maxOut, GM_ADDR sumOut,
                                                     GM_ADDR workspace, GM_ADDR tiling)
{
    Run<half, false>(x, y, maxOut, sumOut, nullptr, tiling);
}
