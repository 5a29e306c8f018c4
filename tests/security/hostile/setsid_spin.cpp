// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: setsid_spin
// class: signal
// tries: setsid() to leave the process group, then spin forever
// expect: TIMEOUT SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "setsid_spin"
#include <unistd.h>
static void go() { ::setsid(); ::setpgid(0, 0); volatile unsigned long s = 0; for (;;) s = s + 1; }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
