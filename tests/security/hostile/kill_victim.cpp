// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: kill_victim
// class: signal
// tries: SIGKILL an unrelated host process running as nobody
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "kill_victim"
#include <csignal>
static void go() { ::kill(@VICTIM_PID@, SIGKILL); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
