// What a CANN build provides around the kernel API: the debug interfaces (assert, ascendc_assert, ASSERT,
// printf, DumpTensor), the extra element type names, the small utility functions of kernel_operator.h
// (DivCeil, AlignUp, ...), InitSocState, LocalMemAllocator, the kernel-side tiling registration macros and the
// legacy spellings public kernels still use (namespace tik2). Our own code written from the public Ascend C
// documentation (docs/kernel-contract.md, "What a CANN build provides").
#ifndef HAWK_CANN_ENV_H
#define HAWK_CANN_ENV_H

#include <cstdint>
#include <cstdio>
#include <string>
#include <type_traits>
#include <utility>

#include "hawk/runtime.h"
#include "hawk/tensor.h"
#include "hawk/types.h"

namespace hawk {
// Runtime side (hawk_runtime.cpp).
[[noreturn]] void assert_fail(const char* expr, const char* file, uint32_t line, const char* message);
void print_out(const char* text, size_t len, bool block_prefix);
void dump_tensor(const Ref& t, uint32_t desc, uint32_t count, Site site);

// printf arguments as the C library takes them: half and bfloat16_t print as floating point (%f).
template <typename T> inline auto printf_arg(const T& v) {
    if constexpr (std::is_same_v<std::decay_t<T>, half> || std::is_same_v<std::decay_t<T>, bfloat16_t>) {
        return static_cast<double>(static_cast<float>(v));
    } else if constexpr (std::is_enum_v<std::decay_t<T>>) {
        return static_cast<long long>(v);
    } else {
        return v;
    }
}
template <typename... A> inline std::string format(const char* fmt, const A&... a) {
    if (fmt == nullptr) return {};
    if constexpr (sizeof...(A) == 0) {
        return std::string(fmt);
    } else {
        char small[512];
        int n = std::snprintf(small, sizeof small, fmt, printf_arg(a)...);
        if (n < 0) return std::string(fmt);
        if (static_cast<size_t>(n) < sizeof small) return std::string(small, static_cast<size_t>(n));
        std::string out(static_cast<size_t>(n) + 1, '\0');
        std::snprintf(out.data(), out.size(), fmt, printf_arg(a)...);
        out.resize(static_cast<size_t>(n));
        return out;
    }
}
template <typename... A>
[[noreturn]] inline void assert_fail_fmt(const char* expr, const char* file, uint32_t line, const char* fmt,
                                         const A&... a) {
    assert_fail(expr, file, line, format(fmt, a...).c_str());
}
}  // namespace hawk

