// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: include_proc_environ
// class: secret
// tries: #include /proc/self/environ and the agent's /proc/<pid>/environ into diagnostics
// expect: COMPILE_ERROR
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "include_proc_environ"
#include "/proc/self/environ"
#include "/proc/@AGENT_PID@/environ"
#define HOSTILE_ENTRY() (void)0
//@ADD_KERNEL@
