"""Isolation that does not depend on the candidate's cooperation (issue 13): hostile programs and kernels of our
own against the real launcher (seccomp allowlist before exec, mount namespace, per-sandbox uids, cgroups).

Each escape route the issue names: switching the twin runtime's own lockdown off (overriding prctl, getenv or
the lockdown function; .init_array.NNNNN and .ctors.NNNNN constructors), then exec'ing /bin/sh, writing /tmp and
/dev/shm, connecting to a host unix socket; reading and overwriting another evaluation's work dir; starving
other tenants with sleeping threads. The host side is checked, not only the status.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hawk.v1 import result_pb2, task_pb2
from npu_agent import taskspec
from npu_agent.sandbox import Limits, Sandbox
from npu_agent.server import wait_for

PROGRAMS = Path(__file__).parent / "programs"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kernels" / "add_custom.cpp"
FAST = Limits(cpu_seconds=20, address_space_bytes=512 << 20, file_size_bytes=8 << 20, processes=32)
N = 2048

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="full isolation needs root (namespaces, uids, cgroups)")


@pytest.fixture(scope="module")
def root() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="hawk-iso-"))
    d.chmod(0o711)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def sandbox(root: Path) -> Sandbox:
    s = Sandbox(root / "sandbox")
    assert s.capabilities.missing() == [], s.capabilities.summary()
    return s


@pytest.fixture(scope="module")
def prog(root: Path) -> Path:
    """isolation.c, built in a 0700 dir: visible inside a sandbox only because it is the program run."""
    d = root / "bin"
    d.mkdir(mode=0o700)
    out = d / "isolation"
    subprocess.run(["gcc", "-O1", "-pthread", "-o", str(out), str(PROGRAMS / "isolation.c")], check=True)
    return out


def run(sandbox: Sandbox, argv: list, *, limits: Limits = FAST, timeout_s: float = 30, **kw):
    work = sandbox.make_workdir("iso")
    return sandbox.run([str(a) for a in argv], cwd=work, limits=limits, timeout_s=timeout_s, **kw), work


@contextlib.contextmanager
def host_unix_listener(abstract: bool = False) -> Iterator[tuple[str, list]]:
    """A host unix socket anybody may connect to (mode 0777, like a careless local service)."""
    name = f"hawk-iso-{uuid.uuid4().hex[:12]}"
    path = "" if abstract else f"/tmp/{name}.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind("\0" + name if abstract else path)
    if not abstract:
        os.chmod(path, 0o777)
    srv.listen()
    srv.settimeout(0.3)
    accepted: list = []
    try:
        yield (name if abstract else path), accepted
        with contextlib.suppress(OSError):
            accepted.append(srv.accept())
    finally:
        srv.close()
        if path:
            with contextlib.suppress(OSError):
                os.unlink(path)


# ------------------------------------------------------------------------------------- plain programs
@pytest.mark.parametrize("profile", ["run", "compile", "reference"])
def test_host_unix_sockets_are_unreachable(sandbox: Sandbox, prog: Path, profile: str) -> None:
    for abstract in (False, True):
        with host_unix_listener(abstract) as (name, accepted):
            r, _ = run(sandbox, [prog, "abstract" if abstract else "unix", name], profile=profile)
        assert accepted == [], f"a sandbox ({profile}) reached a host unix socket"
        assert r.signal == signal.SIGSYS, r  # socket() is in no allowlist


@pytest.mark.parametrize("where", ["/tmp", "/dev/shm"])
def test_tmp_and_shm_are_private(sandbox: Sandbox, prog: Path, where: str) -> None:
    target = Path(where) / f"hawk-iso-{uuid.uuid4().hex}"
    r, _ = run(sandbox, [prog, "write", target], profile="compile")
    assert r.ok and r.result_json() == {"errno": 0}  # written: into the sandbox's own tmpfs
    assert not target.exists(), f"the sandbox wrote the host's {where}"


def test_system_dirs_are_read_only(sandbox: Sandbox, prog: Path) -> None:
    r, _ = run(sandbox, [prog, "write", "/etc/hawk-iso-pwned"], profile="compile")
    assert r.ok and r.result_json()["errno"] in (13, 30)  # EACCES / EROFS
    assert not Path("/etc/hawk-iso-pwned").exists()


def test_exec_after_the_launcher_is_killed_in_run_and_reference(sandbox: Sandbox, prog: Path) -> None:
    target = Path("/tmp") / f"hawk-iso-exec-{uuid.uuid4().hex}"
    for profile in ("run", "reference"):
        r, _ = run(sandbox, [prog, "exec", target], profile=profile)
        assert r.signal == signal.SIGSYS and "forbidden system call" in (r.violation() or "")
    assert not target.exists()


def test_other_evaluations_work_dirs_are_invisible(sandbox: Sandbox, prog: Path) -> None:
    """Two sandboxes at once: the second can neither read, overwrite nor list the first's work dir."""
    holder: dict = {}
    work_a = sandbox.make_workdir("tenant-a")

    def tenant_a() -> None:
        holder["r"] = sandbox.run([str(prog), "hold", "3"], cwd=work_a, limits=FAST, timeout_s=30)

    t = threading.Thread(target=tenant_a)
    t.start()
    try:
        assert wait_for(lambda: (work_a / "secret.txt").exists(), 10)
        r, work_b = run(sandbox, [prog, "snoop", work_a, sandbox.root / "work"])
        assert r.ok, r.stderr
        got = r.result_json()
        assert got["read_errno"] != 0 and got["write_errno"] != 0, got
        assert got["listed"] <= 3, got  # ".", ".." and its own dir at most: never the other tenant's
        assert work_a.stat().st_uid != work_b.stat().st_uid  # a uid per work dir
        assert oct(work_a.stat().st_mode & 0o777) == oct(0o700)
        assert (sandbox.root / "work").stat().st_mode & 0o777 == 0o711
    finally:
        t.join()
        sandbox.remove_workdir(work_a)
    assert holder["r"].ok and holder["r"].result_json() == {"intact": True}


