// The normalisation, reduction and broadcast high-level APIs (LayerNorm, LayerNormGrad, LayerNormGradBeta, RmsNorm,
// Sum, BroadCast) with their host tiling (LayerNormTiling, RmsNormTiling, Get*MaxMinTmpSize, Get*TilingInfo), and
// PopStackBuffer, as documented for CANN. Our own code written from the public documentation. The kernel side
// describes the call; runtime/norms.cpp computes it (in float, as the library does for half) and records the
// vector instructions the library issues for it.
#ifndef HAWK_NORMS_H
#define HAWK_NORMS_H

#include <cstdint>
#include <cstring>
#include <vector>

#include "hawk/softmax.h"  // ge::Shape (AscendC::TensorShape)
#include "hawk/tensor.h"
#include "hawk/tiling.h"

namespace platform_ascendc {
class PlatformAscendC;
}

// The tiling structs: uint32 (and float) words in the documented order, with set_/get_ for
// TILING_DATA_FIELD_DEF_STRUCT; one type for optiling::, AscendC::tiling:: and the kernel.
#define HAWK_NORM_FIELD(type, f)                                                                              \
    type f = 0;                                                                                               \
    void set_##f(type v) { f = v; }                                                                           \
    type get_##f() const { return f; }
#define HAWK_NORM_STRUCT_TAIL                                                                                 \
    size_t GetDataSize() const { return sizeof(*this); }                                                      \
    void SaveToBuffer(void* buf, size_t capacity) const {                                                     \
        if (buf != nullptr && capacity >= sizeof(*this)) std::memcpy(buf, static_cast<const void*>(this), sizeof(*this)); \
    }

#define HAWK_LAYERNORM_FIELDS(X)                                                                              \
    X(uint32_t, bLength) X(uint32_t, sLength) X(uint32_t, hLength) X(uint32_t, originalHLength)                \
    X(uint32_t, inputXSize) X(uint32_t, meanVarSize) X(uint32_t, numberOfTmpBuf) X(uint32_t, meanTmpTensorPos)  \
    X(uint32_t, meanTmpTensorSize) X(uint32_t, varianceTmpTensorPos) X(uint32_t, varianceTmpTensorSize)         \
    X(uint32_t, tmpBufSize) X(uint32_t, oneTmpSize) X(uint32_t, firstTmpStartPos) X(uint32_t, secondTmpStartPos) \
    X(uint32_t, thirdTmpStartPos) X(uint32_t, loopRound) X(uint32_t, inputRoundSize) X(uint32_t, inputTailSize)  \
    X(uint32_t, inputTailPos) X(uint32_t, meanVarRoundSize) X(uint32_t, meanVarTailSize)                        \
    X(uint32_t, meanVarTailPos) X(uint32_t, bshCurLength) X(uint32_t, bsCurLength) X(float, lastDimValueBack)
#define HAWK_LAYERNORM_SEP_FIELDS(X)                                                                          \
    X(uint32_t, aLength) X(uint32_t, rLength) X(uint32_t, halfAddRepeatTimes) X(uint32_t, rHeadLength)         \
    X(float, k2Rec) X(float, k2RRec) X(uint32_t, inputXSize) X(uint32_t, meanVarSize)                          \
    X(uint32_t, numberOfTmpBuf) X(uint32_t, varianceTmpTensorPos) X(uint32_t, varianceTmpTensorSize)           \
    X(uint32_t, tmpBufSize) X(uint32_t, oneTmpSize) X(uint32_t, firstTmpStartPos) X(uint32_t, secondTmpStartPos) \
    X(uint32_t, thirdTmpStartPos) X(uint32_t, loopRound) X(uint32_t, inputRoundSize) X(uint32_t, inputTailSize)  \
    X(uint32_t, inputTailPos) X(uint32_t, meanVarRoundSize) X(uint32_t, meanVarTailSize)                        \
    X(uint32_t, meanVarTailPos) X(uint32_t, arCurLength) X(uint32_t, aCurLength) X(float, rValueBack)
