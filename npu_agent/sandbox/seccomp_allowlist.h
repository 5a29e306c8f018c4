/* The launcher's seccomp ALLOWLIST: installed by hawk-sandbox-exec right before execv (after no_new_privs), so
 * the filter is in force from the first instruction of the dynamic loader on: nothing the candidate links (a
 * constructor, an .init_array.NNNNN/.ctors.NNNNN section, an IFUNC resolver, an override of prctl or getenv)
 * runs before it, and nothing can remove it (filters are inherited and never lifted).
 *
 * A system call that is not listed kills the whole process (SECCOMP_RET_KILL_PROCESS: SIGSYS, which the agent
 * reports as SANDBOX_VIOLATION). A few calls glibc probes and falls back from answer ENOSYS instead (clone3:
 * its flags sit behind a pointer the filter cannot read, so glibc falls back to clone, whose flags it can).
 *
 * Profiles:
 *   run        a twin kernel process: ld.so, glibc, libstdc++, the twin runtime (mapped tensor files, the result
 *              pipe, the record file, a watchdog thread, threads/ucontext per core). Threads only: clone without
 *              CLONE_THREAD is refused; no exec after the launcher's own; no sockets.
 *   reference  a Python process importing numpy: the run set plus what CPython needs to start.
 *   compile    g++ and its children (cc1plus, as, collect2, ld): fork/vfork/clone (no namespace flags), execve,
 *              wait4, pipes, file creation, renames and removals (inside the writable work dir and /tmp only,
 *              which the mount namespace enforces). No sockets, ptrace, mount, unshare/setns, bpf, keyctl,
 *              io_uring, perf_event_open, process_vm_*.
 *
 * execve in run and reference: the filter must let the launcher's own execv through, and it is installed
 * before it. It allows execve only when the path argument is the very pointer the launcher passes (an address on
 * the launcher's stack, gone with the exec); the candidate's process has a new, randomised stack and cannot name
 * that pointer, so any execve it makes is killed. Even an exec that got through would gain nothing: the filter
 * and no_new_privs persist across exec (no setuid binary gains privileges), the process stays in the same
 * read-only mount namespace with no host socket and the same uid, cgroup and limits.
 */
#pragma once
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <termios.h>

#if defined(__x86_64__)
#define HAWK_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define HAWK_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "hawk sandbox: unsupported architecture for seccomp"
#endif

/* DEVICE: the cann backend's builds (cmake, make, msopgen, build.sh) and its launcher on a real NPU (and msprof
 * around it): the compile profile's calls, processes and exec, the id calls make uses, plus any ioctl (the driver's
 * interface on the /dev/davinci* nodes a run binds in with --dev; the sandbox's descriptors are pipes, not ttys). */
enum hawk_profile { HAWK_PROFILE_RUN = 1, HAWK_PROFILE_COMPILE = 2, HAWK_PROFILE_REFERENCE = 3, HAWK_PROFILE_DEVICE = 4 };

/* Harmless in every profile: memory, signals to itself, time, futexes, reads and writes on open descriptors, opens
 * (the mount namespace decides what exists and what is writable), stat, process information of itself. */
