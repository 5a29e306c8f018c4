"""Operator tasks as the agent sees them: hashing, input generation, the numpy reference, verification.

The agent verifies candidates itself (inputs come from a secret seed the candidate never sees), so this
module is the one place that turns a ``hawk.v1.TaskSpec`` into input tensors, reference outputs and a
``NumericReport`` (the agent runs the reference itself out of process: npu_agent/references.py). Task
*files* (TOML) are parsed here too, because `hawk sim run --task-file` and the
controller's campaign specs both read them; the catalogue of built-in tasks lives in ``tasks/``.

Tensors are numpy arrays in their *storage* dtype: bfloat16 is held as ``uint16`` bit patterns (numpy has
no bfloat16), bool as numpy ``bool_`` (one byte), everything else in the matching numpy dtype.
"""

from __future__ import annotations

import ast
import hashlib
import math
import operator
import re
import secrets
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from hawk.v1 import result_pb2, task_pb2

# DType <-> names used in task files and numpy storage dtypes.
DTYPE_NAMES: dict[int, str] = {
    task_pb2.FLOAT16: "float16",
    task_pb2.BFLOAT16: "bfloat16",
    task_pb2.FLOAT32: "float32",
    task_pb2.INT8: "int8",
    task_pb2.INT16: "int16",
    task_pb2.INT32: "int32",
    task_pb2.UINT8: "uint8",
    task_pb2.INT64: "int64",
    task_pb2.BOOL: "bool",
}
_NAME_TO_DTYPE = {v: k for k, v in DTYPE_NAMES.items()} | {"half": task_pb2.FLOAT16, "fp16": task_pb2.FLOAT16,
                                                            "bf16": task_pb2.BFLOAT16, "float": task_pb2.FLOAT32,
                                                            "fp32": task_pb2.FLOAT32}
_STORAGE: dict[int, np.dtype] = {
    task_pb2.FLOAT16: np.dtype(np.float16),
    task_pb2.BFLOAT16: np.dtype(np.uint16),
    task_pb2.FLOAT32: np.dtype(np.float32),
    task_pb2.INT8: np.dtype(np.int8),
    task_pb2.INT16: np.dtype(np.int16),
    task_pb2.INT32: np.dtype(np.int32),
    task_pb2.UINT8: np.dtype(np.uint8),
    task_pb2.INT64: np.dtype(np.int64),
    task_pb2.BOOL: np.dtype(np.bool_),
}
# Defaults when a task names no tolerance for a dtype (KernelBench's current convention: fp32 1e-4,
# fp16/bf16 1e-2; integers exact). See docs/tasks.md.
DEFAULT_TOLERANCE: dict[int, tuple[float, float]] = {
    task_pb2.FLOAT32: (1e-4, 1e-4),
    task_pb2.FLOAT16: (1e-2, 1e-2),
    task_pb2.BFLOAT16: (1e-2, 1e-2),
}
DEFAULT_VERIFY_SETS = 3


class TaskError(ValueError):
    """A task definition or a tensor does not fit the task; the message names the field."""


def dtype_from_name(name: str) -> int:
    try:
        return _NAME_TO_DTYPE[name.strip().lower()]
    except KeyError:
        raise TaskError(f"unknown dtype {name!r}; known: {', '.join(DTYPE_NAMES.values())}") from None


def dtype_name(dtype: int) -> str:
    return DTYPE_NAMES.get(dtype, f"dtype#{dtype}")


def storage_dtype(dtype: int) -> np.dtype:
    try:
        return _STORAGE[dtype]
    except KeyError:
        raise TaskError(f"unsupported dtype {dtype_name(dtype)}") from None


def itemsize(dtype: int) -> int:
    return storage_dtype(dtype).itemsize


