// The SoftMax family of high-level APIs (SoftMax, SimpleSoftMax, SoftmaxFlashV2, AdjustSoftMaxRes) with their
// tiling (SoftMaxTiling, SoftMaxTilingFunc, GetSoftMaxMax/MinTmpSize), as documented for CANN. Our own code
// written from the public documentation. The kernel side describes the call; runtime/softmax.cpp computes it
// (in float, as the library does for half) and records the vector instructions the library issues for it.
#ifndef HAWK_SOFTMAX_H
#define HAWK_SOFTMAX_H

#include <cstdint>
#include <cstring>
#include <vector>

#include "hawk/tensor.h"
#include "hawk/tiling.h"

// ge::Shape (AscendC::TensorShape): the shape argument of the host tiling functions of the high-level APIs.
#ifndef HAWK_GE_SHAPE_DEFINED
#define HAWK_GE_SHAPE_DEFINED
namespace ge {
class Shape {
   public:
    Shape() = default;
    explicit Shape(const std::vector<int64_t>& dims) : dims_(dims) {}
    std::vector<int64_t> GetDims() const { return dims_; }
    size_t GetDimNum() const { return dims_.size(); }
    int64_t GetDim(size_t i) const { return i < dims_.size() ? dims_[i] : 0; }
    int64_t GetShapeSize() const {
        if (dims_.empty()) return 0;
        int64_t n = 1;
        for (int64_t d : dims_) n *= d;
        return n;
    }
    void SetDim(size_t i, int64_t v) {
        if (i < dims_.size()) dims_[i] = v;
    }

   private:
    std::vector<int64_t> dims_;
};
}  // namespace ge
#endif

#define HAWK_SOFTMAX_FIELDS(X)                                                                                 \
    X(srcM) X(srcK) X(srcSize) X(outMaxM) X(outMaxK) X(outMaxSize) X(splitM) X(splitK) X(splitSize) X(reduceM)  \
    X(reduceK) X(reduceSize) X(rangeM) X(tailM) X(tailSplitSize) X(tailReduceSize)

namespace AscendC {
namespace tiling {
// The documented SoftMaxTiling fields in order: uint32 words (kernels copy tiling structs word by word).
struct SoftMaxTiling {
#define HAWK_SOFTMAX_FIELD(f)                                                                                  \
    uint32_t f = 0;                                                                                            \
    void set_##f(uint32_t v) { f = v; }                                                                        \
    uint32_t get_##f() const { return f; }
    HAWK_SOFTMAX_FIELDS(HAWK_SOFTMAX_FIELD)
#undef HAWK_SOFTMAX_FIELD
    size_t GetDataSize() const { return sizeof(*this); }
    void SaveToBuffer(void* buf, size_t capacity) const {
        if (buf != nullptr && capacity >= sizeof(*this)) std::memcpy(buf, static_cast<const void*>(this), sizeof(*this));
    }
};
using LogSoftMaxTiling = SoftMaxTiling;
}  // namespace tiling
using TensorShape = ge::Shape;
using tiling::SoftMaxTiling;
using tiling::LogSoftMaxTiling;

struct SoftMaxShapeInfo {
    uint32_t srcM = 0;
    uint32_t srcK = 0;
    uint32_t oriSrcM = 0;
    uint32_t oriSrcK = 0;
};
struct LastAxisShapeND {
    uint32_t m;
    uint32_t k;
};
enum class SoftmaxMode { SOFTMAX_NORMAL = 0, SOFTMAX_OUTPUT_WITHOUT_BRC = 1 };
struct SoftmaxConfig {
    bool isCheckTiling = true;
    uint32_t oriSrcM = 0;
    uint32_t oriSrcK = 0;
    SoftmaxMode mode = SoftmaxMode::SOFTMAX_NORMAL;
};
inline constexpr SoftmaxConfig SOFTMAX_DEFAULT_CFG = {true, 0, 0, SoftmaxMode::SOFTMAX_NORMAL};

// ---- host tiling (runtime/softmax.cpp) ----
uint32_t GetSoftMaxMaxTmpSize(const TensorShape& srcShape, const uint32_t dataTypeSize, const bool isReuseSource);
uint32_t GetSoftMaxMinTmpSize(const TensorShape& srcShape, const uint32_t dataTypeSize, const bool isReuseSource);
void SoftMaxTilingFunc(const TensorShape& srcShape, const uint32_t dataTypeSize, const uint32_t localWorkSpaceSize,
                       SoftMaxTiling& softmaxTiling);
bool IsBasicBlockInSoftMax(SoftMaxTiling& tiling, const uint32_t dataTypeSize = 2);
uint32_t GetSoftMaxFlashV2MinTmpSize(const TensorShape& srcShape, const uint32_t dataTypeSize1,
                                     const uint32_t dataTypeSize2, const bool isUpdate, const bool isBasicBlock = false,
                                     const bool isFlashOutputBrc = false);
uint32_t GetSoftMaxFlashV2MaxTmpSize(const TensorShape& srcShape, const uint32_t dataTypeSize1,
                                     const uint32_t dataTypeSize2, const bool isUpdate, const bool isBasicBlock = false,
                                     const bool isFlashOutputBrc = false);
void SoftMaxFlashV2TilingFunc(const TensorShape& srcShape, const uint32_t dataTypeSize1, const uint32_t dataTypeSize2,
                              const uint32_t localWorkSpaceSize, SoftMaxTiling& softmaxFlashTiling,
                              const bool isUpdate, const bool isBasicBlock = false,
                              const bool isFlashOutputBrc = false);
}  // namespace AscendC
using AscendC::tiling::SoftMaxTiling;
using AscendC::tiling::LogSoftMaxTiling;

