// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: unshare_user_mount
// class: privilege
// tries: unshare a user and mount namespace, then mount over /tmp
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "unshare_user_mount"
#include <sched.h>
#include <sys/mount.h>
static void go() { ::unshare(CLONE_NEWUSER | CLONE_NEWNS); ::mount("none", "/tmp", "tmpfs", 0, nullptr); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
