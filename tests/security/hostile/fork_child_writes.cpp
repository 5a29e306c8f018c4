// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: fork_child_writes
// class: fork
// tries: fork(); the child writes /tmp and sleeps past the evaluation
// expect: SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "fork_child_writes"
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

static void hostile_mark(const char *where) {
    char p[512];
    std::snprintf(p, sizeof p, "%s/@MARK@-%s", where, HOSTILE_NAME);
    int fd = ::open(p, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd >= 0) { (void)!::write(fd, "escaped\n", 8); ::close(fd); }
}
static void go() { if (::fork() == 0) { hostile_mark("/tmp"); ::sleep(30); ::_exit(0); } }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
