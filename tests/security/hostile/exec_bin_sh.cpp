// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: exec_bin_sh
// class: exec
// tries: execve /bin/sh -c 'touch /tmp/<mark>'
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "exec_bin_sh"
#include <unistd.h>
static void go() { char *const a[] = {(char *)"/bin/sh", (char *)"-c", (char *)"touch /tmp/@MARK@-exec_bin_sh", nullptr}; ::execv("/bin/sh", a); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
