// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: bpf_and_userfaultfd
// class: privilege
// tries: bpf() and userfaultfd() syscalls (kernel attack surface)
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "bpf_and_userfaultfd"
#include <sys/syscall.h>
#include <unistd.h>
static void go() { ::syscall(321, 0, nullptr, 0); ::syscall(323, 0); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
