// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: raise_sigstop
// class: signal
// tries: stop itself with SIGSTOP: a frozen candidate must end at its deadline
// expect: TIMEOUT SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "raise_sigstop"
#include <csignal>
static void go() { ::raise(SIGSTOP); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
