/* hawk-sandbox-exec: the first process of every sandboxed compile or kernel run.
 *
 * Python's preexec_fn is unsafe in the threaded agent, so isolation steps that must happen between fork and
 * exec live in this small C program, built once per agent with the host compiler:
 *   new network namespace (when the host allows it), drop to an unprivileged uid when started as root,
 *   resource limits (CPU time, address space, file size, process count, open files, no core dumps),
 *   no_new_privs, death with the agent (PDEATHSIG), then exec of the target.
 * With --pidns the target runs as pid 2 under a tiny init (pid 1) in a new PID namespace: when the sandbox
 * ends, the kernel kills every process of the namespace, even one that left the process group with setsid().
 * The launcher waits for the target and exits the way it did (same exit code, or raises the same signal).
 * Usage: hawk-sandbox-exec [--cpu S] [--as BYTES] [--fsize BYTES] [--nproc N] [--nofile N] [--netns] [--pidns]
 *                          [--uid U --gid G] [--cwd DIR] -- PROGRAM ARGS...
 *        hawk-sandbox-exec --probe        prints what this host allows, as JSON
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char *what) {
    fprintf(stderr, "hawk-sandbox: %s: %s\n", what, strerror(errno));
    return 125;
}

static int set_limit(int resource, unsigned long long soft, unsigned long long hard) {
    struct rlimit rl = {(rlim_t)soft, (rlim_t)hard};
    return setrlimit(resource, &rl);
}

static int try_unshare(int flags) {
    pid_t pid = fork();
    if (pid == 0) _exit(unshare(flags) == 0 ? 0 : 1);
    int st = 0;
    return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int probe(void) {
    int netns = try_unshare(CLONE_NEWNET), pidns = try_unshare(CLONE_NEWPID);
    int userns = !netns && try_unshare(CLONE_NEWUSER | CLONE_NEWNET);
    int userns_pidns = !pidns && try_unshare(CLONE_NEWUSER | CLONE_NEWPID);
    printf("{\"netns\": %s, \"userns_netns\": %s, \"pidns\": %s, \"userns_pidns\": %s, \"root\": %s}\n",
           netns ? "true" : "false", userns ? "true" : "false", pidns ? "true" : "false",
           userns_pidns ? "true" : "false", geteuid() == 0 ? "true" : "false");
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
    return 125;
}

int main(int argc, char **argv) {
    unsigned long long cpu = 0, as = 0, fsize = 0, nproc = 0, nofile = 0;
    long uid = -1, gid = -1;
    int netns = 0, pidns = 0, userns = 0, i = 1;
    const char *cwd = NULL;
    if (argc == 2 && strcmp(argv[1], "--probe") == 0) return probe();
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) { i++; break; }
        if (i + 1 >= argc && strcmp(a, "--netns") != 0 && strcmp(a, "--pidns") != 0) { fprintf(stderr, "hawk-sandbox: %s needs a value\n", a); return 125; }
        if (strcmp(a, "--cpu") == 0) cpu = strtoull(argv[++i], NULL, 10);
        else if (strcmp(a, "--as") == 0) as = strtoull(argv[++i], NULL, 10);
        else if (strcmp(a, "--fsize") == 0) fsize = strtoull(argv[++i], NULL, 10);
        else if (strcmp(a, "--nproc") == 0) nproc = strtoull(argv[++i], NULL, 10);
        else if (strcmp(a, "--nofile") == 0) nofile = strtoull(argv[++i], NULL, 10);
        else if (strcmp(a, "--uid") == 0) uid = strtol(argv[++i], NULL, 10);
        else if (strcmp(a, "--gid") == 0) gid = strtol(argv[++i], NULL, 10);
        else if (strcmp(a, "--cwd") == 0) cwd = argv[++i];
        else if (strcmp(a, "--netns") == 0) netns = 1;
        else if (strcmp(a, "--pidns") == 0) pidns = 1;
        else { fprintf(stderr, "hawk-sandbox: unknown option %s\n", a); return 125; }
    }
    if (i >= argc) { fprintf(stderr, "hawk-sandbox: no program given\n"); return 125; }

    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return fail("PR_SET_PDEATHSIG");
    if (netns && unshare(CLONE_NEWNET) != 0) {
        /* Unprivileged hosts may still allow a user namespace that owns a new network namespace. */
        if (uid >= 0 || unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) return fail("unshare(CLONE_NEWNET)");
        userns = 1;
    }
    if (pidns) {
        if (unshare(CLONE_NEWPID) != 0 && (uid >= 0 || userns || unshare(CLONE_NEWUSER | CLONE_NEWPID) != 0))
            return fail("unshare(CLONE_NEWPID)");
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
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) _exit(125);
        pid_t target = fork();
        if (target < 0) _exit(125);
        if (target > 0) {
            int st = 0;
            for (;;) {
                pid_t w = wait(&st);
                if (w == target) break;
                if (w < 0 && errno != EINTR) _exit(125);
            }
            if (write(status_pipe[1], &st, sizeof st) != (ssize_t)sizeof st) _exit(125);
            _exit(0);  /* init exits: the kernel kills whatever else lives in the namespace */
        }
        close(status_pipe[1]);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return fail("PR_SET_PDEATHSIG");
    }
    if (gid >= 0) {
        if (setgroups(0, NULL) != 0) return fail("setgroups");
        if (setgid((gid_t)gid) != 0) return fail("setgid");
    }
    if (uid >= 0 && setuid((uid_t)uid) != 0) return fail("setuid");
    if (cpu && set_limit(RLIMIT_CPU, cpu, cpu + 1) != 0) return fail("RLIMIT_CPU");
    if (as && set_limit(RLIMIT_AS, as, as) != 0) return fail("RLIMIT_AS");
    if (fsize && set_limit(RLIMIT_FSIZE, fsize, fsize) != 0) return fail("RLIMIT_FSIZE");
    if (nproc && set_limit(RLIMIT_NPROC, nproc, nproc) != 0) return fail("RLIMIT_NPROC");
    if (nofile && set_limit(RLIMIT_NOFILE, nofile, nofile) != 0) return fail("RLIMIT_NOFILE");
    if (set_limit(RLIMIT_CORE, 0, 0) != 0) return fail("RLIMIT_CORE");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail("PR_SET_NO_NEW_PRIVS");
    if (cwd && chdir(cwd) != 0) return fail("chdir");
    execv(argv[i], &argv[i]);
    return fail("exec");
}
