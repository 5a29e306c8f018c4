// The aclnn op-dev API (CANN's include/aclnn/opdev, also on the include path as opdev/) for the host side of an aclnn
// L0 operator, which some CANN op projects ship next to their tiling (op_host/<op>_l0.cpp): aclTensor (view,
// storage and original shape, data type, format), aclOpExecutor::AllocTensor, op::Shape / DataType / Format and
// their utilities, aclnnStatus with its codes, and the macros OP_TYPE_REGISTER, L0_DFX, OP_LOG*, OP_CHECK,
// ADD_TO_LAUNCHER_LIST_AICORE, INFER_SHAPE, CREATE_EXECUTOR, OP_INPUT / OP_OUTPUT / OP_ATTR / OP_WORKSPACE.
// Our own code from CANN's public opdev documentation (nnopbase "aclnn开发接口"). The twin runs the kernel through
// its tiling function, never aclnn's two-phase launch: an L0 function compiles and links, its executor hands out
// real host tensors, and the launcher macros queue nothing (they evaluate to ACLNN_SUCCESS).
#ifndef HAWK_HOST_OPDEV_H
#define HAWK_HOST_OPDEV_H

#include <cstdint>
#include <cstdio>
#include <deque>
#include <string>
#include <tuple>
#include <vector>

#include "hawk/tiling.h"

using aclnnStatus = int32_t;
constexpr aclnnStatus ACLNN_SUCCESS = 0;
constexpr aclnnStatus ACLNN_ERR_PARAM_NULLPTR = 161001;
constexpr aclnnStatus ACLNN_ERR_PARAM_INVALID = 161002;
constexpr aclnnStatus ACLNN_ERR_RUNTIME_ERROR = 361001;
constexpr aclnnStatus ACLNN_ERR_INNER = 561000;
constexpr aclnnStatus ACLNN_ERR_INNER_INFERSHAPE_ERROR = 561001;
constexpr aclnnStatus ACLNN_ERR_INNER_TILING_ERROR = 561002;
constexpr aclnnStatus ACLNN_ERR_INNER_FIND_KERNEL_ERROR = 561003;
constexpr aclnnStatus ACLNN_ERR_INNER_CREATE_EXECUTOR = 561101;
constexpr aclnnStatus ACLNN_ERR_INNER_NOT_TRANS_EXECUTOR = 561102;
constexpr aclnnStatus ACLNN_ERR_INNER_NULLPTR = 561103;
constexpr aclnnStatus ACLNN_ERR_INNER_WRONG_ATTR_INFO_SIZE = 561104;

namespace op {
using Shape = gert::Shape;
using DataType = ge::DataType;
using Format = ge::Format;
using ShapeVector = std::vector<int64_t>;

enum OpImplMode : uint32_t {
    IMPL_MODE_HIGH_PRECISION = 0x2, IMPL_MODE_HIGH_PERFORMANCE = 0x1, IMPL_MODE_SUPER_PERFORMANCE = 0x4,
};

inline ShapeVector ToShapeVector(const Shape& s) {
    ShapeVector v;
    for (size_t i = 0; i < s.GetDimNum(); ++i) v.push_back(s.GetDim(i));
    return v;
}
inline void ToShape(const int64_t* dims, uint64_t n, Shape& s) {
    s.SetDimNum(0);
    for (uint64_t i = 0; i < n; ++i) s.AppendDim(dims[i]);
}
inline void ToShape(const ShapeVector& v, Shape& s) { ToShape(v.data(), v.size(), s); }

inline size_t TypeSize(DataType d) {
    switch (d) {
        case ge::DT_INT8: case ge::DT_UINT8: case ge::DT_BOOL: return 1;
        case ge::DT_FLOAT16: case ge::DT_BF16: case ge::DT_INT16: case ge::DT_UINT16: return 2;
        case ge::DT_FLOAT: case ge::DT_INT32: case ge::DT_UINT32: return 4;
        case ge::DT_INT64: case ge::DT_UINT64: case ge::DT_DOUBLE: case ge::DT_COMPLEX64: return 8;
        case ge::DT_COMPLEX128: return 16;
        default: return 0;
    }
}
inline bool IsFloatingType(DataType d) {
    return d == ge::DT_FLOAT16 || d == ge::DT_BF16 || d == ge::DT_FLOAT || d == ge::DT_DOUBLE;
}
inline bool IsComplexType(DataType d) { return d == ge::DT_COMPLEX64 || d == ge::DT_COMPLEX128; }
inline bool IsIntegralType(DataType d) {
    return d == ge::DT_INT8 || d == ge::DT_UINT8 || d == ge::DT_INT16 || d == ge::DT_UINT16 || d == ge::DT_INT32 ||
           d == ge::DT_UINT32 || d == ge::DT_INT64 || d == ge::DT_UINT64;
}
inline bool IsIntegralType(DataType d, bool includeBool) { return IsIntegralType(d) || (includeBool && d == ge::DT_BOOL); }
inline bool IsNumberType(DataType d) { return IsFloatingType(d) || IsIntegralType(d) || IsComplexType(d); }
inline bool IsPrivateFormat(Format f) { return f != ge::FORMAT_ND && f != ge::FORMAT_NCHW && f != ge::FORMAT_NHWC; }
inline std::string ToString(DataType d) { return "DT_" + std::to_string(static_cast<int>(d)); }
inline std::string ToString(Format f) { return "FORMAT_" + std::to_string(static_cast<int>(f)); }
inline std::string ToString(const Shape& s) {
    std::string t = "[";
    for (size_t i = 0; i < s.GetDimNum(); ++i) t += (i ? "," : "") + std::to_string(s.GetDim(i));
    return t + "]";
}
}  // namespace op

