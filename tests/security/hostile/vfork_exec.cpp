// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: vfork_exec
// class: fork
// tries: vfork() then exec /bin/sh in the child
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "vfork_exec"
#include <unistd.h>
static void go() { if (::vfork() == 0) { char *const a[] = {(char *)"/bin/sh", (char *)"-c", (char *)"touch /tmp/@MARK@-vfork_exec", nullptr}; ::execv("/bin/sh", a); ::_exit(1); } }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
