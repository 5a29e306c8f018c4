// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: chmod_canary
// class: write_outside
// tries: chmod a host canary to 0777 and truncate it through truncate(2)
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "chmod_canary"
#include <sys/stat.h>
#include <unistd.h>
static void go() { ::chmod("@CANARY@", 0777); (void)!::truncate("@CANARY@", 0); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
