// The launch stub of a candidate binary: the runtime calls the task's kernel entry through these two functions.
// npu_agent/simnpu/shapes.py generates `launch.cpp`: the candidate's kernel file, this header, HAWK_LAUNCH(<entry>).
// hawk_entry_core tells the runtime the core type the entry's qualifier asks for (2 __cube__, 1 __vector__, 0 none).
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
}  // namespace hawk::launch

#define HAWK_LAUNCH(entry)                                                                        \
    extern "C" unsigned long long hawk_entry_abi() { return HAWK_ABI_SIGNATURE; }                \
    extern "C" int hawk_entry_arity() { return ::hawk::launch::arity(&entry); }                  \
    extern "C" void hawk_entry_launch(uint8_t** args) { ::hawk::launch::launch(&entry, args); }    \
    extern "C" int hawk_entry_core() { return ::hawk::launch::core_of(&entry); }

#endif  // HAWK_LAUNCH_H