// LayerNormGradTiling: the documentation does not list its fields; these are the twin's own (shape, the space
// given and the rows per pass it allows).
#define HAWK_LAYERNORM_GRAD_FIELDS(X)                                                                         \
    X(uint32_t, stackBufferSize) X(uint32_t, bLength) X(uint32_t, sLength) X(uint32_t, hLength)               \
    X(uint32_t, originalHLength) X(uint32_t, oneCalSize) X(uint32_t, nohCalSize) X(uint32_t, loopNum)          \
    X(uint32_t, tailSize) X(uint32_t, nohTailSize) X(uint32_t, numberOfTmpBuf) X(uint32_t, bshLength)          \
    X(uint32_t, bsLength) X(float, lastDimValueBack)
#define HAWK_LAYERNORM_GRAD_BETA_FIELDS(X)                                                                    \
    X(uint32_t, stackBufferSize) X(uint32_t, bLength) X(uint32_t, sLength) X(uint32_t, hLength)               \
    X(uint32_t, originalHLength) X(uint32_t, bshLength) X(uint32_t, bsLength) X(uint32_t, oneCalSize)          \
    X(uint32_t, numberOfTmpBuf) X(uint32_t, loopRound) X(uint32_t, inputTailSize) X(uint32_t, inputTailPos)    \
    X(uint32_t, bsTailSize) X(uint32_t, bshCurLength) X(uint32_t, bsCurLength) X(uint32_t, gammaTempTensorPos)  \
    X(uint32_t, betaTempTensorPos) X(uint32_t, inputDyTmpTensorPos) X(uint32_t, resForGammaTmpTensorPos)        \
    X(uint32_t, reserved)
#define HAWK_RMSNORM_FIELDS(X)                                                                                \
    X(uint32_t, bLength) X(uint32_t, sLength) X(uint32_t, hLength) X(uint32_t, originalHLength)               \
    X(float, reciprocalOfHLength) X(uint32_t, mainBshLength) X(uint32_t, mainBsLength)                        \
    X(uint32_t, mainBsLengthAlign) X(uint32_t, loopRound) X(uint32_t, inputTailPos) X(uint32_t, tailBshLength)  \
    X(uint32_t, tailBsLength)

