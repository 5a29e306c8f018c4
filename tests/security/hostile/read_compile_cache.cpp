// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: read_compile_cache
// class: cross_tenant
// tries: find cached binaries and compiler diagnostics of other tenants under the work root and the twin's work root
// expect: OK RUNTIME_ERROR HARDWARE_EXCEPTION SANDBOX_VIOLATION
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "read_compile_cache"
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
#define HOSTILE_FILE(p) hostile_exfil(p)

#include <dirent.h>
#include <sys/stat.h>
#include <cstring>
static int seen;
// Walk a tree, print every file name and the start of every readable file (to the log tail).
static void walk(const char *dir, int depth) {
    if (depth > 6 || seen > 400) return;
    DIR *d = ::opendir(dir);
    if (!d) return;
    while (dirent *e = ::readdir(d)) {
        if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
        char p[1024];
        std::snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (::lstat(p, &st) != 0) continue;
        seen++;
        if (S_ISDIR(st.st_mode)) walk(p, depth + 1);
        else if (S_ISREG(st.st_mode)) { std::fprintf(stderr, "EXFIL file %s\n", p); HOSTILE_FILE(p); }
    }
    ::closedir(d);
}
#define HOSTILE_ENTRY() (walk("@WORK_ROOT@/simnpu", 0), walk("@SIM_ROOT@", 0), std::fflush(stderr))
//@ADD_KERNEL@
