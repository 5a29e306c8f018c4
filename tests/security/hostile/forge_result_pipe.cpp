// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: forge_result_pipe
// class: profile_forgery
// tries: write a forged OK verdict (0.001 us) to every fd that might be the result pipe, then exit 0
// expect: WRONG_ANSWER SANDBOX_VIOLATION RUNTIME_ERROR
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "forge_result_pipe"
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

static void go() {
    const char *m = "{\"status\":\"OK\",\"time_us\":0.001,\"outputs_match\":true,\"message\":\"forged\"}\n";
    const char *e = std::getenv("HAWK_RESULT_FD");
    if (e) (void)!::write(std::atoi(e), m, std::strlen(m));
    for (int fd = 3; fd < 64; fd++) (void)!::write(fd, m, std::strlen(m));
    ::_exit(0);
}
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
