"""How a candidate is built with the CANN toolchain: a plan of generated files and commands, then its execution.

Two routes, both the ones Huawei's public samples take (docs/agent.md "The cann backend"):

* **kernel launch** (a one-file kernel without a host tiling function, a direct-launch kernel without `main()`):
  the kernel file is compiled by CANN's `ascendc_library` CMake function (`ascendc.cmake` under
  `compiler/tikcpp/ascendc_kernel_cmake`, the kernel-invocation samples' build), with `-DSOC_VERSION` from the
  hardware profile; our generated launcher (launch.py) calls it through the `ACLRT_LAUNCH_KERNEL(<kernel>)`
  header that build generates.
* **op package** (an msopgen op project, and a one-file candidate with a host tiling function, which is split
  into one): `msopgen gen` makes the project skeleton from a JSON description of the task's op, the candidate's
  `op_host`/`op_kernel` files replace the skeleton's, `build.sh` builds the custom op package, and the package's
  `.run` installs into the work directory (`--install-path`, never CANN's own vendors directory); the generated
  launcher calls the op's generated aclnn API (`aclnn<Op>GetWorkspaceSize`, `aclnn<Op>`).

`plan_build` is pure (tests check its commands for every shape and SoC); `execute` runs the plan's steps in the
agent's sandbox (the `device` profile: CANN's cmake, make, msopgen and build.sh need more than g++ does). Nothing of the candidate's code is edited, only placed.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from hawk.v1 import result_pb2, task_pb2
from npu_agent.backends.cann import launch
from npu_agent.backends.cann.environment import CannInstall
from npu_agent.candidate import Candidate
from npu_agent.hardware import HardwareProfile
from npu_agent.sandbox import Limits, Sandbox
from npu_agent.simnpu.cpptext import match_paren, strip_comments
from npu_agent.simnpu.shapes import (
    DTYPES,
    Constants,
    blank_chevrons,
    classify,
    global_functions,
    has_main,
    snake_case,
)

LAUNCHER = "hawk_launcher"
OPP_DIR = "opp"                  # where the op package installs (under the build's work dir)
PKG_DIR = "op_project"           # the msopgen project
VENDOR = "customize"             # msopgen's default vendor name: <opp>/vendors/customize
WORKDIR = "{workdir}"            # in a step's argv: the build's work dir (an installer wants an absolute path)

# hawk.v1.DType -> msopgen's JSON type names (the op-project generator's input format).
MSOPGEN_TYPES = {task_pb2.FLOAT16: "fp16", task_pb2.BFLOAT16: "bf16", task_pb2.FLOAT32: "fp32", task_pb2.INT8: "int8",
                 task_pb2.INT16: "int16", task_pb2.INT32: "int32", task_pb2.UINT8: "uint8", task_pb2.INT64: "int64"}


class UnsupportedShape(ValueError):
    """A candidate this backend does not build (REJECTED with this message, which names the reason)."""


@dataclass
class BuildStep:
    name: str                     # for messages: "configure", "msopgen", "build.sh", ...
    argv: list[str]
    cwd: str = "."                # relative to the build's work dir
    files: dict[str, str] = field(default_factory=dict)  # written (relative paths) just before the step runs


@dataclass
class BuildPlan:
    kind: str                     # "kernel_launch" or "op_package"
    entry: str                    # the kernel function
    soc_version: str
    op_type: str = ""             # op package: the OpDef class (AddCustom)
    block_dim: int = 0            # kernel launch: the launch's constant block dim (0: the task's default)
    steps: list[BuildStep] = field(default_factory=list)
    launcher: str = f"build/{LAUNCHER}"  # the executable run() starts, relative to the work dir
    env: dict[str, str] = field(default_factory=dict)
    kernel_files: list[str] = field(default_factory=list)  # the candidate's files as placed (for diagnostics)
    run_env: dict[str, str] = field(default_factory=dict)  # extra environment of the launcher's run
    entry_file: str = ""          # the placed file that defines the kernel (device error reports point into it)
    single: bool = False          # a one-file candidate: its diagnostics name no file


def soc_version(hardware: HardwareProfile) -> str:
    """CANN's SOC_VERSION of a hardware profile ("Ascend910B2")."""
    value = hardware.get("soc", "cann_soc_version")
    if not value:
        raise UnsupportedShape(f"hardware profile {hardware.name} names no cann_soc_version: the cann backend cannot "
                               "build for it")
    return str(value)


