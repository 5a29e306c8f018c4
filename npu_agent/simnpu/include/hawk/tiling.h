// Host side of a candidate: the documented subset of the CANN tiling API (gert::TilingContext,
// platform_ascendc::PlatformAscendC, tiling-data structs) and the kernel-side GET_TILING_DATA.
// The runtime fills a TilingContext from the task's tensors and the hardware profile, runs the
// registered tiling function (after the sandbox lockdown), then launches the kernel with its block dim.
#ifndef HAWK_TILING_H
#define HAWK_TILING_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <new>
#include <type_traits>

#include "hawk/runtime.h"

namespace ge {
enum DataType : int32_t {
    DT_FLOAT = 0, DT_FLOAT16 = 1, DT_INT8 = 2, DT_INT32 = 3, DT_UINT8 = 4, DT_INT16 = 6, DT_UINT16 = 7,
    DT_UINT32 = 8, DT_INT64 = 9, DT_UINT64 = 10, DT_DOUBLE = 11, DT_BOOL = 12, DT_STRING = 13,
    DT_DUAL_SUB_INT8 = 14, DT_DUAL_SUB_UINT8 = 15, DT_COMPLEX64 = 16, DT_COMPLEX128 = 17, DT_QINT8 = 18,
    DT_QINT16 = 19, DT_QINT32 = 20, DT_QUINT8 = 21, DT_QUINT16 = 22, DT_RESOURCE = 23, DT_STRING_REF = 24,
    DT_DUAL = 25, DT_VARIANT = 26, DT_BF16 = 27, DT_UNDEFINED = 28, DT_INT4 = 29, DT_UINT1 = 30, DT_INT2 = 31,
    DT_UINT2 = 32, DT_MAX,
};
enum Format : int32_t { FORMAT_NCHW = 0, FORMAT_NHWC = 1, FORMAT_ND = 2, FORMAT_FRACTAL_NZ = 29 };
using graphStatus = uint32_t;
// CANN's graph status codes (graph/ge_error_codes.h), with their numbers: a tiling-template framework tells
// "this template does not apply, try the next" by GRAPH_PARAM_INVALID.
constexpr graphStatus GRAPH_SUCCESS = 0;
constexpr graphStatus GRAPH_FAILED = 0xFFFFFFFFu;
constexpr graphStatus GRAPH_NOT_CHANGED = 1343242304;
constexpr graphStatus GRAPH_PARAM_INVALID = 50331649;
constexpr graphStatus GRAPH_NODE_WITHOUT_CONST_INPUT = 50331648;
constexpr graphStatus GRAPH_NODE_NEED_REPASS = 50331647;
constexpr graphStatus GRAPH_INVALID_IR_DEF = 50331646;
constexpr graphStatus OP_WITHOUT_IR_DATATYPE_INFER_RULE = 50331645;
constexpr graphStatus GRAPH_PARAM_OUT_OF_RANGE = 50331644;
}  // namespace ge

namespace hawk {
// Platform numbers from the hardware profile (runtime side).
enum class PlatformQuery : int { CORE_NUM = 0, AIC = 1, AIV = 2, MEM_SIZE = 3, MEM_BW = 4, SOC = 5, LIB_WS = 6 };
uint64_t platform_query(PlatformQuery q, int arg);
}  // namespace hawk

namespace fe {
// The platform handle TilingContext::GetPlatformInfo returns; GetLocalMemSize is the older spelling of
// PlatformAscendC::GetCoreMemSize (same LocalMemType order as CoreMemType).
enum class LocalMemType : int { L0_A = 0, L0_B = 1, L0_C = 2, L1 = 3, L2 = 4, UB = 5, HBM = 6 };
class PlatFormInfos {
   public:
    void GetLocalMemSize(const LocalMemType& type, uint64_t& size) const {
        size = hawk::platform_query(hawk::PlatformQuery::MEM_SIZE, static_cast<int>(type));
    }
    uint32_t GetCoreNum() const { return uint32_t(hawk::platform_query(hawk::PlatformQuery::CORE_NUM, 0)); }
};
}  // namespace fe

