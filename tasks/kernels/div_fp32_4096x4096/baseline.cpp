// Baseline for task div_fp32_4096x4096: z = x / y, float32.
// Naive on purpose (the 1.0x of speedups): the flattened tensors are split evenly over the cores, each
// core walks its part in 2048-element tiles with single-buffered queues, so copy-in, compute and copy-out
// never overlap. Works for any size; a tail that is not whole 32 B blocks goes through DataCopyPad.
#include "kernel_operator.h"
#include "register/tilingdata_base.h"
#include "tiling/platform/platform_ascendc.h"

using namespace AscendC;

using T = float;
constexpr uint32_t TILE = 2048;

namespace optiling {
BEGIN_TILING_DATA_DEF(TilingData)
TILING_DATA_FIELD_DEF(uint64_t, total);    // elements
TILING_DATA_FIELD_DEF(uint64_t, perCore);  // elements per core, whole 32 B blocks
END_TILING_DATA_DEF;
REGISTER_TILING_DATA_CLASS(DivCustom, TilingData)

static ge::graphStatus TilingFunc(gert::TilingContext* context)
{
    constexpr uint64_t ALIGN = 32 / sizeof(T);
    uint64_t total = context->GetInputShape(0)->GetOriginShape().GetShapeSize();
    uint64_t cores = platform_ascendc::PlatformAscendC(context->GetPlatformInfo()).GetCoreNumAiv();
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
IMPL_OP_OPTILING(DivCustom).Tiling(optiling::TilingFunc);

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

class KernelBinary {
public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, GM_ADDR z, uint64_t total, uint64_t perCore)
    {
        uint64_t start = perCore * GetBlockIdx();
        len = start < total ? (total - start < perCore ? total - start : perCore) : 0;
        xGm.SetGlobalBuffer((__gm__ T*)x + start, len);
        yGm.SetGlobalBuffer((__gm__ T*)y + start, len);
        zGm.SetGlobalBuffer((__gm__ T*)z + start, len);
        pipe.InitBuffer(inX, 1, TILE * sizeof(T));
        pipe.InitBuffer(inY, 1, TILE * sizeof(T));
        pipe.InitBuffer(outZ, 1, TILE * sizeof(T));
    }
    __aicore__ inline void Process()
    {
        for (uint64_t off = 0; off < len; off += TILE) {
            uint32_t n = static_cast<uint32_t>(len - off < TILE ? len - off : TILE);
            LocalTensor<T> a = inX.AllocTensor<T>();
            LocalTensor<T> b = inY.AllocTensor<T>();
            CopyGmToUb(a, xGm[off], n);
            CopyGmToUb(b, yGm[off], n);
            inX.EnQue(a);
            inY.EnQue(b);
            a = inX.DeQue<T>();
            b = inY.DeQue<T>();
            LocalTensor<T> c = outZ.AllocTensor<T>();
            Div(c, a, b, n);
            outZ.EnQue(c);
            inX.FreeTensor(a);
            inY.FreeTensor(b);
            c = outZ.DeQue<T>();
            CopyUbToGm(zGm[off], c, n);
            outZ.FreeTensor(c);
        }
    }

private:
    TPipe pipe;
    TQue<QuePosition::VECIN, 1> inX, inY;
    TQue<QuePosition::VECOUT, 1> outZ;
    GlobalTensor<T> xGm, yGm, zGm;
    uint64_t len = 0;
};

extern "C" __global__ __aicore__ void div_custom(GM_ADDR x, GM_ADDR y, GM_ADDR z, GM_ADDR workspace, GM_ADDR tiling)
{
    GET_TILING_DATA(tilingData, tiling);
    KernelBinary op;
    op.Init(x, y, z, tilingData.total, tilingData.perCore);
    op.Process();
}
