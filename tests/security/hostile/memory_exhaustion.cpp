// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: memory_exhaustion
// class: starvation
// tries: allocate and touch 64 MiB blocks forever
// expect: SANDBOX_VIOLATION RUNTIME_ERROR
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "memory_exhaustion"
#include <cstring>
static void go() { for (;;) { char *p = new char[64 << 20]; std::memset(p, 1, 64 << 20); } }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
