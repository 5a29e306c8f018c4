"""Direct-launch and .asc candidates with a host main(): the host program runs on the twin (docs/kernel-contract.md
section 9). Its <<<>>> launches receive the host-computed arguments (by-value structs, scalars, template arguments,
block dim), aclrtMalloc buffers are padded bounds-checked GM, the task's tensors are bound at the first launch,
a failing host program is reported; build defines reach the kernel; op_kernel `<op>_do` wrappers compile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hawk.v1 import result_pb2 as S
from npu_agent import taskspec
from npu_agent.candidate import Candidate, CandidateError, check_defines
from npu_agent.taskspec import load_task_file
from tests.simnpu.helpers import KERNELS, REPO, marked_line, task, tensor

HERE = Path(__file__).resolve().parent
PROJECTS = HERE / "projects"
TASKS = PROJECTS / "projects.toml"
PAIR = PROJECTS / "direct_pair"


@pytest.fixture(scope="module")
def specs():
    return {d.name: d.spec for d in load_task_file(TASKS)}


def run(twin, cand: Candidate, spec, seed: int = 5):
    built = twin.compile(cand, spec.kernel_entry, task=spec)
    if not built.ok:
        return built, None, None
    inputs = taskspec.generate_inputs(spec, seed)
    return built, twin.run(built.binary, spec, inputs), inputs


def pair(**replace: tuple[str, str]) -> dict[str, str]:
    """The direct_pair files with `file=(old, new)` replacements (file: main or kernel)."""
    files = dict(Candidate.from_path(PAIR).files)
    for key, (old, new) in replace.items():
        path = {"main": "main.cpp", "kernel": "vadd_kernel.cpp"}[key]
        assert old in files[path], old
        files[path] = files[path].replace(old, new)
    return files


# ------------------------------------------------------------------------------------- the host program runs
@pytest.mark.parametrize("scenario,alpha", [(1, 2.0), (0, -0.5)])
def test_asc_main_computes_a_by_value_tiling_struct_a_scalar_and_the_block_dim(twin, specs, scenario, alpha) -> None:
    spec = specs["shapes_axpb_fp32"]
    cand = Candidate.from_path(KERNELS / "host_tiling.asc").with_defines([f"SCENARIO_NUM={scenario}"])
    built, r, inputs = run(twin, cand, spec)
    assert built.ok, f"{built.message}\n{built.log_tail}"
    assert built.shape == "direct" and built.entry == "axpb_custom"
    assert r.status == S.OK, r.message
    assert "host program: 1 launch" in r.message and r.stats["block_dim"] == 4
    beta = np.float32(alpha * 0.25 + 1.0)
    np.testing.assert_array_equal(r.outputs["y"], (inputs["x"] * np.float32(alpha)).astype(np.float32) + beta)


def test_a_define_the_build_needs_is_a_compile_error_without_it(twin, specs) -> None:
    built = twin.compile(Candidate.from_path(KERNELS / "host_tiling.asc"), "axpb_custom", task=specs["shapes_axpb_fp32"])
    assert built.status == S.COMPILE_ERROR and "SCENARIO_NUM" in built.message, built.message
    assert built.diagnostics[0].file == "host_tiling.asc"


def test_direct_launch_pair_with_acl_memory_binds_the_task_tensors(twin, specs) -> None:
    built, r, inputs = run(twin, Candidate.from_files(pair()), specs["shapes_vadd_fp32"])
    assert built.ok, f"{built.message}\n{built.log_tail}"
    assert r.status == S.OK, r.message
    # The host copied ones into x and y; the task's inputs replaced them right before the launch.
    np.testing.assert_array_equal(r.outputs["z"], inputs["x"] + inputs["y"])
    assert r.stats["block_dim"] == 8


def test_host_main_returning_non_zero_before_any_launch_is_a_runtime_error(twin, specs) -> None:
    files = pair(main=("    vadd_custom<<<", "    return 1;\n    vadd_custom<<<"))
    built, r, _ = run(twin, Candidate.from_files(files), specs["shapes_vadd_fp32"])
    assert built.ok, built.message
    assert r.status == S.RUNTIME_ERROR and "host program's main() returned 1" in r.message, r.message


def test_host_main_failing_its_own_check_after_the_launch_is_a_warning(twin, specs) -> None:
    # A sample's main() compares the output with a golden of the data it prepared; the twin ran the launch on the
    # task's inputs instead, so that check fails while the task's verification passes.
    files = pair(main=("    aclFinalize();\n    return 0;", "    aclFinalize();\n    return 1;"))
    built, r, inputs = run(twin, Candidate.from_files(files), specs["shapes_vadd_fp32"])
    assert built.ok, built.message
    assert r.status == S.OK, r.message
    np.testing.assert_array_equal(r.outputs["z"], inputs["x"] + inputs["y"])
    assert any("main() returned 1 after 1 kernel launch" in w for w in r.warnings), r.warnings


def test_host_program_crash_is_reported_as_such(twin, specs) -> None:
    files = pair(main=("    vadd_custom<<<", "    *(volatile int*)nullptr = 1;\n    vadd_custom<<<"))
    built, r, _ = run(twin, Candidate.from_files(files), specs["shapes_vadd_fp32"])
    assert built.ok, built.message
    assert r.status == S.RUNTIME_ERROR and "SIGSEGV" in r.message and "host program" in r.message, r.message


def test_device_buffer_smaller_than_the_task_tensor_is_rejected_naming_the_argument(twin, specs) -> None:
    files = pair(main=('aclrtMalloc((void**)&z, bytes, ', 'aclrtMalloc((void**)&z, bytes / 2, '))
    built, r, _ = run(twin, Candidate.from_files(files), specs["shapes_vadd_fp32"])
    assert built.ok, built.message
    assert r.status == S.REJECTED, r.message
    assert "argument 3 (`z`)" in r.message and "output z" in r.message and "main.cpp:" in r.message, r.message


def test_launch_argument_that_is_not_device_memory_is_rejected(twin, specs) -> None:
    files = pair(main=("(x, y, z, n);", "(x, (uint8_t*)host.data(), z, n);"))
    built, r, _ = run(twin, Candidate.from_files(files), specs["shapes_vadd_fp32"])
    assert built.ok, f"{built.message}\n{built.log_tail}"
    assert r.status == S.REJECTED and "argument 2 (`(uint8_t*)host.data()`)" in r.message and "not device memory" in r.message, r.message


def test_a_samples_own_file_writes_fail_softly_in_the_host_program(twin, specs) -> None:
    files = pair(main=("    aclFinalize();\n    return 0;",
                       "    aclFinalize();\n    std::ofstream f(\"output/z.txt\");\n"
                       "    return TryWrite(\"output/z.bin\") == EACCES && !f.is_open() ? 0 : 7;"))
    files["main.cpp"] = '#include <fstream>\n#include "data_utils.h"\n' + files["main.cpp"]
    files["data_utils.h"] = ("#pragma once\n#include <cerrno>\n#include <fcntl.h>\n#include <unistd.h>\n"
                             "inline int TryWrite(const char* p) {\n"
                             "    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);\n"
                             "    if (fd >= 0) { close(fd); return 0; }\n    return errno;\n}\n")
    built, r, _ = run(twin, Candidate.from_files(files), specs["shapes_vadd_fp32"])
    assert built.ok, f"{built.message}\n{built.log_tail}"
    assert r.status == S.OK, r.message


# ------------------------------------------------------------------------------------ op_kernel <op>_do wrapper
def test_op_kernel_do_wrapper_with_chevrons_compiles_and_is_never_run(twin, specs) -> None:
    files = dict(Candidate.from_path(PROJECTS / "scale_add").files)
    files["op_kernel/scale_add.cpp"] += (
        "\n#ifndef ASCENDC_CPU_DEBUG\n"
        "void scale_add_do(uint32_t blockDim, void* l2ctrl, void* stream, uint8_t* x, uint8_t* y, uint8_t* z,\n"
        "                  uint8_t* workspace, uint8_t* tiling)\n"
        "{\n    scale_add<<<blockDim, l2ctrl, stream>>>(x, y, z, workspace, tiling);\n}\n#endif\n")
    built, r, _ = run(twin, Candidate.from_files(files), specs["shapes_scale_add_fp16"])
    assert built.ok, f"{built.message}\n{built.log_tail}"
    assert built.shape == "op_project" and r.status == S.OK, r.message


# ----------------------------------------------------------------------------------- GM allocation padding
def test_access_inside_a_task_tensors_allocation_padding_is_legal_one_past_it_is_not(twin) -> None:
    src = (KERNELS / "gm_padding.cpp").read_text()
    spec = task("gm_pad", [tensor("x", [64], "float32")], [tensor("y", [64], "float32")])
    x = np.arange(64, dtype=np.float32)
    built = twin.compile(Candidate.from_source(src), "gm_pad", task=spec)
    assert built.ok, built.message
    r = twin.run(built.binary, spec, {"x": x})
    assert r.status == S.OK, r.message
    np.testing.assert_array_equal(r.outputs["y"], x)
    built = twin.compile(Candidate.from_source(src).with_defines(["PAD_READ_OFFSET=65"]), "gm_pad", task=spec)
    assert built.ok, built.message
    r = twin.run(built.binary, spec, {"x": x})
    assert r.status == S.HARDWARE_EXCEPTION and r.exception.kind == "GM_OUT_OF_BOUNDS", r.message
    assert r.exception.source_line == marked_line(src, "PAD READ")


def test_access_inside_the_aclrtmalloc_padding_is_legal_one_past_it_is_not(twin) -> None:
    spec = task("pad_custom", [tensor("x", [64], "float32")], [tensor("y", [64], "float32")])
    src = (KERNELS / "acl_padding.asc").read_text()
    x = np.arange(64, dtype=np.float32)
    cand = Candidate.from_path(KERNELS / "acl_padding.asc")
    built = twin.compile(cand, "pad_custom", task=spec)
    assert built.ok, f"{built.message}\n{built.log_tail}"
    r = twin.run(built.binary, spec, {"x": x})
    assert r.status == S.OK, r.message
    np.testing.assert_array_equal(r.outputs["y"], x)
    r = twin.run(twin.compile(cand.with_defines(["READ_AT=132"]), "pad_custom", task=spec).binary, spec, {"x": x})
    assert r.status == S.HARDWARE_EXCEPTION and r.exception.kind == "GM_OUT_OF_BOUNDS", r.message
    assert r.exception.source_line == marked_line(src, "SCRATCH READ")
    assert "aclrtMalloc #3 (100 bytes + 60 of padding)" in r.exception.message, r.exception.message


# ------------------------------------------------------------------------------------------------ defines
def test_defines_are_validated_and_part_of_the_hash() -> None:
    base = Candidate.from_source("int x;")
    assert base.with_defines([]).hash() == base.hash()
    a, b = base.with_defines(["A=1"]), base.with_defines(["A=2"])
    assert len({base.hash(), a.hash(), b.hash()}) == 3
    assert check_defines(["SCENARIO_NUM=2", "FLAG", "V=\"s\""]) == ("SCENARIO_NUM=2", "FLAG", "V=\"s\"")
    for bad in ("1X=2", "A B", "A=1 2", "A=x\ny", "hawk_x=1", "HAWK_ABI_SIGNATURE=0", "__NPU_ARCH__=1", ""):
        with pytest.raises(CandidateError):
            check_defines([bad])
    with pytest.raises(CandidateError):
        check_defines([f"D{i}" for i in range(65)])


def test_cli_define_reaches_the_kernel(twin_root) -> None:
    env = {**os.environ, "HAWK_SIM_WORK_ROOT": str(twin_root)}
    p = subprocess.run([sys.executable, "-m", "controller.cli", "sim", "run", str(KERNELS / "host_tiling.asc"),
                        "--task-file", str(TASKS), "--task", "shapes_axpb_fp32", "--define", "SCENARIO_NUM=1",
                        "--json", "--sets", "1"], capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    res = json.loads(p.stdout)
    want = Candidate.from_path(KERNELS / "host_tiling.asc").with_defines(["SCENARIO_NUM=1"]).hash()
    assert res["status"] == "OK" and res["sourceHash"] == want
    p = subprocess.run([sys.executable, "-m", "controller.cli", "sim", "run", str(KERNELS / "host_tiling.asc"),
                        "--task-file", str(TASKS), "--task", "shapes_axpb_fp32", "--define", "BAD NAME"],
                       capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    assert p.returncode != 0 and "--define" in p.stderr, p.stderr


def test_templated_cube_kernel_launched_by_the_host_runs_on_aic(twin) -> None:
    spec = task("cube_offset", [tensor("x", [16], "float32")], [tensor("y", [16], "float32")])
    built = twin.compile(Candidate.from_path(KERNELS / "cube_template.asc"), "cube_offset", task=spec)
    assert built.ok, f"{built.message}\n{built.log_tail}"
    x = np.arange(16, dtype=np.float32)
    r = twin.run(built.binary, spec, {"x": x})
    assert r.status == S.OK and "AIC" in r.message, r.message
    np.testing.assert_array_equal(r.outputs["y"], x + 1)
