"""Operator tasks as the agent sees them: hashing, input generation, the numpy reference, verification.

The agent verifies candidates itself (inputs come from a secret seed the candidate never sees), so this
module is the one place that turns a ``hawk.v1.TaskSpec`` into input tensors, reference outputs and a
``NumericReport``. Task *files* (TOML) are parsed here too, because `hawk sim run --task-file` and the
controller's campaign specs both read them; the catalogue of built-in tasks lives in ``tasks/``.

Tensors are numpy arrays in their *storage* dtype: bfloat16 is held as ``uint16`` bit patterns (numpy has
no bfloat16), everything else in the matching numpy dtype.
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
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


def validate(spec: task_pb2.TaskSpec) -> None:
    """Reject a spec the agent cannot run, naming the offending field."""
    if not spec.name:
        raise TaskError("task.name is empty")
    if not spec.kernel_entry or not spec.kernel_entry.isidentifier():
        raise TaskError(f"task {spec.name}: kernel_entry {spec.kernel_entry!r} is not a C identifier")
    if not spec.outputs:
        raise TaskError(f"task {spec.name}: no outputs")
    if not spec.reference_source or not spec.reference_entry:
        raise TaskError(f"task {spec.name}: reference_source and reference_entry are required")
    seen: set[str] = set()
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
            if any(d <= 0 for d in t.shape):
                raise TaskError(f"{where}.shape {list(t.shape)} has a non-positive dimension")
    for tol in spec.tolerances:
        if tol.atol < 0 or tol.rtol < 0:
            raise TaskError(f"task {spec.name}: tolerance for {dtype_name(tol.dtype)} is negative")


# --------------------------------------------------------------------------------------------- inputs
def generate_inputs(
    spec: task_pb2.TaskSpec, seed: int, fixed: Mapping[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Draw one verification set of inputs, in storage dtypes, from a seed."""
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
        low, high = (d.low, d.high) if (d.low or d.high) else (-1.0, 1.0)
        if kind == task_pb2.Distribution.NORMAL:
            values = rng.normal(d.mean, d.std or 1.0, size=shape)
        elif kind == task_pb2.Distribution.INTEGERS:
            values = rng.integers(int(low), int(high), size=shape)
        else:
            values = rng.uniform(low, high, size=shape)
        if t.dtype in (task_pb2.FLOAT16, task_pb2.FLOAT32, task_pb2.BFLOAT16):
            values = values.astype(np.float32)
        out[t.name] = from_compute(values, t.dtype)
    return out


def poison(t: task_pb2.TensorSpec) -> np.ndarray:
    """An output buffer pre-filled with NaN (floats) or a sentinel, so every element must be written."""
    dt = storage_dtype(t.dtype)
    shape = tuple(t.shape)
    if t.dtype == task_pb2.BFLOAT16:
        return np.full(shape, 0x7FC0, dtype=dt)
    if dt.kind == "f":
        return np.full(shape, np.nan, dtype=dt)
    return np.full(shape, np.iinfo(dt).min, dtype=dt)


# ------------------------------------------------------------------------------------------ reference
_REFERENCE_CACHE: dict[str, Any] = {}


