// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: proc_agent_mem_read
// class: proc
// tries: read the agent's memory through /proc/<pid>/mem and process_vm_readv
// expect: OK RUNTIME_ERROR HARDWARE_EXCEPTION SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "proc_agent_mem_read"
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>
#include <sys/uio.h>

static void go() {
    int fd = ::open("/proc/@AGENT_PID@/mem", O_RDONLY);
    if (fd >= 0) { std::fprintf(stderr, "EXFIL opened agent memory\n"); ::close(fd); }
    char buf[64]; iovec l{buf, sizeof buf}, r{(void *)0x400000, sizeof buf};
    if (::process_vm_readv(@AGENT_PID@, &l, 1, &r, 1, 0) > 0) std::fprintf(stderr, "EXFIL read agent memory\n");
}
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
