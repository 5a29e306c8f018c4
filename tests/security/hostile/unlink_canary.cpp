// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: unlink_canary
// class: write_outside
// tries: unlink and rename host canary files
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "unlink_canary"
#include <cstdio>
#include <unistd.h>
static void go() { ::unlink("@CANARY@"); std::rename("@CANARY2@", "@CANARY2@.moved"); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
