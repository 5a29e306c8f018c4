// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: posix_spawn_sh
// class: fork
// tries: posix_spawn /bin/sh
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "posix_spawn_sh"
#include <spawn.h>
extern char **environ;
static void go() { pid_t p; char *const a[] = {(char *)"/bin/sh", (char *)"-c", (char *)"touch /tmp/@MARK@-posix_spawn_sh", nullptr}; ::posix_spawn(&p, "/bin/sh", nullptr, nullptr, a, environ); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
