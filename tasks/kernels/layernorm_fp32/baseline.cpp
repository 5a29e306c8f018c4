// Baseline for task layernorm_fp32: y = (x - mean) / sqrt(var + eps) * gamma + beta over the last axis, float32.
// Naive on purpose (the 1.0x of speedups): rows are split evenly over the cores and each core handles one
// whole row at a time with single-buffered queues, so nothing overlaps. A row must fit in UB (the task's
// sizes do); any row length works, unaligned rows go through DataCopyPad.
// gamma and beta are loaded once per core and stay in UB.
#include "kernel_operator.h"
#include "register/tilingdata_base.h"
#include "tiling/platform/platform_ascendc.h"

using namespace AscendC;

using T = float;

constexpr int32_t BUFFER_NUM = 1;   // buffers per streaming queue, 2 = double buffering (queue_depth)
constexpr uint32_t BLOCK_DIM = 48;  // AIV cores used at most; 48 = all of the 910B2's (core_count)
constexpr uint32_t ROWS_PER_TILE = 1;  // rows per copy in and out (row_tile)

namespace optiling {
BEGIN_TILING_DATA_DEF(TilingData)
TILING_DATA_FIELD_DEF(uint32_t, rows);         // M: every dim but the last
TILING_DATA_FIELD_DEF(uint32_t, cols);         // N: the last dim
TILING_DATA_FIELD_DEF(uint32_t, rowsPerCore);
TILING_DATA_FIELD_DEF(float, eps);          // attribute "eps" (the only attribute: index 0)
END_TILING_DATA_DEF;
REGISTER_TILING_DATA_CLASS(LayerNormCustom, TilingData)

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
    const float* eps = context->GetAttrs()->GetAttrPointer<float>(0);
    tiling.set_eps(eps != nullptr ? *eps : 1e-5f);
    context->SetBlockDim((rows + per - 1) / per);
    tiling.SaveToBuffer(context->GetRawTilingData()->GetData(), context->GetRawTilingData()->GetCapacity());
    context->GetRawTilingData()->SetDataSize(tiling.GetDataSize());
    context->GetWorkspaceSizes(1)[0] = 0;
    return ge::GRAPH_SUCCESS;
}
}  // namespace optiling
IMPL_OP_OPTILING(LayerNormCustom).Tiling(optiling::TilingFunc);

