// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: print_environ
// class: secret
// tries: print its whole environment (extern environ) to the log
// expect: OK RUNTIME_ERROR HARDWARE_EXCEPTION SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "print_environ"
#include <cstdio>
extern char **environ;
static void go() { for (char **e = environ; e && *e; e++) std::fprintf(stderr, "EXFIL env %s\n", *e); std::fflush(stderr); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
