"""Blame for failed compiles: the candidate's faults are COMPILE_ERROR (cached), ours are INTERNAL (never cached).

The table of cases runs through npu_agent.simnpu.blame.classify; the end-to-end cases compile hostile sources
with the real g++ in the real sandbox (an asm typo, an .incbin of a missing file, #include </dev/zero>, a macro
bomb) and starve a compile of processes, as another tenant's kernel could.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hawk.v1 import agent_pb2, result_pb2
from npu_agent.client import AgentClient
from npu_agent.sandbox import Limits
from npu_agent.simnpu import Twin
from npu_agent.simnpu.blame import Evidence, classify

S = result_pb2
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kernels" / "add_custom.cpp"
FORK_FAIL = "g++: fatal error: cannot execute '/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus': vfork: Resource temporarily unavailable\ncompilation terminated.\n"  # noqa: E501

CASES = [
    # (evidence, status, words in the reason)
    (Evidence(returncode=125, stderr="hawk-sandbox: unshare(CLONE_NEWNS): Operation not permitted\n"), S.INTERNAL,
     "sandbox could not start"),
    (Evidence(returncode=None, setup_failed="cgroup: cannot create /sys/fs/cgroup/pids/hawk-3"), S.INTERNAL,
     "sandbox could not start"),
    (Evidence(returncode=1, stderr=FORK_FAIL), S.INTERNAL, "could not start a process"),
    (Evidence(returncode=1, stderr="g++: fatal error: cannot fork\n"), S.INTERNAL, "could not start a process"),
    (Evidence(returncode=1, stderr="cc1plus: fatal error: kernel.s: No space left on device\n"), S.INTERNAL,
     "disk is full"),
    (Evidence(returncode=1, stderr="g++: fatal error: cannot execute 'cc1plus': execvp: No such file or directory\n"),
     S.INTERNAL, "compiler is missing"),
    (Evidence(returncode=127, stderr=""), S.INTERNAL, "compiler is missing"),
    (Evidence(returncode=None, signal=signal.SIGKILL, cancelled=True), S.CANCELLED, "cancelled"),
    (Evidence(returncode=None, signal=signal.SIGKILL), S.INTERNAL, "killed by signal"),
    # the candidate's own text never makes it ours
    (Evidence(returncode=1, stderr="kernel.cpp:1:2: error: #error No space left on device\n"), S.COMPILE_ERROR, ""),
    (Evidence(returncode=1, stderr="kernel.cpp: Assembler messages:\nkernel.cpp:9: Error: no such instruction: "
              "`cannot fork Resource temporarily unavailable'\n"), S.COMPILE_ERROR, "assembler"),
    (Evidence(returncode=1, stderr="{standard input}: Assembler messages:\n{standard input}:4: Error: file not "
              "found: /nonexistent\n"), S.COMPILE_ERROR, "assembler"),
    (Evidence(returncode=None, signal=signal.SIGKILL, timed_out=True, timeout_s=60), S.COMPILE_ERROR,
     "exceeded its 60 s deadline"),
    (Evidence(returncode=None, signal=signal.SIGXCPU, cpu_seconds=120), S.COMPILE_ERROR, "CPU time limit of 120 s"),
    (Evidence(returncode=None, signal=signal.SIGXFSZ, file_size_bytes=256 << 20), S.COMPILE_ERROR,
     "output size limit of 256 MiB"),
    (Evidence(returncode=1, stderr="cc1plus: out of memory allocating 1073741840 bytes\n", memory_bytes=1 << 30),
     S.COMPILE_ERROR, "memory limit of 1024 MiB"),
    (Evidence(returncode=1, stderr="virtual memory exhausted: Cannot allocate memory\n"), S.COMPILE_ERROR,
     "memory limit"),
    (Evidence(returncode=1, stderr="g++: fatal error: Killed signal terminated program cc1plus\n"), S.COMPILE_ERROR,
     "memory limit"),
    (Evidence(returncode=1, stderr="kernel.cpp:3:5: internal compiler error: Segmentation fault\n"), S.COMPILE_ERROR,
     "compiler crashed"),
    (Evidence(returncode=1, stderr="kernel.cpp:3:5: error: expected ';'\n"), S.COMPILE_ERROR, "reported errors"),
]


@pytest.mark.parametrize("evidence, status, words", CASES)
def test_classification_table(evidence: Evidence, status: int, words: str) -> None:
    verdict = classify(evidence)
    assert verdict.status == status, verdict.reason
    assert words in verdict.reason and "\n" not in verdict.reason


# ------------------------------------------------------------------------------------ real g++, real sandbox
@pytest.fixture(scope="module")
def twin_root() -> Iterator[Path]:
    shared = os.environ.get("HAWK_SIM_WORK_ROOT")
    root = Path(shared) if shared else Path(tempfile.mkdtemp(prefix="hawk-blame-"))
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(root.stat().st_mode | 0o711)
    yield root
    if not shared:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def twin(twin_root: Path) -> Iterator[Twin]:
    cache = Path(tempfile.mkdtemp(prefix="hawk-blame-cache-", dir=twin_root))
    t = Twin("ascend910b2", work_root=twin_root, cache_dir=cache)
    # Small limits, so the bombs end in a second or two without taking the shared machine's memory.
    t.compiler.limits = Limits(cpu_seconds=30, address_space_bytes=1 << 30, file_size_bytes=64 << 20, processes=32,
                               open_files=256)
    yield t
    shutil.rmtree(cache, ignore_errors=True)


def _example(prefix: str = "", in_entry: str = "") -> str:
    src = EXAMPLE.read_text()
    if in_entry:
        src = src.replace('extern "C"', f"__attribute__((used)) static void hawk_hostile() {{ {in_entry} }}\n"
                          'extern "C"', 1)
    return prefix + src


BOMB = "#define A0 1+\n" + "".join(f"#define A{i} A{i - 1} A{i - 1}\n" for i in range(1, 41)) + "int hawk_bomb = A40 0;\n"

HOSTILE = {
    "asm_typo": (_example(in_entry='asm volatile("movx %eax, %ebx");'), "no such instruction"),
    "incbin_missing": (_example('asm(".incbin \\"/nonexistent/hawk-blame.bin\\"");\n'), "file not found"),
    # Inside the compile's mount namespace /dev sits on a nodev mount, so the read fails at once; without it the
    # endless read hits the deadline. Either way it is the source's fault.
    "include_dev_zero": (_example("#include </dev/zero>\n"), ("exceeded", "/dev/zero")),
    "macro_bomb": (_example(BOMB), "exceeded"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_candidate_caused_compile_failures_are_compile_errors(twin: Twin, name: str) -> None:
    source, words = HOSTILE[name]
    r = twin.compiler.compile(source, "add_custom", timeout_s=20)
    assert r.status == S.COMPILE_ERROR, (r.status, r.message, r.log_tail[-500:])
    words = (words,) if isinstance(words, str) else words
    assert any(w in r.message or any(w in d.message for d in r.diagnostics) for w in words), r.message
    assert "\n" not in r.message and r.diagnostics
    # A property of the source: cached, so a repeat costs nothing.
    assert twin.compiler.compile(source, "add_custom", timeout_s=20).cached


def test_a_compile_starved_of_processes_is_internal_and_never_cached(twin: Twin) -> None:
    """Another tenant holding the sandbox uid's processes: g++ cannot fork (it retries for 15 s, then says so)."""
    source = _example("// starved\n")
    limits = twin.compiler.limits
    twin.compiler.limits = Limits(cpu_seconds=30, address_space_bytes=1 << 30, file_size_bytes=64 << 20,
                                  processes=1, open_files=256)
    r = twin.compiler.compile(source, "add_custom", timeout_s=40)
    # With a pids cgroup per sandbox the launcher's own fork may be the one refused: still ours, never cached.
    assert r.status == S.INTERNAL and ("could not start a process" in r.message
                                       or "could not start the compiler" in r.message), (r.status, r.message)
    twin.compiler.limits = limits
    again = twin.compiler.compile(source, "add_custom", timeout_s=40)
    assert again.status == S.OK and not again.cached


