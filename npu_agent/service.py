"""The hawk.v1.NpuAgent servicer: request validation, admission limits, the task store, Cancel.

Request-level problems are gRPC errors that name the field (INVALID_ARGUMENT), the limit
(RESOURCE_EXHAUSTED), the missing task (NOT_FOUND) or the drain (UNAVAILABLE); once admitted, every
evaluation ends with exactly one Result, whatever happens to the candidate.
"""

from __future__ import annotations

import ast
import hashlib
import logging
import math
import queue
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import grpc
import numpy as np

from hawk.v1 import agent_pb2, agent_pb2_grpc, result_pb2, task_pb2
from npu_agent import taskspec
from npu_agent.candidate import Candidate, CandidateError
from npu_agent.pipeline import Evaluation, Pipeline
from npu_agent.references import ReferenceBusy, ReferenceFailed, ReferenceRunError, ReferenceRunner

MAX_STAGE_TIMEOUT_S = 3600.0
MAX_VERIFY_SETS = 64
MAX_CHECK_WAITERS = 8  # PutTask calls waiting for another call's check of the same task (each holds a thread)
_CODE_NAMES = {c.value[0]: c.name for c in grpc.StatusCode}
_COALESCE_BYTES = 1 << 20  # an EvaluateBatch event takes waiting results until it is this large
log = logging.getLogger("npu_agent.evaluation")
_ID = re.compile(r"^[\w.:/@+\-]{1,128}$")
_HASH = re.compile(r"^[0-9a-f]{64}$")


def _lean(result: result_pb2.Result, options: agent_pb2.EvaluateOptions) -> result_pb2.Result:
    """`result` without the payload nobody asked for (EvaluateOptions.include_*); the cache keeps its own full copy."""
    if not options.include_log_tail:
        result.ClearField("log_tail")
    if not options.include_block_profiles and result.HasField("profile"):
        del result.profile.blocks[:]
    return result


