"""The Evaluate pipeline: compile, verify on fresh secret-seeded input sets, profile; stop at the first failure.

Builder/runner split (AutoTVM, MetaSchedule): compiles run on their own worker pool sized to the host's
CPUs, so the next candidates compile while others occupy devices; a device runs one candidate at a time.
Each stage has its own deadline that starts when the stage starts -- time waiting for a compile worker or
a device never counts against a candidate (the lesson of apache/tvm#13963).

Verification inputs are drawn from seeds derived from a per-agent secret, the evaluation id and a fresh
nonce, so a candidate can neither see nor predict them and cannot hard-code outputs. The kernel gets its
own copies of the inputs (no buffer is shared with the reference) and poisoned output buffers; the
profiled run is verified too, so a kernel cannot behave differently when it is being timed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from hawk.v1 import agent_pb2, result_pb2, task_pb2
from npu_agent import secrets, taskspec
from npu_agent.backends.base import Backend, CompileOutcome, RunOutcome
from npu_agent.cache import CacheKey, ResultCache
from npu_agent.candidate import Candidate
from npu_agent.devices import DevicePool
from npu_agent.metrics import AgentMetrics
from npu_agent.references import (
    PendingReference,
    ReferenceCancelled,
    ReferenceFailed,
    ReferenceRunError,
    ReferenceRunner,
)

log = logging.getLogger("npu_agent.evaluation")

STAGE_NAMES = {result_pb2.QUEUED: "queued", result_pb2.COMPILING: "compiling", result_pb2.VERIFYING: "verifying",
               result_pb2.PROFILING: "profiling", result_pb2.DONE: "done"}
STATUS_NAMES = {v: k.lower() for k, v in result_pb2.Status.items()}
_DONE = object()  # end-of-compile marker on an evaluation's event queue
_DRAW_THREADS = 2  # input sets drawn at once per evaluation


@dataclass(frozen=True)
class StageTimeouts:
    """Default per-stage deadlines in seconds; a request's EvaluateOptions may override each. `heartbeat_s`: the
    longest silence on an Evaluate or EvaluateBatch stream (NpuAgentServicer), 0 for none."""

    compile_s: float = 120.0
    verify_s: float = 120.0
    profile_s: float = 300.0
    heartbeat_s: float = 2.0


@dataclass
class Evaluation:
    """One admitted Evaluate call: its request, its task, and the handle Cancel uses."""

    id: str
    task: task_pb2.TaskSpec
    task_hash: str
    source: str
    source_hash: str
    options: agent_pb2.EvaluateOptions
    campaign: str = ""
    candidate: Candidate | None = None   # the files of a multi-file candidate (None: `source` is the one file)
    cancel: threading.Event = field(default_factory=threading.Event)
    nonce: bytes = field(default_factory=lambda: os.urandom(16))
    received: float = field(default_factory=time.monotonic)
    stage: int = result_pb2.QUEUED
    device_id: int | None = None
    events: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)  # progress pushed by pool threads
    progress: bool = True  # progress events wanted (an EvaluateBatch without progress: none are built)
    batch: bool = False    # an EvaluateBatch item: its log line is DEBUG (the stream logs one line at INFO)
    compile_future: Future | None = None


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def _shapes(task: task_pb2.TaskSpec) -> list[result_pb2.TensorShape]:
    return [result_pb2.TensorShape(name=t.name, shape=list(t.shape)) for t in (*task.inputs, *task.outputs)]


def _dims_text(task: task_pb2.TaskSpec) -> str:
    """The task's tensor shapes in one short phrase, e.g. "a[768,256] b[256,640] c[768,640]"."""
    return " ".join(f"{t.name}[{','.join(str(d) for d in t.shape)}]" for t in (*task.inputs, *task.outputs))


def _add_verified(cov: result_pb2.SizeCoverage, task: task_pb2.TaskSpec, sets: int) -> None:
    """Count `sets` more verified input sets at `task`'s size (a new entry when the size changes)."""
    shapes = _shapes(task)
    if not cov.verified or list(cov.verified[-1].tensors) != shapes:
        cov.verified.add().tensors.extend(shapes)
    cov.verified[-1].sets += sets


