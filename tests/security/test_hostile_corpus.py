"""The hostile corpus (tests/security/hostile/*.cpp) against a real simnpu agent process with a token, while
another tenant's correct kernels run on the same agent.

Escapes are found by evidence, not by status: files the kernels try to create on the host (named after the
run's marker and the case), per-case canary files that must stay byte-for-byte and mode-for-mode the same,
host listeners (TCP, UDP, a unix socket by path, an abstract unix socket) that must never see a connection, a
bystander process that must stay alive, secrets (the token, a value only the agent's environment holds, a
root-only file, the other tenant's source) that must never appear in anything returned, profiles that must not
be faster than the task's hardware floor, the other tenant's results that must all be OK, and the agent that
must still be healthy afterwards. Each case must also end with one of the statuses its header names; INTERNAL
never is one (what a candidate does is its own fault).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hawk.v1 import agent_pb2, result_pb2
from npu_agent.floor import floor as task_floor
from tests.security.corpus import CLASSES, honest_source, load_corpus, render, skipped_cases
from tests.security.corpus import fp16_add_task as add_task
from tests.security.procs import AgentProcess

S = result_pb2
pytestmark = pytest.mark.timeout(900)  # the first test also runs the corpus (the module's shared fixture)
CASES = load_corpus()
HONEST = 12  # the other tenant's correct kernels, interleaved with the hostile ones
OPTIONS = agent_pb2.EvaluateOptions(verify_timeout_s=4, profile_timeout_s=20, compile_timeout_s=25,
                                    bypass_cache=True)
# Cases whose text the compiler refuses by design; every other case that may end COMPILE_ERROR must compile as
# plain C++ (so that the COMPILE_ERROR it gets is the defence's doing, not a typo in the corpus).
REFUSED_BY_DESIGN = {"constructor_priority_1"}


class Listener:
    """A host socket the sandbox must not reach; remembers whether anything connected or sent to it."""

    def __init__(self, family: int, kind: int, address) -> None:
        self.hits: list[str] = []
        self.sock = socket.socket(family, kind)
        self.sock.bind(address)
        if kind == socket.SOCK_STREAM:
            self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.kind = kind
        self.address = self.sock.getsockname()
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                if self.kind == socket.SOCK_STREAM:
                    conn, _ = self.sock.accept()
                    conn.settimeout(1)
                    with conn, contextlib.suppress(OSError):
                        self.hits.append("connection: " + conn.recv(64).decode(errors="replace"))
                else:
                    data = self.sock.recv(64)
                    self.hits.append("datagram: " + data.decode(errors="replace"))
            except (TimeoutError, OSError):
                continue

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


def _prestarted_reference(proc: Path, cwd: str) -> bool:
    """The agent's own pre-started reference process (npu_agent/references.py), idle in its work dir waiting for the
    next job's `go`: there by design, not a candidate's process."""
    argv = (proc / "cmdline").read_bytes().split(b"\0")
    return "/sandbox/work/reference-" in cwd and b"runner.py" in argv and b"go" in argv


def _fingerprint(p: Path) -> tuple | None:
    try:
        st = p.lstat()
        if not stat.S_ISREG(st.st_mode):  # a FIFO (a pre-started reference's `go`) would block a read
            return (st.st_mode, st.st_uid, st.st_size, "")
        return (st.st_mode, st.st_uid, st.st_size, hashlib.sha256(p.read_bytes()).hexdigest())
    except OSError:
        return None


@dataclass
class Arena:
    agent: AgentProcess
    mark: str
    values: dict[str, str]
    canaries: dict[str, dict[Path, tuple | None]]
    secrets: dict[str, str]
    listeners: dict[str, Listener]
    victim: subprocess.Popen
    floor_us: float
    results: dict[str, result_pb2.Result | BaseException] = field(default_factory=dict)
    honest: list[result_pb2.Result | BaseException] = field(default_factory=list)
    host_files: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    def honest_time_us(self) -> float:
        times = [r.profile.time_us for r in self.honest
                 if isinstance(r, result_pb2.Result) and r.status == S.OK and r.profile.time_us > 0]
        return min(times, default=0.0)

    def case_values(self, name: str) -> dict[str, str]:
        d = self.values["CANARY_DIR"]
        return {**self.values, "CANARY": f"{d}/{name}.canary", "CANARY2": f"{d}/{name}.canary2"}


def _host_files(mark: str, roots: list[Path]) -> list[Path]:
    """Every file on the host whose name carries the run's marker (the kernels name what they create so)."""
    found: list[Path] = []
    for root in roots:
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            found += [Path(dirpath, n) for n in filenames + dirnames if mark in n]
            if Path(dirpath) != root and root in (Path("/tmp"), Path("/var/tmp"), Path.home()):
                dirnames[:] = []  # only the top level of shared directories
    return found