// A tensor of the aclnn API: shapes, data type and formats (no device memory on the twin).
class aclTensor {
   public:
    aclTensor(const op::Shape& view, const op::Shape& storage, const op::Shape& original, op::DataType dtype,
              op::Format storageFormat, op::Format originalFormat)
        : view_(view), storage_(storage), original_(original), dtype_(dtype), storage_format_(storageFormat),
          original_format_(originalFormat), view_format_(originalFormat) {}
    const op::Shape& GetViewShape() const { return view_; }
    const op::Shape& GetStorageShape() const { return storage_; }
    const op::Shape& GetOriginalShape() const { return original_; }
    void SetViewShape(const op::Shape& s) { view_ = s; }
    void SetStorageShape(const op::Shape& s) { storage_ = s; }
    void SetOriginalShape(const op::Shape& s) { original_ = s; }
    op::DataType GetDataType() const { return dtype_; }
    void SetDataType(op::DataType d) { dtype_ = d; }
    op::Format GetViewFormat() const { return view_format_; }
    op::Format GetStorageFormat() const { return storage_format_; }
    op::Format GetOriginalFormat() const { return original_format_; }
    void SetViewFormat(op::Format f) { view_format_ = f; }
    void SetStorageFormat(op::Format f) { storage_format_ = f; }
    void SetOriginalFormat(op::Format f) { original_format_ = f; }
    int64_t Numel() const { return view_.GetShapeSize(); }
    int64_t Size() const { return Numel(); }
    bool IsEmpty() const { return Numel() == 0; }

   private:
    op::Shape view_, storage_, original_;
    op::DataType dtype_;
    op::Format storage_format_, original_format_, view_format_;
};

// The executor of one aclnn call: owns the tensors an L0 function allocates.
class aclOpExecutor {
   public:
    aclTensor* AllocTensor(const op::Shape& shape, op::DataType dtype, op::Format format = ge::FORMAT_ND) {
        tensors_.emplace_back(shape, shape, shape, dtype, format, format);
        return &tensors_.back();
    }
    aclTensor* AllocTensor(const op::Shape& storageShape, const op::Shape& originShape, op::DataType dtype,
                           op::Format storageFormat, op::Format originFormat) {
        tensors_.emplace_back(originShape, storageShape, originShape, dtype, storageFormat, originFormat);
        return &tensors_.back();
    }

   private:
    std::deque<aclTensor> tensors_;
};

namespace op {
// UniqueExecutor (CREATE_EXECUTOR()): the executor of an aclnn L2 call.
class UniqueExecutor {
   public:
    explicit UniqueExecutor(const char* = "") {}
    aclOpExecutor* get() { return &executor_; }
    aclOpExecutor* operator->() { return &executor_; }
    aclnnStatus ReleaseTo(aclOpExecutor**) { return ACLNN_SUCCESS; }

   private:
    aclOpExecutor executor_;
};
// The argument lists of ADD_TO_LAUNCHER_LIST_* / INFER_SHAPE (OP_INPUT, OP_OUTPUT, OP_ATTR ...).
template <typename... A> inline std::tuple<const A&...> OpArgs(const A&... a) { return std::tuple<const A&...>(a...); }
inline uint32_t OpTypeId(const char* name) {  // FNV-1a of the op type
    uint32_t h = 2166136261u;
    for (const char* p = name; *p; ++p) h = (h ^ static_cast<uint8_t>(*p)) * 16777619u;
    return h;
}
}  // namespace op

#define OP_TYPE_REGISTER(kernelName)                                                                            \
    [[maybe_unused]] static inline uint32_t kernelName##OpTypeId() { return ::op::OpTypeId(#kernelName); }
#define L0_DFX(apiName, ...) ((void)0)
#define L2_DFX_PHASE_1(apiName, ...) ((void)0)
#define L2_DFX_PHASE_2(apiName) ((void)0)
#define DFX_IN(...) ::op::OpArgs(__VA_ARGS__)
#define DFX_OUT(...) ::op::OpArgs(__VA_ARGS__)
#define OP_INPUT(...) ::op::OpArgs(__VA_ARGS__)
#define OP_OUTPUT(...) ::op::OpArgs(__VA_ARGS__)
#define OP_ATTR(...) ::op::OpArgs(__VA_ARGS__)
#define OP_WORKSPACE(...) ::op::OpArgs(__VA_ARGS__)
#define OP_OUTSHAPE(...) ::op::OpArgs(__VA_ARGS__)
#define OP_OPTION(...) ::op::OpArgs(__VA_ARGS__)
#define OP_EMPTY_ARG ::op::OpArgs()
#define CREATE_EXECUTOR() ::op::UniqueExecutor(__func__)
#define INFER_SHAPE(kernelName, ...) ACLNN_SUCCESS
#define ADD_TO_LAUNCHER_LIST_AICORE(kernelName, ...) ACLNN_SUCCESS
#define ADD_TO_LAUNCHER_LIST_AICPU(kernelName, ...) ACLNN_SUCCESS
// Logs of the host library: the twin keeps the candidate's host side silent.
#define OP_LOGE(code, ...) ((void)(code))
#define OP_LOGW(...) ((void)0)
#define OP_LOGI(...) ((void)0)
#define OP_LOGD(...) ((void)0)
#define OP_CHECK(cond, log, ret)                                                                                 \
    do {                                                                                                         \
        if (!(cond)) {                                                                                           \
            log;                                                                                                 \
            ret;                                                                                                 \
        }                                                                                                        \
    } while (0)
#define CHECK_RET(cond, ret)                                                                                     \
    do {                                                                                                         \
        if (!(cond)) return ret;                                                                                 \
    } while (0)

#endif  // HAWK_HOST_OPDEV_H
