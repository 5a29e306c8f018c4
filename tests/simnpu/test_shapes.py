"""Candidates in the shapes people write them (docs/kernel-contract.md section 9): CANN op projects (directory,
tarball, files on the wire), direct-launch file sets, asc-devkit `.asc` files, DTYPE_<ARG> macros, the OpDef
check with InferShape/InferDataType runs, and diagnostics that name the candidate's file."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

from hawk.v1 import result_pb2 as S
from npu_agent import taskspec
from npu_agent.candidate import Candidate, CandidateError, tar_bytes
from npu_agent.simnpu.shapes import Constants, TaskArgs, blank_chevrons, snake_case, task_header
from npu_agent.taskspec import load_task_file
from tests.simnpu.helpers import KERNELS, REPO

HERE = Path(__file__).resolve().parent
PROJECTS = HERE / "projects"
TASKS = PROJECTS / "projects.toml"
SCALE_ADD = PROJECTS / "scale_add"
HOST = "op_host/scale_add.cpp"
KERNEL = "op_kernel/scale_add.cpp"


@pytest.fixture(scope="module")
def specs():
    return {d.name: d.spec for d in load_task_file(TASKS)}


def project_files(**replace: tuple[str, str]) -> dict[str, str]:
    """The scale_add project's files, with `path=(old, new)` text replacements applied."""
    files = Candidate.from_path(SCALE_ADD).files
    out = dict(files)
    for key, (old, new) in replace.items():
        path = {"host": HOST, "kernel": KERNEL}[key]
        assert old in out[path], old
        out[path] = out[path].replace(old, new)
    return out


def run(twin, cand: Candidate, spec, seed: int = 3):
    built = twin.compile(cand, spec.kernel_entry, task=spec)
    if not built.ok:
        return built, None, None
    inputs = taskspec.generate_inputs(spec, seed)
    return built, twin.run(built.binary, spec, inputs), inputs


# ------------------------------------------------------------------------------------------- op projects
@pytest.mark.parametrize("name", ["shapes_scale_add_fp16", "shapes_scale_add_fp32"])
def test_op_project_directory_runs_with_dtype_macros_and_opdef_attribute_defaults(twin, specs, name) -> None:
    spec = specs[name]
    built, r, inputs = run(twin, Candidate.from_path(SCALE_ADD), spec)
    assert built.ok, f"{built.message}\n{built.log_tail}"
    assert built.shape == "op_project" and built.entry == "scale_add"
    assert r.status == S.OK, r.message
    # fp16 task: alpha is the OpDef's default 2.0 (the task sets none); fp32 task: the task's 0.5.
    alpha = np.float16(2.0) if name.endswith("fp16") else np.float32(0.5)
    want = (inputs["x"] * alpha).astype(inputs["x"].dtype) + inputs["y"]
    np.testing.assert_array_equal(r.outputs["z"], want)
    assert r.stats["block_dim"] == 4  # the OpDef's SetTiling function ran


def test_op_project_kernel_name_comes_from_the_opdef_not_the_task(twin, specs) -> None:
    spec = type(specs["shapes_scale_add_fp16"])()
    spec.CopyFrom(specs["shapes_scale_add_fp16"])
    spec.kernel_entry = "something_else"
    built, r, _ = run(twin, Candidate.from_path(SCALE_ADD), spec)
    assert built.ok and built.entry == "scale_add" and r.status == S.OK, built.message


@pytest.mark.parametrize("replace,fragment", [
    ({"host": ('this->Input("y")', 'this->Input("other")')},
     "input 1 is named 'other' but the task's input 1 is 'y'"),
    ({"host": ('this->Output("z").ParamType(REQUIRED).DataType({ge::DT_FLOAT16, ge::DT_FLOAT})',
               'this->Output("z").ParamType(REQUIRED).DataType({ge::DT_FLOAT, ge::DT_INT32})')},
     "output 'z' supports DataType({DT_FLOAT, DT_INT32}) but the task's output is DT_FLOAT16"),
    ({"host": ('this->Input("y").ParamType(REQUIRED).DataType({ge::DT_FLOAT16, ge::DT_FLOAT}).Format({ge::FORMAT_ND, '
               'ge::FORMAT_ND});', '')},
     "declares 1 input(s) but the task has 2 (x, y)"),
    ({"host": ('this->Attr("alpha").AttrType(OPTIONAL).Float(2.0);', 'this->Attr("alpha").AttrType(REQUIRED).Float();')},
     "attribute 'alpha' is REQUIRED but the task does not set it"),
])
def test_opdef_mismatch_is_rejected_naming_it(twin, specs, replace, fragment) -> None:
    built, r, _ = run(twin, Candidate.from_files(project_files(**replace)), specs["shapes_scale_add_fp16"])
    assert built.ok, built.message
    assert r.status == S.REJECTED, r.message
    assert "the OpDef of ScaleAdd" in r.message and fragment in r.message, r.message