def test_sleeping_threads_do_not_starve_another_tenant(sandbox: Sandbox, prog: Path) -> None:
    """60 sleeping threads fill one sandbox's pids cgroup; another sandbox still starts its threads."""
    limits = Limits(cpu_seconds=20, address_space_bytes=0, processes=64)
    holder: dict = {}
    t = threading.Thread(target=lambda: holder.setdefault("r", run(sandbox, [prog, "threads", 60, 4],
                                                                   limits=limits)[0]))
    t.start()
    time.sleep(1.0)
    r, _ = run(sandbox, [prog, "threads", 8, 0], limits=limits)
    t.join()
    assert r.ok and r.result_json() == {"threads": 8}, r
    assert holder["r"].ok and holder["r"].result_json()["threads"] >= 50


def test_pids_cgroup_bounds_the_sandbox(sandbox: Sandbox, prog: Path) -> None:
    r, _ = run(sandbox, [prog, "threads", 200, 2], limits=Limits(cpu_seconds=20, address_space_bytes=0,
                                                                   processes=16))
    assert r.ok and 1 <= r.result_json()["threads"] < 16


def test_memory_cgroup_kill_is_a_named_violation(sandbox: Sandbox, prog: Path) -> None:
    limits = Limits(cpu_seconds=20, address_space_bytes=0, memory_bytes=64 << 20)
    r, _ = run(sandbox, [prog, "touch", 512], limits=limits)
    assert r.oom_killed, r
    assert "memory limit of 67108864 bytes" in (r.violation() or "")


def test_reference_profile_runs_numpy(sandbox: Sandbox) -> None:
    import sys

    prefix = Path(sys.prefix)
    real = Path(os.path.realpath(sys.executable)).parents[1]
    r, _ = run(sandbox, [sys.executable, "-I", "-c",
                         "import numpy as np, os, json; a = np.arange(64.).reshape(8, 8); "
                         "os.write(int(os.environ['HAWK_RESULT_FD']), json.dumps({'s': float((a @ a).sum())}).encode())"],
               limits=Limits(cpu_seconds=60, address_space_bytes=0, processes=64),
               env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}, profile="reference",
               readonly_paths=(prefix, real))
    assert r.ok and r.result_json() == {"s": float(sum(sum(row) for row in
                                                         ((__import__("numpy").arange(64.).reshape(8, 8)) @
                                                          __import__("numpy").arange(64.).reshape(8, 8))))}, r.stderr


