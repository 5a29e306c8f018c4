// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: kill_parent
// class: signal
// tries: SIGKILL its parent (the launcher) and its process group
// expect: SANDBOX_VIOLATION RUNTIME_ERROR
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "kill_parent"
#include <csignal>
#include <unistd.h>
static void go() { ::kill(::getppid(), SIGKILL); ::kill(-::getpgrp(), SIGKILL); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