namespace hawk {
enum class SmKind : uint8_t { SOFTMAX = 0, SIMPLE = 1, FLASH_V2 = 2, ADJUST = 3 };
struct SmCall {
    SmKind kind = SmKind::SOFTMAX;
    Ref dst{}, sum{}, max{}, src{}, exp_max{}, in_sum{}, in_max{}, tmp{};
    bool has_sum_max = false;  // SoftMax with sum/max outputs
    bool has_tmp = false;      // sharedTmpBuffer given
    bool update = false;       // SoftmaxFlashV2 isUpdate
    bool nz = false;           // isDataFormatNZ
    uint32_t m = 0, k = 0, ori_m = 0, ori_k = 0;
    AscendC::tiling::SoftMaxTiling tiling{};
    uint32_t adjust_from = 0;  // AdjustSoftMaxRes: the max bit pattern to look for
    double adjust_to = 0;      // and the value its rows get
};
// Runs one call; AdjustSoftMaxRes returns whether any row matched.
bool softmax(const SmCall& c, Site site);
}  // namespace hawk

namespace AscendC {
namespace detail {
inline void sm_shape(hawk::SmCall& c, const SoftMaxTiling& tiling, const SoftMaxShapeInfo& info) {
    c.tiling = tiling;
    c.m = info.srcM ? info.srcM : tiling.srcM;
    c.k = info.srcK ? info.srcK : tiling.srcK;
    c.ori_m = info.oriSrcM ? info.oriSrcM : c.m;
    c.ori_k = info.oriSrcK ? info.oriSrcK : c.k;
}
}  // namespace detail

// SoftMax: dst = exp(src - rowmax) / rowsum; sum and max as [m, 32 B] blocks of one value per row.
template <typename T, bool isReuseSource = false, bool isBasicBlock = false, bool isDataFormatNZ = false,
          const SoftmaxConfig& config = SOFTMAX_DEFAULT_CFG, typename U>
__aicore__ inline void SoftMax(const LocalTensor<T>& dstTensor, const LocalTensor<U>& sumTensor,
                               const LocalTensor<U>& maxTensor, const LocalTensor<T>& srcTensor,
                               const LocalTensor<uint8_t>& sharedTmpBuffer, const SoftMaxTiling& tiling,
                               const SoftMaxShapeInfo& softmaxShapeInfo = {}, HAWK_LINE) {
    hawk::SmCall c;
    c.dst = dstTensor.ref_; c.sum = sumTensor.ref_; c.max = maxTensor.ref_; c.src = srcTensor.ref_;
    c.tmp = sharedTmpBuffer.ref_; c.has_tmp = true; c.has_sum_max = true; c.nz = isDataFormatNZ;
    detail::sm_shape(c, tiling, softmaxShapeInfo);
    hawk::softmax(c, HAWK_SITE(SoftMax));
}
template <typename T, bool isReuseSource = false, bool isBasicBlock = false, bool isDataFormatNZ = false,
          const SoftmaxConfig& config = SOFTMAX_DEFAULT_CFG, typename U>
__aicore__ inline void SoftMax(const LocalTensor<T>& dstTensor, const LocalTensor<U>& sumTensor,
                               const LocalTensor<U>& maxTensor, const LocalTensor<T>& srcTensor,
                               const SoftMaxTiling& tiling, const SoftMaxShapeInfo& softmaxShapeInfo = {}, HAWK_LINE) {
    hawk::SmCall c;
    c.dst = dstTensor.ref_; c.sum = sumTensor.ref_; c.max = maxTensor.ref_; c.src = srcTensor.ref_;
    c.has_sum_max = true; c.nz = isDataFormatNZ;
    detail::sm_shape(c, tiling, softmaxShapeInfo);
    hawk::softmax(c, HAWK_SITE(SoftMax));
}
template <typename T, bool isReuseSource = false, bool isBasicBlock = false,
          const SoftmaxConfig& config = SOFTMAX_DEFAULT_CFG>
__aicore__ inline void SoftMax(const LocalTensor<T>& dstTensor, const LocalTensor<T>& srcTensor,
                               const LocalTensor<uint8_t>& sharedTmpBuffer, const SoftMaxTiling& tiling,
                               const SoftMaxShapeInfo& softmaxShapeInfo = {}, HAWK_LINE) {
    hawk::SmCall c;
    c.dst = dstTensor.ref_; c.src = srcTensor.ref_; c.tmp = sharedTmpBuffer.ref_; c.has_tmp = true;
    detail::sm_shape(c, tiling, softmaxShapeInfo);
    hawk::softmax(c, HAWK_SITE(SoftMax));
}
template <typename T, bool isReuseSource = false, bool isBasicBlock = false,
          const SoftmaxConfig& config = SOFTMAX_DEFAULT_CFG>
__aicore__ inline void SoftMax(const LocalTensor<T>& dstTensor, const LocalTensor<T>& srcTensor,
                               const SoftMaxTiling& tiling, const SoftMaxShapeInfo& softmaxShapeInfo = {}, HAWK_LINE) {
    hawk::SmCall c;
    c.dst = dstTensor.ref_; c.src = srcTensor.ref_;
    detail::sm_shape(c, tiling, softmaxShapeInfo);
    hawk::softmax(c, HAWK_SITE(SoftMax));
}

// SimpleSoftMax: dst = exp(src - inMax) / inSum with precomputed per-row sum and max (no reduction).
template <typename T, bool isReuseSource = false, bool isBasicBlock = false, bool isDataFormatNZ = false,
          const SoftmaxConfig& config = SOFTMAX_DEFAULT_CFG, typename U>
__aicore__ inline void SimpleSoftMax(const LocalTensor<T>& dstTensor, const LocalTensor<U>& inSumTensor,
                                     const LocalTensor<U>& inMaxTensor, const LocalTensor<T>& srcTensor,
                                     const LocalTensor<uint8_t>& sharedTmpBuffer, const SoftMaxTiling& tiling,
                                     const SoftMaxShapeInfo& softmaxShapeInfo = {}, HAWK_LINE) {
    hawk::SmCall c;
    c.kind = hawk::SmKind::SIMPLE;
    c.dst = dstTensor.ref_; c.in_sum = inSumTensor.ref_; c.in_max = inMaxTensor.ref_; c.src = srcTensor.ref_;
    c.tmp = sharedTmpBuffer.ref_; c.has_tmp = true; c.nz = isDataFormatNZ;
    detail::sm_shape(c, tiling, softmaxShapeInfo);
    hawk::softmax(c, HAWK_SITE(SoftMax));
}
template <typename T, bool isReuseSource = false, bool isBasicBlock = false, bool isDataFormatNZ = false,
          const SoftmaxConfig& config = SOFTMAX_DEFAULT_CFG, typename U>
__aicore__ inline void SimpleSoftMax(const LocalTensor<T>& dstTensor, const LocalTensor<U>& inSumTensor,
                                     const LocalTensor<U>& inMaxTensor, const LocalTensor<T>& srcTensor,
                                     const SoftMaxTiling& tiling, const SoftMaxShapeInfo& softmaxShapeInfo = {},
                                     HAWK_LINE) {
    hawk::SmCall c;
    c.kind = hawk::SmKind::SIMPLE;
    c.dst = dstTensor.ref_; c.in_sum = inSumTensor.ref_; c.in_max = inMaxTensor.ref_; c.src = srcTensor.ref_;
    c.nz = isDataFormatNZ;
    detail::sm_shape(c, tiling, softmaxShapeInfo);
    hawk::softmax(c, HAWK_SITE(SoftMax));
}

// SoftmaxFlashV2 (FlashAttention-2): without update, max = rowmax, dst = exp(src - max), expSum = rowsum(dst);
// with update, max = max(inMax, rowmax), expMax = exp(inMax - max), expSum = expMax * inExpSum + rowsum(dst).
template <typename T, bool isUpdate = false, bool isReuseSource = false, bool isBasicBlock = false,
          bool isDataFormatNZ = false, const SoftmaxConfig& config = SOFTMAX_DEFAULT_CFG, typename U>
__aicore__ inline void SoftmaxFlashV2(const LocalTensor<T>& dstTensor, const LocalTensor<U>& expSumTensor,
                                      const LocalTensor<U>& maxTensor, const LocalTensor<T>& srcTensor,
                                      const LocalTensor<T>& expMaxTensor, const LocalTensor<U>& inExpSumTensor,
                                      const LocalTensor<U>& inMaxTensor, const LocalTensor<uint8_t>& sharedTmpBuffer,
                                      const SoftMaxTiling& tiling, const SoftMaxShapeInfo& softmaxShapeInfo = {},
                                      HAWK_LINE) {
    hawk::SmCall c;
    c.kind = hawk::SmKind::FLASH_V2;
    c.dst = dstTensor.ref_; c.sum = expSumTensor.ref_; c.max = maxTensor.ref_; c.src = srcTensor.ref_;
    c.exp_max = expMaxTensor.ref_; c.in_sum = inExpSumTensor.ref_; c.in_max = inMaxTensor.ref_;
    c.tmp = sharedTmpBuffer.ref_; c.has_tmp = true; c.update = isUpdate; c.nz = isDataFormatNZ;
    detail::sm_shape(c, tiling, softmaxShapeInfo);
    hawk::softmax(c, HAWK_SITE(SoftMax));
}
template <typename T, bool isUpdate = false, bool isReuseSource = false, bool isBasicBlock = false,
          bool isDataFormatNZ = false, const SoftmaxConfig& config = SOFTMAX_DEFAULT_CFG, typename U>
__aicore__ inline void SoftmaxFlashV2(const LocalTensor<T>& dstTensor, const LocalTensor<U>& expSumTensor,
                                      const LocalTensor<U>& maxTensor, const LocalTensor<T>& srcTensor,
                                      const LocalTensor<T>& expMaxTensor, const LocalTensor<U>& inExpSumTensor,
                                      const LocalTensor<U>& inMaxTensor, const SoftMaxTiling& tiling,
                                      const SoftMaxShapeInfo& softmaxShapeInfo = {}, HAWK_LINE) {
    hawk::SmCall c;
    c.kind = hawk::SmKind::FLASH_V2;
    c.dst = dstTensor.ref_; c.sum = expSumTensor.ref_; c.max = maxTensor.ref_; c.src = srcTensor.ref_;
    c.exp_max = expMaxTensor.ref_; c.in_sum = inExpSumTensor.ref_; c.in_max = inMaxTensor.ref_;
    c.update = isUpdate; c.nz = isDataFormatNZ;
    detail::sm_shape(c, tiling, softmaxShapeInfo);
    hawk::softmax(c, HAWK_SITE(SoftMax));
}

// AdjustSoftMaxRes: the rows whose max has the bit pattern `from` are set to `to`; true if any row was.
template <typename T1, typename T2, bool isDataFormatNZ = false, uint8_t stepSizeMode = 0>
__aicore__ inline bool AdjustSoftMaxRes(const LocalTensor<T1>& softMaxRes, const LocalTensor<T2>& maxTensor,
                                        const uint32_t from, const T1 to, const SoftMaxShapeInfo& softmaxShapeInfo,
                                        HAWK_LINE) {
    hawk::SmCall c;
    c.kind = hawk::SmKind::ADJUST;
    c.dst = softMaxRes.ref_; c.max = maxTensor.ref_; c.nz = isDataFormatNZ;
    c.m = softmaxShapeInfo.srcM; c.k = softmaxShapeInfo.srcK;
    c.ori_m = softmaxShapeInfo.oriSrcM ? softmaxShapeInfo.oriSrcM : c.m;
    c.ori_k = softmaxShapeInfo.oriSrcK ? softmaxShapeInfo.oriSrcK : c.k;
    c.adjust_from = from;
    c.adjust_to = static_cast<double>(static_cast<float>(to));
    return hawk::softmax(c, HAWK_SITE(SoftMax));
}

}  // namespace AscendC

#endif  // HAWK_SOFTMAX_H
