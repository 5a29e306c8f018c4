// Template of the offline proposer for row softmax in float32 (controller/templates.py).
// Search space: BUFFER_NUM (1 = rows strictly one after another, 2 = the next row's copy-in and the previous
// row's copy-out overlap this row's compute), BLOCK_DIM (cores used; capped by the cores the platform
// reports) and L2_BYPASS (the input is read once: stream it past L2). Per-task constant: ENTRY (kernel name).
// A row must fit in UB; unaligned rows use DataCopyPad.
// With BUFFER_NUM >= 2 the next row's copy-in is issued before this row's compute: the compute waits on the
// scalar unit twice per row (V_S syncs for the max and the sum), and the scalar issues in order, so a copy
// issued after the compute would start only once the compute is done and the second buffer would overlap
// nothing.
#include "kernel_operator.h"
#include "register/tilingdata_base.h"
#include "tiling/platform/platform_ascendc.h"

using namespace AscendC;

using T = float;
constexpr int32_t BUFFER_NUM = {{BUFFER_NUM}};
constexpr uint32_t BLOCK_DIM = {{BLOCK_DIM}};
constexpr bool L2_BYPASS = {{L2_BYPASS}};

namespace optiling {
BEGIN_TILING_DATA_DEF(TilingData)
TILING_DATA_FIELD_DEF(uint32_t, rows);         // M: every dim but the last
TILING_DATA_FIELD_DEF(uint32_t, cols);         // N: the last dim
TILING_DATA_FIELD_DEF(uint32_t, rowsPerCore);
END_TILING_DATA_DEF;
REGISTER_TILING_DATA_CLASS(SoftmaxCustom, TilingData)

static ge::graphStatus TilingFunc(gert::TilingContext* context)
{
    const gert::Shape& shape = context->GetInputShape(0)->GetOriginShape();
    uint32_t cols = static_cast<uint32_t>(shape.GetDim(shape.GetDimNum() - 1));
    uint32_t rows = static_cast<uint32_t>(shape.GetShapeSize() / cols);
    uint32_t cores = platform_ascendc::PlatformAscendC(context->GetPlatformInfo()).GetCoreNumAiv();
    cores = cores < BLOCK_DIM ? cores : BLOCK_DIM;
    uint32_t per = (rows + cores - 1) / cores;
    TilingData tiling;
    tiling.set_rows(rows);
    tiling.set_cols(cols);
    tiling.set_rowsPerCore(per);
    context->SetBlockDim((rows + per - 1) / per);
    tiling.SaveToBuffer(context->GetRawTilingData()->GetData(), context->GetRawTilingData()->GetCapacity());
    context->GetRawTilingData()->SetDataSize(tiling.GetDataSize());
    context->GetWorkspaceSizes(1)[0] = 0;
    return ge::GRAPH_SUCCESS;
}
}  // namespace optiling
IMPL_OP_OPTILING(SoftmaxCustom).Tiling(optiling::TilingFunc);

// GM <-> UB copies of n elements: DataCopy when the length is whole 32 B blocks, DataCopyPad otherwise
// (DataCopy would silently drop the tail).
template <typename T>
__aicore__ inline void CopyGmToUb(const LocalTensor<T>& dst, const GlobalTensor<T>& src, uint32_t n)
{
    if ((n * sizeof(T)) % 32 == 0) {
        DataCopy(dst, src, n);
    } else {
        DataCopyPad(dst, src, DataCopyExtParams(1, n * sizeof(T), 0, 0, 0), DataCopyPadExtParams<T>(false, 0, 0, T(0)));
    }
}
template <typename T>
__aicore__ inline void CopyUbToGm(const GlobalTensor<T>& dst, const LocalTensor<T>& src, uint32_t n)
{
    if ((n * sizeof(T)) % 32 == 0) {
        DataCopy(dst, src, n);
    } else {
        DataCopyPad(dst, src, DataCopyExtParams(1, n * sizeof(T), 0, 0, 0));
    }
}

// Wait until every earlier instruction of the source pipe is done (e.g. V_S before a scalar reads a
// vector result).
template <HardEvent E>
__aicore__ inline void Sync()
{
    int32_t id = GetTPipePtr()->FetchEventID(E);
    SetFlag<E>(id);
    WaitFlag<E>(id);
}

