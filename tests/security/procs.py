"""Real agent processes for the security and chaos suite: `hawk agent serve` in a subprocess (so it can be
killed, stopped and restarted like a real one), optionally inside a network namespace."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from npu_agent.client import AgentClient

# The checkout whose code the suite's subprocesses run: this one, unless HAWK_SUITE_PRODUCT_ROOT names another
# (to try the suite against a branch before merging it).
ROOT = Path(os.environ.get("HAWK_SUITE_PRODUCT_ROOT") or Path(__file__).resolve().parents[2])
PYTHONPATH = f"{ROOT}{os.pathsep}{ROOT / 'proto'}"  # the checkout's code and its generated hawk.v1 protos
SECRET_ENV = "HAWK_SUITE_SECRET"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def hawk(*args: str, env: dict[str, str] | None = None, timeout_s: float = 60, cwd: Path | None = None,
         stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `hawk` command line (controller/cli.py) in a subprocess."""
    e = {**os.environ, "PYTHONPATH": PYTHONPATH, **(env or {})}
    return subprocess.run([sys.executable, "-m", "controller.cli", *args], capture_output=True, text=True,
                          timeout=timeout_s, env=e, cwd=cwd or ROOT, input=stdin)


def private_dir(prefix: str) -> Path:
    """A fresh directory the sandbox uids may traverse but not list (like an operator's /var/lib/hawk)."""
    d = Path(tempfile.mkdtemp(prefix=prefix))
    d.chmod(0o711)
    return d


class AgentProcess:
    """`hawk agent serve` as its own process, restartable on the same port and work dir."""

    def __init__(self, backend: str = "null", *, devices: int = 2, token: str | None = None,
                 work_dir: Path | None = None, port: int | None = None, extra: tuple[str, ...] = (),
                 netns: str | None = None, host: str = "127.0.0.1") -> None:
        self.backend = backend
        self.devices = devices
        self.token = token if token is not None else secrets.token_hex(16)
        self.owns_work = work_dir is None
        self.work_dir = work_dir or private_dir("hawk-suite-agent-")
        self.secret_env = secrets.token_hex(12)  # a value only the agent's environment holds
        self.token_file = self.work_dir.parent / f"{self.work_dir.name}.token"
        self.token_file.write_text(self.token + "\n")
        self.token_file.chmod(0o600)
        self.port = port or free_port()
        self.extra = extra
        self.netns = netns
        self.host = host
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.work_dir.parent / f"{self.work_dir.name}.log"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def argv(self) -> list[str]:
        a = [sys.executable, "-m", "controller.cli", "agent", "serve", "--port", str(self.port),
             "--backend", self.backend, "--devices", str(self.devices), "--compile-workers", "2",
             "--work-dir", str(self.work_dir), "--token-file", str(self.token_file), *self.extra]
        if self.host != "127.0.0.1":
            a += ["--host", self.host]
        if self.netns:
            a = ["ip", "netns", "exec", self.netns, *a]
        return a

    def launch(self) -> AgentProcess:
        """Start the process without waiting for it to serve (its start-up overlaps other work)."""
        env = {**os.environ, "PYTHONPATH": PYTHONPATH, SECRET_ENV: self.secret_env}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.argv(), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
                                         start_new_session=True)
        return self

    def start(self, wait_s: float = 90.0) -> AgentProcess:
        self.launch()
        self.wait_ready(wait_s)
        return self

    def client(self, timeout_s: float | None = None) -> AgentClient:
        kw = {"timeout_s": timeout_s} if timeout_s else {}
        return AgentClient(self.address, token=self.token, **kw)

    def wait_ready(self, wait_s: float) -> None:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"agent exited with {self.proc.returncode}: {self.tail()}")
            with contextlib.suppress(Exception), self.client(timeout_s=2) as c:
                if c.health() == "SERVING":
                    return
            time.sleep(0.2)
        raise RuntimeError(f"agent on {self.address} not ready after {wait_s} s: {self.tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def healthy(self) -> bool:
        try:
            with self.client(timeout_s=5) as c:
                return c.health() == "SERVING"
        except Exception:
            return False

    def tail(self, n: int = 2000) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-n:]
        return ""

    def signal(self, sig: int) -> None:
        """Signal the agent process itself (not `ip netns exec`, which execs it: same pid)."""
        assert self.proc is not None
        os.kill(self.proc.pid, sig)

    def kill9(self) -> None:
        self.signal(signal.SIGKILL)
        assert self.proc is not None
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGCONT)
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.proc = None

    def close(self) -> None:
        self.stop()
        if self.owns_work:
            shutil.rmtree(self.work_dir, ignore_errors=True)
        for f in (self.token_file, self.log):
            with contextlib.suppress(OSError):
                f.unlink()

    def __enter__(self) -> AgentProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
