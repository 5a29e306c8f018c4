"""Sandboxed execution of untrusted compiles and kernel runs.

Every candidate compile and run goes through :meth:`Sandbox.run`: its own process group and private work
dir, a scrubbed environment, resource limits, a new network namespace where the host allows it, an
unprivileged uid when the agent runs as root, and a hard kill of the whole group at the deadline. The
process reports its result over a dedicated pipe (fd number in ``HAWK_RESULT_FD``), never through stdout,
so printing a fake result achieves nothing. Kernel processes additionally lock themselves down with
seccomp (``seccomp_lockdown.h``) before running candidate code.
"""

from __future__ import annotations

import contextlib
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
LAUNCHER_SOURCE = HERE / "launcher.c"
SECCOMP_HEADER = HERE / "seccomp_lockdown.h"
RESULT_FD_ENV = "HAWK_RESULT_FD"
NOBODY = 65534
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
    processes: int = 64
    open_files: int = 256


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

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.cancelled

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
        if self.signal == signal.SIGSYS:
            return "forbidden system call (process creation, network, exec or file-system write)"
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
    network_namespace: bool
    drops_privileges: bool
    pid_namespace: bool = False  # every process of a run dies with it, even one that called setsid()


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
    """The unprivileged sandbox uid must be able to walk down to its work dirs; fail early and clearly if
    an ancestor (e.g. a 0700 temp dir) blocks it, instead of every candidate failing at chdir."""
    for d in [*reversed(root.parents), root]:
        st = d.stat()
        if not (st.st_mode & stat.S_IXOTH) and st.st_uid != NOBODY:
            raise SandboxError(f"sandbox root {root} is unreachable for the sandbox user (uid {NOBODY}): {d} is "
                               f"not world-traversable (mode {stat.filemode(st.st_mode)}); put the work dir "
                               f"elsewhere or chmod o+x {d}")


