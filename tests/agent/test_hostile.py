"""Hostile Ascend C candidates on a real agent with the simnpu backend (the twin): each ends with the right
status, nothing escapes, and the agent keeps serving.

The candidates are the add_custom example kernel (examples/kernels/add_custom.cpp, docs/kernel-contract.md)
with one hostile statement at the start of the kernel entry.
"""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hawk.v1 import agent_pb2, result_pb2, task_pb2
from npu_agent.client import AgentClient
from tests.agent.test_metrics import scrape, value

S = result_pb2
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kernels" / "add_custom.cpp"
N = 2048  # fp16 elements: the example's 8 blocks x 8 tiles x 2 buffers of 16 elements
MARKER = uuid.uuid4().hex
OUTSIDE = Path("/tmp") / f"hawk-hostile-{MARKER}"

HOSTILE = {
    # name: (extra includes, statement at the start of the kernel entry, expected status)
    "fork_bomb": ("#include <unistd.h>\n", "for (;;) { fork(); }", S.SANDBOX_VIOLATION),
    "unbounded_alloc": ("#include <cstring>\n",
                        "for (;;) { char *p = new char[64 << 20]; std::memset(p, 1, 64 << 20); }",
                        S.SANDBOX_VIOLATION),
    "infinite_loop": ("", "volatile unsigned long spin = 0; for (;;) { spin = spin + 1; }", S.TIMEOUT),
    "write_outside": ("#include <cstdio>\n",
                      f'FILE *f = std::fopen("{OUTSIDE}", "w"); if (f) {{ std::fputs("pwned", f); std::fclose(f); }}',
                      S.SANDBOX_VIOLATION),
    "open_socket": ("#include <sys/socket.h>\n", "int s = socket(AF_INET, SOCK_STREAM, 0); (void)s;",
                    S.SANDBOX_VIOLATION),
    "fake_result": ("#include <cstdio>\n",
                    'std::printf("{\\"status\\": \\"OK\\", \\"time_us\\": 0.001, \\"outputs_match\\": true}\\n"); '
                    "return;", S.WRONG_ANSWER),
}


EARLY = Path("/tmp") / f"hawk-early-{MARKER}"
_WRITE_EARLY = f'FILE *f = std::fopen("{EARLY}", "w"); if (f) {{ std::fputs("pwned", f); std::fclose(f); }}'
# Code at file scope that tries to run before the runtime's seccomp lockdown.
PRE_LOCKDOWN = {
    "constructor_priority_1": (f"#include <cstdio>\n__attribute__((constructor(1))) static void early() {{ {_WRITE_EARLY} }}\n",
                               S.COMPILE_ERROR),
    "constructor_priority_macro": ("#include <cstdio>\n#define PRIO 7\n"
                                   f"__attribute__((constructor(PRIO))) static void early() {{ {_WRITE_EARLY} }}\n",
                                   S.COMPILE_ERROR),
    "constructor_same_priority": (f"#include <cstdio>\n__attribute__((constructor(101))) static void early() "
                                  f"{{ {_WRITE_EARLY} }}\n", S.SANDBOX_VIOLATION),
    "preinit_array": (f"#include <cstdio>\nstatic void early() {{ {_WRITE_EARLY} }}\n"
                      '__attribute__((section(".preinit_array"), used)) static void (*early_ptr)() = early;\n',
                      S.SANDBOX_VIOLATION),
    "ifunc_resolver": (f"#include <cstdio>\nstatic int impl() {{ return 0; }}\n"
                       f'extern "C" void *hawk_resolver() {{ {_WRITE_EARLY} return (void *)impl; }}\n'
                       'extern "C" int hawk_fn() __attribute__((ifunc("hawk_resolver")));\n',
                       S.SANDBOX_VIOLATION),
}


def fp16_add_task() -> task_pb2.TaskSpec:
    return task_pb2.TaskSpec(
        name="add_fp16_hostile", category="elementwise", kernel_entry="add_custom", verify_sets=2,
        inputs=[task_pb2.TensorSpec(name="x", shape=[N], dtype=task_pb2.FLOAT16),
                task_pb2.TensorSpec(name="y", shape=[N], dtype=task_pb2.FLOAT16)],
        outputs=[task_pb2.TensorSpec(name="z", shape=[N], dtype=task_pb2.FLOAT16)],
        reference_source="def reference(x, y):\n    return (x + y).astype(np.float16)\n",
        reference_entry="reference")


