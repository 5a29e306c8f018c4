"""Running a candidate binary on the twin: tensors through files, a config from the hardware profile, one JSON
result over the sandbox's result pipe.

Inputs are written as raw little-endian files the runtime maps privately (the kernel may scribble on them
without touching the caller's arrays); outputs are pre-filled with the task's poison and mapped shared, so
what the kernel wrote is what comes back. Nothing crosses element by element.
"""

from __future__ import annotations

import json
import math
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hawk.v1 import result_pb2, task_pb2
from npu_agent import taskspec
from npu_agent.hardware import HardwareProfile
from npu_agent.sandbox import Limits, Sandbox
from npu_agent.simnpu import coverage, resultmsg
from npu_agent.simnpu import record as recfile
from npu_agent.simnpu.shapes import LAUNCH_JSON

TILING_CAPACITY = 64 * 1024  # bytes of tiling data a host tiling function may save (CANN software limit)
RECORD_FILE = "record.bin"
RUN_MEMORY_ALLOWANCE = 512 << 20  # bytes of address space beyond the tensors (not a hardware number)
# Instruction-record cap of one run (not a hardware number): a well-tiled 8192^3 matmul records 2-4 M entries, a
# naive one (128x128x64 tiles through TQue) ~16 M. A run past the cap cannot be timed (simulated_profile refuses).
RECORD_MAX_ENTRIES = 20 << 20
_STATUS = {"OK": result_pb2.OK, "HARDWARE_EXCEPTION": result_pb2.HARDWARE_EXCEPTION,
           "RUNTIME_ERROR": result_pb2.RUNTIME_ERROR, "TIMEOUT": result_pb2.TIMEOUT,
           "SANDBOX_VIOLATION": result_pb2.SANDBOX_VIOLATION, "INTERNAL": result_pb2.INTERNAL,
           "REJECTED": result_pb2.REJECTED}
_CORE = {"AIV": result_pb2.AIV, "AIC": result_pb2.AIC}
_MEMS = (("UB", "ub"), ("L1", "l1"), ("L0A", "l0a"), ("L0B", "l0b"), ("L0C", "l0c"), ("BT", "bt"), ("FB", "fb"))


@dataclass
class RunResult:
    status: int                                   # result_pb2 Status
    message: str = ""
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    exception: result_pb2.HardwareException | None = None
    stats: dict[str, Any] = field(default_factory=dict)   # block_dim, bytes_moved, buffer_peaks, api_calls
    warnings: list[str] = field(default_factory=list)     # silent hardware behaviours the kernel hit
    record_path: Path | None = None
    record: recfile.Record | None = None          # the verified record (OK runs that asked for one)
    seconds: float = 0.0                          # wall time of the kernel process
    log_tail: str = ""
    timing_only: bool = False                     # a timing-only run: no outputs, GM zero-filled where no input was given
    # The kernel's first scalar read of task data ("" when none): its control flow may depend on the data, so a
    # timing-only run of it is not trusted (runtime/scalar.cpp note_data_read).
    data_dependent: str = ""

    @property
    def ok(self) -> bool:
        return self.status == result_pb2.OK


def _esc(s: str) -> str:
    return "".join(c if c.isprintable() and c not in " %\t" else "".join(f"%{b:02x}" for b in c.encode())
                   for c in s)


