"""The backend contract between the agent's pipeline and an NPU (the Ascend C twin, a real CANN host, null).

The service owns queueing, devices, verification and caching; a backend only compiles a source into an
artifact (on the compile pool, any number at once) and runs an artifact on one device slot (one at a time
per device). Both calls must honour their timeout and the cancel event and must never raise for a
candidate's fault: a broken candidate is an outcome with a status, an exception is an agent bug (INTERNAL).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hawk.v1 import result_pb2, task_pb2
from npu_agent.candidate import Candidate
from npu_agent.hardware import HardwareProfile
from npu_agent.sandbox import Sandbox


@dataclass
class CompileOutcome:
    status: int                      # result_pb2.Status: OK, COMPILE_ERROR, TIMEOUT, SANDBOX_VIOLATION, REJECTED
    message: str = ""
    artifact: Path | None = None     # what run() takes; valid until the backend's cache evicts it
    diagnostics: list[result_pb2.CompilerDiagnostic] = field(default_factory=list)
    cached: bool = False             # the artifact came from the compile cache
    seconds: float = 0.0
    log_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == result_pb2.OK


@dataclass
class RunOutcome:
    status: int                      # OK, HARDWARE_EXCEPTION, TIMEOUT, SANDBOX_VIOLATION, RUNTIME_ERROR, INTERNAL
    message: str = ""
    outputs: dict[str, np.ndarray] = field(default_factory=dict)  # storage dtypes, shapes as the task says
    exception: result_pb2.HardwareException | None = None
    profile: result_pb2.Profile | None = None                     # when run(profile=True) or timing_only succeeded
    seconds: float = 0.0
    log_tail: str = ""
    timing_only: bool = False        # which kind of run it was (a timing-only run has no outputs)
    # The kernel's first scalar read of task data, e.g. "GetValue of a UB LocalTensor at line 57" ("" when none):
    # its control flow may depend on the data, so a timing-only run of it is not trusted.
    data_dependent: str = ""

    @property
    def ok(self) -> bool:
        return self.status == result_pb2.OK


class Backend(ABC):
    """One NPU host's way of compiling and running candidates."""

    name: str = "abstract"
    version: str = "0"
    sandbox: Sandbox | None = None  # where candidate code runs (None: the backend runs none, e.g. null)
    supports_timing_only: bool = False  # run(timing_only=True) is available (checks and timing, no data)

    def __init__(self, hardware: HardwareProfile) -> None:
        self.hardware = hardware

    @abstractmethod
    def compile(self, source: str | Candidate, task: task_pb2.TaskSpec, *, timeout_s: float,
                cancel: threading.Event | None = None, use_cache: bool = True) -> CompileOutcome:
        """Compile one candidate for `task`: a source text (the one-file contract) or a multi-file Candidate
        (docs/kernel-contract.md section 9). Runs on the compile pool, concurrently with other calls.
        use_cache=False (the request's bypass_cache) must not answer from any compile cache. An infrastructure
        failure (the compiler could not start, a full disk) is INTERNAL and must never be cached."""

    @abstractmethod
    def run(self, artifact: Path | None, task: task_pb2.TaskSpec, inputs: dict[str, np.ndarray], *,
            device_id: int, profile: bool, timeout_s: float,
            cancel: threading.Event | None = None, timing_only: bool = False) -> RunOutcome:
        """Run a compiled candidate once on device `device_id` with the given inputs.

        Output buffers start poisoned (taskspec.poison) so every element must be written. With
        profile=True the outcome carries a Profile of this run. timing_only=True (only when
        supports_timing_only): the run checks and times every call but computes nothing; `inputs` may be {},
        no outputs come back and profile=True is implied. A backend reports data_dependent when it can tell.
        """

    def close(self) -> None:  # noqa: B027 - optional hook: most backends hold nothing to release
        """Release caches and helper processes."""
