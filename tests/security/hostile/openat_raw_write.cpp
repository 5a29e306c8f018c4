// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: openat_raw_write
// class: write_outside
// tries: raw openat syscall (no libc) with O_CREAT in /tmp
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "openat_raw_write"
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
static void go() { long fd = ::syscall(SYS_openat, AT_FDCWD, "/tmp/@MARK@-openat_raw_write", O_WRONLY | O_CREAT, 0666); if (fd >= 0) ::syscall(SYS_write, fd, "x", 1); }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
