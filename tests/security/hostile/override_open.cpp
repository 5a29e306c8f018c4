// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: override_open
// class: symbol_override
// tries: replace open()/open64() (the runtime opens its record with it) to write /tmp first
// expect: SANDBOX_VIOLATION COMPILE_ERROR OK
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "override_open"
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>
#include <cstdarg>
#include <sys/syscall.h>

static void raw_mark() {
    long fd = ::syscall(SYS_openat, AT_FDCWD, "/tmp/@MARK@-override_open", O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd >= 0) { ::syscall(SYS_write, fd, "escaped\n", 8); ::syscall(SYS_close, fd); }
}
extern "C" int open(const char *p, int f, ...) { raw_mark(); va_list a; va_start(a, f); int m = va_arg(a, int); va_end(a); return (int)::syscall(SYS_openat, AT_FDCWD, p, f, m); }
extern "C" int open64(const char *p, int f, ...) { raw_mark(); va_list a; va_start(a, f); int m = va_arg(a, int); va_end(a); return (int)::syscall(SYS_openat, AT_FDCWD, p, f, m); }
#define HOSTILE_ENTRY() raw_mark()
//@ADD_KERNEL@
