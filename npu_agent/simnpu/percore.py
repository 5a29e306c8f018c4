"""Per-core-type compilation: a kernel built as CANN's device compiler builds it for a separated AIC/AIV chip.

bisheng compiles a kernel once for the cube sub-arch and once for the vector one; in each, `g_coreType`,
`ASCEND_IS_AIC` and `ASCEND_IS_AIV` are constants and `__DAV_C220_CUBE__` or `__DAV_C220_VEC__` is defined
(asc-devkit impl/utils/sys_macros.h). Kernels in the catlass style rely on it
(`template <int32_t CORE_TYPE = g_coreType> void operator()(...)`, `BarrierFlag<MODE, g_coreType>::ID`), which
the twin's one compile (g_coreType a runtime value) cannot accept. For such kernels the twin does the same:

1. the kernel translation unit (launch.cpp) is compiled twice to objects, `launch_aic.o` and `launch_aiv.o`, each
   after hawk/coretype.h with HAWK_CORE_VARIANT and the profile's sub-arch macros; other translation units (op_host
   sources, direct-launch host files) once;
2. the objects say which kernel type the build needs, as CANN's build decides it (ascendc_compile_v220.py
   get_code_channel_v220_by_first_tiling_key): a type the source declares (KERNEL_TASK_TYPE_DEFAULT / KERNEL_TASK_TYPE
   registrations, `__mix__` / `__cube__` / `__vector__` entries, a Matmul client) or, when it declares none, the code
   each variant holds: cube work only -> KERNEL_TYPE_AIC_ONLY (MIX_AIC_1_0 with hard cross-core sync), vector work
   or none -> AIV (the twin's default), both -> MIX_AIC_1_2. Only the variants that type runs are linked, as CANN
   links only the sub-arch objects the kernel type needs (an AIC-only kernel's AIV half may call a function that
   was never defined);
3. when both are linked, every global symbol the AIC object defines is renamed (`<name>.hawk_aic`, objcopy), so
   the two copies of each kernel function, inline function and template instance (whose bodies differ with the
   core type) do not merge; the AIV object keeps the names the runtime and other translation units look up;
4. the runtime (runtime/crosscore.cpp) calls hawk_entry_launch_aic on AIC cores and hawk_entry_launch_aiv on AIV
   cores (hawk/launch.h), and takes the inferred type (`hawk_inferred_kernel_type`, a generated definition) when
   the source declares none.

Only kernels that need it are compiled twice: the kernel text tests a sub-arch macro or uses g_coreType /
ASCEND_IS_* in a constant expression (template argument, default template argument, `constexpr`, static_assert),
or the one compile failed because it did. Every other kernel keeps the one-compile path (twice the compile time
would buy it nothing). A coupled chip (no sub-arch macros in its profile) always compiles once.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from npu_agent.sandbox import Limits, Sandbox, SandboxResult
from npu_agent.simnpu.build import TwinBuild
from npu_agent.simnpu.cpptext import strip_comments
from npu_agent.simnpu.shapes import LAUNCH_FILE, SRC_DIR, Plan

VARIANTS = ("aic", "aiv")  # HAWK_CORE_VARIANT 1 and 2; the AIV object is the primary (keeps its symbol names)
OBJCOPY = shutil.which("objcopy") or "/usr/bin/objcopy"

_CORE = r"\b(?:g_coreType|ASCEND_IS_(?:NOT_)?AI[CV])\b"
_SUBARCH = re.compile(r"\b(?:__DAV_C\d+_(?:CUBE|VEC)__|__DAV_(?:CUBE|VEC)__|SPLIT_CORE_(?:CUBE|VEC))\b")
# g_coreType / ASCEND_IS_* where C++ needs a constant: in a template head (a default template argument), a template
# argument list, a constexpr declaration or `if constexpr`, a static_assert.
_CONSTANT_USES = [re.compile(p) for p in (
    r"\btemplate\s*<[^;{}]*?" + _CORE,
    r"\w\s*<[^;{}()<>]*" + _CORE + r"[^;{}()<>]*>",
    r"\bconstexpr\b[^;{}]*?" + _CORE,
    r"\bstatic_assert\s*\([^;{}]*?" + _CORE,
)]
# GCC (C++17) refusing a constexpr function that C++20 allows (P1331) and clang accepts in C++17 as an extension.
_CXX17_CONSTEXPR = re.compile(r"must be initialized by mem-initializer in .constexpr. constructor|"
                              r"uninitialized variable .{1,200} in .constexpr. function")
CXX20 = "c++20"
# GCC's message when the runtime g_coreType (hawk::g.core) meets a constant expression.
_RUNTIME_CORE_ERROR = re.compile(r"hawk::g\W{0,3} is not usable in a constant expression")

# Runtime functions (namespace hawk, runtime/*.cpp) by the instructions they stand for, as CANN's v220_mode sorts
# a sub-arch object's instructions (mask, event, queue, scalar and bookkeeping calls count for neither). CANN's API
# implementations are guarded by core type (a vector API is empty in the cube build, Mmad in the vector build), the
# twin's are not: so cube calls count only in the AIC object, vector calls only in the AIV object, and a data copy
# (GM<->L1 on the AIC, GM<->UB on the AIV: one runtime function for both) counts for the object's core unless that
# object also holds the other core's compute (then it is the other core's code, compiled in unguarded).
_CUBE = {"mmad", "load2d", "load2d_transpose", "load3d", "fixpipe", "copy_bias", "init_const", "mm_init",
         "mm_set_operand", "mm_iterate", "mm_get_c", "mm_iterate_all", "mm_end"}
_VEC = {"vec", "reduce", "reduce_mask", "whole_reduce", "block_reduce", "pair_reduce", "brcb", "gather", "gatherb",
        "cmpmask_set", "cmpmask_get", "sort32", "mrgsort", "sort_full", "sort_extract", "softmax"}
_COPY = {"copy", "copy_params", "copy_pad", "copy_nd2nz"}
_HARD_SYNC = {"cross_set", "cross_wait", "sync_all_hard"}  # CANN: SET_CROSS_CORE / WAIT_FLAG_DEV in the object
_TYPE_REG = re.compile(r"^_ZN4hawk13KernelTypeRegILi(\d+)E")
_MIX_SECTION = re.compile(r"^hawk_mix_(\d)_(\d)_text$")
# KernelMetaType -> the core types it starts (runtime/crosscore.cpp run_launch, kernel.cpp kernel_type).
_TYPE_CORES = {0: {"aiv"}, 1: {"aic"}, 2: {"aiv"}, 3: {"aic"}, 4: {"aic", "aiv"}, 5: {"aic", "aiv"}, 6: {"aiv"},
               7: {"aiv"}, 8: {"aic", "aiv"}, 9: {"aiv"}}
AIC_ONLY, MIX_AIC_1_0, MIX_AIC_1_2 = 1, 3, 5


def variant_file(v: str) -> str:
    return f"launch_{v}.cpp"


def _kernel_texts(files: dict[str, str]) -> list[str]:
    """The candidate's kernel-side files (an op project's op_host sources are host code)."""
    return [t for name, t in files.items()
            if name == "kernel.cpp" or (name.startswith(SRC_DIR + "/") and not name.startswith(f"{SRC_DIR}/op_host/"))]


def supported(twin: TwinBuild) -> bool:
    """The chip has separate AIC and AIV cores whose code the device compiler builds apart."""
    return bool(twin.core_macros[0]) and bool(twin.core_macros[1])


def wanted(twin: TwinBuild, files: dict[str, str]) -> bool:
    """Whether the kernel needs its core type at compile time (then it is compiled once per core type)."""
    if not supported(twin):
        return False
    for text in _kernel_texts(files):
        code = strip_comments(text)
        if _SUBARCH.search(code):
            return True
        if re.search(_CORE, code) and any(p.search(code) for p in _CONSTANT_USES):
            return True
    return False


def retry_wanted(twin: TwinBuild, stderr: bytes) -> bool:
    """The one compile failed because the kernel used g_coreType / ASCEND_IS_* as a constant."""
    return supported(twin) and _RUNTIME_CORE_ERROR.search(stderr.decode("utf-8", errors="replace")) is not None


def variant_source(twin: TwinBuild, launch_text: str, v: str) -> str:
    """launch.cpp for one core type: the variant's macros and hawk/coretype.h ahead of the kernel."""
    macros = twin.core_macros[VARIANTS.index(v)]
    lines = [f"// Generated by the twin: the kernel compiled for the {v.upper()} core type (npu_agent/simnpu/percore.py).",
             f"#define HAWK_CORE_VARIANT {VARIANTS.index(v) + 1}", *[f"#define {m} 1" for m in macros],
             '#include "hawk/coretype.h"']
    return "\n".join(lines) + "\n" + launch_text