def test_setup_failure_is_reported_as_such(sandbox: Sandbox, prog: Path) -> None:
    r, _ = run(sandbox, [prog, "ok"], readonly_paths=("/nonexistent/hawk-iso",))
    assert r.setup_failed and "/nonexistent/hawk-iso" in r.setup_failed and not r.ok
    assert r.violation() is None
    # A program that exits 125 and prints like the launcher is still the program's own failure.
    r, _ = run(sandbox, ["/bin/sh", "-c", "echo 'hawk-sandbox: fake' >&2; exit 125"], profile="compile")
    assert r.returncode == 125 and r.setup_failed is None


# ----------------------------------------------------------------------------- twin kernels (end to end)
_EVIL = r'''
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
static void hawk_iso_attr(const char *key, char *out, size_t size) {
    out[0] = 0;
    FILE *f = std::fopen("run.cfg", "r");
    if (!f) return;
    char line[1024], want[128];
    std::snprintf(want, sizeof want, "attr %s =", key);
    while (std::fgets(line, sizeof line, f)) {
        if (std::strncmp(line, want, std::strlen(want)) == 0) {
            std::snprintf(out, size, "%s", line + std::strlen(want));
            out[std::strcspn(out, "\n")] = 0;
        }
    }
    std::fclose(f);
}
static void hawk_iso_evil() {
    static int done = 0;
    if (done++) return;
    char action[64], target[512];
    hawk_iso_attr("action", action, sizeof action);
    hawk_iso_attr("target", target, sizeof target);
    if (!std::strcmp(action, "exec")) {
        char cmd[700];
        std::snprintf(cmd, sizeof cmd, "echo pwned > %s", target);
        execl("/bin/sh", "sh", "-c", cmd, (char *)0);
    } else if (!std::strcmp(action, "write")) {
        int fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) { (void)!write(fd, "pwned", 5); close(fd); }
    } else if (!std::strcmp(action, "unix") || !std::strcmp(action, "abstract")) {
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        socklen_t len = sizeof a;
        if (action[0] == 'a') {
            std::strncpy(a.sun_path + 1, target, sizeof a.sun_path - 2);
            len = (socklen_t)(offsetof(sockaddr_un, sun_path) + 1 + std::strlen(target));
        } else {
            std::strncpy(a.sun_path, target, sizeof a.sun_path - 1);
        }
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        if (s >= 0 && connect(s, (sockaddr *)&a, len) == 0) (void)!write(s, "pwned", 5);
    }
}
'''

# How each candidate switches the twin runtime's own (late, in-process) lockdown off and runs first.
DISABLERS = {
    "override_prctl": 'extern "C" int prctl(int, ...) { hawk_iso_evil(); return 0; }\n',
    "override_getenv": ('extern char **environ;\n'
                        'extern "C" char *getenv(const char *n) {\n    hawk_iso_evil();\n'
                        '    size_t l = std::strlen(n);\n'
                        '    for (char **e = environ; e && *e; e++)\n'
                        "        if (!std::strncmp(*e, n, l) && (*e)[l] == '=') return *e + l + 1;\n"
                        '    return nullptr;\n}\n'),
    "override_lockdown": 'namespace hawk_sandbox { int lockdown() { hawk_iso_evil(); return 0; } }\n',
    "init_array_section": ('static void hawk_iso_early() { hawk_iso_evil(); }\n'
                           '__attribute__((section(".init_array.00050"), used)) static void (*hawk_iso_p)() = '
                           'hawk_iso_early;\n'),
    "ctors_section": ('static void hawk_iso_early() { hawk_iso_evil(); }\n'
                      '__attribute__((section(".ctors.65500"), used)) static void (*hawk_iso_p)() = '
                      'hawk_iso_early;\n'),
}


def _add_task(action: str = "", target: str = "") -> task_pb2.TaskSpec:
    t = task_pb2.TaskSpec(
        name="add_fp16_iso", category="elementwise", kernel_entry="add_custom", verify_sets=1,
        inputs=[task_pb2.TensorSpec(name="x", shape=[N], dtype=task_pb2.FLOAT16),
                task_pb2.TensorSpec(name="y", shape=[N], dtype=task_pb2.FLOAT16)],
        outputs=[task_pb2.TensorSpec(name="z", shape=[N], dtype=task_pb2.FLOAT16)])
    if action:
        t.attributes["action"] = action
        t.attributes["target"] = target
    return t


