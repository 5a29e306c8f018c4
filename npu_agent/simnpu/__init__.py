"""simnpu, the Ascend C twin: candidate kernels are real Ascend C compiled by the host C++ compiler against our
own kernel_operator.h and run on the CPU with per-core memories, hardware semantics and hardware checks.

Python API (docs/kernel-contract.md)::

    twin = Twin("ascend910b2", work_root=Path("/tmp/twin"))
    built = twin.compile(source, entry="add_custom")      # CompileResult; .binary is cached by content hash
    built = twin.compile(Candidate.from_path(Path("add_custom/")), entry="add_custom", task=spec)  # op project
    res = twin.run(built.binary, task, inputs)            # RunResult: .outputs, or .status/.exception
    res = twin.run(built.binary, task, inputs, record_to=Path("rec.bin"))  # with the instruction record
    res = twin.run(built.binary, task, {}, timing_only=True)  # checks + record only: res.record, no outputs

Every compile and every kernel run goes through the agent's sandbox.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import numpy as np

from hawk.v1 import task_pb2
from npu_agent.candidate import Candidate
from npu_agent.hardware import DEFAULT_PROFILE, HardwareProfile, load_profile
from npu_agent.sandbox import Sandbox
from npu_agent.simnpu.build import TwinBuild, ensure_twin, twin_version
from npu_agent.simnpu.compiler import CandidateCompiler, CompileResult
from npu_agent.simnpu.runner import RunResult, run_binary
from npu_agent.simnpu.shapes import TaskArgs

__all__ = ["Candidate", "CompileResult", "RunResult", "Twin", "TwinBuild", "twin_version"]


class Twin:
    """One hardware profile's twin: a build (runtime + PCH), a compile cache and a sandbox under work_root."""

    def __init__(self, hardware: str | HardwareProfile = DEFAULT_PROFILE, *, work_root: Path | None = None,
                 sandbox: Sandbox | None = None, cache_dir: Path | None = None,
                 cache_max_entry_bytes: int | None = None, cache_max_bytes: int | None = None) -> None:
        self.hardware = hardware if isinstance(hardware, HardwareProfile) else load_profile(hardware)
        if work_root is None:
            work_root = Path(tempfile.gettempdir()) / "hawk-simnpu"
        self.work_root = Path(work_root)
        self.work_root.mkdir(parents=True, exist_ok=True)
        self.work_root.chmod(self.work_root.stat().st_mode | 0o711)  # the sandbox uid traverses into it
        self.sandbox = sandbox or Sandbox(self.work_root / "sandbox")
        self.build = ensure_twin(self.work_root, self.hardware)
        self.compiler = CandidateCompiler(self.build, Path(cache_dir) if cache_dir else self.work_root / "cache",
                                          self.sandbox, max_entry_bytes=cache_max_entry_bytes,
                                          max_total_bytes=cache_max_bytes)

    def compile(self, source: str | Candidate, entry: str, *, task: task_pb2.TaskSpec | None = None,
                timeout_s: float = 120.0, cancel: threading.Event | None = None,
                use_cache: bool = True) -> CompileResult:
        """Compile one candidate (a source text, or a Candidate of several files) for the task's kernel entry
        `entry`; with `task`, its tensors' DTYPE_<ARG> macros are defined. Cached by files, entry, task
        signature and twin version."""
        return self.compiler.compile(source, entry, task_args=TaskArgs.from_task(task) if task is not None else None,
                                     timeout_s=timeout_s, cancel=cancel, use_cache=use_cache)

    def run(self, binary: Path, task: task_pb2.TaskSpec, inputs: dict[str, np.ndarray], *, timing_only: bool = False,
            timeout_s: float = 60.0, record_to: Path | None = None,
            cancel: threading.Event | None = None) -> RunResult:
        """Run a compiled candidate once on `inputs` (storage dtypes, as taskspec.generate_inputs draws them).

        timing_only=True: checks and record only, no arithmetic or data movement; `inputs` may be {} (GM is
        zero-filled), no outputs come back, and a record is always written (to `record_to`, else to a file of
        the work root). RunResult.data_dependent (every run) says whether the kernel read task data as scalars.
        """
        if timing_only and record_to is None:
            record_to = self.work_root / "records" / f"timing-{os.getpid()}-{threading.get_ident()}.bin"
        return run_binary(binary, task, inputs, hardware=self.hardware, sandbox=self.sandbox, timeout_s=timeout_s,
                          record_to=record_to, cancel=cancel, timing_only=timing_only)
