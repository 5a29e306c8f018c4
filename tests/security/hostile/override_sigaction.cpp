// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: override_sigaction
// class: symbol_override
// tries: neuter sigaction()/signal() so no crash or timeout handler is installed, then spin forever
// expect: TIMEOUT SANDBOX_VIOLATION COMPILE_ERROR OK
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "override_sigaction"
#include <csignal>

extern "C" int sigaction(int, const struct sigaction *, struct sigaction *) { return 0; }
extern "C" __sighandler_t signal(int, __sighandler_t) { return SIG_DFL; }
static void spin() { volatile unsigned long s = 0; for (;;) s = s + 1; }
#define HOSTILE_ENTRY() spin()
//@ADD_KERNEL@