namespace AscendC {
namespace tiling {
struct LayerNormTiling {
    HAWK_LAYERNORM_FIELDS(HAWK_NORM_FIELD)
    HAWK_NORM_STRUCT_TAIL
};
struct LayerNormSeparateTiling {
    HAWK_LAYERNORM_SEP_FIELDS(HAWK_NORM_FIELD)
    HAWK_NORM_STRUCT_TAIL
};
struct LayerNormGradTiling {
    HAWK_LAYERNORM_GRAD_FIELDS(HAWK_NORM_FIELD)
    HAWK_NORM_STRUCT_TAIL
};
struct LayerNormGradBetaTiling {
    HAWK_LAYERNORM_GRAD_BETA_FIELDS(HAWK_NORM_FIELD)
    HAWK_NORM_STRUCT_TAIL
};
struct RmsNormTiling {
    HAWK_RMSNORM_FIELDS(HAWK_NORM_FIELD)
    HAWK_NORM_STRUCT_TAIL
};
}  // namespace tiling
using tiling::LayerNormTiling;
using tiling::LayerNormSeparateTiling;
using tiling::LayerNormGradTiling;
using tiling::LayerNormGradBetaTiling;
using tiling::RmsNormTiling;

struct LayerNormConfig {
    bool isNoBeta = false;
    bool isNoGamma = false;
    bool isOnlyOutput = false;
    bool isOutputRstd = true;
};
inline constexpr LayerNormConfig LNCFG_NORM = {false, false, false, true};
struct LayerNormPara {
    __aicore__ inline LayerNormPara() = default;
    __aicore__ inline LayerNormPara(uint32_t a, uint32_t rPad) : aLength(a), rLength(rPad), rLengthWithPadding(rPad) {}
    __aicore__ inline LayerNormPara(uint32_t a, uint32_t r, uint32_t rPad)
        : aLength(a), rLength(r), rLengthWithPadding(rPad) {}
    uint32_t aLength = 0;
    uint32_t rLength = 0;
    uint32_t rLengthWithPadding = 0;
};
struct LayerNormGradShapeInfo {
    DataFormat dataFormat = DataFormat::ND;
};
struct SumParams {
    uint32_t outter = 1;
    uint32_t inner = 0;
    uint32_t n = 0;
};

// ---- host tiling (runtime/norms.cpp) ----
void GetLayerNormMaxMinTmpSize(const TensorShape& srcShape, const uint32_t typeSize, const bool isReuseSource,
                               uint32_t& maxValue, uint32_t& minValue);
void GetLayerNormMaxMinTmpSize(const TensorShape& srcShape, const uint32_t typeSize, const bool isReuseSource,
                               const bool isComputeRstd, const bool isOnlyOutput, uint32_t& maxValue,
                               uint32_t& minValue);
void GetLayerNormNDTilingInfo(const TensorShape& srcShape, const uint32_t stackBufferSize, const uint32_t typeSize,
                              const bool isReuseSource, LayerNormTiling& tiling);
void GetLayerNormNDTillingInfo(const TensorShape& srcShape, const uint32_t stackBufferSize, const uint32_t typeSize,
                               const bool isReuseSource, LayerNormTiling& tilling);
void GetLayerNormNDTilingInfo(const TensorShape& srcShape, const uint32_t stackBufferSize, const uint32_t typeSize,
                              const bool isReuseSource, const bool isComputeRstd, LayerNormSeparateTiling& tiling);
void GetLayerNormGradMaxMinTmpSize(const TensorShape& srcShape, const uint32_t typeSize, const bool isReuseSource,
                                   uint32_t& maxValue, uint32_t& minValue);
void GetLayerNormGradNDTilingInfo(const TensorShape srcShape, const uint32_t stackBufferSize, const uint32_t typeSize,
                                  const bool isReuseSource, LayerNormGradTiling& tiling);
void GetLayerNormGradBetaMaxMinTmpSize(const TensorShape& srcShape, const uint32_t typeSize, const bool isReuseSource,
                                       uint32_t& maxValue, uint32_t& minValue);
void GetLayerNormGradBetaNDTilingInfo(const TensorShape srcShape, const uint32_t stackBufferSize,
                                      const uint32_t typeSize, const bool isReuseSource,
                                      LayerNormGradBetaTiling& tiling);
bool GetRmsNormMaxMinTmpSize(const TensorShape& srcShape, const uint32_t typeSize, uint32_t& maxValue,
                             uint32_t& minValue, const bool isBasicBlock = false);
bool GetRmsNormTilingInfo(const TensorShape& srcShape, const TensorShape& originSrcShape,
                          const uint32_t stackBufferByteSize, const uint32_t typeSize, RmsNormTiling& tiling,
                          const bool isBasicBlock = false);
void GetSumMaxMinTmpSize(const uint32_t n, const uint32_t typeSize, const bool isReuseSource, uint32_t& maxValue,
                         uint32_t& minValue);
void GetBroadCastMaxMinTmpSize(const platform_ascendc::PlatformAscendC& ascendcPlatform, const TensorShape& srcShape,
                               const TensorShape& dstShape, uint32_t typeSize, const bool isReuseSource,
                               uint32_t& maxValue, uint32_t& minValue);
}  // namespace AscendC
using AscendC::tiling::LayerNormTiling;
using AscendC::tiling::LayerNormSeparateTiling;
using AscendC::tiling::LayerNormGradTiling;
using AscendC::tiling::LayerNormGradBetaTiling;
using AscendC::tiling::RmsNormTiling;