namespace gert {

class Shape {
   public:
    static constexpr size_t kMaxDims = 8;
    Shape() = default;
    // `*shape = {a, b}` and `gert::Shape s{a, b}` (CANN: Shape(const std::initializer_list<int64_t>&)).
    Shape(std::initializer_list<int64_t> dims) {
        for (int64_t d : dims) AppendDim(d);
    }
    size_t GetDimNum() const { return num_; }
    int64_t GetDim(size_t i) const { return i < num_ ? dims_[i] : 0; }
    int64_t GetShapeSize() const {
        int64_t n = 1;
        for (size_t i = 0; i < num_; ++i) n *= dims_[i];
        return n;
    }
    void SetDimNum(size_t n) { num_ = n < kMaxDims ? n : kMaxDims; }
    void SetDim(size_t i, int64_t v) { if (i < kMaxDims) dims_[i] = v; }
    Shape& AppendDim(int64_t v) {
        if (num_ < kMaxDims) dims_[num_++] = v;
        return *this;
    }
    int64_t operator[](size_t i) const { return GetDim(i); }
    int64_t& operator[](size_t i) { return dims_[i < kMaxDims ? i : kMaxDims - 1]; }
    bool IsScalar() const { return num_ == 0; }
    void SetScalar() { num_ = 0; }
    // Equal when the dim counts and the dims are (CANN compares exactly these).
    bool operator==(const Shape& o) const {
        if (num_ != o.num_) return false;
        for (size_t i = 0; i < num_; ++i)
            if (dims_[i] != o.dims_[i]) return false;
        return true;
    }
    bool operator!=(const Shape& o) const { return !(*this == o); }

