// Baseline for task transpose_fp16: y = x^T for x [M, N] float16, y [N, M].
// Naive on purpose (the 1.0x of speedups): rows of x are split over the cores; each row is read whole,
// Brcb spreads its elements one per 32 B block, and one DataCopyPad scatters them down column r of y as
// N two-byte writes (GM stride M elements). Correct for any M, N (a row must fit in UB 16x expanded).
#include "kernel_operator.h"
#include "register/tilingdata_base.h"
#include "tiling/platform/platform_ascendc.h"

using namespace AscendC;

using T = half;
constexpr uint32_t BRCB_MAX_REPEAT = 248;   // a multiple of 8 below the 255-repeat limit

constexpr int32_t BUFFER_NUM = 1;   // buffers per streaming queue, 2 = double buffering (queue_depth)
constexpr uint32_t BLOCK_DIM = 48;  // AIV cores used at most; 48 = all of the 910B2's (core_count)

namespace optiling {
BEGIN_TILING_DATA_DEF(TilingData)
TILING_DATA_FIELD_DEF(uint32_t, rows);         // M: every dim but the last
TILING_DATA_FIELD_DEF(uint32_t, cols);         // N: the last dim
TILING_DATA_FIELD_DEF(uint32_t, rowsPerCore);
END_TILING_DATA_DEF;
REGISTER_TILING_DATA_CLASS(TransposeCustom, TilingData)

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
IMPL_OP_OPTILING(TransposeCustom).Tiling(optiling::TilingFunc);

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

constexpr uint32_t MAX_BLOCKS = 4095;

class KernelTranspose {
public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, uint32_t rows, uint32_t cols, uint32_t perCore)
    {
        this->rows = rows;
        this->cols = cols;
        start = perCore * GetBlockIdx();
        myRows = start < rows ? (rows - start < perCore ? rows - start : perCore) : 0;
        xGm.SetGlobalBuffer((__gm__ T*)x + uint64_t(start) * cols, uint64_t(myRows) * cols);
        yGm.SetGlobalBuffer((__gm__ T*)y, uint64_t(rows) * cols);
        uint32_t padded = (cols + 15) / 16 * 16;
        pipe.InitBuffer(inX, BUFFER_NUM, padded * sizeof(T));
        pipe.InitBuffer(outY, BUFFER_NUM, padded * 32);   // one 32 B block per element
    }
    __aicore__ inline void Process()
    {
        uint32_t repeats = (cols + 7) / 8;
        for (uint32_t r = 0; r < myRows; ++r) {
            LocalTensor<T> a = inX.AllocTensor<T>();
            CopyGmToUb(a, xGm[uint64_t(r) * cols], cols);
            inX.EnQue(a);
            a = inX.DeQue<T>();
            LocalTensor<T> spread = outY.AllocTensor<T>();
            for (uint32_t done = 0; done < repeats; done += BRCB_MAX_REPEAT) {
                uint32_t n = repeats - done < BRCB_MAX_REPEAT ? repeats - done : BRCB_MAX_REPEAT;
                Brcb(spread[done * 8 * 16], a[done * 8], n, BrcbRepeatParams(1, 8));
            }
            outY.EnQue(spread);
            inX.FreeTensor(a);
            spread = outY.DeQue<T>();
            // cols blocks of one element each: y[j, start + r] for j = 0..cols-1, GM gap (rows - 1) elements;
            // at most MAX_BLOCKS blocks per call (DataCopyPad's blockCount range).
            for (uint32_t j = 0; j < cols; j += MAX_BLOCKS) {
                uint32_t n = cols - j < MAX_BLOCKS ? cols - j : MAX_BLOCKS;
                DataCopyPad(yGm[uint64_t(j) * rows + start + r], spread[j * 16],
                            DataCopyExtParams(n, sizeof(T), 0, (rows - 1) * sizeof(T), 0));
            }
            outY.FreeTensor(spread);
        }
    }

private:
    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> inX;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outY;
    GlobalTensor<T> xGm, yGm;
    uint32_t rows = 0, cols = 0, start = 0, myRows = 0;
};

extern "C" __global__ __aicore__ void transpose_custom(GM_ADDR x, GM_ADDR y, GM_ADDR workspace, GM_ADDR tiling)
{
    GET_TILING_DATA(tilingData, tiling);
    KernelTranspose op;
    op.Init(x, y, tilingData.rows, tilingData.cols, tilingData.rowsPerCore);
    op.Process();
}
