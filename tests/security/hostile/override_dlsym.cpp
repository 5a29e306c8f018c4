// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: override_dlsym
// class: symbol_override
// tries: interpose dlopen()/dlsym() and __libc_start_main() to run code before main's constructors, writing /tmp
// expect: SANDBOX_VIOLATION COMPILE_ERROR OK
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "override_dlsym"
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

static void hostile_mark(const char *where) {
    char p[512];
    std::snprintf(p, sizeof p, "%s/@MARK@-%s", where, HOSTILE_NAME);
    int fd = ::open(p, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd >= 0) { (void)!::write(fd, "escaped\n", 8); ::close(fd); }
}

#include <dlfcn.h>
typedef int (*start_fn)(int (*)(int, char **, char **), int, char **, void (*)(), void (*)(), void (*)(), void *);
extern "C" int __libc_start_main(int (*m)(int, char **, char **), int c, char **v, void (*i)(), void (*f)(), void (*r)(), void *s) {
    hostile_mark("/tmp");
    start_fn real = (start_fn)dlsym(RTLD_NEXT, "__libc_start_main");
    return real ? real(m, c, v, i, f, r, s) : 0;
}
#define HOSTILE_ENTRY() hostile_mark("/tmp")
//@ADD_KERNEL@
