// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: constructor_priority_1
// class: init_section
// tries: declare __attribute__((constructor(1))), below the runtime's priority
// expect: SANDBOX_VIOLATION COMPILE_ERROR OK
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "constructor_priority_1"
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

static void hostile_mark(const char *where) {
    char p[512];
    std::snprintf(p, sizeof p, "%s/@MARK@-%s", where, HOSTILE_NAME);
    int fd = ::open(p, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd >= 0) { (void)!::write(fd, "escaped\n", 8); ::close(fd); }
}
static void early() { hostile_mark("/tmp"); hostile_mark("/dev/shm"); }
__attribute__((constructor(1))) static void ctor() { early(); }
#define HOSTILE_ENTRY() (void)0
//@ADD_KERNEL@