def config_lines(hardware: HardwareProfile) -> list[str]:
    """Every hardware number the runtime uses, from the profile (missing optional buffers are absent: size 0)."""
    soc, mem, lim = hardware["soc"], hardware["memory"], hardware["limits"]
    dt = hardware.sections.get("dtypes", {})
    bw = hardware.sections.get("bandwidth", {})
    coupled = str(soc.get("architecture", "separated")) == "coupled"
    lines = [f"soc {hardware.name}", f"npu_arch {int(soc.get('npu_arch', 0))}", f"coupled {int(coupled)}",
             f"aic_cores {int(soc['aic_cores'])}", f"aiv_cores {int(soc['aiv_cores'])}",
             f"max_block_dim {int(soc.get('max_block_dim', 65535))}"]
    for name, key in _MEMS:
        size = int(mem.get(f"{key}_bytes", 0))
        align = mem.get(f"{key}_align")
        if size and align is not None:
            lines.append(f"mem {name} {size} {int(mem.get(f'{key}_reserved_bytes', 0))} {int(align)} "
                         f"{int(mem.get(f'{key}_mix_reserved_bytes', 0))}")
    if "mmad_dst_align" in mem:
        lines.append(f"mmad_dst_align {int(mem['mmad_dst_align'])}")
    for key in ("max_repeat", "max_queue_buffers_per_position", "max_pipe_buffers", "event_ids",
                "datacopy_block_bytes", "compare_align_bytes", "vector_repeat_bytes", "mmad_max_mnk"):
        lines.append(f"{key} {int(lim[key])}")
    for key in ("cross_core_flags", "cross_core_counter_max"):  # absent: no cross-core sync on the SoC
        if key in lim:
            lines.append(f"{key} {int(lim[key])}")
    if "cross_core_modes" in lim:
        lines.append("cross_core_modes " + " ".join(str(int(m)) for m in lim["cross_core_modes"]))
    lines += [f"bf16 {int(bool(dt.get('bf16', True)))}",
              f"bf16_vector_arith {int(bool(dt.get('bf16_vector_arith', False)))}",
              f"bf16_cube {int(bool(dt.get('bf16_cube', dt.get('bf16', True))))}",
              # On a coupled core CO2 is a UB position; on the separated 2201 Fixpipe writes GM directly.
              f"co2_mem {'UB' if coupled else 'GM'}"]
    if "l2_per_core_bytes_per_cycle" in bw:
        lines.append(f"mem_bw L2 {int(bw['l2_per_core_bytes_per_cycle'])}")
    if "gm_per_core_bytes_per_cycle" in bw:
        lines.append(f"mem_bw HBM {int(bw['gm_per_core_bytes_per_cycle'])}")
    for key in ("l2_bytes", "hbm_bytes"):
        if key in mem:
            lines.append(f"{key} {int(mem[key])}")
    rnd, extra, align = gm_alloc(hardware)
    lines.append(f"gm_alloc {rnd} {extra} {align}")
    return lines


def gm_alloc(hardware: HardwareProfile) -> tuple[int, int, int]:
    """A GM allocation's padding (size rounded up to `round`, plus `extra` bytes) and start alignment, as the
    profile's [memory] gm_alloc_* give them (aclrtMalloc's documented behaviour)."""
    mem = hardware["memory"]
    return (int(mem.get("gm_alloc_round_bytes", 1)), int(mem.get("gm_alloc_extra_bytes", 0)),
            int(mem.get("gm_alloc_start_align", 64)))


def padded_bytes(nbytes: int, hardware: HardwareProfile) -> int:
    """The bytes a GM allocation of `nbytes` holds: what a kernel may touch without GM_OUT_OF_BOUNDS."""
    rnd, extra, _ = gm_alloc(hardware)
    return (nbytes + rnd - 1) // max(rnd, 1) * max(rnd, 1) + extra


def _write_tensor(path: Path, array: np.ndarray, t: task_pb2.TensorSpec, role: str, padded_to: int = 0) -> int:
    """Writes the tensor's bytes, then zeros up to `padded_to` (the GM allocation padding); returns the data size."""
    want = taskspec.storage_dtype(t.dtype)
    arr = np.asarray(array)
    if arr.dtype != want:
        raise ValueError(f"{role} {t.name}: dtype {arr.dtype} does not match the task's storage dtype {want}")
    if arr.size != taskspec.num_elements(t):
        raise ValueError(f"{role} {t.name}: {arr.size} elements, the task's shape {list(t.shape)} needs "
                         f"{taskspec.num_elements(t)}")
    data = np.ascontiguousarray(arr).astype(want.newbyteorder("<"), copy=False)
    with open(path, "wb") as f:
        f.write(memoryview(data.reshape(-1)).cast("B"))  # no bytes copy of a large tensor
        if padded_to > data.nbytes:
            f.write(bytes(padded_to - data.nbytes))
    return data.nbytes


