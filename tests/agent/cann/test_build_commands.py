"""The cann backend's build plans, checked without CANN: for every kernel shape it builds and every SoC profile,
the commands and generated files are those of Huawei's public build flows (ascendc_library with SOC_VERSION;
msopgen + build.sh + the package's .run into a private install path), shapes it does not build are REJECTED with
a reason (test_backend.py runs a real cmake that fails in the sandbox: INTERNAL, not COMPILE_ERROR)."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest

from hawk.v1 import task_pb2
from npu_agent.backends.cann import build
from npu_agent.backends.cann.environment import (
    CannNotFound,
    find_cann,
    parse_npu_smi_chip,
    parse_npu_smi_list,
    parse_npu_smi_table,
    parse_version,
)
from npu_agent.candidate import Candidate
from npu_agent.hardware import load_profile
from npu_agent.simnpu.cpptext import strip_comments
from npu_agent.taskspec import load_task_file
from tests.agent.cann.conftest import make_toolkit
from tests.simnpu.helpers import EXAMPLES, KERNELS, task, tensor

PROJECTS = KERNELS.parent / "projects"
SOCS = {"ascend910b2": ("Ascend910B2", "ascend910b"), "ascend910b3": ("Ascend910B3", "ascend910b"),
        "ascend310p": ("Ascend310P3", "ascend310p")}


def add_task() -> task_pb2.TaskSpec:
    return task("add_custom", [tensor("x", [8, 2048]), tensor("y", [8, 2048])], [tensor("z", [8, 2048])])


def matmul_task() -> task_pb2.TaskSpec:
    return task("matmul_custom", [tensor("a", [64, 64]), tensor("b", [64, 64])], [tensor("c", [64, 64])], block_dim=2)


def project_task(name: str) -> task_pb2.TaskSpec:
    return {d.name: d.spec for d in load_task_file(PROJECTS / "projects.toml")}[name]


def steps(plan: build.BuildPlan) -> dict[str, build.BuildStep]:
    return {s.name: s for s in plan.steps}


@pytest.mark.parametrize("profile", sorted(SOCS))
def test_one_file_kernel_builds_with_ascendc_library_for_the_profiles_soc(toolkit, profile) -> None:
    install, _ = toolkit
    soc, _ = SOCS[profile]
    cand = Candidate.from_source((EXAMPLES / "matmul_custom.cpp").read_text()).with_defines(["SCENARIO_NUM=2"])
    plan = build.plan_build(cand, matmul_task(), install=install, hardware=load_profile(profile))
    assert plan.kind == "kernel_launch" and plan.entry == "matmul_custom" and plan.soc_version == soc
    s = steps(plan)
    assert list(s) == ["configure", "build"]
    assert s["configure"].argv == ["cmake", "-S", ".", "-B", "build", f"-DSOC_VERSION={soc}",
                                   f"-DASCEND_CANN_PACKAGE_PATH={install.home}", "-DRUN_MODE=npu",
                                   "-DCMAKE_BUILD_TYPE=Release"]
    files = s["configure"].files
    assert files["kernel/kernel.cpp"] == cand.source  # placed, never edited
    cmake = files["CMakeLists.txt"]
    assert f"include({install.cmake_dir}/ascendc.cmake)" in cmake
    assert "ascendc_library(hawk_kernels SHARED kernel/kernel.cpp)" in cmake
    for d in ("DTYPE_A=half", "ORIG_DTYPE_A=DT_FLOAT16", "DTYPE_C=half", "FORMAT_C=FORMAT_ND", "SCENARIO_NUM=2"):
        assert f"    \"{d}\"\n" in cmake
    assert "target_link_libraries(hawk_launcher PRIVATE hawk_kernels ascendcl" in cmake
    launcher = files["hawk_launcher.cpp"]
    assert '#include "aclrtlaunch_matmul_custom.h"' in launcher
    assert ("ACLRT_LAUNCH_KERNEL(matmul_custom)(io.block_dim, stream, io.tensors[0].dev, io.tensors[1].dev, "
            "io.tensors[2].dev, workspace, tiling)") in launcher
    order = [launcher.index(c) for c in ("aclInit(nullptr)", "aclrtSetDevice(io.device)", "aclrtCreateStream",
                                         "aclrtMalloc(&t.dev", "ACL_MEMCPY_HOST_TO_DEVICE", "ACLRT_LAUNCH_KERNEL(",
                                         "aclrtSynchronizeStream", "ACL_MEMCPY_DEVICE_TO_HOST", "aclrtFree(t.dev)",
                                         "aclrtResetDevice", "aclFinalize()")]
    assert order == sorted(order)  # the samples' flow
    assert plan.launcher == "build/hawk_launcher"


@pytest.mark.parametrize("profile", sorted(SOCS))
def test_one_file_with_a_tiling_function_becomes_an_op_package(toolkit, profile) -> None:
    install, _ = toolkit
    soc, config = SOCS[profile]
    source = (EXAMPLES / "add_custom.cpp").read_text()
    plan = build.plan_build(Candidate.from_source(source), add_task(), install=install, hardware=load_profile(profile))
    assert (plan.kind, plan.op_type, plan.entry) == ("op_package", "AddCustom", "add_custom")
    s = steps(plan)
    assert list(s) == ["msopgen", "build.sh", "install", "configure", "build"]
    assert s["msopgen"].argv == [str(install.msopgen), "gen", "-i", "op.json", "-c", f"ai_core-{soc}", "-lan", "cpp",
                                 "-out", "op_project"]
    op = json.loads(s["msopgen"].files["op.json"])[0]
    assert op["op"] == "AddCustom"
    assert [(d["name"], d["type"], d["format"]) for d in op["input_desc"] + op["output_desc"]] == \
        [("x", ["fp16"], ["ND"]), ("y", ["fp16"], ["ND"]), ("z", ["fp16"], ["ND"])]
    assert s["build.sh"].argv == ["bash", "build.sh"] and s["build.sh"].cwd == "op_project"
    assert s["install"].cwd == "op_project" and s["install"].argv[-1] == "{workdir}/opp"
    assert "--install-path" in s["install"].argv[2]  # a private vendors dir, never CANN's own
    kernel = s["build.sh"].files["op_project/op_kernel/add_custom.cpp"]
    host = s["build.sh"].files["op_project/op_host/add_custom.cpp"]
    # Split by blanking: every kept line is where the candidate wrote it, so diagnostics keep their line numbers.
    src_lines, k_lines = source.splitlines(), kernel.splitlines()
    assert len(k_lines) == len(src_lines)
    g = next(i for i, line in enumerate(src_lines) if "__global__" in line)
    assert k_lines[g] == src_lines[g]
    code = strip_comments(kernel)
    assert "namespace optiling" not in code and "IMPL_OP_OPTILING" not in code and "__global__" in code
    assert "__global__" not in host and "kernel_operator.h" not in host
    assert "IMPL_OP_OPTILING(AddCustom).Tiling(optiling::TilingFunc);" in host
    assert '#include "register/tilingdata_base.h"' in host
    assert "class AddCustom : public OpDef" in host and f'AddConfig("{config}")' in host
    assert 'this->Input("x").ParamType(REQUIRED).DataType({ge::DT_FLOAT16})' in host
    launcher = s["configure"].files["hawk_launcher.cpp"]
    assert '#include "aclnn_add_custom.h"' in launcher
    assert "aclnnAddCustomGetWorkspaceSize(hawk_t[0], hawk_t[1], hawk_t[2], &workspace_size, &executor)" in launcher
    assert "aclnnAddCustom(workspace, workspace_size, executor, stream)" in launcher
    assert "cust_opapi" in s["configure"].files["CMakeLists.txt"]
    assert plan.run_env == {"ASCEND_CUSTOM_OPP_PATH": "opp/vendors/customize"}


def test_op_project_passes_its_opdef_attributes_in_order_with_defaults(toolkit) -> None:
    install, _ = toolkit
    cand = Candidate.from_path(PROJECTS / "scale_add")
    for name, value in (("shapes_scale_add_fp16", "2.0"), ("shapes_scale_add_fp32", "0.5")):
        plan = build.plan_build(cand, project_task(name), install=install, hardware=load_profile("ascend910b2"))
        assert (plan.kind, plan.op_type) == ("op_package", "ScaleAdd")
        s = steps(plan)
        assert s["build.sh"].files["op_project/op_host/scale_add.cpp"] == cand.text("op_host/scale_add.cpp")
        launcher = s["configure"].files["hawk_launcher.cpp"]
        assert f"double hawk_attr0 = {value};" in launcher  # the task's alpha, else the OpDef's default
        assert "aclnnScaleAddGetWorkspaceSize(hawk_t[0], hawk_t[1], hawk_attr0, hawk_t[2]," in launcher
        assert json.loads(s["msopgen"].files["op.json"])[0]["attr"] == [
            {"name": "alpha", "param_type": "optional", "type": "float"}]


def test_direct_launch_kernel_without_main_uses_the_kernel_launch_route(toolkit) -> None:
    install, _ = toolkit
    text = (PROJECTS / "direct_relu" / "relu_custom.cpp").read_text()
    cand = Candidate(files=(("relu_custom.cpp", text),))
    plan = build.plan_build(cand, project_task("shapes_relu_fp16"), install=install, hardware=load_profile("ascend910b2"))
    assert (plan.kind, plan.entry, plan.block_dim) == ("kernel_launch", "relu_custom", 0)  # blockDim: a variable
    assert "ACLRT_LAUNCH_KERNEL(relu_custom)(io.block_dim, stream, io.tensors[0].dev, io.tensors[1].dev)" in \
        steps(plan)["configure"].files["hawk_launcher.cpp"]


@pytest.mark.parametrize("files,fragment", [
    ({"main.cpp": None, "relu_custom.cpp": None}, "host main() is not run"),
    ({"k.asc": 'extern "C" __global__ __aicore__ void k(GM_ADDR x, GM_ADDR y) {}\n'}, "ASC language build"),
    ({"k.cpp": 'template <int N> __global__ __aicore__ void relu_custom(GM_ADDR x, GM_ADDR y) {}\n'
               'void go() { relu_custom<8><<<8, nullptr, nullptr>>>(nullptr, nullptr); }\n'}, "is a template"),
])
def test_shapes_it_does_not_build_are_refused_with_the_reason(toolkit, files, fragment) -> None:
    install, _ = toolkit
    files = {p: t if t is not None else (PROJECTS / "direct_relu" / p).read_text() for p, t in files.items()}
    with pytest.raises(build.UnsupportedShape, match=re.escape(fragment)):
        build.plan_build(Candidate(files=tuple(sorted(files.items()))), project_task("shapes_relu_fp16"),
                         install=install, hardware=load_profile("ascend910b2"))


def test_compiler_diagnostics_point_at_the_candidates_lines() -> None:
    plan = build.BuildPlan(kind="kernel_launch", entry="k", soc_version="Ascend910B2", kernel_files=["kernel/kernel.cpp"],
                           single=True)
    log = ("/w/cann-build-1/kernel/kernel.cpp:57:12: error: use of undeclared identifier 'tileLen'\n"
           "/usr/local/Ascend/ascend-toolkit/latest/compiler/tikcpp/tikcfw/x.h:3:1: error: in CANN's header\n")
    d = build.diagnostics(log, plan)
    assert [(x.severity, x.file, x.line, x.column) for x in d] == [("error", "", 57, 12)]
    plan.single, plan.kind, plan.kernel_files = False, "op_package", ["op_project/op_kernel/scale_add.cpp"]
    d = build.diagnostics("/w/op_project/op_kernel/scale_add.cpp:9:3: warning: unused\n", plan)
    assert [(x.severity, x.file, x.line) for x in d] == [("warning", "op_kernel/scale_add.cpp", 9)]


# ------------------------------------------------------------------------------------------------ detection
def test_detection_finds_the_toolkit_version_and_devices(toolkit) -> None:
    install, _ = toolkit
    assert install.version == "8.0.RC3" and install.devices == [0, 1]
    assert install.set_env.name == "set_env.sh" and install.cmake_dir.name == "ascendc_kernel_cmake"
    assert install.device_nodes(1)[0] == "/dev/davinci1"
    env = install.env()
    assert env["ASCEND_HOME_PATH"] == str(install.home) and f"{install.home}/lib64" in env["LD_LIBRARY_PATH"]


@pytest.mark.parametrize("setup,fragment", [
    ("unset", "ASCEND_HOME_PATH is not set"),
    ("file", "is not a directory"),
    ("no_set_env", "no set_env.sh"),
    ("old", "supports CANN 8.0 to 8.x"),
    ("no_devices", "no NPU"),
])
def test_detection_refuses_with_one_line_naming_what_is_missing(tmp_path, setup, fragment) -> None:
    home = make_toolkit(tmp_path, version="7.0.0" if setup == "old" else "8.1.RC1")
    dev = tmp_path / "dev"
    dev.mkdir()
    if setup != "no_devices":
        (dev / "davinci0").write_text("")
    if setup == "no_set_env":
        (home.parent / "set_env.sh").unlink()
    env = {"PATH": str(tmp_path)}
    if setup == "file":
        env["ASCEND_HOME_PATH"] = str(home / "x86_64-linux" / "ascend_toolkit_install.info")
    elif setup != "unset":
        env["ASCEND_HOME_PATH"] = str(home)
    with pytest.raises(CannNotFound) as e:
        find_cann(env, dev_root=dev)
    assert fragment in str(e.value) and "\n" not in str(e.value)


def test_version_and_npu_smi_texts() -> None:
    assert parse_version("package_name=Ascend-cann-toolkit\nversion=8.0.RC3\n") == "8.0.RC3"
    assert parse_version("Version=8.1.RC1\n") == "8.1.RC1"
    assert parse_version("nothing here") is None
    listing = "Total Count : 2\n\nNPU ID : 0\nProduct Name : x\n\nNPU ID : 5\n"
    assert parse_npu_smi_list(listing) == [0, 5]
    assert parse_npu_smi_chip("Chip Type : Ascend\nChip Name : 910B2\n") == "Ascend910B2"
    table = ("| NPU   Name                | Health        | Power(W)    Temp(C)           Hugepages-Usage(page)|\n"
             "| Chip                      | Bus-Id        | AICore(%)   Memory-Usage(MB)  HBM-Usage(MB)        |\n"
             "+===========================+===============+====================================================+\n"
             "| 0     910B2               | OK            | 93.6        36                0    / 0             |\n"
             "| 0                         | 0000:C1:00.0  | 0           0    / 0          3161 / 65536         |\n"
             "| 1     910B2               | Alarm         | 90.1        35                0    / 0             |\n")
    assert parse_npu_smi_table(table) == {0: ("910B2", "OK"), 1: ("910B2", "Alarm")}


def test_a_profile_for_another_chip_is_refused(toolkit) -> None:
    from dataclasses import replace

    from npu_agent.backends.cann import CannBackend

    install, _ = toolkit
    with pytest.raises(build.UnsupportedShape, match="NPUs here are Ascend910B3"):
        CannBackend(load_profile("ascend910b2"), work_root=Path(tempfile.mkdtemp()), sandbox=None,
                    install=replace(install, soc_version="Ascend910B3"))
    with pytest.raises(build.UnsupportedShape, match="this host has 2 NPU"):
        CannBackend(load_profile("ascend910b2"), work_root=Path(tempfile.mkdtemp()), sandbox=None, install=install,
                    devices=4)


@pytest.mark.parametrize("kernel", ["add_custom", "layernorm_custom", "softmax_custom"])
def test_every_one_file_example_with_tiling_splits_line_for_line(toolkit, kernel) -> None:
    install, _ = toolkit
    spec = next(d.spec for d in load_task_file(EXAMPLES.parent / "tasks" / "examples.toml")
                if d.spec.kernel_entry == kernel)
    source = (EXAMPLES / f"{kernel}.cpp").read_text()
    plan = build.plan_build(Candidate.from_source(source), spec, install=install, hardware=load_profile("ascend910b2"))
    files = steps(plan)["build.sh"].files
    snake = plan.entry
    host_part = files[f"op_project/op_host/{snake}.cpp"]
    if snake == kernel:
        kernel_part = files[f"op_project/op_kernel/{kernel}.cpp"]
    else:  # LayerNormCustom's kernel is layer_norm_custom on CANN: the candidate's name is mapped by a macro
        kernel_part = files[f"op_project/op_kernel/hawk_{kernel}.h"]
        assert files[f"op_project/op_kernel/{snake}.cpp"].splitlines()[1:] == [
            f"#define {kernel} {snake}", f'#include "hawk_{kernel}.h"']
        assert plan.entry_file == f"op_project/op_kernel/hawk_{kernel}.h"
    src, k_lines, h_lines = (strip_comments(x).splitlines() for x in (source, kernel_part, host_part))
    assert len(k_lines) == len(src)
    for i, line in enumerate(src):  # every line of code is in exactly one part (includes: in both)
        if line.strip() and "#include" not in line:
            in_k, in_h = k_lines[i].strip() == line.strip(), i < len(h_lines) and h_lines[i].strip() == line.strip()
            assert in_k != in_h, (i + 1, line)