static const int hawk_base_calls[] = {
    __NR_read, __NR_write, __NR_readv, __NR_writev, __NR_pread64, __NR_pwrite64, __NR_preadv, __NR_pwritev,
    __NR_preadv2, __NR_pwritev2, __NR_lseek, __NR_close, __NR_close_range, __NR_openat, __NR_newfstatat,
    __NR_fstat, __NR_statx, __NR_faccessat, __NR_faccessat2, __NR_readlinkat, __NR_getcwd, __NR_getdents64,
    __NR_fcntl, __NR_dup, __NR_dup3, __NR_pipe2, __NR_mmap, __NR_munmap, __NR_mprotect, __NR_mremap,
    __NR_madvise, __NR_brk, __NR_msync, __NR_mincore, __NR_rt_sigaction, __NR_rt_sigprocmask,
    __NR_rt_sigreturn, __NR_rt_sigtimedwait, __NR_rt_sigsuspend, __NR_sigaltstack, __NR_kill, __NR_tgkill,
    __NR_tkill, __NR_getpid, __NR_gettid, __NR_getppid, __NR_getuid, __NR_geteuid, __NR_getgid, __NR_getegid,
    __NR_getgroups, __NR_getresuid, __NR_getresgid, __NR_getpgid, __NR_getsid, __NR_clock_gettime,
    __NR_clock_getres, __NR_clock_nanosleep, __NR_nanosleep, __NR_gettimeofday, __NR_futex,
    __NR_set_robust_list, __NR_get_robust_list, __NR_set_tid_address, __NR_rseq, __NR_prlimit64, __NR_getrusage,
    __NR_times, __NR_sysinfo, __NR_uname, __NR_getrandom, __NR_sched_getaffinity, __NR_sched_yield,
    __NR_sched_getparam, __NR_sched_getscheduler, __NR_getcpu, __NR_getpriority, __NR_exit, __NR_exit_group,
    __NR_ppoll, __NR_pselect6, __NR_epoll_create1, __NR_epoll_ctl, __NR_epoll_pwait, __NR_eventfd2,
    __NR_timer_create, __NR_timer_settime, __NR_timer_gettime, __NR_timer_getoverrun, __NR_timer_delete,
    __NR_setitimer, __NR_getitimer, __NR_ftruncate, __NR_fallocate, __NR_fsync, __NR_fdatasync,
    __NR_fadvise64, __NR_flock, __NR_membarrier, __NR_umask, __NR_fstatfs, __NR_statfs, __NR_prctl,
    __NR_seccomp, __NR_sched_setaffinity, __NR_getxattr, __NR_lgetxattr, __NR_fgetxattr, __NR_copy_file_range,
    __NR_sendfile, __NR_splice, __NR_tee,
#ifdef __NR_arch_prctl
    __NR_arch_prctl,
#endif
#ifdef __NR_open
    __NR_open, __NR_stat, __NR_lstat, __NR_access, __NR_readlink, __NR_getdents, __NR_dup2, __NR_pipe,
    __NR_poll, __NR_select, __NR_epoll_wait, __NR_alarm, __NR_time, __NR_getpgrp, __NR_pause,
#endif
};

/* Python (CPython's start-up and numpy's import) on top of the base set. */
static const int hawk_reference_calls[] = {
    __NR_chdir, __NR_fchdir, __NR_memfd_create, __NR_fchmod, __NR_utimensat, __NR_mbind, __NR_get_mempolicy,
    __NR_set_mempolicy,
};

/* g++ and its children on top of the base set. clone is handled separately (no namespace flags). */
static const int hawk_compile_calls[] = {
    __NR_execve, __NR_execveat, __NR_wait4, __NR_waitid, __NR_unlinkat, __NR_renameat, __NR_renameat2,
    __NR_mkdirat, __NR_fchmodat, __NR_fchmod, __NR_utimensat, __NR_chdir, __NR_fchdir, __NR_setpgid,
    __NR_symlinkat, __NR_linkat, __NR_memfd_create, __NR_truncate,
#ifdef __NR_fork
    __NR_fork, __NR_vfork, __NR_unlink, __NR_rename, __NR_mkdir, __NR_rmdir, __NR_chmod, __NR_symlink,
    __NR_link, __NR_creat, __NR_utimes,
#endif
};

/* CANN's build tools (GNU make switches between its real and effective ids) on top of the compile set, DEVICE
 * only. After the launcher's uid drop and with no_new_privs these can only swap among the ids it already has. */
static const int hawk_device_calls[] = {
    __NR_setresuid, __NR_setresgid, __NR_setreuid, __NR_setregid, __NR_setuid, __NR_setgid,
};

