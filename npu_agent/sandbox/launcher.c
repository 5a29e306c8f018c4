/* hawk-sandbox-exec: the first process of every sandboxed compile, kernel run or reference run.
 *
 * Python's preexec_fn is unsafe in the threaded agent, so every isolation step that must happen between fork and
 * exec lives in this small C program, built once per agent with the host compiler. In order:
 *   death with the agent (PDEATHSIG); joining the sandbox's cgroups (--cgroup, pids and memory: the limits hold
 *   for every process and thread the target ever starts); when not root, a user namespace mapping the agent's own
 *   uid (it owns the namespaces below); new network, mount and PID namespaces; with --pidns a tiny init (pid 1)
 *   whose exit kills every process of the namespace; with --mountns a new root built on a tmpfs from read-only
 *   binds (system dirs and --ro paths), writable binds (--rw, the sandbox's own work dir), a minimal /dev, private
 *   size-capped /tmp and /dev/shm, /proc only with --proc, then pivot_root and the old root detached; the
 *   sandbox's own uid/gid; resource limits; no_new_privs; the seccomp allowlist of --seccomp PROFILE
 *   (seccomp_allowlist.h); exec of the target. Nothing of the target runs before the filter is in force.
 * The launcher waits (through init) for the target and exits the way it did (same code, or the same signal).
 *
 * Usage: hawk-sandbox-exec [--cpu S] [--as BYTES] [--fsize BYTES] [--nproc N] [--nofile N] [--netns] [--pidns]
 *                          [--uid U --gid G] [--cwd DIR] [--seccomp run|compile|reference|device] [--cgroup DIR]...
 *                          [--report-fd FD]
 *                          [--mountns --newroot DIR [--ro PATH]... [--rw PATH]... [--dev NODE]... [--tmpfs-size BYTES]
 *                           [--proc]]     (--dev: a device node under /dev bound usable, e.g. /dev/davinci0 for the
 *                                          cann backend; every other bind is nodev)
 *                          -- PROGRAM ARGS...
 *        hawk-sandbox-exec --probe        prints what this host allows, as JSON
 * Exit status 125 with a line on --report-fd (and "hawk-sandbox: ..." on stderr): the sandbox could not be set up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp_allowlist.h"

#define SETUP_FAILED 125
#define MAX_PATHS 64

/* --report-fd: where set-up failures are also written. It is close-on-exec, so the target can never write to it:
 * a message there is a failure of the sandbox itself (INTERNAL), whatever the target prints or returns. */
static int report_fd = -1;

static int fail(const char *what) {
    fprintf(stderr, "hawk-sandbox: %s: %s\n", what, strerror(errno));
    if (report_fd >= 0) dprintf(report_fd, "%s: %s\n", what, strerror(errno));
    return SETUP_FAILED;
}

static int fail_path(const char *what, const char *path) {
    fprintf(stderr, "hawk-sandbox: %s %s: %s\n", what, path, strerror(errno));
    if (report_fd >= 0) dprintf(report_fd, "%s %s: %s\n", what, path, strerror(errno));
    return SETUP_FAILED;
}

static int set_limit(int resource, unsigned long long soft, unsigned long long hard) {
    struct rlimit rl = {(rlim_t)soft, (rlim_t)hard};
    return setrlimit(resource, &rl);
}

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* A user namespace in which this process keeps its uid and gid (and, until exec, the capabilities to set up the
 * mount, network and PID namespaces it then owns). Used when the agent is not root. */
static int enter_userns(void) {
    uid_t uid = getuid();
    gid_t gid = getgid();
    char map[64];
    if (unshare(CLONE_NEWUSER) != 0) return -1;
    if (write_file("/proc/self/setgroups", "deny") != 0 && errno != ENOENT) return -1;
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
    if (write_file("/proc/self/uid_map", map) != 0) return -1;
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
    return write_file("/proc/self/gid_map", map);
}

/* ------------------------------------------------------------------------------------------- mounts */
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
struct hawk_mount_attr { unsigned long long attr_set, attr_clr, propagation, userns_fd; };