// ------------------------------------------------------------------------------------------------- asserts
// assert / ascendc_assert (utils/debug/asc_assert.h, active by default in NPU builds): a false condition prints
// "[ASSERT] file:line: Assertion `expr' <message>" and ends the kernel (the device traps); both take an optional
// printf-style message. ASSERT, ASCENDC_ASSERT and KERNEL_LOG are CPU-debug-only: the NPU build compiles them to
// nothing (kernel_macros.h, kernel_log.h), and public kernels rely on it (`this->n = n ASSERT(n != 0);` compiles only
// so), so the twin compiles them out too.
#include <cassert>
#define HAWK_ASSERT_NARGS_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, N, ...) N
#define HAWK_ASSERT_NARGS(...) HAWK_ASSERT_NARGS_(__VA_ARGS__, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 0)
#define HAWK_ASSERT_CAT_(a, b) a##b
#define HAWK_ASSERT_CAT(a, b) HAWK_ASSERT_CAT_(a, b)
#define HAWK_ASSERT_1(expr) \
    (static_cast<bool>(expr) ? void(0) : ::hawk::assert_fail(#expr, __FILE__, __LINE__, ""))
#define HAWK_ASSERT_2(expr, ...) \
    (static_cast<bool>(expr) ? void(0) : ::hawk::assert_fail_fmt(#expr, __FILE__, __LINE__, __VA_ARGS__))
#define HAWK_ASSERT(...) HAWK_ASSERT_CAT(HAWK_ASSERT_, HAWK_ASSERT_NARGS(__VA_ARGS__))(__VA_ARGS__)
#undef assert
#define assert(...) HAWK_ASSERT(__VA_ARGS__)
#define ascendc_assert(...) HAWK_ASSERT(__VA_ARGS__)
#ifndef ASSERT
#define ASSERT(x)
#endif
#define ASCENDC_ASSERT(cond, behavior)
#define KERNEL_LOG(level, fmt, ...)
#define DEBUG_CODE(T)

// ------------------------------------------------------------------------------------------------ types
// float16_t / float32_t: the device compiler's names for half and float. int4b_t (two per byte) is in hawk/types.h.
using float16_t = half;
using float32_t = float;

namespace AscendC {
template <typename T, typename U> struct IsSameType { static constexpr bool value = std::is_same_v<T, U>; };
template <typename T> struct SizeOfBits { static constexpr uint32_t value = sizeof(T) * 8; };
template <> struct SizeOfBits<int4b_t> { static constexpr uint32_t value = 4; };

// ------------------------------------------------------------------------------------- small utilities
// The unsigned 32-bit helpers kernel_operator.h declares (impl/basic_api/utils): non-templates, so a kernel's own
// template of the same name keeps winning overload resolution for its argument types.
__aicore__ constexpr inline uint32_t DivCeil(uint32_t a, uint32_t b) { return (a + b - 1) / b; }
__aicore__ constexpr inline uint32_t AlignUp(uint32_t a, uint32_t b) { return DivCeil(a, b) * b; }
__aicore__ constexpr inline uint32_t ConstCeil(uint32_t a, uint32_t b) { return (a + b - 1) / b; }
__aicore__ inline uint32_t Ceil(uint32_t a, uint32_t b) { return (a + b - 1) / b; }
__aicore__ inline int32_t CeilDivision(int32_t num1, int32_t num2) {
    return num2 == 0 ? 0 : (num1 + num2 - 1) / num2;
}

// InitSocState: resets the core's global state a previous operator may have left behind. On the twin every block
// starts from reset state already (normal mask mode, full mask, no atomic), so what remains is the vector mask.
__aicore__ inline void InitSocState() {
    if (hawk::g.core != hawk::Core::AIC) {
        hawk::set_mask_mode(false);
        const uint64_t full[2] = {~uint64_t(0), ~uint64_t(0)};
        hawk::set_mask(false, full, hawk::Site{hawk::Api::SetVectorMask, __builtin_LINE()});
    }
}

// ------------------------------------------------------------------------------------------ printf & dump
// AscendC::printf / PRINTF: formatted output of the kernel, each line prefixed "[AIV Block b/n] " as in NPU mode.
// It goes to the kernel's standard output (RunResult.log_tail), never into the result.
template <class... Args> __aicore__ inline void printf(const char* fmt, Args&&... args) {
    std::string s = hawk::format(fmt, args...);
    hawk::print_out(s.data(), s.size(), true);
}
template <class... Args> __aicore__ inline void PRINTF(const char* fmt, Args&&... args) {
    AscendC::printf(fmt, std::forward<Args>(args)...);
}

// ShapeInfo: hawk/tensor.h.

// DumpTensor: "DumpTensor: desc=<desc>, addr=<addr>, data_type=<type>, position=<pos>, dump_size=<n>" and the values.
template <typename T>
__aicore__ inline void DumpTensor(const LocalTensor<T>& tensor, uint32_t desc, uint32_t dumpSize, HAWK_LINE) {
    hawk::dump_tensor(tensor.ref_, desc, dumpSize, hawk::Site{hawk::Api::None, hawk_line.v});
}
template <typename T>
__aicore__ inline void DumpTensor(const GlobalTensor<T>& tensor, uint32_t desc, uint32_t dumpSize, HAWK_LINE) {
    hawk::dump_tensor(tensor.ref(), desc, dumpSize, hawk::Site{hawk::Api::None, hawk_line.v});
}
template <typename T>
__aicore__ inline void DumpTensor(const LocalTensor<T>& tensor, uint32_t desc, uint32_t dumpSize, const ShapeInfo&,
                                  HAWK_LINE) {
    hawk::dump_tensor(tensor.ref_, desc, dumpSize, hawk::Site{hawk::Api::None, hawk_line.v});
}
template <typename T>
__aicore__ inline void DumpTensor(const GlobalTensor<T>& tensor, uint32_t desc, uint32_t dumpSize, const ShapeInfo&,
                                  HAWK_LINE) {
    hawk::dump_tensor(tensor.ref(), desc, dumpSize, hawk::Site{hawk::Api::None, hawk_line.v});
}

// ------------------------------------------------------------------------------------- LocalMemAllocator
// Static-tensor programming: tensors handed out one after another from address 0 of a physical memory, with no
// alignment added (basic_api/kernel_tensor.h). Not to be mixed with TPipe, as on the device.
enum class Hardware : uint8_t { GM, UB, L1, L0A, L0B, L0C, BIAS, FIXBUF, MAX };

namespace detail {
constexpr TPosition default_position(Hardware h) {
    return h == Hardware::UB ? TPosition::VECCALC : h == Hardware::L1 ? TPosition::A1
         : h == Hardware::L0A ? TPosition::A2 : h == Hardware::L0B ? TPosition::B2
         : h == Hardware::L0C ? TPosition::CO1 : h == Hardware::BIAS ? TPosition::C2
         : h == Hardware::FIXBUF ? TPosition::C2PIPE2GM : TPosition::GM;
}
constexpr Hardware hardware_of(TPosition p) {
    return (p == TPosition::VECIN || p == TPosition::VECOUT || p == TPosition::VECCALC) ? Hardware::UB
         : (p == TPosition::A1 || p == TPosition::B1 || p == TPosition::C1 || p == TPosition::TSCM) ? Hardware::L1
         : p == TPosition::A2 ? Hardware::L0A : p == TPosition::B2 ? Hardware::L0B
         : p == TPosition::CO1 ? Hardware::L0C : p == TPosition::C2 ? Hardware::BIAS
         : p == TPosition::C2PIPE2GM ? Hardware::FIXBUF : Hardware::GM;
}
constexpr hawk::Mem mem_of(Hardware h) {
    return h == Hardware::UB ? hawk::Mem::UB : h == Hardware::L1 ? hawk::Mem::L1 : h == Hardware::L0A ? hawk::Mem::L0A
         : h == Hardware::L0B ? hawk::Mem::L0B : h == Hardware::L0C ? hawk::Mem::L0C
         : h == Hardware::BIAS ? hawk::Mem::BT : h == Hardware::FIXBUF ? hawk::Mem::FB : hawk::Mem::GM;
}
}  // namespace detail

template <Hardware hard = Hardware::UB> class LocalMemAllocator {
    static_assert(hard != Hardware::GM && hard != Hardware::MAX, "illegal hardware position GM or MAX");

   public:
    __aicore__ inline LocalMemAllocator() = default;
    __aicore__ inline uint32_t GetCurAddr() const { return head_; }
    template <class DataType, uint32_t tileSize> __aicore__ inline LocalTensor<DataType> Alloc() {
        return take<DataType>(detail::default_position(hard), tileSize);
    }
    template <TPosition pos, class DataType, uint32_t tileSize> __aicore__ inline LocalTensor<DataType> Alloc() {
        static_assert(detail::hardware_of(pos) == hard, "logic pos and hardware pos not matched.");
        return take<DataType>(pos, tileSize);
    }
    template <class DataType> __aicore__ inline LocalTensor<DataType> Alloc(uint32_t tileSize) {
        return take<DataType>(detail::default_position(hard), tileSize);
    }
    template <TPosition pos, class DataType> __aicore__ inline LocalTensor<DataType> Alloc(uint32_t tileSize) {
        static_assert(detail::hardware_of(pos) == hard, "logic pos and hardware pos not matched.");
        return take<DataType>(pos, tileSize);
    }

   private:
    template <class DataType> LocalTensor<DataType> take(TPosition pos, uint32_t tileSize) {
        hawk::Ref r;
        r.mem = detail::mem_of(hard);
        r.dt = hawk::dt_v<DataType>;
        r.addr = head_;
        r.bytes = uint64_t(tileSize) * SizeOfBits<DataType>::value / 8;
        head_ += static_cast<uint32_t>(r.bytes);
        return detail::make_local<DataType>(r, pos, -1);
    }
    uint32_t head_ = 0;
};

}  // namespace AscendC

// ---------------------------------------------------------------------------------- legacy spellings
// tik2: the name of the Ascend C namespace in early CANN releases.
namespace tik2 = AscendC;

// ------------------------------------------------------------------------------ kernel-side tiling macros
// REGISTER_TILING_DEFAULT(T): the kernel's default tiling struct is the standard C++ struct T; GET_TILING_DATA in
// the same function then reads a T. (A block-scope declaration hides every BEGIN_TILING_DATA_DEF candidate.)
#define REGISTER_TILING_DEFAULT(T) T hawk_tiling_struct(int)
// REGISTER_TILING_FOR_TILINGKEY(expr, T): the struct for some tiling keys; kernels read it with
// GET_TILING_DATA_WITH_STRUCT(T, ...), so the registration itself has nothing to do on the twin.
#define REGISTER_TILING_FOR_TILINGKEY(expr, T) static_assert(sizeof(T) > 0, expr)
#define REGISTER_NONE_TILING ((void)0)
#define __tiling_data_ptr__
// GET_TILING_DATA_PTR_WITH_STRUCT(T, ptr, tiling): a pointer to the tiling data in GM viewed as T.
#define GET_TILING_DATA_PTR_WITH_STRUCT(type, ptr, tiling)                                                   \
    type* ptr = static_cast<type*>(::hawk::tiling_ptr(tiling, sizeof(type),                                 \
                                                      ::hawk::Site{::hawk::Api::GetTilingData, __builtin_LINE()}))
#define COPY_TILING_WITH_STRUCT(type, src_ptr, dst)                                                          \
    type dst;                                                                                                \
    std::memcpy(static_cast<void*>(&dst), static_cast<const void*>(src_ptr), sizeof(type))
#define TILING_KEY_LIST(...) (::hawk::tiling_key_in({__VA_ARGS__}))
namespace hawk {
inline bool tiling_key_in(std::initializer_list<uint64_t> keys) {
    for (uint64_t k : keys)
        if (k == g.tiling_key) return true;
    return false;
}
}  // namespace hawk

#endif  // HAWK_CANN_ENV_H