   private:
    int64_t dims_[kMaxDims] = {};
    size_t num_ = 0;
};

class StorageShape {
   public:
    StorageShape() = default;
    // CANN's (origin, storage) form; the twin keeps one shape (every tensor is ND), the storage one.
    StorageShape(std::initializer_list<int64_t> origin, std::initializer_list<int64_t> storage) : shape_(storage) {
        (void)origin;
    }
    bool operator==(const StorageShape& o) const { return shape_ == o.shape_; }
    bool operator!=(const StorageShape& o) const { return !(*this == o); }
    const Shape& GetOriginShape() const { return shape_; }
    const Shape& GetStorageShape() const { return shape_; }
    Shape& MutableOriginShape() { return shape_; }
    Shape& MutableStorageShape() { return shape_; }
    Shape shape_;
};

class CompileTimeTensorDesc {
   public:
    ge::DataType GetDataType() const { return dtype_; }
    ge::Format GetOriginFormat() const { return ge::FORMAT_ND; }
    ge::Format GetStorageFormat() const { return ge::FORMAT_ND; }
    ge::DataType dtype_ = ge::DT_UNDEFINED;
};

// An input tensor of the tiling context. GetData<T>() gives its values on the host, as CANN does for a
// value-depend input (a shape or axis tensor): the twin provides them for every input.
class Tensor {
   public:
    int64_t GetShapeSize() const { return shape_->GetStorageShape().GetShapeSize(); }
    ge::DataType GetDataType() const { return desc_->GetDataType(); }
    const Shape& GetStorageShape() const { return shape_->GetStorageShape(); }
    const Shape& GetOriginShape() const { return shape_->GetOriginShape(); }
    ge::Format GetOriginFormat() const { return desc_->GetOriginFormat(); }
    ge::Format GetStorageFormat() const { return desc_->GetStorageFormat(); }
    template <class T> const T* GetData() const { return static_cast<const T*>(data_); }
    const void* GetAddr() const { return data_; }
    size_t GetSize() const { return size_; }
    const StorageShape* shape_ = nullptr;
    const CompileTimeTensorDesc* desc_ = nullptr;
    const void* data_ = nullptr;
    size_t size_ = 0;
};

class TilingData {
   public:
    void* GetData() { return data_; }
    size_t GetCapacity() const { return capacity_; }
    size_t GetDataSize() const { return size_; }
    void SetDataSize(size_t size) { size_ = size; }
    uint8_t* data_ = nullptr;
    size_t capacity_ = 0;
    size_t size_ = 0;
};

// A list attribute's values (gert::ContinuousVector / TypedContinuousVector<T>).
class ContinuousVector {
   public:
    size_t GetSize() const { return size_; }
    size_t GetCapacity() const { return size_; }
    const void* GetData() const { return data_; }
    size_t size_ = 0;
    const void* data_ = nullptr;
};
template <typename T> class TypedContinuousVector : public ContinuousVector {
   public:
    const T* GetData() const { return static_cast<const T*>(data_); }
};

// Attributes by index: the task's attributes sorted by name (docs/kernel-contract.md). Each is held as every type
// it parses as; GetAttrPointer<T> reads it as T the way CANN reads the stored value (an int attribute is an int64,
// so GetAttrPointer<int32_t> / <uint32_t> see its low 32 bits).
class RuntimeAttrs {
   public:
    static constexpr size_t kMax = 32;
    template <typename T> const T* GetAttrPointer(size_t idx) const {
        if (idx >= num_) return nullptr;
        if constexpr (std::is_same_v<T, char>) {
            return strs_[idx];
        } else if constexpr (std::is_same_v<T, bool>) {
            return &bools_[idx];
        } else if constexpr (std::is_same_v<T, float>) {
            return &floats_[idx];
        } else if constexpr (std::is_same_v<T, double>) {
            return &doubles_[idx];
        } else if constexpr (std::is_integral_v<T>) {
            return reinterpret_cast<const T*>(&ints_[idx]);
        } else if constexpr (std::is_same_v<T, TypedContinuousVector<int64_t>> ||
                             std::is_same_v<T, ContinuousVector>) {
            return &list_ints_[idx];
        } else if constexpr (std::is_same_v<T, TypedContinuousVector<float>>) {
            return &list_floats_[idx];
        } else {
            return nullptr;
        }
    }
    const int64_t* GetInt(size_t idx) const { return idx < num_ ? &ints_[idx] : nullptr; }
    const float* GetFloat(size_t idx) const { return idx < num_ ? &floats_[idx] : nullptr; }
    const bool* GetBool(size_t idx) const { return idx < num_ ? &bools_[idx] : nullptr; }
    const char* GetStr(size_t idx) const { return idx < num_ ? strs_[idx] : nullptr; }
    const TypedContinuousVector<int64_t>* GetListInt(size_t idx) const {
        return idx < num_ ? &list_ints_[idx] : nullptr;
    }
    const TypedContinuousVector<float>* GetListFloat(size_t idx) const {
        return idx < num_ ? &list_floats_[idx] : nullptr;
    }
    size_t GetAttrNum() const { return num_; }
    size_t num_ = 0;
    int64_t ints_[kMax] = {};
    float floats_[kMax] = {};
    double doubles_[kMax] = {};
    bool bools_[kMax] = {};
    const char* strs_[kMax] = {};
    TypedContinuousVector<int64_t> list_ints_[kMax];
    TypedContinuousVector<float> list_floats_[kMax];
};

class TilingContext;
// The compute node a tiling context belongs to (names, tensor descs, attributes).
class AnchorInstanceInfo {
   public:
    size_t GetInstanceNum() const { return num_; }
    size_t GetInstanceStart() const { return start_; }
    size_t start_ = 0, num_ = 1;
};
class ComputeNodeInfo {
   public:
    inline const char* GetNodeName() const;
    inline const char* GetNodeType() const;
    inline size_t GetInputsNum() const;
    inline size_t GetOutputsNum() const;
    size_t GetIrInputsNum() const { return GetInputsNum(); }
    size_t GetIrOutputsNum() const { return GetOutputsNum(); }
    inline const CompileTimeTensorDesc* GetInputTensorDesc(size_t i) const;
    inline const CompileTimeTensorDesc* GetOutputTensorDesc(size_t i) const;
    inline const RuntimeAttrs* GetAttrs() const;
    inline const AnchorInstanceInfo* GetInputInstanceInfo(size_t ir_index) const;
    const TilingContext* ctx_ = nullptr;
    mutable AnchorInstanceInfo instance_;
};

class TilingContext {
   public:
    static constexpr size_t kMaxTensors = 32;
    static constexpr size_t kMaxWorkspaces = 16;
    const StorageShape* GetInputShape(size_t i) const { return i < num_inputs_ ? &shapes_[i] : nullptr; }
    const StorageShape* GetOptionalInputShape(size_t i) const { return GetInputShape(i); }
    const StorageShape* GetOutputShape(size_t i) const {
        return i < num_outputs_ ? &shapes_[num_inputs_ + i] : nullptr;
    }
    const CompileTimeTensorDesc* GetInputDesc(size_t i) const { return i < num_inputs_ ? &descs_[i] : nullptr; }
    const CompileTimeTensorDesc* GetOptionalInputDesc(size_t i) const { return GetInputDesc(i); }
    // Dynamic (list) inputs: the twin's tasks list every tensor on its own, so instance `rel` of IR input `ir` is
    // input ir + rel.
    const Tensor* GetDynamicInputTensor(size_t ir, size_t rel) const { return GetInputTensor(ir + rel); }
    const StorageShape* GetDynamicInputShape(size_t ir, size_t rel) const { return GetInputShape(ir + rel); }
    const CompileTimeTensorDesc* GetDynamicInputDesc(size_t ir, size_t rel) const { return GetInputDesc(ir + rel); }
    const CompileTimeTensorDesc* GetOutputDesc(size_t i) const {
        return i < num_outputs_ ? &descs_[num_inputs_ + i] : nullptr;
    }
    const Tensor* GetInputTensor(size_t i) const { return i < num_inputs_ ? &tensors_[i] : nullptr; }
    const Tensor* GetOptionalInputTensor(size_t i) const { return GetInputTensor(i); }
    size_t GetComputeNodeInputNum() const { return num_inputs_; }
    size_t GetComputeNodeOutputNum() const { return num_outputs_; }
    const RuntimeAttrs* GetAttrs() const { return &attrs_; }
    ge::graphStatus SetBlockDim(uint32_t dim) {
        block_dim_ = dim;
        return ge::GRAPH_SUCCESS;
    }
    uint32_t GetBlockDim() const { return block_dim_; }
    ge::graphStatus SetSimdNumBlocks(uint32_t dim) { return SetBlockDim(dim); }  // newer name of SetBlockDim
    uint32_t GetSimdNumBlocks() const { return block_dim_; }
    ge::graphStatus SetTilingKey(uint64_t key) {
        tiling_key_ = key;
        return ge::GRAPH_SUCCESS;
    }
    uint64_t GetTilingKey() const { return tiling_key_; }
    TilingData* GetRawTilingData() { return &raw_; }
    // A standard C++ tiling struct placed in the raw tiling data (whose size becomes sizeof(T)).
    template <typename T> T* GetTilingData() {
        if (sizeof(T) > raw_.capacity_) return nullptr;
        raw_.size_ = sizeof(T);
        return reinterpret_cast<T*>(raw_.data_);
    }
    // Compile info: what the TilingParse function registered with IMPL_OP_OPTILING(...).TilingParse<T>(fn) filled
    // (it runs before the tiling function, on the same platform); zero bytes when there is none.
    const void* GetCompileInfo() const { return compile_info_; }
    template <typename T> const T* GetCompileInfo() const { return GetCompiledInfo<T>(); }
    template <typename T> const T* GetCompiledInfo() const {
        static_assert(sizeof(T) <= sizeof(compile_info_), "compile info struct larger than the twin provides");
        return reinterpret_cast<const T*>(compile_info_);
    }
    int32_t GetDeterministic() const { return 0; }
    const ComputeNodeInfo* GetComputeNodeInfo() const {
        node_info_.ctx_ = this;
        return &node_info_;
    }
    size_t* GetWorkspaceSizes(size_t num) {
        if (num > kMaxWorkspaces) return nullptr;
        if (num > workspace_num_) workspace_num_ = num;
        return workspaces_;
    }
    size_t GetWorkspaceNum() const { return workspace_num_; }
    fe::PlatFormInfos* GetPlatformInfo() const { return &platform_; }
    ge::graphStatus SetScheduleMode(uint32_t mode) {
        schedule_mode_ = mode;
        return ge::GRAPH_SUCCESS;
    }
    ge::graphStatus SetNeedAtomic(bool) { return ge::GRAPH_SUCCESS; }
    const char* GetNodeName() const { return node_name_; }
    const char* GetNodeType() const { return node_name_; }