/* Adds attributes to a mount and every mount below it (mount_setattr), falling back to a remount of the top. */
/* Read-only binds keep exec (the program, the compiler, Python); writable ones are noexec: nothing the sandbox
 * writes can be run as a program. */
static int restrict_mount(const char *path, int readonly, int device) {
    struct hawk_mount_attr a = {MOUNT_ATTR_NOSUID | (device ? 0 : MOUNT_ATTR_NODEV) |
                                (readonly ? MOUNT_ATTR_RDONLY : MOUNT_ATTR_NOEXEC),
                                0, 0, 0};
    if (syscall(__NR_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &a, sizeof a) == 0) return 0;
    return mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | (device ? 0 : MS_NODEV) | (readonly ? MS_RDONLY : MS_NOEXEC),
                 NULL);
}

/* mkdir -p of `path` (absolute, already prefixed with the new root); existing entries are fine. */
static int make_dirs(const char *path) {
    char buf[PATH_MAX];
    if (strlen(path) >= sizeof buf) { errno = ENAMETOOLONG; return -1; }
    strcpy(buf, path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
    return 0;
}

static int join(char *out, size_t size, const char *root, const char *path) {
    if ((size_t)snprintf(out, size, "%s%s", root, path) >= size) { errno = ENAMETOOLONG; return -1; }
    return 0;
}

/* Makes host `path` visible at the same place under `root`, read-only or writable. A symlink (a merged-/usr
 * /bin -> usr/bin) is recreated as the same symlink; a missing optional path is skipped. */
static int bind_path(const char *root, const char *path, int readonly, int optional, int device) {
    char dst[PATH_MAX], parent[PATH_MAX];
    struct stat st;
    if (lstat(path, &st) != 0) return optional ? 0 : fail_path("cannot expose", path);
    if (join(dst, sizeof dst, root, path) != 0) return fail_path("path too long", path);
    strcpy(parent, dst);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) { *slash = '\0'; if (make_dirs(parent) != 0) return fail_path("mkdir", parent); }
    if (S_ISLNK(st.st_mode) && optional) {
        char target[PATH_MAX];
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n < 0) return fail_path("readlink", path);
        target[n] = '\0';
        if (symlink(target, dst) != 0 && errno != EEXIST) return fail_path("symlink", dst);
        return 0;
    }
    if (stat(path, &st) != 0) return optional ? 0 : fail_path("cannot expose", path);
    if (S_ISDIR(st.st_mode)) {
        if (mkdir(dst, 0755) != 0 && errno != EEXIST) return fail_path("mkdir", dst);
    } else if (lstat(dst, &st) != 0) {  /* (an existing one: visible through a parent already bound) */
        int fd = open(dst, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST && errno != EROFS) return fail_path("create", dst);
        if (fd >= 0) close(fd);
    }
    if (mount(path, dst, NULL, MS_BIND | MS_REC, NULL) != 0) return fail_path("bind", path);
    if (restrict_mount(dst, readonly, device) != 0) return fail_path("remount", dst);
    return 0;
}

static int mount_tmpfs(const char *where, const char *mode, unsigned long long size) {
    char opts[96];
    snprintf(opts, sizeof opts, "mode=%s,size=%llu", mode, size);
    if (make_dirs(where) != 0) return fail_path("mkdir", where);
    if (mount("tmpfs", where, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) != 0)
        return fail_path("mount tmpfs on", where);
    return 0;
}

static int by_length(const void *a, const void *b) {
    size_t la = strlen(*(char *const *)a + 1), lb = strlen(*(char *const *)b + 1);
    return la < lb ? -1 : la > lb;
}

