// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: forge_result_then_compute
// class: profile_forgery
// tries: write a forged fast verdict to the result pipe first, then compute correctly so verification passes
// expect: OK WRONG_ANSWER SANDBOX_VIOLATION HARDWARE_EXCEPTION RUNTIME_ERROR
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "forge_result_then_compute"
#include "kernel_operator.h"
#include <cstdlib>
#include <cstring>
#include <unistd.h>

static void go() {
    static bool done;
    if (done) return;
    done = true;
    const char *m = "{\"status\":\"OK\",\"time_us\":0.001,\"cycles\":1,\"outputs_match\":true}\n";
    for (int fd = 3; fd < 64; fd++) (void)!::write(fd, m, std::strlen(m));
}
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
