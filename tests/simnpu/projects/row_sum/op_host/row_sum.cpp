// Tiling: IMPL_OP_OPTILING(...).Tiling(f).TilingParse<CompileInfo>(g); f dispatches to the registered templates.
#include "row_sum_tiling.h"
#include "register/op_impl_registry.h"
#include "tiling/platform/platform_ascendc.h"
#include "tiling/tiling_templates_registry.h"

namespace optiling {
constexpr uint32_t ROWS_PER_BLOCK = 8;

// Tried first; does not apply to 64 columns, so the registry moves on to the next template.
class RowSumWideTiling : public TilingBaseClass {
public:
    explicit RowSumWideTiling(gert::TilingContext* context) : TilingBaseClass(context) {}
protected:
    bool IsCapable() override { return cols_ > 64; }
    ge::graphStatus GetPlatformInfo() override { return ge::GRAPH_SUCCESS; }
    ge::graphStatus GetShapeAttrsInfo() override
    {
        cols_ = context_->GetInputShape(0)->GetStorageShape().GetDim(1);
        return ge::GRAPH_SUCCESS;
    }
    ge::graphStatus DoOpTiling() override { return ge::GRAPH_FAILED; }
    ge::graphStatus DoLibApiTiling() override { return ge::GRAPH_SUCCESS; }
    uint64_t GetTilingKey() const override { return 2; }
    ge::graphStatus GetWorkspaceSize() override { return ge::GRAPH_SUCCESS; }
    ge::graphStatus PostTiling() override { return ge::GRAPH_SUCCESS; }
    int64_t cols_ = 0;
};

class RowSumTiling : public TilingBaseClass {
public:
    explicit RowSumTiling(gert::TilingContext* context) : TilingBaseClass(context) {}
protected:
    bool IsCapable() override { return true; }
    ge::graphStatus GetPlatformInfo() override
    {
        auto info = context_->GetCompileInfo<RowSumCompileInfo>();
        if (info == nullptr || info->coreNum == 0 || info->ubSize == 0) return ge::GRAPH_FAILED;
        coreNum_ = info->coreNum;
        return ge::GRAPH_SUCCESS;
    }
    ge::graphStatus GetShapeAttrsInfo() override
    {
        const gert::StorageShape* x = context_->GetInputShape(0);
        if (!(*x == *context_->GetInputShape(0))) return ge::GRAPH_FAILED;
        rows_ = x->GetStorageShape().GetDim(0);
        return ge::GRAPH_SUCCESS;
    }
    ge::graphStatus DoOpTiling() override
    {
        blocks_ = static_cast<uint32_t>(rows_ / ROWS_PER_BLOCK);
        if (blocks_ > coreNum_) return ge::GRAPH_FAILED;
        tiling_.set_rowsPerBlock(ROWS_PER_BLOCK);
        tiling_.set_cols(64);
        return ge::GRAPH_SUCCESS;
    }
    ge::graphStatus DoLibApiTiling() override { return ge::GRAPH_SUCCESS; }
    uint64_t GetTilingKey() const override { return 1; }
    ge::graphStatus GetWorkspaceSize() override { return ge::GRAPH_SUCCESS; }
    ge::graphStatus PostTiling() override
    {
        context_->SetBlockDim(blocks_);
        tiling_.SaveToBuffer(context_->GetRawTilingData()->GetData(), context_->GetRawTilingData()->GetCapacity());
        context_->GetRawTilingData()->SetDataSize(tiling_.GetDataSize());
        return ge::GRAPH_SUCCESS;
    }
    uint64_t coreNum_ = 0;
    int64_t rows_ = 0;
    uint32_t blocks_ = 0;
    RowSumTilingData tiling_;
};

REGISTER_TILING_TEMPLATE("RowSum", RowSumWideTiling, 0);
REGISTER_TILING_TEMPLATE("RowSum", RowSumTiling, 1);

static ge::graphStatus Tiling4RowSum(gert::TilingContext* context)
{
    return TilingRegistry::GetInstance().DoTilingImpl(context);
}

static ge::graphStatus TilingPrepare4RowSum(gert::TilingParseContext* context)
{
    auto compileInfo = context->GetCompiledInfo<RowSumCompileInfo>();
    auto platform = platform_ascendc::PlatformAscendC(context->GetPlatformInfo());
    compileInfo->coreNum = platform.GetCoreNumAiv();
    platform.GetCoreMemSize(platform_ascendc::CoreMemType::UB, compileInfo->ubSize);
    return ge::GRAPH_SUCCESS;
}

IMPL_OP_OPTILING(RowSum).Tiling(Tiling4RowSum).TilingParse<RowSumCompileInfo>(TilingPrepare4RowSum);
}  // namespace optiling