# --------------------------------------------------------------------------------------------- one-file split
_HOST_BLOCK = re.compile(r"\bnamespace\s+optiling\s*\{")
_HOST_STMT = re.compile(r"\b(?:IMPL_OP_OPTILING|IMPL_OP_INFERSHAPE|IMPL_OP)\s*\(")


def host_regions(text: str) -> list[tuple[int, int]]:
    """Character ranges of a one-file candidate's host part: `namespace optiling { ... }` blocks and the
    IMPL_OP_* registration statements (up to their `;`)."""
    code = strip_comments(text)
    spans = []
    for m in _HOST_BLOCK.finditer(code):
        end = match_paren(code, m.end() - 1, "{", "}")
        if end > 0:
            spans.append((m.start(), end))
    for m in _HOST_STMT.finditer(code):
        if any(a <= m.start() < b for a, b in spans):
            continue
        end = code.find(";", m.end())
        if end > 0:
            spans.append((m.start(), end + 1))
    return sorted(spans)


def _blank(text: str, spans: list[tuple[int, int]], keep: bool) -> str:
    """The text with the spans blanked (keep=False) or everything but the spans blanked (keep=True); newlines stay,
    so every line keeps its number in compiler diagnostics."""
    inside = [False] * len(text)
    for a, b in spans:
        for i in range(a, min(b, len(text))):
            inside[i] = True
    return "".join(c if c == "\n" or inside[i] == keep else " " for i, c in enumerate(text))


def has_host_tiling(text: str) -> bool:
    return bool(host_regions(text))


def split_one_file(text: str) -> tuple[str, str]:
    """(kernel part, host part) of a one-file candidate with a tiling function; the host part keeps the includes
    other than kernel_operator.h (what the tiling code needs), the kernel part everything else."""
    spans = host_regions(text)
    code = strip_comments(text)
    includes = [(m.start(), m.end()) for m in re.finditer(r'^[ \t]*#[ \t]*include[ \t]*[<"]([^>"]+)[>"][^\n]*', code, re.M)
                if text[m.start(1):m.end(1)].strip() != "kernel_operator.h"]  # (strip_comments blanks strings)
    return _blank(text, spans, keep=False), _blank(text, sorted(spans + includes), keep=True)


