"""Our host launcher for a candidate on a real NPU, and the files it exchanges with the agent.

The launcher follows the flow of Huawei's kernel-invocation samples (aclInit, aclrtSetDevice, a stream,
aclrtMalloc, aclrtMemcpy in, the launch with its block dim, aclrtSynchronizeStream, aclrtMemcpy out, free, reset,
aclFinalize), written by us for the agent's verification protocol: every tensor (inputs, and the poisoned output
buffers) comes from a file the agent wrote, every output goes back to a file the agent reads, and nothing the
kernel prints is trusted. Shapes, the device id and the block dim are read at run time from `io.txt`, so one
build serves the small verification size and the full profiling size.

`io.txt` (one item per line, paths without spaces, all written by the agent)::

    hawk-cann-io 1
    device 0
    block_dim 8
    workspace_bytes 0
    tensor in x 1 2 2 8 2048 /work/.../x.bin      # role name acl-dtype element-bytes ndim dims... path
    tensor out z 1 2 2 8 2048 /work/.../z.bin

The launcher's report (stage, ACL error code, the runtime's recent error message) goes to the sandbox's result
pipe as one JSON object; exit status 0 ok, 2 bad io.txt or file (ours), 3 an ACL call failed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hawk.v1 import task_pb2
from npu_agent.simnpu.shapes import _is_pointer, _param_name

LAUNCHER_SOURCE = "hawk_launcher.cpp"
IO_FILE = "io.txt"
EXIT_IO = 2
EXIT_ACL = 3

# hawk.v1.DType -> AscendCL's aclDataType enumerator (acl_base.h) and numpy storage dtype.
ACL_DTYPES = {task_pb2.FLOAT16: "ACL_FLOAT16", task_pb2.BFLOAT16: "ACL_BF16", task_pb2.FLOAT32: "ACL_FLOAT",
              task_pb2.INT8: "ACL_INT8", task_pb2.INT16: "ACL_INT16", task_pb2.INT32: "ACL_INT32",
              task_pb2.UINT8: "ACL_UINT8", task_pb2.INT64: "ACL_INT64"}
ACL_DTYPE_VALUES = {"ACL_FLOAT": 0, "ACL_FLOAT16": 1, "ACL_INT8": 2, "ACL_INT32": 3, "ACL_UINT8": 4, "ACL_INT16": 6,
                    "ACL_INT64": 9, "ACL_BF16": 27}
_C_TYPES = {"Int": "int64_t", "Float": "double", "Bool": "bool", "String": "const char*"}


@dataclass(frozen=True)
class Param:
    kind: str          # "tensor", "workspace", "tiling", "scalar"
    index: int = -1    # tensor: position among inputs then outputs
    ctype: str = ""    # scalar: its C++ type as declared
    value: str = ""    # scalar: the C++ literal passed


def kernel_params(params: list[str], task: task_pb2.TaskSpec) -> list[Param]:
    """What each kernel parameter receives: the task's tensors in order (inputs, then outputs), then workspace and
    tiling for further pointers; a scalar takes the task attribute of its name."""
    n = len(task.inputs) + len(task.outputs)
    out: list[Param] = []
    pointers = 0
    for p in params:
        if p.strip() in ("", "void"):
            continue
        if _is_pointer(p):
            if pointers < n:
                out.append(Param("tensor", pointers))
            else:
                out.append(Param("workspace" if pointers == n else "tiling"))
            pointers += 1
            continue
        name = _param_name(p)
        if name not in task.attributes:
            raise ValueError(f"the kernel's scalar parameter {p.strip()!r} has no task attribute of its name")
        ctype = re.sub(r"\b" + re.escape(name) + r"\s*$", "", p.strip()).strip() or "int64_t"
        value = task.attributes[name].strip()
        if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?[fFuUlL]*|true|false", value):
            raise ValueError(f"task attribute {name}={value!r} is not a number the kernel's {ctype} parameter takes")
        out.append(Param("scalar", ctype=ctype, value=value))
    if pointers < n:
        raise ValueError(f"the kernel takes {pointers} pointer parameters; the task has {n} tensors")
    return out


IO_PRELUDE = r'''#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct HawkTensor {
    std::string role, name, path;
    int dtype = 0;
    size_t elem_bytes = 0, bytes = 0;
    std::vector<int64_t> dims;
    std::vector<char> host;
    void* dev = nullptr;
};

struct HawkIo {
    int device = 0;
    uint32_t block_dim = 1;
    size_t workspace_bytes = 0;
    std::vector<HawkTensor> tensors;
};

const char* hawk_stage = "start";

void hawk_enter(const char* stage) {
    // Each stage is also announced on stderr, so a launcher that dies without a report (a crash in the
    // candidate's tiling function) still tells the agent where it was.
    hawk_stage = stage;
    std::fprintf(stderr, "hawk-cann-stage: %s\n", stage);
    std::fflush(stderr);
}

void hawk_report(const char* stage, long code, const char* message) {
    // One JSON object on the sandbox's result pipe (HAWK_RESULT_FD); the agent reads nothing else as a verdict.
    const char* fd_text = std::getenv("HAWK_RESULT_FD");
    std::string text = std::string("{\"stage\": \"") + stage + "\", \"code\": " + std::to_string(code) +
                       ", \"message\": \"";
    for (const char* p = message ? message : ""; *p; ++p) {
        unsigned char c = static_cast<unsigned char>(*p);
        if (c == '"' || c == '\\') { text += '\\'; text += static_cast<char>(c); }
        else if (c < 0x20) { char buf[8]; std::snprintf(buf, sizeof buf, "\\u%04x", c); text += buf; }
        else text += static_cast<char>(c);
    }
    text += "\"}";
    if (fd_text != nullptr) {
        FILE* f = fdopen(std::atoi(fd_text), "w");
        if (f != nullptr) { std::fputs(text.c_str(), f); std::fclose(f); }
    }
    std::fprintf(stderr, "hawk-cann: %s\n", text.c_str());
}

[[noreturn]] void hawk_fail_io(const char* what, const std::string& detail) {
    hawk_report(what, -1, detail.c_str());
    std::exit(2);
}

HawkIo hawk_read_io(const char* path) {
    FILE* f = std::fopen(path, "r");
    if (f == nullptr) hawk_fail_io("io", std::string("cannot open ") + path);
    HawkIo io;
    char word[256];
    int version = 0;
    if (std::fscanf(f, "%255s %d", word, &version) != 2 || std::strcmp(word, "hawk-cann-io") != 0 || version != 1)
        hawk_fail_io("io", "not a hawk-cann-io 1 file");
    while (std::fscanf(f, "%255s", word) == 1) {
        std::string key(word);
        if (key == "device") { if (std::fscanf(f, "%d", &io.device) != 1) hawk_fail_io("io", "device"); }
        else if (key == "block_dim") { if (std::fscanf(f, "%u", &io.block_dim) != 1) hawk_fail_io("io", "block_dim"); }
        else if (key == "workspace_bytes") {
            unsigned long long w = 0;
            if (std::fscanf(f, "%llu", &w) != 1) hawk_fail_io("io", "workspace_bytes");
            io.workspace_bytes = static_cast<size_t>(w);
        } else if (key == "tensor") {
            HawkTensor t;
            char role[16], name[256], file[4096];
            unsigned long long elem = 0;
            int ndim = 0;
            if (std::fscanf(f, "%15s %255s %d %llu %d", role, name, &t.dtype, &elem, &ndim) != 5 || ndim < 0 || ndim > 8)
                hawk_fail_io("io", "tensor line");
            t.role = role; t.name = name; t.elem_bytes = static_cast<size_t>(elem);
            size_t count = 1;
            for (int i = 0; i < ndim; ++i) {
                long long d = 0;
                if (std::fscanf(f, "%lld", &d) != 1 || d < 0) hawk_fail_io("io", "tensor dims of " + t.name);
                t.dims.push_back(static_cast<int64_t>(d));
                count *= static_cast<size_t>(d);
            }
            if (std::fscanf(f, "%4095s", file) != 1) hawk_fail_io("io", "tensor path of " + t.name);
            t.path = file;
            t.bytes = count * t.elem_bytes;
            io.tensors.push_back(t);
        } else hawk_fail_io("io", "unknown key " + key);
    }
    std::fclose(f);
    return io;
}

void hawk_load(HawkTensor& t) {
    t.host.assign(t.bytes, 0);
    FILE* f = std::fopen(t.path.c_str(), "rb");
    if (f == nullptr) hawk_fail_io("io", "cannot open " + t.path);
    size_t got = t.bytes ? std::fread(t.host.data(), 1, t.bytes, f) : 0;
    std::fclose(f);
    if (got != t.bytes) hawk_fail_io("io", t.path + " is shorter than the tensor");
}

void hawk_store(const HawkTensor& t) {
    FILE* f = std::fopen(t.path.c_str(), "wb");
    if (f == nullptr) hawk_fail_io("io", "cannot write " + t.path);
    size_t put = t.bytes ? std::fwrite(t.host.data(), 1, t.bytes, f) : 0;
    if (std::fclose(f) != 0 || put != t.bytes) hawk_fail_io("io", "short write of " + t.path);
}

}  // namespace
'''

# The ACL part of the launcher (after IO_PRELUDE): every ACL call is checked, a failure reported with the runtime's
# recent error message (the text errors.py reads) and exit status 3.
ACL_CHECK = r'''#include "acl/acl.h"

namespace {
void hawk_check(aclError rc, const char* call) {
    if (rc == ACL_SUCCESS) return;
    const char* recent = aclGetRecentErrMsg();
    std::string msg = std::string(call) + " failed with " + std::to_string(static_cast<long>(rc)) +
                      (recent != nullptr ? std::string(": ") + recent : std::string());
    hawk_report(hawk_stage, static_cast<long>(rc), msg.c_str());
    std::exit(3);
}
}  // namespace
'''

_SETUP = r'''
int main(int argc, char** argv) {
    if (argc != 2) { std::fprintf(stderr, "usage: %s IO_FILE\n", argv[0]); return 2; }
    HawkIo io = hawk_read_io(argv[1]);
    if (io.tensors.size() != HAWK_TENSORS) hawk_fail_io("io", "io.txt does not list this build's tensors");
    hawk_enter("init");
    hawk_check(aclInit(nullptr), "aclInit");
    hawk_check(aclrtSetDevice(io.device), "aclrtSetDevice");
    aclrtStream stream = nullptr;
    hawk_check(aclrtCreateStream(&stream), "aclrtCreateStream");
    hawk_enter("copy_in");
    for (HawkTensor& t : io.tensors) {
        hawk_load(t);  // inputs, and the output buffers as the agent poisoned them
        hawk_check(aclrtMalloc(&t.dev, t.bytes ? t.bytes : 32, ACL_MEM_MALLOC_HUGE_FIRST), "aclrtMalloc");
        if (t.bytes)
            hawk_check(aclrtMemcpy(t.dev, t.bytes, t.host.data(), t.bytes, ACL_MEMCPY_HOST_TO_DEVICE), "aclrtMemcpy");
    }
'''

_TEARDOWN = r'''
    hawk_enter("copy_out");
    for (HawkTensor& t : io.tensors) {
        if (t.role == "out" && t.bytes) {
            hawk_check(aclrtMemcpy(t.host.data(), t.bytes, t.dev, t.bytes, ACL_MEMCPY_DEVICE_TO_HOST), "aclrtMemcpy");
            hawk_store(t);
        }
        hawk_check(aclrtFree(t.dev), "aclrtFree");
    }
    hawk_enter("finalize");
    hawk_check(aclrtDestroyStream(stream), "aclrtDestroyStream");
    hawk_check(aclrtResetDevice(io.device), "aclrtResetDevice");
    hawk_check(aclFinalize(), "aclFinalize");
    hawk_report("done", 0, "");
    return 0;
}
'''


def kernel_launch_source(entry: str, params: list[Param], task: task_pb2.TaskSpec) -> str:
    """The launcher of the kernel-launch route: ACLRT_LAUNCH_KERNEL(<entry>) from the header the ascendc_library
    build generates (aclrtlaunch_<entry>.h)."""
    n = len(task.inputs) + len(task.outputs)
    args = []
    for p in params:
        if p.kind == "tensor":
            args.append(f"io.tensors[{p.index}].dev")
        elif p.kind == "workspace":
            args.append("workspace")
        elif p.kind == "tiling":
            args.append("tiling")
        else:
            args.append(f"static_cast<{p.ctype}>({p.value})")
    body = f'''
    // Extra pointer parameters: a zeroed workspace (io.txt's size, at least 32 B) and a zeroed tiling block.
    void* workspace = nullptr;
    void* tiling = nullptr;
    hawk_check(aclrtMalloc(&workspace, io.workspace_bytes ? io.workspace_bytes : 32, ACL_MEM_MALLOC_HUGE_FIRST),
               "aclrtMalloc");
    hawk_check(aclrtMemset(workspace, io.workspace_bytes ? io.workspace_bytes : 32, 0,
                           io.workspace_bytes ? io.workspace_bytes : 32), "aclrtMemset");
    hawk_check(aclrtMalloc(&tiling, 64 * 1024, ACL_MEM_MALLOC_HUGE_FIRST), "aclrtMalloc");
    hawk_check(aclrtMemset(tiling, 64 * 1024, 0, 64 * 1024), "aclrtMemset");
    hawk_enter("launch");
    hawk_check(static_cast<aclError>(ACLRT_LAUNCH_KERNEL({entry})(io.block_dim, stream{''.join(', ' + a for a in args)})),
               "ACLRT_LAUNCH_KERNEL({entry})");
    hawk_enter("synchronize");
    hawk_check(aclrtSynchronizeStream(stream), "aclrtSynchronizeStream");
    hawk_check(aclrtFree(workspace), "aclrtFree");
    hawk_check(aclrtFree(tiling), "aclrtFree");
'''
    head = (f"// Generated by hawk (cann backend): host launcher of the kernel {entry} (kernel-launch route).\n"
            f"#define HAWK_TENSORS {n}u\n" + IO_PRELUDE + ACL_CHECK + f'#include "aclrtlaunch_{entry}.h"\n')
    return head + _SETUP + body + _TEARDOWN


def aclnn_launch_source(op_type: str, task: task_pb2.TaskSpec, attrs: list[tuple[str, str, str | None]]) -> str:
    """The launcher of the op-package route: aclCreateTensor per tensor, then the op's generated two-phase aclnn
    API (inputs, attributes in OpDef order, outputs; workspace size; executor), as the aclnn invocation samples."""
    from npu_agent.simnpu.shapes import snake_case

    snake = snake_case(op_type)
    n_in = len(task.inputs)
    attr_lines, attr_args = [], []
    for i, (name, kind, default) in enumerate(attrs):
        ctype = _C_TYPES.get(kind)
        if ctype is None:
            raise ValueError(f"attribute {name} of kind {kind} is not passed by the cann backend yet")
        value = task.attributes.get(name, default)  # an attribute the task does not set: the OpDef's default
        if value is None:
            continue
        if kind == "String" and default is not None and name not in task.attributes:
            value = json.loads(default)  # the OpDef's default is already a C string literal
        literal = json.dumps(value) if kind == "String" else value.strip().lower() if kind == "Bool" else value.strip()
        attr_lines.append(f"    {ctype} hawk_attr{i} = {literal};")
        attr_args.append(f"hawk_attr{i}")
    if len(attr_args) != len(attrs):
        missing = [n for n, _, d in attrs if n not in task.attributes and d is None]
        raise ValueError(f"the op {op_type}'s attribute(s) {', '.join(missing)} must be set by the task for its aclnn "
                         "call")
    tensors = ", ".join(f"hawk_t[{i}]" for i in range(n_in))
    outs = ", ".join(f"hawk_t[{i}]" for i in range(n_in, n_in + len(task.outputs)))
    call = ", ".join(x for x in (tensors, ", ".join(attr_args), outs) if x)
    body = f'''
    hawk_enter("tensors");
    std::vector<aclTensor*> hawk_t;
    for (HawkTensor& t : io.tensors) {{
        std::vector<int64_t> strides(t.dims.size(), 1);
        for (int i = static_cast<int>(t.dims.size()) - 2; i >= 0; --i) strides[i] = strides[i + 1] * t.dims[i + 1];
        aclTensor* a = aclCreateTensor(t.dims.data(), t.dims.size(), static_cast<aclDataType>(t.dtype), strides.data(),
                                       0, ACL_FORMAT_ND, t.dims.data(), t.dims.size(), t.dev);
        if (a == nullptr) hawk_check(static_cast<aclError>(-1), "aclCreateTensor");
        hawk_t.push_back(a);
    }}
{chr(10).join(attr_lines)}
    uint64_t workspace_size = 0;
    aclOpExecutor* executor = nullptr;
    hawk_enter("tiling");
    hawk_check(static_cast<aclError>(aclnn{op_type}GetWorkspaceSize({call}, &workspace_size, &executor)),
               "aclnn{op_type}GetWorkspaceSize");
    void* workspace = nullptr;
    if (workspace_size > 0)
        hawk_check(aclrtMalloc(&workspace, workspace_size, ACL_MEM_MALLOC_HUGE_FIRST), "aclrtMalloc");
    hawk_enter("launch");
    hawk_check(static_cast<aclError>(aclnn{op_type}(workspace, workspace_size, executor, stream)), "aclnn{op_type}");
    hawk_enter("synchronize");
    hawk_check(aclrtSynchronizeStream(stream), "aclrtSynchronizeStream");
    if (workspace != nullptr) hawk_check(aclrtFree(workspace), "aclrtFree");
    for (aclTensor* a : hawk_t) aclDestroyTensor(a);
'''
    head = (f"// Generated by hawk (cann backend): host launcher of the op {op_type} (op-package route, aclnn).\n"
            f"#define HAWK_TENSORS {n_in + len(task.outputs)}u\n" + IO_PRELUDE + ACL_CHECK +
            f'#include "aclnn_{snake}.h"\n')
    return head + _SETUP + body + _TEARDOWN


# ------------------------------------------------------------------------------------------- file exchange
def io_text(task: task_pb2.TaskSpec, paths: dict[str, Path], *, device_id: int, block_dim: int,
            workspace_bytes: int = 0) -> str:
    """io.txt for one run: the tensors in kernel-argument order (inputs, then outputs)."""
    lines = ["hawk-cann-io 1", f"device {int(device_id)}", f"block_dim {int(block_dim)}",
             f"workspace_bytes {int(workspace_bytes)}"]
    for role, tensors in (("in", task.inputs), ("out", task.outputs)):
        for t in tensors:
            path = str(paths[t.name])
            if any(c.isspace() for c in path) or not re.fullmatch(r"\w+", t.name):
                raise ValueError(f"tensor {t.name!r} or its path {path!r} cannot be written to io.txt")
            dt = ACL_DTYPES[t.dtype]
            elem = _storage_dtype(t.dtype).itemsize
            lines.append(f"tensor {role} {t.name} {ACL_DTYPE_VALUES[dt]} {elem} {len(t.shape)} "
                         f"{' '.join(str(int(d)) for d in t.shape)} {path}".replace("  ", " "))
    return "\n".join(lines) + "\n"


def _storage_dtype(dtype: int) -> np.dtype:
    from npu_agent import taskspec

    return np.dtype(taskspec.storage_dtype(dtype))


def write_io(dirpath: Path, task: task_pb2.TaskSpec, inputs: dict[str, np.ndarray], outputs: dict[str, np.ndarray],
             *, device_id: int, block_dim: int) -> Path:
    """Write every tensor (inputs; poisoned output buffers) and io.txt into `dirpath`; returns io.txt's path."""
    paths = {}
    for t in (*task.inputs, *task.outputs):
        arr = inputs[t.name] if t.name in inputs else outputs[t.name]
        p = dirpath / f"{t.name}.bin"
        np.ascontiguousarray(arr).tofile(p)
        paths[t.name] = p
    io = dirpath / IO_FILE
    io.write_text(io_text(task, paths, device_id=device_id, block_dim=block_dim))
    return io


def read_outputs(dirpath: Path, task: task_pb2.TaskSpec) -> dict[str, np.ndarray]:
    """The output tensors the launcher wrote (storage dtypes, the task's shapes); ValueError when one is short."""
    out = {}
    for t in task.outputs:
        dt = _storage_dtype(t.dtype)
        data = np.fromfile(dirpath / f"{t.name}.bin", dtype=dt)
        count = int(np.prod(list(t.shape), dtype=np.int64)) if len(t.shape) else 1
        if data.size != count:
            raise ValueError(f"output {t.name}: the launcher wrote {data.size} elements, the task has {count}")
        out[t.name] = data.reshape(list(t.shape))
    return out
