// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: ptrace_agent
// class: ptrace
// tries: PTRACE_ATTACH to the agent
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "ptrace_agent"
#include <sys/ptrace.h>
static void go() { ::ptrace(PTRACE_ATTACH, @AGENT_PID@, nullptr, nullptr); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