# -------------------------------------------------------------------------------------------------- op defs
def _attr_kind(value: str) -> str:
    v = value.strip()
    if re.fullmatch(r"[-+]?\d+", v):
        return "Int"
    if re.fullmatch(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?", v):
        return "Float"
    if v.lower() in ("true", "false"):
        return "Bool"
    return "String"


def opdef_attrs(texts: list[str]) -> list[tuple[str, str, str | None]]:
    """(name, Int|Float|Bool|String|ListInt|..., declared default or None) of each `Attr("name")...` of an op
    project's OpDef, in order (the order of the aclnn API's attribute parameters)."""
    out = []
    for text in texts:
        code = strip_comments(text)  # (blanks string literals too: names are read from the text at code positions)
        for m in re.finditer(r'\bAttr\s*\(\s*"(\w+)"\s*\)', text):
            if not code.startswith("Attr", m.start()):
                continue  # in a comment or a string
            stmt = text[m.end():code.find(";", m.end())]
            kind = re.search(r"\.(ListInt|ListFloat|ListBool|Int|Float|Bool|String)\s*\(([^()]*)\)", stmt)
            default = kind.group(2).strip() or None if kind else None
            out.append((m.group(1), kind.group(1) if kind else "String", default))
    return out


def task_attrs(task: task_pb2.TaskSpec) -> list[tuple[str, str, str | None]]:
    """(name, kind, value) of the task's attributes, sorted by name (the order the twin indexes them in)."""
    return [(k, _attr_kind(v), v) for k, v in sorted(task.attributes.items())]


def generated_opdef(op_type: str, task: task_pb2.TaskSpec, op_config: str) -> str:
    """An OpDef for a one-file candidate's op, from the task (the op project of a candidate brings its own)."""
    lines = [f"// Generated by hawk (cann backend): the OpDef of {op_type} from the task's tensors and attributes.",
             '#include "register/op_def_registry.h"', "namespace ops {",
             f"class {op_type} : public OpDef {{", "public:",
             f"    explicit {op_type}(const char* name) : OpDef(name)", "    {"]
    for role, tensors in (("Input", task.inputs), ("Output", task.outputs)):
        for t in tensors:
            dt = DTYPES[t.dtype][1]
            lines.append(f'        this->{role}("{t.name}").ParamType(REQUIRED).DataType({{ge::{dt}}})'
                         '.Format({ge::FORMAT_ND});')
    for name, value in sorted(task.attributes.items()):
        kind = _attr_kind(value)
        literal = {"Int": value.strip(), "Float": value.strip(), "Bool": value.strip().lower(),
                   "String": json.dumps(value)}[kind]
        lines.append(f'        this->Attr("{name}").AttrType(OPTIONAL).{kind}({literal});')
    lines += [f'        this->AICore().AddConfig("{op_config}");', "    }", "};", f"OP_ADD({op_type});",
              "}  // namespace ops", ""]
    return "\n".join(lines)


def msopgen_json(op_type: str, task: task_pb2.TaskSpec, attrs: list[tuple[str, str, str | None]]) -> str:
    """The op description msopgen generates the project skeleton from."""
    def desc(t: task_pb2.TensorSpec) -> dict:
        return {"name": t.name, "param_type": "required", "format": ["ND"], "type": [MSOPGEN_TYPES[t.dtype]]}

    kinds = {"Int": "int", "Float": "float", "Bool": "bool", "String": "string", "ListInt": "list_int",
             "ListFloat": "list_float", "ListBool": "list_bool"}
    op = {"op": op_type, "input_desc": [desc(t) for t in task.inputs], "output_desc": [desc(t) for t in task.outputs]}
    if attrs:
        op["attr"] = [{"name": n, "param_type": "optional", "type": kinds.get(k, "string")} for n, k, _ in attrs]
    return json.dumps([op], indent=2) + "\n"


def camel_case(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("_") if p)


# ----------------------------------------------------------------------------------------------- planning
def _check_task(task: task_pb2.TaskSpec) -> None:
    for t in (*task.inputs, *task.outputs):
        if t.dtype not in MSOPGEN_TYPES:
            raise UnsupportedShape(f"tensor {t.name}: dtype {task_pb2.DType.Name(t.dtype)} is not built by the cann "
                                   "backend yet")


def kernel_definitions(task: task_pb2.TaskSpec, defines: tuple[str, ...]) -> list[str]:
    """DTYPE_<ARG>/ORIG_DTYPE_<ARG>/FORMAT_<ARG> (as CANN's op build passes them, docs/kernel-contract.md 9) and
    the candidate's own build definitions, for ascendc_compile_definitions."""
    out, seen = [], set()
    for role, tensors in (("in", task.inputs), ("out", task.outputs)):
        for t in tensors:
            arg = t.name.upper()
            if role == "out" and arg in seen:
                arg += "_REF"
            seen.add(arg)
            ctype, dt = DTYPES[t.dtype]
            out += [f"DTYPE_{arg}={ctype}", f"ORIG_DTYPE_{arg}={dt}", f"FORMAT_{arg}=FORMAT_ND"]
    return out + list(defines)


def _cmake_quote(text: str) -> str:
    """A CMake quoted argument holding `text` literally (no variable references, no list splitting)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace(";", "\\;") + '"'


def kernel_cmakelists(*, install: CannInstall, soc: str, kernel_files: list[str], definitions: list[str],
                      launcher_source: str) -> str:
    """Our CMakeLists.txt of the kernel-launch route: the samples' structure (ascendc.cmake, ascendc_library,
    a host executable linked with it and ascendcl), written for one kernel library and our launcher."""
    defs = "\n".join(f"    {_cmake_quote(d)}" for d in definitions)
    files = " ".join(kernel_files)
    return f"""# Generated by hawk (cann backend, kernel-launch route)
