"""The three shapes a candidate comes in, turned into one compile plan (docs/kernel-contract.md section 9).

* **single**: today's one-file contract: `kernel.cpp` compiled through `launch.cpp` exactly as before.
* **op project** (msopgen layout): every `op_host/*.cpp` is its own translation unit (tiling function, `OpDef`,
  InferShape); the kernel translation unit includes the `op_host` tiling headers (as a CANN build makes the
  tiling struct visible to the kernel), the `DTYPE_<ARG>` macros, then `op_kernel/<op>.cpp` unchanged.
* **direct launch** (a `.cpp` with `<<<>>>`/`main()`, or an asc-devkit `.asc`): compiled as the NPU build sees
  it (neither `ASCENDC_CPU_DEBUG` nor `__CCE_KT_TEST__`). With a host `main()`, the host program is compiled and
  RUN: each `kernel<<<cfg>>>(args)` is rewritten in the twin's copy, character for character, into
  `kernel|$(cfg)  (args)` (hawk/hostlaunch.h), a launch that receives the host-computed arguments. Without a
  `main()` (a `launch_*` wrapper called from Python), the `<<<...>>>` is blanked, the entry is the `__global__`
  function and the block dim, template and scalar arguments come from the launch when constant (else from task
  attributes).
* `<<<>>>` wrappers inside an op project's `op_kernel` files (`<op>_do`) are blanked the same way (never run).

Nothing here edits kernel code: the plan only adds generated files around the candidate's own.
"""

from __future__ import annotations

import ast
import ctypes
import ctypes.util
import functools
import json
import operator
import posixpath
import re
from dataclasses import dataclass, field

from hawk.v1 import task_pb2
from npu_agent.candidate import Candidate
from npu_agent.simnpu.build import INCLUDE_DIR
from npu_agent.simnpu.cpptext import match_paren, split_top, strip_comments
from npu_agent.simnpu.memberspec import fold_member_specializations

SRC_DIR = "src"                  # candidate files live under <work>/src/<their path>
LAUNCH_FILE = "launch.cpp"
TASK_HEADER = "hawk_task.h"
HOST_HEADER = "hawk_host.h"
KERNEL_MACROS = "hawk_kernel_macros.h"
LAUNCH_JSON = "launch.json"
TU_EXTENSIONS = (".cpp", ".cc", ".cxx", ".c++", ".asc")

# hawk.v1.DType -> (C++ type, ge/CANN dtype name); CANN's DTYPE_MAP (ascendc_impl_build.py) for the same dtypes.
DTYPES: dict[int, tuple[str, str]] = {
    task_pb2.FLOAT16: ("half", "DT_FLOAT16"), task_pb2.BFLOAT16: ("bfloat16_t", "DT_BF16"),
    task_pb2.FLOAT32: ("float", "DT_FLOAT"), task_pb2.INT8: ("int8_t", "DT_INT8"),
    task_pb2.INT16: ("int16_t", "DT_INT16"), task_pb2.INT32: ("int32_t", "DT_INT32"),
    task_pb2.UINT8: ("uint8_t", "DT_UINT8"), task_pb2.INT64: ("int64_t", "DT_INT64"),
}
_BOOL = getattr(task_pb2, "BOOL", None)  # a bool dtype may be added to the wire (issue 12, item 4)
if _BOOL is not None:
    DTYPES[_BOOL] = ("bool", "DT_BOOL")

# CANN's kernel_type.h values: `#if ORIG_DTYPE_X == DT_FLOAT16` must compare numbers in the preprocessor.
_DT_VALUES = {"DT_FLOAT": 0, "DT_FLOAT16": 1, "DT_INT8": 2, "DT_INT32": 3, "DT_UINT8": 4, "DT_INT16": 6,
              "DT_UINT16": 7, "DT_UINT32": 8, "DT_INT64": 9, "DT_UINT64": 10, "DT_DOUBLE": 11, "DT_BOOL": 12,
              "DT_BF16": 27, "DT_UNDEFINED": 28}
