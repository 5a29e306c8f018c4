// Data layout APIs (AIV): Transpose (16 x 16 of 2-byte elements), TransDataTo5HD (the scatter transpose of 16 UB
// blocks per repeat: NCHW -> NC1HWC0, matrix transposes), GatherMask (keep the elements a bit pattern selects,
// packed, with the kept count), and PopStackBuffer. Our own code written from the public Ascend C documentation
// (Transpose.md, TransDataTo5HD.md, GatherMask.md, PopStackBuffer.md); runtime/transform.cpp runs them, and the raw
// CCE intrinsics behind them (vtranspose, scatter_vnchwconv_b8/b16/b32, vreducev2; include/hawk/cce.h) share it.
#ifndef HAWK_TRANSFORM_H
#define HAWK_TRANSFORM_H

#include "hawk/tensor.h"

namespace AscendC {

// ---------------------------------------------------------------------------------------------- Transpose
enum class TransposeType : uint8_t {
    TRANSPOSE_TYPE_NONE, TRANSPOSE_NZ2ND_0213, TRANSPOSE_NZ2NZ_0213, TRANSPOSE_NZ2NZ_012_WITH_N,
    TRANSPOSE_NZ2ND_012_WITH_N, TRANSPOSE_NZ2ND_012_WITHOUT_N, TRANSPOSE_NZ2NZ_012_WITHOUT_N, TRANSPOSE_ND2ND_ONLY,
    TRANSPOSE_ND_UB_GM, TRANSPOSE_GRAD_ND_UB_GM, TRANSPOSE_ND2ND_B16, TRANSPOSE_NCHW2NHWC, TRANSPOSE_NHWC2NCHW,
};
struct TransposeParamsExt {
    __aicore__ TransposeParamsExt() {}
    __aicore__ TransposeParamsExt(const uint16_t nSizeIn, const uint16_t cSizeIn, const uint16_t hSizeIn,
                                  const uint16_t wSizeIn, const TransposeType transposeTypeIn)
        : nSize(nSizeIn), cSize(cSizeIn), hSize(hSizeIn), wSize(wSizeIn), transposeType(transposeTypeIn) {}
    uint16_t nSize = 0;
    uint16_t cSize = 0;
    uint16_t hSize = 0;
    uint16_t wSize = 0;
    TransposeType transposeType = TransposeType::TRANSPOSE_ND2ND_B16;
};

// dst = src.T for one 16 x 16 matrix of int16_t / uint16_t / half (512 contiguous bytes each).
template <typename T>
__aicore__ inline void Transpose(const LocalTensor<T>& dst, const LocalTensor<T>& src, HAWK_LINE) {
    hawk::transpose16(dst.ref_, src.ref_, HAWK_SITE(Transpose));
}
// The enhanced form: TRANSPOSE_ND2ND_B16 is the 16 x 16 transpose; the NCHW <-> NHWC conversions are not modelled.
template <typename T>
__aicore__ inline void Transpose(const LocalTensor<T>& dst, const LocalTensor<T>& src,
                                 const LocalTensor<uint8_t>& sharedTmpBuffer, const TransposeParamsExt& p,
                                 HAWK_LINE) {
    (void)sharedTmpBuffer;
    if (p.transposeType == TransposeType::TRANSPOSE_ND2ND_B16) {
        hawk::transpose16(dst.ref_, src.ref_, HAWK_SITE(Transpose));
    } else if (p.transposeType != TransposeType::TRANSPOSE_TYPE_NONE) {
        hawk::unsupported_api("Transpose with TransposeParamsExt (NCHW <-> NHWC)", HAWK_SITE(Transpose));
    }
}

// ----------------------------------------------------------------------------------------- TransDataTo5HD
constexpr int32_t NCHW_CONV_ADDR_LIST_SIZE = 16;
struct TransDataTo5HDParams {
    constexpr __aicore__ TransDataTo5HDParams() = default;
    constexpr __aicore__ TransDataTo5HDParams(const bool dstHighHalfIn, const bool srcHighHalfIn,
                                              const uint8_t repeatTimesIn, const uint16_t dstRepStrideIn,
                                              const uint16_t srcRepStrideIn)
        : dstHighHalf(dstHighHalfIn), srcHighHalf(srcHighHalfIn), repeatTimes(repeatTimesIn),
          dstRepStride(dstRepStrideIn), srcRepStride(srcRepStrideIn) {}
    bool dstHighHalf = false;
    bool srcHighHalf = false;
    uint8_t repeatTimes = 1;
    uint16_t dstRepStride = 0;
    uint16_t srcRepStride = 0;
};

namespace detail {
template <typename T>
inline void trans5hd(const uint64_t dst[16], const uint64_t src[16], const TransDataTo5HDParams& p, hawk::Site site) {
    static_assert(sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4, "TransDataTo5HD takes 1-, 2- or 4-byte types");
    hawk::trans5hd(dst, src, hawk::dt_v<T>, p.repeatTimes, p.dstRepStride, p.srcRepStride, p.dstHighHalf,
                   p.srcHighHalf, site);
}
}  // namespace detail

// The address lists hold UB byte addresses (LocalTensor::GetPhyAddr()).
template <typename T>
__aicore__ inline void TransDataTo5HD(uint64_t dstList[NCHW_CONV_ADDR_LIST_SIZE],
                                      uint64_t srcList[NCHW_CONV_ADDR_LIST_SIZE], const TransDataTo5HDParams& p,
                                      HAWK_LINE) {
    detail::trans5hd<T>(dstList, srcList, p, HAWK_SITE(TransDataTo5HD));
}
// The address lists stored in UB tensors (16 uint64_t each).
template <typename T>
__aicore__ inline void TransDataTo5HD(const LocalTensor<uint64_t>& dst, const LocalTensor<uint64_t>& src,
                                      const TransDataTo5HDParams& p, HAWK_LINE) {
    uint64_t d[16], s[16];
    for (int i = 0; i < 16; ++i) {
        d[i] = dst.GetValue(static_cast<uint32_t>(i), hawk_line);
        s[i] = src.GetValue(static_cast<uint32_t>(i), hawk_line);
    }
    detail::trans5hd<T>(d, s, p, HAWK_SITE(TransDataTo5HD));
}
template <typename T>
__aicore__ inline void TransDataTo5HD(const LocalTensor<T> (&dstList)[NCHW_CONV_ADDR_LIST_SIZE],
                                      const LocalTensor<T> (&srcList)[NCHW_CONV_ADDR_LIST_SIZE],
                                      const TransDataTo5HDParams& p, HAWK_LINE) {
    uint64_t d[16], s[16];
    for (int i = 0; i < 16; ++i) {
        if (dstList[i].ref_.mem != hawk::Mem::UB || srcList[i].ref_.mem != hawk::Mem::UB)
            hawk::fault(hawk::Kind::INVALID_PARAMETER, hawk::Mem::UB, HAWK_SITE(TransDataTo5HD),
                        "TransDataTo5HD: entry %d of dstList/srcList is not a UB tensor", i);
        d[i] = dstList[i].ref_.addr;
        s[i] = srcList[i].ref_.addr;
    }
    detail::trans5hd<T>(d, s, p, HAWK_SITE(TransDataTo5HD));
}

// ---------------------------------------------------------------------------------------------- GatherMask
enum class GatherMaskMode : uint8_t { VERSION_V1 = 0, VERSION_V2 = 1 };
const GatherMaskMode defaultGahterMaskMode = GatherMaskMode::VERSION_V2;
const GatherMaskMode defaultGatherMaskMode = GatherMaskMode::VERSION_V2;
struct GatherMaskParams {
    __aicore__ GatherMaskParams() {}
    __aicore__ GatherMaskParams(const uint8_t src0BlockStrideIn, const uint16_t repeatTimesIn,
                                const uint16_t src0RepeatStrideIn, const uint8_t src1RepeatStrideIn)
        : src0BlockStride(src0BlockStrideIn), repeatTimes(repeatTimesIn), src0RepeatStride(src0RepeatStrideIn),
          src1RepeatStride(src1RepeatStrideIn) {}
    uint8_t src0BlockStride = 1;
    uint16_t repeatTimes = 0;
    uint16_t src0RepeatStride = 8;
    uint8_t src1RepeatStride = 8;
};

namespace detail {
inline void gather_mask(const hawk::Ref& dst, const hawk::Ref& src0, const hawk::Ref& src1, int pattern,
                        bool reduceMode, uint32_t mask, const GatherMaskParams& p, uint64_t& rsvdCnt,
                        hawk::Site site) {
    rsvdCnt = hawk::gather_mask(dst, src0, src1, pattern, reduceMode, mask, p.repeatTimes, p.src0BlockStride,
                                p.src0RepeatStride, p.src1RepeatStride, site);
    // The implementation ends in normal mode with its mask argument in the register (set_vector_mask(0, mask)).
    const uint64_t m[2] = {mask, 0};
    hawk::set_mask_mode(false);
    hawk::set_mask(false, m, hawk::Site{hawk::Api::SetVectorMask, site.line});
}
}  // namespace detail

// User pattern: bit i of src1Pattern (uint16_t for 2-byte, uint32_t for 4-byte data) keeps element i of a repeat.
template <typename T, typename U, GatherMaskMode mode = defaultGatherMaskMode>
__aicore__ inline void GatherMask(const LocalTensor<T>& dst, const LocalTensor<T>& src0,
                                  const LocalTensor<U>& src1Pattern, const bool reduceMode, const uint32_t mask,
                                  const GatherMaskParams& gatherMaskParams, uint64_t& rsvdCnt, HAWK_LINE) {
    detail::gather_mask(dst.ref_, src0.ref_, src1Pattern.ref_, 0, reduceMode, mask, gatherMaskParams, rsvdCnt,
                        HAWK_SITE(GatherMask));
}
// Built-in pattern 1-7: 1 even indices, 2 odd, 3-6 the first..fourth of every four, 7 all.
template <typename T, GatherMaskMode mode = defaultGatherMaskMode>
__aicore__ inline void GatherMask(const LocalTensor<T>& dst, const LocalTensor<T>& src0, const uint8_t src1Pattern,
                                  const bool reduceMode, const uint32_t mask, const GatherMaskParams& gatherMaskParams,
                                  uint64_t& rsvdCnt, HAWK_LINE) {
    detail::gather_mask(dst.ref_, src0.ref_, hawk::Ref{}, src1Pattern, reduceMode, mask, gatherMaskParams, rsvdCnt,
                        HAWK_SITE(GatherMask));
}
// The kept count of the last GatherMask (the RSVD_CNT register).
__aicore__ inline int64_t GetGatherMaskRemainCount() { return hawk::rsvd_cnt(); }

// ------------------------------------------------------------------------------------------ PopStackBuffer
// A tensor over all of the position's memory the TPipe has not handed out; false when nothing is left.
template <typename T, TPosition pos>
__aicore__ inline bool PopStackBuffer(LocalTensor<T>& popLocal, HAWK_LINE) {
    TPipe* p = GetTPipePtr();
    hawk::Ref r = hawk::pipe_stack(p ? p->id_ : -1, static_cast<int>(pos), hawk::dt_v<T>, HAWK_SITE(TBufGet));
    if (r.mem == hawk::Mem::NONE) return false;
    popLocal = detail::make_local<T>(r, pos, -1);
    return true;
}

}  // namespace AscendC

#endif  // HAWK_TRANSFORM_H