    size_t num_inputs_ = 0, num_outputs_ = 0;
    StorageShape shapes_[kMaxTensors];
    CompileTimeTensorDesc descs_[kMaxTensors];
    Tensor tensors_[kMaxTensors];
    RuntimeAttrs attrs_;
    uint32_t block_dim_ = 0;
    uint64_t tiling_key_ = 0;
    uint32_t schedule_mode_ = 0;
    TilingData raw_;
    size_t workspaces_[kMaxWorkspaces] = {};
    size_t workspace_num_ = 0;
    mutable fe::PlatFormInfos platform_;
    const char* node_name_ = "";
    alignas(16) uint8_t compile_info_[4096] = {};
    mutable ComputeNodeInfo node_info_;
};

inline const char* ComputeNodeInfo::GetNodeName() const { return ctx_->GetNodeName(); }
inline const char* ComputeNodeInfo::GetNodeType() const { return ctx_->GetNodeType(); }
inline size_t ComputeNodeInfo::GetInputsNum() const { return ctx_->num_inputs_; }
inline size_t ComputeNodeInfo::GetOutputsNum() const { return ctx_->num_outputs_; }
inline const CompileTimeTensorDesc* ComputeNodeInfo::GetInputTensorDesc(size_t i) const { return ctx_->GetInputDesc(i); }
inline const CompileTimeTensorDesc* ComputeNodeInfo::GetOutputTensorDesc(size_t i) const {
    return ctx_->GetOutputDesc(i);
}
inline const RuntimeAttrs* ComputeNodeInfo::GetAttrs() const { return ctx_->GetAttrs(); }
inline const AnchorInstanceInfo* ComputeNodeInfo::GetInputInstanceInfo(size_t ir_index) const {
    instance_.start_ = ir_index;
    instance_.num_ = 1;
    return &instance_;
}

using TilingFunc = ge::graphStatus (*)(TilingContext*);

// The context of a TilingParse function (CANN runs it once per compiled operator, before any tiling): it fills the
// operator's compile info, a struct of the op's own type T, from the platform; tiling functions then read it back
// with TilingContext::GetCompileInfo<T>(). The twin runs it before the tiling function, on the task's platform.
class TilingParseContext {
   public:
    template <typename T> T* GetCompiledInfo() { return static_cast<T*>(info_); }
    template <typename T> const T* GetCompiledInfo() const { return static_cast<const T*>(info_); }
    fe::PlatFormInfos* GetPlatformInfo() const { return &platform_; }
    const char* GetCompiledJson() const { return "{}"; }  // the TBE-era compile json: empty
    const char* GetNodeName() const { return node_name_; }
    const char* GetNodeType() const { return node_name_; }
    void* info_ = nullptr;
    mutable fe::PlatFormInfos platform_;
    const char* node_name_ = "";
};
using TilingParseFunc = ge::graphStatus (*)(TilingParseContext*);

// InferShape / InferDataType contexts are declared in hawk/opdef.h (register/op_def_registry.h).
class InferShapeContext;
class InferDataTypeContext;
class InferShapeRangeContext;
using InferShapeKernelFunc = ge::graphStatus (*)(InferShapeContext*);
using InferDataTypeKernelFunc = ge::graphStatus (*)(InferDataTypeContext*);
using InferShapeRangeKernelFunc = ge::graphStatus (*)(InferShapeRangeContext*);

}  // namespace gert

