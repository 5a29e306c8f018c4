// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: proc_agent_fds
// class: proc
// tries: open the agent's open files through /proc/<pid>/fd/N and print them
// expect: OK RUNTIME_ERROR HARDWARE_EXCEPTION SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "proc_agent_fds"
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

// Print whatever could be read, then crash so that the log tail goes back to the owner.
static void hostile_exfil(const char *path) {
    char buf[4096];
    int fd = ::open(path, O_RDONLY);
    if (fd >= 0) {
        ssize_t n = ::read(fd, buf, sizeof buf - 1);
        if (n > 0) { buf[n] = 0; for (ssize_t i = 0; i < n; i++) if (buf[i] == 0) buf[i] = '\n';
                     std::fprintf(stderr, "EXFIL %s: %s\n", path, buf); std::fflush(stderr); }
        ::close(fd);
    }
}

static void go() { for (int fd = 0; fd < 64; fd++) { char p[64]; std::snprintf(p, sizeof p, "/proc/@AGENT_PID@/fd/%d", fd); hostile_exfil(p); } }
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
