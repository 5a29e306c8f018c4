// hawk_seccomp_lockdown(): the last step before a sandboxed kernel process runs candidate code.
//
// The twin runtime maps its input and output tensors and opens its result pipe first, then calls this.
// From then on the process is killed (SIGSYS, reported as SANDBOX_VIOLATION) when it tries to create a
// process, open a socket, exec, open any file for writing, or change the file system. Threads stay
// allowed (clone with CLONE_THREAD). A kernel on a real NPU has none of these facilities either.
#pragma once
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define HAWK_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define HAWK_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "hawk sandbox: unsupported architecture for seccomp"
#endif

namespace hawk_sandbox {

#define HAWK_LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define HAWK_LD_ARG(n) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[n]))
#define HAWK_KILL_IF(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)
#define HAWK_ERRNO_IF(nr, e) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (e))

// Returns 0 on success, -1 (errno set) when the filter could not be installed.
inline int lockdown() {
    const unsigned self = static_cast<unsigned>(getpid());
    constexpr unsigned kWriteFlags = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, HAWK_AUDIT_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        HAWK_LD_NR,
#if defined(__x86_64__)
        // x32 ABI numbers (bit 30) would otherwise slip past every rule below.
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
#endif
        // Signals only to this process (abort() and raise() use tgkill(getpid(), ...)).
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_tgkill, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_kill, 0, 4),
        HAWK_LD_ARG(0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, self, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        // openat(dirfd, path, flags): arg 2 holds the flags.
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 4),
        HAWK_LD_ARG(2),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kWriteFlags, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
#ifdef __NR_open
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_open, 0, 4),
        HAWK_LD_ARG(1),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kWriteFlags, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
#endif
        // clone(flags, ...): threads only.
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 4),
        HAWK_LD_ARG(0),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        // clone3 hides its flags behind a pointer: answer ENOSYS so libc falls back to clone.
#ifdef __NR_clone3
        HAWK_ERRNO_IF(__NR_clone3, ENOSYS),
#endif
        HAWK_ERRNO_IF(__NR_openat2, ENOSYS),
#ifdef __NR_fork
        HAWK_KILL_IF(__NR_fork),
#endif
#ifdef __NR_vfork
        HAWK_KILL_IF(__NR_vfork),
#endif
        HAWK_KILL_IF(__NR_execve),
        HAWK_KILL_IF(__NR_execveat),
        HAWK_KILL_IF(__NR_socket),
        HAWK_KILL_IF(__NR_socketpair),
        HAWK_KILL_IF(__NR_connect),
        HAWK_KILL_IF(__NR_bind),
        HAWK_KILL_IF(__NR_ptrace),
        HAWK_KILL_IF(__NR_tkill),
        HAWK_KILL_IF(__NR_pidfd_open),
        HAWK_KILL_IF(__NR_pidfd_send_signal),
        HAWK_KILL_IF(__NR_process_vm_readv),
        HAWK_KILL_IF(__NR_process_vm_writev),
        HAWK_KILL_IF(__NR_io_uring_setup),   // io_uring performs opens and socket calls seccomp never sees
        HAWK_KILL_IF(__NR_io_uring_enter),
        HAWK_KILL_IF(__NR_io_uring_register),
        HAWK_KILL_IF(__NR_unshare),
        HAWK_KILL_IF(__NR_setns),
        HAWK_KILL_IF(__NR_fchmodat),
        HAWK_KILL_IF(__NR_fchownat),
        HAWK_KILL_IF(__NR_fchmod),
        HAWK_KILL_IF(__NR_fchown),
        HAWK_KILL_IF(__NR_utimensat),
        HAWK_KILL_IF(__NR_mknodat),
        HAWK_KILL_IF(__NR_setxattr),
        HAWK_KILL_IF(__NR_fsetxattr),
        HAWK_KILL_IF(__NR_chroot),
#ifdef __NR_rmdir
        HAWK_KILL_IF(__NR_rmdir),
#endif
#ifdef __NR_chmod
        HAWK_KILL_IF(__NR_chmod),
#endif
#ifdef __NR_chown
        HAWK_KILL_IF(__NR_chown),
#endif
#ifdef __NR_creat
        HAWK_KILL_IF(__NR_creat),
#endif
#ifdef __NR_unlink
        HAWK_KILL_IF(__NR_unlink),
#endif
        HAWK_KILL_IF(__NR_unlinkat),
#ifdef __NR_rename
        HAWK_KILL_IF(__NR_rename),
#endif
        HAWK_KILL_IF(__NR_renameat),
#ifdef __NR_renameat2
        HAWK_KILL_IF(__NR_renameat2),
#endif
#ifdef __NR_mkdir
        HAWK_KILL_IF(__NR_mkdir),
#endif
        HAWK_KILL_IF(__NR_mkdirat),
#ifdef __NR_symlink
        HAWK_KILL_IF(__NR_symlink),
#endif
        HAWK_KILL_IF(__NR_symlinkat),
#ifdef __NR_link
        HAWK_KILL_IF(__NR_link),
#endif
        HAWK_KILL_IF(__NR_linkat),
        HAWK_KILL_IF(__NR_truncate),
        HAWK_KILL_IF(__NR_mount),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

#undef HAWK_LD_NR
#undef HAWK_LD_ARG
#undef HAWK_KILL_IF
#undef HAWK_ERRNO_IF

}  // namespace hawk_sandbox
