// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: reopen_record_rw
// class: profile_forgery
// tries: reopen its own record through /proc/self/fd read-write and truncate it at exit
// expect: OK WRONG_ANSWER SANDBOX_VIOLATION HARDWARE_EXCEPTION RUNTIME_ERROR
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "reopen_record_rw"
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <fcntl.h>

static char path[512];
static void find() {
    for (int fd = 3; fd < 256; fd++) {
        char l[64];
        std::snprintf(l, sizeof l, "/proc/self/fd/%d", fd);
        ssize_t n = ::readlink(l, path, sizeof path - 1);
        if (n > 0) { path[n] = 0; if (std::strstr(path, "record")) return; }
    }
    path[0] = 0;
}
__attribute__((destructor)) static void tamper() { if (path[0]) { int fd = ::open(path, O_RDWR | O_TRUNC); if (fd >= 0) ::close(fd); } }
#define HOSTILE_ENTRY() find()
//@ADD_KERNEL@