// n rows of `cols` elements, contiguous in GM, to and from UB rows padded to whole 32 B blocks (one copy each).
template <typename T>
__aicore__ inline void CopyRowsGmToUb(const LocalTensor<T>& dst, const GlobalTensor<T>& src, uint32_t n, uint32_t cols)
{
    if ((cols * sizeof(T)) % 32 == 0) {
        DataCopy(dst, src, n * cols);
    } else {
        DataCopyPad(dst, src, DataCopyExtParams(n, cols * sizeof(T), 0, 0, 0),
                    DataCopyPadExtParams<T>(false, 0, 0, T(0)));
    }
}
template <typename T>
__aicore__ inline void CopyRowsUbToGm(const GlobalTensor<T>& dst, const LocalTensor<T>& src, uint32_t n, uint32_t cols)
{
    if ((cols * sizeof(T)) % 32 == 0) {
        DataCopy(dst, src, n * cols);
    } else {
        DataCopyPad(dst, src, DataCopyExtParams(n, cols * sizeof(T), 0, 0, 0));
    }
}

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
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR g, GM_ADDR b, GM_ADDR y, uint32_t rows, uint32_t cols, uint32_t perCore, float eps)
    {
        this->cols = cols;
        uint32_t start = perCore * GetBlockIdx();
        myRows = start < rows ? (rows - start < perCore ? rows - start : perCore) : 0;
        xGm.SetGlobalBuffer((__gm__ T*)x + uint64_t(start) * cols, uint64_t(myRows) * cols);
        yGm.SetGlobalBuffer((__gm__ T*)y + uint64_t(start) * cols, uint64_t(myRows) * cols);
        padded = (cols * sizeof(float) + 31) / 32 * 32 / sizeof(float);
        stride = (cols * sizeof(T) + 31) / 32 * 32 / sizeof(T);
        pipe.InitBuffer(inX, BUFFER_NUM, ((ROWS_PER_TILE - 1) * stride + padded) * sizeof(T));
        pipe.InitBuffer(outY, BUFFER_NUM, ((ROWS_PER_TILE - 1) * stride + padded) * sizeof(T));
        pipe.InitBuffer(tmpBuf, 2 * padded * sizeof(float));
        pipe.InitBuffer(workBuf, padded * sizeof(float));
        pipe.InitBuffer(redBuf, 64);
        this->eps = eps;
        gGm.SetGlobalBuffer((__gm__ T*)g, cols);
        bGm.SetGlobalBuffer((__gm__ T*)b, cols);
        pipe.InitBuffer(inG, 1, padded * sizeof(T));
        pipe.InitBuffer(inB, 1, padded * sizeof(T));
    }
    __aicore__ inline void Process()
    {
        if (myRows == 0) {
            return;
        }
        Prepare();
        for (uint32_t r0 = 0; r0 < myRows; r0 += ROWS_PER_TILE) {
            uint32_t n = myRows - r0 < ROWS_PER_TILE ? myRows - r0 : ROWS_PER_TILE;
            LocalTensor<T> a = inX.AllocTensor<T>();
            CopyRowsGmToUb(a, xGm[uint64_t(r0) * cols], n, cols);
            inX.EnQue(a);
            a = inX.DeQue<T>();
            LocalTensor<T> c = outY.AllocTensor<T>();
            for (uint32_t k = 0; k < n; ++k) {
                if (k > 0) {
                    PipeBarrier<PIPE_V>();  // the rows share the scratch buffers
                }
                Compute(c[k * stride], a[k * stride]);
            }
            outY.EnQue(c);
            inX.FreeTensor(a);
            c = outY.DeQue<T>();
            CopyRowsUbToGm(yGm[uint64_t(r0) * cols], c, n, cols);
            outY.FreeTensor(c);
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
    __aicore__ inline void Prepare()
    {
        LocalTensor<T> g = inG.AllocTensor<T>();
        LocalTensor<T> b = inB.AllocTensor<T>();
        CopyGmToUb(g, gGm, cols);
        CopyGmToUb(b, bGm, cols);
        inG.EnQue(g);
        inB.EnQue(b);
        gamma = inG.DeQue<T>();
        beta = inB.DeQue<T>();
    }
    __aicore__ inline void Compute(const LocalTensor<T>& y, const LocalTensor<T>& x)
    {
        LocalTensor<float> t = tmpBuf.Get<float>();
        LocalTensor<float> sq = t[padded];
        float mean = ReduceToScalar(x, false) / static_cast<float>(cols);
        Adds(t, x, -mean, cols);
        PipeBarrier<PIPE_V>();
        Mul(sq, t, t, cols);
        PipeBarrier<PIPE_V>();
        float var = ReduceToScalar(sq, false) / static_cast<float>(cols);
        // 1 / sqrt(var + eps): the square root on the vector unit, the division on the scalar unit.
        LocalTensor<float> red = redBuf.Get<float>();
        Duplicate(red, var + eps, 8);
        PipeBarrier<PIPE_V>();
        Sqrt(red, red, 8);
        Sync<HardEvent::V_S>();
        float rstd = 1.0f / red.GetValue(0);
        Muls(t, t, rstd, cols);
        PipeBarrier<PIPE_V>();
        Mul(t, t, gamma, cols);
        PipeBarrier<PIPE_V>();
        Add(y, t, beta, cols);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> inX;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outY;
    TBuf<TPosition::VECCALC> tmpBuf, workBuf, redBuf;
    TQue<QuePosition::VECIN, 1> inG, inB;
    GlobalTensor<T> gGm, bGm;
    LocalTensor<T> gamma, beta;
    float eps = 1e-5f;
    GlobalTensor<T> xGm, yGm;
    uint32_t cols = 0, myRows = 0, padded = 0, stride = 0;
};

extern "C" __global__ __aicore__ void layernorm_custom(GM_ADDR x, GM_ADDR gamma, GM_ADDR beta, GM_ADDR y, GM_ADDR workspace, GM_ADDR tiling)
{
    GET_TILING_DATA(tilingData, tiling);
    KernelRow op;
    op.Init(x, gamma, beta, y, tilingData.rows, tilingData.cols, tilingData.rowsPerCore, tilingData.eps);
    op.Process();
}