# ---------------------------------------------------------------------------------------------- bfloat16
def f32_to_bf16_bits(values: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bit patterns with round-to-nearest-even (NaN stays NaN)."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounding = ((bits >> 16) & 1) + np.uint32(0x7FFF)
    out = ((bits + rounding) >> 16).astype(np.uint16)
    nan = np.isnan(values)
    if nan.any():
        out[nan] = np.uint16(0x7FC0)
    return out


def bf16_bits_to_f32(bits: np.ndarray) -> np.ndarray:
    return (np.ascontiguousarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def to_compute(array: np.ndarray, dtype: int) -> np.ndarray:
    """Storage -> the dtype numpy computes in (bfloat16 decoded to float32)."""
    return bf16_bits_to_f32(array) if dtype == task_pb2.BFLOAT16 else array


def from_compute(array: np.ndarray, dtype: int) -> np.ndarray:
    """Computed values -> storage dtype of a tensor (bfloat16 rounded to nearest even)."""
    if dtype == task_pb2.BFLOAT16:
        return f32_to_bf16_bits(np.asarray(array, dtype=np.float32))
    return np.asarray(array).astype(storage_dtype(dtype), copy=False)


# ------------------------------------------------------------------------------------------- identity
def task_hash(spec: task_pb2.TaskSpec) -> str:
    """Content address of a task: SHA-256 of its deterministic serialization."""
    return hashlib.sha256(spec.SerializeToString(deterministic=True)).hexdigest()


def num_elements(t: task_pb2.TensorSpec) -> int:
    return int(math.prod(t.shape)) if t.shape else 1


def tensor_bytes(t: task_pb2.TensorSpec) -> int:
    return num_elements(t) * itemsize(t.dtype)


@dataclass(frozen=True)
class TaskLimits:
    """How large a task may be; every number is checked before anything is allocated (docs/agent.md).

    A tensor cannot exceed the device's HBM (the agent uses its profile's ``hbm_bytes``; the default is the
    largest profile's, 64 GiB); one verification set (all inputs and outputs) is capped by ``max_task_bytes``
    because the agent holds several sets, their reference outputs and the kernel's copies in memory at once.
    Agents change each with a ``hawk agent serve --max-*`` flag.
    """

    max_rank: int = 8
    max_dim: int = (1 << 31) - 1
    max_tensor_elements: int = 1 << 32
    max_tensor_bytes: int = 64 << 30
    max_task_bytes: int = 4 << 30
    max_tensors: int = 64
    max_reference_bytes: int = 256 << 10

    @classmethod
    def for_hardware(cls, hbm_bytes: int | None, **overrides: int) -> TaskLimits:
        """The defaults with a tensor capped at `hbm_bytes`; `overrides` (flags) win where set (non-zero)."""
        base = cls() if not hbm_bytes else cls(max_tensor_bytes=int(hbm_bytes),
                                               max_task_bytes=min(cls.max_task_bytes, int(hbm_bytes)))
        return replace(base, **{k: v for k, v in overrides.items() if v})


DEFAULT_LIMITS = TaskLimits()


def check_shape(shape: Sequence[int], dtype: int, where: str, limits: TaskLimits) -> int:
    """Bytes of a tensor of `shape` and `dtype`, after checking rank, every dim, elements and bytes (no
    arithmetic on an unchecked value, so 2^62 elements or an int64 product overflow are just refused)."""
    if len(shape) > limits.max_rank:
        raise TaskError(f"{where}.shape has rank {len(shape)}; at most {limits.max_rank} dims are allowed")
    elements = 1
    for i, d in enumerate(shape):
        if d <= 0:
            raise TaskError(f"{where}.shape {list(shape)} has a non-positive dimension")
        if d > limits.max_dim:
            raise TaskError(f"{where}.shape[{i}] = {d} exceeds the largest dimension, {limits.max_dim}")
        elements *= d  # both factors are bounded here: exact, and never more than max_dim * max_tensor_elements
        if elements > limits.max_tensor_elements:
            raise TaskError(f"{where}.shape {list(shape)} has more than {limits.max_tensor_elements} elements "
                            f"(the limit per tensor)")
    nbytes = elements * itemsize(dtype)
    if nbytes > limits.max_tensor_bytes:
        raise TaskError(f"{where}: {list(shape)} {dtype_name(dtype)} takes {nbytes} bytes; a tensor may take at "
                        f"most {limits.max_tensor_bytes}")
    return nbytes


_TASK_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$")


def check_task_fields(spec: task_pb2.TaskSpec) -> None:
    """A name that is a name (it ends up in logs, file names and reports), and counts in their ranges."""
    if not _TASK_NAME.match(spec.name):
        raise TaskError(f"task.name {spec.name[:80]!r} must be 1-128 letters, digits and _.+- (not starting with "
                        "'.', '+' or '-')")
    if not 0 <= spec.verify_sets <= 1000:
        raise TaskError(f"task {spec.name}: verify_sets {spec.verify_sets} is out of range 0..1000")
    if not 0 <= spec.default_block_dim <= 65535:
        raise TaskError(f"task {spec.name}: default_block_dim {spec.default_block_dim} is out of range 0..65535")
    for role, tensors in (("inputs", spec.inputs), ("outputs", spec.outputs)):
        for i, t in enumerate(tensors):
            if not t.shape:
                raise TaskError(f"task {spec.name}: {role}[{i}].shape is empty; a tensor has at least one dim")


def validate(spec: task_pb2.TaskSpec, limits: TaskLimits = DEFAULT_LIMITS) -> None:
    """Reject a spec the agent cannot run, or one past `limits`, naming the offending field."""
    if not spec.name:
        raise TaskError("task.name is empty")
    check_task_fields(spec)
    ref_bytes = len(spec.reference_source.encode("utf-8", errors="surrogatepass"))
    if ref_bytes > limits.max_reference_bytes:
        raise TaskError(f"task {spec.name}: reference_source has {ref_bytes} bytes; at most "
                        f"{limits.max_reference_bytes} are allowed")
    if len(spec.inputs) + len(spec.outputs) > limits.max_tensors:
        raise TaskError(f"task {spec.name}: {len(spec.inputs)} inputs and {len(spec.outputs)} outputs; at most "
                        f"{limits.max_tensors} tensors are allowed")
    if not spec.kernel_entry or not spec.kernel_entry.isidentifier():
        raise TaskError(f"task {spec.name}: kernel_entry {spec.kernel_entry!r} is not a C identifier")
    if not spec.outputs:
        raise TaskError(f"task {spec.name}: no outputs")
    if not spec.reference_source or not spec.reference_entry:
        raise TaskError(f"task {spec.name}: reference_source and reference_entry are required")
    seen: set[str] = set()
    total, largest, largest_bytes = 0, "", -1
    for role, tensors in (("inputs", spec.inputs), ("outputs", spec.outputs)):
        for i, t in enumerate(tensors):
            where = f"task {spec.name}: {role}[{i}]"
            if not t.name.isidentifier():
                raise TaskError(f"{where}.name {t.name!r} is not an identifier")
            if t.name in seen:
                raise TaskError(f"{where}.name {t.name!r} is used twice")
            seen.add(t.name)
            if t.dtype not in _STORAGE:
                raise TaskError(f"{where}.dtype is unspecified or unsupported")
            if role == "inputs" and t.not_compared:
                raise TaskError(f"{where}: not_compared is for outputs only")
            if role == "inputs" and t.inplace_of:
                raise TaskError(f"{where}: inplace is for outputs only")
            nbytes = check_shape(t.shape, t.dtype, f"{where} ({t.name})", limits)
            total += nbytes
            if nbytes > largest_bytes:
                largest, largest_bytes = f"{role}[{i}] ({t.name})", nbytes
    if total > limits.max_task_bytes:
        raise TaskError(f"task {spec.name}: its inputs and outputs take {total} bytes (the largest, {largest}, "
                        f"takes {largest_bytes} bytes); a task may take at most {limits.max_task_bytes}")
    if all(t.not_compared for t in spec.outputs):
        raise TaskError(f"task {spec.name}: every output is marked not compared; nothing would be verified")
    by_input = {t.name: t for t in spec.inputs}
    taken: set[str] = set()
    for i, t in enumerate(spec.outputs):
        if not t.inplace_of:
            continue
        where = f"task {spec.name}: outputs[{i}] ({t.name})"
        src = by_input.get(t.inplace_of)
        if src is None:
            raise TaskError(f"{where}: inplace names {t.inplace_of!r}, which is not an input of the task")
        if list(src.shape) != list(t.shape) or src.dtype != t.dtype:
            raise TaskError(f"{where}: an in-place output has its input's shape and dtype; {t.inplace_of} is "
                            f"{list(src.shape)} {dtype_name(src.dtype)}")
        if t.inplace_of in taken:
            raise TaskError(f"{where}: input {t.inplace_of!r} is already the buffer of another in-place output")
        taken.add(t.inplace_of)
    for tol in spec.tolerances:
        if tol.atol < 0 or tol.rtol < 0:
            raise TaskError(f"task {spec.name}: tolerance for {dtype_name(tol.dtype)} is negative")
    if spec.HasField("verify_task"):
        check_verify_task(spec)
        validate(spec.verify_task, limits)


def check_verify_task(spec: task_pb2.TaskSpec) -> None:
    """A verify_task must be the same task at sizes no larger: the verdict at its size says something about the
    kernel only when everything but the sizes agrees (the compiled artifact serves both sizes)."""
    v = spec.verify_task
    where = f"task {spec.name}: verify_task"
    if v.HasField("verify_task"):
        raise TaskError(f"{where} has a verify_task of its own; nesting is not allowed")
    for key in ("name", "kernel_entry", "reference_source", "reference_entry"):
        if getattr(v, key) != getattr(spec, key):
            raise TaskError(f"{where}.{key} differs from the task's; a verify_task is the same task at a smaller size")
    if dict(v.attributes) != dict(spec.attributes):
        raise TaskError(f"{where}.attributes differ from the task's (the kernel is compiled once for both sizes)")
    if sorted((t.dtype, t.atol, t.rtol) for t in v.tolerances) != \
            sorted((t.dtype, t.atol, t.rtol) for t in spec.tolerances):
        raise TaskError(f"{where}.tolerances differ from the task's")
    for role in ("inputs", "outputs"):
        mine, theirs = getattr(spec, role), getattr(v, role)
        if len(theirs) != len(mine):
            raise TaskError(f"{where} has {len(theirs)} {role}; the task has {len(mine)}")
        for i, (t, u) in enumerate(zip(mine, theirs, strict=True)):
            w = f"{where}.{role}[{i}] ({u.name})"
            if (u.name, u.dtype, u.not_compared, u.inplace_of) != (t.name, t.dtype, t.not_compared, t.inplace_of):
                raise TaskError(f"{w}: name, dtype, compare and inplace must be the task's ({t.name}, "
                                f"{dtype_name(t.dtype)})")
            if len(u.shape) != len(t.shape):
                raise TaskError(f"{w}: rank {len(u.shape)} differs from the task's {len(t.shape)}")
            if any(a > b for a, b in zip(u.shape, t.shape, strict=True)):
                raise TaskError(f"{w}: shape {list(u.shape)} is larger than the task's {list(t.shape)} in some "
                                "dimension; a verify_task is not larger than its task")
            if role == "inputs" and u.distribution != t.distribution:
                raise TaskError(f"{w}: its input distribution differs from the task's")
            if role == "inputs" and t.distribution.kind == task_pb2.Distribution.FIXED and \
                    list(u.shape) != list(t.shape):
                raise TaskError(f"{w}: a fixed (uploaded) input cannot be verified at another size")


# --------------------------------------------------------------------------------------------- inputs
def generate_inputs(
    spec: task_pb2.TaskSpec, seed: int, fixed: Mapping[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Draw one verification set of inputs from a seed, directly in storage dtypes (the same seed gives the same
    set). Floats are drawn as float32 (what fp16/bf16/fp32 can hold), integers in their own dtype when the range
    fits: no float64 intermediate, which at 8 M elements cost more than the kernel's run."""
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for t in spec.inputs:
        shape = tuple(t.shape)
        d = t.distribution
        kind = d.kind or task_pb2.Distribution.UNIFORM
        if kind == task_pb2.Distribution.FIXED:
            if fixed is None or d.fixed_tensor_hash not in fixed:
                raise TaskError(f"task {spec.name}: input {t.name} needs fixed tensor {d.fixed_tensor_hash[:12]}")
            out[t.name] = np.array(fixed[d.fixed_tensor_hash], dtype=storage_dtype(t.dtype)).reshape(shape)
            continue
        out[t.name] = _draw(rng, t, kind, shape)
    return out


_FLOATS = (task_pb2.FLOAT16, task_pb2.FLOAT32, task_pb2.BFLOAT16)


_CHUNK = 1 << 16  # elements per step of generation and comparison: a few float32 buffers stay in the CPU cache


def _draw_floats(rng: np.random.Generator, dtype: int, normal: bool, params: tuple[float, float],
                 shape: tuple[int, ...]) -> np.ndarray:
    """Uniform [low, high) or normal (mean, std) float32 draws written chunk by chunk into the storage array."""
    out = np.empty(shape, dtype=storage_dtype(dtype))
    flat = out.reshape(-1)
    buf = np.empty(min(_CHUNK, flat.size), dtype=np.float32)
    if normal:
        scale, offset = np.float32(params[1]), np.float32(params[0])
    else:
        scale, offset = np.float32(params[1] - params[0]), np.float32(params[0])
    for start in range(0, flat.size, _CHUNK):
        b = buf[: min(_CHUNK, flat.size - start)]
        if normal:
            rng.standard_normal(out=b, dtype=np.float32)
        else:
            rng.random(out=b, dtype=np.float32)
        b *= scale
        b += offset
        flat[start:start + b.size] = f32_to_bf16_bits(b) if dtype == task_pb2.BFLOAT16 else b
    return out


def _draw(rng: np.random.Generator, t: task_pb2.TensorSpec, kind: int, shape: tuple[int, ...]) -> np.ndarray:
    d = t.distribution
    low, high = (d.low, d.high) if (d.low or d.high) else (-1.0, 1.0)
    if t.dtype == task_pb2.BOOL and kind != task_pb2.Distribution.INTEGERS:
        return rng.integers(0, 2, size=shape, dtype=np.uint8).view(np.bool_)  # fair coin flips
    if kind == task_pb2.Distribution.INTEGERS:
        lo, hi = int(low), int(high)
        dt = storage_dtype(t.dtype)
        if dt.kind in "iu" and np.iinfo(dt).min <= lo and hi - 1 <= np.iinfo(dt).max:
            return rng.integers(lo, hi, size=shape, dtype=dt)
        values = rng.integers(lo, hi, size=shape)  # out of the dtype's range (wraps) or a float: via int64
        return from_compute(values.astype(np.float32) if t.dtype in _FLOATS else values, t.dtype)
    if t.dtype in _FLOATS:
        return _draw_floats(rng, t.dtype, kind == task_pb2.Distribution.NORMAL,
                            (d.mean, d.std or 1.0) if kind == task_pb2.Distribution.NORMAL else (low, high), shape)
    if kind == task_pb2.Distribution.NORMAL:
        values = rng.normal(d.mean, d.std or 1.0, size=shape)
    else:
        values = rng.uniform(low, high, size=shape)
    return from_compute(values, t.dtype)


def poison(t: task_pb2.TensorSpec) -> np.ndarray:
    """An output buffer pre-filled with NaN (floats) or a sentinel, so every element must be written."""
    dt = storage_dtype(t.dtype)
    shape = tuple(t.shape)
    if t.dtype == task_pb2.BFLOAT16:
        return np.full(shape, 0x7FC0, dtype=dt)
    if t.dtype == task_pb2.BOOL:  # the byte 0xFF: neither false (0) nor true (1) as a kernel writes them
        return np.full(shape, 0xFF, dtype=np.uint8).view(np.bool_)
    if dt.kind == "f":
        return np.full(shape, np.nan, dtype=dt)
    return np.full(shape, np.iinfo(dt).min, dtype=dt)


# ------------------------------------------------------------------------------------------ reference
_REFERENCE_CACHE: dict[str, Any] = {}


def reference_function(spec: task_pb2.TaskSpec):
    """Compile the task's numpy reference once per source text (executes it: trusted task files only)."""
    key = hashlib.sha256(spec.reference_source.encode()).hexdigest() + spec.reference_entry
    fn = _REFERENCE_CACHE.get(key)
    if fn is None:
        namespace: dict[str, Any] = {"np": np, "numpy": np, "__name__": f"hawk_reference_{spec.name}"}
        try:
            exec(compile(spec.reference_source, f"<reference of {spec.name}>", "exec"), namespace)  # noqa: S102
        except SyntaxError as e:
            raise TaskError(f"task {spec.name}: reference_source line {e.lineno}: {e.msg}") from None
        fn = namespace.get(spec.reference_entry)
        if not callable(fn):
            raise TaskError(f"task {spec.name}: reference_source defines no function {spec.reference_entry!r}")
        _REFERENCE_CACHE[key] = fn
    return fn


def run_reference(spec: task_pb2.TaskSpec, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Reference outputs in storage dtypes. Inputs are copies: the reference cannot alias kernel buffers.

    In-process, so for local tools with the user's own task files only; the agent runs references in its
    sandbox (npu_agent.references), never here.

    The reference returns every output, or only the compared ones; a not-compared output it returns as None
    (or leaves out) is absent from the result.
    """
    args = {t.name: to_compute(np.array(inputs[t.name], copy=True), t.dtype) for t in spec.inputs}
    result = reference_function(spec)(**args)
    values = list(result) if isinstance(result, (tuple, list)) else [result]
    outputs = list(spec.outputs)
    compared = [t for t in outputs if not t.not_compared]
    if len(values) == len(compared) and len(compared) != len(outputs):
        outputs = compared
    if len(values) != len(outputs):
        raise TaskError(f"task {spec.name}: reference returned {len(values)} outputs, expected {len(spec.outputs)}"
                        + (f" (or the {len(compared)} compared ones)" if len(compared) != len(spec.outputs) else ""))
    out: dict[str, np.ndarray] = {}
    for t, v in zip(outputs, values, strict=True):
        if v is None and t.not_compared:
            continue
        arr = np.asarray(v)
        if arr.size != num_elements(t):
            raise TaskError(f"task {spec.name}: reference output {t.name} has {arr.size} elements, "
                            f"expected shape {list(t.shape)}")
        out[t.name] = from_compute(arr.reshape(tuple(t.shape)), t.dtype)
    return out


# ------------------------------------------------------------------------------------------- compare
def tolerance(spec: task_pb2.TaskSpec, dtype: int) -> tuple[float, float]:
    for tol in spec.tolerances:
        if tol.dtype == dtype:
            return tol.atol, tol.rtol
    return DEFAULT_TOLERANCE.get(dtype, (0.0, 0.0))


def compare(
    spec: task_pb2.TaskSpec,
    expected: Mapping[str, np.ndarray],
    actual: Mapping[str, np.ndarray],
    set_index: int = 0,
) -> result_pb2.NumericReport:
    """Compare every output; the report describes the first failing output (or the worst one when all pass).

    An element passes when |a - e| <= atol + rtol * |e|. A non-finite actual value where the reference is
    finite always fails; where the reference is non-finite the actual must be the same (NaN matches NaN).
    Outputs marked not_compared are skipped and listed in the report; bools compare as their bytes (0 or 1).

    Fast, with the verdict of the exact float64 rule: bit-identical outputs pass with no arithmetic; floats are
    checked in float32 with a safety margin, and only the elements the margin leaves in doubt (none, for most
    correct kernels) are re-checked in float64. The full mismatch report (first index, counts, max errors in
    float64) is built only when an output fails.
    """
    worst: result_pb2.NumericReport | None = None
    skipped = [t.name for t in spec.outputs if t.not_compared]
    for t in spec.outputs:
        if t.not_compared:
            continue
        atol, rtol = tolerance(spec, t.dtype)
        e_raw, a_raw = np.asarray(expected[t.name]), np.asarray(actual[t.name])
        if a_raw.size != e_raw.size:
            raise TaskError(f"output {t.name}: got {a_raw.size} elements, expected {e_raw.size}")
        quick = _quick_pass(e_raw, a_raw, t.dtype, atol, rtol)
        if quick is not None:
            report = result_pb2.NumericReport(output_name=t.name, set_index=set_index, max_abs_error=quick[0],
                                              max_rel_error=quick[1], element_count=int(e_raw.size),
                                              first_mismatch_index=-1, not_compared=skipped)
        else:
            report = _full_report(t, e_raw, a_raw, atol, rtol, set_index, skipped)
            if report.mismatch_count:
                return report
        if worst is None or report.max_abs_error > worst.max_abs_error:
            worst = report
    assert worst is not None
    return worst


_MARGIN = 1e-5  # relative: far above float32's rounding of |a - e| and of atol + rtol*|e| (a few 2^-24)
_TINY32 = float(np.finfo(np.float32).tiny)


def _quick_pass(e_raw: np.ndarray, a_raw: np.ndarray, dtype: int, atol: float, rtol: float
                ) -> tuple[float, float] | None:
    """(max abs error, max rel error) when the output surely passes the exact rule; None when it may fail (the
    caller then builds the exact report). Bit-identical outputs pass at once; float outputs are checked in float32."""
    if e_raw.dtype == a_raw.dtype and e_raw.dtype.kind in "biuf":
        width = np.dtype(f"u{e_raw.dtype.itemsize}")
        if np.array_equal(np.ascontiguousarray(e_raw).view(width), np.ascontiguousarray(a_raw).view(width)):
            return 0.0, 0.0
    if dtype not in _FLOATS:
        return None
    e_all, a_all = np.ascontiguousarray(e_raw).reshape(-1), np.ascontiguousarray(a_raw).reshape(-1)
    c_rel = np.float32(rtol * (1.0 - _MARGIN))
    c_abs = np.float32(atol * (1.0 - _MARGIN) - _TINY32)  # float32's rtol*|e| may round up in the subnormal range
    size = min(_CHUNK, e_all.size)
    e, a, diff, abs_e = (np.empty(size, np.float32) for _ in range(4))
    ok, fin = np.empty(size, np.bool_), np.empty(size, np.bool_)
    max_abs = max_rel = 0.0
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        for start in range(0, e_all.size, _CHUNK):
            n = min(_CHUNK, e_all.size - start)
            ec, ac, dc, tc, okc = e[:n], a[:n], diff[:n], abs_e[:n], ok[:n]
            ec[...] = to_compute(e_all[start:start + n], dtype)
            ac[...] = to_compute(a_all[start:start + n], dtype)
            np.subtract(ac, ec, out=dc)
            np.abs(dc, out=dc)
            np.abs(ec, out=tc)
            np.multiply(tc, c_rel, out=ec)  # ec is now the threshold (margin included)
            ec += c_abs
            np.less_equal(dc, ec, out=okc)  # with e finite: a is finite and surely within tolerance
            np.isfinite(tc, out=fin[:n])
            okc &= fin[:n]                  # (an inf reference has an inf threshold: decided exactly below)
            if not okc.all():  # non-finite values or near the tolerance: the exact rule decides these elements
                doubt = np.flatnonzero(~okc)
                e64 = to_compute(e_all[start + doubt], dtype).astype(np.float64)
                a64 = to_compute(a_all[start + doubt], dtype).astype(np.float64)
                if not _exact_ok(e64, a64, atol, rtol).all():
                    return None
                dc[doubt[~(np.isfinite(e64) & np.isfinite(a64))]] = 0.0  # a matching non-finite pair: no error
            max_abs = max(max_abs, float(dc.max()))
            np.maximum(tc, np.float32(_TINY32), out=tc)
            np.divide(dc, tc, out=dc)
            max_rel = max(max_rel, float(dc.max()))
    return max_abs, max_rel


def _exact_ok(e: np.ndarray, a: np.ndarray, atol: float, rtol: float) -> np.ndarray:
    """The verification rule in float64, element-wise (see compare)."""
    finite_e = np.isfinite(e)
    with np.errstate(invalid="ignore", over="ignore"):
        ok = np.abs(a - e) <= atol + rtol * np.abs(e)
    ok &= finite_e  # (inf - -inf <= inf is true): a non-finite reference value is decided below
    # A non-finite reference value is matched by the same value (NaN by any NaN). Until the fast compare, the
    # NaN/inf case was and-ed into the tolerance test above, so a non-finite reference failed every kernel,
    # against this documented rule (docs/tasks.md).
    ok |= ~finite_e & ((np.isnan(e) & np.isnan(a)) | (e == a))
    return ok


def _full_report(t: task_pb2.TensorSpec, e_raw: np.ndarray, a_raw: np.ndarray, atol: float, rtol: float,
                 set_index: int, skipped: list[str]) -> result_pb2.NumericReport:
    """The exact float64 report of one output: counts, first mismatch, max errors over the finite pairs."""
    e = _compare_values(e_raw, t.dtype)
    a = _compare_values(a_raw, t.dtype)
    finite_e = np.isfinite(e)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(a - e)
    ok = _exact_ok(e, a, atol, rtol)
    bad_nonfinite = finite_e & ~np.isfinite(a)
    fin = finite_e & np.isfinite(a)
    max_abs = float(diff[fin].max()) if fin.any() else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = diff[fin] / np.maximum(np.abs(e[fin]), np.finfo(np.float32).tiny)
    max_rel = float(rel.max()) if rel.size else 0.0
    mismatches = int((~ok).sum())
    first = int(np.argmax(~ok)) if mismatches else -1
    return result_pb2.NumericReport(
        output_name=t.name,
        set_index=set_index,
        max_abs_error=max_abs,
        max_rel_error=max_rel,
        mismatch_count=mismatches,
        element_count=int(e.size),
        first_mismatch_index=first,
        first_expected=float(e[first]) if first >= 0 else 0.0,
        first_actual=float(a[first]) if first >= 0 else 0.0,
        non_finite=bool(bad_nonfinite.any()),
        not_compared=skipped,
    )


def _compare_values(array: np.ndarray, dtype: int) -> np.ndarray:
    """An output as float64 values for the comparison; a bool as its byte, so an unwritten 0xFF never passes."""
    if dtype == task_pb2.BOOL:
        return np.ascontiguousarray(array, dtype=np.bool_).view(np.uint8).astype(np.float64).ravel()
    return to_compute(array, dtype).astype(np.float64).ravel()


def fresh_seeds(n: int) -> list[int]:
    """``n`` unpredictable seeds: a candidate cannot precompute outputs for inputs it cannot foresee."""
    return [secrets.randbits(63) for _ in range(n)]


CandidateRun = Callable[[dict[str, np.ndarray], dict[str, np.ndarray]], Mapping[str, np.ndarray]]


def verify(
    spec: task_pb2.TaskSpec,
    run: CandidateRun,
    seeds: Sequence[int],
    fixed: Mapping[str, np.ndarray] | None = None,
) -> list[result_pb2.NumericReport]:
    """The verification protocol in one place (the agent's pipeline does the same steps with its own seeds).

    For each seed: draw fresh inputs; run the reference on its own copies; call ``run(inputs, outputs)``
    with *other* copies of the inputs and poisoned output buffers (``poison``), so no in-place trick and
    no unwritten element can pass; compare. Stops at the first failing set; returns one report per set run.
    """
    reports: list[result_pb2.NumericReport] = []
    for i, seed in enumerate(seeds):
        inputs = generate_inputs(spec, seed, fixed)
        expected = run_reference(spec, inputs)
        candidate_inputs = {k: np.array(v, copy=True) for k, v in inputs.items()}
        outputs = {t.name: poison(t) for t in spec.outputs}
        actual = run(candidate_inputs, outputs)
        missing = [t.name for t in spec.outputs if t.name not in actual]
        if missing:
            raise TaskError(f"task {spec.name}: the run returned no output {missing[0]!r}")
        report = compare(spec, expected, actual, set_index=i)
        reports.append(report)
        if report.mismatch_count:
            break
    return reports


# -------------------------------------------------------------------------------------------- files
@dataclass
class TaskDef:
    """A task as a user or the catalogue defines it: the wire spec plus what only the controller needs."""

    spec: task_pb2.TaskSpec
    source_path: Path | None = None
    baseline: Path | None = None  # naive correct kernel: the 1.0x of speedups
    expert: Path | None = None    # hand-optimised kernel, where the team wrote one
    extra: dict[str, Any] = field(default_factory=dict)
    dims: dict[str, int] = field(default_factory=dict)       # the sizes the shapes were built with
    test_dims: dict[str, int] = field(default_factory=dict)  # reduced sizes for quick functional checks
    verify_dims: dict[str, int] = field(default_factory=dict)  # sizes verified at (spec.verify_task), {} for none
    table: dict[str, Any] | None = None                      # the parsed [[task]] table, to rebuild at new dims
    base_dir: Path | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def hash(self) -> str:
        return task_hash(self.spec)

    def with_dims(self, **dims: int) -> TaskDef:
        """The same task at other sizes (same name, reference, kernels); shapes and work follow the dims."""
        if self.table is None:
            raise TaskError(f"task {self.name} was not built from a task table; it cannot be resized")
        out = task_from_mapping(self.table, self.base_dir, where=f"task {self.name}", dims=self.dims | dims)
        out.source_path = self.source_path
        return out

    def reduced(self) -> TaskDef:
        """The task at its ``test_dims`` (itself when it has none): for fast functional tests."""
        return self.with_dims(**self.test_dims) if self.test_dims != self.dims else self


_DIST_KINDS = {"uniform": task_pb2.Distribution.UNIFORM, "normal": task_pb2.Distribution.NORMAL,
               "integers": task_pb2.Distribution.INTEGERS, "fixed": task_pb2.Distribution.FIXED}
_TASK_KEYS = {"name", "category", "description", "inputs", "outputs", "reference", "reference_entry",
              "tolerance", "kernel_entry", "block_dim", "attributes", "verify_sets", "version",
              "baseline", "expert", "extra", "dims", "test_dims", "verify_dims", "work"}
_WORK_KEYS = {"gm_bytes", "vector_element_ops", "vector_dtype", "cube_macs", "cube_dtype"}


# ------------------------------------------------------------------------------------- size expressions
_BINOPS: dict[type, Callable[[int, int], int]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}


def eval_size(expr: int | str, dims: Mapping[str, int], where: str) -> int:
    """Evaluate an integer size expression such as ``"M*N*2"`` over the task's dims.

    Only integer literals, dim names, + - * // % ** and parentheses are allowed, so task files from users
    can be parsed without executing anything.
    """
    if isinstance(expr, bool):
        raise TaskError(f"{where} must be an integer or a size expression, got {expr!r}")
    if isinstance(expr, int):
        return _size_in_range(expr, where)
    if not isinstance(expr, str):
        raise TaskError(f"{where} must be an integer or a size expression, got {expr!r}")

    def ev(node: ast.AST) -> int:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            return _size_in_range(node.value, where)
        if isinstance(node, ast.Name):
            if node.id not in dims:
                raise TaskError(f"{where}: unknown dim {node.id!r} in {expr!r}; dims are {sorted(dims)}")
            return int(dims[node.id])
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Pow) and (not 0 <= right <= 64 or abs(left) > MAX_DIM):
                raise TaskError(f"{where}: {expr!r}: exponent out of range")  # 10**10**10 would never finish
            if isinstance(node.op, ast.FloorDiv | ast.Mod) and right == 0:
                raise TaskError(f"{where}: {expr!r} divides by zero")
            return _size_in_range(_BINOPS[type(node.op)](left, right), where)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        raise TaskError(f"{where}: {expr!r} is not a size expression (integers, dim names, + - * // % **)")

    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        raise TaskError(f"{where}: {expr!r} is not a size expression") from None
    return ev(tree)


MAX_DIM = 2**40  # far beyond any tensor a device holds; keeps sizes inside int64 and arithmetic cheap


def _size_in_range(value: int, where: str) -> int:
    if abs(value) > MAX_DIM:
        raise TaskError(f"{where}: {value if abs(value) < 1e15 else f'{value:.3g}'} is out of range "
                        f"(at most 2**40)")
    return value


def _dims(value: Any, where: str) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TaskError(f"{where} must be a table of name = positive integer")
    out: dict[str, int] = {}
    for k, v in value.items():
        if not str(k).isidentifier():
            raise TaskError(f"{where}.{k}: a dim name must be an identifier")
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise TaskError(f"{where}.{k} must be a positive integer, got {v!r}")
        out[str(k)] = v
    return out


def _float(table: Mapping[str, Any], key: str, where: str) -> float:
    value = table.get(key, 0.0)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TaskError(f"{where}.{key} must be a number, got {value!r}")
    try:
        value = float(value)
    except OverflowError:
        raise TaskError(f"{where}.{key} is out of range") from None
    if not math.isfinite(value):
        raise TaskError(f"{where}.{key} must be a finite number, got {value}")
    return value


def _tensor(d: Mapping[str, Any], where: str, with_dist: bool, dims: Mapping[str, int] | None = None
            ) -> task_pb2.TensorSpec:
    if not isinstance(d, Mapping):
        raise TaskError(f"{where} must be a table {{name, shape, dtype[, distribution]}}")
    unknown = set(d) - {"name", "shape", "dtype", "distribution", "compare", "inplace"}
    if unknown:
        raise TaskError(f"{where}: unknown keys {sorted(unknown)}")
    if "compare" in d and (with_dist or not isinstance(d["compare"], bool)):
        raise TaskError(f"{where}.compare must be true or false, and only outputs have it")
    if "inplace" in d and (with_dist or not isinstance(d["inplace"], str)):
        raise TaskError(f"{where}.inplace must be the name of an input, and only outputs have it")
    for key in ("name", "shape", "dtype"):
        if key not in d:
            raise TaskError(f"{where}: missing {key!r}")
    if not isinstance(d["shape"], list):
        raise TaskError(f"{where}.shape must be a list of integers or size expressions")
    shape = [eval_size(x, dims or {}, f"{where}.shape[{i}]") for i, x in enumerate(d["shape"])]
    t = task_pb2.TensorSpec(name=str(d["name"]), shape=shape, dtype=dtype_from_name(str(d["dtype"])),
                            not_compared=d.get("compare", True) is False, inplace_of=str(d.get("inplace", "")))
    dist = d.get("distribution")
    if dist is not None and with_dist:
        if not isinstance(dist, Mapping):
            raise TaskError(f"{where}.distribution must be a table {{kind, low, high, mean, std}}")
        bad = set(dist) - {"kind", "low", "high", "mean", "std"}
        if bad:
            raise TaskError(f"{where}.distribution: unknown keys {sorted(bad)}")
        kind = str(dist.get("kind", "uniform")).lower()
        if kind not in _DIST_KINDS:
            raise TaskError(f"{where}.distribution.kind {kind!r}: expected one of {sorted(_DIST_KINDS)}")
        if kind == "fixed":
            raise TaskError(f"{where}.distribution.kind 'fixed' needs a tensor upload; task files cannot name one")
        dw = f"{where}.distribution"
        t.distribution.CopyFrom(task_pb2.Distribution(
            kind=_DIST_KINDS[kind], low=_float(dist, "low", dw), high=_float(dist, "high", dw),
            mean=_float(dist, "mean", dw), std=_float(dist, "std", dw)))
        if kind in ("uniform", "integers") and (t.distribution.low or t.distribution.high) \
                and t.distribution.high <= t.distribution.low:
            raise TaskError(f"{dw}: high must be greater than low")
        if kind == "normal" and t.distribution.std < 0:
            raise TaskError(f"{dw}.std must not be negative")
    return t


def _work(value: Any, dims: Mapping[str, int], where: str) -> task_pb2.Work:
    if value is None:
        return task_pb2.Work()
    if not isinstance(value, Mapping):
        raise TaskError(f"{where} must be a table {{gm_bytes, vector_element_ops, vector_dtype, cube_macs, cube_dtype}}")
    unknown = set(value) - _WORK_KEYS
    if unknown:
        raise TaskError(f"{where}: unknown keys {sorted(unknown)}")
    w = task_pb2.Work()
    for key in ("gm_bytes", "vector_element_ops", "cube_macs"):
        if key in value:
            n = eval_size(value[key], dims, f"{where}.{key}")
            if n < 0:
                raise TaskError(f"{where}.{key} is negative ({n})")
            setattr(w, key, n)
    for key in ("vector_dtype", "cube_dtype"):
        if key in value:
            try:
                setattr(w, key, dtype_from_name(str(value[key])))
            except TaskError as e:
                raise TaskError(f"{where}.{key}: {e}") from None
    if w.vector_element_ops and not w.vector_dtype:
        raise TaskError(f"{where}.vector_dtype is required with vector_element_ops")
    if w.cube_macs and not w.cube_dtype:
        raise TaskError(f"{where}.cube_dtype is required with cube_macs")
    return w


def task_from_mapping(d: Mapping[str, Any], base_dir: Path | None = None, where: str = "task",
                      dims: Mapping[str, int] | None = None) -> TaskDef:
    """Build a TaskDef from one parsed ``[[task]]`` table (see docs/tasks.md for the format).

    ``dims`` overrides some of the table's own ``dims`` (e.g. its ``test_dims``); shapes and work are
    size expressions over them, which is how one task definition serves both full-size and quick runs.
    """
    if not isinstance(d, Mapping):
        raise TaskError(f"{where} must be a table")
    unknown = set(d) - _TASK_KEYS
    if unknown:
        raise TaskError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("name", "inputs", "outputs", "reference", "kernel_entry"):
        if key not in d:
            raise TaskError(f"{where}: missing {key!r}")
    name = str(d["name"])
    where = f"task {name}"
    own_dims = _dims(d.get("dims"), f"{where}.dims")
    test_dims = _dims(d.get("test_dims"), f"{where}.test_dims")
    for k in test_dims:
        if k not in own_dims:
            raise TaskError(f"{where}.test_dims.{k} is not one of dims {sorted(own_dims)}")
    verify_dims = _dims(d.get("verify_dims"), f"{where}.verify_dims")
    for k in verify_dims:
        if k not in own_dims:
            raise TaskError(f"{where}.verify_dims.{k} is not one of dims {sorted(own_dims)}")
    override = _dims(dict(dims or {}), f"{where}: dims override")
    for k in override:
        if k not in own_dims:
            raise TaskError(f"{where}: dims override {k!r} is not one of dims {sorted(own_dims)}")
    eff_dims = own_dims | override
    for key in ("inputs", "outputs"):
        if not isinstance(d[key], list):
            raise TaskError(f"{where}.{key} must be an array of tables")
    for key in ("attributes", "tolerance", "extra"):
        if key in d and not isinstance(d[key], Mapping):
            raise TaskError(f"{where}.{key} must be a table")
    for key, high in (("block_dim", 65535), ("verify_sets", 1000), ("version", 2**31 - 1)):
        if key in d and (isinstance(d[key], bool) or not isinstance(d[key], int) or not 0 <= d[key] <= high):
            raise TaskError(f"{where}.{key} must be an integer in 0..{high}, got {d[key]!r}")
    spec = task_pb2.TaskSpec(
        name=name,
        category=str(d.get("category", "")),
        description=str(d.get("description", "")).strip(),
        inputs=[_tensor(x, f"{where}.inputs[{i}]", True, eff_dims) for i, x in enumerate(d["inputs"])],
        outputs=[_tensor(x, f"{where}.outputs[{i}]", False, eff_dims) for i, x in enumerate(d["outputs"])],
        reference_source=str(d["reference"]),
        reference_entry=str(d.get("reference_entry", "reference")),
        kernel_entry=str(d["kernel_entry"]),
        default_block_dim=int(d.get("block_dim", 0)),
        attributes={str(k): str(v) for k, v in dict(d.get("attributes", {})).items()},
        verify_sets=int(d.get("verify_sets", 0)),
        version=int(d.get("version", 1)),
        work=_work(d.get("work"), eff_dims, f"{where}.work"),
    )
    for dname, tol in dict(d.get("tolerance", {})).items():
        tw = f"{where}.tolerance.{dname}"
        if not isinstance(tol, Mapping) or set(tol) - {"atol", "rtol"}:
            raise TaskError(f"{tw} must be a table {{atol, rtol}}")
        try:
            dt = dtype_from_name(str(dname))
        except TaskError as e:
            raise TaskError(f"{tw}: {e}") from None
        spec.tolerances.append(task_pb2.Tolerance(dtype=dt, atol=_float(tol, "atol", tw), rtol=_float(tol, "rtol", tw)))
    v_dims = eff_dims | verify_dims
    if verify_dims and v_dims != eff_dims and all(v_dims[k] <= eff_dims[k] for k in eff_dims):
        # The same table at the verification size (without verify_dims: no nesting). A resized task whose dims
        # are already no larger (e.g. at its test_dims) verifies at its own size.
        small = {k: v for k, v in d.items() if k != "verify_dims"}
        spec.verify_task.CopyFrom(task_from_mapping(small, base_dir, where=f"{where}.verify_dims",
                                                    dims=v_dims).spec)
    validate(spec)

    def _path(key: str) -> Path | None:
        if key not in d:
            return None
        p = Path(str(d[key]))
        p = p if p.is_absolute() or base_dir is None else (base_dir / p).resolve()
        if not p.is_file():
            raise TaskError(f"{where}: {key} file {p} does not exist")
        return p

    return TaskDef(spec=spec, baseline=_path("baseline"), expert=_path("expert"), extra=dict(d.get("extra", {})),
                   dims=eff_dims, test_dims=own_dims | test_dims, verify_dims=v_dims if spec.HasField("verify_task") else {},
                   table=dict(d), base_dir=base_dir)


def load_task_file(path: str | Path) -> list[TaskDef]:
    """Parse a task file: a TOML document with one or more ``[[task]]`` tables."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TaskError(f"task file {p} does not exist") from None
    except IsADirectoryError:
        raise TaskError(f"task file {p} is a directory") from None
    except OSError as e:
        raise TaskError(f"cannot read task file {p}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise TaskError(f"task file {p} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise TaskError(f"task file {p}: {e}") from None
    tables = data.get("task")
    if not isinstance(tables, list) or not tables:
        raise TaskError(f"task file {p}: no [[task]] tables")
    defs = [task_from_mapping(t, p.parent, where=f"{p}: task[{i}]") for i, t in enumerate(tables)]
    seen: set[str] = set()
    for i, d in enumerate(defs):
        if d.name in seen:
            raise TaskError(f"task file {p}: task[{i}]: the name {d.name!r} is used twice")
        seen.add(d.name)
        try:  # a syntax error is the file's fault, said at load time (compiled only: nothing runs here)
            compile(d.spec.reference_source, f"<reference of {d.name}>", "exec")
        except (SyntaxError, ValueError) as e:
            raise TaskError(f"task file {p}: task {d.name}: reference line {getattr(e, 'lineno', '?')}: "
                            f"{getattr(e, 'msg', e)}") from None
        d.source_path = p
    return defs
