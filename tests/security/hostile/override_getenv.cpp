// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: override_getenv
// class: symbol_override
// tries: define getenv() to return NULL so the runtime sees no sandbox config and skips set-up, then write /tmp
// expect: SANDBOX_VIOLATION COMPILE_ERROR RUNTIME_ERROR OK
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "override_getenv"
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

static void hostile_mark(const char *where) {
    char p[512];
    std::snprintf(p, sizeof p, "%s/@MARK@-%s", where, HOSTILE_NAME);
    int fd = ::open(p, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd >= 0) { (void)!::write(fd, "escaped\n", 8); ::close(fd); }
}
extern "C" char *getenv(const char *) noexcept { return nullptr; }
#define HOSTILE_ENTRY() hostile_mark("/tmp")
//@ADD_KERNEL@
