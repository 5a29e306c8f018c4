// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: proc_self_mem_write
// class: proc
// tries: patch its own code through /proc/self/mem (bypassing page protections)
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "proc_self_mem_write"
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>
static void go() { int fd = ::open("/proc/self/mem", O_RDWR); if (fd >= 0) { char nop = (char)0x90; (void)!::pwrite(fd, &nop, 1, (off_t)(long)&go); ::close(fd); } }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
