"""The sandbox on its own: real hostile programs under the real launcher (and seccomp lockdown)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from npu_agent.sandbox import SECCOMP_HEADER, Limits, Sandbox, SandboxError
from npu_agent.server import wait_for

PROGRAMS = Path(__file__).parent / "programs"
FAST = Limits(cpu_seconds=10, address_space_bytes=512 << 20, file_size_bytes=8 << 20, processes=32)


@pytest.fixture(scope="module")
def built() -> Iterator[dict[str, Path]]:
    """hostile.c and locked.cpp compiled once into a directory the sandbox uid can read and execute."""
    import tempfile

    d = Path(tempfile.mkdtemp(prefix="hawk-sbx-bin-"))
    d.chmod(0o755)
    hostile, locked = d / "hostile", d / "locked"
    subprocess.run(["gcc", "-O1", "-o", str(hostile), str(PROGRAMS / "hostile.c")], check=True)
    subprocess.run(["g++", "-O1", "-std=c++17", "-pthread", "-I", str(SECCOMP_HEADER.parent), "-o", str(locked),
                    str(PROGRAMS / "locked.cpp")], check=True)
    yield {"hostile": hostile, "locked": locked}
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def sandbox(sandbox_root: Path) -> Sandbox:
    return Sandbox(sandbox_root)


def run(sandbox: Sandbox, argv: list, limits: Limits = FAST, timeout_s: float = 20, **kw):
    work = sandbox.make_workdir("t")
    return sandbox.run([str(a) for a in argv], cwd=work, limits=limits, timeout_s=timeout_s, **kw), work


def _alive_with(marker: str) -> list[int]:
    """PIDs whose command line contains `marker` (the sandboxed tree of one test)."""
    pids = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if marker.encode() in (p / "cmdline").read_bytes():
                    pids.append(int(p.name))
            except OSError:
                pass
    return pids


def test_result_comes_from_the_pipe_not_stdout(sandbox: Sandbox, built) -> None:
    r, _ = run(sandbox, [built["hostile"], "ok"])
    assert r.ok and r.result_json() == {"ok": True}
    r, _ = run(sandbox, [built["hostile"], "fake"])
    assert r.ok and b'"status": "OK"' in r.stdout
    assert r.result == b"" and r.result_json() is None  # printing a result forges nothing


def test_environment_is_scrubbed(sandbox: Sandbox, built, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-do-not-leak")
    monkeypatch.setenv("HAWK_TOKEN", "do-not-leak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-leak")
    r, work = run(sandbox, [built["hostile"], "env"])
    names = set(r.result_json()["env"])
    assert not names & {"OPENAI_API_KEY", "HAWK_TOKEN", "AWS_SECRET_ACCESS_KEY"}
    assert names <= {"PATH", "LANG", "LC_ALL", "TZ", "HOME", "TMPDIR", "HAWK_RESULT_FD", "PWD"}


def test_infinite_loop_is_killed_at_the_deadline(sandbox: Sandbox, built) -> None:
    marker = uuid.uuid4().hex
    r, _ = run(sandbox, [built["hostile"], "loop", marker], timeout_s=0.5)
    assert r.timed_out and not r.ok and r.signal == signal.SIGKILL
    assert _alive_with(marker) == []


def test_cpu_limit_stops_a_spinning_process(sandbox: Sandbox, built) -> None:
    r, _ = run(sandbox, [built["hostile"], "loop"], limits=Limits(cpu_seconds=1), timeout_s=30)
    assert r.signal == signal.SIGXCPU and "CPU time limit" in (r.violation() or "")


@pytest.mark.parametrize("profile", ["run", "reference"])
@pytest.mark.parametrize("mode", ["nproc", "forkbomb", "escape"])
def test_kernel_runs_cannot_create_processes(sandbox: Sandbox, built, mode: str, profile: str) -> None:
    """The launcher's allowlist refuses clone without CLONE_THREAD (run, reference), before any of the program."""
    r, _ = run(sandbox, [built["hostile"], mode, uuid.uuid4().hex], profile=profile)
    assert r.signal == signal.SIGSYS and "forbidden system call" in (r.violation() or "")


def test_fork_bomb_is_bounded_and_killed(sandbox: Sandbox, built) -> None:
    # Only the compile profile may create processes at all (g++ needs to); its pids cgroup bounds them.
    r, _ = run(sandbox, [built["hostile"], "nproc"], limits=FAST, profile="compile")
    assert r.ok and 0 <= r.result_json()["children"] < FAST.processes
    marker = uuid.uuid4().hex
    r, _ = run(sandbox, [built["hostile"], "forkbomb", marker], timeout_s=1.0, profile="compile")
    assert r.timed_out
    assert wait_for(lambda: _alive_with(marker) == [], 5)