cmake_minimum_required(VERSION 3.16)
project(hawk_candidate LANGUAGES C CXX)
set(SOC_VERSION "{soc}" CACHE STRING "system on chip type")
set(ASCEND_CANN_PACKAGE_PATH "{install.home}" CACHE PATH "CANN package installation directory")
set(RUN_MODE "npu" CACHE STRING "run mode: npu")
set(CMAKE_BUILD_TYPE Release)
include({install.cmake_dir}/ascendc.cmake)
ascendc_library(hawk_kernels SHARED {files})
ascendc_compile_definitions(hawk_kernels PRIVATE
{defs}
)
ascendc_include_directories(hawk_kernels PRIVATE ${{CMAKE_CURRENT_SOURCE_DIR}}/kernel)
add_executable({LAUNCHER} {launcher_source})
target_include_directories({LAUNCHER} PRIVATE ${{ASCEND_CANN_PACKAGE_PATH}}/include)
target_link_directories({LAUNCHER} PRIVATE ${{ASCEND_CANN_PACKAGE_PATH}}/lib64)
target_link_libraries({LAUNCHER} PRIVATE hawk_kernels ascendcl m dl)
"""


def aclnn_cmakelists(*, install: CannInstall, op_type: str, launcher_source: str) -> str:
    """Our CMakeLists.txt of the launcher of an op package: the aclnn invocation samples' links (the package's
    op_api library, nnopbase, ascendcl)."""
    api = f"${{CMAKE_CURRENT_SOURCE_DIR}}/{OPP_DIR}/vendors/{VENDOR}/op_api"
    return f"""# Generated by hawk (cann backend, op-package route: aclnn{op_type})
