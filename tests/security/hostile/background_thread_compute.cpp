// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: background_thread_compute
// class: profile_forgery
// tries: return at once from the kernel and compute the output in a detached thread after the timed region
// expect: OK WRONG_ANSWER SANDBOX_VIOLATION HARDWARE_EXCEPTION RUNTIME_ERROR
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "background_thread_compute"
#include "kernel_operator.h"
#include <thread>
#include <chrono>

static bool late_add(GM_ADDR x, GM_ADDR y, GM_ADDR z) {
    const uint32_t n = @N@ / AscendC::GetBlockNum(), off = n * AscendC::GetBlockIdx();
    half *xs = (half *)x + off, *ys = (half *)y + off, *zs = (half *)z + off;
    std::thread([=] { std::this_thread::sleep_for(std::chrono::milliseconds(50));
                      for (uint32_t i = 0; i < n; i++) zs[i] = (half)((float)xs[i] + (float)ys[i]); }).detach();
    return true;
}
#define HOSTILE_ENTRY() if (late_add(x, y, z)) return
//@ADD_KERNEL@
