// After hawk_sandbox::lockdown() (what the twin's kernel runtime does before candidate code), each mode
// tries one forbidden thing; argv[1] picks it. "thread" must still work.
#include "seccomp_lockdown.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    int result_fd = std::getenv("HAWK_RESULT_FD") ? std::atoi(std::getenv("HAWK_RESULT_FD")) : -1;
    if (hawk_sandbox::lockdown() != 0) { std::perror("lockdown"); return 3; }
    if (!std::strcmp(mode, "fork")) fork();
    if (!std::strcmp(mode, "socket")) socket(AF_INET, SOCK_STREAM, 0);
    if (!std::strcmp(mode, "write")) open("/tmp/hawk-locked-write", O_CREAT | O_WRONLY, 0644);
    if (!std::strcmp(mode, "exec")) execl("/bin/true", "true", (char *)nullptr);
    if (!std::strcmp(mode, "alloc")) {  // allocate without bound: RLIMIT_AS makes `new` throw
        for (;;) {
            char *p = new char[64 << 20];
            std::memset(p, 1, 64 << 20);
        }
    }
    if (!std::strcmp(mode, "read")) {
        int fd = open("/etc/hostname", O_RDONLY);
        if (fd < 0) return 4;
        close(fd);
    }
    if (!std::strcmp(mode, "thread")) {
        int x = 0;
        std::thread t([&] { x = 42; });
        t.join();
        if (x != 42) return 5;
    }
    const char ok[] = "{\"survived\": true}";
    if (result_fd >= 0 && write(result_fd, ok, sizeof ok - 1) < 0) return 6;
    return 0;
}