def test_use_cache_false_compiles_again_and_refreshes_the_entry(twin: Twin) -> None:
    source = _example("// bypass\n")
    first = twin.compiler.compile(source, "add_custom")
    assert first.status == S.OK and twin.compiler.compile(source, "add_custom").cached
    again = twin.compiler.compile(source, "add_custom", use_cache=False)
    assert again.status == S.OK and not again.cached and again.binary.exists()


def test_bypass_cache_reaches_the_compile_cache_through_the_agent(twin_root: Path) -> None:
    from npu_agent.backends.simnpu import SimNpuBackend
    from npu_agent.hardware import load_profile
    from npu_agent.sandbox import Sandbox
    from npu_agent.server import Agent, AgentConfig
    from tests.agent.test_hostile import fp16_add_task

    cache = Path(tempfile.mkdtemp(prefix="hawk-blame-agent-", dir=twin_root))
    backend = SimNpuBackend(load_profile("ascend910b2"), work_root=twin_root, sandbox=Sandbox(twin_root / "sandbox"))
    cache.chmod(0o755)  # the sandbox uid runs the binaries kept there
    backend.twin.compiler.cache_dir = cache
    agent = Agent(AgentConfig(backend="simnpu", devices=1, compile_workers=1), backend=backend).start()
    try:
        with AgentClient(agent.address) as c:
            [h] = c.put_task(fp16_add_task())
            opts = agent_pb2.EvaluateOptions(skip_profile=True, verify_sets=1)
            assert c.evaluate(h, EXAMPLE.read_text(), options=opts).status == S.OK
            [entry] = [p for p in cache.iterdir() if not p.name.startswith(".")]
            before = entry.stat().st_ino
            assert c.evaluate(h, EXAMPLE.read_text(), options=opts).cached
            bypass = agent_pb2.EvaluateOptions(skip_profile=True, verify_sets=1, bypass_cache=True)
            r = c.evaluate(h, EXAMPLE.read_text(), options=bypass)
            assert r.status == S.OK and not r.cached
            assert entry.stat().st_ino != before  # compiled again, not answered from the compile cache
    finally:
        agent.stop()
        shutil.rmtree(cache, ignore_errors=True)


def test_an_infrastructure_failure_is_never_cached(start_agent) -> None:
    from tests.agent.helpers import add_task

    agent = start_agent(devices=1)
    with AgentClient(agent.address) as c:
        h = c.put_task(add_task())[0]
        first = c.evaluate(h, "// hawk-null: fail=internal\n")
        again = c.evaluate(h, "// hawk-null: fail=internal\n")
    assert first.status == again.status == S.INTERNAL
    assert not again.cached