namespace hawk {
void register_tiling(gert::TilingFunc fn, const char* op_type);
// The TilingParse function and how to build its compile info (runtime: run before the tiling function).
using TilingParseThunk = ge::graphStatus (*)(gert::TilingParseFunc fn, void* info, size_t capacity,
                                             gert::TilingParseContext* ctx);
void register_tiling_parse(TilingParseThunk thunk, gert::TilingParseFunc fn, const char* op_type);
// InferShape / InferDataType registered by IMPL_OP_INFERSHAPE(Op) (runtime/opdef.cpp: used by the OpDef check
// when the OpDef itself does not name them).
void register_infer(const char* op_type, gert::InferShapeKernelFunc shape, gert::InferDataTypeKernelFunc dtype);

template <typename T>
ge::graphStatus run_tiling_parse(gert::TilingParseFunc fn, void* info, size_t capacity, gert::TilingParseContext* ctx) {
    static_assert(alignof(T) <= 16, "compile info struct aligned beyond 16 bytes");
    if (sizeof(T) > capacity) return ge::GRAPH_FAILED;
    ctx->info_ = ::new (info) T();  // value-initialised, as CANN creates it before TilingParse
    return fn(ctx);
}

// IMPL_OP / IMPL_OP_OPTILING / IMPL_OP_INFERSHAPE(Op): CANN's OpImplRegisterV2. Tiling, TilingParse<T>, InferShape
// and InferDataType are registered and run; the other settings are accepted without effect.
class OpImplRegister {
   public:
    explicit OpImplRegister(const char* op) : op_(op) {}
    OpImplRegister& Tiling(gert::TilingFunc fn, size_t = 0) {
        register_tiling(fn, op_);
        return *this;
    }
    template <typename T> OpImplRegister& TilingParse(gert::TilingParseFunc fn) {
        register_tiling_parse(&run_tiling_parse<T>, fn, op_);
        return *this;
    }
    OpImplRegister& InferShape(gert::InferShapeKernelFunc fn) {
        register_infer(op_, fn, nullptr);
        return *this;
    }
    OpImplRegister& InferDataType(gert::InferDataTypeKernelFunc fn) {
        register_infer(op_, nullptr, fn);
        return *this;
    }
    OpImplRegister& InferShapeRange(gert::InferShapeRangeKernelFunc) { return *this; }
    template <typename... A> OpImplRegister& TilingInputsDataDependency(A&&...) { return *this; }
    template <typename... A> OpImplRegister& InputsDataDependency(A&&...) { return *this; }
    template <typename... A> OpImplRegister& PrivateAttr(A&&...) { return *this; }
    template <typename... A> OpImplRegister& InferFormat(A&&...) { return *this; }
    template <typename... A> OpImplRegister& OutputShapeDependOnCompute(A&&...) { return *this; }
    template <typename... A> OpImplRegister& HostInputs(A&&...) { return *this; }
    OpImplRegister& InferOutDataTypeSameWithFirstInput() { return *this; }
    const char* op_;
};

template <typename T> inline T load_tiling(const void* gm_tiling, uint32_t line) {
    T value;
    std::memcpy(static_cast<void*>(&value), tiling_ptr(gm_tiling, sizeof(T), Site{Api::GetTilingData, line}),
                sizeof(T));
    return value;
}
}  // namespace hawk