_FORMAT_VALUES = {"FORMAT_NCHW": 0, "FORMAT_NHWC": 1, "FORMAT_ND": 2, "FORMAT_NC1HWC0": 3, "FORMAT_FRACTAL_Z": 4,
                  "FORMAT_FRACTAL_NZ": 29}


class ShapeError(ValueError):
    """The candidate's files do not form an accepted shape (REJECTED with this message)."""


@dataclass(frozen=True)
class TaskArgs:
    """What a compile must know of the task: its tensors' names and dtypes (DTYPE_<ARG>), scalar attributes
    (direct-launch scalar parameters) and its kernel entry."""

    inputs: tuple[tuple[str, int], ...] = ()
    outputs: tuple[tuple[str, int], ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_task(cls, task: task_pb2.TaskSpec | None) -> TaskArgs:
        if task is None:
            return cls()
        return cls(inputs=tuple((t.name, int(t.dtype)) for t in task.inputs),
                   outputs=tuple((t.name, int(t.dtype)) for t in task.outputs),
                   attributes=tuple(sorted((k, str(v)) for k, v in task.attributes.items())))

    def key(self) -> str:
        return json.dumps([self.inputs, self.outputs, self.attributes])

    @property
    def tensor_count(self) -> int:
        return len(self.inputs) + len(self.outputs)


@dataclass
class Plan:
    kind: str                                   # "single", "op_project", "direct"
    entry: str
    files: dict[str, str] = field(default_factory=dict)    # work-dir path -> text
    sources: list[str] = field(default_factory=list)       # translation units, work-dir paths
    launch: dict = field(default_factory=dict)             # launch.json: block_dim, notes
    quote_dirs: list[str] = field(default_factory=list)    # -iquote directories (work-dir paths)

    single_file: bool = False                              # the candidate is one file: diagnostics name no file
    defines: tuple[str, ...] = ()                          # the candidate's build definitions (-D)

    def display(self, path: str) -> str | None:
        """The candidate's own name for a path GCC printed; "" for a one-file candidate; None for a twin file."""
        p = posixpath.normpath(path)
        if self.kind == "single":
            return "" if p == "kernel.cpp" else None
        if p.startswith(SRC_DIR + "/"):
            return "" if self.single_file else p[len(SRC_DIR) + 1:]
        return None


# ------------------------------------------------------------------------------------------ text helpers
_GLOBAL_RE = re.compile(r"\b__global__\b((?:\s+\w+(?:\s*\([^()]*\))?)*?)\s+void\s+(\w+)\s*\(")


@dataclass
class KernelFn:
    name: str
    path: str
    params: list[str]
    template: bool
    quals: str = ""  # qualifiers between __global__ and void (`__cube__`, `__mix__(1, 2)`, `__aicore__` ...)

    def core_hint(self) -> tuple[int, int]:
        """(core, mix) as hawk/launch.h's core_of / mix_type_of would report them: GCC drops the section
        attribute of __cube__/__vector__/__mix__ on template instances, so the twin takes them from the text."""
        m = re.search(r"\b__mix__\s*\(\s*(\d)\s*,\s*(\d)\s*\)", self.quals)
        mix = {("0", "1"): 2, ("1", "0"): 3, ("1", "1"): 4, ("1", "2"): 5}.get(m.groups(), -1) if m else -1
        core = 2 if re.search(r"\b__cube__\b", self.quals) else 1 if re.search(r"\b__vector__\b", self.quals) else 0
        return core, mix


def global_functions(path: str, text: str) -> list[KernelFn]:
    """`__global__` kernel definitions in one file (name, parameter declarations, whether a template)."""
    code = strip_comments(text)
    found = []
    for m in _GLOBAL_RE.finditer(code):
        open_at = m.end() - 1
        close = match_paren(code, open_at)
        if close < 0:
            continue
        after = code[close:close + 200].lstrip()
        if not after.startswith("{"):
            continue  # a declaration
        before = code[max(0, m.start() - 400):m.start()]
        stmt = re.split(r"[;}]", before)[-1]
        found.append(KernelFn(name=m.group(2), path=path, params=split_top(code[open_at + 1:close - 1]),
                              template=bool(re.search(r"\btemplate\s*<", stmt)), quals=m.group(1) or ""))
    return found


def snake_case(name: str) -> str:
    """CANN's op name -> kernel name: AddCustom -> add_custom, GeGluV2 -> ge_glu_v2, LayerNormV3 -> layer_norm_v3."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


# ------------------------------------------------------------------------------------- constant folding
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv,
        ast.Mod: operator.mod, ast.LShift: operator.lshift, ast.RShift: operator.rshift, ast.BitOr: operator.or_,
        ast.BitAnd: operator.and_, ast.BitXor: operator.xor}


class Constants:
    """Integer constants a launch refers to: `constexpr uint32_t N = 8 * 2048;`, `uint32_t numBlocks = 8;`,
    `#define NUM_BLOCKS 8` anywhere in the candidate (an identifier with two different values is unknown)."""

    _DEF = re.compile(r"(?:^|[;{}(\s])(?:static\s+|constexpr\s+|const\s+|inline\s+)*(?:unsigned\s+|signed\s+)?"
                      r"(?:[A-Za-z_][\w:]*)\s+([A-Za-z_]\w*)\s*(?:=\s*([^;,{}]+?)|\{\s*([^;{}]+?)\s*\})\s*;")
    _MACRO = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+([^\n]+)$", re.M)

    def __init__(self, texts: list[str]) -> None:
        self.exprs: dict[str, set[str]] = {}
        for text in texts:
            code = strip_comments(text)
            for m in self._MACRO.finditer(code):
                self.exprs.setdefault(m.group(1), set()).add(m.group(2).strip())
            for m in self._DEF.finditer(code):
                expr = (m.group(2) or m.group(3) or "").strip()
                self.exprs.setdefault(m.group(1), set()).add(expr)

    def value(self, expr: str, depth: int = 0) -> int | None:
        expr = re.sub(r"\b(\d+)(?:[uU][lL]{0,2}|[lL]{1,2}[uU]?)\b", r"\1", expr.strip())
        expr = re.sub(r"static_cast\s*<[^<>]+>", "", expr)
        expr = expr.replace("/", "//").replace("////", "//")
        try:
            tree = ast.parse(expr, mode="eval")
        except SyntaxError:
            return None
        return self._eval(tree.body, depth)

    def _eval(self, node: ast.AST, depth: int) -> int | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self._eval(node.operand, depth)
            return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            a, b = self._eval(node.left, depth), self._eval(node.right, depth)
            if a is None or b is None or (isinstance(node.op, (ast.FloorDiv, ast.Mod)) and b == 0):
                return None
            return _OPS[type(node.op)](a, b)
        if isinstance(node, ast.Name) and depth < 16:
            exprs = self.exprs.get(node.id, set())
            values = {self.value(e, depth + 1) for e in exprs}
            if len(values) == 1 and None not in values:
                return values.pop()
        return None


# ------------------------------------------------------------------------------------------ generated text
def task_header(args: TaskArgs, *, value_macros: bool) -> str:
    """DTYPE_<ARG> (C++ type), ORIG_DTYPE_<ARG> (dtype name), FORMAT_<ARG> as a CANN build passes them for a
    kernel; an output named like an input gets the `_REF` suffix, as in CANN's get_dtype_fmt_options. The DT_*/
    FORMAT_* value macros (`value_macros`) only for an op project's kernel: CANN's op build defines them, while a
    one-file or direct-launch kernel is compiled by the device compiler alone, where `DT_FLOAT16` is free for the
    host code's own enums (matmul_tiling::DataType::DT_FLOAT16)."""
    lines = ["// Generated by the twin: what a CANN build defines for this task's kernel (DTYPE_<ARG>...).",
             "#pragma once"]
    if value_macros:
        lines += [f"#define {k} {v}" for k, v in {**_DT_VALUES, **_FORMAT_VALUES}.items()]
    seen: set[str] = set()
    for role, tensors in (("in", args.inputs), ("out", args.outputs)):
        for name, dtype in tensors:
            if not re.fullmatch(r"[A-Za-z_]\w*", name) or dtype not in DTYPES:
                continue
            arg = name.upper()
            if role == "out" and arg in seen:
                arg += "_REF"
            seen.add(arg)
            ctype, dt = DTYPES[dtype]
            lines += [f"#define DTYPE_{arg} {ctype}", f"#define ORIG_DTYPE_{arg} {dt}", f"#define FORMAT_{arg} FORMAT_ND"]
    return "\n".join(lines) + "\n"


HOST_HEADER_TEXT = """// Generated by the twin for a direct-launch candidate without a host program: any main() is compiled under
// another name and never run (docs/kernel-contract.md section 9); <<<>>> launches were blanked in the twin's copy.
#pragma once
#define main hawk_host_main_not_run
"""

HOST_PROGRAM_HEADER_TEXT = """// Generated by the twin for a direct-launch candidate with a host main(): the host program runs
// (docs/kernel-contract.md section 9); each <<<>>> launch was rewritten into `kernel|$(cfg)  (args)`.
#pragma once
#include "hawk/hostlaunch.h"
"""

_MAIN_RE = re.compile(r"(?<![\w:.>])(?:int|int32_t|signed|signed\s+int|auto)\s+main\s*\(")


def has_main(text: str) -> bool:
    """Whether a file defines a host `main()` (comments and strings ignored)."""
    return _MAIN_RE.search(strip_comments(text)) is not None


def blank_chevrons(text: str, *, rewrite: bool = False) -> tuple[str, list[dict]]:
    """The text with every `<<<cfg>>>` replaced by spaces (newlines kept) and the launches found:
    callee, template arguments, configuration and call arguments (as text), and the lines the `<<<...>>>` spans.

    With `rewrite`, `<<<` becomes `|$(` and `>>>` becomes `)  ` instead (same length: hawk/hostlaunch.h turns
    `kernel|$(cfg)  (args)` into a launch with the host's own arguments)."""
    code = strip_comments(text)
    out = list(text)
    launches = []
    for m in re.finditer(r"<<<(.*?)>>>", code, re.S):
        before = code[:m.start()]
        callee = re.search(r"([A-Za-z_]\w*)\s*(<(?:[^<>;{}]|<[^<>;{}]*>)*>)?\s*$", before)
        rest = code[m.end():]
        call = re.match(r"\s*\(", rest)
        args: list[str] = []
        if call:
            close = match_paren(rest, call.end() - 1)
            if close > 0:
                args = split_top(rest[call.end():close - 1])
        if callee:
            targs = split_top(callee.group(2)[1:-1]) if callee.group(2) else []
            launches.append({"callee": callee.group(1), "targs": targs, "config": split_top(m.group(1)),
                             "args": args, "text": re.sub(r"\s+", " ", callee.group(0)).strip(),
                             "line": code.count("\n", 0, m.start()) + 1,
                             "last": code.count("\n", 0, m.end()) + 1})
        if rewrite:
            out[m.start():m.start() + 3] = "|$("
            out[m.end() - 3:m.end()] = ")  "
            continue
        for i in range(m.start(), m.end()):
            if out[i] != "\n":
                out[i] = " "
    return "".join(out), launches


# The device compiler's attribute syntax `__forceinline__ [aicore] void f()`: `[aicore]` after a declaration
# specifier (or at the start of a declaration) is an attribute, never a subscript; it cannot be a macro.
_AICORE_ATTR = re.compile(r"\[\s*aicore\s*\]")
_BEFORE_ATTR = re.compile(r"(?:\A|\n|[;{}>]|\b(?:__forceinline__|__inline__|inline|static|constexpr|extern|virtual|friend|"
                          r"__aicore__|__global__))\s*$")


def blank_bisheng_attributes(text: str) -> str:
    """The text with bisheng's `[aicore]` function attribute blanked (lines and columns kept); comments, string
    literals and subscripts (`a[aicore]`) are left alone."""
    code = strip_comments(text)
    if "aicore" not in code:
        return text
    out = list(text)
    for m in _AICORE_ATTR.finditer(code):
        if _BEFORE_ATTR.search(code, max(0, m.start() - 64), m.start()):
            for i in range(m.start(), m.end()):
                if out[i] != "\n":
                    out[i] = " "
    return "".join(out)


def _tiling_aliases(cand: Candidate, headers: list[str]) -> list[str]:
    """A CANN build hands the kernel its tiling structs at global scope (generated from the host registration);
    the op_host headers define them in namespace optiling, so the kernel's unqualified uses get a using-declaration."""
    kernel_code = "\n".join(strip_comments(t) for p, t in cand.files if p.startswith("op_kernel/"))
    out = []
    for h in headers:
        code = strip_comments(cand.text(h))
        for m in re.finditer(r"\bBEGIN_TILING_DATA_DEF\s*\(\s*(\w+)\s*\)", code):
            name = m.group(1)
            in_optiling = re.search(r"\bnamespace\s+optiling\b", code[:m.start()]) is not None
            defined = re.search(rf"\b(?:struct|class|using)\s+{name}\b", kernel_code) is not None
            if in_optiling and not defined and re.search(rf"(?<!::)\b{name}\b", kernel_code):
                out.append(f"using optiling::{name};")
    return list(dict.fromkeys(out))


def _twin_includes(texts: list[str]) -> list[str]:
    """The twin headers the kernel side includes, included ahead of the DT_*/FORMAT_* value macros (which a
    CANN kernel build defines) so that those headers still see ge::DT_FLOAT16 and friends as names."""
    names: list[str] = []
    for text in texts:
        for m in re.finditer(r'^[ \t]*#[ \t]*include[ \t]*[<"]([^>"]+)[>"]', text, re.M):
            name = m.group(1)
            if name not in names and name != "kernel_operator.h" and (INCLUDE_DIR / name).is_file():
                names.append(name)
    return [f'#include "{n}"' for n in names]


def _is_pointer(param: str) -> bool:
    return "*" in param or "GM_ADDR" in param or "&" in param and "__gm__" in param


def _param_name(param: str) -> str:
    m = re.search(r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*(?:=.*)?$", param)
    return m.group(1) if m else ""


# ------------------------------------------------------------------------------------------------- planning
def classify(cand: Candidate) -> str:
    if cand.single:
        code = strip_comments(cand.source)
        if "<<<" in code or re.search(r"\bmain\s*\(", code):
            return "direct"
        return "single"
    if any(p.startswith(("op_host/", "op_kernel/")) for p in cand.paths):
        return "op_project"
    return "direct"


@functools.lru_cache(maxsize=1024)  # find_library runs ldconfig in a subprocess: once per name, not per compile
def _c_library_symbol(name: str) -> bool:
    """Whether `name` is a function of the C library or libm (`sqrt`, `exp`, `floor`, `abs`, ...)."""
    libs = [ctypes.CDLL(None)]
    libm = ctypes.util.find_library("m")
    if libm:
        libs.append(ctypes.CDLL(libm))
    return any(hasattr(lib, name) for lib in libs)


def _entry_lines(path: str, entry: str) -> list[str]:
    """Includes the kernel file and launches its entry (renamed when it is named like a C library function)."""
    if _c_library_symbol(entry):
        return [f"#define {entry} hawk_kernel_{entry}", f'#include "{path}"', f"#undef {entry}",
                '#include "hawk/launch.h"', f"HAWK_LAUNCH(hawk_kernel_{entry})"]
    return [f'#include "{path}"', '#include "hawk/launch.h"', f"HAWK_LAUNCH({entry})"]


def launch_source(entry: str) -> str:
    """The generated launch.cpp of a one-file candidate. A kernel entry named like a C library function (public
    ops are named `sqrt`, `exp`, ...) would clash with the C declaration the standard headers make and, being
    extern "C", replace the library's symbol in the binary; the kernel text alone is compiled with the name mapped
    to `hawk_kernel_<entry>`."""
    return "\n".join([f'#include "{TASK_HEADER}"', *_entry_lines("kernel.cpp", entry)]) + "\n"


def plan(cand: Candidate, entry: str, args: TaskArgs) -> Plan:
    cand = Candidate(files=tuple((p, fold_member_specializations(blank_bisheng_attributes(t))) for p, t in cand.files),
                     single=cand.single)
    kind = classify(cand)
    if kind == "single":
        return Plan(kind="single", entry=entry, single_file=True, files={
            "kernel.cpp": cand.source, TASK_HEADER: task_header(args, value_macros=False),
            LAUNCH_FILE: launch_source(entry)})
    if kind == "op_project":
        return _plan_op_project(cand, entry, args)
    return _plan_direct(cand, entry, args)


def _pick_entry(kernels: list[KernelFn], preferred: list[str], task_entry: str, where: str) -> KernelFn:
    if not kernels:
        raise ShapeError(f"no __global__ kernel function is defined in {where} (docs/kernel-contract.md section 9)")
    by_name = {k.name: k for k in kernels}
    for name in preferred:
        if name in by_name:
            return by_name[name]
    if len(by_name) == 1:
        return kernels[0]
    if task_entry in by_name:
        return by_name[task_entry]
    raise ShapeError(f"{where} defines several __global__ kernels ({', '.join(sorted(by_name))}) and none is the "
                     f"task's kernel entry {task_entry!r}")


def _plan_op_project(cand: Candidate, task_entry: str, args: TaskArgs) -> Plan:
    host = [p for p in cand.paths if p.startswith("op_host/") and p.lower().endswith(TU_EXTENSIONS)]
    kernel_files = [p for p in cand.paths if p.startswith("op_kernel/") and p.lower().endswith(TU_EXTENSIONS)]
    if not kernel_files:
        raise ShapeError("the op project has no op_kernel/<op>.cpp (msopgen layout: op_host/<op>.cpp, "
                         "op_host/<op>_tiling.h, op_kernel/<op>.cpp)")
    if not host:
        raise ShapeError("the op project has no op_host/<op>.cpp with the tiling function and the OpDef")
    op_names = []
    for p in host:
        op_names += re.findall(r"\bOP_ADD\s*\(\s*([A-Za-z_]\w*)", strip_comments(cand.text(p)))
    kernels = [k for p in kernel_files for k in global_functions(p, cand.text(p))]
    chosen = _pick_entry(kernels, [snake_case(n) for n in op_names], task_entry, "op_kernel")
    if chosen.template:
        raise ShapeError(f"the kernel {chosen.name} in {chosen.path} is a template; an op project's kernel entry "
                         "must be a plain function")
    tiling_headers = [p for p in cand.paths if p.startswith("op_host/") and not p.lower().endswith(TU_EXTENSIONS)
                      and "BEGIN_TILING_DATA_DEF" in strip_comments(cand.text(p))]
    # An `<op>_do` wrapper with <<<>>> in op_kernel (NPUKernelBench answers) is host code CANN never runs here.
    files = {f"{SRC_DIR}/{p}": blank_chevrons(t)[0] if p.startswith("op_kernel/") and "<<<" in t else t
             for p, t in cand.files}
    files[TASK_HEADER] = task_header(args, value_macros=True)
    lines = ["// Generated by the twin: the kernel translation unit of an op project (docs/kernel-contract.md 9).",
             *[f'#include "{SRC_DIR}/{h}"' for h in tiling_headers],
             *_tiling_aliases(cand, tiling_headers),
             *_twin_includes([t for p, t in cand.files if p.startswith("op_kernel/")]),
             f'#include "{TASK_HEADER}"',
             *_entry_lines(f"{SRC_DIR}/{chosen.path}", chosen.name)]
    files[LAUNCH_FILE] = "\n".join(lines) + "\n"
    dirs = sorted({posixpath.dirname(f"{SRC_DIR}/{p}") for p in cand.paths if p.startswith(("op_host/", "op_kernel/"))})
    return Plan(kind="op_project", entry=chosen.name, files=files, sources=[f"{SRC_DIR}/{p}" for p in host] + [LAUNCH_FILE],
                launch={"shape": "op_project", "op": op_names[0] if op_names else ""}, quote_dirs=dirs)


def _plan_direct(cand: Candidate, task_entry: str, args: TaskArgs) -> Plan:
    names = cand.paths if not cand.single else ["kernel.cpp"]
    texts = {p: t for p, t in cand.files} if not cand.single else {"kernel.cpp": cand.source}
    if any(has_main(texts[p]) for p in names if p.lower().endswith(TU_EXTENSIONS)):
        return _plan_host_program(cand, names, texts, task_entry, args)
    kernels = [k for p in names for k in global_functions(p, texts[p])]
    chosen = _pick_entry(kernels, [], task_entry, "the candidate")
    files: dict[str, str] = {}
    launches: list[dict] = []
    for p in names:
        blanked, found = blank_chevrons(texts[p])
        files[f"{SRC_DIR}/{p}"] = blanked
        launches += found
    consts = Constants(list(texts.values()))
    launch = next((x for x in launches if x["callee"] == chosen.name), None)
    meta: dict = {"shape": "direct"}
    if launch and launch["config"]:
        dim = consts.value(launch["config"][0])
        if dim is not None and dim > 0:
            meta["block_dim"] = dim
    tus = [p for p in names if p.lower().endswith(TU_EXTENSIONS)]
    files[HOST_HEADER] = HOST_HEADER_TEXT
    files[TASK_HEADER] = task_header(args, value_macros=False)
    call = _direct_call(chosen, launch, consts, args)
    lines = ["// Generated by the twin: the kernel translation unit of a direct-launch candidate.",
             f'#include "{HOST_HEADER}"', *_twin_includes(list(texts.values())), f'#include "{TASK_HEADER}"',
             f'#include "{SRC_DIR}/{chosen.path}"',
             '#include "hawk/launch.h"', *call]
    files[LAUNCH_FILE] = "\n".join(lines) + "\n"
    others = []
    for i, p in enumerate(t for t in tus if t != chosen.path):
        wrapper = f"host_tu_{i}.cpp"
        files[wrapper] = f'#include "{HOST_HEADER}"\n#include "{SRC_DIR}/{p}"\n'
        others.append(wrapper)
    dirs = sorted({posixpath.dirname(f"{SRC_DIR}/{p}") for p in names})
    return Plan(kind="direct", entry=chosen.name, files=files, sources=others + [LAUNCH_FILE], launch=meta,
                quote_dirs=dirs, single_file=cand.single)


def _c_str(s: str) -> str:
    """A C string literal (octal escapes, which never swallow a following digit)."""
    out = []
    for ch in s:
        if ch in "\\\"":
            out.append("\\" + ch)
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.extend(f"\\{b:03o}" for b in ch.encode())
    return '"' + "".join(out) + '"'


def _plan_host_program(cand: Candidate, names: list[str], texts: dict[str, str], task_entry: str,
                       args: TaskArgs) -> Plan:
    """A direct-launch candidate whose host main() runs: every <<<>>> launch rewritten (hawk/hostlaunch.h), the
    runtime's main() replaced by the candidate's (runtime/host.cpp)."""
    kernels = [k for p in names for k in global_functions(p, texts[p])]
    if not kernels:
        raise ShapeError("no __global__ kernel function is defined in the candidate (docs/kernel-contract.md "
                         "section 9)")
    files: dict[str, str] = {}
    sites: list[str] = []
    launched: list[str] = []
    shown_single = cand.single
    by_name = {k.name: k for k in kernels}
    for p in names:
        text, found = blank_chevrons(texts[p], rewrite=True)
        files[f"{SRC_DIR}/{p}"] = text
        for x in found:
            launched.append(x["callee"])
            arg_texts = "\x1f".join(re.sub(r"\s+", " ", a) for a in x["args"])
            core, mix = by_name[x["callee"]].core_hint() if x["callee"] in by_name else (0, -1)
            sites.append(f"    {{{_c_str(f'{SRC_DIR}/{p}')}, {x['line']}, {x['last']}, "
                         f"{_c_str('' if shown_single else p)}, {_c_str(x['text'])}, {_c_str(arg_texts)}, "
                         f"{core}, {mix}}},")
    entry = (task_entry if task_entry in by_name else next((c for c in launched if c in by_name), kernels[0].name))
    chosen = by_name[entry]
    tus = [p for p in names if p.lower().endswith(TU_EXTENSIONS)]
    files[HOST_HEADER] = HOST_PROGRAM_HEADER_TEXT
    files[TASK_HEADER] = task_header(args, value_macros=False)
    lines = ["// Generated by the twin: a direct-launch candidate whose host program runs.",
             f'#include "{HOST_HEADER}"', *_twin_includes(list(texts.values())), f'#include "{TASK_HEADER}"',
             f'#include "{SRC_DIR}/{chosen.path}"',
             "HAWK_HOST_PROGRAM()",
             'extern "C" const hawk_host_site hawk_host_sites[] = {', *sites,
             "    {nullptr, 0, 0, nullptr, nullptr, nullptr, 0, -1}};"]
    files[LAUNCH_FILE] = "\n".join(lines) + "\n"
    others = []
    for i, p in enumerate(t for t in tus if t != chosen.path):
        wrapper = f"host_tu_{i}.cpp"
        files[wrapper] = f'#include "{HOST_HEADER}"\n#include "{SRC_DIR}/{p}"\n'
        others.append(wrapper)
    dirs = sorted({posixpath.dirname(f"{SRC_DIR}/{p}") for p in names})
    return Plan(kind="direct", entry=entry, files=files, sources=others + [LAUNCH_FILE],
                launch={"shape": "direct", "host_program": True}, quote_dirs=dirs, single_file=cand.single)


def _direct_call(k: KernelFn, launch: dict | None, consts: Constants, args: TaskArgs) -> list[str]:
    """HAWK_LAUNCH of the kernel itself, or of a generated wrapper when the launch instantiates a template or
    passes scalar arguments (a task attribute named like the parameter, else the launch's constant value)."""
    scalars = [i for i, p in enumerate(k.params) if p.strip() not in ("", "void") and not _is_pointer(p)]
    if not k.template and not scalars:
        return [f"HAWK_LAUNCH({k.name})"]
    callee = k.name
    if k.template:
        if launch is None or not launch["targs"]:
            raise ShapeError(f"the kernel {k.name} is a template and no <<<>>> launch of it names its template "
                             "arguments")
        targs = []
        for t in launch["targs"]:
            v = consts.value(t)
            targs.append(str(v) if v is not None else t)
        callee = f"{k.name}<{', '.join(targs)}>"
    attrs = dict(args.attributes)
    params, call_args, n_ptr = [], [], 0
    for i, p in enumerate(k.params):
        if p.strip() in ("", "void"):
            continue
        if i not in scalars:
            params.append(f"uint8_t* hawk_a{n_ptr}")
            call_args.append(f"::hawk::launch::GmArg{{hawk_a{n_ptr}}}")
            n_ptr += 1
            continue
        name = _param_name(p)
        value = None
        if name in attrs:  # the task says what the (unseen) host passes: it beats a guess from the source text
            value = consts.value(attrs[name])
            if value is None and re.fullmatch(r"[-+0-9.eE]+", attrs[name].strip()):
                value = attrs[name].strip()
        if value is None and launch is not None and i < len(launch["args"]):
            arg = launch["args"][i].strip()
            value = consts.value(arg)
            if value is None and re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?[fF]?", arg):
                value = arg  # a floating-point literal
        if value is None:
            raise ShapeError(f"the kernel {k.name} takes the scalar parameter {p.strip()!r}; the twin passes it the "
                             "constant the <<<>>> launch gives it, or a task attribute of the same name, and "
                             "found neither")
        call_args.append(f"({value})")
    # The wrapper carries the kernel's core qualifier (a template instance loses its section attribute).
    core, mix = k.core_hint()
    qual = ("__mix__(" + {2: "0, 1", 3: "1, 0", 4: "1, 1", 5: "1, 2"}[mix] + ") " if mix >= 0 else
            "__cube__ " if core == 2 else "__vector__ " if core == 1 else "")
    return [f"{qual}static void hawk_direct_entry({', '.join(params)}) {{ {callee}({', '.join(call_args)}); }}",
            "HAWK_LAUNCH(hawk_direct_entry)"]
