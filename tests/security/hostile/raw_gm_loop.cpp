// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: raw_gm_loop
// class: profile_forgery
// tries: a plain C++ loop over the GM pointers (no DataCopy/Add): must not be timed as launch overhead only
// expect: OK WRONG_ANSWER SANDBOX_VIOLATION HARDWARE_EXCEPTION RUNTIME_ERROR
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "raw_gm_loop"
#include "kernel_operator.h"

// Do the whole add with plain C++ over the GM pointers, outside the Ascend C API, then skip the API kernel.
static bool raw_add(GM_ADDR x, GM_ADDR y, GM_ADDR z) {
    const uint32_t n = @N@ / AscendC::GetBlockNum(), off = n * AscendC::GetBlockIdx();
    half *xs = (half *)x + off, *ys = (half *)y + off, *zs = (half *)z + off;
    for (uint32_t i = 0; i < n; i++) zs[i] = (half)((float)xs[i] + (float)ys[i]);
    return true;
}
#define HOSTILE_ENTRY() if (raw_add(x, y, z)) return
//@ADD_KERNEL@
