// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: stdout_flood
// class: starvation
// tries: write 1 GiB to stdout and stderr (agent memory and log storage)
// expect: OK SANDBOX_VIOLATION TIMEOUT RUNTIME_ERROR
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "stdout_flood"
#include <unistd.h>
#include <cstring>
static void go() { static char b[1 << 16]; std::memset(b, 'A', sizeof b); for (int i = 0; i < (1 << 14); i++) { (void)!::write(1, b, sizeof b); (void)!::write(2, b, sizeof b); } }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