def progress(stage: int, message: str) -> agent_pb2.EvaluateEvent:
    return agent_pb2.EvaluateEvent(progress=agent_pb2.Progress(stage=stage, message=message, at_unix=time.time()))


class _Stop(Exception):
    """Ends the pipeline early with a final status (raised inside Pipeline.run)."""

    def __init__(self, status: int, message: str, **fields) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields


class _Checks:
    """Checks set i (reference wait and compare: numpy work in this process) in a background thread while the
    kernel runs set i+1 (another process). Verdicts are taken in set order, before anything a later run raises,
    so the first failing set is still the one reported; a run that failed is judged at once (no further run)."""

    def __init__(self, pipeline: Pipeline, ev: Evaluation, task: task_pb2.TaskSpec,
                 pending: PendingReference | None, extra: dict, cov: result_pb2.SizeCoverage) -> None:
        self.p, self.ev, self.task, self.pending, self.extra, self.cov = pipeline, ev, task, pending, extra, cov
        self._pool: ThreadPoolExecutor | None = None  # made at the first overlapped check (never for the null backend)
        self._fut: Future | None = None

    def _one(self, i: int, out: RunOutcome) -> None:
        p = self.p
        p._check(self.ev, self.task, out, p._expected(self.ev, self.pending, i, out), i, self.extra)
        if p.produces_outputs:
            _add_verified(self.cov, self.task, 1)

    def run(self, fn: Callable[[], RunOutcome]) -> RunOutcome:
        """A kernel run; if it raises, the check of the set before it decides first."""
        try:
            return fn()
        except BaseException:
            self.drain()
            raise

    def add(self, i: int, out: RunOutcome) -> None:
        self.drain()
        if not out.ok or self.ev.cancel.is_set() or not self.p.produces_outputs:
            self._one(i, out)  # nothing to overlap: decide now
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hawk-check")
            self._fut = self._pool.submit(self._one, i, out)

    def drain(self) -> None:
        fut, self._fut = self._fut, None
        if fut is not None:
            fut.result()  # re-raises the check's _Stop

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


