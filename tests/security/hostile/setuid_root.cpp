// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: setuid_root
// class: privilege
// tries: setuid(0)/setgid(0) and chroot('..') escape
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "setuid_root"
#include <unistd.h>
static void go() { (void)!::setgid(0); (void)!::setuid(0); (void)!::chroot(".."); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