/* entries: "r/path" (read-only) or "w/path" (writable), any order; parents are bound before their children. */
static int build_root(const char *root, char **entries, int n, unsigned long long tmp_size, int with_proc) {
    static const char *system_dirs[] = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"};
    static const char *devices[] = {"/dev/null", "/dev/zero", "/dev/urandom", "/dev/random"};
    char p[PATH_MAX];
    int rc;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return fail("make / private");
    if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=4m") != 0)
        return fail_path("mount tmpfs on", root);
    if (join(p, sizeof p, root, "/tmp") || (rc = mount_tmpfs(p, "1777", tmp_size))) return SETUP_FAILED;
    if (join(p, sizeof p, root, "/dev") || (rc = mount_tmpfs(p, "0755", 65536))) return SETUP_FAILED;
    if (join(p, sizeof p, root, "/dev/shm") || (rc = mount_tmpfs(p, "1777", tmp_size))) return SETUP_FAILED;
    for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++)
        if ((rc = bind_path(root, devices[i], 0, 0, 0)) != 0) return rc;
    for (size_t i = 0; i < sizeof system_dirs / sizeof system_dirs[0]; i++)
        if ((rc = bind_path(root, system_dirs[i], 1, 1, 0)) != 0) return rc;
    qsort(entries, (size_t)n, sizeof entries[0], by_length);
    for (int i = 0; i < n; i++)
        if ((rc = bind_path(root, entries[i] + 1, entries[i][0] == 'r', 0, entries[i][0] == 'd')) != 0) return rc;
    if (with_proc) {
        if (join(p, sizeof p, root, "/proc") || make_dirs(p) != 0) return fail("mkdir /proc");
        if (mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) return fail("mount /proc");
    }
    if (chdir(root) != 0) return fail_path("chdir", root);
    if (mkdir(".oldroot", 0700) != 0 && errno != EEXIST) return fail("mkdir .oldroot");
    if (syscall(SYS_pivot_root, ".", ".oldroot") != 0) return fail("pivot_root");
    if (chdir("/") != 0) return fail("chdir /");
    if (umount2("/.oldroot", MNT_DETACH) != 0) return fail("detach the old root");
    if (rmdir("/.oldroot") != 0) return fail("rmdir /.oldroot");
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) != 0)
        return fail("remount / read-only");
    return 0;
}

/* -------------------------------------------------------------------------------------------- probe */
static int in_child(int (*fn)(void)) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(fn() == 0 ? 0 : 1);
    int st = 0;
    return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int try_netns(void) { return unshare(CLONE_NEWNET); }
static int try_pidns(void) { return unshare(CLONE_NEWPID); }
static int try_mountns(void) {
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return -1;
    return mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=4k");
}
static int try_userns(void) { return enter_userns(); }
static int try_userns_all(void) {
    if (enter_userns() != 0 || unshare(CLONE_NEWNET | CLONE_NEWPID) != 0) return -1;
    return try_mountns();
}
static int try_seccomp(void) {
    static char path[] = "/nonexistent";
    if (hawk_install_filter(HAWK_PROFILE_RUN, path) != 0) return -1;
    return getpid() > 0 ? 0 : -1;
}

static int probe(void) {
    int root = geteuid() == 0;
    int netns = in_child(try_netns), pidns = in_child(try_pidns), mountns = in_child(try_mountns);
    int userns = !root && in_child(try_userns);
    int userns_all = userns && in_child(try_userns_all);
    int seccomp = in_child(try_seccomp);
    printf("{\"netns\": %s, \"pidns\": %s, \"mountns\": %s, \"userns\": %s, \"userns_all\": %s, \"seccomp\": %s, "
           "\"root\": %s}\n", netns ? "true" : "false", pidns ? "true" : "false", mountns ? "true" : "false",
           userns ? "true" : "false", userns_all ? "true" : "false", seccomp ? "true" : "false",
           root ? "true" : "false");
    return 0;
}

/* Exit the way a waited-for process ended: its exit code, or death by its signal. */
static int mirror(int st) {
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        struct rlimit none = {0, 0};
        setrlimit(RLIMIT_CORE, &none);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        signal(sig, SIG_DFL);
        raise(sig);
        return 128 + sig;
    }
    return SETUP_FAILED;
}

