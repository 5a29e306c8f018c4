// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: threads_unbounded
// class: starvation
// tries: start threads until creation fails, and keep them
// expect: SANDBOX_VIOLATION TIMEOUT RUNTIME_ERROR
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "threads_unbounded"
#include <pthread.h>
#include <unistd.h>
static void *idle(void *) { ::sleep(60); return nullptr; }
static void go() { for (int i = 0; i < 100000; i++) { pthread_t t; if (::pthread_create(&t, nullptr, idle, nullptr) != 0) break; } ::sleep(60); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
