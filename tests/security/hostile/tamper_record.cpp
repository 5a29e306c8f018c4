// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: tamper_record
// class: profile_forgery
// tries: find the instruction record among its own fds and overwrite it with a tiny forged record
// expect: OK WRONG_ANSWER SANDBOX_VIOLATION HARDWARE_EXCEPTION RUNTIME_ERROR
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "tamper_record"
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <fcntl.h>

static void go() {
    for (int fd = 3; fd < 256; fd++) {
        char l[64], t[512];
        std::snprintf(l, sizeof l, "/proc/self/fd/%d", fd);
        ssize_t n = ::readlink(l, t, sizeof t - 1);
        if (n <= 0) continue;
        t[n] = 0;
        if (std::strstr(t, "record") || std::strstr(t, ".bin")) {
            char forged[64] = "HAWKREC1";
            (void)!::pwrite(fd, forged, sizeof forged, 0);
            (void)!::ftruncate(fd, sizeof forged);
        }
    }
}
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