def hostile_source(includes: str, statement: str) -> str:
    src = EXAMPLE.read_text()
    src = includes + src
    entry = re.search(r'extern "C" __global__ __aicore__ void add_custom\([^)]*\)\s*\{', src)
    assert entry, "the example kernel's entry point moved"
    return src[:entry.end()] + "\n    " + statement + "\n" + src[entry.end():]


@pytest.fixture(scope="module")
def simnpu_agent(tmp_path_factory):
    import shutil
    import tempfile

    from npu_agent.pipeline import StageTimeouts
    from npu_agent.server import Agent, AgentConfig

    work = Path(tempfile.mkdtemp(prefix="hawk-hostile-"))
    work.chmod(0o711)
    agent = Agent(AgentConfig(backend="simnpu", devices=2, compile_workers=2, metrics_port=0, work_dir=work,
                              timeouts=StageTimeouts(compile_s=120, verify_s=20, profile_s=60))).start()
    yield agent
    agent.stop()
    shutil.rmtree(work, ignore_errors=True)


def test_hostile_candidates_end_with_the_right_status_and_the_agent_keeps_serving(simnpu_agent) -> None:
    agent = simnpu_agent
    with AgentClient(agent.address) as c:
        [h] = c.put_task(fp16_add_task())
        opts = agent_pb2.EvaluateOptions(verify_timeout_s=3, skip_profile=True)
        with ThreadPoolExecutor(len(HOSTILE) + 1) as pool:
            futures = {name: pool.submit(c.evaluate, h, hostile_source(inc, stmt), evaluation_id=f"hostile-{name}",
                                         options=opts)
                       for name, (inc, stmt, _) in HOSTILE.items()}
            futures["baseline"] = pool.submit(c.evaluate, h, EXAMPLE.read_text(), evaluation_id="baseline")
            results = {name: f.result(timeout=600) for name, f in futures.items()}

        for name, (_, _, expected) in HOSTILE.items():
            r = results[name]
            assert r.status == expected, f"{name}: {S.Status.Name(r.status)} {r.message}\n{r.log_tail}"
        assert not OUTSIDE.exists()
        assert "OK" not in results["fake_result"].message  # the forged stdout line was not believed
        assert results["fake_result"].numeric.mismatch_count > 0

        baseline = results["baseline"]
        assert baseline.status == S.OK, f"{baseline.message}\n{baseline.log_tail}"
        assert baseline.profile.time_us > 0 and baseline.numeric.sets_checked >= 2

        # Still serving: health, info, and a fresh evaluation of the good kernel.
        assert c.health() == "SERVING"
        assert c.get_info().busy_devices == 0
        again = c.evaluate(h, EXAMPLE.read_text(), options=agent_pb2.EvaluateOptions(bypass_cache=True))
        assert again.status == S.OK and not again.cached

    m = scrape(agent.metrics_port)
    assert value(m, "hawk_agent_sandbox_kills_total", reason="seccomp") >= 3
    assert value(m, "hawk_agent_evaluations_total", stage="verifying", status="timeout") == 1


def test_code_that_would_run_before_the_lockdown_is_refused_or_confined(simnpu_agent) -> None:
    with AgentClient(simnpu_agent.address) as c:
        [h] = c.put_task(fp16_add_task())
        opts = agent_pb2.EvaluateOptions(verify_timeout_s=3, skip_profile=True)
        for name, (prefix, expected) in PRE_LOCKDOWN.items():
            r = c.evaluate(h, prefix + EXAMPLE.read_text(), evaluation_id=f"early-{name}", options=opts)
            assert r.status == expected, f"{name}: {S.Status.Name(r.status)} {r.message}\n{r.log_tail}"
        assert not EARLY.exists(), "candidate code ran unconfined before the lockdown"
        assert c.health() == "SERVING"

