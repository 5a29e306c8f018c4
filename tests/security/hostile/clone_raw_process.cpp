// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: clone_raw_process
// class: fork
// tries: raw clone(SIGCHLD) without CLONE_THREAD: a new process, past a fork() wrapper check
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "clone_raw_process"
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>
#include <csignal>
#include <sys/syscall.h>

static void hostile_mark(const char *where) {
    char p[512];
    std::snprintf(p, sizeof p, "%s/@MARK@-%s", where, HOSTILE_NAME);
    int fd = ::open(p, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd >= 0) { (void)!::write(fd, "escaped\n", 8); ::close(fd); }
}
static void go() { long r = ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0); if (r == 0) { hostile_mark("/tmp"); ::syscall(SYS_exit, 0); } }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