@pytest.fixture(scope="module")
def twin(root: Path, sandbox: Sandbox):
    from npu_agent.simnpu import Twin

    return Twin("ascend910b2", work_root=root / "simnpu", sandbox=sandbox)


@pytest.fixture(scope="module")
def binaries(twin) -> dict[str, Path]:
    out = {}
    for name, disabler in DISABLERS.items():
        built = twin.compile(_EVIL + disabler + EXAMPLE.read_text(), "add_custom", task=_add_task(), timeout_s=300)
        assert built.status == result_pb2.OK, (name, built.message, built.log_tail)
        out[name] = built.binary
    built = twin.compile(EXAMPLE.read_text(), "add_custom", task=_add_task(), timeout_s=300)
    assert built.status == result_pb2.OK, built.message
    out["plain"] = built.binary
    return out


def _inputs() -> dict:
    return taskspec.generate_inputs(_add_task(), 5)


@pytest.mark.parametrize("disabler", sorted(DISABLERS))
def test_disabled_runtime_lockdown_still_confines_the_kernel(twin, binaries, disabler: str) -> None:
    """Whatever the candidate does to the runtime's own lockdown, the launcher's filter and namespaces hold."""
    inputs = _inputs()
    # The kernel itself still computes under the launcher's allowlist (its own lockdown is switched off).
    r = twin.run(binaries[disabler], _add_task(), inputs, timeout_s=30)
    assert r.status == result_pb2.OK, (r.message, r.log_tail)

    marker = uuid.uuid4().hex
    exec_target = Path("/tmp") / f"hawk-iso-sh-{marker}"
    r = twin.run(binaries[disabler], _add_task("exec", str(exec_target)), inputs, timeout_s=30)
    assert r.status == result_pb2.SANDBOX_VIOLATION, (r.message, r.log_tail)
    assert not exec_target.exists(), "the kernel ran /bin/sh on the host"

    for where in ("/tmp", "/dev/shm"):
        target = Path(where) / f"hawk-iso-{disabler}-{marker}"
        twin.run(binaries[disabler], _add_task("write", str(target)), inputs, timeout_s=30)
        assert not target.exists(), f"the kernel wrote the host's {where}"

    for abstract in (False, True):
        with host_unix_listener(abstract) as (name, accepted):
            r = twin.run(binaries[disabler], _add_task("abstract" if abstract else "unix", name), inputs,
                         timeout_s=30)
        assert accepted == [], "the kernel connected to a host unix socket"
        assert r.status == result_pb2.SANDBOX_VIOLATION, r.message


def test_thread_starvation_does_not_fail_another_tenants_kernel(twin, binaries) -> None:
    """A kernel with 60 sleeping threads runs while another tenant's correct kernel runs: the latter is OK."""
    source = EXAMPLE.read_text().replace(
        '#include "kernel_operator.h"',
        '#include "kernel_operator.h"\n#include <thread>\n#include <chrono>\n#include <vector>\n', 1)
    marker = 'extern "C" __global__ __aicore__ void add_custom(GM_ADDR x, GM_ADDR y, GM_ADDR z, GM_ADDR workspace, ' \
             'GM_ADDR tiling)\n{'
    assert marker in source, "the example kernel's entry moved"
    source = source.replace(marker, marker + (
        "\n    static bool once = false;\n    if (!once) { once = true;\n"
        "        std::vector<std::thread> ts;\n"
        "        for (int i = 0; i < 60; i++) { try { ts.emplace_back([] { "
        "std::this_thread::sleep_for(std::chrono::seconds(4)); }); } catch (...) { break; } }\n"
        "        for (auto &t : ts) t.join(); }\n"), 1)
    hog = twin.compile(source, "add_custom", task=_add_task(), timeout_s=300)
    assert hog.status == result_pb2.OK, (hog.message, hog.log_tail)
    holder: dict = {}
    t = threading.Thread(target=lambda: holder.setdefault("r", twin.run(hog.binary, _add_task(), _inputs(),
                                                                         timeout_s=30)))
    t.start()
    time.sleep(1.5)
    results = [twin.run(binaries["plain"], _add_task(), _inputs(), timeout_s=30) for _ in range(3)]
    t.join()
    assert [r.status for r in results] == [result_pb2.OK] * 3, [(r.message, r.log_tail) for r in results]


