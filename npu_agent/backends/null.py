"""The `null` backend: evaluates by waiting, with no CPU use, so the farm can be load-tested without compilers.

Every compile waits `compile_s` and every run waits `run_s` (on the cancel event, so Cancel and deadlines work
exactly as with a real backend). Nothing is executed and no outputs exist, so the pipeline skips numeric
comparison for it (`produces_outputs = False`) and the profile it returns says `model = "null"`.

A candidate may override the waits and ask for a failure with one directive line, so a load test can mix
outcomes (see docs/agent.md)::

    // hawk-null: compile_s=0.2 run_s=0.05 profile_s=0.1 fail=compile|run
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import numpy as np

from hawk.v1 import result_pb2, task_pb2
from npu_agent.backends.base import Backend, CompileOutcome, RunOutcome
from npu_agent.candidate import Candidate
from npu_agent.hardware import HardwareProfile

_DIRECTIVE = re.compile(r"^\s*//\s*hawk-null:(.*)$", re.MULTILINE)
_FAILS = ("compile", "run", "internal")


def parse_directives(source: str) -> tuple[dict[str, str], int]:
    """The key=value pairs of the first `// hawk-null:` line and its 1-based line number (0 when absent)."""
    m = _DIRECTIVE.search(source)
    if not m:
        return {}, 0
    line = source.count("\n", 0, m.start()) + 1
    pairs = dict(p.split("=", 1) for p in m.group(1).split() if "=" in p)
    return pairs, line


class NullBackend(Backend):
    """Waits instead of compiling and running (load tests of the farm)."""

    name = "null"
    version = "null-1"
    produces_outputs = False  # the pipeline must not compare outputs it never gets
    supports_timing_only = True  # a timing-only run is a wait with a profile, like any other

    def __init__(self, hardware: HardwareProfile, *, compile_s: float = 0.0, run_s: float = 0.0) -> None:
        super().__init__(hardware)
        self.compile_s = compile_s
        self.run_s = run_s
        self._artifacts: dict[str, tuple[float, float, str]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _wait(seconds: float, timeout_s: float, cancel: threading.Event | None) -> tuple[bool, float]:
        """Sleep without spinning; returns (timed_out, waited seconds). Cancel ends the wait early."""
        start = time.monotonic()
        limit = min(seconds, timeout_s)
        if cancel is not None:
            cancel.wait(limit)
        elif limit > 0:
            time.sleep(limit)
        waited = time.monotonic() - start
        return seconds > timeout_s and not (cancel is not None and cancel.is_set()), waited

    def compile(self, source: str | Candidate, task: task_pb2.TaskSpec, *, timeout_s: float,
                cancel: threading.Event | None = None, use_cache: bool = True) -> CompileOutcome:
        opts, line = parse_directives(source if isinstance(source, str) else source.source)
        try:
            compile_s = float(opts.get("compile_s", self.compile_s))
            run_s = float(opts.get("run_s", self.run_s))
            profile_s = float(opts.get("profile_s", run_s))
        except ValueError:
            return CompileOutcome(status=result_pb2.COMPILE_ERROR, message="bad hawk-null directive",
                                  diagnostics=[result_pb2.CompilerDiagnostic(
                                      severity="error", line=line, message="compile_s/run_s/profile_s must be numbers")])
        fail = opts.get("fail", "")
        timed_out, waited = self._wait(compile_s, timeout_s, cancel)
        if timed_out:
            return CompileOutcome(status=result_pb2.TIMEOUT, seconds=waited,
                                  message=f"compile exceeded its {timeout_s:g} s deadline")
        if fail == "compile":
            return CompileOutcome(status=result_pb2.COMPILE_ERROR, seconds=waited, message="null backend: fail=compile",
                                  diagnostics=[result_pb2.CompilerDiagnostic(
                                      severity="error", line=line, message="requested by hawk-null directive")])
        if fail == "internal":  # an infrastructure failure, for tests of blame, retries and caching
            return CompileOutcome(status=result_pb2.INTERNAL, seconds=waited,
                                  message="null backend: fail=internal (the compiler could not start)")
        if fail and fail not in _FAILS:
            return CompileOutcome(status=result_pb2.REJECTED, seconds=waited,
                                  message=f"hawk-null fail={fail!r}: expected one of {', '.join(_FAILS)}")
        # The "artifact" is a name the run step looks up; nothing is written to disk.
        key = f"null-{id(source)}-{time.monotonic_ns()}"
        with self._lock:
            self._artifacts[key] = (run_s, profile_s, fail)
            if len(self._artifacts) > 10000:  # bounded like a real backend's artifact cache
                self._artifacts.pop(next(iter(self._artifacts)))
        return CompileOutcome(status=result_pb2.OK, artifact=Path(key), seconds=waited)

    def run(self, artifact: Path | None, task: task_pb2.TaskSpec, inputs: dict[str, np.ndarray], *,
            device_id: int, profile: bool, timeout_s: float,
            cancel: threading.Event | None = None, timing_only: bool = False) -> RunOutcome:
        profile = profile or timing_only
        with self._lock:
            run_s, profile_s, fail = self._artifacts.get(str(artifact), (self.run_s, self.run_s, ""))
        if profile:
            run_s = profile_s
        timed_out, waited = self._wait(run_s, timeout_s, cancel)
        if timed_out:
            return RunOutcome(status=result_pb2.TIMEOUT, seconds=waited,
                              message=f"run exceeded its {timeout_s:g} s deadline")
        if fail == "run":
            return RunOutcome(status=result_pb2.RUNTIME_ERROR, seconds=waited, message="null backend: fail=run")
        out = RunOutcome(status=result_pb2.OK, seconds=waited, timing_only=timing_only)
        if profile:
            clock = self.hardware.clock_mhz
            out.profile = result_pb2.Profile(total_cycles=int(run_s * clock * 1e6), time_us=run_s * 1e6,
                                             clock_mhz=clock, model="null")
        return out
