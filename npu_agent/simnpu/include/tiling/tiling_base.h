// tiling/tiling_base.h as CANN's operators use it: optiling::TilingBaseClass, the template-method frame of a
// tiling class. DoTiling() runs GetShapeAttrsInfo, GetPlatformInfo, IsCapable, DoOpTiling, DoLibApiTiling,
// GetWorkspaceSize, PostTiling, then sets the tiling key and dumps the tiling info; it returns the first status
// other than GRAPH_SUCCESS, and GRAPH_PARAM_INVALID when IsCapable() says the class does not apply (the
// registry then tries the next template, tiling/tiling_templates_registry.h). Our own code, written from how
// the public operators use the class.
#ifndef HAWK_TILING_TILING_BASE_H
#define HAWK_TILING_TILING_BASE_H

#include <cstdint>
#include <memory>
#include <sstream>
#include <string>

#include "kernel_operator.h"
#include "hawk/opdef.h"

namespace optiling {

struct AiCoreParams {
    uint64_t ubSize;
    uint64_t blockDim;
    uint64_t aicNum;
    uint64_t l1Size;
    uint64_t l0aSize;
    uint64_t l0bSize;
    uint64_t l0cSize;
};

class TilingBaseClass {
   public:
    TilingBaseClass() = default;
    explicit TilingBaseClass(gert::TilingContext* context) : context_(context) {}
    virtual ~TilingBaseClass() = default;

    ge::graphStatus DoTiling() {
        ge::graphStatus ret = GetShapeAttrsInfo();
        if (ret != ge::GRAPH_SUCCESS) return ret;
        ret = GetPlatformInfo();
        if (ret != ge::GRAPH_SUCCESS) return ret;
        if (!IsCapable()) return ge::GRAPH_PARAM_INVALID;
        ret = DoOpTiling();
        if (ret != ge::GRAPH_SUCCESS) return ret;
        ret = DoLibApiTiling();
        if (ret != ge::GRAPH_SUCCESS) return ret;
        ret = GetWorkspaceSize();
        if (ret != ge::GRAPH_SUCCESS) return ret;
        ret = PostTiling();
        if (ret != ge::GRAPH_SUCCESS) return ret;
        context_->SetTilingKey(GetTilingKey());
        DumpTilingInfo();
        return ge::GRAPH_SUCCESS;
    }
    virtual void Reset(gert::TilingContext* context) { context_ = context; }

   protected:
    virtual bool IsCapable() = 0;
    virtual ge::graphStatus GetPlatformInfo() = 0;
    virtual ge::graphStatus GetShapeAttrsInfo() = 0;
    virtual ge::graphStatus DoOpTiling() = 0;
    virtual ge::graphStatus DoLibApiTiling() = 0;
    [[nodiscard]] virtual uint64_t GetTilingKey() const = 0;
    virtual ge::graphStatus GetWorkspaceSize() = 0;
    virtual ge::graphStatus PostTiling() = 0;
    // Debug-level log of the tiling data in CANN; the twin's log level is above debug, so nothing.
    virtual void DumpTilingInfo() {}

    static uint32_t CalcTschBlockDim(uint32_t sliceNum, uint32_t aicCoreNum, uint32_t aivCoreNum) {
        if (aicCoreNum == 0 || aivCoreNum == 0 || aicCoreNum > aivCoreNum) return sliceNum;
        uint32_t ratio = aivCoreNum / aicCoreNum;
        return (sliceNum + ratio - 1) / ratio;
    }
    template <typename T> [[nodiscard]] std::string GetShapeDebugStr(const T& shape) const {
        std::ostringstream os;
        os << "[";
        for (size_t i = 0; i < shape.GetDimNum(); ++i) os << (i ? ", " : "") << shape.GetDim(i);
        os << "]";
        return os.str();
    }
    [[nodiscard]] std::string GetTensorDebugStr(const gert::StorageShape* shape,
                                                const gert::CompileTimeTensorDesc* tensor) const {
        if (shape == nullptr || tensor == nullptr) return "nil ";
        std::ostringstream os;
        os << "(dtype: " << ge::TypeUtils::DataTypeToSerialString(tensor->GetDataType()) << "),(shape:"
           << GetShapeDebugStr(shape->GetStorageShape()) << "),(ori_shape:" << GetShapeDebugStr(shape->GetOriginShape())
           << "),(format: " << ge::TypeUtils::FormatToSerialString(tensor->GetStorageFormat()) << "),(ori_format: "
           << ge::TypeUtils::FormatToSerialString(tensor->GetOriginFormat()) << ") ";
        return os.str();
    }
    [[nodiscard]] std::string GetTilingContextDebugStr() const {
        std::ostringstream os;
        for (size_t i = 0; i < context_->GetComputeNodeInputNum(); ++i)
            os << "input" << i << ": " << GetTensorDebugStr(context_->GetInputShape(i), context_->GetInputDesc(i));
        for (size_t i = 0; i < context_->GetComputeNodeOutputNum(); ++i)
            os << "output" << i << ": " << GetTensorDebugStr(context_->GetOutputShape(i), context_->GetOutputDesc(i));
        return os.str();
    }
    [[nodiscard]] std::string GetTilingDataDebugStr() const {
        auto* raw = context_->GetRawTilingData();
        const auto* data = static_cast<const int32_t*>(raw->GetData());
        std::ostringstream os;
        for (size_t i = 0; i < raw->GetDataSize() / sizeof(int32_t); ++i) os << data[i] << ", ";
        return os.str();
    }

    gert::TilingContext* context_ = nullptr;
    std::unique_ptr<platform_ascendc::PlatformAscendC> ascendcPlatform_{nullptr};
    uint32_t blockDim_{0};
    uint64_t workspaceSize_{0};
    uint64_t tilingKey_{0};
    AiCoreParams aicoreParams_{0, 0, 0, 0, 0, 0, 0};
};

}  // namespace optiling

#endif  // HAWK_TILING_TILING_BASE_H