class Pipeline:
    """Runs evaluations; one instance per agent, shared by all gRPC handler threads."""

    def __init__(self, *, backend: Backend, devices: DevicePool, compile_workers: int, metrics: AgentMetrics,
                 cache: ResultCache, timeouts: StageTimeouts, agent_id: str,
                 fixed_tensors: Callable[[], Mapping[str, np.ndarray]], secret: bytes,
                 references: ReferenceRunner | None = None) -> None:
        self.backend = backend
        self.devices = devices
        self.compile_workers = compile_workers
        self.compile_pool = ThreadPoolExecutor(max_workers=compile_workers, thread_name_prefix="hawk-compile")
        self.metrics = metrics
        self.cache = cache
        self.timeouts = timeouts
        self.agent_id = agent_id
        self._fixed_tensors = fixed_tensors
        self._secret = secret  # never leaves this process: not in any env, file or message
        self._compile_queued = 0
        self._lock = threading.Lock()
        self.produces_outputs = bool(getattr(backend, "produces_outputs", True))
        self.references = references  # task references run here, out of process (never in this one)
        self._children: dict = {}  # metric children by label values (bounded: stage and status names)

    # ---------------------------------------------------------------------------------------- helpers
    @property
    def compile_queued(self) -> int:
        with self._lock:
            return self._compile_queued

    def _compile_queue(self, delta: int) -> None:
        with self._lock:
            self._compile_queued += delta
            self.metrics.queue_depth.labels(queue="compile").set(self._compile_queued)

    def seed(self, ev: Evaluation, set_index: int, task: task_pb2.TaskSpec | None = None) -> int:
        """Seed of one verification set: secret-keyed, so the candidate cannot reproduce it (a verify_task's sets
        get seeds of their own)."""
        size = b"" if task is None or task is ev.task else b"\0verify_task"
        msg = b"\0".join([ev.id.encode(), ev.nonce, str(set_index).encode()]) + size
        return int.from_bytes(hmac.new(self._secret, msg, hashlib.sha256).digest()[:8], "little")

    def cache_key(self, ev: Evaluation) -> CacheKey:
        return CacheKey(ev.source_hash, ev.task_hash, self.backend.hardware.name, self.backend.version,
                        self.verify_sets(ev), bool(ev.options.skip_profile), self.coverage_plan(ev))

    def verify_sets(self, ev: Evaluation) -> int:
        return int(ev.options.verify_sets or ev.task.verify_sets or taskspec.DEFAULT_VERIFY_SETS)

    def lookup_cache(self, ev: Evaluation) -> result_pb2.Result | None:
        """A cached Result for this candidate (marked cached), already logged and counted; None on a miss."""
        if ev.options.bypass_cache:
            return None
        hit = self.cache.get(self.cache_key(ev), ev.id)
        if hit is None:
            return None
        result, stage = hit
        self.metrics.cache_hits.inc()
        self._counter(stage, STATUS_NAMES[result.status]).inc()
        log.log(logging.DEBUG if ev.batch else logging.INFO, "evaluation %s task=%s/%s status=%s cached=true",
                ev.id, ev.task.name, ev.task_hash[:12], result_pb2.Status.Name(result.status))
        return result

    def close(self) -> None:
        self.compile_pool.shutdown(wait=False, cancel_futures=True)
        if self.references is not None:
            self.references.close()  # pre-started reference processes

    # --------------------------------------------------------------------------------------- pipeline
    def run(self, ev: Evaluation) -> Iterator[agent_pb2.EvaluateEvent]:
        """Progress events, then exactly one event carrying the final Result."""
        timings: dict[int, float] = {}
        extra: dict = {}
        log_tail = ""
        try:
            if ev.progress:
                yield progress(result_pb2.QUEUED, "waiting for a compile worker")
            outcome = yield from self._compile(ev, timings)
            log_tail = outcome.log_tail
            if ev.cancel.is_set():
                raise _Stop(result_pb2.CANCELLED, f"cancelled while {STAGE_NAMES[ev.stage]}")
            if not outcome.ok:
                raise _Stop(outcome.status or result_pb2.INTERNAL,
                            outcome.message or "compile failed", diagnostics=outcome.diagnostics)
            extra["diagnostics"] = outcome.diagnostics  # warnings of a successful compile still help
            if ev.progress:
                yield progress(result_pb2.QUEUED, "compiled; waiting for a device")
            wait_start = time.monotonic()
            with self.devices.lease(ev.cancel) as dev:
                timings[result_pb2.QUEUED] = timings.get(result_pb2.QUEUED, 0.0) + time.monotonic() - wait_start
                if dev is None:
                    raise _Stop(result_pb2.CANCELLED, "cancelled while waiting for a device")
                ev.device_id = dev
                yield from self._verify_and_profile(ev, outcome, timings, extra)
            status, message = result_pb2.OK, extra.pop("message", "ok")
            ev.stage = result_pb2.DONE
        except _Stop as stop:
            status, message = stop.status, stop.message
            extra.update(stop.fields)
        except Exception as e:  # an agent bug: the candidate is not to blame
            log.exception("evaluation %s: internal error", ev.id)
            status, message = result_pb2.INTERNAL, f"agent error: {type(e).__name__}: {e}"
        if ev.cancel.is_set() and status not in (result_pb2.OK, result_pb2.CANCELLED):
            # A killed process looks like a crash or a timeout to the backend; the client asked for this.
            status, message = result_pb2.CANCELLED, f"cancelled while {STAGE_NAMES[ev.stage]}"
        log_tail = extra.pop("log_tail", "") or log_tail
        yield agent_pb2.EvaluateEvent(result=self._finish(ev, status, message, timings, extra, log_tail))

    def _compile(self, ev: Evaluation, timings: dict[int, float]):
        timeout = ev.options.compile_timeout_s or self.timeouts.compile_s

        def job() -> CompileOutcome | None:
            self._compile_queue(-1)
            if ev.cancel.is_set():
                return None
            start = time.monotonic()
            timings[result_pb2.QUEUED] = start - ev.received
            ev.stage = result_pb2.COMPILING
            if ev.progress:
                ev.events.put(progress(result_pb2.COMPILING, f"compiling ({len(ev.source)} bytes)"))
            try:
                # A one-file candidate travels as its text (backends may take only text) unless it carries defines.
                use_files = ev.candidate is not None and (not ev.candidate.single or ev.candidate.defines)
                cand = ev.candidate if use_files else ev.source
                # bypass_cache bypasses every level: the compile cache too (a starved compile must not stick).
                return self.backend.compile(cand, ev.task, timeout_s=timeout, cancel=ev.cancel,
                                            use_cache=not ev.options.bypass_cache)
            finally:
                timings[result_pb2.COMPILING] = time.monotonic() - start

        self._compile_queue(+1)
        fut = self.compile_pool.submit(job)
        ev.compile_future = fut
        fut.add_done_callback(lambda _: ev.events.put(_DONE))  # wakes the loop below at once
        while True:
            try:
                item = ev.events.get(timeout=0.05)
            except queue.Empty:
                if ev.cancel.is_set():
                    fut.cancel()  # never started: never will (a running compile sees the cancel event)
                continue
            if item is _DONE:
                break
            yield item
        if fut.cancelled():
            self._compile_queue(-1)
            timings[result_pb2.QUEUED] = time.monotonic() - ev.received
            raise _Stop(result_pb2.CANCELLED, "cancelled while waiting for a compile worker")
        outcome = fut.result()  # re-raises a backend exception: INTERNAL
        if outcome is None:
            raise _Stop(result_pb2.CANCELLED, "cancelled while waiting for a compile worker")
        return outcome

    def _start_reference(self, ev: Evaluation, task: task_pb2.TaskSpec, n: int) -> PendingReference | None:
        """Draw every input set of one verification phase (at `task`'s size) and start the task's reference on all
        of them in one sandboxed process, which runs while the kernel runs (None when the backend produces no
        outputs)."""
        if not self.produces_outputs:
            return None
        if self.references is None:
            raise _Stop(result_pb2.INTERNAL, "this agent has no sandbox to run task references in")
        fixed = self._fixed_tensors()
        # Drawn in the background in set order (numpy's generators release the GIL): the kernel's first run starts
        # once set 0 is drawn while the others are still being drawn.
        pool = ThreadPoolExecutor(max_workers=_DRAW_THREADS, thread_name_prefix="hawk-inputs")
        sets = [pool.submit(taskspec.generate_inputs, task, self.seed(ev, i, task), fixed) for i in range(n)]
        pool.shutdown(wait=False)
        return self.references.start(task, sets, cancel=ev.cancel)

    def _expected(self, ev: Evaluation, pending: PendingReference | None, i: int, out: RunOutcome) -> dict:
        """The reference's outputs for set i: the task's failure is REJECTED, the sandbox's INTERNAL."""
        if pending is None or not out.ok:
            return {}  # nothing to compare, or the kernel's own failure decides
        try:
            return pending.get(i)
        except ReferenceCancelled:
            raise _Stop(result_pb2.CANCELLED, f"cancelled while {STAGE_NAMES[ev.stage]}") from None
        except ReferenceFailed as e:
            raise _Stop(result_pb2.REJECTED, e.message) from None
        except ReferenceRunError as e:
            raise _Stop(result_pb2.INTERNAL, e.message) from None

    def _run_once(self, ev: Evaluation, task: task_pb2.TaskSpec, artifact, pending: PendingReference | None,
                  set_index: int, *, profile: bool, deadline: float, timeout_s: float,
                  timing_only: bool = False) -> RunOutcome:
        """Run the kernel on its own copies of one input set (the reference has others); a timing-only run gets
        no inputs (GM zero-filled) and returns no outputs."""
        drawn = time.monotonic()
        try:
            inputs = pending.input_set(set_index) if pending is not None and not timing_only else {}
        except taskspec.TaskError as e:
            raise _Stop(result_pb2.INTERNAL, f"task {ev.task.name}: {e}") from None
        deadline += time.monotonic() - drawn  # waiting for the inputs to be drawn is not the candidate's time
        if pending is not None:
            deadline += pending.waited  # time spent waiting for the task's reference is not the candidate's
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Stop(result_pb2.TIMEOUT, f"{STAGE_NAMES[ev.stage]} exceeded its {timeout_s:g} s deadline")
        kernel_inputs = {k: np.array(v, copy=True) for k, v in inputs.items()}
        if timing_only:
            return self.backend.run(artifact, task, kernel_inputs, device_id=ev.device_id or 0, profile=True,
                                    timeout_s=remaining, cancel=ev.cancel, timing_only=True)
        return self.backend.run(artifact, task, kernel_inputs, device_id=ev.device_id or 0, profile=profile,
                                timeout_s=remaining, cancel=ev.cancel)

    def _check(self, ev: Evaluation, task: task_pb2.TaskSpec, out: RunOutcome, expected: dict, set_index: int,
               extra: dict, *, outputs: bool = True) -> result_pb2.NumericReport | None:
        """The run's verdict; with `outputs` (not a timing-only run) its outputs are compared with the reference's."""
        if ev.cancel.is_set():
            raise _Stop(result_pb2.CANCELLED, f"cancelled while {STAGE_NAMES[ev.stage]}")
        if not out.ok:
            fields = {"log_tail": out.log_tail}
            if out.exception is not None:
                fields["hardware_exception"] = out.exception
            raise _Stop(out.status or result_pb2.INTERNAL, out.message or "run failed", **fields)
        extra["log_tail"] = out.log_tail
        if not self.produces_outputs or not outputs:
            return None
        missing = [t.name for t in task.outputs if t.name not in out.outputs]
        if missing:
            raise _Stop(result_pb2.INTERNAL, f"backend returned no output {missing[0]!r}")
        try:
            report = taskspec.compare(task, expected, out.outputs, set_index)
        except taskspec.TaskError as e:
            raise _Stop(result_pb2.WRONG_ANSWER, str(e)) from None
        extra["sets_checked"] = extra.get("sets_checked", 0) + 1
        report.sets_checked = extra["sets_checked"]
        if report.mismatch_count:
            what = "non-finite values" if report.non_finite else f"{report.mismatch_count} mismatches"
            size = "" if task is ev.task else f" at the verification size {_dims_text(task)}"
            raise _Stop(result_pb2.WRONG_ANSWER,
                        f"output {report.output_name}: {what} of {report.element_count} on input set {set_index}"
                        f"{size} (max abs error {report.max_abs_error:.3g})", numeric=report)
        best = extra.get("numeric")
        if best is None or report.max_abs_error >= best.max_abs_error:
            extra["numeric"] = report
        else:
            best.sets_checked = report.sets_checked
        return report

    def coverage_plan(self, ev: Evaluation) -> str:
        """How this evaluation covers sizes: "split" (verify at the task's verify_task size, time one timing-only
        run at full size) or "full" (every run at full size, the last one profiled)."""
        if (ev.task.HasField("verify_task") and not ev.options.skip_profile and self.produces_outputs
                and self.backend.supports_timing_only):
            return "split"
        return "full"

    def _verify_and_profile(self, ev: Evaluation, compiled: CompileOutcome, timings: dict[int, float],
                            extra: dict):
        n = self.verify_sets(ev)
        cov = result_pb2.SizeCoverage()
        extra["coverage"] = cov
        if self.coverage_plan(ev) == "full":
            if not self.produces_outputs:
                cov.reason = f"backend {self.backend.name} produces no outputs: nothing is compared"
            elif not ev.task.HasField("verify_task"):
                cov.reason = "the task has no verify_task: verified at full size"
            elif ev.options.skip_profile:
                cov.reason = "profiling skipped: verified at full size"
            else:
                cov.reason = f"backend {self.backend.name} cannot run timing-only: verified at full size"
            out = yield from self._verify_full(ev, compiled, timings, extra, n, cov)
            if out is None:
                extra["message"] = f"correct on {n} input sets at full size; profiling skipped"
                return
            extra["profile"] = out.profile
            extra["message"] = (f"correct on {n} input sets at full size (the last one profiled); "
                                f"{out.profile.time_us:.3f} us")
            return
        vt = ev.task.verify_task
        small = _dims_text(vt)
        ev.stage = result_pb2.VERIFYING
        if ev.progress:
            yield progress(result_pb2.VERIFYING, f"device {ev.device_id}: {n} fresh input sets at {small}")
        timeout = ev.options.verify_timeout_s or self.timeouts.verify_s
        start = time.monotonic()
        pending = self._start_reference(ev, vt, n)
        checks = _Checks(self, ev, vt, pending, extra, cov)
        try:
            for i in range(n):
                out = checks.run(lambda i=i: self._run_once(ev, vt, compiled.artifact, pending, i, profile=False,
                                                            deadline=start + timeout, timeout_s=timeout))
                checks.add(i, out)
            checks.drain()
        finally:
            timings[result_pb2.VERIFYING] = time.monotonic() - start
            checks.close()
            if pending is not None:
                pending.close()
        timeout = ev.options.profile_timeout_s or self.timeouts.profile_s
        ev.stage = result_pb2.PROFILING
        if ev.progress:
            yield progress(result_pb2.PROFILING, f"device {ev.device_id}: timing-only run at {_dims_text(ev.task)}")
        start = time.monotonic()
        try:
            out = self._run_once(ev, ev.task, compiled.artifact, None, 0, profile=True, deadline=start + timeout,
                                 timeout_s=timeout, timing_only=True)
            self._check(ev, ev.task, out, {}, 0, extra, outputs=False)
        finally:
            timings[result_pb2.PROFILING] = time.monotonic() - start
        reads = out.data_dependent
        if reads:
            # Control flow may depend on data: the timing-only run proves nothing about the values; verify (and
            # time) at full size on fresh inputs as a task without verify_task would.
            cov.data_dependent = reads[:300]
            cov.reason = f"the kernel reads tensor data ({cov.data_dependent}): verified at full size too"
            extra["numeric"] = None  # the full-size report replaces the small one
            out = yield from self._verify_full(ev, compiled, timings, extra, n, cov)
            assert out is not None
            extra["profile"] = out.profile
            extra["message"] = (f"correct on {n} input sets at {small} and {n} at full size (the last one profiled; "
                                f"the kernel reads tensor data: {cov.data_dependent}); {out.profile.time_us:.3f} us")
            return
        if out.profile is None:
            raise _Stop(result_pb2.INTERNAL, "backend returned no profile")
        cov.timed.extend(_shapes(ev.task))
        cov.timed_run_verified = False
        cov.reason = "verify_task: verified at its size, timed by a timing-only run at full size (no data-dependent reads)"
        extra["profile"] = out.profile
        extra["message"] = (f"correct on {n} input sets at {small}; timed at full size {_dims_text(ev.task)} by a "
                            f"timing-only run; {out.profile.time_us:.3f} us")

    def _verify_full(self, ev: Evaluation, compiled: CompileOutcome, timings: dict[int, float], extra: dict,
                     n: int, cov: result_pb2.SizeCoverage):
        """n fresh input sets at full size; unless profiling is skipped the last one is the profiled run (verified
        like the others: the timed run must be correct). Returns that run's outcome (None when skipped)."""
        skip = bool(ev.options.skip_profile)
        timeout = ev.options.verify_timeout_s or self.timeouts.verify_s
        ev.stage = result_pb2.VERIFYING
        if ev.progress:
            yield progress(result_pb2.VERIFYING, f"device {ev.device_id}: {n} fresh input sets"
                           + ("" if skip else " (the last one profiled)"))
        start = time.monotonic()
        stage_start = start
        pending = self._start_reference(ev, ev.task, n)
        checks = _Checks(self, ev, ev.task, pending, extra, cov)
        out: RunOutcome | None = None
        try:
            for i in range(n):
                profile = not skip and i == n - 1
                if profile:
                    timings[result_pb2.VERIFYING] = timings.get(result_pb2.VERIFYING, 0.0) + \
                        time.monotonic() - stage_start
                    timeout = ev.options.profile_timeout_s or self.timeouts.profile_s
                    ev.stage = result_pb2.PROFILING
                    if ev.progress:
                        yield progress(result_pb2.PROFILING, f"device {ev.device_id}: profiling (input set {i})")
                    start = stage_start = time.monotonic()
                    waited = pending.waited if pending is not None else 0.0
                    start -= waited  # the reference wait already granted to the verification runs
                out = checks.run(lambda i=i, profile=profile, start=start, timeout=timeout: self._run_once(
                    ev, ev.task, compiled.artifact, pending, i, profile=profile, deadline=start + timeout,
                    timeout_s=timeout))
                checks.add(i, out)  # the timed run included
            checks.drain()
        finally:
            stage = result_pb2.PROFILING if ev.stage == result_pb2.PROFILING else result_pb2.VERIFYING
            timings[stage] = timings.get(stage, 0.0) + time.monotonic() - stage_start
            checks.close()
            if pending is not None:
                pending.close()  # a reference still running when the kernel failed is not needed any more
        if skip:
            return None
        assert out is not None
        if out.profile is None:
            raise _Stop(result_pb2.INTERNAL, "backend returned no profile")
        cov.timed.extend(_shapes(ev.task))
        cov.timed_run_verified = self.produces_outputs
        return out

    def _finish(self, ev: Evaluation, status: int, message: str, timings: dict[int, float], extra: dict,
                log_tail: str) -> result_pb2.Result:
        result = result_pb2.Result(
            evaluation_id=ev.id, status=status, message=message, agent_id=self.agent_id,
            device_id=ev.device_id or 0, source_hash=ev.source_hash, task_hash=ev.task_hash,
            hardware_profile=self.backend.hardware.name, backend=self.backend.name,
            backend_version=self.backend.version, log_tail=log_tail[-4096:],
            stage_timings=[result_pb2.StageTiming(stage=s, seconds=v) for s, v in sorted(timings.items())],
        )
        result.diagnostics.extend(extra.get("diagnostics") or [])
        if extra.get("hardware_exception") is not None:
            result.hardware_exception.CopyFrom(extra["hardware_exception"])
        if extra.get("numeric") is not None:
            result.numeric.CopyFrom(extra["numeric"])
        if extra.get("profile") is not None and status == result_pb2.OK:
            result.profile.CopyFrom(extra["profile"])
        if extra.get("coverage") is not None:
            result.size_coverage.CopyFrom(extra["coverage"])
        secrets.scrub_message(result)  # nothing the candidate's owner gets back may hold an agent secret
        stage = STAGE_NAMES[ev.stage]
        for s, v in timings.items():
            self._histogram(s).observe(v)
        self._counter(stage, STATUS_NAMES[status]).inc()
        if self.cache.put(self.cache_key(ev), result, stage):
            self.metrics.cache_entries.set(len(self.cache))
        level = logging.DEBUG if ev.batch else logging.INFO
        if log.isEnabledFor(level):
            parts = " ".join(f"{STAGE_NAMES[s]}={v:.3f}s" for s, v in sorted(timings.items()))
            log.log(level, "evaluation %s task=%s/%s status=%s stage=%s device=%s %s%s", ev.id, ev.task.name,
                    ev.task_hash[:12], result_pb2.Status.Name(status), stage,
                    "-" if ev.device_id is None else ev.device_id, parts,
                    f" campaign={ev.campaign}" if ev.campaign else "")
        return result

    def _counter(self, stage: str, status: str):
        """The evaluations counter of (stage, status), looked up once (labels() takes a lock and builds a key)."""
        child = self._children.get((stage, status))
        if child is None:
            child = self._children[(stage, status)] = self.metrics.evaluations.labels(stage=stage, status=status)
        return child

    def _histogram(self, stage: int):
        child = self._children.get(stage)
        if child is None:
            child = self._children[stage] = self.metrics.stage_seconds.labels(stage=STAGE_NAMES[stage])
        return child
