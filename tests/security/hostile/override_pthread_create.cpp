// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: override_pthread_create
// class: symbol_override
// tries: make pthread_create() fail silently (no watchdog thread), then spin forever: the sandbox deadline must still end it
// expect: TIMEOUT SANDBOX_VIOLATION RUNTIME_ERROR COMPILE_ERROR OK
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "override_pthread_create"
#include <pthread.h>

extern "C" int pthread_create(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *) { return 0; }
static void spin() { volatile unsigned long s = 0; for (;;) s = s + 1; }
#define HOSTILE_ENTRY() spin()
//@ADD_KERNEL@