/* Answered ENOSYS so glibc falls back (or gives up quietly) instead of the process dying. */
static const int hawk_enosys_calls[] = {
    __NR_clone3, __NR_openat2, __NR_pidfd_open,
};

#define HAWK_NS_FLAGS (CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | \
                       CLONE_NEWCGROUP | 0x00000080 /* CLONE_NEWTIME */)

struct hawk_bpf { struct sock_filter f[400]; unsigned n; };

static void hawk_emit(struct hawk_bpf *b, struct sock_filter s) { if (b->n < 400) b->f[b->n] = s; b->n++; }
#define HAWK_STMT(c, k) hawk_emit(b, (struct sock_filter)BPF_STMT((c), (k)))
#define HAWK_JUMP(c, k, t, f) hawk_emit(b, (struct sock_filter)BPF_JUMP((c), (k), (t), (f)))
#define HAWK_LD_NR() HAWK_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
/* Low and high 32-bit words of argument n (little-endian). */
#define HAWK_LD_ARG_LO(n) HAWK_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[n]))
#define HAWK_LD_ARG_HI(n) HAWK_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[n]) + 4)

static void hawk_allow_list(struct hawk_bpf *b, const int *calls, size_t n) {
    for (size_t i = 0; i < n; i++) {
        HAWK_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)calls[i], 0, 1);
        HAWK_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    }
}

/* Kernel runs: the twin hands kernels GM addresses in a window it maps PROT_NONE (runtime/internal.h,
 * kGmWindowBase = 0x2000'0000'0000, 1 TiB) and charges or refuses every raw access there. A kernel must not
 * open that window for writing or move it: mprotect/pkey_mprotect with PROT_WRITE or PROT_EXEC, and mremap, of
 * an address whose upper word is in [0x1000, 0x2100) (16 TiB up to the window's end) or of a length of 16 TiB or
 * more, fail with EPERM. Ordinary heap, stack and library addresses (upper words 0x55.., 0x7f..) are unaffected. */
#define HAWK_WINDOW_HI_LOW 0x1000u
#define HAWK_WINDOW_HI_END 0x2100u
static void hawk_guard_gm_window(struct hawk_bpf *b) {
    const int prot_calls[] = {__NR_mprotect, __NR_pkey_mprotect};
    for (size_t i = 0; i < 2; i++) {
        HAWK_LD_NR();
        HAWK_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)prot_calls[i], 0, 8);
        HAWK_LD_ARG_LO(2);
        HAWK_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_WRITE | PROT_EXEC, 0, 6);
        HAWK_LD_ARG_HI(0);
        HAWK_JUMP(BPF_JMP | BPF_JGE | BPF_K, HAWK_WINDOW_HI_END, 1, 0);
        HAWK_JUMP(BPF_JMP | BPF_JGE | BPF_K, HAWK_WINDOW_HI_LOW, 2, 0);
        HAWK_LD_ARG_HI(1);
        HAWK_JUMP(BPF_JMP | BPF_JGE | BPF_K, HAWK_WINDOW_HI_LOW, 0, 1);
        HAWK_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
    }
    HAWK_LD_NR();
    HAWK_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mremap, 0, 6);
    HAWK_LD_ARG_HI(0);
    HAWK_JUMP(BPF_JMP | BPF_JGE | BPF_K, HAWK_WINDOW_HI_END, 1, 0);
    HAWK_JUMP(BPF_JMP | BPF_JGE | BPF_K, HAWK_WINDOW_HI_LOW, 2, 0);
    HAWK_LD_ARG_HI(1);
    HAWK_JUMP(BPF_JMP | BPF_JGE | BPF_K, HAWK_WINDOW_HI_LOW, 0, 1);
    HAWK_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
    HAWK_LD_NR();
}

/* Builds the filter for `profile`; `exec_path` is the pointer the launcher's execv will pass (run, reference).
 * Returns 0, or -1 when the program does not fit. */