class Sandbox:
    """Runs programs under isolation. One per agent; thread-safe."""

    def __init__(self, root: Path, *, isolate_network: bool = True, compiler: str | None = None,
                 observer: Callable[[SandboxResult], None] | None = None) -> None:
        self.root = Path(root)
        self.observer = observer  # sees every SandboxResult (the agent counts kills in its metrics)
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "work").mkdir(exist_ok=True)
        if os.geteuid() == 0:
            # The unprivileged sandbox uid must be able to traverse into its work dirs (not list them).
            for d in (self.root, self.root / "work"):
                d.chmod(d.stat().st_mode | 0o711)
            _check_traversable(self.root.resolve())
        self._counter = 0
        self._lock = threading.Lock()
        self.launcher = self._build_launcher(compiler or os.environ.get("CC", "gcc"))
        probe = json.loads(subprocess.run([str(self.launcher), "--probe"], capture_output=True, text=True,
                                          check=True, timeout=30).stdout)
        is_root = os.geteuid() == 0
        # userns+netns works for unprivileged agents; as root we drop to nobody instead, which needs plain netns.
        net = bool(probe["netns"]) if is_root else bool(probe["netns"] or probe["userns_netns"])
        pid = bool(probe.get("pidns")) if is_root else bool(probe.get("pidns") or probe.get("userns_pidns"))
        self.capabilities = Capabilities(network_namespace=net and isolate_network, drops_privileges=is_root,
                                         pid_namespace=pid)
        if not pid:
            log.warning("sandbox: this host allows no new PID namespace; a candidate process that leaves its "
                        "process group could outlive its run")
        if isolate_network and not net:
            log.warning("sandbox: this host allows no new network namespace; candidates keep the host network "
                        "(seccomp still forbids sockets in kernel runs)")

    # ------------------------------------------------------------------------------------------ setup
    def _build_launcher(self, compiler: str) -> Path:
        digest = hashlib.sha256(LAUNCHER_SOURCE.read_bytes()).hexdigest()[:16]
        out = self.root / "bin" / f"hawk-sandbox-exec-{digest}"
        if out.exists():
            return out
        out.parent.mkdir(parents=True, exist_ok=True)
        cc = shutil.which(compiler) or shutil.which("cc") or shutil.which("g++")
        if cc is None:
            raise SandboxError("no C compiler found to build the sandbox launcher (install gcc or set CC)")
        tmp = out.with_suffix(f".tmp{os.getpid()}")
        proc = subprocess.run([cc, "-O2", "-x", "c", str(LAUNCHER_SOURCE), "-o", str(tmp)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise SandboxError(f"building the sandbox launcher failed:\n{proc.stderr}")
        os.replace(tmp, out)
        out.chmod(0o755)
        return out

    def make_workdir(self, prefix: str) -> Path:
        """A fresh private directory the sandboxed process may write to (and nobody else can read)."""
        with self._lock:
            self._counter += 1
            n = self._counter
        d = self.root / "work" / f"{prefix}-{os.getpid()}-{n}-{time.monotonic_ns() % 10**9}"
        d.mkdir(parents=True, mode=0o700)
        if self.capabilities.drops_privileges:
            os.chown(d, NOBODY, NOBODY)
        return d

    def share_with_sandbox(self, path: Path) -> None:
        """Make a file the agent created writable by the sandboxed uid (e.g. an output tensor file)."""
        if self.capabilities.drops_privileges:
            os.chown(path, NOBODY, NOBODY)

    @staticmethod
    def remove_workdir(path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)

    # -------------------------------------------------------------------------------------------- run
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
    ) -> SandboxResult:
        """Run argv under isolation until it exits, the deadline passes, or `cancel` is set."""
        clean_env = {k: os.environ[k] for k in _PASS_ENV if k in os.environ}
        clean_env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
        clean_env["HOME"] = str(cwd)
        clean_env["TMPDIR"] = str(cwd)
        clean_env.update(env or {})
        cmd = [str(self.launcher), "--cwd", str(cwd)]
        nproc = limits.processes
        if nproc and not self.capabilities.drops_privileges:
            # RLIMIT_NPROC counts every task of the uid, and without root the sandbox shares the agent's uid
            # (with all its threads): the limit must sit that far above what already runs.
            nproc += _tasks_of_uid(os.getuid())
        for flag, value in (("--cpu", limits.cpu_seconds), ("--as", limits.address_space_bytes),
                            ("--fsize", limits.file_size_bytes), ("--nproc", nproc),
                            ("--nofile", limits.open_files)):
            if value:
                cmd += [flag, str(value)]
        if self.capabilities.network_namespace:
            cmd.append("--netns")
        if self.capabilities.pid_namespace:
            cmd.append("--pidns")
        if self.capabilities.drops_privileges:
            cmd += ["--uid", str(NOBODY), "--gid", str(NOBODY)]
        cmd += ["--", *argv]

        r_fd, w_fd = os.pipe()
        clean_env[RESULT_FD_ENV] = str(w_fd)
        start = time.monotonic()
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env,
                                    pass_fds=(w_fd,), start_new_session=True, close_fds=True)
        except OSError as e:
            os.close(r_fd)
            os.close(w_fd)
            raise SandboxError(f"cannot start sandboxed process {argv[0]}: {e}") from e
        os.close(w_fd)
        if stdin is not None:
            try:
                proc.stdin.write(stdin)
                proc.stdin.close()
            except BrokenPipeError:
                pass
        out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
        streams = {out_fd: bytearray(), err_fd: bytearray(), r_fd: bytearray()}
        caps = {out_fd: _OUTPUT_CAP, err_fd: _OUTPUT_CAP, r_fd: _RESULT_CAP}
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
                        if key.fd == r_fd:
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
            for f in (proc.stdout, proc.stderr):
                f.close()
            if proc.poll() is None:
                self._kill_group(proc)
                proc.wait()
            else:
                self._kill_group(proc)  # stray children of the group, if any survived their parent
        rc = proc.returncode
        outcome = SandboxResult(
            returncode=rc if rc is not None and rc >= 0 else None,
            signal=-rc if rc is not None and rc < 0 else None,
            timed_out=timed_out,
            cancelled=cancelled,
            wall_seconds=time.monotonic() - start,
            stdout=bytes(streams[out_fd]),
            stderr=bytes(streams[err_fd]),
            result=bytes(streams[r_fd]),
            limits=limits,
        )
        if self.observer is not None:
            try:
                self.observer(outcome)
            except Exception:  # an observer bug must not turn into a candidate's failure
                log.exception("sandbox observer failed")
        return outcome

    @staticmethod
    def _kill_group(proc: subprocess.Popen) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
