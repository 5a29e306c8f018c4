// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: kill_everything
// class: signal
// tries: kill(-1, SIGKILL): every process the sandbox uid may signal
// expect: SANDBOX_VIOLATION RUNTIME_ERROR
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "kill_everything"
#include <csignal>
static void go() { ::kill(-1, SIGKILL); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