namespace hawk {
enum class NormKind : uint8_t { LAYERNORM = 0, LAYERNORM_RSTD, LN_GRAD, LN_GRAD_BETA, RMSNORM, SUM, BROADCAST };
// One high-level call. out/in are the API's outputs and inputs in their documented order.
struct NormCall {
    NormKind kind = NormKind::LAYERNORM;
    Ref out[3]{}, in[5]{}, tmp{};
    bool has_tmp = false;  // sharedTmpBuffer given (else the framework's space: the UB the TPipe left free)
    int pipe = -1;         // the running TPipe, for the framework's space
    uint32_t dim[4] = {};  // LayerNorm/Grad/GradBeta/RmsNorm: B, S, H, original H; RSTD: A, R, R padded;
                           // Sum: outter, inner, n; BroadCast: dim, axis, and below
    uint32_t dst_shape[2] = {}, src_shape[2] = {};
    double eps = 0;
    float recip = 0;       // RmsNorm reciprocalOfHLength / LayerNorm lastDimValueBack (0: from the shape)
    bool no_beta = false, no_gamma = false;
};
void norm(const NormCall& c, Site site);
}  // namespace hawk

namespace AscendC {
namespace detail {
inline int cur_pipe_id();
inline void norm_tmp(hawk::NormCall& c, const LocalTensor<uint8_t>* tmp) {
    if (tmp != nullptr) {
        c.tmp = tmp->ref_;
        c.has_tmp = true;
    }
    c.pipe = cur_pipe_id();
}
inline int cur_pipe_id() { return GetTPipePtr() ? GetTPipePtr()->id_ : -1; }
template <typename T>
inline void ln_call(hawk::NormCall& c, const LocalTensor<T>& output, const LocalTensor<T>& outputMean,
                    const LocalTensor<T>& outputVariance, const LocalTensor<T>& inputX, const LocalTensor<T>& gamma,
                    const LocalTensor<T>& beta, const LocalTensor<uint8_t>* tmp, float epsilon,
                    const LayerNormTiling& tiling) {
    c.kind = hawk::NormKind::LAYERNORM;
    c.out[0] = output.ref_; c.out[1] = outputMean.ref_; c.out[2] = outputVariance.ref_;
    c.in[0] = inputX.ref_; c.in[1] = gamma.ref_; c.in[2] = beta.ref_;
    c.dim[0] = tiling.bLength; c.dim[1] = tiling.sLength; c.dim[2] = tiling.hLength;
    c.dim[3] = tiling.originalHLength;
    c.recip = tiling.lastDimValueBack;
    c.eps = epsilon;
    norm_tmp(c, tmp);
}
}  // namespace detail

// ------------------------------------------------------------------------------------------------ LayerNorm
// [B, S, H]: output = gamma * (x - mean) / sqrt(variance + epsilon) + beta; mean and variance [B, S] over H.
template <typename T, bool isReuseSource = false>
__aicore__ inline void LayerNorm(const LocalTensor<T>& output, const LocalTensor<T>& outputMean,
                                 const LocalTensor<T>& outputVariance, const LocalTensor<T>& inputX,
                                 const LocalTensor<T>& gamma, const LocalTensor<T>& beta,
                                 const LocalTensor<uint8_t>& sharedTmpBuffer,
                                 const typename hawk::identity<T>::type epsilon, const LayerNormTiling& tiling,
                                 HAWK_LINE) {
    hawk::NormCall c;
    detail::ln_call(c, output, outputMean, outputVariance, inputX, gamma, beta, &sharedTmpBuffer,
                    static_cast<float>(epsilon), tiling);
    hawk::norm(c, HAWK_SITE(LayerNorm));
}
template <typename T, bool isReuseSource = false>
__aicore__ inline void LayerNorm(const LocalTensor<T>& output, const LocalTensor<T>& outputMean,
                                 const LocalTensor<T>& outputVariance, const LocalTensor<T>& inputX,
                                 const LocalTensor<T>& gamma, const LocalTensor<T>& beta,
                                 const typename hawk::identity<T>::type epsilon, const LayerNormTiling& tiling,
                                 HAWK_LINE) {
    hawk::NormCall c;
    detail::ln_call(c, output, outputMean, outputVariance, inputX, gamma, beta, nullptr, static_cast<float>(epsilon),
                    tiling);
    hawk::norm(c, HAWK_SITE(LayerNorm));
}

// [A, R]: output = gamma * (x - mean) * rstd + beta with float mean and rstd = 1 / sqrt(variance + epsilon) [A].
template <typename U, typename T, bool isReuseSource = false, const LayerNormConfig& config = LNCFG_NORM>
__aicore__ inline void LayerNorm(const LocalTensor<T>& output, const LocalTensor<float>& outputMean,
                                 const LocalTensor<float>& outputRstd, const LocalTensor<T>& inputX,
                                 const LocalTensor<U>& gamma, const LocalTensor<U>& beta, const float epsilon,
                                 const LocalTensor<uint8_t>& sharedTmpBuffer, const LayerNormPara& para,
                                 const LayerNormSeparateTiling& tiling, HAWK_LINE) {
    hawk::NormCall c;
    c.kind = hawk::NormKind::LAYERNORM_RSTD;
    c.out[0] = output.ref_; c.out[1] = outputMean.ref_; c.out[2] = outputRstd.ref_;
    c.in[0] = inputX.ref_; c.in[1] = gamma.ref_; c.in[2] = beta.ref_;
    c.dim[0] = para.aLength; c.dim[1] = para.rLength; c.dim[2] = para.rLengthWithPadding;
    c.recip = tiling.rValueBack;
    c.eps = epsilon;
    c.no_beta = config.isNoBeta; c.no_gamma = config.isNoGamma;
    if (!config.isOutputRstd || config.isOnlyOutput) {
        hawk::unsupported_api("LayerNorm with isOutputRstd = false or isOnlyOutput (Ascend 950 only)",
                              HAWK_SITE(LayerNorm));
    }
    detail::norm_tmp(c, &sharedTmpBuffer);
    hawk::norm(c, HAWK_SITE(LayerNorm));
}
template <typename U, typename T, bool isReuseSource = false, const LayerNormConfig& config = LNCFG_NORM>
__aicore__ inline void LayerNorm(const LocalTensor<T>& output, const LocalTensor<float>& outputMean,
                                 const LocalTensor<float>& outputRstd, const LocalTensor<T>& inputX,
                                 const LocalTensor<U>& gamma, const LocalTensor<U>& beta, const float epsilon,
                                 const LayerNormPara& para, const LayerNormSeparateTiling& tiling, HAWK_LINE) {
    hawk::NormCall c;
    c.kind = hawk::NormKind::LAYERNORM_RSTD;
    c.out[0] = output.ref_; c.out[1] = outputMean.ref_; c.out[2] = outputRstd.ref_;
    c.in[0] = inputX.ref_; c.in[1] = gamma.ref_; c.in[2] = beta.ref_;
    c.dim[0] = para.aLength; c.dim[1] = para.rLength; c.dim[2] = para.rLengthWithPadding;
    c.recip = tiling.rValueBack;
    c.eps = epsilon;
    c.no_beta = config.isNoBeta; c.no_gamma = config.isNoGamma;
    if (!config.isOutputRstd || config.isOnlyOutput) {
        hawk::unsupported_api("LayerNorm with isOutputRstd = false or isOnlyOutput (Ascend 950 only)",
                              HAWK_SITE(LayerNorm));
    }
    detail::norm_tmp(c, nullptr);
    hawk::norm(c, HAWK_SITE(LayerNorm));
}

// ------------------------------------------------------------------------------------------- LayerNormGrad
// pd_x and res_for_gamma = (x - mean) / sqrt(variance + epsilon) from dy, x, variance, mean, gamma (documented
// formulas; sums over H).
template <typename T, bool isReuseSource = false>
__aicore__ inline void LayerNormGrad(const LocalTensor<T>& outputPdX, const LocalTensor<T>& resForGamma,
                                     const LocalTensor<T>& inputDy, const LocalTensor<T>& inputX,
                                     const LocalTensor<T>& inputVariance, const LocalTensor<T>& inputMean,
                                     const LocalTensor<T>& inputGamma, const LocalTensor<uint8_t>& sharedTmpBuffer,
                                     const typename hawk::identity<T>::type epsilon, const LayerNormGradTiling& tiling,
                                     const LayerNormGradShapeInfo& shapeInfo = {}, HAWK_LINE) {
    hawk::NormCall c;
    c.kind = hawk::NormKind::LN_GRAD;
    c.out[0] = outputPdX.ref_; c.out[1] = resForGamma.ref_;
    c.in[0] = inputDy.ref_; c.in[1] = inputX.ref_; c.in[2] = inputVariance.ref_; c.in[3] = inputMean.ref_;
    c.in[4] = inputGamma.ref_;
    c.dim[0] = tiling.bLength; c.dim[1] = tiling.sLength; c.dim[2] = tiling.hLength; c.dim[3] = tiling.originalHLength;
    c.eps = static_cast<float>(epsilon);
    if (shapeInfo.dataFormat != DataFormat::ND) hawk::unsupported_api("LayerNormGrad with a non-ND format", HAWK_SITE(LayerNormGrad));
    detail::norm_tmp(c, &sharedTmpBuffer);
    hawk::norm(c, HAWK_SITE(LayerNormGrad));
}
template <typename T, bool isReuseSource = false>
__aicore__ inline void LayerNormGrad(const LocalTensor<T>& outputPdX, const LocalTensor<T>& resForGamma,
                                     const LocalTensor<T>& inputDy, const LocalTensor<T>& inputX,
                                     const LocalTensor<T>& inputVariance, const LocalTensor<T>& inputMean,
                                     const LocalTensor<T>& inputGamma, const typename hawk::identity<T>::type epsilon,
                                     const LayerNormGradTiling& tiling, const LayerNormGradShapeInfo& shapeInfo = {},
                                     HAWK_LINE) {
    hawk::NormCall c;
    c.kind = hawk::NormKind::LN_GRAD;
    c.out[0] = outputPdX.ref_; c.out[1] = resForGamma.ref_;
    c.in[0] = inputDy.ref_; c.in[1] = inputX.ref_; c.in[2] = inputVariance.ref_; c.in[3] = inputMean.ref_;
    c.in[4] = inputGamma.ref_;
    c.dim[0] = tiling.bLength; c.dim[1] = tiling.sLength; c.dim[2] = tiling.hLength; c.dim[3] = tiling.originalHLength;
    c.eps = static_cast<float>(epsilon);
    if (shapeInfo.dataFormat != DataFormat::ND) hawk::unsupported_api("LayerNormGrad with a non-ND format", HAWK_SITE(LayerNormGrad));
    detail::norm_tmp(c, nullptr);
    hawk::norm(c, HAWK_SITE(LayerNormGrad));
}

// LayerNormGradBeta: pd_gamma = sum over B, S of dy * res_for_gamma; pd_beta = sum over B, S of dy.
template <typename T, bool isReuseSource = false>
__aicore__ inline void LayerNormGradBeta(const LocalTensor<T>& outputPdGamma, const LocalTensor<T>& outputPdBeta,
                                         const LocalTensor<T>& resForGamma, const LocalTensor<T>& inputDy,
                                         const LocalTensor<uint8_t>& sharedTmpBuffer,
                                         const LayerNormGradBetaTiling& tiling, HAWK_LINE) {
    hawk::NormCall c;
    c.kind = hawk::NormKind::LN_GRAD_BETA;
    c.out[0] = outputPdGamma.ref_; c.out[1] = outputPdBeta.ref_;
    c.in[0] = resForGamma.ref_; c.in[1] = inputDy.ref_;
    c.dim[0] = tiling.bLength; c.dim[1] = tiling.sLength; c.dim[2] = tiling.hLength; c.dim[3] = tiling.originalHLength;
    detail::norm_tmp(c, &sharedTmpBuffer);
    hawk::norm(c, HAWK_SITE(LayerNormGradBeta));
}
template <typename T, bool isReuseSource = false>
__aicore__ inline void LayerNormGradBeta(const LocalTensor<T>& outputPdGamma, const LocalTensor<T>& outputPdBeta,
                                         const LocalTensor<T>& resForGamma, const LocalTensor<T>& inputDy,
                                         const LayerNormGradBetaTiling& tiling, HAWK_LINE) {
    hawk::NormCall c;
    c.kind = hawk::NormKind::LN_GRAD_BETA;
    c.out[0] = outputPdGamma.ref_; c.out[1] = outputPdBeta.ref_;
    c.in[0] = resForGamma.ref_; c.in[1] = inputDy.ref_;
    c.dim[0] = tiling.bLength; c.dim[1] = tiling.sLength; c.dim[2] = tiling.hLength; c.dim[3] = tiling.originalHLength;
    detail::norm_tmp(c, nullptr);
    hawk::norm(c, HAWK_SITE(LayerNormGradBeta));
}

// ------------------------------------------------------------------------------------------------- RmsNorm
// dst = src / sqrt(mean over H of src^2 + epsilon) * gamma, rows of [B, S, H].
template <typename T, bool isBasicBlock = false>
__aicore__ inline void RmsNorm(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal,
                               const LocalTensor<T>& gammaLocal, const LocalTensor<uint8_t>& sharedTmpBuffer,
                               const typename hawk::identity<T>::type epsilon, const RmsNormTiling& tiling,
                               HAWK_LINE) {
    hawk::NormCall c;
    c.kind = hawk::NormKind::RMSNORM;
    c.out[0] = dstLocal.ref_;
    c.in[0] = srcLocal.ref_; c.in[1] = gammaLocal.ref_;
    c.dim[0] = tiling.bLength; c.dim[1] = tiling.sLength; c.dim[2] = tiling.hLength; c.dim[3] = tiling.originalHLength;
    c.recip = tiling.reciprocalOfHLength;
    c.eps = static_cast<float>(epsilon);
    detail::norm_tmp(c, &sharedTmpBuffer);
    hawk::norm(c, HAWK_SITE(RmsNorm));
}
template <typename T, bool isBasicBlock = false>
__aicore__ inline void RmsNorm(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal,
                               const LocalTensor<T>& gammaLocal, const typename hawk::identity<T>::type epsilon,
                               const RmsNormTiling& tiling, HAWK_LINE) {
    hawk::NormCall c;
    c.kind = hawk::NormKind::RMSNORM;
    c.out[0] = dstLocal.ref_;
    c.in[0] = srcLocal.ref_; c.in[1] = gammaLocal.ref_;
    c.dim[0] = tiling.bLength; c.dim[1] = tiling.sLength; c.dim[2] = tiling.hLength; c.dim[3] = tiling.originalHLength;
    c.recip = tiling.reciprocalOfHLength;
    c.eps = static_cast<float>(epsilon);
    detail::norm_tmp(c, nullptr);
    hawk::norm(c, HAWK_SITE(RmsNorm));
}

// ----------------------------------------------------------------------------------------------------- Sum
// dst[i] = sum of the first n elements of row i (rows `inner` elements apart), i < outter.
template <typename T, int32_t reduceDim = -1, bool isReuseSource = false, bool isBasicBlock = false>
__aicore__ inline void Sum(const LocalTensor<T>& dstTensor, const LocalTensor<T>& srcTensor,
                           const LocalTensor<uint8_t>& sharedTmpBuffer, const SumParams& sumParams, HAWK_LINE) {
    hawk::NormCall c;
    c.kind = hawk::NormKind::SUM;
    c.out[0] = dstTensor.ref_;
    c.in[0] = srcTensor.ref_;
    c.dim[0] = sumParams.outter; c.dim[1] = sumParams.inner; c.dim[2] = sumParams.n;
    detail::norm_tmp(c, &sharedTmpBuffer);
    hawk::norm(c, HAWK_SITE(Sum));
}
template <typename T, int32_t reduceDim = -1, bool isReuseSource = false, bool isBasicBlock = false>
__aicore__ inline void Sum(const LocalTensor<T>& dstTensor, const LocalTensor<T>& srcTensor,
                           const SumParams& sumParams, HAWK_LINE) {
    hawk::NormCall c;
    c.kind = hawk::NormKind::SUM;
    c.out[0] = dstTensor.ref_;
    c.in[0] = srcTensor.ref_;
    c.dim[0] = sumParams.outter; c.dim[1] = sumParams.inner; c.dim[2] = sumParams.n;
    detail::norm_tmp(c, nullptr);
    hawk::norm(c, HAWK_SITE(Sum));
}

// ----------------------------------------------------------------------------------------------- Broadcast
// dim 1: [1] -> [n]; dim 2, axis 0: [1, k] -> [m, k]; dim 2, axis 1: [m, 1] -> [m, k] (dst dense, k elements a row).
namespace detail {
template <typename T, int32_t dim, int32_t axis>
__aicore__ inline void broadcast(const LocalTensor<T>& dst, const LocalTensor<T>& src, const uint32_t dstShape[dim],
                                 const uint32_t srcShape[dim], const LocalTensor<uint8_t>* tmp, hawk::Site site) {
    static_assert(dim == 1 || dim == 2, "Broadcast supports dim 1 and 2 (Atlas A2)");
    static_assert(axis == 0 || axis == 1, "Broadcast supports axis 0 and 1");
    hawk::NormCall c;
    c.kind = hawk::NormKind::BROADCAST;
    c.out[0] = dst.ref_;
    c.in[0] = src.ref_;
    c.dim[0] = dim; c.dim[1] = axis;
    for (int i = 0; i < dim; ++i) {
        c.dst_shape[i] = dstShape[i];
        c.src_shape[i] = srcShape[i];
    }
    norm_tmp(c, tmp);
    hawk::norm(c, site);
}
}  // namespace detail
template <typename T, int32_t dim, int32_t axis, bool isReuseSource = false>
__aicore__ inline void Broadcast(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal,
                                 const uint32_t dstShape[dim], const uint32_t srcShape[dim],
                                 const LocalTensor<uint8_t>& sharedTmpBuffer, HAWK_LINE) {
    detail::broadcast<T, dim, axis>(dstLocal, srcLocal, dstShape, srcShape, &sharedTmpBuffer, HAWK_SITE(Broadcast));
}
template <typename T, int32_t dim, int32_t axis, bool isReuseSource = false>
__aicore__ inline void Broadcast(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal,
                                 const uint32_t dstShape[dim], const uint32_t srcShape[dim], HAWK_LINE) {
    detail::broadcast<T, dim, axis>(dstLocal, srcLocal, dstShape, srcShape, nullptr, HAWK_SITE(Broadcast));
}
// BroadCast: the older name of Broadcast.
template <typename T, int32_t dim, int32_t axis, bool isReuseSource = false>
__aicore__ inline void BroadCast(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal,
                                 const uint32_t dstShape[dim], const uint32_t srcShape[dim],
                                 const LocalTensor<uint8_t>& sharedTmpBuffer, HAWK_LINE) {
    detail::broadcast<T, dim, axis>(dstLocal, srcLocal, dstShape, srcShape, &sharedTmpBuffer, HAWK_SITE(Broadcast));
}
template <typename T, int32_t dim, int32_t axis, bool isReuseSource = false>
__aicore__ inline void BroadCast(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal,
                                 const uint32_t dstShape[dim], const uint32_t srcShape[dim], HAWK_LINE) {
    detail::broadcast<T, dim, axis>(dstLocal, srcLocal, dstShape, srcShape, nullptr, HAWK_SITE(Broadcast));
}

}  // namespace AscendC

#endif  // HAWK_NORMS_H