@pytest.mark.parametrize("replace,fragment", [
    ({"host": ('*context->GetOutputShape(0) = *context->GetInputShape(0);',
               'context->GetOutputShape(0)->AppendDim(7);')},
     "its InferShape function gives output 'z' the shape [7] but the task's output has the shape [4096]"),
    ({"host": ('context->SetOutputDataType(0, context->GetInputDataType(0));',
               'context->SetOutputDataType(0, ge::DT_FLOAT);')},
     "its InferDataType function gives output 'z' the dtype DT_FLOAT but the task's output is DT_FLOAT16"),
])
def test_infer_functions_that_disagree_with_the_task_are_a_warning(twin, specs, replace, fragment) -> None:
    # An aclnn call runs the kernel on the caller's outputs without InferShape/InferDataType, so the kernel runs
    # (and is correct here); only a graph build would fail, which the warning says.
    built, r, _ = run(twin, Candidate.from_files(project_files(**replace)), specs["shapes_scale_add_fp16"])
    assert built.ok, built.message
    assert r.status == S.OK, r.message
    assert any(fragment in w and "graph build" in w for w in r.warnings), r.warnings


def test_task_attribute_the_opdef_does_not_declare_is_rejected(twin, specs) -> None:
    spec = type(specs["shapes_scale_add_fp32"])()
    spec.CopyFrom(specs["shapes_scale_add_fp32"])
    spec.attributes["beta"] = "1"
    built, r, _ = run(twin, Candidate.from_path(SCALE_ADD), spec)
    assert r.status == S.REJECTED and "declares no attribute 'beta'" in r.message, r.message


def test_orig_dtype_macros_compare_in_the_preprocessor(twin, specs) -> None:
    # #if ORIG_DTYPE_X == DT_FLOAT16 picks the fp16 branch only for the fp16 task, as in a CANN kernel build.
    files = project_files(kernel=("extern \"C\" __global__", "#if ORIG_DTYPE_X == DT_FLOAT16 && FORMAT_Z == FORMAT_ND\n"
                                  "#define HAWK_TEST_BLOCKS 4\n#else\n#define HAWK_TEST_BLOCKS 999\n#endif\n"
                                  "static_assert(HAWK_TEST_BLOCKS == (sizeof(DTYPE_X) == 2 ? 4 : 999), \"branch\");\n"
                                  "extern \"C\" __global__"))
    for name in ("shapes_scale_add_fp16", "shapes_scale_add_fp32"):
        built, r, _ = run(twin, Candidate.from_files(files), specs[name])
        assert built.ok, f"{name}: {built.message}"
        assert r.status == S.OK


def test_errors_point_at_the_right_file_and_line(twin, specs) -> None:
    files = project_files(host=("tiling.set_alpha(*alpha);", "tiling.set_alpha(*alpha) +;"),
                          kernel=("Add(zl, zl, yl, tileLength);", "Add(zl, zl, yl, tileLenght);"))
    built = twin.compile(Candidate.from_files(files), "scale_add", task=specs["shapes_scale_add_fp16"])
    assert built.status == S.COMPILE_ERROR
    errors = {(d.file, d.line) for d in built.diagnostics if d.severity == "error"}
    host_line = 1 + files[HOST].splitlines().index("    tiling.set_alpha(*alpha) +;")
    kernel_line = 1 + files[KERNEL].splitlines().index("            Add(zl, zl, yl, tileLenght);")
    assert (HOST, host_line) in errors and (KERNEL, kernel_line) in errors, errors
    assert built.message.startswith(f"{HOST}:{host_line}:") or built.message.startswith(f"{KERNEL}:{kernel_line}:")


