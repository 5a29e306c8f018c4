"""Sandboxed execution of untrusted compiles, kernel runs and task references.

Every candidate compile and run goes through :meth:`Sandbox.run`. The isolation does not depend on the candidate's
cooperation: it is all set up by the launcher (``launcher.c``) before the target program starts.

- A seccomp ALLOWLIST per profile (``run``, ``compile``, ``reference``; ``seccomp_allowlist.h``), installed right
  before exec: nothing linked into the candidate runs before it, and nothing can remove it.
- A private mount namespace: a new root of read-only binds (system dirs, the paths a caller exposes), a minimal
  /dev, private size-capped /tmp and /dev/shm, and only the sandbox's own work dir writable; no /proc. Other
  evaluations' work dirs, the compile cache, the task store and token files do not exist inside.
- A uid of its own per work dir (so per device slot and per compile worker, and finer: two sandboxes that run at
  once never share one) when the agent is root; work dirs 0700 owned by it under a 0711 (unlistable) root.
- A pids and a memory cgroup per run (``cgroups.py``) instead of per-uid limits.
- New network and PID namespaces (no host socket, abstract or path, is reachable; no process outlives the run).
- Resource limits, a scrubbed environment, its own process group, and a hard kill at the deadline.

The process reports its result over a dedicated pipe (fd number in ``HAWK_RESULT_FD``), never through stdout, so
printing a fake result achieves nothing. A failure to set the sandbox up comes back as
``SandboxResult.setup_failed`` (reported on a close-on-exec pipe the target can never write): INTERNAL, never the
candidate's fault. ``Sandbox.capabilities`` says which of these guarantees this host gives.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import selectors
import shutil
import signal
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from npu_agent.sandbox.cgroups import CgroupManager, SandboxCgroup

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
LAUNCHER_SOURCE = HERE / "launcher.c"
ALLOWLIST_HEADER = HERE / "seccomp_allowlist.h"
SECCOMP_HEADER = HERE / "seccomp_lockdown.h"  # the twin runtime's own late lockdown: an extra layer only
RESULT_FD_ENV = "HAWK_RESULT_FD"
NOBODY = 65534
UID_BASE = 200_000    # default first sandbox uid (--sandbox-uid-base); a range no login user has
UID_COUNT = 4096      # uids in the range: the most sandboxes that can run at once
PROFILES = ("run", "compile", "reference", "device")  # device: the cann backend on a real NPU
SETUP_FAILED = 125    # the launcher's exit status when it could not set the sandbox up
TMPFS_BYTES = 64 << 20  # each of the private /tmp and /dev/shm
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
_OUTPUT_CAP = 256 * 1024  # bytes of stdout/stderr kept per stream (the tail)
_RESULT_CAP = 64 * 1024 * 1024
_EXIT_GRACE_S = 0.5  # how long output is still read after the program exited while its children hold pipes
_OUT_OF_MEMORY = (b"std::bad_alloc", b"out of memory", b"Cannot allocate memory")
_PASS_ENV = ("PATH", "LANG", "LC_ALL", "TZ")


class SandboxError(RuntimeError):
    """The sandbox itself could not be set up (not the candidate's fault)."""


@dataclass(frozen=True)
class Limits:
    """Per-process resource limits. Zero disables a limit."""

    cpu_seconds: int = 60
    address_space_bytes: int = 4 << 30
    file_size_bytes: int = 512 << 20
    processes: int = 64          # tasks (processes and threads) of the whole sandbox: its pids cgroup
    open_files: int = 256
    memory_bytes: int = 0        # resident memory of the whole sandbox (memory cgroup); 0: address_space_bytes


@dataclass
class SandboxResult:
    returncode: int | None          # exit status when the process exited normally
    signal: int | None              # the signal that killed it, if any
    timed_out: bool                 # killed by us at the deadline
    cancelled: bool                 # killed by us because the caller cancelled
    wall_seconds: float
    stdout: bytes = b""             # tail only
    stderr: bytes = b""             # tail only
    result: bytes = b""             # everything written to the result pipe
    limits: Limits = field(default_factory=Limits)
    setup_failed: str | None = None  # the sandbox itself failed to start: the caller reports INTERNAL
    oom_killed: bool = False         # the sandbox's memory cgroup killed a process
    memory_limit_bytes: int = 0

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.cancelled and not self.setup_failed

    def result_json(self) -> dict | None:
        """The result-pipe payload decoded as JSON, or None when absent or malformed."""
        if not self.result:
            return None
        try:
            value = json.loads(self.result.decode("utf-8", errors="replace"))
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def violation(self) -> str | None:
        """A human reason when the process was stopped by a sandbox rule or a resource limit."""
        if self.setup_failed:
            return None
        if self.oom_killed:
            return (f"memory limit of {self.memory_limit_bytes} bytes exceeded (killed by the sandbox's memory "
                    f"cgroup)")
        if self.signal == signal.SIGSYS:
            return "forbidden system call (not in the sandbox's seccomp allowlist: process creation, network, exec...)"
        if self.signal == signal.SIGXCPU:
            return f"CPU time limit of {self.limits.cpu_seconds} s exceeded"
        if self.signal == signal.SIGXFSZ:
            return f"file size limit of {self.limits.file_size_bytes} bytes exceeded"
        if self.signal == signal.SIGABRT and self.limits.address_space_bytes and any(
                m in self.stderr for m in _OUT_OF_MEMORY):
            # RLIMIT_AS makes allocation fail; C++ then aborts with std::bad_alloc. (A process that prints
            # this itself and aborts only earns itself a violation.)
            return f"memory limit of {self.limits.address_space_bytes} bytes (address space) exhausted"
        return None

    def log_tail(self, limit: int = 4096) -> str:
        text = (self.stdout + (b"\n" if self.stdout and self.stderr else b"") + self.stderr)
        return text[-limit:].decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Capabilities:
    """Which isolation guarantees this host gives the sandbox (the agent's start-up report)."""

    network_namespace: bool
    drops_privileges: bool               # a uid of its own per sandbox (needs root)
    pid_namespace: bool = False          # every process of a run dies with it, even one that called setsid()
    mount_namespace: bool = False        # private root: read-only system, private /tmp, own work dir only
    seccomp_allowlist: bool = False      # the launcher's allowlist filter before exec
    cgroup_pids: bool = False            # a task limit per sandbox, not per uid
    cgroup_memory: bool = False          # a resident-memory limit per sandbox
    user_namespace: bool = False         # namespaces owned by a user namespace (an unprivileged agent)

    def report(self) -> dict[str, bool]:
        """Guarantee name -> whether it holds, in the order of docs/security.md."""
        return {"seccomp-allowlist": self.seccomp_allowlist, "mount-namespace": self.mount_namespace,
                "per-sandbox-uid": self.drops_privileges, "cgroup-pids": self.cgroup_pids,
                "cgroup-memory": self.cgroup_memory, "network-namespace": self.network_namespace,
                "pid-namespace": self.pid_namespace}

    def missing(self) -> list[str]:
        return [name for name, held in self.report().items() if not held]

    def summary(self) -> str:
        report = self.report()
        held = ", ".join(n for n, ok in report.items() if ok) or "none"
        missing = ", ".join(self.missing()) or "none"
        via = " (namespaces in a user namespace: the agent is not root)" if self.user_namespace else ""
        return f"sandbox isolation: holds {held}; missing {missing}{via}"


def _tasks_of_uid(uid: int) -> int:
    """Threads currently owned by `uid` (real uid), what RLIMIT_NPROC compares against."""
    total = 0
    for d in os.scandir("/proc"):
        if not d.name.isdigit():
            continue
        try:
            with open(f"/proc/{d.name}/status", "rb") as f:
                status = f.read()
        except OSError:
            continue
        uid_line = status.partition(b"\nUid:")[2].split(None, 1)
        if uid_line and uid_line[0] == str(uid).encode():
            threads = status.partition(b"\nThreads:")[2].split(None, 1)
            total += int(threads[0]) if threads and threads[0].isdigit() else 1
    return total


def _check_traversable(root: Path) -> None:
    """Without a mount namespace the sandbox uids must walk down to their work dirs themselves; fail early and
    clearly if an ancestor (e.g. a 0700 temp dir) blocks them, instead of every candidate failing at chdir."""
    for d in [*reversed(root.parents), root]:
        st = d.stat()
        if not (st.st_mode & stat.S_IXOTH):
            raise SandboxError(f"sandbox root {root} is unreachable for the sandbox users: {d} is not "
                               f"world-traversable (mode {stat.filemode(st.st_mode)}); put the work dir "
                               f"elsewhere or chmod o+x {d}")


class _UidPool:
    """Leases distinct uids from [base, base + count): one per live work dir. Agents on the same host share the
    range safely: a leased uid is also held by an flock on a per-uid file in LOCK_DIR (root only)."""

    LOCK_DIR = Path("/run/hawk-sandbox-uids")

    def __init__(self, base: int, count: int) -> None:
        self.base, self.count = base, count
        self._free = list(range(base + count - 1, base - 1, -1))
        self._held: dict[int, int] = {}  # uid -> fd of its lock file
        self._lock = threading.Lock()
        self._locks: Path | None = None
        if os.geteuid() == 0:
            with contextlib.suppress(OSError):
                self.LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
                self._locks = self.LOCK_DIR

    def _claim(self, uid: int) -> bool:
        if self._locks is None:
            return True
        try:
            fd = os.open(self._locks / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            return True  # no lock files: this process's own bookkeeping still holds
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False  # another agent on this host runs a sandbox as this uid
        self._held[uid] = fd
        return True

    def lease(self) -> int:
        with self._lock:
            busy = []
            try:
                while self._free:
                    uid = self._free.pop()
                    if self._claim(uid):
                        return uid
                    busy.append(uid)
            finally:
                self._free.extend(reversed(busy))
            raise SandboxError(f"all {self.count} sandbox uids from {self.base} are in use")

    def release(self, uid: int) -> None:
        with self._lock:
            fd = self._held.pop(uid, None)
            if fd is not None:
                os.close(fd)
            if self.base <= uid < self.base + self.count and uid not in self._free:
                self._free.append(uid)


class Sandbox:
    """Runs programs under isolation. One per agent; thread-safe."""

    def __init__(self, root: Path, *, isolate_network: bool = True, compiler: str | None = None,
                 observer: Callable[[SandboxResult], None] | None = None, uid_base: int | None = None,
                 tmpfs_bytes: int = TMPFS_BYTES) -> None:
        self.root = Path(root)
        self.observer = observer  # sees every SandboxResult (the agent counts kills in its metrics)
        self.tmpfs_bytes = tmpfs_bytes
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "work").mkdir(exist_ok=True)
        self._mnt = self.root / "mnt"  # mount point of each sandbox's new root (in its own mount namespace)
        self._mnt.mkdir(exist_ok=True)
        is_root = os.geteuid() == 0
        if is_root:
            # Sandbox uids may traverse into their own work dir, not list the others.
            for d in (self.root, self.root / "work"):
                d.chmod(0o711)
            self._mnt.chmod(0o700)
        self._counter = 0
        self._lock = threading.Lock()
        self._readonly: list[Path] = []
        self._owners: dict[Path, int] = {}  # work dir -> its uid
        base = uid_base if uid_base is not None else int(os.environ.get("HAWK_SANDBOX_UID_BASE", UID_BASE))
        if base < 1000 or base + UID_COUNT > 2**32 - 2:
            raise SandboxError(f"sandbox uid base {base} is out of range (1000 .. {2**32 - 2 - UID_COUNT})")
        self._uids = _UidPool(base, UID_COUNT)
        self.launcher = self._build_launcher(compiler or os.environ.get("CC", "gcc"))
        try:
            probe = json.loads(subprocess.run([str(self.launcher), "--probe"], capture_output=True, text=True,
                                              check=True, timeout=30).stdout)
        except (OSError, subprocess.SubprocessError, ValueError) as e:
            raise SandboxError(f"the sandbox launcher does not run: {e}") from e
        userns = not is_root and bool(probe.get("userns_all"))
        net = bool(probe["netns"]) if is_root else userns
        pid = bool(probe["pidns"]) if is_root else userns
        mnt = bool(probe["mountns"]) if is_root else userns
        self.cgroups = CgroupManager()
        self.capabilities = Capabilities(
            network_namespace=net and isolate_network, drops_privileges=is_root, pid_namespace=pid,
            mount_namespace=mnt, seccomp_allowlist=bool(probe.get("seccomp")), cgroup_pids=self.cgroups.pids,
            cgroup_memory=self.cgroups.memory, user_namespace=userns)
        if is_root and not mnt:
            _check_traversable(self.root.resolve())
        for name in self.capabilities.missing():
            log.warning("sandbox: guarantee missing on this host: %s", name)

    # ------------------------------------------------------------------------------------------ setup
    def _build_launcher(self, compiler: str) -> Path:
        digest = hashlib.sha256(LAUNCHER_SOURCE.read_bytes() + ALLOWLIST_HEADER.read_bytes()).hexdigest()[:16]
        out = self.root / "bin" / f"hawk-sandbox-exec-{digest}"
        if out.exists():
            return out
        out.parent.mkdir(parents=True, exist_ok=True)
        cc = shutil.which(compiler) or shutil.which("cc") or shutil.which("gcc")
        if cc is None:
            raise SandboxError("no C compiler found to build the sandbox launcher (install gcc or set CC)")
        tmp = out.with_suffix(f".tmp{os.getpid()}.{threading.get_ident()}")
        proc = subprocess.run([cc, "-O2", "-I", str(HERE), "-x", "c", str(LAUNCHER_SOURCE), "-o", str(tmp)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise SandboxError(f"building the sandbox launcher failed:\n{proc.stderr}")
        os.replace(tmp, out)
        out.chmod(0o755)
        return out

    def expose_readonly(self, path: Path) -> None:
        """Make `path` visible (read-only) inside every sandbox of this agent, e.g. the twin's headers and runtime."""
        p = Path(path).resolve()
        with self._lock:
            if p not in self._readonly:
                self._readonly.append(p)

    def make_workdir(self, prefix: str, slot: int | None = None) -> Path:
        """A fresh private directory (0700) that only the sandboxes run in it may write, owned by a uid of its own.
        `slot` (a device slot or compile worker) only names the directory: every live work dir has its own uid."""
        with self._lock:
            self._counter += 1
            n = self._counter
        tag = f"{prefix}-{slot}" if slot is not None else prefix
        d = self.root / "work" / f"{tag}-{os.getpid()}-{n}-{time.monotonic_ns() % 10**9}"
        d.mkdir(parents=True, mode=0o700)
        if self.capabilities.drops_privileges:
            uid = self._uids.lease()
            try:
                os.chown(d, uid, uid)
            except OSError:
                self._uids.release(uid)
                raise
            with self._lock:
                self._owners[d] = uid
        return d

    def _owner_of(self, path: Path) -> int | None:
        path = Path(path)
        with self._lock:
            for d in (path, *path.parents):
                if d in self._owners:
                    return self._owners[d]
        return None

    def share_with_sandbox(self, path: Path) -> None:
        """Make a file the agent created writable by the sandbox of its work dir (e.g. an output tensor file)."""
        uid = self._owner_of(path)
        if uid is not None:
            os.chown(path, uid, uid)

    def remove_workdir(self, path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)
        with self._lock:
            uid = self._owners.pop(Path(path), None)
        if uid is not None:
            self._uids.release(uid)

    # -------------------------------------------------------------------------------------------- run
    def _visible(self, argv: list[str], readonly_paths: Iterable[Path | str]) -> list[str]:
        """The read-only paths of one run: the agent's defaults, the caller's, and the program itself."""
        paths = [*self._readonly, *(Path(p) for p in readonly_paths)]
        prog = Path(argv[0])
        if prog.is_absolute() and not any(prog.is_relative_to(s) for s in SYSTEM_DIRS):
            paths.append(prog)
        out: list[str] = []
        for p in paths:
            s = str(Path(os.path.abspath(p)))
            if s == "/":
                raise ValueError("the whole file system cannot be exposed to a sandbox")
            if s not in out:
                out.append(s)
        return out

    def run(
        self,
        argv: list[str],
        *,
        cwd: Path,
        limits: Limits,
        timeout_s: float,
        env: dict[str, str] | None = None,
        cancel: threading.Event | None = None,
        stdin: bytes | None = None,
        profile: str = "run",
        readonly_paths: Iterable[Path | str] = (),
        slot: int | None = None,
        devices: Iterable[str] = (),
    ) -> SandboxResult:
        """Run argv under isolation until it exits, the deadline passes, or `cancel` is set.

        `profile` selects the seccomp allowlist ("run": a kernel process, "compile": g++ and its children,
        "reference": a Python process running a task's numpy reference). `readonly_paths` are host paths made
        visible read-only (besides the system dirs, the paths given to expose_readonly and argv[0]); `cwd`, the
        work dir, is the only writable host path. `slot` is accepted for the callers' bookkeeping: the uid comes
        with the work dir. `devices`: /dev nodes bound usable into the new root (the NPU's, for the cann
        backend); every other bind is nodev."""
        del slot
        if profile not in PROFILES:
            raise ValueError(f"unknown sandbox profile {profile!r}; expected one of {', '.join(PROFILES)}")
        cwd = Path(cwd)
        caps = self.capabilities
        clean_env = {k: os.environ[k] for k in _PASS_ENV if k in os.environ}
        clean_env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
        clean_env["HOME"] = str(cwd)
        clean_env["TMPDIR"] = str(cwd)
        clean_env.update(env or {})
        cmd = [str(self.launcher), "--cwd", str(cwd)]
        if caps.seccomp_allowlist:
            cmd += ["--seccomp", profile]
        temp_uid = None
        uid = None
        if caps.drops_privileges:
            uid = self._owner_of(cwd)
            if uid is None:  # a cwd not made by make_workdir: a uid for this run only
                uid = temp_uid = self._uids.lease()
            cmd += ["--uid", str(uid), "--gid", str(uid)]
        memory = limits.memory_bytes or limits.address_space_bytes
        cgroup: SandboxCgroup | None = None
        r_fd = w_fd = rep_r = rep_w = -1
        try:
            if self.cgroups.pids or self.cgroups.memory:
                try:
                    cgroup = self.cgroups.create(max_tasks=limits.processes, memory_bytes=memory)
                except OSError as e:
                    return self._setup_failure(f"cannot create the sandbox's cgroup: {e}", limits)
                for d in cgroup.dirs:
                    cmd += ["--cgroup", str(d)]
            nproc = limits.processes
            if nproc and not self.cgroups.pids:
                if not caps.drops_privileges:
                    # RLIMIT_NPROC counts every task of the uid, and without root the sandbox shares the agent's uid
                    # (with all its threads): the limit must sit that far above what already runs.
                    nproc += _tasks_of_uid(os.getuid())
                cmd += ["--nproc", str(nproc)]
            for flag, value in (("--cpu", limits.cpu_seconds), ("--as", limits.address_space_bytes),
                                ("--fsize", limits.file_size_bytes), ("--nofile", limits.open_files)):
                if value:
                    cmd += [flag, str(value)]
            if caps.network_namespace:
                cmd.append("--netns")
            if caps.pid_namespace:
                cmd.append("--pidns")
            if caps.mount_namespace:
                cmd += ["--mountns", "--newroot", str(self._mnt), "--tmpfs-size", str(self.tmpfs_bytes),
                        "--rw", str(Path(os.path.abspath(cwd)))]
                for p in self._visible(argv, readonly_paths):
                    cmd += ["--ro", p]
                for node in devices:
                    if not os.path.abspath(node).startswith("/dev/"):
                        raise ValueError(f"{node} is not a device node under /dev")
                    cmd += ["--dev", os.path.abspath(node)]
            r_fd, w_fd = os.pipe()
            rep_r, rep_w = os.pipe()
            cmd += ["--report-fd", str(rep_w), "--", *argv]
            clean_env[RESULT_FD_ENV] = str(w_fd)
            outcome = self._execute(cmd, argv, clean_env, (r_fd, w_fd), (rep_r, rep_w), limits, timeout_s, cancel,
                                    stdin)
            if cgroup is not None:
                outcome.oom_killed = cgroup.oom_killed()
                outcome.memory_limit_bytes = cgroup.memory_limit
        finally:
            if cgroup is not None:
                cgroup.destroy()
            if temp_uid is not None:
                self._uids.release(temp_uid)
        if self.observer is not None:
            try:
                self.observer(outcome)
            except Exception:  # an observer bug must not turn into a candidate's failure
                log.exception("sandbox observer failed")
        return outcome

    @staticmethod
    def _setup_failure(message: str, limits: Limits) -> SandboxResult:
        log.error("sandbox set-up failed: %s", message)
        return SandboxResult(returncode=None, signal=None, timed_out=False, cancelled=False, wall_seconds=0.0,
                             stderr=f"hawk-sandbox: {message}\n".encode(), limits=limits, setup_failed=message)

    def _execute(self, cmd: list[str], argv: list[str], env: dict[str, str], result_pipe: tuple[int, int],
                 report_pipe: tuple[int, int], limits: Limits, timeout_s: float, cancel: threading.Event | None,
                 stdin: bytes | None) -> SandboxResult:
        (r_fd, w_fd), (rep_r, rep_w) = result_pipe, report_pipe
        start = time.monotonic()
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                    pass_fds=(w_fd, rep_w), start_new_session=True, close_fds=True)
        except OSError as e:
            for fd in (r_fd, w_fd, rep_r, rep_w):
                os.close(fd)
            return self._setup_failure(f"cannot start sandboxed process {argv[0]}: {e}", limits)
        os.close(w_fd)
        os.close(rep_w)
        if stdin is not None:
            try:
                proc.stdin.write(stdin)
                proc.stdin.close()
            except BrokenPipeError:
                pass
        out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
        streams = {out_fd: bytearray(), err_fd: bytearray(), r_fd: bytearray(), rep_r: bytearray()}
        caps = {out_fd: _OUTPUT_CAP, err_fd: _OUTPUT_CAP, r_fd: _RESULT_CAP, rep_r: 4096}
        timed_out = cancelled = False
        deadline = start + timeout_s
        sel = selectors.DefaultSelector()
        for fd in streams:
            sel.register(fd, selectors.EVENT_READ)
        exited_at: float | None = None
        try:
            while sel.get_map():
                now = time.monotonic()
                # The program ended but something it started still holds its pipes: read on briefly, then
                # stop waiting (the group is killed below) instead of waiting for the deadline.
                if exited_at is None and proc.poll() is not None:
                    exited_at = now
                if exited_at is not None and now - exited_at > _EXIT_GRACE_S:
                    break
                if now >= deadline:
                    timed_out = True
                    break
                if cancel is not None and cancel.is_set():
                    cancelled = True
                    break
                for key, _ in sel.select(timeout=min(0.05, deadline - now)):
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        sel.unregister(key.fd)
                        continue
                    buf = streams[key.fd]
                    buf += chunk
                    if len(buf) > caps[key.fd]:
                        # Keep the tail of logs; the result pipe is cut (and then fails to decode).
                        if key.fd in (r_fd, rep_r):
                            del buf[caps[key.fd]:]
                        else:
                            del buf[: len(buf) - caps[key.fd]]
            if timed_out or cancelled:
                self._kill_group(proc)
            remaining = max(0.0, deadline - time.monotonic())
            try:
                proc.wait(timeout=remaining if not (timed_out or cancelled) else 5)
            except subprocess.TimeoutExpired:
                timed_out = True
                self._kill_group(proc)
                proc.wait(timeout=5)
        finally:
            sel.close()
            os.close(r_fd)
            os.close(rep_r)
            for f in (proc.stdout, proc.stderr):
                f.close()
            if proc.poll() is None:
                self._kill_group(proc)
                proc.wait()
            else:
                self._kill_group(proc)  # stray children of the group, if any survived their parent
        rc = proc.returncode
        report = bytes(streams[rep_r]).decode("utf-8", errors="replace").strip()
        setup_failed = report.splitlines()[0] if report and rc == SETUP_FAILED else None
        if setup_failed:
            log.error("sandbox set-up failed for %s: %s", argv[0], setup_failed)
        return SandboxResult(
            returncode=rc if rc is not None and rc >= 0 else None,
            signal=-rc if rc is not None and rc < 0 else None,
            timed_out=timed_out,
            cancelled=cancelled,
            wall_seconds=time.monotonic() - start,
            stdout=bytes(streams[out_fd]),
            stderr=bytes(streams[err_fd]),
            result=bytes(streams[r_fd]),
            limits=limits,
            setup_failed=setup_failed,
        )

    @staticmethod
    def _kill_group(proc: subprocess.Popen) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)

    def close(self) -> None:
        """Remove this sandbox's cgroup parents (the agent's stop)."""
        self.cgroups.close()
