// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: ifunc_resolver
// class: init_section
// tries: a GNU ifunc resolver (run by the loader during relocation) that writes /tmp
// expect: SANDBOX_VIOLATION COMPILE_ERROR OK
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "ifunc_resolver"
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
static int impl() { return 0; }
extern "C" void *hawk_resolver() { early(); return (void *)impl; }
extern "C" int hawk_fn() __attribute__((ifunc("hawk_resolver")));
#define HOSTILE_ENTRY() (void)hawk_fn()
//@ADD_KERNEL@
