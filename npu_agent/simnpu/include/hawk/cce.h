// The raw CCE intrinsics some public Ascend C kernels call directly (the device compiler's builtins underneath the
// Ascend C API: vadd, vector_dup, copy_ubuf_to_gm, vtranspose, scatter_vnchwconv_b16, set_va_reg_sb ...). Our own
// code: each modelled intrinsic is described as the call of the Ascend C API it underlies (vadd = Add's mask form
// with isSetMask=false, copy_gm_to_ubuf = DataCopy with DataCopyParams, vector_dup = Duplicate, vtranspose =
// Transpose, scatter_vnchwconv_* = TransDataTo5HD over the VA registers, vreducev2 = GatherMask ...) and runs on that
// API's runtime, so it gets the same checks and record entries (reported under that API's name). Signatures follow
// how CANN's own Ascend C implementation (impl/basic_api/dav_c220) calls them: UB operands are `__ubuf__ T*` whose
// value is the UB byte address (`(__ubuf__ half*)tensor.GetPhyAddr()`), GM operands real `__gm__` pointers; vector
// intrinsics run under the mask register and mode (set_vector_mask, set_mask_count / set_mask_norm).
//
// Every other intrinsic of the usual vocabulary, and every other argument form of a modelled one (e.g. the packed
// 64-bit config forms), compiles and, when called, ends the run with UNSUPPORTED_API naming it.
#ifndef HAWK_CCE_H
#define HAWK_CCE_H

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "hawk/datacopy.h"
#include "hawk/runtime.h"
#include "hawk/tensor.h"
#include "hawk/vector.h"

// The VA address registers of scatter_vnchwconv (set_va_reg_sb / vld_va_reg) and the order of vcmax / vcmin results.
enum ub_addr8_t : uint8_t { VA0 = 0, VA1, VA2, VA3, VA4, VA5, VA6, VA7 };
enum class Order_t : uint8_t { VALUE_INDEX = 0, INDEX_VALUE = 1, ONLY_VALUE = 2, ONLY_INDEX = 3 };

namespace hawk {
namespace cce {
template <typename T> constexpr DT dt_ptr() {
    using U = std::remove_cv_t<T>;
    if constexpr (std::is_void_v<U>) {
        return DT::U8;
    } else {
        return dt_v<U>;
    }
}
// A UB operand: the pointer's value is the UB byte address; only the UB bound applies (no tensor length).
template <typename T> inline Ref ub(T* p, DT dt = dt_ptr<T>()) {
    Ref r;
    r.mem = Mem::UB;
    r.dt = dt;
    r.addr = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p));
    r.bytes = ~0ull;
    return r;
}
template <typename T> inline Ref gm(T* p, DT dt = dt_ptr<T>()) {
    Ref r;
    r.mem = Mem::GM;
    r.dt = dt;
    r.addr = reinterpret_cast<uint64_t>(p);
    return r;
}
// One vector instruction of `repeat` repeats under the mask register (the mask form with isSetMask=false).
inline VecCall vcall(VOp op, const Ref& dst, const Ref& src0, const Ref& src1, uint64_t repeat, uint64_t dst_blk,
                     uint64_t src0_blk, uint64_t src1_blk, uint64_t dst_rep, uint64_t src0_rep, uint64_t src1_rep) {
    VecCall c{};
    c.op = op;
    c.dst = dst;
    c.src0 = src0;
    c.src1 = src1;
    c.count_form = false;
    c.use_set_mask = true;
    c.repeat = repeat;
    c.st.dst_blk = static_cast<uint32_t>(dst_blk);
    c.st.src0_blk = static_cast<uint32_t>(src0_blk);
    c.st.src1_blk = static_cast<uint32_t>(src1_blk);
    c.st.dst_rep = static_cast<uint32_t>(dst_rep);
    c.st.src0_rep = static_cast<uint32_t>(src0_rep);
    c.st.src1_rep = static_cast<uint32_t>(src1_rep);
    return c;
}
template <typename T, typename S> inline void scalar(VecCall& c, const S& s) {
    using U = std::remove_cv_t<T>;
    const U v = static_cast<U>(s);
    c.scalar = AscendC::detail::to_double(v);
    c.scalar_bits = bits_of(v);
}
inline Site at(Api api, const SrcLine& l) { return Site{api, l.v}; }
[[noreturn]] inline void other_form(const char* name) {
    unsupported_intrinsic(name, Site{Api::None, g.last_line});
}
}  // namespace cce
}  // namespace hawk