def test_error_inside_a_twin_header_is_attributed_to_the_kernel_file(twin, specs) -> None:
    files = project_files(kernel=("Add(zl, zl, yl, tileLength);", "Add(zl, zl, 3, tileLength);"))
    built = twin.compile(Candidate.from_files(files), "scale_add", task=specs["shapes_scale_add_fp16"])
    assert built.status == S.COMPILE_ERROR
    line = 1 + files[KERNEL].splitlines().index("            Add(zl, zl, 3, tileLength);")
    assert any(d.file == KERNEL and d.line == line for d in built.diagnostics if d.severity == "error"), \
        [(d.file, d.line, d.message) for d in built.diagnostics]


def test_project_without_a_kernel_is_rejected(twin, specs) -> None:
    files = {p: t for p, t in project_files().items() if not p.startswith("op_kernel/")}
    built = twin.compile(Candidate.from_files(files), "scale_add", task=specs["shapes_scale_add_fp16"])
    assert built.status == S.REJECTED and "op_kernel" in built.message


# ------------------------------------------------------------------------------------- direct launch, .asc
def test_direct_launch_file_set_takes_entry_and_block_dim_from_the_launch(twin, specs) -> None:
    spec = specs["shapes_relu_fp16"]
    assert spec.default_block_dim in (0, 1)
    built, r, inputs = run(twin, Candidate.from_path(PROJECTS / "direct_relu"), spec)
    assert built.ok, f"{built.message}\n{built.log_tail}"
    assert built.shape == "direct" and built.entry == "relu_custom"
    assert r.status == S.OK, r.message
    np.testing.assert_array_equal(r.outputs["y"], np.maximum(inputs["x"], np.float16(0)))  # the NPU branch
    assert r.stats["block_dim"] == 4


def test_asc_file_with_template_kernel_and_scalar_arguments(twin, specs) -> None:
    spec = specs["shapes_scale_fp32"]
    built, r, inputs = run(twin, Candidate.from_path(KERNELS / "scale_template.asc"), spec)
    assert built.ok, f"{built.message}\n{built.log_tail}"
    assert r.status == S.OK, r.message
    np.testing.assert_array_equal(r.outputs["y"], inputs["x"] * np.float32(2.5))
    assert r.stats["block_dim"] == 2


def test_single_cpp_with_main_is_a_direct_launch_candidate(twin, specs) -> None:
    src = (PROJECTS / "direct_relu" / "relu_custom.cpp").read_text() + (
        "\n#include \"acl/acl.h\"\nint main() {\n    uint32_t blockDim = 4;\n    uint8_t *x, *y;\n"
        "    aclrtMalloc((void**)&x, 8192, ACL_MEM_MALLOC_HUGE_FIRST);\n"
        "    aclrtMalloc((void**)&y, 8192, ACL_MEM_MALLOC_HUGE_FIRST);\n"
        "    relu_custom_do(blockDim, nullptr, nullptr, x, y);\n    return 0;\n}\n")
    built, r, _ = run(twin, Candidate.from_source(src), specs["shapes_relu_fp16"])
    assert built.ok and built.shape == "direct", built.message
    assert r.status == S.OK and r.stats["block_dim"] == 4, r.message


def test_direct_kernel_scalar_without_a_value_is_rejected(twin, specs) -> None:
    # No main(): a launch_* wrapper called from Python (MultiKernelBench style); the scalar is not a constant.
    text = (KERNELS / "scale_template.asc").read_text()
    text = text[:text.index("int32_t main(")] + (
        "void launch_scale(uint8_t* x, uint8_t* y, uint32_t runtimeLength, void* stream)\n{\n"
        "    scale_kernel<128><<<2, nullptr, stream>>>(x, y, 2.5f, runtimeLength);\n}\n")
    built = twin.compile(Candidate.from_files({"scale.asc": text}), "scale_kernel", task=specs["shapes_scale_fp32"])
    assert built.status == S.REJECTED and "totalLength" in built.message, built.message


