"""On a host with CANN and an Ascend NPU (HAWK_CANN_TESTS=1): the same candidates evaluated by a twin agent and a
cann agent give the same verdict, and their profiles agree where both measure the same thing (block dim,
bottleneck); each hardware-exception class the twin raises is raised by the device too. Elsewhere every test here
is skipped, saying why. Differences are printed so the twin can be recalibrated from the run."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hawk.v1 import agent_pb2, task_pb2
from hawk.v1 import result_pb2 as S
from npu_agent.hardware import available_profiles
from npu_agent.taskspec import load_task_file
from tests.agent.cann.conftest import device_install
from tests.simnpu.helpers import EXAMPLE_TASKS, EXAMPLES, kernel_source, marked_line, tensor
from tests.simnpu.test_checker import CASES

pytestmark = pytest.mark.cann_device
OPTS = agent_pb2.EvaluateOptions(verify_sets=2)


@pytest.fixture(scope="module")
def agents() -> Iterator[dict[str, object]]:
    """A twin agent and a cann agent for this host's chip, started once (only where CANN and an NPU exist)."""
    install = device_install()
    profile = install.soc_version.lower()
    if profile not in available_profiles():
        pytest.skip(f"device test: no hardware profile for this host's {install.soc_version}")
    from npu_agent.client import AgentClient
    from npu_agent.pipeline import StageTimeouts
    from npu_agent.server import Agent, AgentConfig

    work = Path(tempfile.mkdtemp(prefix="hawk-cann-device-"))
    work.chmod(0o711)
    started = {}
    for backend in ("simnpu", "cann"):
        (work / backend).mkdir()
        started[backend] = Agent(AgentConfig(
            backend=backend, hardware=profile, devices=1, compile_workers=2, work_dir=work / backend,
            single_tenant=True, timeouts=StageTimeouts(compile_s=600, verify_s=300, profile_s=600))).start()
    clients = {b: AgentClient(a.address) for b, a in started.items()}
    yield clients
    for c in clients.values():
        c.close()
    for a in started.values():
        a.stop()
    shutil.rmtree(work, ignore_errors=True)


def both(agents, spec: task_pb2.TaskSpec, source: str) -> dict[str, S.Result]:
    out = {}
    for backend, client in agents.items():
        (task_hash,) = client.put_task(spec)
        out[backend] = client.evaluate(task_hash, source, options=OPTS, timeout_s=1800)
    twin, dev = out["simnpu"], out["cann"]
    print(f"\n{spec.name}: twin {S.Status.Name(twin.status)} {twin.profile.time_us:.2f} us, device "
          f"{S.Status.Name(dev.status)} {dev.profile.time_us:.2f} us ({dev.message})")
    return out


def example(name: str) -> task_pb2.TaskSpec:
    return {d.name: d.spec for d in load_task_file(EXAMPLE_TASKS)}[name]


@pytest.mark.parametrize("kernel", ["add_custom", "matmul_custom"])
def test_sample_kernels_agree_with_the_twin(agents, kernel) -> None:
    spec = next(s for s in (d.spec for d in load_task_file(EXAMPLE_TASKS)) if s.kernel_entry == kernel)
    r = both(agents, spec, (EXAMPLES / f"{kernel}.cpp").read_text())
    twin, dev = r["simnpu"], r["cann"]
    assert twin.status == dev.status == S.OK, f"twin: {twin.message} | device: {dev.message}\n{dev.log_tail}"
    assert dev.profile.block_dim == twin.profile.block_dim
    assert dev.profile.bottleneck == twin.profile.bottleneck, (dev.profile.bottleneck, twin.profile.bottleneck)
    assert dev.profile.time_us > 0


@pytest.mark.parametrize("kernel", sorted(CASES))
def test_hardware_exception_classes_agree_with_the_twin(agents, kernel) -> None:
    kind = CASES[kernel][0]
    spec = task_pb2.TaskSpec(name=f"fault_{kernel.removesuffix('.cpp')}", kernel_entry="fault_kernel",
                             inputs=[tensor("x", [256])], outputs=[tensor("z", [256])],
                             reference_source="def reference(x):\n    return x\n", reference_entry="reference",
                             default_block_dim=4)
    source = kernel_source(kernel)
    r = both(agents, spec, source)
    twin, dev = r["simnpu"], r["cann"]
    assert twin.status == S.HARDWARE_EXCEPTION and twin.exception.kind == kind
    assert dev.status == S.HARDWARE_EXCEPTION, f"device: {S.Status.Name(dev.status)} {dev.message}\n{dev.log_tail}"
    assert dev.exception.kind == kind, dev.exception
    if dev.exception.source_line:
        assert dev.exception.source_line == marked_line(source, "// FAULT")
