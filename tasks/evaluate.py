"""Run a task's kernel on the Ascend C twin with the full verification protocol, outside the agent.

The table script (benchmarks/task_table.py) and the tests use this; campaigns go through the agent instead.
It drives the twin through the agent's backend contract (``npu_agent.backends.base.Backend``), so it checks
exactly what an agent would: compile once, then fresh input sets, reference on separate copies, poisoned
outputs (the backend poisons them), compare; the last set's run is profiled.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from hawk.v1 import result_pb2, task_pb2
from npu_agent import taskspec
from npu_agent.backends.base import Backend
from npu_agent.hardware import load_profile


class TwinUnavailable(RuntimeError):
    """The twin backend cannot be imported or started in this build."""


def twin_backend(hardware: str = "ascend910b2", work_root: Path | None = None) -> Backend:
    """The simnpu backend, built as the agent builds it (sandboxed like any candidate)."""
    try:
        from npu_agent.backends.simnpu import SimNpuBackend
    except ImportError as e:
        raise TwinUnavailable(f"the simnpu backend is not available: {e}") from e
    from npu_agent.sandbox import Sandbox

    if work_root is None:
        work_root = Path(tempfile.mkdtemp(prefix="hawk-tasks-"))
        work_root.chmod(0o711)  # the sandbox runs kernels as an unprivileged uid that must reach its dirs
    root = work_root
    return SimNpuBackend(load_profile(hardware), work_root=root / "simnpu", sandbox=Sandbox(root / "sandbox"))


@dataclass
class KernelCheck:
    """What one kernel did on one task: pass/fail with the reason, and the profile of its last run."""

    ok: bool
    status: str
    message: str = ""
    reports: list[result_pb2.NumericReport] = field(default_factory=list)
    profile: result_pb2.Profile | None = None
    compile_s: float = 0.0
    run_s: float = 0.0


class Compiled:
    """A kernel compiled once for a task; ``check`` may run it many times (e.g. per seed set)."""

    def __init__(self, backend: Backend, source: str, spec: task_pb2.TaskSpec, timeout_s: float = 300.0) -> None:
        self.backend = backend
        self.spec = spec
        t0 = time.monotonic()
        self.outcome = backend.compile(source, spec, timeout_s=timeout_s)
        self.compile_s = time.monotonic() - t0

    def check(self, seeds: list[int], *, spec: task_pb2.TaskSpec | None = None, profile: bool = True,
              timeout_s: float = 600.0) -> KernelCheck:
        """Verify on one input set per seed (``spec`` may be the same task at other dims)."""
        spec = spec or self.spec
        if not self.outcome.ok:
            return KernelCheck(False, result_pb2.Status.Name(self.outcome.status),
                               self.outcome.message or self.outcome.log_tail, compile_s=self.compile_s)
        failure: list[KernelCheck] = []
        last_profile: list[result_pb2.Profile | None] = [None]
        run_s = [0.0]
        remaining = [len(seeds)]

        def run(inputs, outputs):
            remaining[0] -= 1
            t0 = time.monotonic()
            out = self.backend.run(self.outcome.artifact, spec, inputs, device_id=0,
                                   profile=profile and remaining[0] == 0, timeout_s=timeout_s)
            run_s[0] += time.monotonic() - t0
            if not out.ok:
                msg = out.message
                e = out.exception
                if e is not None and e.ByteSize():
                    msg = f"{msg} [{e.kind} in {e.api or '?'} at line {e.source_line}, block {e.block_id}: {e.message}]"
                failure.append(KernelCheck(False, result_pb2.Status.Name(out.status), msg or out.log_tail))
                return outputs  # the poisoned buffers: compare reports every element
            last_profile[0] = out.profile
            return out.outputs

        reports = taskspec.verify(spec, run, seeds)
        if failure:
            f = failure[0]
            f.reports, f.compile_s, f.run_s = reports, self.compile_s, run_s[0]
            return f
        bad = next((r for r in reports if r.mismatch_count), None)
        if bad is not None:
            return KernelCheck(False, "WRONG_ANSWER",
                               f"{bad.output_name}: {bad.mismatch_count}/{bad.element_count} elements off in set "
                               f"{bad.set_index} (max abs {bad.max_abs_error:.3g}, first at {bad.first_mismatch_index}: "
                               f"expected {bad.first_expected:.6g}, got {bad.first_actual:.6g})",
                               reports, None, self.compile_s, run_s[0])
        return KernelCheck(True, "OK", "", reports, last_profile[0], self.compile_s, run_s[0])
