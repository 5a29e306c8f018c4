"""CannBackend on a host without an NPU, against a laid-out toolkit: what it does with each outcome it can reach
here. A shape it does not build is REJECTED; a toolchain that cannot build (this toolkit's ascendc.cmake defines
nothing) is INTERNAL and never cached; a run on an NPU whose node is missing is INTERNAL, never the candidate's
fault; the launcher's stage decides between INTERNAL (before the launch) and RUNTIME_ERROR (from the launch on)."""

from __future__ import annotations

import json

import pytest

from hawk.v1 import result_pb2 as S
from npu_agent.backends.cann import CannBackend, launch
from npu_agent.backends.cann.backend import classify_failure
from npu_agent.hardware import load_profile
from tests.simnpu.helpers import EXAMPLES, KERNELS, task, tensor


@pytest.fixture
def backend(toolkit, cann_sandbox, tmp_path):
    install, _ = toolkit
    b = CannBackend(load_profile("ascend910b2"), work_root=tmp_path / "cann", sandbox=cann_sandbox, install=install)
    yield b
    b.close()


def matmul():
    return task("matmul_custom", [tensor("a", [64, 64]), tensor("b", [64, 64])], [tensor("c", [64, 64])], block_dim=2)


def test_unsupported_shape_is_rejected(backend) -> None:
    d = KERNELS.parent / "projects" / "direct_relu"
    from npu_agent.candidate import Candidate

    out = backend.compile(Candidate.from_path(d), task("relu_custom", [tensor("x", [4096])], [tensor("y", [4096])]),
                          timeout_s=30)
    assert out.status == S.REJECTED and "host main() is not run" in out.message


def test_toolchain_failure_is_internal_and_not_cached(backend) -> None:
    source = (EXAMPLES / "matmul_custom.cpp").read_text()
    first = backend.compile(source, matmul(), timeout_s=60)
    assert first.status == S.INTERNAL and "configure step" in first.message, first.message
    again = backend.compile(source, matmul(), timeout_s=60)
    assert again.status == S.INTERNAL and not again.cached


def test_run_on_a_missing_npu_is_internal(backend, tmp_path) -> None:
    assert backend.run(None, matmul(), {}, device_id=0, profile=False, timeout_s=10).status == S.INTERNAL
    art = tmp_path / "artifact"
    art.mkdir()
    (art / "plan.json").write_text(json.dumps({"launcher": "build/hawk_launcher", "soc_version": "Ascend910B2",
                                               "entry": "matmul_custom", "block_dim": 2}))
    r = backend.run(art, matmul(), {}, device_id=0, profile=False, timeout_s=10)
    assert r.status == S.INTERNAL and "/dev/davinci0 does not exist" in r.message


@pytest.mark.parametrize("stage,rc,signal,status", [
    ("io", launch.EXIT_IO, None, S.INTERNAL), ("init", launch.EXIT_ACL, None, S.INTERNAL),
    ("copy_in", launch.EXIT_ACL, None, S.INTERNAL), ("tiling", launch.EXIT_ACL, None, S.RUNTIME_ERROR),
    ("launch", launch.EXIT_ACL, None, S.RUNTIME_ERROR), ("synchronize", launch.EXIT_ACL, None, S.RUNTIME_ERROR),
    ("", None, 11, S.INTERNAL),
])
def test_launcher_stage_decides_who_is_to_blame(stage, rc, signal, status) -> None:
    assert classify_failure(stage, rc, signal) == status
