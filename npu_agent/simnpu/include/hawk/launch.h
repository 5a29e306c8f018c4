// The launch stub of a candidate binary: the runtime calls the task's kernel entry through these two functions.
// npu_agent/simnpu/shapes.py generates `launch.cpp`: the candidate's kernel file, this header, HAWK_LAUNCH(<entry>).
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
// A GM pointer of a generated direct-launch wrapper, converted to whatever pointer type the kernel declares.
struct GmArg {
    uint8_t* p;
    template <typename T> operator T*() const { return reinterpret_cast<T*>(p); }
};
}  // namespace hawk::launch

#define HAWK_LAUNCH(entry)                                                                        \
    extern "C" unsigned long long hawk_entry_abi() { return HAWK_ABI_SIGNATURE; }                \
    extern "C" int hawk_entry_arity() { return ::hawk::launch::arity(&entry); }                  \
    extern "C" void hawk_entry_launch(uint8_t** args) { ::hawk::launch::launch(&entry, args); }

#endif  // HAWK_LAUNCH_H
