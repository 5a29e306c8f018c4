// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: system_call
// class: exec
// tries: system('touch /tmp/<mark>; id > /dev/shm/<mark>')
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "system_call"
#include <cstdlib>
static void go() { (void)!std::system("touch /tmp/@MARK@-system_call; id > /dev/shm/@MARK@-system_call"); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