@pytest.fixture(scope="module")
def arena(simnpu_agent: AgentProcess) -> Iterator[Arena]:
    mark = "hawksuite" + uuid.uuid4().hex[:12]
    canary_dir = Path(tempfile.mkdtemp(prefix=f"{mark}-canaries-"))
    canary_dir.chmod(0o777)  # world-writable: only the sandbox can keep a kernel out
    canaries: dict[str, dict[Path, tuple | None]] = {}
    for c in CASES:
        files = [canary_dir / f"{c.name}.canary", canary_dir / f"{c.name}.canary2"]
        for f in files:
            f.write_text(f"canary of {c.name}\n")
            f.chmod(0o666)
        canaries[c.name] = {f: _fingerprint(f) for f in files}

    secret_file = Path(tempfile.mkdtemp(prefix="hawk-suite-secret-")) / "secret"
    secrets = {"secret file": "root-only-" + uuid.uuid4().hex}
    secret_file.write_text(secrets["secret file"] + "\n")
    secret_file.chmod(0o600)

    unix_path = f"/tmp/{mark}.sock"
    listeners = {
        "socket_inet_tcp": Listener(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 0)),
        "socket_inet_udp": Listener(socket.AF_INET, socket.SOCK_DGRAM, ("127.0.0.1", 0)),
        "socket_unix_path": Listener(socket.AF_UNIX, socket.SOCK_STREAM, unix_path),
        "socket_unix_abstract": Listener(socket.AF_UNIX, socket.SOCK_STREAM, f"\0{mark}-abstract"),
    }
    os.chmod(unix_path, 0o777)
    victim = subprocess.Popen(["sleep", "900"], user=65534 if os.geteuid() == 0 else None)

    agent = simnpu_agent
    if not agent.alive():
        agent.start(wait_s=300)
    secrets["token"] = agent.token
    secrets["agent environment"] = agent.secret_env
    other = "tenantB" + uuid.uuid4().hex
    secrets["other tenant's source"] = other
    values = {
        "MARK": mark, "WORK_ROOT": str(agent.work_dir), "HOME": str(Path.home()),
        "TOKEN_FILE": str(agent.token_file), "SECRET_FILE": str(secret_file), "AGENT_PID": str(agent.pid),
        "AGENT_PORT": str(agent.port), "VICTIM_PID": str(victim.pid), "CANARY_DIR": str(canary_dir),
        "TCP_PORT": str(listeners["socket_inet_tcp"].address[1]),
        "UDP_PORT": str(listeners["socket_inet_udp"].address[1]),
        "UNIX_SOCK": unix_path, "ABSTRACT": f"{mark}-abstract",
        "SIM_ROOT": os.environ.get("HAWK_SIM_WORK_ROOT", str(agent.work_dir)),
    }
    task = add_task()
    a = Arena(agent, mark, values, canaries, secrets, listeners, victim, task_floor(task).floor_us)
    t0 = time.monotonic()
    try:
        with agent.client(timeout_s=300) as c:
            [h] = c.put_task(task)

            def run(name: str, source: str):
                try:
                    return c.evaluate(h, source, evaluation_id=f"{mark}-{name}", options=OPTIONS, timeout_s=300)
                except Exception as e:  # an RPC failure is a finding of its own, reported by the case
                    return e

            jobs: list[tuple[str, str]] = []
            for i, case in enumerate(CASES):
                if case.name in skipped_cases():
                    continue
                if i % (len(CASES) // HONEST + 1) == 0:
                    jobs.append((f"honest-{len(jobs)}", honest_source(f"{other}-{len(jobs)}")))
                jobs.append((case.name, render(case, a.case_values(case.name))))
            with ThreadPoolExecutor(12) as pool:
                futures = {name: pool.submit(run, name, src) for name, src in jobs}
                for name, f in futures.items():
                    r = f.result()
                    if name.startswith("honest-"):
                        a.honest.append(r)
                    else:
                        a.results[name] = r
        a.seconds = time.monotonic() - t0
        time.sleep(1.0)  # let a leaked child that outlived its kernel finish writing
        a.host_files = _host_files(mark, [Path("/tmp"), Path("/dev/shm"), Path("/var/tmp"), Path.home(),
                                          agent.work_dir])
        yield a
    finally:
        for lst in listeners.values():
            lst.close()
        victim.kill()
        victim.wait()
        for p in _host_files(mark, [Path("/tmp"), Path("/dev/shm"), Path("/var/tmp"), Path.home()]):
            with contextlib.suppress(OSError):
                shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
        shutil.rmtree(canary_dir, ignore_errors=True)
        shutil.rmtree(secret_file.parent, ignore_errors=True)


def _returned_text(r: result_pb2.Result) -> bytes:
    """Everything a Result hands back to the candidate's owner, as bytes to search."""
    return r.SerializeToString()


def _leaks(blob: bytes, secrets: dict[str, str]) -> list[str]:
    return [f"{what} returned" for what, v in secrets.items() if v.encode() in blob]


@pytest.mark.parametrize("hostile", CASES, ids=[c.name for c in CASES])
def test_hostile_case(hostile, arena: Arena, ledger, case: str) -> None:
    if hostile.name in skipped_cases():
        pytest.skip("listed in HAWK_SUITE_SKIP_CASES")
    r = arena.results[hostile.name]
    evidence: list[str] = []
    evidence += [f"host file {p}" for p in arena.host_files if f"{arena.mark}-{hostile.name}" in p.name]
    for f, before in arena.canaries[hostile.name].items():
        if _fingerprint(f) != before:
            evidence.append(f"canary {f.name} changed")
    if hostile.name in arena.listeners and arena.listeners[hostile.name].hits:
        evidence.append(f"host listener reached: {arena.listeners[hostile.name].hits[:2]}")
    if isinstance(r, result_pb2.Result):
        evidence += _leaks(_returned_text(r), arena.secrets)
        if r.status == S.OK:
            if r.profile.time_us and r.profile.time_us < arena.floor_us * 0.999:
                evidence.append(f"profile {r.profile.time_us:.4g} us below the floor {arena.floor_us:.4g} us")
            # The fp16 add's floor is launch-bound, so it is a weak bound; a forgery case does the same work as
            # the honest example with scalar code or none at all, which is never faster than the vector API.
            honest = arena.honest_time_us()
            if hostile.cls == "profile_forgery" and honest and 0 < r.profile.time_us < honest * 0.9:
                evidence.append(f"profile {r.profile.time_us:.4g} us faster than the honest API kernel's "
                                f"{honest:.4g} us for the same work")
            if r.numeric.sets_checked < 1 or r.numeric.mismatch_count:
                evidence.append("OK without a verified output")
    for e in evidence:
        ledger.escape(case, e)
    assert not evidence, f"{hostile.name} ({hostile.tries}) escaped: {evidence}"
    assert isinstance(r, result_pb2.Result), f"{hostile.name}: the RPC failed: {r}"
    expected = " ".join(S.Status.Name(s) for s in sorted(hostile.expect))
    assert r.status in hostile.expect, (f"{hostile.name} ({hostile.tries}): {S.Status.Name(r.status)}, expected "
                                        f"{expected}: {r.message}\n{r.log_tail[-1500:]}")


def test_the_other_tenant_stays_correct(arena: Arena, ledger, case: str) -> None:
    """Correct kernels evaluated next to the corpus on the same agent: all OK, none from the cache."""
    bad = [(i, r if isinstance(r, BaseException) else f"{S.Status.Name(r.status)} {r.message[:200]}")
           for i, r in enumerate(arena.honest)
           if isinstance(r, BaseException) or r.status != S.OK or r.cached]
    if bad:
        ledger.escape(case, f"{len(bad)} of {len(arena.honest)} correct kernels of the other tenant spoiled: {bad[:3]}")
    assert not bad


def test_bystanders_and_the_agent_survive(arena: Arena, ledger, case: str) -> None:
    evidence = []
    if arena.victim.poll() is not None:
        evidence.append(f"bystander process {arena.victim.pid} was killed")
    if not arena.agent.alive():
        evidence.append("the agent process died")
    elif not arena.agent.healthy():
        evidence.append("the agent is not SERVING")
    else:
        with arena.agent.client(timeout_s=120) as c:
            [h] = c.put_task(add_task())
            r = c.evaluate(h, honest_source("after-the-corpus"), options=OPTIONS)
            if r.status != S.OK:
                evidence.append(f"a correct kernel after the corpus: {S.Status.Name(r.status)} {r.message[:200]}")
            if c.get_info().busy_devices:
                evidence.append("device slots still busy after the corpus")
    leftovers = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            with contextlib.suppress(OSError):
                cwd = os.readlink(p / "cwd")
                if str(arena.agent.work_dir) in cwd and int(p.name) != arena.agent.pid \
                        and not _prestarted_reference(p, cwd):
                    leftovers.append(p.name)
    if leftovers:
        evidence.append(f"candidate processes outlived their evaluation: {leftovers[:5]}")
    for e in evidence:
        ledger.escape(case, e)
    assert not evidence


def test_no_secret_is_stored_by_the_agent(arena: Arena, ledger, case: str) -> None:
    """Diagnostics and logs the agent keeps (compile cache, work dir) hold no secret either."""
    found = []
    for dirpath, _, files in os.walk(arena.agent.work_dir):
        for n in files:
            p = Path(dirpath, n)
            with contextlib.suppress(OSError):
                st = p.lstat()
                if stat.S_ISREG(st.st_mode) and st.st_size < 4 << 20:  # not a FIFO: a read would block
                    blob = p.read_bytes()
                    found += [f"{w} in {p}" for w in _leaks(blob, {k: v for k, v in arena.secrets.items()
                                                                   if k != "other tenant's source"})]
    for e in found:
        ledger.escape(case, e)
    assert not found, found[:5]


def test_corpus_covers_every_class() -> None:
    names = {c.cls for c in CASES}
    assert len(CASES) >= 60 and names == set(CLASSES), (len(CASES), set(CLASSES) - names)


def test_corpus_cases_compile_as_plain_cpp(arena: Arena) -> None:
    """A hostile case that may end COMPILE_ERROR must be a real attempt: it compiles as plain C++, so that its
    COMPILE_ERROR is the defence's doing and not a typo in the corpus."""
    include = Path(__file__).resolve().parents[2] / "npu_agent" / "simnpu" / "include"
    todo = [c for c in CASES if S.COMPILE_ERROR in c.expect and not c.compile_time_only
            and c.name not in REFUSED_BY_DESIGN]
    work = Path(tempfile.mkdtemp(prefix="hawk-suite-syntax-"))

    def check(c) -> str | None:
        f = work / f"{c.name}.cpp"
        f.write_text(render(c, arena.case_values(c.name)))
        p = subprocess.run(["g++", "-std=c++17", "-fsyntax-only", "-pthread", "-Werror=prio-ctor-dtor",
                            f"-I{include}", str(f)], capture_output=True, text=True, timeout=120)
        return f"{c.name}: {p.stderr[-600:]}" if p.returncode else None

    try:
        with ThreadPoolExecutor(2) as pool:
            errors = [e for e in pool.map(check, todo) if e]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert not errors, "\n".join(errors)


def test_corpus_run_time(arena: Arena) -> None:
    """The corpus shares one agent and runs concurrently; it must stay inside the suite's time budget."""
    assert arena.seconds < 240, f"the corpus took {arena.seconds:.0f} s"
