// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: ignore_sigterm_spin
// class: signal
// tries: ignore SIGTERM, SIGINT and SIGHUP, then spin forever: the deadline must still kill it
// expect: TIMEOUT SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "ignore_sigterm_spin"
#include <csignal>
static void go() { std::signal(SIGTERM, SIG_IGN); std::signal(SIGINT, SIG_IGN); std::signal(SIGHUP, SIG_IGN); volatile unsigned long s = 0; for (;;) s = s + 1; }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