# ------------------------------------------------------------------------------------------------ objects
@dataclass
class ObjectInfo:
    """What a relocatable object defines and references (its symbol table) and its section names."""

    defined: list[str] = field(default_factory=list)     # global, weak and unique symbols it defines
    undefined: set[str] = field(default_factory=set)
    sections: set[str] = field(default_factory=set)


def read_object(path: Path) -> ObjectInfo:
    """The symbol table of a 64-bit little-endian ELF object (what the twin builds); ValueError when malformed."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError(f"{path.name} is not a 64-bit little-endian ELF object")
    try:
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
        shstr = sections[shstrndx][4]

        def name(off: int, base: int) -> str:
            end = data.index(b"\0", base + off)
            return data[base + off:end].decode("latin-1")

        info = ObjectInfo()
        for sh in sections:
            info.sections.add(name(sh[0], shstr))
            if sh[1] != 2:  # SHT_SYMTAB
                continue
            strtab = sections[sh[6]][4]
            entsize = sh[9] or 24
            for j in range(1, sh[5] // entsize):
                st_name, st_info, _other, st_shndx = struct.unpack_from("<IBBH", data, sh[4] + j * entsize)
                bind = st_info >> 4
                if bind not in (1, 2, 10) or st_name == 0:  # GLOBAL, WEAK, GNU_UNIQUE
                    continue
                sym = name(st_name, strtab)
                if st_shndx == 0:
                    info.undefined.add(sym)
                else:
                    info.defined.append(sym)
        return info
    except (struct.error, IndexError) as e:
        raise ValueError(f"{path.name}: malformed ELF ({e})") from e


def _runtime_calls(info: ObjectInfo) -> set[str]:
    """Names of the namespace-hawk runtime functions an object calls (`_ZN4hawk4mmadE...` -> mmad)."""
    out = set()
    for sym in info.undefined:
        m = re.match(r"_ZN4hawk(\d+)", sym)
        if m:
            out.add(sym[m.end():m.end() + int(m.group(1))])
    return out


@dataclass
class Decision:
    link: list[str]               # variants to link, in VARIANTS order
    inferred_type: int | None     # KernelMetaType for a kernel that declares none; None: the runtime's default
    why: str


def decide(objects: dict[str, ObjectInfo]) -> Decision:
    """The variants the kernel type needs and the type inferred for an undeclared kernel (module docstring, 2)."""
    cores: set[str] = set()
    declared = []
    for info in objects.values():
        for sym in info.defined:
            m = _TYPE_REG.match(sym)
            if m:
                declared.append(int(m.group(1)))
                cores |= _TYPE_CORES.get(int(m.group(1)), {"aiv"})
        for sec in info.sections:
            if _MIX_SECTION.match(sec):
                c, v = _MIX_SECTION.match(sec).groups()
                cores |= ({"aic"} if c != "0" else set()) | ({"aiv"} if v != "0" else set())
                declared.append(-1)
            elif sec == "hawk_aic_text":
                cores.add("aic")
                declared.append(-1)
            elif sec == "hawk_aiv_text":
                cores.add("aiv")
                declared.append(-1)
        if "hawk_matmul_client_kernel" in info.defined:  # lib/matmul_intf.h: a MIX 1:2 Matmul client
            cores |= {"aic", "aiv"}
            declared.append(MIX_AIC_1_2)
    if declared:
        return Decision([v for v in VARIANTS if v in cores], None, "the kernel type the source declares")
    aic, aiv = _runtime_calls(objects["aic"]), _runtime_calls(objects["aiv"])
    work = {"aic": bool(aic & _CUBE) or bool(aic & _COPY) and not aic & _VEC,
            "aiv": bool(aiv & _VEC) or bool(aiv & _COPY) and not aiv & _CUBE}
    hard = any(_runtime_calls(info) & _HARD_SYNC for info in objects.values())
    if work["aic"] and work["aiv"]:
        return Decision(list(VARIANTS), MIX_AIC_1_2, "cube and vector code: KERNEL_TYPE_MIX_AIC_1_2")
    if work["aic"]:
        t = MIX_AIC_1_0 if hard else AIC_ONLY
        return Decision(["aic"], t, "cube code only: " + ("KERNEL_TYPE_MIX_AIC_1_0" if hard else "KERNEL_TYPE_AIC_ONLY"))
    return Decision(["aiv"], None, "vector code only (or none): AIV")


# -------------------------------------------------------------------------------------------------- build
def compile_candidate(twin: TwinBuild, sandbox: Sandbox, work: Path, plan: Plan, files: dict[str, str], output: str,
                      *, use_pch: bool, limits: Limits, timeout_s: float,
                      cancel: threading.Event | None = None) -> SandboxResult:
    """The candidate's compile (npu_agent/simnpu/compiler.py), `files` already written in `work`: once, or once per
    core type when the kernel needs it; again per core type when the one compile failed on a constant g_coreType;
    again in C++20 when GCC refused a constexpr function that C++17 forbids but the device compiler (clang) accepts
    in C++17 as an extension (a constexpr constructor leaving a member to its body, an uninitialised local)."""
    deadline = time.monotonic() + timeout_s
    per_core, std = wanted(twin, files), None
    while True:
        left = max(1.0, deadline - time.monotonic())
        if per_core:
            r = build(twin, sandbox, work, plan, files, output, use_pch=use_pch, limits=limits, timeout_s=left,
                      cancel=cancel, std=std)
        else:
            argv = twin.compile_argv(plan.sources or [LAUNCH_FILE], output, use_pch=use_pch,
                                     quote_dirs=plan.quote_dirs, defines=plan.defines, std=std)
            r = sandbox.run(argv, cwd=work, limits=limits, timeout_s=left, cancel=cancel, profile="compile",
                            readonly_paths=(twin.root,))
        if r.returncode == 0 or r.timed_out or r.cancelled or r.violation() is not None:
            return r
        if not per_core and retry_wanted(twin, r.stderr):
            per_core = True
        elif std is None and _CXX17_CONSTEXPR.search(r.stderr.decode("utf-8", errors="replace")):
            std = CXX20
        else:
            return r


def build(twin: TwinBuild, sandbox: Sandbox, work: Path, plan: Plan, files: dict[str, str], output: str, *,
          use_pch: bool, limits: Limits, timeout_s: float, cancel: threading.Event | None = None,
          std: str | None = None) -> SandboxResult:
    """Compile, choose, rename and link (module docstring) in `work`, where `files` are already written.
    Returns the result of the failing step, or of the link with the steps' diagnostics."""
    deadline = time.monotonic() + timeout_s
    launch_text = files[LAUNCH_FILE]
    for v in VARIANTS:
        (work / variant_file(v)).write_text(variant_source(twin, launch_text, v))
    others = [s for s in (plan.sources or [LAUNCH_FILE]) if s != LAUNCH_FILE]
    jobs = [(f"hawk_tu_{i}.o", src) for i, src in enumerate(others)]
    jobs += [(f"launch_{v}.o", variant_file(v)) for v in VARIANTS]

    def run(argv: list[str]) -> SandboxResult:
        return sandbox.run(argv, cwd=work, limits=limits, timeout_s=max(1.0, deadline - time.monotonic()),
                           cancel=cancel, profile="compile", readonly_paths=(twin.root,))

    workers = max(1, min(len(jobs), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda j: run(twin.object_argv(j[1], j[0], use_pch=use_pch,
                                                              quote_dirs=plan.quote_dirs, defines=plan.defines,
                                                              std=std)), jobs))
    by_obj = dict(zip([o for o, _ in jobs], results, strict=True))
    failed = next((r for r in results if not r.ok), None)
    if failed is not None:
        return failed  # its own messages: the other variant's would repeat them
    try:
        objects = {v: read_object(work / f"launch_{v}.o") for v in VARIANTS}
    except (OSError, ValueError) as e:
        last = by_obj[f"launch_{VARIANTS[-1]}.o"]
        return dataclasses.replace(last, returncode=1, stderr=f"error: per-core build: {e}\n".encode())
    d = decide(objects)
    inputs = [o for o, _ in jobs if not o.startswith("launch_")] + [f"launch_{v}.o" for v in d.link]
    # The warnings of what is linked (a variant left out may warn of the function it never defines).
    stderr = _merge([by_obj[o].stderr for o in inputs])
    if len(d.link) == 2:
        # The secondary (AIC) object's definitions get their own names; its entry keeps the one the runtime calls.
        keep = "hawk_entry_launch_aic"
        (work / "launch_aic.syms").write_text("".join(f"{s} {s}.hawk_aic\n" for s in objects["aic"].defined
                                                      if s != keep))
        r = run([OBJCOPY, "--redefine-syms=launch_aic.syms", "launch_aic.o"])
        if not r.ok:
            return dataclasses.replace(r, stderr=stderr + r.stderr)
    if d.inferred_type is not None:
        (work / "hawk_inferred.cpp").write_text(
            f"// Generated by the twin: {d.why} (npu_agent/simnpu/percore.py).\n"
            f'extern "C" const int hawk_inferred_kernel_type = {d.inferred_type};\n')
        inputs.append("hawk_inferred.cpp")
    r = run(twin.link_argv(inputs, output))
    return dataclasses.replace(r, stderr=stderr + r.stderr)


def _merge(parts: list[bytes]) -> bytes:
    """The successful compiles' messages (warnings), a message the AIC and AIV compiles both print only once."""
    seen: set[bytes] = set()
    out = []
    for part in parts:
        lines = part.splitlines(keepends=True)
        out += [line for line in lines if line not in seen]
        seen.update(lines)
    return b"".join(out)