class _Abort(Exception):
    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Check:
    """A reference check under way; uploads of the same task wait for its verdict."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: _Abort | None = None


class TaskStore:
    """Tasks and fixed tensors this agent holds, content-addressed. Bounded; thread-safe.

    A task's reference is never executed in this process: with a ReferenceRunner, PutTask loads it in the
    sandbox (short deadline, a few at a time; more get RESOURCE_EXHAUSTED instead of holding handler threads);
    without one (the null backend never runs references) it is only parsed.
    """

    def __init__(self, max_tasks: int = 4096, max_tensor_bytes: int = 1 << 30,
                 limits: taskspec.TaskLimits = taskspec.DEFAULT_LIMITS,
                 references: ReferenceRunner | None = None) -> None:
        self.max_tasks = max_tasks
        self.max_tensor_bytes = max_tensor_bytes
        self.limits = limits
        self.references = references
        self._checking: dict[str, _Check] = {}  # task hash -> its reference check under way
        self._check_waiters = 0
        self._tasks: dict[str, task_pb2.TaskSpec] = {}
        self._tensors: dict[str, np.ndarray] = {}
        self._tensor_bytes = 0
        self._lock = threading.Lock()

    def get(self, task_hash: str) -> task_pb2.TaskSpec | None:
        with self._lock:
            return self._tasks.get(task_hash)

    def tensors(self) -> dict[str, np.ndarray]:
        with self._lock:
            return dict(self._tensors)

    def put(self, request: agent_pb2.PutTaskRequest) -> agent_pb2.PutTaskResponse:
        """Validate everything first, then store: a bad request stores nothing."""
        if not request.tasks and not request.tensors:
            raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, "tasks: the request holds no task and no tensor")
        new_tensors: dict[str, np.ndarray] = {}
        for i, t in enumerate(request.tensors):
            where = f"tensors[{i}]"
            digest = hashlib.sha256(t.data).hexdigest()
            if t.sha256 != digest:
                raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, f"{where}.sha256 does not match its data ({digest})")
            try:
                dt = taskspec.storage_dtype(t.dtype)
            except taskspec.TaskError as e:
                raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, f"{where}.dtype: {e}") from None
            try:
                nbytes = taskspec.check_shape(t.shape, t.dtype, where, self.limits)
            except taskspec.TaskError as e:
                raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, str(e)) from None
            if len(t.data) != nbytes:
                raise _Abort(grpc.StatusCode.INVALID_ARGUMENT,
                             f"{where}.data has {len(t.data)} bytes; shape {list(t.shape)} needs {nbytes}")
            new_tensors[digest] = np.frombuffer(t.data, dtype=dt.newbyteorder("<")).astype(dt).reshape(tuple(t.shape))
        with self._lock:
            known = dict(self._tensors) | new_tensors
        hashes: list[str] = []
        for i, spec in enumerate(request.tasks):
            try:
                taskspec.validate(spec, self.limits)
            except taskspec.TaskError as e:
                raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, f"tasks[{i}]: {e}") from None
            for j, t in enumerate(spec.inputs):
                if t.distribution.kind != task_pb2.Distribution.FIXED:
                    continue
                fixed = known.get(t.distribution.fixed_tensor_hash)
                if fixed is None:
                    raise _Abort(grpc.StatusCode.INVALID_ARGUMENT,
                                 f"tasks[{i}].inputs[{j}].distribution.fixed_tensor_hash names no uploaded tensor")
                if fixed.size != taskspec.num_elements(t) or fixed.dtype != taskspec.storage_dtype(t.dtype):
                    raise _Abort(grpc.StatusCode.INVALID_ARGUMENT,
                                 f"tasks[{i}].inputs[{j}] ({t.name}) is {list(t.shape)} {taskspec.dtype_name(t.dtype)}; "
                                 f"its fixed tensor is {list(fixed.shape)} {fixed.dtype}")
            hashes.append(taskspec.task_hash(spec))
        for i, (h, spec) in enumerate(zip(hashes, request.tasks, strict=True)):
            if self.get(h) is None:
                try:
                    self._check_once(h, spec)
                except _Abort as e:
                    raise _Abort(e.code, f"tasks[{i}]: {e.message}") from None
        with self._lock:
            added = sum(a.nbytes for h, a in new_tensors.items() if h not in self._tensors)
            fresh = {h for h in hashes if h not in self._tasks}
            if len(self._tasks) + len(fresh) > self.max_tasks:
                raise _Abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                             f"this agent holds at most {self.max_tasks} tasks (--max-tasks)")
            if self._tensor_bytes + added > self.max_tensor_bytes:
                raise _Abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                             f"fixed tensors would take {self._tensor_bytes + added} bytes; this agent holds at most "
                             f"{self.max_tensor_bytes}")
            present = [h for h in hashes if h in self._tasks]
            for h, a in new_tensors.items():
                if h not in self._tensors:
                    self._tensors[h] = a
            self._tensor_bytes += added
            for h, spec in zip(hashes, request.tasks, strict=True):
                self._tasks.setdefault(h, spec)
        return agent_pb2.PutTaskResponse(tasks=[task_pb2.TaskRef(task_hash=h) for h in hashes],
                                         already_present=sorted(set(present)))

    def _check_once(self, task_hash: str, spec: task_pb2.TaskSpec) -> None:
        """One check per task at a time: callers uploading the same task meanwhile (a controller's first
        evaluations all do) wait for its verdict, at most `MAX_CHECK_WAITERS` of them and never past the check's
        own deadline, instead of each starting a reference process or being refused."""
        with self._lock:
            check = self._checking.get(task_hash)
            owner = check is None
            if owner:
                check = self._checking[task_hash] = _Check()
            elif self._check_waiters >= MAX_CHECK_WAITERS:
                raise _Abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                             f"task {spec.name}: {MAX_CHECK_WAITERS} uploads already wait for its reference check; "
                             "retry later")
            else:
                self._check_waiters += 1
        if owner:
            try:
                self._check_reference(spec)
            except _Abort as e:
                check.error = e
                raise
            except Exception as e:  # an agent bug: the waiters must not read it as a pass
                check.error = _Abort(grpc.StatusCode.INTERNAL, f"task {spec.name}: reference check failed: {e}")
                raise
            finally:
                check.done.set()
                with self._lock:
                    del self._checking[task_hash]
            return
        try:
            settings = self.references.settings if self.references is not None else None
            wait_s = (settings.check_timeout_s + 10.0) if settings is not None else 10.0
            if not check.done.wait(wait_s):
                raise _Abort(grpc.StatusCode.UNAVAILABLE, f"task {spec.name}: its reference check did not finish "
                                                          f"within {wait_s:g} s; retry later")
        finally:
            with self._lock:
                self._check_waiters -= 1
        if check.error is not None:
            raise _Abort(check.error.code, check.error.message)

    def _check_reference(self, spec: task_pb2.TaskSpec) -> None:
        """A reference that does not even load is refused now, not at every evaluation."""
        if self.references is None:
            try:  # parsed only (compile() runs nothing): this agent never runs references
                tree = compile(spec.reference_source, f"<reference of {spec.name}>", "exec", dont_inherit=True,
                               flags=ast.PyCF_ONLY_AST)
            except SyntaxError as e:
                raise _Abort(grpc.StatusCode.INVALID_ARGUMENT,
                             f"task {spec.name}: reference_source line {e.lineno}: {e.msg}") from None
            except (ValueError, RecursionError, MemoryError) as e:
                raise _Abort(grpc.StatusCode.INVALID_ARGUMENT,
                             f"task {spec.name}: reference_source does not parse: {e}") from None
            defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
            defined |= {x.id for n in tree.body if isinstance(n, ast.Assign) for x in n.targets
                        if isinstance(x, ast.Name)}
            if spec.reference_entry not in defined:
                raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, f"task {spec.name}: reference_source defines no "
                                                               f"function {spec.reference_entry!r}")
            return
        try:
            self.references.check(spec)
        except ReferenceBusy as e:
            raise _Abort(grpc.StatusCode.RESOURCE_EXHAUSTED, e.message) from None
        except ReferenceFailed as e:
            raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, e.message) from None
        except ReferenceRunError as e:  # the sandbox, not the task: the caller may retry here or elsewhere
            raise _Abort(grpc.StatusCode.INTERNAL, e.message) from None


class NpuAgentServicer(agent_pb2_grpc.NpuAgentServicer):
    """GetInfo, PutTask, Evaluate, EvaluateBatch, Cancel over one Pipeline."""

    def __init__(self, *, pipeline: Pipeline, tasks: TaskStore, info: Callable[[], agent_pb2.AgentInfo],
                 max_concurrent: int, max_source_bytes: int, max_batch: int = 256) -> None:
        self.pipeline = pipeline
        self.tasks = tasks
        self._info = info
        self.max_concurrent = max_concurrent
        self.max_source_bytes = max_source_bytes
        self.max_batch = max_batch
        # One thread per admitted evaluation runs its pipeline, reused across evaluations (a thread started per
        # call costs more than the null backend's whole evaluation); the handler thread only relays events.
        self._runners = ThreadPoolExecutor(max_workers=max_concurrent + 4, thread_name_prefix="hawk-eval")
        self.draining = False
        self._inflight: dict[str, Evaluation] = {}
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)

    # ------------------------------------------------------------------------------------- inspection
    @property
    def inflight(self) -> int:
        with self._lock:
            return len(self._inflight)

    def cancel_all(self) -> int:
        with self._lock:
            evs = list(self._inflight.values())
        for ev in evs:
            ev.cancel.set()
        self.pipeline.devices.interrupt()
        return len(evs)

    def close(self) -> None:
        self._runners.shutdown(wait=False, cancel_futures=False)

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until no evaluation is in flight; False when `timeout_s` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._inflight, timeout=timeout_s)

    def _reject(self, context: grpc.ServicerContext, e: _Abort):
        self.pipeline.metrics.rejected.labels(code=e.code.name.lower()).inc()
        context.abort(e.code, e.message)

    # -------------------------------------------------------------------------------------------- RPCs
    def GetInfo(self, request, context):
        return self._info()

    def PutTask(self, request, context):
        try:
            return self.tasks.put(request)
        except _Abort as e:
            self._reject(context, e)

    def Cancel(self, request, context):
        if not _ID.match(request.evaluation_id):  # the same rule as Evaluate: say so instead of "not found"
            context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                          "evaluation_id must be 1-128 characters of letters, digits and ._:/@+-")
        with self._lock:
            ev = self._inflight.get(request.evaluation_id)
        if ev is not None:
            ev.cancel.set()
            self.pipeline.devices.interrupt()  # a prefetched evaluation waiting for a device leaves at once
            if ev.compile_future is not None:
                ev.compile_future.cancel()  # never starts when still waiting for a worker
        return agent_pb2.CancelResponse(found=ev is not None)

    def Evaluate(self, request: agent_pb2.EvaluateRequest, context) -> Iterator[agent_pb2.EvaluateEvent]:
        try:
            ev, cached = self._prepare(request)
        except _Abort as e:
            self._reject(context, e)
            return
        if cached is not None:
            yield agent_pb2.EvaluateEvent(result=cached)
            return
        out: queue.SimpleQueue = queue.SimpleQueue()
        context.add_callback(lambda: (ev.cancel.set(), self.pipeline.devices.interrupt()))  # client gone: stop it
        self._start(ev, lambda p: out.put(agent_pb2.EvaluateEvent(progress=p)),
                    lambda r: out.put(agent_pb2.EvaluateEvent(result=r)), lean=False)
        interval = self.pipeline.timeouts.heartbeat_s
        while True:
            try:
                event = out.get(timeout=interval) if interval > 0 else out.get()
            except queue.Empty:  # heartbeat: the client can tell a long stage from a frozen agent
                yield agent_pb2.EvaluateEvent(progress=agent_pb2.Progress(
                    stage=ev.stage, message="alive", at_unix=time.time(), heartbeat=True))
                continue
            yield event
            if event.HasField("result"):
                return

    def EvaluateBatch(self, request: agent_pb2.EvaluateBatchRequest,
                      context) -> Iterator[agent_pb2.EvaluateBatchEvent]:
        n = len(request.evaluations)
        if not n or n > self.max_batch:
            self._reject(context, _Abort(grpc.StatusCode.INVALID_ARGUMENT,
                                         "evaluations is empty: send at least one EvaluateRequest" if not n else
                                         f"the batch has {n} evaluations; this agent accepts at most "
                                         f"{self.max_batch} per EvaluateBatch (AgentInfo.max_batch_evaluations)"))
            return
        first = agent_pb2.EvaluateBatchEvent()  # refusals and cached results, all in one message
        admitted: list[Evaluation] = []
        seen: set[str] = set()
        for r in request.evaluations:
            try:
                if r.evaluation_id in seen:
                    raise _Abort(grpc.StatusCode.ALREADY_EXISTS,
                                 f"evaluation_id {r.evaluation_id!r} appears twice in this batch")
                seen.add(r.evaluation_id)
                ev, cached = self._prepare(r, progress=request.progress, batch=True)
            except _Abort as e:  # this item only: the others go on
                self.pipeline.metrics.rejected.labels(code=e.code.name.lower()).inc()
                first.refused.add(evaluation_id=r.evaluation_id, code=e.code.value[0], message=e.message)
                continue
            if cached is not None:
                first.results.append(_lean(cached, r.options))
                continue
            admitted.append(ev)
        statuses: Counter[int] = Counter(r.status for r in first.results)

        def cancel_all() -> None:  # the stream ended: whatever of it is still running is not wanted
            for ev in admitted:
                ev.cancel.set()
            self.pipeline.devices.interrupt()

        context.add_callback(cancel_all)
        try:
            yield from self._batch_stream(request, admitted, first, statuses)
        finally:  # one line per stream; the items' own lines are DEBUG
            if log.isEnabledFor(logging.INFO):
                campaign = request.evaluations[0].campaign
                done = " ".join(f"{result_pb2.Status.Name(k).lower()}={v}" for k, v in sorted(statuses.items()))
                refused = Counter(_CODE_NAMES.get(x.code, "UNKNOWN").lower() for x in first.refused)
                log.info("batch of %d%s: %d results (%s), %d refused (%s)%s", n,
                         f" campaign={campaign}" if campaign else "", statuses.total(), done, len(first.refused),
                         " ".join(f"{k}={v}" for k, v in sorted(refused.items())),
                         "" if statuses.total() + len(first.refused) == n else "; the stream ended early")

    def _batch_stream(self, request: agent_pb2.EvaluateBatchRequest, admitted: list[Evaluation],
                      first: agent_pb2.EvaluateBatchEvent, statuses: Counter[int]
                      ) -> Iterator[agent_pb2.EvaluateBatchEvent]:
        if not admitted:
            yield first
            return
        out: queue.SimpleQueue = queue.SimpleQueue()  # Results and ItemProgress, from the runner threads
        for ev in admitted:
            on_progress = None
            if request.progress:
                def on_progress(p: agent_pb2.Progress, eid: str = ev.id) -> None:
                    out.put(agent_pb2.ItemProgress(evaluation_id=eid, progress=p))
            self._start(ev, on_progress, out.put, lean=True)
        if first.refused or first.results:
            yield first
        interval = self.pipeline.timeouts.heartbeat_s
        running = len(admitted)
        while running:
            try:
                item = out.get(timeout=interval) if interval > 0 else out.get()
            except queue.Empty:
                yield agent_pb2.EvaluateBatchEvent(heartbeat=agent_pb2.BatchHeartbeat(at_unix=time.time(),
                                                                                      running=running))
                continue
            event = agent_pb2.EvaluateBatchEvent()  # with everything else already waiting: one message, not many
            size = 0
            while True:
                if isinstance(item, result_pb2.Result):
                    event.results.append(item)
                    statuses[item.status] += 1
                    running -= 1
                    size += item.ByteSize()
                else:
                    event.progress.append(item)
                if size >= _COALESCE_BYTES:
                    break
                try:
                    item = out.get_nowait()
                except queue.Empty:
                    break
            yield event

    def _start(self, ev: Evaluation, on_progress: Callable[[agent_pb2.Progress], None] | None,
               on_result: Callable[[result_pb2.Result], None], lean: bool) -> None:
        """Run an admitted evaluation on a runner thread; the one path of Evaluate and EvaluateBatch alike."""
        try:
            self._runners.submit(self._drive, ev, on_progress, on_result, lean)
        except RuntimeError:  # the runner pool is shut down: the agent is stopping; still exactly one Result
            self._release(ev)
            on_result(result_pb2.Result(evaluation_id=ev.id, status=result_pb2.CANCELLED,
                                        message="cancelled: the agent is stopping", agent_id=self.pipeline.agent_id,
                                        source_hash=ev.source_hash, task_hash=ev.task_hash))

    def _drive(self, ev: Evaluation, on_progress: Callable[[agent_pb2.Progress], None] | None,
               on_result: Callable[[result_pb2.Result], None], lean: bool) -> None:
        released = False
        try:
            for event in self.pipeline.run(ev):
                if event.HasField("result"):
                    # Free the slot before the client can see the result, so a client that keeps exactly
                    # max_concurrent evaluations in flight is never refused.
                    self._release(ev)
                    released = True
                    on_result(_lean(event.result, ev.options) if lean else event.result)
                elif on_progress is not None:
                    on_progress(event.progress)
        except Exception as e:  # an agent bug outside the pipeline's own guard: still exactly one Result
            log.exception("evaluation %s: internal error", ev.id)
            if not released:
                self._release(ev)
                released = True
                on_result(result_pb2.Result(evaluation_id=ev.id, status=result_pb2.INTERNAL,
                                            message=f"agent error: {type(e).__name__}: {e}",
                                            agent_id=self.pipeline.agent_id, source_hash=ev.source_hash,
                                            task_hash=ev.task_hash))
        finally:
            if not released:
                self._release(ev)

    def _release(self, ev: Evaluation) -> None:
        with self._lock:
            self._inflight.pop(ev.id, None)
            self.pipeline.metrics.inflight.set(len(self._inflight))
            self._idle.notify_all()

    def _prepare(self, r: agent_pb2.EvaluateRequest, progress: bool = True,
                 batch: bool = False) -> tuple[Evaluation, result_pb2.Result | None]:
        """Validate, answer from the cache, or admit: what every evaluation goes through, alone or in a batch."""
        ev = self._validate(r)
        ev.progress = progress
        ev.batch = batch
        cached = self.pipeline.lookup_cache(ev)
        if cached is None:
            self._admit(ev)
        return ev, cached

    # ------------------------------------------------------------------------------------- admission
    def _validate(self, r: agent_pb2.EvaluateRequest) -> Evaluation:
        bad = grpc.StatusCode.INVALID_ARGUMENT
        if self.draining:
            raise _Abort(grpc.StatusCode.UNAVAILABLE, "agent is draining and accepts no new evaluations")
        if not _ID.match(r.evaluation_id):
            raise _Abort(bad, "evaluation_id must be 1-128 characters of letters, digits and ._:/@+-")
        if not _HASH.match(r.task_hash):
            raise _Abort(bad, "task_hash must be 64 lower-case hex digits (TaskRef.task_hash from PutTask)")
        candidate = self._candidate(r)
        o = r.options
        for name in ("compile_timeout_s", "verify_timeout_s", "profile_timeout_s"):
            v = getattr(o, name)
            if not math.isfinite(v) or v < 0 or v > MAX_STAGE_TIMEOUT_S:
                raise _Abort(bad, f"options.{name} must be between 0 and {MAX_STAGE_TIMEOUT_S:g} seconds, got {v}")
        if o.verify_sets > MAX_VERIFY_SETS:
            raise _Abort(bad, f"options.verify_sets must be at most {MAX_VERIFY_SETS}, got {o.verify_sets}")
        if len(r.campaign) > 128:
            raise _Abort(bad, "campaign is longer than 128 characters")
        task = self.tasks.get(r.task_hash)
        if task is None:
            raise _Abort(grpc.StatusCode.NOT_FOUND,
                         f"task_hash {r.task_hash[:12]}... is not held by this agent; upload the task with PutTask")
        return Evaluation(id=r.evaluation_id, task=task, task_hash=r.task_hash, source=candidate.source,
                          source_hash=candidate.hash(), options=o, campaign=r.campaign, candidate=candidate)

    def _candidate(self, r: agent_pb2.EvaluateRequest) -> Candidate:
        """The request's candidate: `source` (one file) or `files` (several named files), with its `defines`."""
        cand = self._candidate_files(r)
        if not r.defines:
            return cand
        try:
            return cand.with_defines(list(r.defines))
        except CandidateError as e:
            raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, f"defines: {e}") from None

    def _candidate_files(self, r: agent_pb2.EvaluateRequest) -> Candidate:
        bad = grpc.StatusCode.INVALID_ARGUMENT
        if r.files:
            if r.source:
                raise _Abort(bad, "set either source (one file) or files (several named files), not both")
            size = sum(len(f.content.encode("utf-8")) for f in r.files)
            if size > self.max_source_bytes:
                raise _Abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                             f"files total {size} bytes; this agent accepts at most {self.max_source_bytes} "
                             "(--max-source-bytes)")
            try:
                return Candidate.from_files([(f.path, f.content) for f in r.files], max_bytes=self.max_source_bytes)
            except CandidateError as e:
                raise _Abort(bad, str(e)) from None
        if not r.source.strip():
            raise _Abort(bad, "source is empty")
        size = len(r.source.encode("utf-8"))
        if size > self.max_source_bytes:
            raise _Abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                         f"source is {size} bytes; this agent accepts at most {self.max_source_bytes} (--max-source-bytes)")
        if "\0" in r.source:
            raise _Abort(bad, "source contains a NUL character")
        return Candidate.from_source(r.source)

    def _admit(self, ev: Evaluation) -> None:
        with self._lock:
            if self.draining:
                raise _Abort(grpc.StatusCode.UNAVAILABLE, "agent is draining and accepts no new evaluations")
            if ev.id in self._inflight:
                raise _Abort(grpc.StatusCode.ALREADY_EXISTS, f"evaluation_id {ev.id!r} is already in flight")
            if len(self._inflight) >= self.max_concurrent:
                raise _Abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                             f"agent is at its limit of {self.max_concurrent} concurrent evaluations "
                             f"(queued + running); retry later or use another agent")
            self._inflight[ev.id] = ev
            self.pipeline.metrics.inflight.set(len(self._inflight))
