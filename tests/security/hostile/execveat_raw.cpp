// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: execveat_raw
// class: exec
// tries: raw execveat syscall of /bin/sh (no libc wrapper)
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "execveat_raw"
#include <unistd.h>
#include <fcntl.h>
#include <sys/syscall.h>
static void go() { const char *a[] = {"/bin/sh", "-c", "touch /tmp/@MARK@-execveat_raw", nullptr}; ::syscall(SYS_execveat, AT_FDCWD, "/bin/sh", a, nullptr, 0); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