// An intrinsic the twin does not model: any arguments compile; a call ends the run with UNSUPPORTED_API.
#define HAWK_CCE_UNMODELLED(name)                                                                                \
    template <typename... A> __aicore__ inline int64_t name(const A&...) {                                      \
        ::hawk::unsupported_intrinsic(#name, ::hawk::Site{::hawk::Api::None, ::hawk::g.last_line});             \
    }
// The argument forms of a modelled intrinsic other than the modelled arities (e.g. the packed config forms).
#define HAWK_CCE_OTHER_FORMS(name, ...)                                                                         \
    template <typename... A, std::enable_if_t<!(__VA_ARGS__), int> = 0>                                          \
    __aicore__ inline int64_t name(const A&...) {                                                                \
        ::hawk::cce::other_form(#name " (this argument form)");                                                  \
    }
#define HAWK_N(n) sizeof...(A) == (n)

// ------------------------------------------------------------------------------------------- mask register
__aicore__ inline void set_vector_mask(uint64_t maskHigh, uint64_t maskLow, HAWK_LINE) {
    const uint64_t m[2] = {maskLow, maskHigh};
    hawk::set_mask(hawk::mask_counter_mode(), m, hawk::cce::at(hawk::Api::SetVectorMask, hawk_line));
}
__aicore__ inline void set_mask_count() { hawk::set_mask_mode(true); }
__aicore__ inline void set_mask_norm() { hawk::set_mask_mode(false); }

// ------------------------------------------------------------------------ binary: dst = src0 (op) src1
#define HAWK_CCE_BINARY(name, OPC, API)                                                                          \
    template <typename T, typename U, typename V>                                                                \
    __aicore__ inline void name(T* dst, U* src0, V* src1, uint64_t repeat, uint16_t dstBlk, uint16_t src0Blk,    \
                                uint16_t src1Blk, uint16_t dstRep, uint16_t src0Rep, uint16_t src1Rep, HAWK_LINE) { \
        hawk::vec(hawk::cce::vcall(hawk::VOp::OPC, hawk::cce::ub(dst), hawk::cce::ub(src0), hawk::cce::ub(src1),  \
                                   repeat, dstBlk, src0Blk, src1Blk, dstRep, src0Rep, src1Rep),                  \
                  hawk::cce::at(hawk::Api::API, hawk_line));                                                     \
    }                                                                                                            \
    HAWK_CCE_OTHER_FORMS(name, HAWK_N(10))
HAWK_CCE_BINARY(vadd, ADD, Add)
HAWK_CCE_BINARY(vsub, SUB, Sub)
HAWK_CCE_BINARY(vmul, MUL, Mul)
HAWK_CCE_BINARY(vdiv, DIV, Div)
HAWK_CCE_BINARY(vmax, MAX, Max)
HAWK_CCE_BINARY(vmin, MIN, Min)
HAWK_CCE_BINARY(vand, AND, And)
HAWK_CCE_BINARY(vor, OR, Or)
HAWK_CCE_BINARY(vaddrelu, ADD_RELU, AddRelu)
HAWK_CCE_BINARY(vsubrelu, SUB_RELU, SubRelu)
HAWK_CCE_BINARY(vmadd, FMA, FusedMulAdd)
HAWK_CCE_BINARY(vmaddrelu, FMA_RELU, MulAddRelu)
HAWK_CCE_BINARY(vmla, MULADD_DST, MulAddDst)
#undef HAWK_CCE_BINARY

// ---------------------------------------------------------------------------------- unary: dst = f(src)
#define HAWK_CCE_UNARY(name, OPC, API)                                                                           \
    template <typename T, typename U>                                                                            \
    __aicore__ inline void name(T* dst, U* src, uint64_t repeat, uint16_t dstBlk, uint16_t srcBlk,               \
                                uint16_t dstRep, uint16_t srcRep, HAWK_LINE) {                                   \
        hawk::vec(hawk::cce::vcall(hawk::VOp::OPC, hawk::cce::ub(dst), hawk::cce::ub(src), hawk::Ref{}, repeat,  \
                                   dstBlk, srcBlk, srcBlk, dstRep, srcRep, srcRep),                              \
                  hawk::cce::at(hawk::Api::API, hawk_line));                                                     \
    }                                                                                                            \
    HAWK_CCE_OTHER_FORMS(name, HAWK_N(7))
HAWK_CCE_UNARY(vexp, EXP, Exp)
HAWK_CCE_UNARY(vln, LN, Ln)
HAWK_CCE_UNARY(vabs, ABS, Abs)
HAWK_CCE_UNARY(vrec, RECIP, Reciprocal)
HAWK_CCE_UNARY(vsqrt, SQRT, Sqrt)
HAWK_CCE_UNARY(vrsqrt, RSQRT, Rsqrt)
HAWK_CCE_UNARY(vrelu, RELU, Relu)
HAWK_CCE_UNARY(vnot, NOT, Not)
HAWK_CCE_UNARY(vcopy, COPY, Copy)
#undef HAWK_CCE_UNARY

// --------------------------------------------------------------------------- tensor-scalar: dst = src (op) s
#define HAWK_CCE_SCALAR(name, OPC, API, MODE)                                                                    \
    template <typename T, typename U, typename S>                                                                \
    __aicore__ inline void name(T* dst, U* src, S scalarValue, uint64_t repeat, uint16_t dstBlk, uint16_t srcBlk, \
                                uint16_t dstRep, uint16_t srcRep, HAWK_LINE) {                                   \
        auto c = hawk::cce::vcall(hawk::VOp::OPC, hawk::cce::ub(dst), hawk::cce::ub(src), hawk::Ref{}, repeat,   \
                                  dstBlk, srcBlk, srcBlk, dstRep, srcRep, srcRep);                               \
        hawk::cce::scalar<U>(c, scalarValue);                                                                    \
        c.mode = MODE;                                                                                           \
        hawk::vec(c, hawk::cce::at(hawk::Api::API, hawk_line));                                                  \
    }
HAWK_CCE_SCALAR(vadds, ADDS, Adds, 0)
HAWK_CCE_SCALAR(vmuls, MULS, Muls, 0)
HAWK_CCE_SCALAR(vmaxs, MAXS, Maxs, 0)
HAWK_CCE_SCALAR(vmins, MINS, Mins, 0)
HAWK_CCE_SCALAR(vlrelu, LEAKY_RELU, LeakyRelu, 0)
HAWK_CCE_SCALAR(vaxpy, AXPY, Axpy, 0)
HAWK_CCE_SCALAR(vshl, SHL, ShiftLeft, 0)
HAWK_CCE_SCALAR(vshr, SHR, ShiftRight, 0)
HAWK_CCE_OTHER_FORMS(vadds, HAWK_N(8))
HAWK_CCE_OTHER_FORMS(vmuls, HAWK_N(8))
HAWK_CCE_OTHER_FORMS(vmaxs, HAWK_N(8))
HAWK_CCE_OTHER_FORMS(vmins, HAWK_N(8))
HAWK_CCE_OTHER_FORMS(vlrelu, HAWK_N(8))
HAWK_CCE_OTHER_FORMS(vaxpy, HAWK_N(8))
HAWK_CCE_OTHER_FORMS(vshl, HAWK_N(8))
#undef HAWK_CCE_SCALAR
// vshr(..., roundEn): the last bit shifted out is added (ShiftRight's roundEn).
template <typename T, typename U, typename S>
__aicore__ inline void vshr(T* dst, U* src, S scalarValue, uint64_t repeat, uint16_t dstBlk, uint16_t srcBlk,
                            uint16_t dstRep, uint16_t srcRep, bool roundEn, HAWK_LINE) {
    auto c = hawk::cce::vcall(hawk::VOp::SHR, hawk::cce::ub(dst), hawk::cce::ub(src), hawk::Ref{}, repeat, dstBlk,
                              srcBlk, srcBlk, dstRep, srcRep, srcRep);
    hawk::cce::scalar<U>(c, scalarValue);
    c.mode = roundEn ? hawk::kModeRound : 0;
    hawk::vec(c, hawk::cce::at(hawk::Api::ShiftRight, hawk_line));
}
HAWK_CCE_OTHER_FORMS(vshr, HAWK_N(8) || HAWK_N(9))

// ------------------------------------------------------------------------------------------- vector_dup
template <typename T, typename S>
__aicore__ inline void vector_dup(T* dst, S scalarValue, uint64_t repeat, uint16_t dstBlk, uint16_t srcBlk,
                                  uint16_t dstRep, uint16_t srcRep, HAWK_LINE) {
    (void)srcBlk;
    (void)srcRep;
    auto c = hawk::cce::vcall(hawk::VOp::DUP, hawk::cce::ub(dst), hawk::Ref{}, hawk::Ref{}, repeat, dstBlk, 1, 1,
                              dstRep, 8, 8);
    hawk::cce::scalar<T>(c, scalarValue);
    hawk::vec(c, hawk::cce::at(hawk::Api::Duplicate, hawk_line));
}
HAWK_CCE_OTHER_FORMS(vector_dup, HAWK_N(7))

// ---------------------------------------------------------------------------------------------- vconv_*
// vconv_<src><dst>[mode]: Cast between the pointers' types; the suffix is the RoundMode (none CAST_NONE, r RINT,
// f FLOOR, c CEIL, a ROUND, z TRUNC, o ODD), checked against the SoC's Cast table.
#define HAWK_CCE_VCONV(name, MODE)                                                                               \
    template <typename T, typename U>                                                                            \
    __aicore__ inline void name(T* dst, U* src, uint64_t repeat, uint16_t dstBlk, uint16_t srcBlk,               \
                                uint16_t dstRep, uint16_t srcRep, HAWK_LINE) {                                   \
        auto c = hawk::cce::vcall(hawk::VOp::CAST, hawk::cce::ub(dst), hawk::cce::ub(src), hawk::Ref{}, repeat,  \
                                  dstBlk, srcBlk, srcBlk, dstRep, srcRep, srcRep);                               \
        c.mode = MODE;                                                                                           \
        hawk::vec(c, hawk::cce::at(hawk::Api::Cast, hawk_line));                                                 \
    }                                                                                                            \
    HAWK_CCE_OTHER_FORMS(name, HAWK_N(7))
#define HAWK_CCE_VCONV_MODES(base)                                                                               \
    HAWK_CCE_VCONV(base##r, 1) HAWK_CCE_VCONV(base##f, 2) HAWK_CCE_VCONV(base##c, 3) HAWK_CCE_VCONV(base##a, 4)  \
    HAWK_CCE_VCONV(base##z, 5)
HAWK_CCE_VCONV(vconv_f322f16, 0)
HAWK_CCE_VCONV(vconv_f322f16o, 6)
HAWK_CCE_VCONV(vconv_f162f32, 0)
HAWK_CCE_VCONV(vconv_bf162f32, 0)
HAWK_CCE_VCONV(vconv_s322f32, 0)
HAWK_CCE_VCONV(vconv_s162f16, 0)
HAWK_CCE_VCONV(vconv_s162f32, 0)
HAWK_CCE_VCONV(vconv_s82f16, 0)
HAWK_CCE_VCONV(vconv_u82f16, 0)
HAWK_CCE_VCONV(vconv_f162s8, 0)
HAWK_CCE_VCONV(vconv_f162u8, 0)
HAWK_CCE_VCONV(vconv_s322s16, 0)
HAWK_CCE_VCONV(vconv_s322s64, 0)
HAWK_CCE_VCONV(vconv_s642s32, 0)
HAWK_CCE_VCONV_MODES(vconv_f322f16)
HAWK_CCE_VCONV_MODES(vconv_f322f32)
HAWK_CCE_VCONV_MODES(vconv_f322s32)
HAWK_CCE_VCONV_MODES(vconv_f322s16)
HAWK_CCE_VCONV_MODES(vconv_f322s64)
HAWK_CCE_VCONV_MODES(vconv_f322bf16)
HAWK_CCE_VCONV_MODES(vconv_f162s32)
HAWK_CCE_VCONV_MODES(vconv_f162s16)
HAWK_CCE_VCONV_MODES(vconv_f162s8)
HAWK_CCE_VCONV_MODES(vconv_f162u8)
HAWK_CCE_VCONV_MODES(vconv_bf162s32)
HAWK_CCE_VCONV_MODES(vconv_s322f32)
HAWK_CCE_VCONV_MODES(vconv_s642f32)
HAWK_CCE_VCONV_MODES(vconv_s162f16)
#undef HAWK_CCE_VCONV_MODES
#undef HAWK_CCE_VCONV

// ------------------------------------------------------------------------------------- compare and select
// vcmpv_<mode>: a bit per element into dst (Compare's mask form); vcmpvs_<mode>: against a scalar (Compares);
// vcmp_<mode>: into the CMPMASK register (Compare without dst); CMPMODE LT GT EQ LE GE NE = 0..5.
#define HAWK_CCE_CMP(suffix, MODE)                                                                               \
    template <typename D, typename T, typename U>                                                                \
    __aicore__ inline void vcmpv_##suffix(D* dst, T* src0, U* src1, uint64_t repeat, uint16_t dstBlk,            \
                                          uint16_t src0Blk, uint16_t src1Blk, uint16_t dstRep, uint16_t src0Rep, \
                                          uint16_t src1Rep, HAWK_LINE) {                                         \
        auto c = hawk::cce::vcall(hawk::VOp::CMP, hawk::cce::ub(dst), hawk::cce::ub(src0), hawk::cce::ub(src1),  \
                                  repeat, dstBlk, src0Blk, src1Blk, dstRep, src0Rep, src1Rep);                   \
        c.mode = MODE;                                                                                           \
        hawk::vec(c, hawk::cce::at(hawk::Api::Compare, hawk_line));                                              \
    }                                                                                                            \
    HAWK_CCE_OTHER_FORMS(vcmpv_##suffix, HAWK_N(10))                                                             \
    template <typename D, typename T, typename S>                                                                \
    __aicore__ inline void vcmpvs_##suffix(D* dst, T* src0, S scalarValue, uint64_t repeat, uint16_t dstBlk,     \
                                           uint16_t srcBlk, uint16_t dstRep, uint16_t srcRep, HAWK_LINE) {       \
        auto c = hawk::cce::vcall(hawk::VOp::CMPS, hawk::cce::ub(dst), hawk::cce::ub(src0), hawk::Ref{}, repeat, \
                                  dstBlk, srcBlk, srcBlk, dstRep, srcRep, srcRep);                               \
        hawk::cce::scalar<T>(c, scalarValue);                                                                    \
        c.mode = MODE;                                                                                           \
        hawk::vec(c, hawk::cce::at(hawk::Api::Compares, hawk_line));                                             \
    }                                                                                                            \
    HAWK_CCE_OTHER_FORMS(vcmpvs_##suffix, HAWK_N(8))                                                             \
    template <typename T, typename U>                                                                            \
    __aicore__ inline void vcmp_##suffix(T* src0, U* src1, uint64_t repeat, uint16_t dstBlk, uint16_t src0Blk,   \
                                         uint16_t src1Blk, uint16_t dstRep, uint16_t src0Rep, uint16_t src1Rep,  \
                                         HAWK_LINE) {                                                            \
        auto c = hawk::cce::vcall(hawk::VOp::CMP, hawk::Ref{}, hawk::cce::ub(src0), hawk::cce::ub(src1), repeat, \
                                  dstBlk, src0Blk, src1Blk, dstRep, src0Rep, src1Rep);                           \
        c.dst.dt = hawk::cce::dt_ptr<T>();                                                                       \
        c.mode = MODE | hawk::kModeFromCmpMask;                                                                  \
        hawk::vec(c, hawk::cce::at(hawk::Api::Compare, hawk_line));                                              \
    }                                                                                                            \
    HAWK_CCE_OTHER_FORMS(vcmp_##suffix, HAWK_N(9))
HAWK_CCE_CMP(lt, 0)
HAWK_CCE_CMP(gt, 1)
HAWK_CCE_CMP(eq, 2)
HAWK_CCE_CMP(le, 3)
HAWK_CCE_CMP(ge, 4)
HAWK_CCE_CMP(ne, 5)
#undef HAWK_CCE_CMP

// vsel: mode 0 (default) selects by the CMPMASK register's bits; mode 1 takes src1 as the selMask and the scalar
// from the register; mode 2 takes the selMask address from the register (set_cmpmask).
template <typename T, typename U, typename V>
__aicore__ inline void vsel(T* dst, U* src0, V* src1, uint64_t repeat, uint16_t dstBlk, uint16_t src0Blk,
                            uint16_t src1Blk, uint16_t dstRep, uint16_t src0Rep, uint16_t src1Rep, uint8_t selMode,
                            HAWK_LINE) {
    auto c = hawk::cce::vcall(hawk::VOp::SEL, hawk::cce::ub(dst), hawk::cce::ub(src0), hawk::cce::ub(src1), repeat,
                              dstBlk, src0Blk, src1Blk, dstRep, src0Rep, src1Rep);
    if (selMode == 1) {
        c.sel = c.src1;
        c.src1 = hawk::Ref{};
    }
    c.mode = selMode | hawk::kModeFromCmpMask;
    hawk::vec(c, hawk::cce::at(hawk::Api::Select, hawk_line));
}
template <typename T, typename U, typename V>
__aicore__ inline void vsel(T* dst, U* src0, V* src1, uint64_t repeat, uint16_t dstBlk, uint16_t src0Blk,
                            uint16_t src1Blk, uint16_t dstRep, uint16_t src0Rep, uint16_t src1Rep, HAWK_LINE) {
    vsel(dst, src0, src1, repeat, dstBlk, src0Blk, src1Blk, dstRep, src0Rep, src1Rep, uint8_t(0), hawk_line);
}
HAWK_CCE_OTHER_FORMS(vsel, HAWK_N(10) || HAWK_N(11))

// The CMPMASK register from / to 16 bytes of UB.
template <typename T> __aicore__ inline void set_cmpmask(T* src, HAWK_LINE) {
    hawk::cmpmask_set(hawk::cce::ub(src, hawk::DT::U8), hawk::cce::at(hawk::Api::SetCmpMask, hawk_line));
}
template <typename T> __aicore__ inline void get_cmpmask(T* dst, HAWK_LINE) {
    hawk::cmpmask_get(hawk::cce::ub(dst, hawk::DT::U8), hawk::cce::at(hawk::Api::GetCmpMask, hawk_line));
}

// ------------------------------------------------------------------------------------------- reductions
// vcmax / vcmin (WholeReduceMax/Min), vcgadd / vcgmax / vcgmin (BlockReduce*), vcpadd (PairReduceSum), vbrcb (Brcb);
// vcadd is in hawk/cann_compat.h.
namespace hawk {
namespace cce {
inline const uint64_t kNoMask[2] = {0, 0};
}
}  // namespace hawk
#define HAWK_CCE_WHOLE(name, OPC, API)                                                                           \
    template <typename T, typename U>                                                                            \
    __aicore__ inline void name(T* dst, U* src, uint64_t repeat, uint16_t dstRep, uint16_t srcBlk,               \
                                uint16_t srcRep, Order_t order, HAWK_LINE) {                                     \
        hawk::whole_reduce(hawk::VOp::OPC, hawk::cce::ub(dst, hawk::cce::dt_ptr<U>()), hawk::cce::ub(src),       \
                           hawk::cce::kNoMask, true, repeat, dstRep, srcBlk, srcRep, static_cast<int>(order),    \
                           hawk::cce::at(hawk::Api::API, hawk_line), false);                                     \
    }                                                                                                            \
    template <typename T, typename U>                                                                            \
    __aicore__ inline void name(T* dst, U* src, uint64_t repeat, uint16_t dstRep, uint16_t srcBlk,               \
                                uint16_t srcRep, HAWK_LINE) {                                                    \
        name(dst, src, repeat, dstRep, srcBlk, srcRep, Order_t::VALUE_INDEX, hawk_line);                        \
    }                                                                                                            \
    HAWK_CCE_OTHER_FORMS(name, HAWK_N(6) || HAWK_N(7))
HAWK_CCE_WHOLE(vcmax, MAX, WholeReduceMax)
HAWK_CCE_WHOLE(vcmin, MIN, WholeReduceMin)
#undef HAWK_CCE_WHOLE
#define HAWK_CCE_BLOCK(name, OPC, API)                                                                           \
    template <typename T, typename U>                                                                            \
    __aicore__ inline void name(T* dst, U* src, uint64_t repeat, uint16_t dstRep, uint16_t srcBlk,               \
                                uint16_t srcRep, HAWK_LINE) {                                                    \
        hawk::block_reduce(hawk::VOp::OPC, hawk::cce::ub(dst, hawk::cce::dt_ptr<U>()), hawk::cce::ub(src),       \
                           hawk::cce::kNoMask, true, repeat, dstRep, srcBlk, srcRep,                             \
                           hawk::cce::at(hawk::Api::API, hawk_line), false);                                     \
    }                                                                                                            \
    HAWK_CCE_OTHER_FORMS(name, HAWK_N(6))
HAWK_CCE_BLOCK(vcgadd, ADD, BlockReduceSum)
HAWK_CCE_BLOCK(vcgmax, MAX, BlockReduceMax)
HAWK_CCE_BLOCK(vcgmin, MIN, BlockReduceMin)
#undef HAWK_CCE_BLOCK
template <typename T, typename U>
__aicore__ inline void vcpadd(T* dst, U* src, uint64_t repeat, uint16_t dstRep, uint16_t srcBlk, uint16_t srcRep,
                              HAWK_LINE) {
    hawk::pair_reduce(hawk::cce::ub(dst, hawk::cce::dt_ptr<U>()), hawk::cce::ub(src), hawk::cce::kNoMask, true,
                      repeat, dstRep, srcBlk, srcRep, hawk::cce::at(hawk::Api::PairReduceSum, hawk_line), false);
}
HAWK_CCE_OTHER_FORMS(vcpadd, HAWK_N(6))
template <typename T, typename U>
__aicore__ inline void vbrcb(T* dst, U* src, uint16_t dstBlk, uint16_t dstRep, uint64_t repeat, HAWK_LINE) {
    hawk::brcb(hawk::cce::ub(dst), hawk::cce::ub(src), repeat, dstBlk, dstRep, hawk::cce::at(hawk::Api::Brcb, hawk_line));
}
HAWK_CCE_OTHER_FORMS(vbrcb, HAWK_N(5))

// The registers a reduction or GatherMask leaves: ACC_VAL (an accumulating vcadd, ReduceSum), RSVD_CNT (GatherMask),
// VMS4_SR (MrgSort: four 16-bit counts).
__aicore__ inline int64_t get_acc_val() { return hawk::acc_val(); }
__aicore__ inline int64_t get_rsvd_cnt() { return hawk::rsvd_cnt(); }
__aicore__ inline int64_t get_vms4_sr() {
    uint16_t r[4];
    hawk::mrgsort_result(r);
    return static_cast<int64_t>(uint64_t(r[0]) | uint64_t(r[1]) << 16 | uint64_t(r[2]) << 32 | uint64_t(r[3]) << 48);
}

// ------------------------------------------------------------------------------------------ data movement
// copy_<src>_to_<dst>(dst, src, sid, nBurst, lenBurst, srcGap, dstGap): DataCopy with DataCopyParams (32 B blocks).
#define HAWK_CCE_COPY(name, DST, SRC)                                                                            \
    template <typename T, typename U>                                                                            \
    __aicore__ inline void name(T* dst, U* src, uint8_t sid, uint16_t nBurst, uint16_t lenBurst, uint16_t srcGap, \
                                uint16_t dstGap, HAWK_LINE) {                                                    \
        (void)sid;                                                                                               \
        hawk::CopyParams p;                                                                                      \
        p.block_count = nBurst;                                                                                  \
        p.block_len = lenBurst;                                                                                  \
        p.src_stride = srcGap;                                                                                   \
        p.dst_stride = dstGap;                                                                                   \
        hawk::copy_params(hawk::cce::DST(dst), hawk::cce::SRC(src), p, hawk::cce::at(hawk::Api::DataCopy, hawk_line)); \
    }                                                                                                            \
    HAWK_CCE_OTHER_FORMS(name, HAWK_N(7))
HAWK_CCE_COPY(copy_gm_to_ubuf, ub, gm)
HAWK_CCE_COPY(copy_ubuf_to_gm, gm, ub)
HAWK_CCE_COPY(copy_ubuf_to_ubuf, ub, ub)
#undef HAWK_CCE_COPY
// copy_<src>_to_<dst>_align_b<bits>(dst, src, sid, nBurst, lenBurst (bytes), leftPad, rightPad, srcGap, dstGap):
// DataCopyPad (GM side in bytes, UB rows padded to 32 B; the padding value is SetPadValue's).
#define HAWK_CCE_COPY_ALIGN(name, DST, SRC, ET)                                                                  \
    template <typename T, typename U>                                                                            \
    __aicore__ inline void name(T* dst, U* src, uint8_t sid, uint16_t nBurst, uint32_t lenBurst, uint8_t leftPad, \
                                uint8_t rightPad, uint32_t srcGap, uint32_t dstGap, HAWK_LINE) {                 \
        (void)sid;                                                                                               \
        hawk::CopyParams p;                                                                                      \
        p.block_count = nBurst;                                                                                  \
        p.block_len = lenBurst;                                                                                  \
        p.src_stride = srcGap;                                                                                   \
        p.dst_stride = dstGap;                                                                                   \
        hawk::PadParams pad;                                                                                     \
        pad.left = leftPad;                                                                                      \
        pad.right = rightPad;                                                                                    \
        hawk::copy_pad(hawk::cce::DST(dst, hawk::DT::ET), hawk::cce::SRC(src, hawk::DT::ET), p, pad, true,       \
                       hawk::cce::at(hawk::Api::DataCopyPad, hawk_line));                                        \
    }                                                                                                            \
    HAWK_CCE_OTHER_FORMS(name, HAWK_N(9))
HAWK_CCE_COPY_ALIGN(copy_gm_to_ubuf_align_b8, ub, gm, U8)
HAWK_CCE_COPY_ALIGN(copy_gm_to_ubuf_align_b16, ub, gm, U16)
HAWK_CCE_COPY_ALIGN(copy_gm_to_ubuf_align_b32, ub, gm, U32)
HAWK_CCE_COPY_ALIGN(copy_ubuf_to_gm_align_b8, gm, ub, U8)
HAWK_CCE_COPY_ALIGN(copy_ubuf_to_gm_align_b16, gm, ub, U16)
HAWK_CCE_COPY_ALIGN(copy_ubuf_to_gm_align_b32, gm, ub, U32)
#undef HAWK_CCE_COPY_ALIGN

// ---------------------------------------------------------------------------------------- atomic stores
__aicore__ inline void set_atomic_none(HAWK_LINE) {
    hawk::set_atomic(0, hawk::DT::NONE, hawk::cce::at(hawk::Api::SetAtomic, hawk_line));
}
// set_atomic_add/max/min choose the operation, set_atomic_<type> the element type (DT::NONE: keep the type).
__aicore__ inline void set_atomic_add(HAWK_LINE) {
    hawk::set_atomic(1, hawk::DT::NONE, hawk::cce::at(hawk::Api::SetAtomic, hawk_line));
}
__aicore__ inline void set_atomic_max(HAWK_LINE) {
    hawk::set_atomic(2, hawk::DT::NONE, hawk::cce::at(hawk::Api::SetAtomic, hawk_line));
}
__aicore__ inline void set_atomic_min(HAWK_LINE) {
    hawk::set_atomic(3, hawk::DT::NONE, hawk::cce::at(hawk::Api::SetAtomic, hawk_line));
}
#define HAWK_CCE_ATOMIC_TYPE(name, D)                                                                            \
    __aicore__ inline void name(HAWK_LINE) {                                                                     \
        hawk::set_atomic(-1, hawk::DT::D, hawk::cce::at(hawk::Api::SetAtomic, hawk_line));                       \
    }
HAWK_CCE_ATOMIC_TYPE(set_atomic_f32, F32)
HAWK_CCE_ATOMIC_TYPE(set_atomic_f16, F16)
HAWK_CCE_ATOMIC_TYPE(set_atomic_bf16, BF16)
HAWK_CCE_ATOMIC_TYPE(set_atomic_s32, I32)
HAWK_CCE_ATOMIC_TYPE(set_atomic_s16, I16)
HAWK_CCE_ATOMIC_TYPE(set_atomic_s8, I8)
#undef HAWK_CCE_ATOMIC_TYPE

// ------------------------------------------------------------------------------------- transposes, gather
// vtranspose: Transpose of one 16 x 16 matrix of 2-byte elements.
template <typename T, typename U> __aicore__ inline void vtranspose(T* dst, U* src, HAWK_LINE) {
    hawk::transpose16(hawk::cce::ub(dst), hawk::cce::ub(src), hawk::cce::at(hawk::Api::Transpose, hawk_line));
}
HAWK_CCE_OTHER_FORMS(vtranspose, HAWK_N(2))
// set_va_reg_sb(VAn, addrs): eight UB byte addresses into VA register n; VA0/VA1 then hold the 16 destination
// blocks and VA2/VA3 the 16 source blocks of scatter_vnchwconv_b8/b16/b32 (= TransDataTo5HD).
__aicore__ inline void set_va_reg_sb(ub_addr8_t reg, const uint64_t* addrs, HAWK_LINE) {
    hawk::va_set(static_cast<int>(reg), addrs, hawk::cce::at(hawk::Api::TransDataTo5HD, hawk_line));
}
HAWK_CCE_OTHER_FORMS(set_va_reg_sb, HAWK_N(2))
namespace hawk {
namespace cce {
inline void vnchwconv(ub_addr8_t dst, ub_addr8_t src, DT dt, uint64_t repeat, uint64_t dst_rep, uint64_t src_rep,
                      bool dst_high, bool src_high, Site site) {
    uint64_t d[16], s[16];
    va_get(static_cast<int>(dst), d);
    va_get((static_cast<int>(dst) + 1) & 7, d + 8);
    va_get(static_cast<int>(src), s);
    va_get((static_cast<int>(src) + 1) & 7, s + 8);
    trans5hd(d, s, dt, repeat, dst_rep, src_rep, dst_high, src_high, site);
}
}  // namespace cce
}  // namespace hawk
__aicore__ inline void scatter_vnchwconv_b16(ub_addr8_t dst, ub_addr8_t src, uint64_t repeat, uint16_t dstRep,
                                             uint16_t srcRep, HAWK_LINE) {
    hawk::cce::vnchwconv(dst, src, hawk::DT::U16, repeat, dstRep, srcRep, false, false,
                         hawk::cce::at(hawk::Api::TransDataTo5HD, hawk_line));
}
__aicore__ inline void scatter_vnchwconv_b32(ub_addr8_t dst, ub_addr8_t src, uint64_t repeat, uint16_t dstRep,
                                             uint16_t srcRep, HAWK_LINE) {
    hawk::cce::vnchwconv(dst, src, hawk::DT::U32, repeat, dstRep, srcRep, false, false,
                         hawk::cce::at(hawk::Api::TransDataTo5HD, hawk_line));
}
__aicore__ inline void scatter_vnchwconv_b8(ub_addr8_t dst, ub_addr8_t src, uint64_t repeat, uint16_t dstRep,
                                            uint16_t srcRep, bool dstHighHalf, bool srcHighHalf, HAWK_LINE) {
    hawk::cce::vnchwconv(dst, src, hawk::DT::U8, repeat, dstRep, srcRep, dstHighHalf, srcHighHalf,
                         hawk::cce::at(hawk::Api::TransDataTo5HD, hawk_line));
}
HAWK_CCE_OTHER_FORMS(scatter_vnchwconv_b16, HAWK_N(5))
HAWK_CCE_OTHER_FORMS(scatter_vnchwconv_b32, HAWK_N(5))
HAWK_CCE_OTHER_FORMS(scatter_vnchwconv_b8, HAWK_N(7))
// vreducev2(dst, src0, src1, repeat, src0BlkStride, patternMode, src0RepStride, src1RepStride): GatherMask under the
// mask register (counter mode: the register's count of elements per repeat); patternMode 0 reads the bits of src1.
template <typename T, typename U, typename V>
__aicore__ inline void vreducev2(T* dst, U* src0, V* src1, uint64_t repeat, uint8_t src0Blk, uint8_t patternMode,
                                 uint16_t src0Rep, uint8_t src1Rep, HAWK_LINE) {
    uint64_t m[2];
    hawk::mask_get(m);
    const bool counter = hawk::mask_counter_mode();
    hawk::gather_mask(hawk::cce::ub(dst), hawk::cce::ub(src0),
                      patternMode == 0 ? hawk::cce::ub(src1) : hawk::Ref{}, patternMode, counter, counter ? m[0] : 0,
                      repeat, src0Blk, src0Rep, src1Rep, hawk::cce::at(hawk::Api::GatherMask, hawk_line));
}
HAWK_CCE_OTHER_FORMS(vreducev2, HAWK_N(8))

// ------------------------------------------------------------------------- CANN's internal Impl layer
// The pointer-level functions of CANN's Ascend C implementation (impl/basic_api/dav_c220: DuplicateImpl,
// DataCopyGM2UBImpl ...) that some public kernels call directly; each is its Ascend C API on raw UB / GM pointers.
namespace AscendC {
template <typename T>
__aicore__ inline void DuplicateImpl(__ubuf__ T* dst, const T& scalarValue, const int32_t& count, HAWK_LINE) {
    hawk::VecCall c{};
    c.op = hawk::VOp::DUP;
    c.dst = hawk::cce::ub(dst);
    c.count = count;
    hawk::cce::scalar<T>(c, scalarValue);
    hawk::vec(c, HAWK_SITE(Duplicate));
}
template <typename T, bool isSetMask = true, typename M>
__aicore__ inline void DuplicateImpl(__ubuf__ T* dst, const T& scalarValue, M mask, const uint8_t repeatTime,
                                     const uint16_t dstBlockStride, const uint8_t dstRepeatStride, HAWK_LINE) {
    hawk::VecCall c{};
    c.op = hawk::VOp::DUP;
    c.dst = hawk::cce::ub(dst);
    hawk::cce::scalar<T>(c, scalarValue);
    c.st.dst_blk = dstBlockStride;
    c.st.dst_rep = dstRepeatStride;
    detail::mask_form(c, mask, repeatTime, isSetMask);
    hawk::vec(c, HAWK_SITE(Duplicate));
}
template <typename T>
__aicore__ inline void DataCopyGM2UBImpl(__ubuf__ T* dst, __gm__ T* src, const DataCopyParams& p, HAWK_LINE) {
    hawk::copy_params(hawk::cce::ub(dst), hawk::cce::gm(src), detail::cp(p), HAWK_SITE(DataCopy));
}
template <typename T>
__aicore__ inline void DataCopyUB2GMImpl(__gm__ T* dst, __ubuf__ T* src, const DataCopyParams& p, HAWK_LINE) {
    hawk::copy_params(hawk::cce::gm(dst), hawk::cce::ub(src), detail::cp(p), HAWK_SITE(DataCopy));
}
template <typename T>
__aicore__ inline void DataCopyUB2UBImpl(__ubuf__ T* dst, __ubuf__ T* src, const DataCopyParams& p, HAWK_LINE) {
    hawk::copy_params(hawk::cce::ub(dst), hawk::cce::ub(src), detail::cp(p), HAWK_SITE(DataCopy));
}
}  // namespace AscendC

// ------------------------------------------------------------------------------- not modelled (the rest)
HAWK_CCE_UNMODELLED(vgather)
HAWK_CCE_UNMODELLED(vgatherb)
HAWK_CCE_UNMODELLED(vbitsort)
HAWK_CCE_UNMODELLED(vmrgsort4)
HAWK_CCE_UNMODELLED(vconv_deq)
HAWK_CCE_UNMODELLED(vconv_vdeqs162b8l)
HAWK_CCE_UNMODELLED(vconv_vdeqs162b8h)
HAWK_CCE_UNMODELLED(vconv_deqs162b8l)
HAWK_CCE_UNMODELLED(vconv_deqs162b8h)
HAWK_CCE_UNMODELLED(vconv_f162s4)
HAWK_CCE_UNMODELLED(vconv_f162s4r)
HAWK_CCE_UNMODELLED(vconv_f162s4a)
HAWK_CCE_UNMODELLED(vconv_f162s4f)
HAWK_CCE_UNMODELLED(vconv_f162s4c)
HAWK_CCE_UNMODELLED(vconv_f162s4z)
HAWK_CCE_UNMODELLED(vconv_s42f16)
HAWK_CCE_UNMODELLED(vmulconv_f162s8)
HAWK_CCE_UNMODELLED(vmulconv_f162u8)
HAWK_CCE_UNMODELLED(vaddreluconv_f162s8)
HAWK_CCE_UNMODELLED(vaddreluconv_f322f16)
HAWK_CCE_UNMODELLED(vaddreluconv_s162s8)
HAWK_CCE_UNMODELLED(vaddreluconv_vdeqs162b8)
HAWK_CCE_UNMODELLED(vsubreluconv_f162s8)
HAWK_CCE_UNMODELLED(vsubreluconv_f322f16)
HAWK_CCE_UNMODELLED(vsubreluconv_s162s8)
HAWK_CCE_UNMODELLED(vld_va_reg)
HAWK_CCE_UNMODELLED(set_deqscale)
HAWK_CCE_UNMODELLED(set_lrelu_alpha)
HAWK_CCE_UNMODELLED(set_mov_pad_val)
HAWK_CCE_UNMODELLED(set_padding)
HAWK_CCE_UNMODELLED(set_ctrl)
HAWK_CCE_UNMODELLED(get_ctrl)
HAWK_CCE_UNMODELLED(set_fpc)
HAWK_CCE_UNMODELLED(get_fpc)
HAWK_CCE_UNMODELLED(get_max_min_cnt)
HAWK_CCE_UNMODELLED(get_status)
HAWK_CCE_UNMODELLED(get_overflow_status)
HAWK_CCE_UNMODELLED(get_condition_flag)
HAWK_CCE_UNMODELLED(set_condition_flag)
HAWK_CCE_UNMODELLED(get_imm)
HAWK_CCE_UNMODELLED(get_pc)
HAWK_CCE_UNMODELLED(get_coreid)
HAWK_CCE_UNMODELLED(get_arch_ver)
HAWK_CCE_UNMODELLED(get_lpcnt)
HAWK_CCE_UNMODELLED(set_lpcnt)
HAWK_CCE_UNMODELLED(get_icache_prl_st)
HAWK_CCE_UNMODELLED(get_stack_phy_base)
HAWK_CCE_UNMODELLED(get_para_base)
HAWK_CCE_UNMODELLED(get_l2_vaddr_base)
HAWK_CCE_UNMODELLED(get_l2_in_main)
HAWK_CCE_UNMODELLED(get_ffts_base_addr)
HAWK_CCE_UNMODELLED(set_ffts_base_addr)
HAWK_CCE_UNMODELLED(get_st_atomic_cfg)
HAWK_CCE_UNMODELLED(set_st_atomic_cfg)
HAWK_CCE_UNMODELLED(get_thread_id)
HAWK_CCE_UNMODELLED(get_thread_dim)
HAWK_CCE_UNMODELLED(set_pcie_rd_ctrl)
HAWK_CCE_UNMODELLED(set_data_exp_0)
HAWK_CCE_UNMODELLED(set_data_exp_1)
HAWK_CCE_UNMODELLED(set_data_exp_2)
HAWK_CCE_UNMODELLED(set_data_exp_3)
HAWK_CCE_UNMODELLED(dcci)
HAWK_CCE_UNMODELLED(dc_preload)
// cube and its data paths (the twin's cube runs through the Ascend C API: Mmad, LoadData, Fixpipe, DataCopy)
HAWK_CCE_UNMODELLED(mad)
HAWK_CCE_UNMODELLED(mad_s4)
HAWK_CCE_UNMODELLED(mad_sp)
HAWK_CCE_UNMODELLED(load_gm_to_cbuf)
HAWK_CCE_UNMODELLED(load_gm_to_ca)
HAWK_CCE_UNMODELLED(load_gm_to_cb)
HAWK_CCE_UNMODELLED(load_cbuf_to_ca)
HAWK_CCE_UNMODELLED(load_cbuf_to_cb)
HAWK_CCE_UNMODELLED(load_cbuf_to_ca_s4)
HAWK_CCE_UNMODELLED(load_cbuf_to_cb_s4)
HAWK_CCE_UNMODELLED(load_cbuf_to_ca_transpose)
HAWK_CCE_UNMODELLED(load_cbuf_to_cb_transpose)
HAWK_CCE_UNMODELLED(load_cbuf_to_cb_transpose_s4)
HAWK_CCE_UNMODELLED(load_cbuf_to_cb_sp)
HAWK_CCE_UNMODELLED(load_image_to_cbuf)
HAWK_CCE_UNMODELLED(img2colv2_cbuf_to_ca)
HAWK_CCE_UNMODELLED(img2colv2_cbuf_to_cb)
HAWK_CCE_UNMODELLED(img2colv2_cbuf_to_ub)
HAWK_CCE_UNMODELLED(img2colv2_cbuf_to_ca_s4)
HAWK_CCE_UNMODELLED(copy_gm_to_cbuf)
HAWK_CCE_UNMODELLED(copy_gm_to_cbuf_multi_nd2nz_b8)
HAWK_CCE_UNMODELLED(copy_gm_to_cbuf_multi_nd2nz_b16)
HAWK_CCE_UNMODELLED(copy_gm_to_cbuf_multi_nd2nz_b32s)
HAWK_CCE_UNMODELLED(copy_cbuf_to_gm)
HAWK_CCE_UNMODELLED(copy_cbuf_to_bt)
HAWK_CCE_UNMODELLED(copy_cbuf_to_fbuf)
HAWK_CCE_UNMODELLED(copy_cbuf_to_ubuf)
HAWK_CCE_UNMODELLED(copy_ubuf_to_cbuf)
HAWK_CCE_UNMODELLED(copy_matrix_cc_to_gm)
HAWK_CCE_UNMODELLED(copy_matrix_cc_to_cbuf)
HAWK_CCE_UNMODELLED(copy_matrix_cc_to_ubuf)
HAWK_CCE_UNMODELLED(copy_matrix_cbuf_to_cc)
HAWK_CCE_UNMODELLED(create_ca_matrix)
HAWK_CCE_UNMODELLED(create_cb_matrix)
HAWK_CCE_UNMODELLED(create_cbuf_matrix)
HAWK_CCE_UNMODELLED(create_ca_matrix_bf16)
HAWK_CCE_UNMODELLED(create_cb_matrix_bf16)
HAWK_CCE_UNMODELLED(create_cbuf_matrix_bf16)
HAWK_CCE_UNMODELLED(set_fmatrix)
HAWK_CCE_UNMODELLED(set_fmatrix_b)
HAWK_CCE_UNMODELLED(set_l3d_rpt)
HAWK_CCE_UNMODELLED(set_l1_3d_size)
HAWK_CCE_UNMODELLED(set_l1_2d)
HAWK_CCE_UNMODELLED(set_l0a_2d)
HAWK_CCE_UNMODELLED(set_l0b_2d)
HAWK_CCE_UNMODELLED(set_l0_set_value_h)
HAWK_CCE_UNMODELLED(set_l0_set_value_bf16)
HAWK_CCE_UNMODELLED(set_nd_para)
HAWK_CCE_UNMODELLED(set_quant_pre)
// AIPP (image pre-processing) configuration registers
HAWK_CCE_UNMODELLED(set_aipp_spr_0)
HAWK_CCE_UNMODELLED(set_aipp_spr_1)
HAWK_CCE_UNMODELLED(set_aipp_spr_2)
HAWK_CCE_UNMODELLED(set_aipp_spr_3)
HAWK_CCE_UNMODELLED(set_aipp_spr_4)
HAWK_CCE_UNMODELLED(set_aipp_spr_5)
HAWK_CCE_UNMODELLED(set_aipp_spr_6)
HAWK_CCE_UNMODELLED(set_aipp_spr_7)
HAWK_CCE_UNMODELLED(set_aipp_spr_8)
HAWK_CCE_UNMODELLED(set_aipp_spr_9)
HAWK_CCE_UNMODELLED(set_aipp_spr_10)
HAWK_CCE_UNMODELLED(set_aipp_spr_11)
HAWK_CCE_UNMODELLED(set_aipp_spr_12)
HAWK_CCE_UNMODELLED(set_aipp_spr_13)
HAWK_CCE_UNMODELLED(set_aipp_spr_14)
HAWK_CCE_UNMODELLED(set_aipp_spr_15)
HAWK_CCE_UNMODELLED(set_aipp_spr_16)
HAWK_CCE_UNMODELLED(set_aipp_spr_17)
HAWK_CCE_UNMODELLED(set_aipp_spr_18)
HAWK_CCE_UNMODELLED(set_aipp_spr_19)
HAWK_CCE_UNMODELLED(set_aipp_spr_20)
HAWK_CCE_UNMODELLED(set_aipp_spr_21)
HAWK_CCE_UNMODELLED(set_aipp_spr_22)
HAWK_CCE_UNMODELLED(set_aipp_spr_23)
HAWK_CCE_UNMODELLED(set_aipp_spr_24)
#undef HAWK_N
#undef HAWK_CCE_OTHER_FORMS
#undef HAWK_CCE_UNMODELLED

#endif  // HAWK_CCE_H