# ------------------------------------------------------------------------------------------- DTYPE_<ARG>
def test_single_file_kernel_sees_dtype_macros_of_the_task(twin) -> None:
    from tests.simnpu.helpers import task, tensor
    src = (HERE / "kernels" / "dtype_macros.cpp").read_text()
    for dt, np_dt in (("float16", np.float16), ("float32", np.float32)):
        spec = task("copy_dtype", [tensor("x", [256], dt)], [tensor("y", [256], dt)])
        built = twin.compile(src, "copy_dtype", task=spec)
        assert built.ok, built.message
        x = np.arange(256).astype(np_dt)
        r = twin.run(built.binary, spec, {"x": x})
        assert r.status == S.OK, r.message
        np.testing.assert_array_equal(r.outputs["y"], x)
    assert twin.compile(src, "copy_dtype").status == S.COMPILE_ERROR  # no task: no DTYPE_X


def test_task_header_follows_cann_naming() -> None:
    args = TaskArgs(inputs=(("x", 1), ("input_data", 3)), outputs=(("x", 6), ("z", 2)))
    h = task_header(args, value_macros=False)
    for line in ("#define DTYPE_X half", "#define ORIG_DTYPE_X DT_FLOAT16", "#define DTYPE_INPUT_DATA float",
                 "#define DTYPE_X_REF int32_t", "#define DTYPE_Z bfloat16_t", "#define FORMAT_Z FORMAT_ND"):
        assert line in h
    assert "#define DT_FLOAT16 1" in task_header(args, value_macros=True)


# ------------------------------------------------------------------------------------------- candidates
def test_single_file_hash_is_unchanged_and_multi_file_hash_covers_every_file() -> None:
    assert Candidate.from_source("abc").hash() == hashlib.sha256(b"abc").hexdigest()
    a = Candidate.from_files({"op_host/a.cpp": "x", "op_kernel/a.cpp": "y"})
    b = Candidate.from_files({"op_host/a.cpp": "x", "op_kernel/a.cpp": "z"})
    c = Candidate.from_files({"op_host/a.cpp": "x", "op_kernel/b.cpp": "y"})
    assert len({a.hash(), b.hash(), c.hash()}) == 3


@pytest.mark.parametrize("path,why", [
    ("/etc/passwd.h", "relative"), ("op_host/../x.cpp", "'..'"), ("a//b.cpp", "empty"), ("x.py", "extensions"),
    ("a b.cpp", "characters"), ("C:/x.cpp", "relative"),
])
def test_bad_file_names_are_refused(path, why) -> None:
    with pytest.raises(CandidateError, match=why):
        Candidate.from_files({path: "int x;"})


def test_size_and_duplicate_limits() -> None:
    with pytest.raises(CandidateError, match="at most 10"):
        Candidate.from_files({"a.cpp": "x" * 6, "b.cpp": "y" * 6}, max_bytes=10)
    with pytest.raises(CandidateError, match="twice"):
        Candidate.from_files([("a.cpp", "x"), ("a.cpp", "y")])


def _tar(tmp_path: Path, members: list[tarfile.TarInfo], data: dict[str, bytes]) -> Path:
    p = tmp_path / "c.tar"
    with tarfile.open(p, "w") as tar:
        for m in members:
            tar.addfile(m, io.BytesIO(data.get(m.name, b"")) if m.isfile() else None)
    return p


@pytest.mark.parametrize("kind", ["absolute", "dotdot", "symlink", "hardlink", "device", "oversize"])
def test_unsafe_tarballs_are_refused(tmp_path, kind) -> None:
    m = tarfile.TarInfo("op_kernel/a.cpp")
    body = b"int a;"
    if kind == "absolute":
        m.name = "/tmp/a.cpp"
    elif kind == "dotdot":
        m.name = "op_kernel/../../a.cpp"
    elif kind == "symlink":
        m.type, m.linkname = tarfile.SYMTYPE, "/etc/passwd"
    elif kind == "hardlink":
        m.type, m.linkname = tarfile.LNKTYPE, "op_host/x.cpp"
    elif kind == "device":
        m.type = tarfile.CHRTYPE
    else:
        body = b"x" * 2048
    m.size = len(body) if m.isfile() else 0
    with pytest.raises(CandidateError):
        Candidate.from_path(_tar(tmp_path, [m], {m.name: body}), max_bytes=1024)


