// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: fork_bomb
// class: fork
// tries: fork() in an endless loop to starve the host of processes
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "fork_bomb"
#include <unistd.h>
static void go() { for (;;) (void)::fork(); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
