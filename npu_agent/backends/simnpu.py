"""The `simnpu` backend: candidates compile and run on the Ascend C twin (npu_agent.simnpu), in the sandbox.

compile() may be called concurrently (the twin's compile cache is content-addressed and locked per key);
run() is called once at a time per device id. With profile=True the run also writes the instruction record
(docs/simnpu-record.md) to `<work_root>/records/device-<id>.bin`, and the profile carries the functional
layer's real counts (block dim, bytes per data path, buffer peaks) with the cycle model's simulated time,
pipe use, bottleneck and hotspots (npu_agent/simnpu/timing; Profile.model says which model ran).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from hawk.v1 import result_pb2, task_pb2
from npu_agent.backends.base import Backend, CompileOutcome, RunOutcome
from npu_agent.candidate import Candidate
from npu_agent.hardware import HardwareProfile
from npu_agent.sandbox import Sandbox
from npu_agent.simnpu import Twin
from npu_agent.simnpu.runner import profile_from_stats


class SimNpuBackend(Backend):
    """Ascend C twin on the host CPU."""

    name = "simnpu"
    produces_outputs = True
    supports_timing_only = True

    def __init__(self, hardware: HardwareProfile, *, work_root: Path, sandbox: Sandbox,
                 cache_max_entry_bytes: int | None = None, cache_max_bytes: int | None = None) -> None:
        super().__init__(hardware)
        self.sandbox = sandbox
        self.work_root = Path(work_root)
        self.twin = Twin(hardware, work_root=self.work_root, sandbox=sandbox,
                         cache_max_entry_bytes=cache_max_entry_bytes, cache_max_bytes=cache_max_bytes)
        self.version = f"simnpu-{self.twin.build.version}"

    def compile(self, source: str | Candidate, task: task_pb2.TaskSpec, *, timeout_s: float,
                cancel: threading.Event | None = None, use_cache: bool = True) -> CompileOutcome:
        r = self.twin.compile(source, task.kernel_entry, task=task, timeout_s=timeout_s, cancel=cancel,
                              use_cache=use_cache)
        return CompileOutcome(status=r.status, message=r.message, artifact=r.binary, diagnostics=list(r.diagnostics),
                              cached=r.cached, seconds=r.seconds, log_tail=r.log_tail)

    def run(self, artifact: Path | None, task: task_pb2.TaskSpec, inputs: dict[str, np.ndarray], *,
            device_id: int, profile: bool, timeout_s: float,
            cancel: threading.Event | None = None, timing_only: bool = False) -> RunOutcome:
        if artifact is None:
            return RunOutcome(status=result_pb2.INTERNAL, message="run() without a compiled artifact")
        profile = profile or timing_only  # a timing-only run exists for its profile
        record_to = self.work_root / "records" / f"device-{device_id}.bin" if profile else None
        r = self.twin.run(artifact, task, inputs, timeout_s=timeout_s, record_to=record_to, cancel=cancel,
                          timing_only=timing_only)
        log = r.log_tail
        if r.warnings:
            log = "\n".join(f"twin warning: {w}" for w in r.warnings) + ("\n" + log if log else "")
        out = RunOutcome(status=r.status, message=r.message, outputs=r.outputs, exception=r.exception,
                         seconds=r.seconds, log_tail=log[-8000:], timing_only=timing_only,
                         data_dependent=r.data_dependent)
        if profile and r.ok:
            out.profile = profile_from_stats(r.stats, self.hardware, r.seconds)
            # --- cycle model (npu_agent/simnpu/timing, docs/cycle-model.md): simulated time from the record ---
            if r.record is not None:  # verified by the runner (runner.check_record)
                from npu_agent.simnpu.timing import simulate
                try:
                    out.profile = simulate(r.record, self.hardware).profile(task, r.stats)
                except Exception as e:  # the functional profile stays; say why the model did not run
                    out.log_tail = (out.log_tail + f"\ncycle model failed: {type(e).__name__}: {e}")[-8000:]
        return out
