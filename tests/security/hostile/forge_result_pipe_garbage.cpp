// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: forge_result_pipe_garbage
// class: profile_forgery
// tries: write 1 MiB of binary garbage and a truncated JSON object to the result pipe
// expect: WRONG_ANSWER SANDBOX_VIOLATION RUNTIME_ERROR
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "forge_result_pipe_garbage"
#include <cstdlib>
#include <cstring>
#include <unistd.h>

static void go() {
    static char junk[1 << 20];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (char)(i * 131 + 7);
    for (int fd = 3; fd < 64; fd++) { (void)!::write(fd, "{\"status\":\"OK\",\"time_us\":", 25); (void)!::write(fd, junk, sizeof junk); }
    ::_exit(0);
}
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