static int hawk_build_filter(struct hawk_bpf *b, int profile, const char *exec_path) {
    b->n = 0;
    HAWK_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    HAWK_JUMP(BPF_JMP | BPF_JEQ | BPF_K, HAWK_AUDIT_ARCH, 1, 0);
    HAWK_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    HAWK_LD_NR();
#if defined(__x86_64__)
    /* x32 ABI numbers (bit 30) would otherwise be matched by the rules below. */
    HAWK_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1);
    HAWK_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
#endif
    if (profile == HAWK_PROFILE_RUN) hawk_guard_gm_window(b);
    hawk_allow_list(b, hawk_base_calls, sizeof hawk_base_calls / sizeof hawk_base_calls[0]);
    if (profile == HAWK_PROFILE_COMPILE || profile == HAWK_PROFILE_DEVICE)
        hawk_allow_list(b, hawk_compile_calls, sizeof hawk_compile_calls / sizeof hawk_compile_calls[0]);
    if (profile == HAWK_PROFILE_DEVICE)
        hawk_allow_list(b, hawk_device_calls, sizeof hawk_device_calls / sizeof hawk_device_calls[0]);
    if (profile == HAWK_PROFILE_REFERENCE)
        hawk_allow_list(b, hawk_reference_calls, sizeof hawk_reference_calls / sizeof hawk_reference_calls[0]);
    for (size_t i = 0; i < sizeof hawk_enosys_calls / sizeof hawk_enosys_calls[0]; i++) {
        HAWK_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)hawk_enosys_calls[i], 0, 1);
        HAWK_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
    }
    /* ioctl: terminal queries only (isatty); anything else is "not a terminal", never TIOCSTI and friends. */
    if (profile == HAWK_PROFILE_DEVICE) {
        HAWK_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 1);
        HAWK_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    }
    HAWK_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 5);
    HAWK_LD_ARG_LO(1);
    HAWK_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TCGETS, 2, 0);
    HAWK_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCGWINSZ, 1, 0);
    HAWK_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOTTY);
    HAWK_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    HAWK_LD_NR();
    /* clone: threads only in run and reference; no namespace flags anywhere. */
    HAWK_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 5);
    HAWK_LD_ARG_LO(0);
    HAWK_JUMP(BPF_JMP | BPF_JSET | BPF_K, HAWK_NS_FLAGS, 2, 0);
    if (profile == HAWK_PROFILE_COMPILE || profile == HAWK_PROFILE_DEVICE) HAWK_STMT(BPF_JMP | BPF_JA, 0);  /* any process or thread */
    else HAWK_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 0, 1);
    HAWK_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    HAWK_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    HAWK_LD_NR();
    if (profile != HAWK_PROFILE_COMPILE && profile != HAWK_PROFILE_DEVICE) {
        /* execve: only the launcher's own (see the comment at the top). */
        uint64_t p = (uint64_t)(uintptr_t)exec_path;
        HAWK_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 0, 6);
        HAWK_LD_ARG_LO(0);
        HAWK_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)p, 0, 2);
        HAWK_LD_ARG_HI(0);
        HAWK_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(p >> 32), 1, 0);
        HAWK_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
        HAWK_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    }
    HAWK_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    return b->n <= 400 ? 0 : -1;
}

static int hawk_install_filter(int profile, const char *exec_path) {
    static struct hawk_bpf b;
    if (hawk_build_filter(&b, profile, exec_path) != 0) { errno = E2BIG; return -1; }
    struct sock_fprog prog = {(unsigned short)b.n, b.f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    return (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

static int hawk_profile_named(const char *name) {
    if (strcmp(name, "run") == 0) return HAWK_PROFILE_RUN;
    if (strcmp(name, "compile") == 0) return HAWK_PROFILE_COMPILE;
    if (strcmp(name, "reference") == 0) return HAWK_PROFILE_REFERENCE;
    if (strcmp(name, "device") == 0) return HAWK_PROFILE_DEVICE;
    return 0;
}