_POISON_CHUNK = 1 << 20  # bytes of poison written at a time (an output never needs its whole poison in memory)


def _write_poison(path: Path, t: task_pb2.TensorSpec, padded_to: int) -> int:
    """An output file: the task's poison (taskspec.poison) then zeros up to the padding; returns the data size."""
    unit = taskspec.poison(task_pb2.TensorSpec(name=t.name, dtype=t.dtype, shape=[1]))
    unit = unit.astype(unit.dtype.newbyteorder("<"), copy=False).tobytes()
    nbytes = taskspec.tensor_bytes(t)
    if nbytes != taskspec.num_elements(t) * len(unit):  # packed types: the general path
        return _write_tensor(path, taskspec.poison(t), t, "output", padded_to)
    chunk = unit * max(1, _POISON_CHUNK // len(unit))
    with open(path, "wb") as f:
        left = nbytes
        while left > 0:
            f.write(chunk[:left] if left < len(chunk) else chunk)
            left -= len(chunk)
        if padded_to > nbytes:
            f.write(bytes(padded_to - nbytes))
    return nbytes


TAMPERED = "the kernel process tampered with its profile record"


def check_record(rec_path: Path, stats: dict[str, Any],
                 outputs_written: bool | Callable[[], bool]) -> tuple[recfile.Record | None, str]:
    """The record of an OK run, or why it cannot be the run's: missing, cut, rewritten, or at odds with the run
    (no entries though the kernel ran, blocks outside the launch, counts that disagree with the runtime's)."""
    if not rec_path.is_file():
        return None, f"{TAMPERED}: the record is missing"
    try:
        rec = recfile.read_record(rec_path)
    except (recfile.RecordError, OSError, ValueError) as e:
        return None, f"{TAMPERED}: {str(e).replace(str(rec_path) + ': ', '')}"
    n = len(rec)
    block_dim = int(stats.get("block_dim", rec.block_dim))
    if n == 0:  # outputs_written may be a callable: the comparison is made only for this message
        written = outputs_written() if callable(outputs_written) else outputs_written
        return None, f"{TAMPERED}: it holds no entries" + (" though outputs were written" if written else "")
    if "record_entries" in stats and int(stats["record_entries"]) != n:
        return None, f"{TAMPERED}: it holds {n} entries, the runtime counted {stats['record_entries']}"
    if rec.block_dim != block_dim:
        return None, f"{TAMPERED}: its block dim {rec.block_dim} is not the launch's {block_dim}"
    top = int(rec.entries["block"].max())
    if top >= 2 * max(block_dim, 1):  # an AIV of a mixed kernel is block * 2 + sub-block
        return None, f"{TAMPERED}: block id {top} is outside the launch of {block_dim} block(s)"
    return rec, ""


def _exception(d: dict) -> result_pb2.HardwareException:
    return result_pb2.HardwareException(
        code=str(d.get("code", "")), error_code=str(d.get("error_code", "")), kind=str(d.get("kind", "")),
        message=str(d.get("message", "")), block_id=int(d.get("block_id", 0)),
        core_type=_CORE.get(str(d.get("core_type", "")), result_pb2.CORE_TYPE_UNSPECIFIED),
        source_line=int(d.get("source_line", 0)), api=str(d.get("api", "")))


def launch_block_dim(binary: Path) -> int:
    """The block dim of a direct-launch candidate's constant `<<<n, ...>>>` (launch.json beside the binary)."""
    meta = Path(binary).parent / LAUNCH_JSON
    try:
        return int(json.loads(meta.read_text()).get("block_dim", 0))
    except (OSError, ValueError, TypeError, AttributeError):
        return 0


def _host_program(binary: Path) -> bool:
    """Whether the candidate brings its own host main() (launch.json, written by the trusted compile step)."""
    try:
        return bool(json.loads((Path(binary).parent / LAUNCH_JSON).read_text()).get("host_program", False))
    except (OSError, ValueError, TypeError, AttributeError):
        return False


def run_binary(binary: Path, task: task_pb2.TaskSpec, inputs: dict[str, np.ndarray], *, hardware: HardwareProfile,
               sandbox: Sandbox, timeout_s: float = 60.0, record_to: Path | None = None,
               cancel: threading.Event | None = None, limits: Limits | None = None,
               timing_only: bool = False, generic_math: bool = False, baseline_isa: bool = False) -> RunResult:
    """Run `binary` once on `inputs` (storage dtypes) and return its outputs or what stopped it.

    timing_only: every Ascend C call runs its checks and is recorded, but no arithmetic or data movement happens;
    an input not in `inputs` is zero-filled GM (no file is written), outputs are not read back and the output
    coverage check is skipped. `record_to` is required (the record is what the run is for).
    generic_math: the runtime's vectorised fast paths are off (every op runs its element loop): the reference
    that tests compare the fast paths with, bit for bit. baseline_isa: the fast paths run their x86-64 baseline
    build even where AVX2 is available (so tests cover both builds).
    """
    binary = Path(binary)
    if not binary.is_file():
        return RunResult(status=result_pb2.INTERNAL, message=f"no compiled kernel at {binary}")
    if timing_only and record_to is None:
        raise ValueError("a timing-only run needs record_to (its record is its only product)")
    for t in task.inputs:
        if t.name not in inputs and not timing_only:
            raise ValueError(f"input {t.name!r} of task {task.name} is missing")
    work = sandbox.make_workdir("run")
    try:
        lines = config_lines(hardware)
        lines += [f"default_block_dim {launch_block_dim(binary) or task.default_block_dim}",
                  f"tiling_capacity {TILING_CAPACITY}",
                  f"node_name {_esc(task.name) or 'kernel'}",
                  f"timeout_s {max(0.2, timeout_s * 0.9 - 0.2):.3f}"]
        for k in sorted(task.attributes):
            lines.append(f"attr {_esc(k)} ={_esc(task.attributes[k])}")
        # An in-place output is its input's buffer after the run: the kernel gets no argument for it, and that input
        # is mapped writable ("inout").
        inplace = {t.inplace_of: t.name for t in task.outputs if t.inplace_of}
        if timing_only:
            lines.append("timing_only 1")
        if generic_math:
            lines.append("generic_math 1")
        if baseline_isa:
            lines.append("baseline_isa 1")
        for i, t in enumerate(task.inputs):
            kind = "inout" if t.name in inplace else "input"
            if timing_only and t.name not in inputs:  # zero-filled GM: "-" is no file
                lines.append(f"{kind} {t.name} {int(t.dtype)} - {taskspec.tensor_bytes(t)} "
                             f"{' '.join(str(d) for d in t.shape)}")
                continue
            path = work / f"in{i}.bin"
            n = _write_tensor(path, inputs[t.name], t, "input", padded_bytes(taskspec.tensor_bytes(t), hardware))
            if t.name in inplace:
                sandbox.share_with_sandbox(path)
            lines.append(f"{kind} {t.name} {int(t.dtype)} {path.name} {n} {' '.join(str(d) for d in t.shape)}")
        for i, t in enumerate(task.outputs):
            if t.inplace_of:
                continue
            if timing_only:  # not read back: zero-filled GM, no file
                lines.append(f"output {t.name} {int(t.dtype)} - {taskspec.tensor_bytes(t)} "
                             f"{' '.join(str(d) for d in t.shape)}")
                continue
            path = work / f"out{i}.bin"
            n = _write_poison(path, t, padded_bytes(taskspec.tensor_bytes(t), hardware))
            sandbox.share_with_sandbox(path)
            lines.append(f"output {t.name} {int(t.dtype)} {path.name} {n} {' '.join(str(d) for d in t.shape)}")
        if record_to is not None:
            lines.append(f"record {RECORD_FILE}")
            lines.append(f"record_max_entries {RECORD_MAX_ENTRIES}")
        (work / "run.cfg").write_text("\n".join(lines) + "\n")
        tensor_bytes = sum(padded_bytes(taskspec.tensor_bytes(t), hardware)
                           for t in (*task.inputs, *(o for o in task.outputs if not o.inplace_of)))
        # Address space: the mapped tensors (twice over for private input pages) plus a fixed allowance for the
        # runtime, per-core memories, workspace and record buffer; an allocation past it is a violation.
        # Twice more: the GM window's second mapping of every tensor and the tiling function's private views of
        # them (runtime/process.cpp).
        limits = limits or Limits(cpu_seconds=int(timeout_s) + 30,
                                  address_space_bytes=RUN_MEMORY_ALLOWANCE + 4 * tensor_bytes,
                                  file_size_bytes=max(Limits.file_size_bytes,
                                                      (RECORD_MAX_ENTRIES + 64) * recfile.ENTRY_DTYPE.itemsize))
        r = sandbox.run([str(binary)], cwd=work, limits=limits,
                        timeout_s=timeout_s, env={"HAWK_SIM_CONFIG": "run.cfg"}, cancel=cancel)
        out = RunResult(status=result_pb2.INTERNAL, seconds=r.wall_seconds, log_tail=r.log_tail(),
                        timing_only=timing_only)
        payload = resultmsg.parse(r.result)
        if r.cancelled:
            out.status, out.message = result_pb2.CANCELLED, "run cancelled"
            return out
        if r.setup_failed:  # the sandbox could not start: ours, not the candidate's
            out.status, out.message = result_pb2.INTERNAL, f"sandbox set-up failed: {r.setup_failed}"
            return out
        why = r.violation()
        if why is not None:
            out.status, out.message = result_pb2.SANDBOX_VIOLATION, f"kernel stopped: {why}"
            return out
        if r.timed_out and (not isinstance(payload, resultmsg.Message) or payload.status != "TIMEOUT"):
            out.status, out.message = result_pb2.TIMEOUT, f"the kernel ran past its {timeout_s:g} s deadline"
            return out
        if isinstance(payload, resultmsg.Malformed):
            # The runtime writes one well-formed message: anything else on the pipe came from the candidate.
            out.status = result_pb2.SANDBOX_VIOLATION
            out.message = f"the kernel process forged its result message ({payload.reason})"
            return out
        if payload is None:
            sig = f"signal {r.signal}" if r.signal else f"exit status {r.returncode}"
            out.status = result_pb2.RUNTIME_ERROR
            out.message = f"the kernel process ended ({sig}) without a result"
            return out
        out.status = _STATUS[payload.status]
        out.message = payload.message
        if out.status == result_pb2.INTERNAL:
            # The kernel process runs the candidate's code, so its word that *we* failed cannot be trusted: taken
            # as is, a forged INTERNAL would be retried on every agent and quarantine them. The runtime's own
            # set-up failures (an ABI mismatch) are deterministic for the binary, so nothing is lost by this.
            out.status = result_pb2.RUNTIME_ERROR
            out.message = f"the kernel process reported an internal failure (not trusted: it runs the candidate's " \
                          f"code): {payload.message}"
        out.stats = payload.stats
        out.data_dependent = str(payload.stats.get("data_dependent", ""))
        out.warnings = payload.warnings
        if payload.exception:
            out.exception = _exception(payload.exception)
        if out.status == result_pb2.OK and not timing_only:
            in_file = {t.name: f"in{i}.bin" for i, t in enumerate(task.inputs)}
            for i, t in enumerate(task.outputs):
                dt = taskspec.storage_dtype(t.dtype)
                name = in_file[t.inplace_of] if t.inplace_of else f"out{i}.bin"
                out.outputs[t.name] = np.fromfile(work / name, dtype=dt.newbyteorder("<"),
                                                  count=taskspec.num_elements(t)).astype(dt, copy=False).reshape(
                    tuple(t.shape))
        if out.status == result_pb2.OK and record_to is not None:
            def written() -> bool:
                return not timing_only and any(_differs_from_poison(out.outputs[t.name], t) for t in task.outputs)
            out.record, why = check_record(work / RECORD_FILE, out.stats, written)
            if out.record is not None and not out.record.truncated and not _host_program(binary) \
                    and not timing_only:
                # A host program's kernels store to its own aclrtMalloc buffers, which the twin copies to the
                # task's outputs afterwards: no record entry names the outputs, so there is nothing to check.
                gap = coverage.uncovered(out.record, task, out.outputs, lambda: coverage.before_run(task, inputs))
                if gap is not None:
                    out.record, why = None, f"the kernel wrote its outputs outside the Ascend C API: {gap}"
            if out.record is None:
                return RunResult(status=result_pb2.SANDBOX_VIOLATION, message=why, seconds=out.seconds,
                                 log_tail=out.log_tail, stats=out.stats)
        if record_to is not None and (work / RECORD_FILE).exists():
            record_to = Path(record_to)
            record_to.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(work / RECORD_FILE), record_to)
            out.record_path = record_to
        return out
    finally:
        sandbox.remove_workdir(work)