def test_processes_that_leave_the_group_die_with_the_sandbox(sandbox: Sandbox, built) -> None:
    marker = uuid.uuid4().hex
    r, _ = run(sandbox, [built["hostile"], "escape", marker], timeout_s=1.0, profile="compile")
    assert r.timed_out and r.result_json() == {"escaped": True}
    assert wait_for(lambda: _alive_with(marker) == [], 5), "a setsid() grandchild outlived its sandbox"


def test_unbounded_allocation_is_refused(sandbox: Sandbox, built) -> None:
    r, _ = run(sandbox, [built["hostile"], "memory"], limits=Limits(address_space_bytes=256 << 20))
    assert r.ok and r.result_json()["mib"] < 256


def test_unbounded_cpp_allocation_is_a_memory_violation(sandbox: Sandbox, built) -> None:
    r, _ = run(sandbox, [built["locked"], "alloc"], limits=Limits(address_space_bytes=256 << 20))
    assert r.signal == signal.SIGABRT and "memory limit" in (r.violation() or "")


def test_file_size_limit(sandbox: Sandbox, built) -> None:
    r, work = run(sandbox, [built["hostile"], "bigfile"], limits=Limits(file_size_bytes=4 << 20))
    assert r.signal == signal.SIGXFSZ and "file size limit" in (r.violation() or "")
    assert (work / "big.bin").stat().st_size <= 4 << 20


def test_writes_outside_the_work_dir_fail(sandbox: Sandbox, built, sandbox_root: Path) -> None:
    if not sandbox.capabilities.drops_privileges:
        pytest.skip("agent not running as root: the sandbox keeps the agent's uid (seccomp guards kernel runs)")
    target = sandbox_root / "outside.txt"  # owned by the agent, next to the work dirs
    r, work = run(sandbox, [built["hostile"], "write", target])
    assert r.ok and r.result_json()["inside_ok"] is True
    assert r.result_json()["outside_errno"] in (13, 30)  # EACCES (not its uid's dir), EROFS (read-only root)
    assert not target.exists() and (work / "inside.txt").exists()


def test_no_network(sandbox: Sandbox, built) -> None:
    if not sandbox.capabilities.network_namespace:
        pytest.skip("this host allows no new network namespace")
    accepted = []
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        srv.settimeout(0.5)
        port = srv.getsockname()[1]
        r, _ = run(sandbox, [built["hostile"], "connect", port], profile="compile")
        with contextlib.suppress(OSError):  # the timeout: nobody connected
            accepted.append(srv.accept())
    # No profile allows a socket (the allowlist kills it); without the filter the netns has no route out.
    assert r.signal == signal.SIGSYS or (r.ok and r.result_json()["connected"] is False)
    assert accepted == []


@pytest.mark.parametrize("mode", ["fork", "socket", "write", "exec"])
def test_seccomp_lockdown_kills_forbidden_calls(sandbox: Sandbox, built, mode: str) -> None:
    r, _ = run(sandbox, [built["locked"], mode])
    assert r.signal == signal.SIGSYS and r.result == b""
    assert "forbidden system call" in (r.violation() or "")


@pytest.mark.parametrize("mode", ["read", "thread"])
def test_seccomp_lockdown_allows_threads_and_reads(sandbox: Sandbox, built, mode: str) -> None:
    r, _ = run(sandbox, [built["locked"], mode])
    assert r.ok and r.result_json() == {"survived": True}, r.stderr


def test_cancel_kills_the_whole_group(sandbox: Sandbox, built) -> None:
    cancel = threading.Event()
    marker = uuid.uuid4().hex
    threading.Timer(0.3, cancel.set).start()
    r, _ = run(sandbox, [built["hostile"], "escape", marker], timeout_s=60, cancel=cancel, profile="compile")
    assert r.cancelled and not r.timed_out
    assert wait_for(lambda: _alive_with(marker) == [], 5)


def test_root_under_a_private_dir(tmp_path: Path, built) -> None:
    """With a mount namespace the work dir is bound at its own path inside the sandbox, so a 0700 ancestor does
    not matter; without one (and as root) it is a clear error at start-up."""
    if os.geteuid() != 0:
        pytest.skip("only root drops to the sandbox uids")
    locked = tmp_path / "private"
    locked.mkdir(mode=0o700)
    try:
        sandbox = Sandbox(locked / "sandbox")
    except SandboxError as e:
        assert "not world-traversable" in str(e)
        return
    assert sandbox.capabilities.mount_namespace
    r, _ = run(sandbox, [built["hostile"], "ok"])
    assert r.ok and r.result_json() == {"ok": True}, r.stderr


def test_task_count_of_a_uid_includes_our_threads() -> None:
    """Without root the nproc limit is raised by this count (RLIMIT_NPROC counts every task of the uid)."""
    from npu_agent.sandbox import _tasks_of_uid

    stop = threading.Event()
    threads = [threading.Thread(target=stop.wait) for _ in range(5)]
    for t in threads:
        t.start()
    try:
        assert _tasks_of_uid(os.getuid()) >= threading.active_count()
        assert _tasks_of_uid(4_000_000_000) == 0
    finally:
        stop.set()
        for t in threads:
            t.join()
