// More vector-side APIs (AIV): ShiftLeft/ShiftRight, Tanh/Sigmoid, Copy, Gather/Gatherb, the CMPMASK register
// (Compare into the register, GetCmpMask/SetCmpMask, Select without a selMask), CompareScalar, atomic GM stores
// (SetAtomicAdd/Max/Min/None), SetPadValue, and a clear UNSUPPORTED_API for documented APIs the twin does not model.
// Our own code written from the public Ascend C API documentation; included at the end of hawk/vector.h.
#ifndef HAWK_VECEXT_H
#define HAWK_VECEXT_H

#include <type_traits>

#include "hawk/tensor.h"

namespace AscendC {

#ifndef HAWK_MASK_PLACEHOLDER_DEFINED
#define HAWK_MASK_PLACEHOLDER_DEFINED
// The mask argument of an isSetMask=false call: a placeholder, the mask comes from SetVectorMask.
constexpr uint64_t MASK_PLACEHOLDER = 0;
constexpr uint64_t MASK_PLACEHOLDER_LIST[2] = {0, 0};
#endif

// ------------------------------------------------------------------------------- ShiftLeft / ShiftRight
// dst = src << n (unsigned: logical; signed: arithmetic, the sign bit kept); dst = src >> n (signed: arithmetic),
// ShiftRight's roundEn adds the last bit shifted out. n in [0, 16] for 16-bit, [0, 32] for 32-bit types.
#define HAWK_SHIFT(Name, OPC, ROUND_ARG, ROUND_VAL)                                                              \
    template <typename T, bool isSetMask = true>                                                                 \
    __aicore__ inline void Name(const LocalTensor<T>& dst, const LocalTensor<T>& src,                            \
                                const typename hawk::identity<T>::type& scalarValue, const int32_t& count,       \
                                HAWK_LINE) {                                                                     \
        auto c = detail::call(hawk::VOp::OPC, dst);                                                              \
        c.src0 = src.ref_; c.count = count;                                                                      \
        c.scalar = detail::to_double(scalarValue); c.scalar_bits = hawk::bits_of(scalarValue);                   \
        hawk::vec(c, HAWK_SITE(Name));                                                                           \
    }                                                                                                            \
    template <typename T, bool isSetMask = true, typename M>                                                     \
    __aicore__ inline void Name(const LocalTensor<T>& dst, const LocalTensor<T>& src,                            \
                                const typename hawk::identity<T>::type& scalarValue, M mask,                     \
                                const uint64_t repeatTime, const UnaryRepeatParams& p ROUND_ARG, HAWK_LINE) {    \
        auto c = detail::call(hawk::VOp::OPC, dst);                                                              \
        c.src0 = src.ref_; c.st = detail::strides(p);                                                            \
        c.scalar = detail::to_double(scalarValue); c.scalar_bits = hawk::bits_of(scalarValue);                   \
        c.mode = ROUND_VAL;                                                                                      \
        detail::mask_form(c, mask, repeatTime, isSetMask);                                                       \
        hawk::vec(c, HAWK_SITE(Name));                                                                           \
    }
#define HAWK_COMMA ,
HAWK_SHIFT(ShiftLeft, SHL, , 0)
HAWK_SHIFT(ShiftRight, SHR, HAWK_COMMA bool roundEn = false, (roundEn ? hawk::kModeRound : 0))
#undef HAWK_COMMA
#undef HAWK_SHIFT

// ------------------------------------------------------------------------------------- Tanh / Sigmoid
// High-level math APIs (count form; the shared temporary buffer is checked to be a UB tensor, its content is
// scratch). Half inputs are computed in float and rounded once, as the library's float-promoting implementation.
struct TanhConfig {
    int algo = 0;
};
constexpr TanhConfig DEFAULT_TANH_CONFIG = {};
#define HAWK_ADV_UNARY(Name, OPC)                                                                                \
    template <typename T, bool isReuseSource = false, auto... cfg>                                               \
    __aicore__ inline void Name(const LocalTensor<T>& dst, const LocalTensor<T>& src,                            \
                                const LocalTensor<uint8_t>& sharedTmpBuffer, const uint32_t calCount, HAWK_LINE) { \
        auto c = detail::call(hawk::VOp::OPC, dst);                                                              \
        c.src0 = src.ref_; c.src1 = sharedTmpBuffer.ref_; c.count = calCount;                                    \
        hawk::vec(c, HAWK_SITE(Name));                                                                           \
    }                                                                                                            \
    template <typename T, bool isReuseSource = false, auto... cfg>                                               \
    __aicore__ inline void Name(const LocalTensor<T>& dst, const LocalTensor<T>& src,                            \
                                const LocalTensor<uint8_t>& sharedTmpBuffer, HAWK_LINE) {                        \
        auto c = detail::call(hawk::VOp::OPC, dst);                                                              \
        c.src0 = src.ref_; c.src1 = sharedTmpBuffer.ref_; c.count = src.GetSize();                               \
        hawk::vec(c, HAWK_SITE(Name));                                                                           \
    }                                                                                                            \
    template <typename T, bool isReuseSource = false, auto... cfg>                                               \
    __aicore__ inline void Name(const LocalTensor<T>& dst, const LocalTensor<T>& src, const uint32_t calCount,   \
                                HAWK_LINE) {                                                                     \
        auto c = detail::call(hawk::VOp::OPC, dst);                                                              \
        c.src0 = src.ref_; c.count = calCount;                                                                   \
        hawk::vec(c, HAWK_SITE(Name));                                                                           \
    }                                                                                                            \
    template <typename T, bool isReuseSource = false, auto... cfg>                                               \
    __aicore__ inline void Name(const LocalTensor<T>& dst, const LocalTensor<T>& src, HAWK_LINE) {               \
        auto c = detail::call(hawk::VOp::OPC, dst);                                                              \
        c.src0 = src.ref_; c.count = src.GetSize();                                                              \
        hawk::vec(c, HAWK_SITE(Name));                                                                           \
    }
HAWK_ADV_UNARY(Tanh, TANH)
HAWK_ADV_UNARY(Sigmoid, SIGMOID)
#undef HAWK_ADV_UNARY

// ------------------------------------------------------------------------------------------------ Copy
// Vector Copy UB -> UB (mask form): strides in 32 B blocks inside a repeat, repeat sizes in blocks.
struct CopyRepeatParams {
    __aicore__ CopyRepeatParams() = default;
    __aicore__ CopyRepeatParams(uint32_t dstStrideIn, uint32_t srcStrideIn, uint32_t dstRepeatSizeIn,
                                uint32_t srcRepeatSizeIn)
        : dstStride(dstStrideIn), srcStride(srcStrideIn), dstRepeatSize(dstRepeatSizeIn),
          srcRepeatSize(srcRepeatSizeIn) {}
    uint32_t dstStride = 1, srcStride = 1;
    uint32_t dstRepeatSize = 8, srcRepeatSize = 8;
};
template <typename T, bool isSetMask = true, typename M>
__aicore__ inline void Copy(const LocalTensor<T>& dst, const LocalTensor<T>& src, M mask, const uint64_t repeatTime,
                            const CopyRepeatParams& p, HAWK_LINE) {
    auto c = detail::call(hawk::VOp::COPY, dst);
    c.src0 = src.ref_;
    c.st.dst_blk = p.dstStride; c.st.src0_blk = p.srcStride; c.st.src1_blk = p.srcStride;
    c.st.dst_rep = p.dstRepeatSize; c.st.src0_rep = p.srcRepeatSize; c.st.src1_rep = p.srcRepeatSize;
    detail::mask_form(c, mask, repeatTime, isSetMask);
    hawk::vec(c, HAWK_SITE(Copy));
}

// ---------------------------------------------------------------------------------------- Gather / Gatherb
struct GatherRepeatParams {
    __aicore__ GatherRepeatParams() = default;
    __aicore__ GatherRepeatParams(const uint8_t dstBlkStrideIn, const uint8_t dstRepStrideIn)
        : dstRepStride(dstRepStrideIn), dstBlkStride(dstBlkStrideIn) {}
    uint32_t blockNumber = 8;
    uint16_t dstRepStride = 8;
    uint8_t dstBlkStride = 1;
    uint8_t src0BlkStride = 1, src1BlkStride = 1, src0RepStride = 8, src1RepStride = 8;
    bool repeatStrideMode = false, strideSizeMode = false;
};
// dst[i] = src[(srcBaseAddr + srcOffset[i]) / sizeof(T)], offsets in bytes relative to src.
template <typename T>
__aicore__ inline void Gather(const LocalTensor<T>& dst, const LocalTensor<T>& src,
                              const LocalTensor<uint32_t>& srcOffset, const uint32_t srcBaseAddr, const uint32_t count,
                              HAWK_LINE) {
    const uint64_t m[2] = {0, 0};
    hawk::gather(dst.ref_, src.ref_, srcOffset.ref_, srcBaseAddr, m, false, true, count, 0, 0, HAWK_SITE(Gather));
}
template <typename T, typename M>
__aicore__ inline void Gather(const LocalTensor<T>& dst, const LocalTensor<T>& src,
                              const LocalTensor<uint32_t>& srcOffset, const uint32_t srcBaseAddr, M mask,
                              const uint8_t repeatTime, const uint16_t dstRepStride, HAWK_LINE) {
    uint64_t m[2];
    detail::mask2(m, mask);
    hawk::gather(dst.ref_, src.ref_, srcOffset.ref_, srcBaseAddr, m, detail::is_bits(mask), false, 0, repeatTime,
                 dstRepStride, HAWK_SITE(Gather));
}
// Gatherb: 8 whole 32 B blocks per repeat, block j of repeat i from src + offset[i * 8 + j] bytes.
template <typename T>
__aicore__ inline void Gatherb(const LocalTensor<T>& dst, const LocalTensor<T>& src, const LocalTensor<uint32_t>& offset,
                               const uint8_t repeatTime, const GatherRepeatParams& p, HAWK_LINE) {
    hawk::gatherb(dst.ref_, src.ref_, offset.ref_, repeatTime, p.dstBlkStride, p.dstRepStride, HAWK_SITE(Gatherb));
}

// --------------------------------------------------------------------------- CMPMASK register, CompareScalar
// Compare without dst: one repeat, the result bits go to the 128-bit CMPMASK register.
template <typename T, bool isSetMask = true, typename M>
__aicore__ inline std::enable_if_t<std::is_same_v<M, uint64_t> || std::is_same_v<M, const uint64_t*> ||
                                   std::is_same_v<M, uint64_t*> || std::is_integral_v<M>>
Compare(const LocalTensor<T>& src0, const LocalTensor<T>& src1, CMPMODE cmpMode, M mask, const BinaryRepeatParams& p,
        HAWK_LINE) {
    hawk::VecCall c{};
    c.op = hawk::VOp::CMP;
    c.src0 = src0.ref_; c.src1 = src1.ref_;
    c.mode = static_cast<int>(cmpMode) | hawk::kModeFromCmpMask;
    c.st = detail::strides(p);
    detail::mask_form(c, mask, 1, isSetMask);
    hawk::vec(c, HAWK_SITE(Compare));
}
template <typename T>
__aicore__ inline void GetCmpMask(const LocalTensor<T>& dst, HAWK_LINE) {
    hawk::cmpmask_get(dst.ref_, HAWK_SITE(GetCmpMask));
}
template <typename T>
__aicore__ inline void SetCmpMask(const LocalTensor<T>& src, HAWK_LINE) {
    hawk::cmpmask_set(src.ref_, HAWK_SITE(SetCmpMask));
}
// Select without a mask argument (mask from SetVectorMask): modes 0 and 2 take the selMask (mode 0) or its
// address (mode 2) from the CMPMASK register; mode 1 takes the scalar from it (SetCmpMask of a tensor).
template <typename T, SELMODE selMode>
__aicore__ inline void Select(const LocalTensor<T>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1,
                              uint8_t repeatTime, const BinaryRepeatParams& p, HAWK_LINE) {
    auto c = detail::call(hawk::VOp::SEL, dst);
    c.src0 = src0.ref_; c.src1 = src1.ref_;
    c.mode = static_cast<int>(selMode) | hawk::kModeFromCmpMask;
    c.st = detail::strides(p);
    detail::mask_form(c, MASK_PLACEHOLDER, repeatTime, false);
    hawk::vec(c, HAWK_SITE(Select));
}
template <typename T, typename U>
__aicore__ inline void Select(const LocalTensor<T>& dst, const LocalTensor<U>& selMask, const LocalTensor<T>& src0,
                              uint8_t repeatTime, const BinaryRepeatParams& p, HAWK_LINE) {
    auto c = detail::call(hawk::VOp::SEL, dst);
    c.src0 = src0.ref_; c.sel = selMask.ref_;
    c.mode = static_cast<int>(SELMODE::VSEL_TENSOR_SCALAR_MODE) | hawk::kModeFromCmpMask;
    c.st = detail::strides(p);
    detail::mask_form(c, MASK_PLACEHOLDER, repeatTime, false);
    hawk::vec(c, HAWK_SITE(Select));
}
// Select mode 1 in the mask forms (the scalar src1).
template <typename T, typename U, bool isSetMask = true, typename M>
__aicore__ inline void Select(const LocalTensor<T>& dst, const LocalTensor<U>& selMask, const LocalTensor<T>& src0,
                              const typename hawk::identity<T>::type src1Scalar, SELMODE selMode, M mask,
                              const uint64_t repeatTime, const BinaryRepeatParams& p, HAWK_LINE) {
    auto c = detail::call(hawk::VOp::SEL, dst);
    c.src0 = src0.ref_; c.sel = selMask.ref_;
    c.mode = static_cast<int>(SELMODE::VSEL_TENSOR_SCALAR_MODE);
    (void)selMode;
    c.scalar = detail::to_double(src1Scalar); c.scalar_bits = hawk::bits_of(src1Scalar);
    c.st = detail::strides(p);
    detail::mask_form(c, mask, repeatTime, isSetMask);
    hawk::vec(c, HAWK_SITE(Select));
}
// CompareScalar: the older name of Compares.
template <typename T, typename U>
__aicore__ inline void CompareScalar(const LocalTensor<U>& dst, const LocalTensor<T>& src0,
                                     const typename hawk::identity<T>::type src1Scalar, CMPMODE cmpMode,
                                     const uint32_t count, HAWK_LINE) {
    Compares(dst, src0, src1Scalar, cmpMode, static_cast<int64_t>(count), hawk_line);
}
template <typename T, typename U, bool isSetMask = true, typename M>
__aicore__ inline void CompareScalar(const LocalTensor<U>& dst, const LocalTensor<T>& src0,
                                     const typename hawk::identity<T>::type src1Scalar, CMPMODE cmpMode, M mask,
                                     const uint64_t repeatTime, const UnaryRepeatParams& p, HAWK_LINE) {
    Compares<T, U, isSetMask>(dst, src0, src1Scalar, cmpMode, mask, repeatTime, p, hawk_line);
}

// ------------------------------------------------------------------------------------ atomic GM stores
// While set, every UB/L1 -> GM DataCopy/DataCopyPad combines with what GM holds (sum, max or min in T).
template <typename T> __aicore__ inline void SetAtomicAdd(HAWK_LINE) {
    hawk::set_atomic(1, hawk::dt_v<T>, HAWK_SITE(SetAtomic));
}
template <typename T> __aicore__ inline void SetAtomicMax(HAWK_LINE) {
    hawk::set_atomic(2, hawk::dt_v<T>, HAWK_SITE(SetAtomic));
}
template <typename T> __aicore__ inline void SetAtomicMin(HAWK_LINE) {
    hawk::set_atomic(3, hawk::dt_v<T>, HAWK_SITE(SetAtomic));
}
template <typename T> __aicore__ inline void SetAtomicType(HAWK_LINE) {
    hawk::set_atomic(-1, hawk::dt_v<T>, HAWK_SITE(SetAtomic));
}
__aicore__ inline void SetAtomicNone(HAWK_LINE) { hawk::set_atomic(0, hawk::DT::NONE, HAWK_SITE(SetAtomic)); }
__aicore__ inline void DisableDmaAtomic(HAWK_LINE) { hawk::set_atomic(0, hawk::DT::NONE, HAWK_SITE(SetAtomic)); }

// ------------------------------------------------------------------------------------------ SetPadValue
// The value DataCopyPad GM -> UB pads with when its DataCopyPadExtParams say isPad = false.
template <typename T, TPosition pos = TPosition::MAX>
__aicore__ inline void SetPadValue(T paddingValue, HAWK_LINE) {
    hawk::set_pad_value(hawk::bits_of(paddingValue), hawk::dt_v<T>, HAWK_SITE(SetPadValue));
}

// ------------------------------------------------------------------------------------- CreateVecIndex
// dst[k] = firstValue + k (count form); the mask forms write element i of repeat r as firstValue + r * PAR + i
// (PAR = 256 / sizeof(T)), as the A2 library builds them (a first block of scalar writes, then Adds).
template <typename T>
__aicore__ inline void CreateVecIndex(const LocalTensor<T>& dst, const typename hawk::identity<T>::type& firstValue,
                                      uint32_t count, HAWK_LINE) {
    auto c = detail::call(hawk::VOp::INDEX, dst);
    c.count = count;
    c.scalar = detail::to_double(firstValue); c.scalar_bits = hawk::bits_of(firstValue);
    hawk::vec(c, HAWK_SITE(CreateVecIndex));
}
template <typename T, typename M>
__aicore__ inline void CreateVecIndex(const LocalTensor<T>& dst, const typename hawk::identity<T>::type& firstValue,
                                      M mask, uint8_t repeatTime, uint16_t dstBlkStride, uint8_t dstRepStride,
                                      HAWK_LINE) {
    auto c = detail::call(hawk::VOp::INDEX, dst);
    c.scalar = detail::to_double(firstValue); c.scalar_bits = hawk::bits_of(firstValue);
    c.st.dst_blk = dstBlkStride; c.st.dst_rep = dstRepStride;
    detail::mask_form(c, mask, repeatTime, true);
    hawk::vec(c, HAWK_SITE(CreateVecIndex));
}

// ------------------------------------------------------------------------- compound (fused) arithmetic
// AddRelu: relu(src0 + src1); SubRelu: relu(src0 - src1); FusedMulAdd: dst = src0 * dst + src1;
// MulAddRelu: dst = relu(src0 * dst + src1); MulAddDst: dst = src0 * src1 + dst (src may be half with a float
// dst). One vector instruction each (PIPE_V).
#define HAWK_COMPOUND(Name, OPC, TPL, DT_T, SRC_T, TPL_M)                                                         \
    template <TPL>                                                                                               \
    __aicore__ inline void Name(const LocalTensor<DT_T>& dst, const LocalTensor<SRC_T>& src0,                    \
                                const LocalTensor<SRC_T>& src1, const int32_t& count, HAWK_LINE) {               \
        auto c = detail::call(hawk::VOp::OPC, dst);                                                              \
        c.src0 = src0.ref_; c.src1 = src1.ref_; c.count = count;                                                 \
        hawk::vec(c, HAWK_SITE(Name));                                                                           \
    }                                                                                                            \
    template <TPL_M, typename M>                                                                                 \
    __aicore__ inline void Name(const LocalTensor<DT_T>& dst, const LocalTensor<SRC_T>& src0,                    \
                                const LocalTensor<SRC_T>& src1, M mask, const uint8_t repeatTime,                \
                                const BinaryRepeatParams& p, HAWK_LINE) {                                        \
        auto c = detail::call(hawk::VOp::OPC, dst);                                                              \
        c.src0 = src0.ref_; c.src1 = src1.ref_; c.st = detail::strides(p);                                       \
        detail::mask_form(c, mask, repeatTime, isSetMask);                                                       \
        hawk::vec(c, HAWK_SITE(Name));                                                                           \
    }
#define HAWK_COMMA ,
HAWK_COMPOUND(AddRelu, ADD_RELU, typename T, T, T, typename T HAWK_COMMA bool isSetMask = true)
HAWK_COMPOUND(SubRelu, SUB_RELU, typename T, T, T, typename T HAWK_COMMA bool isSetMask = true)
HAWK_COMPOUND(FusedMulAdd, FMA, typename T, T, T, typename T HAWK_COMMA bool isSetMask = true)
HAWK_COMPOUND(MulAddRelu, FMA_RELU, typename T, T, T, typename T HAWK_COMMA bool isSetMask = true)
HAWK_COMPOUND(MulAddDst, MULADD_DST, typename T HAWK_COMMA typename U = T, T, U,
              typename T HAWK_COMMA typename U = T HAWK_COMMA bool isSetMask = true)
#undef HAWK_COMMA
#undef HAWK_COMPOUND

// Axpy<T, U>: dst = scalar * src + dst; a half src with a float dst is the mixed form (64 elements a repeat).
template <typename T, typename U = T, bool isSetMask = true>
__aicore__ inline void Axpy(const LocalTensor<T>& dst, const LocalTensor<U>& src,
                            const typename hawk::identity<U>::type& scalarValue, const int32_t& count, HAWK_LINE) {
    auto c = detail::call(hawk::VOp::AXPY, dst);
    c.src0 = src.ref_; c.count = count;
    c.scalar = detail::to_double(scalarValue); c.scalar_bits = hawk::bits_of(scalarValue);
    hawk::vec(c, HAWK_SITE(Axpy));
}
template <typename T, typename U = T, bool isSetMask = true, typename M>
__aicore__ inline void Axpy(const LocalTensor<T>& dst, const LocalTensor<U>& src,
                            const typename hawk::identity<U>::type& scalarValue, M mask, const uint8_t repeatTime,
                            const UnaryRepeatParams& p, HAWK_LINE) {
    auto c = detail::call(hawk::VOp::AXPY, dst);
    c.src0 = src.ref_; c.st = detail::strides(p);
    c.scalar = detail::to_double(scalarValue); c.scalar_bits = hawk::bits_of(scalarValue);
    detail::mask_form(c, mask, repeatTime, isSetMask);
    hawk::vec(c, HAWK_SITE(Axpy));
}

// ------------------------------------------------------------------------------------ ReduceDataBlock
// The newer name of BlockReduceSum/Max/Min: one result per 32 B DataBlock, 8 per repeat, written contiguously.
#ifndef HAWK_REDUCE_TYPE_DEFINED
#define HAWK_REDUCE_TYPE_DEFINED
enum class ReduceType : uint8_t { SUM = 0, MAX, MIN, NONE };
#endif
template <ReduceType reduceType, typename T, typename U, bool isSetMask = true, typename M>
__aicore__ inline void ReduceDataBlock(const LocalTensor<T>& dst, const LocalTensor<U>& src, M mask,
                                       const int32_t repeatTime, const int32_t dstRepStride,
                                       const int32_t srcBlkStride, const int32_t srcRepStride, HAWK_LINE) {
    uint64_t m[2];
    detail::mask2(m, mask);
    constexpr hawk::VOp op = reduceType == ReduceType::SUM ? hawk::VOp::ADD
                             : reduceType == ReduceType::MAX ? hawk::VOp::MAX : hawk::VOp::MIN;
    static_assert(reduceType != ReduceType::NONE, "ReduceDataBlock takes ReduceType::SUM, MAX or MIN");
    hawk::block_reduce(op, dst.ref_, src.ref_, m, detail::is_bits(mask),
                       static_cast<uint64_t>(static_cast<int64_t>(repeatTime)),
                       static_cast<uint64_t>(static_cast<int64_t>(dstRepStride)),
                       static_cast<uint64_t>(static_cast<int64_t>(srcBlkStride)),
                       static_cast<uint64_t>(static_cast<int64_t>(srcRepStride)), HAWK_SITE(ReduceDataBlock),
                       isSetMask);
}

// ----------------------------------------------------------------- documented APIs the twin does not model
// Called, they end the run with UNSUPPORTED_API naming the API (a kernel that never calls them still runs).
#define HAWK_UNMODELLED(Name)                                                                                    \
    template <typename T0 = void, auto... V, typename... A>                                                      \
    __aicore__ inline void Name(const A&...) {                                                                   \
        hawk::unsupported_api(#Name, ::hawk::Site{::hawk::Api::None, ::hawk::g.last_line});                       \
    }                                                                                                            \
    template <typename T0, typename T1, auto... V, typename... A>                                                \
    __aicore__ inline void Name(const A&...) {                                                                   \
        hawk::unsupported_api(#Name, ::hawk::Site{::hawk::Api::None, ::hawk::g.last_line});                       \
    }
HAWK_UNMODELLED(Asin)
HAWK_UNMODELLED(Acos)
HAWK_UNMODELLED(Atan)
HAWK_UNMODELLED(Sinh)
HAWK_UNMODELLED(Cosh)
HAWK_UNMODELLED(Atanh)
HAWK_UNMODELLED(Erf)
HAWK_UNMODELLED(Erfc)
HAWK_UNMODELLED(Power)
HAWK_UNMODELLED(Gelu)
HAWK_UNMODELLED(FasterGelu)
HAWK_UNMODELLED(Silu)
HAWK_UNMODELLED(Swish)
HAWK_UNMODELLED(SwiGLU)
HAWK_UNMODELLED(GeGLU)
HAWK_UNMODELLED(LogSoftMax)
HAWK_UNMODELLED(CumSum)
HAWK_UNMODELLED(IsFinite)
HAWK_UNMODELLED(Axpby)
HAWK_UNMODELLED(Scatter)
HAWK_UNMODELLED(Arange)
HAWK_UNMODELLED(TopK)
HAWK_UNMODELLED(FusedMulAddRelu)
HAWK_UNMODELLED(AbsSub)
HAWK_UNMODELLED(Prelu)
HAWK_UNMODELLED(AddDeqRelu)
HAWK_UNMODELLED(CastDeq)
HAWK_UNMODELLED(SetDeqScale)
HAWK_UNMODELLED(Interleave)
HAWK_UNMODELLED(DeInterleave)
HAWK_UNMODELLED(ReducePairElem)
HAWK_UNMODELLED(ReduceRepeat)
HAWK_UNMODELLED(RepeatReduceSum)
HAWK_UNMODELLED(BilinearInterpolation)
#undef HAWK_UNMODELLED

}  // namespace AscendC

#include "hawk/sort.h"
#include "hawk/transform.h"

#endif  // HAWK_VECEXT_H