def test_tarball_with_a_top_folder_and_build_files(tmp_path) -> None:
    files = {f"scale_add/{p}": t for p, t in Candidate.from_path(SCALE_ADD).files}
    files["scale_add/CMakeLists.txt"] = "project(x)"  # not a source: ignored in archives and directories
    raw = tmp_path / "p.tgz"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for p, t in files.items():
            info = tarfile.TarInfo(p)
            info.size = len(t.encode())
            tar.addfile(info, io.BytesIO(t.encode()))
    raw.write_bytes(buf.getvalue())
    cand = Candidate.from_path(raw)
    assert cand.paths == sorted([HOST, KERNEL, "op_host/scale_add_tiling.h"])
    assert cand.hash() == Candidate.from_path(SCALE_ADD).hash()


def test_launch_parsing_helpers() -> None:
    blanked, launches = blank_chevrons("k<T, 4><<<n,\n nullptr, s>>>(a, b);")
    assert blanked.count("\n") == 1 and "<<<" not in blanked and blanked.startswith("k<T, 4>")
    assert launches == [{"callee": "k", "targs": ["T", "4"], "config": ["n", "nullptr", "s"], "args": ["a", "b"],
                         "text": "k<T, 4>", "line": 1, "last": 2}]
    rewritten, _ = blank_chevrons("k<T, 4><<<n,\n nullptr, s>>>(a, b);", rewrite=True)
    assert rewritten == "k<T, 4>|$(n,\n nullptr, s)  (a, b);"  # same length, lines and columns kept
    c = Constants(["constexpr uint32_t N = 8 * 2048U; // c\n#define BLOCKS (N / 1024)\nint dup = 1; int dup = 2;"])
    assert c.value("N") == 16384 and c.value("BLOCKS") == 16 and c.value("dup") is None
    assert snake_case("AddCustom") == "add_custom" and snake_case("GeGluV2") == "ge_glu_v2"
    assert snake_case("LayerNormV3") == "layer_norm_v3" and snake_case("MSELoss") == "mse_loss"


# ------------------------------------------------------------------------------------------- CLI
def _cli(*args: str, root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HAWK_SIM_WORK_ROOT": str(root)}
    return subprocess.run([sys.executable, "-m", "controller.cli", "sim", "run", *args, "--task-file", str(TASKS),
                           "--json", "--sets", "1"], capture_output=True, text=True, env=env, cwd=REPO, timeout=600)


def test_cli_runs_a_project_tarball_and_an_asc_file(twin_root, tmp_path) -> None:
    tgz = tmp_path / "scale_add.tgz"
    tgz.write_bytes(tar_bytes(dict(Candidate.from_path(SCALE_ADD).files)))
    p = _cli(str(tgz), "--task", "shapes_scale_add_fp16", root=twin_root)
    assert p.returncode == 0, p.stdout + p.stderr
    res = json.loads(p.stdout)
    assert res["status"] == "OK" and res["sourceHash"] == Candidate.from_path(SCALE_ADD).hash()
    p = _cli(str(KERNELS / "scale_template.asc"), "--task", "shapes_scale_fp32", root=twin_root)
    assert p.returncode == 0, p.stdout + p.stderr


def test_cli_refuses_an_unsafe_tarball(twin_root, tmp_path) -> None:
    m = tarfile.TarInfo("../evil.cpp")
    m.size = 1
    p = _tar(tmp_path, [m], {"../evil.cpp": b"x"})
    r = _cli(str(p), "--task", "shapes_scale_add_fp16", root=twin_root)
    assert r.returncode != 0 and "'..'" in r.stderr, r.stderr


def test_every_translation_unit_of_a_project_uses_the_precompiled_header(twin, specs, tmp_path) -> None:
    from npu_agent.simnpu.shapes import plan
    p = plan(Candidate.from_path(SCALE_ADD), "scale_add", TaskArgs.from_task(specs["shapes_scale_add_fp16"]))
    for rel, text in p.files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    argv = twin.build.compile_argv(p.sources, "k.bin", quote_dirs=p.quote_dirs) + ["-H", "-Winvalid-pch"]
    r = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    used = [ln for ln in r.stderr.splitlines() if ln.startswith(f"! {twin.build.pch_dir / 'kernel_operator.h.gch'}")]
    assert len(used) == len(p.sources) == 2
