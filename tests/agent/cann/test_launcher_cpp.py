"""The host launcher we generate, checked with g++ on a machine without CANN.

What this proves: each generated launcher (kernel-launch route for a vector and a cube kernel; aclnn route for an
op without and with attributes) is valid C++17 that calls the AscendCL subset with the signatures, argument types
and order of the public API reference, as declared by us in acl_subset/ (and the launch functions CANN's builds
generate, declared here the way the public docs describe them); and our io.txt parser and tensor file exchange
(the launcher's own code, no ACL in it) read exactly what the agent writes. What it does not prove: that CANN's
real headers agree with our declarations, that the kernel builds with bisheng, or that anything runs on an NPU
(those are the device tests, HAWK_CANN_TESTS=1)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hawk.v1 import task_pb2
from npu_agent.backends.cann import build, launch
from npu_agent.candidate import Candidate
from npu_agent.hardware import load_profile
from npu_agent.taskspec import load_task_file
from tests.simnpu.helpers import EXAMPLES, KERNELS, task, tensor

SUBSET = Path(__file__).resolve().parent / "acl_subset"
PROJECTS = KERNELS.parent / "projects"
GXX = shutil.which("g++")
pytestmark = pytest.mark.skipif(GXX is None, reason="g++ is needed to check the generated launcher")


def kernel_launch_header(entry: str, args: list[str]) -> str:
    """What ascendc_library generates for a kernel (aclrtlaunch_<kernel>.h, per the public kernel-launch docs)."""
    params = "".join(f", void *{a}" for a in args)
    return (f'#pragma once\n#include "acl/acl.h"\n#ifndef ACLRT_LAUNCH_KERNEL\n'
            f"#define ACLRT_LAUNCH_KERNEL(kernel_func) aclrtlaunch_##kernel_func\n#endif\n"
            f'extern "C" uint32_t aclrtlaunch_{entry}(uint32_t blockDim, aclrtStream stream{params});\n')


def aclnn_header(op: str, ins: list[str], attrs: list[str], outs: list[str]) -> str:
    """What the op package generates for an op (aclnn_<op>.h, per the public aclnn two-phase interface)."""
    params = ", ".join([f"const aclTensor *{n}" for n in ins] + attrs + [f"const aclTensor *{n}" for n in outs])
    return (f'#pragma once\n#include "aclnn/acl_meta.h"\n#ifdef __cplusplus\nextern "C" {{\n#endif\n'
            f"aclnnStatus aclnn{op}GetWorkspaceSize({params}, uint64_t *workspaceSize, aclOpExecutor **executor);\n"
            f"aclnnStatus aclnn{op}(void *workspace, uint64_t workspaceSize, aclOpExecutor *executor, "
            f"aclrtStream stream);\n#ifdef __cplusplus\n}}\n#endif\n")


def syntax_check(tmp: Path, source: str, header_name: str, header: str) -> None:
    (tmp / header_name).write_text(header)
    (tmp / "hawk_launcher.cpp").write_text(source)
    r = subprocess.run([GXX, "-std=c++17", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I", str(SUBSET), "-I",
                        str(tmp), str(tmp / "hawk_launcher.cpp")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def plan_files(toolkit, cand: Candidate, spec: task_pb2.TaskSpec) -> tuple[build.BuildPlan, str]:
    install, _ = toolkit
    plan = build.plan_build(cand, spec, install=install, hardware=load_profile("ascend910b2"))
    files = {k: v for s in plan.steps for k, v in s.files.items()}
    return plan, files[launch.LAUNCHER_SOURCE]


@pytest.mark.parametrize("case", ["matmul", "relu"])
def test_kernel_launch_launcher_is_valid_cpp_against_the_acl_subset(toolkit, tmp_path, case) -> None:
    if case == "matmul":
        cand = Candidate.from_source((EXAMPLES / "matmul_custom.cpp").read_text())
        spec = task("matmul_custom", [tensor("a", [64, 64]), tensor("b", [64, 64])], [tensor("c", [64, 64])])
        args = ["a", "b", "c", "workspace", "tiling"]
    else:
        cand = Candidate(files=(("relu_custom.cpp", (PROJECTS / "direct_relu" / "relu_custom.cpp").read_text()),))
        spec = {d.name: d.spec for d in load_task_file(PROJECTS / "projects.toml")}["shapes_relu_fp16"]
        args = ["x", "y"]
    plan, source = plan_files(toolkit, cand, spec)
    syntax_check(tmp_path, source, f"aclrtlaunch_{plan.entry}.h", kernel_launch_header(plan.entry, args))


def test_launcher_with_the_wrong_argument_count_does_not_compile(toolkit, tmp_path) -> None:
    """The check can fail: a launch header with one parameter fewer than the launcher passes is an error."""
    cand = Candidate.from_source((EXAMPLES / "matmul_custom.cpp").read_text())
    spec = task("matmul_custom", [tensor("a", [64, 64]), tensor("b", [64, 64])], [tensor("c", [64, 64])])
    plan, source = plan_files(toolkit, cand, spec)
    with pytest.raises(AssertionError, match="too many arguments"):
        syntax_check(tmp_path, source, "aclrtlaunch_matmul_custom.h",
                     kernel_launch_header("matmul_custom", ["a", "b", "c", "workspace"]))


@pytest.mark.parametrize("case", ["add_custom", "scale_add"])
def test_aclnn_launcher_is_valid_cpp_against_the_acl_subset(toolkit, tmp_path, case) -> None:
    if case == "add_custom":
        cand = Candidate.from_source((EXAMPLES / "add_custom.cpp").read_text())
        spec = task("add_custom", [tensor("x", [8, 2048]), tensor("y", [8, 2048])], [tensor("z", [8, 2048])])
        header = aclnn_header("AddCustom", ["x", "y"], [], ["z"])
    else:
        cand = Candidate.from_path(PROJECTS / "scale_add")
        spec = {d.name: d.spec for d in load_task_file(PROJECTS / "projects.toml")}["shapes_scale_add_fp32"]
        header = aclnn_header("ScaleAdd", ["x", "y"], ["double alpha"], ["z"])
    plan, source = plan_files(toolkit, cand, spec)
    syntax_check(tmp_path, source, f"aclnn_{plan.entry}.h", header)


def test_io_file_and_tensor_files_round_trip_through_the_launchers_own_parser(tmp_path) -> None:
    """The launcher's io.txt parser and file load/store (its own code, compiled and run with g++: no ACL call is
    made) read what the agent writes and write back what the agent reads."""
    harness = launch.IO_PRELUDE + r'''
int main(int argc, char** argv) {
    HawkIo io = hawk_read_io(argv[1]);
    std::printf("device %d block_dim %u workspace %zu\n", io.device, io.block_dim, io.workspace_bytes);
    for (HawkTensor& t : io.tensors) {
        std::printf("%s %s %d %zu %zu", t.role.c_str(), t.name.c_str(), t.dtype, t.elem_bytes, t.bytes);
        for (int64_t d : t.dims) std::printf(" %lld", static_cast<long long>(d));
        std::printf("\n");
        hawk_load(t);
        if (t.role == "out") {  // what the device would do: out = first input, element by element
            t.host = io.tensors[0].host;
            hawk_store(t);
        }
    }
    return 0;
}
'''
    (tmp_path / "harness.cpp").write_text(harness)
    exe = tmp_path / "harness"
    r = subprocess.run([GXX, "-std=c++17", "-O0", str(tmp_path / "harness.cpp"), "-o", str(exe)],  # no ACL at all
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    spec = task("k", [tensor("x", [3, 5], "float32"), tensor("y", [3, 5], "float32")], [tensor("z", [3, 5], "float32")])
    x = np.arange(15, dtype=np.float32).reshape(3, 5)
    poison = np.full((3, 5), np.nan, dtype=np.float32)
    io = launch.write_io(tmp_path, spec, {"x": x, "y": -x}, {"z": poison}, device_id=6, block_dim=8)
    out = subprocess.run([str(exe), str(io)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["device 6 block_dim 8 workspace 0", "in x 0 4 60 3 5", "in y 0 4 60 3 5",
                                       "out z 0 4 60 3 5"]
    np.testing.assert_array_equal(launch.read_outputs(tmp_path, spec)["z"], x)
    (tmp_path / "x.bin").write_bytes(b"\0" * 8)  # a short file is our failure: exit 2 with a report, never a crash
    bad = subprocess.run([str(exe), str(io)], capture_output=True, text=True, timeout=60)
    assert bad.returncode == launch.EXIT_IO and "x.bin is shorter than the tensor" in bad.stderr