int main(int argc, char **argv) {
    unsigned long long cpu = 0, as = 0, fsize = 0, nproc = 0, nofile = 0, tmp_size = 64ull << 20;
    long uid = -1, gid = -1;
    int netns = 0, pidns = 0, mountns = 0, with_proc = 0, profile = 0, i = 1, nentries = 0, ncgroups = 0;
    const char *cwd = NULL, *newroot = NULL;
    char *entries[MAX_PATHS];
    const char *cgroups[8];
    if (argc == 2 && strcmp(argv[1], "--probe") == 0) return probe();
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) { i++; break; }
        if (strcmp(a, "--netns") == 0) { netns = 1; continue; }
        if (strcmp(a, "--pidns") == 0) { pidns = 1; continue; }
        if (strcmp(a, "--mountns") == 0) { mountns = 1; continue; }
        if (strcmp(a, "--proc") == 0) { with_proc = 1; continue; }
        if (i + 1 >= argc) { fprintf(stderr, "hawk-sandbox: %s needs a value\n", a); return SETUP_FAILED; }
        const char *v = argv[++i];
        if (strcmp(a, "--cpu") == 0) cpu = strtoull(v, NULL, 10);
        else if (strcmp(a, "--as") == 0) as = strtoull(v, NULL, 10);
        else if (strcmp(a, "--fsize") == 0) fsize = strtoull(v, NULL, 10);
        else if (strcmp(a, "--nproc") == 0) nproc = strtoull(v, NULL, 10);
        else if (strcmp(a, "--nofile") == 0) nofile = strtoull(v, NULL, 10);
        else if (strcmp(a, "--tmpfs-size") == 0) tmp_size = strtoull(v, NULL, 10);
        else if (strcmp(a, "--uid") == 0) uid = strtol(v, NULL, 10);
        else if (strcmp(a, "--gid") == 0) gid = strtol(v, NULL, 10);
        else if (strcmp(a, "--cwd") == 0) cwd = v;
        else if (strcmp(a, "--report-fd") == 0) {
            report_fd = (int)strtol(v, NULL, 10);
            if (fcntl(report_fd, F_SETFD, FD_CLOEXEC) != 0) return fail("--report-fd");
        }
        else if (strcmp(a, "--newroot") == 0) newroot = v;
        else if (strcmp(a, "--seccomp") == 0) {
            if (!(profile = hawk_profile_named(v))) {
                fprintf(stderr, "hawk-sandbox: unknown seccomp profile %s\n", v);
                return SETUP_FAILED;
            }
        } else if (strcmp(a, "--cgroup") == 0) {
            if (ncgroups == 8) { fprintf(stderr, "hawk-sandbox: too many --cgroup\n"); return SETUP_FAILED; }
            cgroups[ncgroups++] = v;
        } else if (strcmp(a, "--ro") == 0 || strcmp(a, "--rw") == 0 || strcmp(a, "--dev") == 0) {
            size_t len = strlen(v);
            if (nentries == MAX_PATHS || v[0] != '/' || len >= PATH_MAX) {
                fprintf(stderr, "hawk-sandbox: bad or too many paths at %s\n", v);
                return SETUP_FAILED;
            }
            char *e = malloc(len + 2);
            if (!e) return fail("malloc");
            if (a[2] == 'd' && strncmp(v, "/dev/", 5) != 0) {  /* only device nodes get a usable bind */
                fprintf(stderr, "hawk-sandbox: --dev %s is not under /dev\n", v);
                return SETUP_FAILED;
            }
            e[0] = a[2] == 'd' ? 'd' : a[3] == 'o' ? 'r' : 'w';
            memcpy(e + 1, v, len + 1);
            while (len > 1 && e[len] == '/') e[len--] = '\0';  /* no trailing slash */
            entries[nentries++] = e;
        } else { fprintf(stderr, "hawk-sandbox: unknown option %s\n", a); return SETUP_FAILED; }
    }
    if (i >= argc) { fprintf(stderr, "hawk-sandbox: no program given\n"); return SETUP_FAILED; }
    if (mountns && !newroot) { fprintf(stderr, "hawk-sandbox: --mountns needs --newroot\n"); return SETUP_FAILED; }
    if (with_proc && !(mountns && pidns)) {
        fprintf(stderr, "hawk-sandbox: --proc needs --mountns and --pidns\n");
        return SETUP_FAILED;
    }

    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return fail("PR_SET_PDEATHSIG");
    /* The cgroups first: every process and thread started from here on is counted and limited. */
    for (int c = 0; c < ncgroups; c++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/cgroup.procs", cgroups[c]);
        if (write_file(path, "0\n") != 0) return fail_path("join cgroup", cgroups[c]);
    }
    int ns_flags = (netns ? CLONE_NEWNET : 0) | (mountns ? CLONE_NEWNS : 0);
    if (geteuid() != 0 && (ns_flags || pidns)) {
        if (uid >= 0) { fprintf(stderr, "hawk-sandbox: --uid needs root\n"); return SETUP_FAILED; }
        if (enter_userns() != 0) return fail("user namespace");
    }
    if (ns_flags && unshare(ns_flags) != 0) return fail(mountns ? "unshare(CLONE_NEWNS|CLONE_NEWNET)" : "unshare(CLONE_NEWNET)");
    if (pidns) {
        if (unshare(CLONE_NEWPID) != 0) return fail("unshare(CLONE_NEWPID)");
        int status_pipe[2];
        if (pipe2(status_pipe, O_CLOEXEC) != 0) return fail("pipe");
        pid_t init = fork();
        if (init < 0) return fail("fork");
        if (init > 0) {  /* the launcher: wait for init, then end like the target did */
            close(status_pipe[1]);
            int st = 0, target_st = 0;
            while (waitpid(init, &st, 0) < 0 && errno == EINTR) {}
            if (read(status_pipe[0], &target_st, sizeof target_st) == (ssize_t)sizeof target_st) st = target_st;
            return mirror(st);
        }
        /* pid 1 of the namespace: start the target, reap everything, report the target's status. */
        close(status_pipe[0]);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) _exit(SETUP_FAILED);
        pid_t target = fork();
        if (target < 0) _exit(SETUP_FAILED);
        if (target > 0) {
            int st = 0;
            for (;;) {
                pid_t w = wait(&st);
                if (w == target) break;
                if (w < 0 && errno != EINTR) _exit(SETUP_FAILED);
            }
            if (write(status_pipe[1], &st, sizeof st) != (ssize_t)sizeof st) _exit(SETUP_FAILED);
            _exit(0);  /* init exits: the kernel kills whatever else lives in the namespace */
        }
        close(status_pipe[1]);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return fail("PR_SET_PDEATHSIG");
    }
    if (mountns) {
        int rc = build_root(newroot, entries, nentries, tmp_size, with_proc);
        if (rc != 0) return rc;
    }
    if (gid >= 0) {
        if (setgroups(0, NULL) != 0) return fail("setgroups");
        if (setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0) return fail("setgid");
    }
    if (uid >= 0 && setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0) return fail("setuid");
    if (cpu && set_limit(RLIMIT_CPU, cpu, cpu + 1) != 0) return fail("RLIMIT_CPU");
    if (as && set_limit(RLIMIT_AS, as, as) != 0) return fail("RLIMIT_AS");
    if (fsize && set_limit(RLIMIT_FSIZE, fsize, fsize) != 0) return fail("RLIMIT_FSIZE");
    if (nproc && set_limit(RLIMIT_NPROC, nproc, nproc) != 0) return fail("RLIMIT_NPROC");
    if (nofile && set_limit(RLIMIT_NOFILE, nofile, nofile) != 0) return fail("RLIMIT_NOFILE");
    if (set_limit(RLIMIT_CORE, 0, 0) != 0) return fail("RLIMIT_CORE");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail("PR_SET_NO_NEW_PRIVS");
    if (cwd && chdir(cwd) != 0) return fail_path("chdir", cwd);
    /* Last: from here on only the target's own exec (argv[i] is the pointer the filter allows) and a failure
     * report (write, exit_group) are possible. */
    if (profile && hawk_install_filter(profile, argv[i]) != 0) return fail("seccomp filter");
    execv(argv[i], &argv[i]);
    return fail_path("exec", argv[i]);
}