cmake_minimum_required(VERSION 3.16)
project(hawk_launcher LANGUAGES CXX)
set(CMAKE_BUILD_TYPE Release)
add_executable({LAUNCHER} {launcher_source})
target_include_directories({LAUNCHER} PRIVATE {install.home}/include {install.home}/include/aclnn {api}/include)
target_link_directories({LAUNCHER} PRIVATE {install.home}/lib64 {api}/lib)
target_link_libraries({LAUNCHER} PRIVATE cust_opapi nnopbase opapi ascendcl m dl)
"""


def _cmake_steps(install: CannInstall, soc: str, jobs: int) -> list[BuildStep]:
    return [BuildStep("configure", ["cmake", "-S", ".", "-B", "build", f"-DSOC_VERSION={soc}",
                                    f"-DASCEND_CANN_PACKAGE_PATH={install.home}", "-DRUN_MODE=npu",
                                    "-DCMAKE_BUILD_TYPE=Release"]),
            BuildStep("build", ["cmake", "--build", "build", "--", f"-j{jobs}"])]


def plan_build(cand: Candidate, task: task_pb2.TaskSpec, *, install: CannInstall, hardware: HardwareProfile,
               jobs: int = 2) -> BuildPlan:
    """The generated files and commands that build `cand` for `task` on this CANN install (raises UnsupportedShape)."""
    _check_task(task)
    soc = soc_version(hardware)
    kind = classify(cand)
    texts = dict(cand.files)
    if any(p.lower().endswith(".asc") for p in texts):
        raise UnsupportedShape("an .asc candidate needs the ASC language build of CANN 8.3 and later, which the cann "
                               "backend does not drive yet (docs/agent.md)")
    if kind == "direct" and any(has_main(t) for t in texts.values()):
        raise UnsupportedShape("a direct-launch candidate's own host main() is not run by the cann backend yet: its "
                               "data would be the program's, not the task's (give the kernel without main(); "
                               "docs/agent.md)")
    if kind == "op_project" or (kind == "single" and has_host_tiling(cand.source)):
        return _plan_op_package(cand, task, install=install, hardware=hardware, soc=soc, jobs=jobs)
    # kernel launch: a one-file kernel without tiling, or a direct-launch kernel set without main()
    kernels = [k for p, t in texts.items() for k in global_functions(p, t)]
    entry = next((k for k in kernels if k.name == task.kernel_entry), kernels[0] if len(kernels) == 1 else None)
    if entry is None:
        raise UnsupportedShape(f"no __global__ kernel named {task.kernel_entry!r} in the candidate" if kernels else
                               "no __global__ kernel function is defined in the candidate")
    if entry.template:
        raise UnsupportedShape(f"the kernel {entry.name} is a template: ACLRT_LAUNCH_KERNEL launches plain "
                               "extern \"C\" kernels only")
    block_dim = 0
    for t in texts.values():
        for x in blank_chevrons(t)[1]:
            if x["callee"] == entry.name and x["config"]:
                block_dim = Constants(list(texts.values())).value(x["config"][0]) or 0
    placed = {f"kernel/{p}": t for p, t in texts.items()}
    kernel_tus = [f"kernel/{p}" for p in texts if p.lower().endswith((".cpp", ".cc", ".cxx"))]
    params = launch.kernel_params(entry.params, task)
    files = {**placed,
             launch.LAUNCHER_SOURCE: launch.kernel_launch_source(entry.name, params, task),
             "CMakeLists.txt": kernel_cmakelists(install=install, soc=soc, kernel_files=kernel_tus,
                                                 definitions=kernel_definitions(task, cand.defines),
                                                 launcher_source=launch.LAUNCHER_SOURCE)}
    steps = _cmake_steps(install, soc, jobs)
    steps[0].files = files
    return BuildPlan(kind="kernel_launch", entry=entry.name, soc_version=soc, block_dim=int(block_dim), steps=steps,
                     env=install.env(), kernel_files=list(placed), entry_file=f"kernel/{entry.path}",
                     single=cand.single)


def _plan_op_package(cand: Candidate, task: task_pb2.TaskSpec, *, install: CannInstall, hardware: HardwareProfile,
                     soc: str, jobs: int) -> BuildPlan:
    if install.msopgen is None:
        raise UnsupportedShape(f"this CANN install ({install.home}) has no msopgen: op projects and one-file "
                               "candidates with a tiling function cannot be built")
    op_config = str(hardware.get("soc", "cann_op_config") or soc.lower())
    if cand.single:
        op_match = re.search(r"\b(?:IMPL_OP_OPTILING|REGISTER_TILING_DATA_CLASS)\s*\(\s*(\w+)", strip_comments(cand.source))
        op_type = op_match.group(1) if op_match else camel_case(task.kernel_entry)
        snake = snake_case(op_type)
        if not re.fullmatch(r"[A-Za-z_]\w*", task.kernel_entry):
            raise UnsupportedShape(f"the task's kernel entry {task.kernel_entry!r} is not a C identifier")
        kernel_part, host_part = split_one_file(cand.source)
        sources = {f"op_host/{snake}.cpp": host_part + "\n" + generated_opdef(op_type, task, op_config)}
        if snake == task.kernel_entry:
            sources[f"op_kernel/{snake}.cpp"] = kernel_part
        else:  # CANN names an op's kernel after the op (LayerNormCustom -> layer_norm_custom): renamed by a macro
            sources[f"op_kernel/hawk_{task.kernel_entry}.h"] = kernel_part
            sources[f"op_kernel/{snake}.cpp"] = (
                f"// Generated by hawk (cann backend): CANN builds the op {op_type}'s kernel as {snake}.\n"
                f"#define {task.kernel_entry} {snake}\n#include \"hawk_{task.kernel_entry}.h\"\n")
        attrs = task_attrs(task)
    else:
        texts = dict(cand.files)
        ops = [m for t in texts.values() for m in re.findall(r"\bOP_ADD\s*\(\s*(\w+)", strip_comments(t))]
        if len(ops) != 1:
            raise UnsupportedShape(f"an op project needs exactly one OP_ADD(...); found {len(ops)}")
        op_type = ops[0]
        snake = snake_case(op_type)
        sources = dict(texts)
        attrs = opdef_attrs([t for p, t in texts.items() if p.startswith("op_host/")])
    names = {a[0] for a in attrs}
    unknown = sorted(set(task.attributes) - names)
    if unknown:
        raise UnsupportedShape(f"task attribute(s) {', '.join(unknown)} are not attributes of the op {op_type}")
    pkg = PKG_DIR
    run_files = {launch.LAUNCHER_SOURCE: launch.aclnn_launch_source(op_type, task, attrs),
                 "CMakeLists.txt": aclnn_cmakelists(install=install, op_type=op_type,
                                                    launcher_source=launch.LAUNCHER_SOURCE)}
    steps = [
        BuildStep("msopgen", [str(install.msopgen), "gen", "-i", "op.json", "-c", f"ai_core-{soc}", "-lan", "cpp",
                              "-out", pkg], files={"op.json": msopgen_json(op_type, task, attrs)}),
        BuildStep("build.sh", ["bash", "build.sh"], cwd=pkg, files={f"{pkg}/{p}": t for p, t in sources.items()}),
        BuildStep("install", ["bash", "-c", 'set -e; run=$(ls build_out/custom_opp_*.run | head -n 1); '
                              'bash "$run" --quiet --install-path="$1"', "install", f"{WORKDIR}/{OPP_DIR}"],
                  cwd=pkg),
        *_cmake_steps(install, soc, jobs),
    ]
    steps[3].files = run_files
    return BuildPlan(kind="op_package", entry=snake, soc_version=soc, op_type=op_type, steps=steps,
                     env={**install.env(), "ASCEND_COMPUTE_UNIT": soc.lower()},
                     kernel_files=[f"{pkg}/{p}" for p in sources], single=cand.single,
                     entry_file=next(f"{pkg}/{p}" for p in sorted(sources, key=lambda p: not p.endswith(".h"))
                                     if p.startswith("op_kernel/")),
                     run_env={"ASCEND_CUSTOM_OPP_PATH": f"{OPP_DIR}/vendors/{VENDOR}"})


# ---------------------------------------------------------------------------------------------- execution
# clang/bisheng and g++ diagnostics: file:line:col: error: message
_DIAG = re.compile(r"^(?P<file>[^\s:][^:\n]*):(?P<line>\d+):(?:(?P<col>\d+):)?\s*(?P<sev>fatal error|error|warning):"
                   r"\s*(?P<msg>.*)$", re.M)


def diagnostics(log: str, plan: BuildPlan) -> list[result_pb2.CompilerDiagnostic]:
    """The compiler's errors and warnings that point into the candidate's own files, named as the candidate names
    them (a one-file candidate's: no file name)."""
    out = []
    for m in _DIAG.finditer(log):
        path = m.group("file")
        hit = next((k for k in plan.kernel_files if path.endswith(k)), None)
        if hit is None:
            continue
        name = "" if plan.single else hit.split("/", 1)[1]  # kernel/<path> or op_project/<path>
        out.append(result_pb2.CompilerDiagnostic(
            severity="error" if "error" in m.group("sev") else "warning", file=name, line=int(m.group("line")),
            column=int(m.group("col") or 0), message=m.group("msg").strip()))
    return out


@dataclass
class BuildResult:
    status: int
    message: str = ""
    workdir: Path | None = None
    diagnostics: list[result_pb2.CompilerDiagnostic] = field(default_factory=list)
    log_tail: str = ""
    seconds: float = 0.0


def execute(plan: BuildPlan, workdir: Path, *, sandbox: Sandbox, install: CannInstall, timeout_s: float,
            cancel: threading.Event | None = None) -> BuildResult:
    """Run the plan's steps in `workdir` under the sandbox's device profile, stopping at the first failure.
    A step that fails on the candidate's files is COMPILE_ERROR; a tool that cannot start, a sandbox that cannot
    be set up, or a package that does not install is INTERNAL (our infrastructure, never the candidate's fault)."""
    start = time.monotonic()
    log = ""
    readonly = install.readonly_paths()
    for step in plan.steps:
        for rel, text in step.files.items():
            p = workdir / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
        left = timeout_s - (time.monotonic() - start)
        if left <= 0:
            return BuildResult(result_pb2.TIMEOUT, f"build exceeded its {timeout_s:g} s deadline", workdir,
                               seconds=time.monotonic() - start, log_tail=log[-8000:])
        argv = [a.replace(WORKDIR, str(workdir)) for a in step.argv]
        if not Path(argv[0]).is_absolute():  # the sandbox execs a path, it does not search PATH
            found = shutil.which(argv[0], path=plan.env.get("PATH")) or shutil.which(argv[0])
            if found is None:
                return BuildResult(result_pb2.INTERNAL, f"{argv[0]} is not installed on this host (the {step.name} "
                                   "step needs it)", workdir, seconds=time.monotonic() - start)
            argv[0] = found
        r = sandbox.run(argv, cwd=workdir / step.cwd if step.cwd != "." else workdir,
                        limits=Limits(cpu_seconds=int(max(60, timeout_s * 4)), address_space_bytes=0,
                                      processes=256, memory_bytes=8 << 30, open_files=4096),
                        timeout_s=left, env=plan.env, cancel=cancel, profile="device", readonly_paths=readonly)
        log += f"\n== {step.name}: {' '.join(argv)}\n" + r.log_tail(16000)
        seconds = time.monotonic() - start
        if r.setup_failed:
            return BuildResult(result_pb2.INTERNAL, f"sandbox set-up failed for the {step.name} step: {r.setup_failed}",
                               workdir, seconds=seconds, log_tail=log[-8000:])
        if r.cancelled:
            return BuildResult(result_pb2.CANCELLED, "cancelled while building", workdir, seconds=seconds)
        if r.timed_out:
            return BuildResult(result_pb2.TIMEOUT, f"build exceeded its {timeout_s:g} s deadline ({step.name})",
                               workdir, seconds=seconds, log_tail=log[-8000:])
        if r.violation():
            return BuildResult(result_pb2.SANDBOX_VIOLATION, f"{step.name}: {r.violation()}", workdir,
                               seconds=seconds, log_tail=log[-8000:])
        if not r.ok:
            diags = diagnostics(log, plan)
            errors = [d for d in diags if d.severity == "error"]
            if errors or step.name in ("build", "build.sh"):
                first = errors[0] if errors else None
                where = f" at {first.file or 'line'}{':' if first.file else ' '}{first.line}: {first.message}" \
                    if first else ""
                return BuildResult(result_pb2.COMPILE_ERROR, f"the CANN build failed in the {step.name} step{where}",
                                   workdir, diagnostics=diags, seconds=seconds, log_tail=log[-8000:])
            return BuildResult(result_pb2.INTERNAL, f"the {step.name} step of the CANN toolchain failed (exit "
                               f"{r.returncode}); see the log", workdir, seconds=seconds, log_tail=log[-8000:])
    if not (workdir / plan.launcher).is_file():
        return BuildResult(result_pb2.INTERNAL, f"the build succeeded but made no {plan.launcher}", workdir,
                           seconds=time.monotonic() - start, log_tail=log[-8000:])
    (workdir / "plan.json").write_text(json.dumps({"kind": plan.kind, "entry": plan.entry, "op_type": plan.op_type,
                                                   "block_dim": plan.block_dim, "soc_version": plan.soc_version,
                                                   "launcher": plan.launcher, "run_env": plan.run_env,
                                                   "entry_file": plan.entry_file, "single": plan.single}))
    return BuildResult(result_pb2.OK, "", workdir, diagnostics=diagnostics(log, plan),
                       seconds=time.monotonic() - start, log_tail=log[-8000:])
