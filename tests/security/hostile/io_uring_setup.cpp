// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: io_uring_setup
// class: privilege
// tries: io_uring_setup: submit I/O that seccomp cannot see
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "io_uring_setup"
#include <sys/syscall.h>
#include <unistd.h>
#include <cstring>
static void go() { char p[120]; std::memset(p, 0, sizeof p); ::syscall(425, 8, p); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