namespace platform_ascendc {
enum class CoreMemType : int { L0_A = 0, L0_B = 1, L0_C = 2, L1 = 3, L2 = 4, UB = 5, HBM = 6, FB = 7, BT = 8,
                               RESERVED = 9 };
enum class SocVersion : int { ASCEND910 = 0, ASCEND910B = 1, ASCEND310P = 2, ASCEND310B = 3, ASCEND910_93 = 4,
                              RESERVED_VERSION = 99 };
class PlatformAscendC {
   public:
    PlatformAscendC() = default;
    explicit PlatformAscendC(fe::PlatFormInfos*) {}
    uint32_t GetCoreNum() const { return uint32_t(hawk::platform_query(hawk::PlatformQuery::CORE_NUM, 0)); }
    uint32_t GetCoreNumAic() const { return uint32_t(hawk::platform_query(hawk::PlatformQuery::AIC, 0)); }
    uint32_t GetCoreNumAiv() const { return uint32_t(hawk::platform_query(hawk::PlatformQuery::AIV, 0)); }
    // Independent Vector Cores (documented: only Atlas inference products have them; 0 elsewhere). The twin's
    // profiles model none, so 0.
    uint32_t GetCoreNumVector() const { return 0; }
    void GetCoreMemSize(CoreMemType t, uint64_t& size) const {
        size = hawk::platform_query(hawk::PlatformQuery::MEM_SIZE, static_cast<int>(t));
    }
    void GetCoreMemBw(CoreMemType t, uint64_t& bw) const {
        bw = hawk::platform_query(hawk::PlatformQuery::MEM_BW, static_cast<int>(t));
    }
    SocVersion GetSocVersion() const {
        return static_cast<SocVersion>(hawk::platform_query(hawk::PlatformQuery::SOC, 0));
    }
    uint32_t GetLibApiWorkSpaceSize() const { return uint32_t(hawk::platform_query(hawk::PlatformQuery::LIB_WS, 0)); }
    uint32_t CalcTschBlockDim(uint32_t sliceNum, uint32_t aicCoreNum, uint32_t aivCoreNum) const {
        if (aicCoreNum == 0 || aivCoreNum == 0 || aicCoreNum > aivCoreNum) return sliceNum;
        uint32_t ratio = aivCoreNum / aicCoreNum;
        return (sliceNum + ratio - 1) / ratio;
    }
};
class PlatformAscendCManager {
   public:
    static PlatformAscendC* GetInstance() {
        static PlatformAscendC p;
        return &p;
    }
};
}  // namespace platform_ascendc

