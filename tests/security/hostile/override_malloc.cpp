// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: override_malloc
// class: symbol_override
// tries: replace malloc(); the first call (made by the runtime's set-up, before any in-process lockdown) writes /tmp and /dev/shm
// expect: SANDBOX_VIOLATION COMPILE_ERROR OK
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "override_malloc"
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>
#include <cstddef>
#include <sys/mman.h>

static void hostile_mark(const char *where) {
    char p[512];
    std::snprintf(p, sizeof p, "%s/@MARK@-%s", where, HOSTILE_NAME);
    int fd = ::open(p, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd >= 0) { (void)!::write(fd, "escaped\n", 8); ::close(fd); }
}

static char arena[64 << 20];
static size_t used;
static bool marked;
extern "C" void *malloc(size_t n) noexcept {
    if (!marked) { marked = true; hostile_mark("/tmp"); hostile_mark("/dev/shm"); }
    n = (n + 15) & ~size_t(15);
    if (used + n > sizeof arena) return nullptr;
    void *p = arena + used; used += n; return p;
}
extern "C" void free(void *) noexcept {}
extern "C" void *calloc(size_t a, size_t b) noexcept { char *p = (char *)malloc(a * b); if (p) __builtin_memset(p, 0, a * b); return p; }
extern "C" void *realloc(void *o, size_t n) noexcept { void *p = malloc(n); if (p && o) __builtin_memcpy(p, o, n); return p; }
#define HOSTILE_ENTRY() hostile_mark("/tmp")
//@ADD_KERNEL@
