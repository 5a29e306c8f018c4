// Baseline for task cast_fp32_to_bf16: y = bfloat16(x), round to nearest even (A2 takes no CAST_NONE here).
// Naive on purpose (the 1.0x of speedups): the flattened tensor is split evenly over the cores, each core
// walks its part in 4096-element tiles with single-buffered queues (no overlap of copy and compute).
// Works for any size; a tail that is not whole 32 B blocks goes through DataCopyPad.
#include "kernel_operator.h"
#include "register/tilingdata_base.h"
#include "tiling/platform/platform_ascendc.h"

using namespace AscendC;

using TIn = float;
using TOut = bfloat16_t;
constexpr uint32_t TILE = 4096;

constexpr int32_t BUFFER_NUM = 1;   // buffers per streaming queue, 2 = double buffering (queue_depth)
constexpr uint32_t BLOCK_DIM = 48;  // AIV cores used at most; 48 = all of the 910B2's (core_count)

namespace optiling {
BEGIN_TILING_DATA_DEF(TilingData)
TILING_DATA_FIELD_DEF(uint64_t, total);    // elements
TILING_DATA_FIELD_DEF(uint64_t, perCore);  // elements per core, whole 32 B blocks
END_TILING_DATA_DEF;
REGISTER_TILING_DATA_CLASS(CastCustom, TilingData)

static ge::graphStatus TilingFunc(gert::TilingContext* context)
{
    constexpr uint64_t ALIGN = 32 / sizeof(TOut);
    uint64_t total = context->GetInputShape(0)->GetOriginShape().GetShapeSize();
    uint64_t cores = platform_ascendc::PlatformAscendC(context->GetPlatformInfo()).GetCoreNumAiv();
    cores = cores < BLOCK_DIM ? cores : BLOCK_DIM;
    uint64_t per = ((total + cores - 1) / cores + ALIGN - 1) / ALIGN * ALIGN;
    TilingData tiling;
    tiling.set_total(total);
    tiling.set_perCore(per);
    context->SetBlockDim(static_cast<uint32_t>((total + per - 1) / per));
    tiling.SaveToBuffer(context->GetRawTilingData()->GetData(), context->GetRawTilingData()->GetCapacity());
    context->GetRawTilingData()->SetDataSize(tiling.GetDataSize());
    context->GetWorkspaceSizes(1)[0] = 0;
    return ge::GRAPH_SUCCESS;
}
}  // namespace optiling
IMPL_OP_OPTILING(CastCustom).Tiling(optiling::TilingFunc);

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

class KernelUnary {
public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, uint64_t total, uint64_t perCore)
    {
        uint64_t start = perCore * GetBlockIdx();
        len = start < total ? (total - start < perCore ? total - start : perCore) : 0;
        xGm.SetGlobalBuffer((__gm__ TIn*)x + start, len);
        yGm.SetGlobalBuffer((__gm__ TOut*)y + start, len);
        pipe.InitBuffer(inX, BUFFER_NUM, TILE * sizeof(TIn));
        pipe.InitBuffer(outY, BUFFER_NUM, TILE * sizeof(TOut));
    }
    __aicore__ inline void Process()
    {
        for (uint64_t off = 0; off < len; off += TILE) {
            uint32_t n = static_cast<uint32_t>(len - off < TILE ? len - off : TILE);
            LocalTensor<TIn> a = inX.AllocTensor<TIn>();
            CopyGmToUb(a, xGm[off], n);
            inX.EnQue(a);
            a = inX.DeQue<TIn>();
            LocalTensor<TOut> c = outY.AllocTensor<TOut>();
            Compute(c, a, n);
            outY.EnQue(c);
            inX.FreeTensor(a);
            c = outY.DeQue<TOut>();
            CopyUbToGm(yGm[off], c, n);
            outY.FreeTensor(c);
        }
    }

private:
    __aicore__ inline void Compute(const LocalTensor<TOut>& y, const LocalTensor<TIn>& x, uint32_t n)
    {
        Cast(y, x, RoundMode::CAST_RINT, n);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> inX;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outY;
    GlobalTensor<TIn> xGm;
    GlobalTensor<TOut> yGm;
    uint64_t len = 0;
};

extern "C" __global__ __aicore__ void cast_custom(GM_ADDR x, GM_ADDR y, GM_ADDR workspace, GM_ADDR tiling)
{
    GET_TILING_DATA(tilingData, tiling);
    KernelUnary op;
    op.Init(x, y, tilingData.total, tilingData.perCore);
    op.Process();
}