def reference_function(spec: task_pb2.TaskSpec):
    """Compile the task's numpy reference once per source text."""
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
    """Reference outputs in storage dtypes. Inputs are copies: the reference cannot alias kernel buffers."""
    args = {t.name: to_compute(np.array(inputs[t.name], copy=True), t.dtype) for t in spec.inputs}
    result = reference_function(spec)(**args)
    values = list(result) if isinstance(result, (tuple, list)) else [result]
    if len(values) != len(spec.outputs):
        raise TaskError(f"task {spec.name}: reference returned {len(values)} outputs, expected {len(spec.outputs)}")
    out: dict[str, np.ndarray] = {}
    for t, v in zip(spec.outputs, values, strict=True):
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
    """
    worst: result_pb2.NumericReport | None = None
    for t in spec.outputs:
        atol, rtol = tolerance(spec, t.dtype)
        e = to_compute(np.asarray(expected[t.name]), t.dtype).astype(np.float64).ravel()
        a = to_compute(np.asarray(actual[t.name]), t.dtype).astype(np.float64).ravel()
        if a.size != e.size:
            raise TaskError(f"output {t.name}: got {a.size} elements, expected {e.size}")
        finite_e = np.isfinite(e)
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(a - e)
            ok = diff <= atol + rtol * np.abs(e)
        ok &= finite_e | (np.isnan(e) & np.isnan(a)) | (e == a)
        bad_nonfinite = finite_e & ~np.isfinite(a)
        ok &= ~bad_nonfinite
        fin = finite_e & np.isfinite(a)
        max_abs = float(diff[fin].max()) if fin.any() else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = diff[fin] / np.maximum(np.abs(e[fin]), np.finfo(np.float32).tiny)
        max_rel = float(rel.max()) if rel.size else 0.0
        mismatches = int((~ok).sum())
        first = int(np.argmax(~ok)) if mismatches else -1
        report = result_pb2.NumericReport(
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
        )
        if mismatches:
            return report
        if worst is None or report.max_abs_error > worst.max_abs_error:
            worst = report
    assert worst is not None
    return worst


# -------------------------------------------------------------------------------------------- files
@dataclass
class TaskDef:
    """A task as a user or the catalogue defines it: the wire spec plus what only the controller needs."""

    spec: task_pb2.TaskSpec
    source_path: Path | None = None
    baseline: Path | None = None  # naive correct kernel: the 1.0x of speedups
    expert: Path | None = None    # hand-optimised kernel, where the team wrote one
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def hash(self) -> str:
        return task_hash(self.spec)


_DIST_KINDS = {"uniform": task_pb2.Distribution.UNIFORM, "normal": task_pb2.Distribution.NORMAL,
               "integers": task_pb2.Distribution.INTEGERS, "fixed": task_pb2.Distribution.FIXED}
_TASK_KEYS = {"name", "category", "description", "inputs", "outputs", "reference", "reference_entry",
              "tolerance", "kernel_entry", "block_dim", "attributes", "verify_sets", "version",
              "baseline", "expert", "extra"}


def _tensor(d: Mapping[str, Any], where: str, with_dist: bool) -> task_pb2.TensorSpec:
    unknown = set(d) - {"name", "shape", "dtype", "distribution"}
    if unknown:
        raise TaskError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("name", "shape", "dtype"):
        if key not in d:
            raise TaskError(f"{where}: missing {key!r}")
    if not isinstance(d["shape"], list) or not all(isinstance(x, int) for x in d["shape"]):
        raise TaskError(f"{where}.shape must be a list of integers")
    t = task_pb2.TensorSpec(name=str(d["name"]), shape=d["shape"], dtype=dtype_from_name(str(d["dtype"])))
    dist = d.get("distribution")
    if dist is not None and with_dist:
        kind = str(dist.get("kind", "uniform")).lower()
        if kind not in _DIST_KINDS:
            raise TaskError(f"{where}.distribution.kind {kind!r}: expected one of {sorted(_DIST_KINDS)}")
        t.distribution.CopyFrom(task_pb2.Distribution(
            kind=_DIST_KINDS[kind], low=float(dist.get("low", 0.0)), high=float(dist.get("high", 0.0)),
            mean=float(dist.get("mean", 0.0)), std=float(dist.get("std", 0.0))))
    return t


def task_from_mapping(d: Mapping[str, Any], base_dir: Path | None = None, where: str = "task") -> TaskDef:
    """Build a TaskDef from one parsed ``[[task]]`` table (see docs/tasks.md for the format)."""
    unknown = set(d) - _TASK_KEYS
    if unknown:
        raise TaskError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("name", "inputs", "outputs", "reference", "kernel_entry"):
        if key not in d:
            raise TaskError(f"{where}: missing {key!r}")
    name = str(d["name"])
    where = f"task {name}"
    spec = task_pb2.TaskSpec(
        name=name,
        category=str(d.get("category", "")),
        description=str(d.get("description", "")).strip(),
        inputs=[_tensor(x, f"{where}.inputs[{i}]", True) for i, x in enumerate(d["inputs"])],
        outputs=[_tensor(x, f"{where}.outputs[{i}]", False) for i, x in enumerate(d["outputs"])],
        reference_source=str(d["reference"]),
        reference_entry=str(d.get("reference_entry", "reference")),
        kernel_entry=str(d["kernel_entry"]),
        default_block_dim=int(d.get("block_dim", 0)),
        attributes={str(k): str(v) for k, v in dict(d.get("attributes", {})).items()},
        verify_sets=int(d.get("verify_sets", 0)),
        version=int(d.get("version", 1)),
    )
    for dname, tol in dict(d.get("tolerance", {})).items():
        spec.tolerances.append(task_pb2.Tolerance(dtype=dtype_from_name(dname), atol=float(tol.get("atol", 0.0)),
                                                  rtol=float(tol.get("rtol", 0.0))))
    validate(spec)

    def _path(key: str) -> Path | None:
        if key not in d:
            return None
        p = Path(str(d[key]))
        p = p if p.is_absolute() or base_dir is None else base_dir / p
        if not p.is_file():
            raise TaskError(f"{where}: {key} file {p} does not exist")
        return p

    return TaskDef(spec=spec, baseline=_path("baseline"), expert=_path("expert"), extra=dict(d.get("extra", {})))


def load_task_file(path: str | Path) -> list[TaskDef]:
    """Parse a task file: a TOML document with one or more ``[[task]]`` tables."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TaskError(f"task file {p} does not exist") from None
    except tomllib.TOMLDecodeError as e:
        raise TaskError(f"task file {p}: {e}") from None
    tables = data.get("task")
    if not isinstance(tables, list) or not tables:
        raise TaskError(f"task file {p}: no [[task]] tables")
    defs = [task_from_mapping(t, p.parent, where=f"{p}: task[{i}]") for i, t in enumerate(tables)]
    for d in defs:
        d.source_path = p
    return defs