namespace optiling {}

// ---- tiling-data structs: one class for host (set_/SaveToBuffer) and kernel (plain fields) ----
// GET_TILING_DATA reads the struct named by REGISTER_TILING_DATA_CLASS; with no registration line, the only
// struct defined by BEGIN_TILING_DATA_DEF (two unregistered structs make GET_TILING_DATA ambiguous).
namespace hawk {
template <int N> struct TilingTag {};
}  // namespace hawk
#define BEGIN_TILING_DATA_DEF(name)                                                                         \
    struct name;                                                                                            \
    name hawk_tiling_struct(long, ::hawk::TilingTag<__COUNTER__> = {});                                     \
    struct name {                                                                                           \
        size_t GetDataSize() const { return sizeof(*this); }                                                \
        void SaveToBuffer(void* buf, size_t capacity) const {                                               \
            if (buf != nullptr && capacity >= sizeof(*this)) std::memcpy(buf, static_cast<const void*>(this), sizeof(*this)); \
        }
#define TILING_DATA_FIELD_DEF(type, field)                                                                   \
    type field = type();                                                                                    \
    void set_##field(type value) { field = value; }                                                         \
    type get_##field() const { return field; }
#define TILING_DATA_FIELD_DEF_ARR(type, count, field)                                                        \
    type field[count] = {};                                                                                 \
    void set_##field(const type* value) { for (size_t i_ = 0; i_ < (count); ++i_) field[i_] = value[i_]; }  \
    const type* get_##field() const { return field; }
#define TILING_DATA_FIELD_DEF_STRUCT(stype, field) stype field;
#define END_TILING_DATA_DEF }
#define REGISTER_TILING_DATA_CLASS(op, cls) cls hawk_tiling_struct(int, ::hawk::TilingTag<__COUNTER__> = {});

#define HAWK_CONCAT_(a, b) a##b
#define HAWK_CONCAT(a, b) HAWK_CONCAT_(a, b)
// The registration lines: IMPL_OP_OPTILING(OpName).Tiling(TilingFunc).TilingParse<CompileInfo>(ParseFunc);
// IMPL_OP_INFERSHAPE(OpName).InferShape(f).InferDataType(g); IMPL_OP(OpName) takes any of these.
#define IMPL_OP(op) \
    static ::hawk::OpImplRegister HAWK_CONCAT(hawk_op_impl_, __COUNTER__) = ::hawk::OpImplRegister(#op)
#define IMPL_OP_OPTILING(op) IMPL_OP(op)
#define IMPL_OP_INFERSHAPE(op) IMPL_OP(op)

// Kernel side: copy the tiling struct the host tiling function saved (zero-filled past what it saved).
#define GET_TILING_DATA(var, tiling)                                                                         \
    auto var = [&]() {                                                                                       \
        using namespace optiling;                                                                            \
        return ::hawk::load_tiling<decltype(hawk_tiling_struct(0))>(tiling, __builtin_LINE());               \
    }()
#define GET_TILING_DATA_WITH_STRUCT(type, var, tiling) type var = ::hawk::load_tiling<type>(tiling, __builtin_LINE())
#define GET_TILING_DATA_MEMBER(type, member, var, tiling)                                                     \
    auto var = ::hawk::load_tiling<type>(tiling, __builtin_LINE()).member
#define TILING_KEY_IS(key) (::hawk::g.tiling_key == static_cast<uint64_t>(key))

enum KernelMetaType : int {
    KERNEL_TYPE_AIV_ONLY = 0, KERNEL_TYPE_AIC_ONLY, KERNEL_TYPE_MIX_AIV_1_0, KERNEL_TYPE_MIX_AIC_1_0,
    KERNEL_TYPE_MIX_AIC_1_1, KERNEL_TYPE_MIX_AIC_1_2, KERNEL_TYPE_AICORE, KERNEL_TYPE_VECTORCORE,
    KERNEL_TYPE_MIX_AICORE, KERNEL_TYPE_MIX_VECTOR_CORE, KERNEL_TYPE_MAX,
};
namespace hawk {
// The kernel type is a compile-time property on the device (it decides which cores start), so the macros
// register it at static initialisation, before the launch; the statement itself only checks it at run time.
// FNV-1a of a path's base name: with the line, it tells the runtime which kernel entry a registration sits in
// (launch.cpp names the entry's file and body lines, npu_agent/simnpu/compiler.py), so a source with several
// entries gives each its own type.
constexpr uint64_t file_key(const char* path) {
    const char* base = path;
    for (const char* q = path; *q; ++q)
        if (*q == '/') base = q + 1;
    uint64_t h = 1469598103934665603ull;
    for (; *base; ++base) h = (h ^ static_cast<unsigned char>(*base)) * 1099511628211ull;
    return h;
}
template <int Type, long long Key, unsigned Line, unsigned long long File> struct KernelTypeReg {
    static const bool done;
};
template <int Type, long long Key, unsigned Line, unsigned long long File>
const bool KernelTypeReg<Type, Key, Line, File>::done = ::hawk::register_kernel_type(Type, Key, Line, File);
}  // namespace hawk
#define KERNEL_TASK_TYPE_DEFAULT(type)                                                                 \
    ((void)::hawk::KernelTypeReg<static_cast<int>(type), -1, __LINE__, ::hawk::file_key(__FILE__)>::done, \
     ::hawk::kernel_type(static_cast<int>(type), ::hawk::Site{::hawk::Api::KernelStart, __builtin_LINE()}))
#define KERNEL_TASK_TYPE(key, type) \
    ((void)::hawk::KernelTypeReg<static_cast<int>(type), static_cast<long long>(key), __LINE__,                 \
                                 ::hawk::file_key(__FILE__)>::done)
#define ASCEND_IS_AIV (::hawk::g.core == ::hawk::Core::AIV)
#define ASCEND_IS_AIC (::hawk::g.core == ::hawk::Core::AIC)
#define ASCEND_IS_NOT_AIV (::hawk::g.core != ::hawk::Core::AIV)
#define ASCEND_IS_NOT_AIC (::hawk::g.core != ::hawk::Core::AIC)

#endif  // HAWK_TILING_H