def _differs_from_poison(arr: np.ndarray, t: task_pb2.TensorSpec) -> bool:
    poison = taskspec.poison(t)
    return np.asarray(arr).tobytes() != np.asarray(poison).astype(np.asarray(arr).dtype, copy=False).tobytes()


def profile_from_stats(stats: dict[str, Any], hardware: HardwareProfile, seconds: float = 0.0
                       ) -> result_pb2.Profile:
    """The functional layer's counts (block dim, bytes per path, buffer peaks) with NO time: kernel time comes
    only from the cycle model (simulated_profile). `seconds`, the host's wall time, is deliberately unused: a
    host-time "profile" would rank kernels by CPU time."""
    del seconds
    p = result_pb2.Profile(clock_mhz=hardware.clock_mhz, block_dim=int(stats.get("block_dim", 0)),
                           model="simnpu-functional (no timing)")
    for path, n in sorted((stats.get("bytes_moved") or {}).items()):
        p.bytes_moved.add(path=path, bytes=int(n))
    for buf, (peak, cap) in sorted((stats.get("buffer_peaks") or {}).items()):
        p.buffer_peaks.add(buffer=buf, peak_bytes=int(peak), capacity_bytes=int(cap))
    return p


class ProfileError(RuntimeError):
    """The cycle model cannot give this run a kernel time (no record, a broken cost file, a failed schedule)."""


def simulated_profile(run: RunResult, task: task_pb2.TaskSpec, hardware: HardwareProfile) -> result_pb2.Profile:
    """The cycle model's profile of a recorded run; raises ProfileError (or the model's error) with the reason
    when it cannot give one. Callers report that as INTERNAL: host time never stands in for kernel time."""
    from npu_agent.simnpu.timing import simulate

    if run.record is None:
        raise ProfileError("the run wrote no instruction record")
    if run.record.truncated:  # a prefix of the run would time only part of the kernel: no profile beats a wrong one
        raise ProfileError(f"the kernel issued more than {len(run.record.entries):,} recorded Ascend C operations, "
                           f"the twin's record cap: it cannot be timed at this size")
    sim = simulate(run.record, hardware)
    if sim.sched.stalled:
        raise ProfileError(f"the schedule never finished {', '.join(sim.sched.stalled[:3])}: a wait without its set")
    prof = sim.profile(task, run.stats)
    if not (prof.time_us > 0 and math.isfinite(prof.time_us)):
        raise ProfileError(f"the cycle model gave a kernel time of {prof.time_us} us")
    return prof
