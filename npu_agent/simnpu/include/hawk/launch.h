// The launch stub of a candidate binary: the runtime calls the task's kernel entry through these two functions.
// npu_agent/simnpu/shapes.py generates `launch.cpp`: the candidate's kernel file, this header, HAWK_LAUNCH(<entry>).
// hawk_entry_core tells the runtime the core type the entry's qualifier asks for (2 __cube__, 1 __vector__, 0 none).
// hawk_entry_mix tells the runtime the kernel type a __mix__(cube, vec) qualifier asks for (-1: none).
#ifndef HAWK_LAUNCH_H
#define HAWK_LAUNCH_H

#include <cstdint>
#include <type_traits>
#include <utility>

namespace hawk::launch {
template <typename... A> constexpr int arity(void (*)(A...)) { return static_cast<int>(sizeof...(A)); }
template <typename... A, size_t... I> void call(void (*f)(A...), uint8_t** args, std::index_sequence<I...>) {
    static_assert((std::is_pointer_v<A> && ...),
                  "every parameter of the kernel entry must be a GM_ADDR (a __gm__ pointer); see docs/kernel-contract.md");
    f(reinterpret_cast<A>(args[I])...);
}
template <typename... A> void launch(void (*f)(A...), uint8_t** args) {
    call(f, args, std::index_sequence_for<A...>{});
}

// Which marker section (hawk/tensor.h: __cube__ / __vector__) holds the entry's code; the linker defines the
// bounds of a section named like an identifier. (GCC drops section attributes on template instances, so a
// templated __cube__ entry needs KERNEL_TASK_TYPE_DEFAULT.)
extern "C" const char __start_hawk_aic_text[] __attribute__((weak));
extern "C" const char __stop_hawk_aic_text[] __attribute__((weak));
extern "C" const char __start_hawk_aiv_text[] __attribute__((weak));
extern "C" const char __stop_hawk_aiv_text[] __attribute__((weak));
template <typename F> int core_of(F* f) {
    const char* p = reinterpret_cast<const char*>(f);
    if (__start_hawk_aic_text != nullptr && p >= __start_hawk_aic_text && p < __stop_hawk_aic_text) return 2;
    if (__start_hawk_aiv_text != nullptr && p >= __start_hawk_aiv_text && p < __stop_hawk_aiv_text) return 1;
    return 0;
}

// A GM pointer of a generated direct-launch wrapper, converted to whatever pointer type the kernel declares.
struct GmArg {
    uint8_t* p;
    template <typename T> operator T*() const { return reinterpret_cast<T*>(p); }
};

// __mix__(c, v) (hawk/tensor.h) puts the entry in section hawk_mix_<c>_<v>_text; the linker defines the bounds of
// a section named like an identifier. Returns the KernelMetaType it stands for, -1 when the entry is not __mix__.
#define HAWK_MIX_SECTION(c, v)                                                                    \
    extern "C" const char __start_hawk_mix_##c##_##v##_text[] __attribute__((weak));             \
    extern "C" const char __stop_hawk_mix_##c##_##v##_text[] __attribute__((weak));
HAWK_MIX_SECTION(0, 1)
HAWK_MIX_SECTION(1, 0)
HAWK_MIX_SECTION(1, 1)
HAWK_MIX_SECTION(1, 2)
#undef HAWK_MIX_SECTION
template <typename F> int mix_type_of(F* f) {
    const char* p = reinterpret_cast<const char*>(f);
    auto in = [p](const char* a, const char* b) { return a != nullptr && p >= a && p < b; };
    if (in(__start_hawk_mix_0_1_text, __stop_hawk_mix_0_1_text)) return 2;  // KERNEL_TYPE_MIX_AIV_1_0
    if (in(__start_hawk_mix_1_0_text, __stop_hawk_mix_1_0_text)) return 3;  // KERNEL_TYPE_MIX_AIC_1_0
    if (in(__start_hawk_mix_1_1_text, __stop_hawk_mix_1_1_text)) return 4;  // KERNEL_TYPE_MIX_AIC_1_1
    if (in(__start_hawk_mix_1_2_text, __stop_hawk_mix_1_2_text)) return 5;  // KERNEL_TYPE_MIX_AIC_1_2
    return -1;
}
}  // namespace hawk::launch

// A translation unit compiled for one core type (hawk/coretype.h) also exports the entry under the name the runtime
// calls on that core type (hawk_entry_launch_aic / hawk_entry_launch_aiv).
#ifdef HAWK_ENTRY_VARIANT
#define HAWK_LAUNCH_VARIANT(entry) \
    extern "C" void HAWK_ENTRY_VARIANT(uint8_t** args) { ::hawk::launch::launch(&entry, args); }
#else
#define HAWK_LAUNCH_VARIANT(entry)
#endif

#define HAWK_LAUNCH(entry)                                                                        \
    HAWK_LAUNCH_VARIANT(entry)                                                                    \
    extern "C" unsigned long long hawk_entry_abi() { return HAWK_ABI_SIGNATURE; }                \
    extern "C" int hawk_entry_arity() { return ::hawk::launch::arity(&entry); }                  \
    extern "C" void hawk_entry_launch(uint8_t** args) { ::hawk::launch::launch(&entry, args); }    \
    extern "C" int hawk_entry_core() { return ::hawk::launch::core_of(&entry); }                 \
    extern "C" int hawk_entry_mix() { return ::hawk::launch::mix_type_of(&entry); }

#endif  // HAWK_LAUNCH_H
