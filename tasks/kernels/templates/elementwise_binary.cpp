// Template of the offline proposer for elementwise binary tasks: z = OP(x, y) (controller/templates.py).
// Search space: TILE_LENGTH (elements per tile), BUFFER_NUM (1 = no overlap, 2 = double buffering),
// BLOCK_DIM (cores used; capped by the cores the platform reports) and L2_BYPASS (stream past L2).
// Per-task constants: T (element type), OP (vector API), ENTRY (kernel name). Any size works: tails go
// through DataCopyPad, so DataCopy never silently drops elements.
#include "kernel_operator.h"
#include "register/tilingdata_base.h"
#include "tiling/platform/platform_ascendc.h"

using namespace AscendC;

using T = {{T}};
constexpr uint32_t TILE_LENGTH = {{TILE_LENGTH}};
constexpr int32_t BUFFER_NUM = {{BUFFER_NUM}};
constexpr uint32_t BLOCK_DIM = {{BLOCK_DIM}};
constexpr bool L2_BYPASS = {{L2_BYPASS}};

namespace optiling {
BEGIN_TILING_DATA_DEF(TilingData)
TILING_DATA_FIELD_DEF(uint64_t, total);    // elements
TILING_DATA_FIELD_DEF(uint64_t, perCore);  // elements per core, whole 32 B blocks
END_TILING_DATA_DEF;
REGISTER_TILING_DATA_CLASS(BinaryCustom, TilingData)

static ge::graphStatus TilingFunc(gert::TilingContext* context)
{
    constexpr uint64_t ALIGN = 32 / sizeof(T);
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
IMPL_OP_OPTILING(BinaryCustom).Tiling(optiling::TilingFunc);

class KernelBinary {
public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, GM_ADDR z, uint64_t total, uint64_t perCore)
    {
        uint64_t start = perCore * GetBlockIdx();
        len = start < total ? (total - start < perCore ? total - start : perCore) : 0;
        xGm.SetGlobalBuffer((__gm__ T*)x + start, len);
        yGm.SetGlobalBuffer((__gm__ T*)y + start, len);
        zGm.SetGlobalBuffer((__gm__ T*)z + start, len);
        if (L2_BYPASS) {
            xGm.SetL2CacheHint(CacheMode::CACHE_MODE_DISABLE);
            yGm.SetL2CacheHint(CacheMode::CACHE_MODE_DISABLE);
            zGm.SetL2CacheHint(CacheMode::CACHE_MODE_DISABLE);
        }
        pipe.InitBuffer(inX, BUFFER_NUM, TILE_LENGTH * sizeof({{T}}));
        pipe.InitBuffer(inY, BUFFER_NUM, TILE_LENGTH * sizeof({{T}}));
        pipe.InitBuffer(outZ, BUFFER_NUM, TILE_LENGTH * sizeof({{T}}));
    }
    __aicore__ inline void Process()
    {
        uint32_t tiles = static_cast<uint32_t>((len + TILE_LENGTH - 1) / TILE_LENGTH);
        for (uint32_t i = 0; i < tiles; ++i) {
            CopyIn(i);
            Compute(i);
            CopyOut(i);
        }
    }

private:
    __aicore__ inline uint32_t Count(uint32_t i) const
    {
        uint64_t off = uint64_t(i) * TILE_LENGTH;
        return static_cast<uint32_t>(len - off < TILE_LENGTH ? len - off : TILE_LENGTH);
    }
    __aicore__ inline void Load(const LocalTensor<T>& dst, const GlobalTensor<T>& src, uint32_t n)
    {
        if ((n * sizeof(T)) % 32 == 0) {
            DataCopy(dst, src, n);
        } else {
            DataCopyPad(dst, src, DataCopyExtParams(1, n * sizeof(T), 0, 0, 0), DataCopyPadExtParams<T>(false, 0, 0, T(0)));
        }
    }
    __aicore__ inline void Store(const GlobalTensor<T>& dst, const LocalTensor<T>& src, uint32_t n)
    {
        if ((n * sizeof(T)) % 32 == 0) {
            DataCopy(dst, src, n);
        } else {
            DataCopyPad(dst, src, DataCopyExtParams(1, n * sizeof(T), 0, 0, 0));
        }
    }
    __aicore__ inline void CopyIn(uint32_t i)
    {
        LocalTensor<T> a = inX.AllocTensor<T>();
        LocalTensor<T> b = inY.AllocTensor<T>();
        Load(a, xGm[uint64_t(i) * TILE_LENGTH], Count(i));
        Load(b, yGm[uint64_t(i) * TILE_LENGTH], Count(i));
        inX.EnQue(a);
        inY.EnQue(b);
    }
    __aicore__ inline void Compute(uint32_t i)
    {
        LocalTensor<T> a = inX.DeQue<T>();
        LocalTensor<T> b = inY.DeQue<T>();
        LocalTensor<T> c = outZ.AllocTensor<T>();
        {{OP}}(c, a, b, Count(i));
        outZ.EnQue(c);
        inX.FreeTensor(a);
        inY.FreeTensor(b);
    }
    __aicore__ inline void CopyOut(uint32_t i)
    {
        LocalTensor<T> c = outZ.DeQue<T>();
        Store(zGm[uint64_t(i) * TILE_LENGTH], c, Count(i));
        outZ.FreeTensor(c);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> inX, inY;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outZ;
    GlobalTensor<T> xGm, yGm, zGm;
    uint64_t len = 0;
};

extern "C" __global__ __aicore__ void {{ENTRY}}(GM_ADDR x, GM_ADDR y, GM_ADDR z, GM_ADDR workspace, GM_ADDR tiling)
{
    GET_TILING_DATA(tilingData, tiling);
    KernelBinary op;
    op.Init(x, y, z, tilingData.total, tilingData.perCore);
    op.Process();
}