class KernelRow {
public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, uint32_t rows, uint32_t cols, uint32_t perCore)
    {
        this->cols = cols;
        uint32_t start = perCore * GetBlockIdx();
        myRows = start < rows ? (rows - start < perCore ? rows - start : perCore) : 0;
        xGm.SetGlobalBuffer((__gm__ T*)x + uint64_t(start) * cols, uint64_t(myRows) * cols);
        yGm.SetGlobalBuffer((__gm__ T*)y + uint64_t(start) * cols, uint64_t(myRows) * cols);
        if (L2_BYPASS) {
            xGm.SetL2CacheHint(CacheMode::CACHE_MODE_DISABLE);
        }
        padded = (cols * sizeof(float) + 31) / 32 * 32 / sizeof(float);
        pipe.InitBuffer(inX, BUFFER_NUM, padded * sizeof(float));
        pipe.InitBuffer(outY, BUFFER_NUM, padded * sizeof(float));
        pipe.InitBuffer(tmpBuf, 2 * padded * sizeof(float));
        pipe.InitBuffer(workBuf, padded * sizeof(float));
        pipe.InitBuffer(redBuf, 64);
    }
    __aicore__ inline void Process()
    {
        if (myRows == 0) {
            return;
        }
        if (BUFFER_NUM < 2) {
            for (uint32_t r = 0; r < myRows; ++r) {
                CopyIn(r);
                Step();
                CopyOut(r);
            }
            return;
        }
        CopyIn(0);
        for (uint32_t r = 0; r < myRows; ++r) {
            if (r + 1 < myRows) {
                CopyIn(r + 1);  // the next row's copy runs while this row computes (a free buffer is waiting)
            }
            Step();
            CopyOut(r);
        }
    }

private:
    // Reduce n float32 values of src with the vector unit and hand the result to the scalar unit.
    __aicore__ inline float ReduceToScalar(const LocalTensor<float>& src, bool max)
    {
        LocalTensor<float> red = redBuf.Get<float>();
        if (max) {
            ReduceMax(red, src, workBuf.Get<float>(), cols);
        } else {
            ReduceSum(red, src, workBuf.Get<float>(), cols);
        }
        Sync<HardEvent::V_S>();
        return red.GetValue(0);
    }
    __aicore__ inline void CopyIn(uint32_t r)
    {
        LocalTensor<T> a = inX.AllocTensor<T>();
        CopyGmToUb(a, xGm[uint64_t(r) * cols], cols);
        inX.EnQue(a);
    }
    __aicore__ inline void Step()
    {
        LocalTensor<T> a = inX.DeQue<T>();
        LocalTensor<T> c = outY.AllocTensor<T>();
        Compute(c, a);
        outY.EnQue(c);
        inX.FreeTensor(a);
    }
    __aicore__ inline void CopyOut(uint32_t r)
    {
        LocalTensor<T> c = outY.DeQue<T>();
        CopyUbToGm(yGm[uint64_t(r) * cols], c, cols);
        outY.FreeTensor(c);
    }
    __aicore__ inline void Compute(const LocalTensor<T>& y, const LocalTensor<T>& x)
    {
        // y = exp(x - max) / sum(exp(x - max)), in float32.
        LocalTensor<float> xf = x;
        LocalTensor<float> t = tmpBuf.Get<float>();
        float mx = ReduceToScalar(xf, true);
        Adds(t, xf, -mx, cols);
        PipeBarrier<PIPE_V>();
        Exp(t, t, cols);
        PipeBarrier<PIPE_V>();
        float sum = ReduceToScalar(t, false);
        Muls(y, t, 1.0f / sum, cols);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> inX;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outY;
    TBuf<TPosition::VECCALC> tmpBuf, workBuf, redBuf;
    GlobalTensor<T> xGm, yGm;
    uint32_t cols = 0, myRows = 0, padded = 0;
};

extern "C" __global__ __aicore__ void {{ENTRY}}(GM_ADDR x, GM_ADDR y, GM_ADDR workspace, GM_ADDR tiling)
{
    GET_TILING_DATA(tilingData, tiling);
    KernelRow op;
    op.Init(x, y, tilingData.rows, tilingData.cols, tilingData.rowsPerCore);
    op.Process();
}
