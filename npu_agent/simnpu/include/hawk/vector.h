// Vector APIs (AIV, PIPE_V): the "first n elements" (count) form and the mask/repeat/RepeatParams form.
// Each call is described and handed to the runtime, which checks, records and executes it.
#ifndef HAWK_VECTOR_H
#define HAWK_VECTOR_H

#include <type_traits>

#include "hawk/tensor.h"

namespace AscendC {

// Repeat parameters are held in wide fields so an out-of-range value is reported, not silently wrapped.
struct BinaryRepeatParams {
    __aicore__ BinaryRepeatParams() = default;
    __aicore__ BinaryRepeatParams(uint32_t dstBlk, uint32_t src0Blk, uint32_t src1Blk, uint32_t dstRep,
                                  uint32_t src0Rep, uint32_t src1Rep)
        : dstBlkStride(dstBlk), src0BlkStride(src0Blk), src1BlkStride(src1Blk), dstRepStride(dstRep),
          src0RepStride(src0Rep), src1RepStride(src1Rep) {}
    uint32_t dstBlkStride = 1, src0BlkStride = 1, src1BlkStride = 1;
    uint32_t dstRepStride = 8, src0RepStride = 8, src1RepStride = 8;
    bool repeatStrideMode = false, strideSizeMode = false;
};

struct UnaryRepeatParams {
    __aicore__ UnaryRepeatParams() = default;
    __aicore__ UnaryRepeatParams(uint32_t dstBlk, uint32_t srcBlk, uint32_t dstRep, uint32_t srcRep)
        : dstBlkStride(dstBlk), srcBlkStride(srcBlk), dstRepStride(dstRep), srcRepStride(srcRep) {}
    uint32_t dstBlkStride = 1, srcBlkStride = 1;
    uint32_t dstRepStride = 8, srcRepStride = 8;
    bool repeatStrideMode = false, strideSizeMode = false;
    bool halfBlock = false;
};

struct BrcbRepeatParams {
    __aicore__ BrcbRepeatParams() = default;
    __aicore__ BrcbRepeatParams(uint32_t dstBlk, uint32_t dstRep) : dstBlkStride(dstBlk), dstRepStride(dstRep) {}
    uint32_t dstBlkStride = 1, dstRepStride = 8;
};

enum class RoundMode : uint8_t { CAST_NONE = 0, CAST_RINT, CAST_FLOOR, CAST_CEIL, CAST_ROUND, CAST_TRUNC, CAST_ODD,
                                 CAST_HYBRID };
enum class CMPMODE : uint8_t { LT = 0, GT, EQ, LE, GE, NE };
enum class SELMODE : uint8_t { VSEL_CMPMASK_SPR = 0, VSEL_TENSOR_SCALAR_MODE, VSEL_TENSOR_TENSOR_MODE };
enum class ReduceOrder : uint8_t { ORDER_VALUE_INDEX = 0, ORDER_INDEX_VALUE, ORDER_ONLY_VALUE, ORDER_ONLY_INDEX };
enum class MaskMode : uint8_t { NORMAL = 0, COUNTER };

namespace detail {
template <typename T> inline double to_double(const T& v) {
    if constexpr (std::is_same_v<T, bfloat16_t>) {
        return static_cast<double>(static_cast<float>(v));
    } else {
        return static_cast<double>(v);
    }
}
inline hawk::Strides strides(const BinaryRepeatParams& p) {
    hawk::Strides s;
    s.dst_blk = p.dstBlkStride; s.src0_blk = p.src0BlkStride; s.src1_blk = p.src1BlkStride;
    s.dst_rep = p.dstRepStride; s.src0_rep = p.src0RepStride; s.src1_rep = p.src1RepStride;
    return s;
}
inline hawk::Strides strides(const UnaryRepeatParams& p) {
    hawk::Strides s;
    s.dst_blk = p.dstBlkStride; s.src0_blk = p.srcBlkStride; s.src1_blk = p.srcBlkStride;
    s.dst_rep = p.dstRepStride; s.src0_rep = p.srcRepStride; s.src1_rep = p.srcRepStride;
    return s;
}
inline void mask_form(hawk::VecCall& c, uint64_t mask, uint64_t repeat, bool setMask) {
    c.count_form = false; c.mask[0] = mask; c.repeat = repeat; c.use_set_mask = !setMask;
}
inline void mask_form(hawk::VecCall& c, const uint64_t mask[], uint64_t repeat, bool setMask) {
    c.count_form = false; c.bit_mask = true; c.repeat = repeat; c.use_set_mask = !setMask;
    if (setMask) { c.mask[0] = mask[0]; c.mask[1] = mask[1]; }
}
template <typename T> inline hawk::VecCall call(hawk::VOp op, const LocalTensor<T>& dst) {
    hawk::VecCall c{};
    c.op = op;
    c.dst = dst.ref_;
    return c;
}
}  // namespace detail

// ---------------------------------------------------------------------------------- binary: dst = a (op) b
#define HAWK_BINARY(Name, OPC)                                                                                   \
    template <typename T>                                                                                        \
    __aicore__ inline void Name(const LocalTensor<T>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1, \
                                const int64_t count, HAWK_LINE) {                                                \
        auto c = detail::call(hawk::VOp::OPC, dst);                                                              \
        c.src0 = src0.ref_; c.src1 = src1.ref_; c.count = count;                                                 \
        hawk::vec(c, HAWK_SITE(Name));                                                                           \
    }                                                                                                            \
    template <typename T, bool isSetMask = true, typename M>                                                     \
    __aicore__ inline void Name(const LocalTensor<T>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1, \
                                M mask, const uint64_t repeatTime, const BinaryRepeatParams& p, HAWK_LINE) {     \
        auto c = detail::call(hawk::VOp::OPC, dst);                                                              \
        c.src0 = src0.ref_; c.src1 = src1.ref_; c.st = detail::strides(p);                                       \
        detail::mask_form(c, mask, repeatTime, isSetMask);                                                       \
        hawk::vec(c, HAWK_SITE(Name));                                                                           \
    }

HAWK_BINARY(Add, ADD)
HAWK_BINARY(Sub, SUB)
HAWK_BINARY(Mul, MUL)
HAWK_BINARY(Div, DIV)
HAWK_BINARY(Max, MAX)
HAWK_BINARY(Min, MIN)
HAWK_BINARY(And, AND)
HAWK_BINARY(Or, OR)
#undef HAWK_BINARY

// ------------------------------------------------------------------------------------ unary: dst = f(src)
#define HAWK_UNARY(Name, OPC)                                                                                    \
    template <typename T>                                                                                        \
    __aicore__ inline void Name(const LocalTensor<T>& dst, const LocalTensor<T>& src, const int64_t count,         \
                                HAWK_LINE) {                                                                     \
        auto c = detail::call(hawk::VOp::OPC, dst);                                                              \
        c.src0 = src.ref_; c.count = count;                                                                      \
        hawk::vec(c, HAWK_SITE(Name));                                                                           \
    }                                                                                                            \
    template <typename T, bool isSetMask = true, typename M>                                                     \
    __aicore__ inline void Name(const LocalTensor<T>& dst, const LocalTensor<T>& src, M mask,                    \
                                const uint64_t repeatTime, const UnaryRepeatParams& p, HAWK_LINE) {              \
        auto c = detail::call(hawk::VOp::OPC, dst);                                                              \
        c.src0 = src.ref_; c.st = detail::strides(p);                                                            \
        detail::mask_form(c, mask, repeatTime, isSetMask);                                                       \
        hawk::vec(c, HAWK_SITE(Name));                                                                           \
    }

HAWK_UNARY(Exp, EXP)
HAWK_UNARY(Ln, LN)
HAWK_UNARY(Abs, ABS)
HAWK_UNARY(Sqrt, SQRT)
HAWK_UNARY(Rsqrt, RSQRT)
HAWK_UNARY(Reciprocal, RECIP)
HAWK_UNARY(Relu, RELU)
HAWK_UNARY(Not, NOT)
#undef HAWK_UNARY

// ------------------------------------------------------------------------ tensor-scalar: dst = src (op) s
#define HAWK_SCALAR(Name, OPC)                                                                                   \
    template <typename T, bool isSetMask = true>                                                                 \
    __aicore__ inline void Name(const LocalTensor<T>& dst, const LocalTensor<T>& src,                            \
                                const typename hawk::identity<T>::type& scalarValue, const int64_t count,        \
                                HAWK_LINE) {                                                                     \
        auto c = detail::call(hawk::VOp::OPC, dst);                                                              \
        c.src0 = src.ref_; c.count = count; c.use_set_mask = !isSetMask;                                         \
        c.scalar = detail::to_double(scalarValue); c.scalar_bits = hawk::bits_of(scalarValue);                   \
        hawk::vec(c, HAWK_SITE(Name));                                                                           \
    }                                                                                                            \
    template <typename T, bool isSetMask = true, typename M>                                                     \
    __aicore__ inline void Name(const LocalTensor<T>& dst, const LocalTensor<T>& src,                            \
                                const typename hawk::identity<T>::type& scalarValue, M mask,                     \
                                const uint64_t repeatTime, const UnaryRepeatParams& p, HAWK_LINE) {              \
        auto c = detail::call(hawk::VOp::OPC, dst);                                                              \
        c.src0 = src.ref_; c.st = detail::strides(p);                                                            \
        c.scalar = detail::to_double(scalarValue); c.scalar_bits = hawk::bits_of(scalarValue);                   \
        detail::mask_form(c, mask, repeatTime, isSetMask);                                                       \
        hawk::vec(c, HAWK_SITE(Name));                                                                           \
    }

HAWK_SCALAR(Adds, ADDS)
HAWK_SCALAR(Muls, MULS)
HAWK_SCALAR(Maxs, MAXS)
HAWK_SCALAR(Mins, MINS)
HAWK_SCALAR(LeakyRelu, LEAKY_RELU)
#undef HAWK_SCALAR

// ----------------------------------------------------------------------------------------------- Duplicate
template <typename T>
__aicore__ inline void Duplicate(const LocalTensor<T>& dst, const typename hawk::identity<T>::type& scalarValue,
                                 const int64_t count, HAWK_LINE) {
    auto c = detail::call(hawk::VOp::DUP, dst);
    c.count = count;
    c.scalar = detail::to_double(scalarValue);
    c.scalar_bits = hawk::bits_of(scalarValue);
    hawk::vec(c, HAWK_SITE(Duplicate));
}
template <typename T, bool isSetMask = true, typename M>
__aicore__ inline void Duplicate(const LocalTensor<T>& dst, const typename hawk::identity<T>::type& scalarValue,
                                 M mask, const uint64_t repeatTime, const uint32_t dstBlockStride,
                                 const uint32_t dstRepeatStride, HAWK_LINE) {
    auto c = detail::call(hawk::VOp::DUP, dst);
    c.scalar = detail::to_double(scalarValue);
    c.scalar_bits = hawk::bits_of(scalarValue);
    c.st.dst_blk = dstBlockStride;
    c.st.dst_rep = dstRepeatStride;
    detail::mask_form(c, mask, repeatTime, isSetMask);
    hawk::vec(c, HAWK_SITE(Duplicate));
}

// -------------------------------------------------------------------------------------------------- Cast
template <typename T, typename U>
__aicore__ inline void Cast(const LocalTensor<T>& dst, const LocalTensor<U>& src, const RoundMode& roundMode,
                            const int64_t count, HAWK_LINE) {
    auto c = detail::call(hawk::VOp::CAST, dst);
    c.src0 = src.ref_;
    c.count = count;
    c.mode = static_cast<int>(roundMode);
    hawk::vec(c, HAWK_SITE(Cast));
}
template <typename T, typename U, bool isSetMask = true, typename M>
__aicore__ inline void Cast(const LocalTensor<T>& dst, const LocalTensor<U>& src, const RoundMode& roundMode, M mask,
                            const uint64_t repeatTime, const UnaryRepeatParams& p, HAWK_LINE) {
    auto c = detail::call(hawk::VOp::CAST, dst);
    c.src0 = src.ref_;
    c.mode = static_cast<int>(roundMode);
    c.st = detail::strides(p);
    detail::mask_form(c, mask, repeatTime, isSetMask);
    hawk::vec(c, HAWK_SITE(Cast));
}

// ------------------------------------------------------------------------------- Compare / Compares / Select
template <typename T, typename U>
__aicore__ inline void Compare(const LocalTensor<U>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1,
                               CMPMODE cmpMode, const int64_t count, HAWK_LINE) {
    auto c = detail::call(hawk::VOp::CMP, dst);
    c.src0 = src0.ref_; c.src1 = src1.ref_; c.count = count; c.mode = static_cast<int>(cmpMode);
    hawk::vec(c, HAWK_SITE(Compare));
}
template <typename T, typename U, bool isSetMask = true, typename M>
__aicore__ inline void Compare(const LocalTensor<U>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1,
                               CMPMODE cmpMode, M mask, const uint64_t repeatTime, const BinaryRepeatParams& p,
                               HAWK_LINE) {
    auto c = detail::call(hawk::VOp::CMP, dst);
    c.src0 = src0.ref_; c.src1 = src1.ref_; c.mode = static_cast<int>(cmpMode); c.st = detail::strides(p);
    detail::mask_form(c, mask, repeatTime, isSetMask);
    hawk::vec(c, HAWK_SITE(Compare));
}
template <typename T, typename U>
__aicore__ inline void Compares(const LocalTensor<U>& dst, const LocalTensor<T>& src0,
                                const typename hawk::identity<T>::type src1Scalar, CMPMODE cmpMode,
                                const int64_t count, HAWK_LINE) {
    auto c = detail::call(hawk::VOp::CMPS, dst);
    c.src0 = src0.ref_; c.count = count; c.mode = static_cast<int>(cmpMode);
    c.scalar = detail::to_double(src1Scalar); c.scalar_bits = hawk::bits_of(src1Scalar);
    hawk::vec(c, HAWK_SITE(Compares));
}
template <typename T, typename U, bool isSetMask = true, typename M>
__aicore__ inline void Compares(const LocalTensor<U>& dst, const LocalTensor<T>& src0,
                                const typename hawk::identity<T>::type src1Scalar, CMPMODE cmpMode, M mask,
                                const uint64_t repeatTime, const UnaryRepeatParams& p, HAWK_LINE) {
    auto c = detail::call(hawk::VOp::CMPS, dst);
    c.src0 = src0.ref_; c.mode = static_cast<int>(cmpMode); c.st = detail::strides(p);
    c.scalar = detail::to_double(src1Scalar); c.scalar_bits = hawk::bits_of(src1Scalar);
    detail::mask_form(c, mask, repeatTime, isSetMask);
    hawk::vec(c, HAWK_SITE(Compares));
}
// Select: where the mask bit is 1 take src0, else src1 (a tensor, or a scalar in VSEL_TENSOR_SCALAR_MODE).
template <typename T, typename U>
__aicore__ inline void Select(const LocalTensor<T>& dst, const LocalTensor<U>& selMask, const LocalTensor<T>& src0,
                              const LocalTensor<T>& src1, SELMODE selMode, const int64_t count, HAWK_LINE) {
    auto c = detail::call(hawk::VOp::SEL, dst);
    c.src0 = src0.ref_; c.src1 = src1.ref_; c.sel = selMask.ref_; c.count = count;
    c.mode = static_cast<int>(selMode);
    hawk::vec(c, HAWK_SITE(Select));
}
template <typename T, typename U>
__aicore__ inline void Select(const LocalTensor<T>& dst, const LocalTensor<U>& selMask, const LocalTensor<T>& src0,
                              const typename hawk::identity<T>::type src1Scalar, SELMODE selMode,
                              const int64_t count, HAWK_LINE) {
    auto c = detail::call(hawk::VOp::SEL, dst);
    c.src0 = src0.ref_; c.sel = selMask.ref_; c.count = count;
    c.mode = static_cast<int>(SELMODE::VSEL_TENSOR_SCALAR_MODE);
    (void)selMode;
    c.scalar = detail::to_double(src1Scalar); c.scalar_bits = hawk::bits_of(src1Scalar);
    hawk::vec(c, HAWK_SITE(Select));
}
template <typename T, typename U, bool isSetMask = true, typename M>
__aicore__ inline void Select(const LocalTensor<T>& dst, const LocalTensor<U>& selMask, const LocalTensor<T>& src0,
                              const LocalTensor<T>& src1, SELMODE selMode, M mask, const uint64_t repeatTime,
                              const BinaryRepeatParams& p, HAWK_LINE) {
    auto c = detail::call(hawk::VOp::SEL, dst);
    c.src0 = src0.ref_; c.src1 = src1.ref_; c.sel = selMask.ref_; c.mode = static_cast<int>(selMode);
    c.st = detail::strides(p);
    detail::mask_form(c, mask, repeatTime, isSetMask);
    hawk::vec(c, HAWK_SITE(Select));
}

// -------------------------------------------------------------------------------------------- reductions
template <typename T, bool isSetMask = true>
__aicore__ inline void ReduceSum(const LocalTensor<T>& dst, const LocalTensor<T>& src,
                                 const LocalTensor<T>& sharedTmpBuffer, const int64_t count, HAWK_LINE) {
    hawk::reduce(hawk::VOp::ADD, dst.ref_, src.ref_, sharedTmpBuffer.ref_, count, false, HAWK_SITE(ReduceSum),
                 isSetMask);
}
template <typename T, bool isSetMask = true>
__aicore__ inline void ReduceMax(const LocalTensor<T>& dst, const LocalTensor<T>& src,
                                 const LocalTensor<T>& sharedTmpBuffer, const int64_t count, bool calIndex = false,
                                 HAWK_LINE) {
    hawk::reduce(hawk::VOp::MAX, dst.ref_, src.ref_, sharedTmpBuffer.ref_, count, calIndex, HAWK_SITE(ReduceMax));
}
template <typename T, bool isSetMask = true>
__aicore__ inline void ReduceMin(const LocalTensor<T>& dst, const LocalTensor<T>& src,
                                 const LocalTensor<T>& sharedTmpBuffer, const int64_t count, bool calIndex = false,
                                 HAWK_LINE) {
    hawk::reduce(hawk::VOp::MIN, dst.ref_, src.ref_, sharedTmpBuffer.ref_, count, calIndex, HAWK_SITE(ReduceMin));
}

namespace detail {
inline void mask2(uint64_t out[2], uint64_t m) { out[0] = m; out[1] = 0; }
inline void mask2(uint64_t out[2], const uint64_t m[]) { out[0] = m[0]; out[1] = m[1]; }
inline constexpr bool is_bits(uint64_t) { return false; }
inline constexpr bool is_bits(const uint64_t*) { return true; }
}  // namespace detail

#define HAWK_REDUCE_MASK(Name, OPC, HAS_INDEX)                                                                   \
    template <typename T, bool isSetMask = true, typename M>                                                     \
    __aicore__ inline void Name(const LocalTensor<T>& dst, const LocalTensor<T>& src,                            \
                                const LocalTensor<T>& sharedTmpBuffer, M mask, const int64_t repeatTime,         \
                                const int64_t srcRepStride, bool calIndex = false, HAWK_LINE) {                  \
        uint64_t m[2];                                                                                           \
        detail::mask2(m, mask);                                                                                  \
        hawk::reduce_mask(hawk::VOp::OPC, dst.ref_, src.ref_, sharedTmpBuffer.ref_, m, detail::is_bits(mask),    \
                          static_cast<uint64_t>(repeatTime), static_cast<uint64_t>(srcRepStride),                \
                          HAS_INDEX && calIndex, HAWK_SITE(Name));                                               \
    }
HAWK_REDUCE_MASK(ReduceSum, ADD, false)
HAWK_REDUCE_MASK(ReduceMax, MAX, true)
HAWK_REDUCE_MASK(ReduceMin, MIN, true)
#undef HAWK_REDUCE_MASK

template <typename T, bool isSetMask = true, typename M>
__aicore__ inline void WholeReduceSum(const LocalTensor<T>& dst, const LocalTensor<T>& src, M mask,
                                      const int64_t repeatTime, const int64_t dstRepStride,
                                      const int64_t srcBlkStride, const int64_t srcRepStride, HAWK_LINE) {
    uint64_t m[2];
    detail::mask2(m, mask);
    hawk::whole_reduce(hawk::VOp::ADD, dst.ref_, src.ref_, m, detail::is_bits(mask), repeatTime, dstRepStride,
                       srcBlkStride, srcRepStride, static_cast<int>(ReduceOrder::ORDER_ONLY_VALUE),
                       HAWK_SITE(WholeReduceSum), isSetMask);
}
#define HAWK_WHOLE_REDUCE(Name, OPC)                                                                             \
    template <typename T, bool isSetMask = true, typename M>                                                     \
    __aicore__ inline void Name(const LocalTensor<T>& dst, const LocalTensor<T>& src, M mask,                    \
                                const int64_t repeatTime, const int64_t dstRepStride, const int64_t srcBlkStride, \
                                const int64_t srcRepStride, ReduceOrder order = ReduceOrder::ORDER_VALUE_INDEX,  \
                                HAWK_LINE) {                                                                     \
        uint64_t m[2];                                                                                           \
        detail::mask2(m, mask);                                                                                  \
        hawk::whole_reduce(hawk::VOp::OPC, dst.ref_, src.ref_, m, detail::is_bits(mask), repeatTime,             \
                           dstRepStride, srcBlkStride, srcRepStride, static_cast<int>(order), HAWK_SITE(Name),    \
                           isSetMask);                                                                           \
    }
HAWK_WHOLE_REDUCE(WholeReduceMax, MAX)
HAWK_WHOLE_REDUCE(WholeReduceMin, MIN)
#undef HAWK_WHOLE_REDUCE

// BlockReduceSum/Max/Min: one result per 32 B block; PairReduceSum: one per adjacent pair (deprecated names of
// ReduceDataBlock / ReducePairElem, kept by CANN). isSetMask=false uses the mask (or counter) of SetVectorMask.
#define HAWK_BLOCK_REDUCE(Name, OPC)                                                                             \
    template <typename T, bool isSetMask = true, typename M>                                                     \
    __aicore__ inline void Name(const LocalTensor<T>& dst, const LocalTensor<T>& src, const int32_t repeatTime,  \
                                M mask, const int32_t dstRepStride, const int32_t srcBlkStride,                  \
                                const int32_t srcRepStride, HAWK_LINE) {                                         \
        uint64_t m[2];                                                                                           \
        detail::mask2(m, mask);                                                                                  \
        hawk::block_reduce(hawk::VOp::OPC, dst.ref_, src.ref_, m, detail::is_bits(mask), repeatTime,             \
                           dstRepStride, srcBlkStride, srcRepStride, HAWK_SITE(Name), isSetMask);                \
    }
HAWK_BLOCK_REDUCE(BlockReduceSum, ADD)
HAWK_BLOCK_REDUCE(BlockReduceMax, MAX)
HAWK_BLOCK_REDUCE(BlockReduceMin, MIN)
#undef HAWK_BLOCK_REDUCE
template <typename T, bool isSetMask = true, typename M>
__aicore__ inline void PairReduceSum(const LocalTensor<T>& dst, const LocalTensor<T>& src, const int32_t repeatTime,
                                     M mask, const int32_t dstRepStride, const int32_t srcBlkStride,
                                     const int32_t srcRepStride, HAWK_LINE) {
    uint64_t m[2];
    detail::mask2(m, mask);
    hawk::pair_reduce(dst.ref_, src.ref_, m, detail::is_bits(mask),
                      static_cast<uint64_t>(static_cast<int64_t>(repeatTime)),
                      static_cast<uint64_t>(static_cast<int64_t>(dstRepStride)),
                      static_cast<uint64_t>(static_cast<int64_t>(srcBlkStride)),
                      static_cast<uint64_t>(static_cast<int64_t>(srcRepStride)), HAWK_SITE(PairReduceSum), isSetMask);
}

// Brcb: each of 8 source elements per repeat fills one 32 B block of dst.
template <typename T>
__aicore__ inline void Brcb(const LocalTensor<T>& dst, const LocalTensor<T>& src, const int64_t repeatTime,
                            const BrcbRepeatParams& p, HAWK_LINE) {
    hawk::brcb(dst.ref_, src.ref_, repeatTime, p.dstBlkStride, p.dstRepStride, HAWK_SITE(Brcb));
}

// ------------------------------------------------------------------------------------------------ masks
// The mask register and the mask mode are separate, as on the device: SetMaskCount/SetMaskNorm switch the mode,
// SetVectorMask only writes the register (its MaskMode argument says how `len` is encoded: an element count in
// counter mode, a run of `len` set bits in normal mode). A count-form API leaves normal mode with a full mask.
__aicore__ inline void SetMaskCount(HAWK_LINE) {
    hawk::set_mask_mode(true);
    (void)hawk_line;
}
__aicore__ inline void SetMaskNorm(HAWK_LINE) {
    hawk::set_mask_mode(false);
    (void)hawk_line;
}
template <typename T, MaskMode mode = MaskMode::NORMAL>
__aicore__ inline void SetVectorMask(const uint64_t maskHigh, const uint64_t maskLow, HAWK_LINE) {
    const uint64_t m[2] = {maskLow, maskHigh};
    hawk::set_mask(hawk::mask_counter_mode(), m, HAWK_SITE(SetVectorMask));
}
template <typename T, MaskMode mode = MaskMode::NORMAL>
__aicore__ inline void SetVectorMask(int32_t len, HAWK_LINE) {
    uint64_t m[2] = {0, 0};
    if (mode == MaskMode::COUNTER) {
        m[0] = static_cast<uint64_t>(static_cast<int64_t>(len));
    } else {  // AscendCUtils::SetMask<T>(len): a run of len bits (the whole register from 128, or one repeat)
        const int32_t per_repeat = 256 / static_cast<int32_t>(sizeof(T));
        if (len == per_repeat || len >= 128) {
            m[0] = m[1] = ~uint64_t(0);
        } else if (len >= 64) {
            m[0] = ~uint64_t(0);
            m[1] = len > 64 ? (uint64_t(1) << (len - 64)) - 1 : 0;
        } else if (len > 0) {
            m[0] = (uint64_t(1) << len) - 1;
        }
    }
    hawk::set_mask(hawk::mask_counter_mode(), m, HAWK_SITE(SetVectorMask));
}
__aicore__ inline void ResetMask(HAWK_LINE) {
    const uint64_t m[2] = {~uint64_t(0), ~uint64_t(0)};
    hawk::set_mask(hawk::mask_counter_mode(), m, HAWK_SITE(SetVectorMask));
}

}  // namespace AscendC

#include "hawk/vecext.h"

#endif  // HAWK_VECTOR_H
