// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: ptrace_traceme
// class: ptrace
// tries: PTRACE_TRACEME (to be traced by the launcher) and PTRACE_SEIZE its parent
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "ptrace_traceme"
#include <sys/ptrace.h>
#include <unistd.h>
static void go() { ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr); ::ptrace(PTRACE_SEIZE, ::getppid(), nullptr, nullptr); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