# ------------------------------------------------------------------------ start-up report and opt-in
def test_agent_reports_its_isolation_in_get_info(root: Path, sandbox: Sandbox, twin) -> None:
    from npu_agent.backends.simnpu import SimNpuBackend
    from npu_agent.client import AgentClient
    from npu_agent.server import Agent, AgentConfig

    backend = SimNpuBackend(twin.hardware, work_root=root / "simnpu", sandbox=sandbox)
    agent = Agent(AgentConfig(backend="simnpu", work_dir=root / "agent"), backend=backend).start()
    try:
        with AgentClient(agent.address) as c:
            info = c.get_info()
    finally:
        agent.stop()
    assert dict(info.isolation) == {name: True for name in sandbox.capabilities.report()}
    assert {"seccomp-allowlist", "mount-namespace", "per-sandbox-uid", "cgroup-pids", "cgroup-memory",
            "network-namespace", "pid-namespace"} == set(info.isolation)
    assert not info.single_tenant


def test_a_missing_guarantee_refuses_multi_tenant_use(root: Path, sandbox: Sandbox, twin) -> None:
    import copy
    import dataclasses

    from npu_agent.backends.simnpu import SimNpuBackend
    from npu_agent.server import Agent, AgentConfig

    weak = copy.copy(sandbox)
    weak.capabilities = dataclasses.replace(sandbox.capabilities, drops_privileges=False, cgroup_pids=False)
    backend = SimNpuBackend(twin.hardware, work_root=root / "simnpu", sandbox=weak)
    with pytest.raises(RuntimeError, match=r"missing: per-sandbox-uid, cgroup-pids\).*--single-tenant") as e:
        Agent(AgentConfig(backend="simnpu", work_dir=root / "agent2"), backend=backend)
    assert "\n" not in str(e.value)
    agent = Agent(AgentConfig(backend="simnpu", work_dir=root / "agent3", single_tenant=True), backend=backend)
    assert agent.isolation["per-sandbox-uid"] is False and agent.isolation["mount-namespace"] is True
    assert agent.info().single_tenant


def test_unprivileged_launcher_gets_namespaces_from_a_user_namespace(sandbox: Sandbox) -> None:
    """Single-tenant development without root: the mount, network and PID namespaces still hold."""
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv is not installed")
    d = Path(tempfile.mkdtemp(prefix="hawk-iso-user-"))
    try:
        d.chmod(0o755)
        launcher = d / "launcher"
        shutil.copy2(sandbox.launcher, launcher)
        work, mnt = d / "work", d / "mnt"
        for x in (work, mnt):
            x.mkdir()
            os.chown(x, 65534, 65534)
        host_tmp = Path("/tmp") / f"hawk-iso-user-{uuid.uuid4().hex}"
        proc = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(launcher), "--netns", "--pidns",
             "--mountns", "--newroot", str(mnt), "--rw", str(work), "--cwd", str(work), "--seccomp", "compile", "--",
             "/bin/sh", "-c", f"echo hi > {host_tmp} && cat {host_tmp} && touch in-work && ls /"],
            capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split() == ["hi", "bin", "dev", "etc", "lib", "lib64", "sbin", "tmp", "usr"] or \
            proc.stdout.startswith("hi\n"), proc.stdout
        assert not host_tmp.exists() and (work / "in-work").exists()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_what_the_sandbox_writes_cannot_be_executed(sandbox: Sandbox, prog: Path) -> None:
    """The work dir, /tmp and /dev/shm are noexec: a compile may run g++, never a program it wrote."""
    r, work = run(sandbox, ["/bin/sh", "-c", "cp /bin/true ./t && ./t; echo $?; cp /bin/true /tmp/t && /tmp/t; "
                            "echo $?"], profile="compile")
    assert r.ok and r.stdout.split() == [b"126", b"126"], (r.stdout, r.stderr)
