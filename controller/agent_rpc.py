"""Asynchronous calls from the scheduler to agents (grpc.aio), one channel per agent address.

The scheduler keeps hundreds of evaluations in flight from one event loop, so it talks to agents with
grpc.aio rather than a thread per call. Failures are classified here: a transport failure or an agent-side
INTERNAL result means "try another agent", a busy agent means "try later", a rejected request is final.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import grpc

from hawk.v1 import agent_pb2, agent_pb2_grpc, result_pb2, task_pb2
from npu_agent.taskspec import task_hash

log = logging.getLogger(__name__)

_RETRY_ELSEWHERE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNKNOWN,
                    grpc.StatusCode.INTERNAL, grpc.StatusCode.CANCELLED, grpc.StatusCode.ABORTED}


class AgentUnavailable(RuntimeError):
    """The agent could not be reached or failed on its own side; the evaluation may run elsewhere."""


class AgentBusy(RuntimeError):
    """The agent refused more work (RESOURCE_EXHAUSTED, draining); retry later, not its fault."""


@dataclass(frozen=True)
class BatchItem:
    """One candidate of an `evaluate_batch` call. `task_hash` may carry the task's hash when the caller already
    knows it (the scheduler registers tasks by hash), sparing a serialise-and-hash per item."""

    evaluation_id: str
    task: task_pb2.TaskSpec
    source: str
    options: agent_pb2.EvaluateOptions | None = None
    campaign: str = ""
    task_hash: str = ""


Outcome = result_pb2.Result | AgentBusy | AgentUnavailable
_BATCH_MARGIN_BYTES = 64 << 10  # room for the request's own framing when splitting by message size


@dataclass(frozen=True)
class Credentials:
    """The controller's side of the farm's security: the shared token, the CA that signed the agents'
    certificates, and the controller's own certificate for agents that require mutual TLS."""

    token: str = ""
    tls_ca: bytes | None = None
    tls_cert: bytes | None = None
    tls_key: bytes | None = None

    @classmethod
    def from_files(cls, token_file: str = "", tls_ca: str = "", tls_cert: str = "",
                   tls_key: str = "") -> Credentials:
        from npu_agent.auth import read_token_file

        def data(path: str) -> bytes | None:
            if not path:
                return None
            try:
                return Path(path).read_bytes()
            except OSError as e:
                raise ValueError(f"cannot read {path}: {e.strerror}") from None

        if bool(tls_cert) != bool(tls_key):
            raise ValueError("tls_cert and tls_key go together")
        if tls_cert:  # one line naming the file for garbage, a mismatch, a 0644 key or an expired certificate
            from npu_agent.auth import check_pem_files, check_validity

            check_pem_files(Path(tls_cert), Path(tls_key), Path(tls_ca) if tls_ca else None)
            for warning in check_validity(Path(tls_cert)):
                log.warning("%s", warning)
        elif tls_ca:
            from npu_agent.auth import check_ca_file

            check_ca_file(Path(tls_ca))
        return cls(token=read_token_file(token_file) if token_file else "", tls_ca=data(tls_ca),
                   tls_cert=data(tls_cert), tls_key=data(tls_key))

    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()


class AgentConnections:
    """Channels and stubs per address, plus which tasks each agent already holds."""

    def __init__(self, credentials: Credentials | None = None, max_message_bytes: int = 64 << 20) -> None:
        self.credentials = credentials or Credentials()
        self._options = [("grpc.max_send_message_length", max_message_bytes),
                         ("grpc.max_receive_message_length", max_message_bytes)]
        self._max_message_bytes = max_message_bytes
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._stubs: dict[str, agent_pb2_grpc.NpuAgentStub] = {}  # one per channel: a stub costs ~80 us to build
        self._tasks_held: dict[str, set[str]] = {}
        self._uploads: dict[tuple[str, str], asyncio.Future[None]] = {}  # PutTask under way, per agent and hash
        self._limits: dict[str, tuple[int, int, int]] = {}  # address -> (max batch, max message, max source bytes)

    def _stub(self, address: str) -> agent_pb2_grpc.NpuAgentStub:
        stub = self._stubs.get(address)
        if stub is not None:
            return stub
        ch = self._channels.get(address)
        if ch is None:
            if self.credentials.tls_ca is not None:
                c = self.credentials
                creds = grpc.ssl_channel_credentials(root_certificates=c.tls_ca, private_key=c.tls_key,
                                                     certificate_chain=c.tls_cert)
                ch = grpc.aio.secure_channel(address, creds, options=self._options)
            else:
                ch = grpc.aio.insecure_channel(address, options=self._options)
            self._channels[address] = ch
        stub = self._stubs[address] = agent_pb2_grpc.NpuAgentStub(ch)
        return stub

    def forget(self, address: str) -> None:
        """Drop what we believe about an agent (it may have restarted and lost its tasks)."""
        self._tasks_held.pop(address, None)
        self._limits.pop(address, None)

    async def close(self) -> None:
        for ch in self._channels.values():
            await ch.close()
        self._channels.clear()
        self._stubs.clear()

    async def get_info(self, address: str, timeout_s: float = 10.0) -> agent_pb2.AgentInfo:
        try:
            return await self._get_info(address, timeout_s)
        except grpc.aio.AioRpcError as e:
            raise AgentUnavailable(f"{address}: GetInfo failed: {e.code().name}: {e.details()}") from None

    async def _get_info(self, address: str, timeout_s: float) -> agent_pb2.AgentInfo:
        info = await self._stub(address).GetInfo(agent_pb2.GetInfoRequest(), timeout=timeout_s,
                                                 metadata=self.credentials.metadata())
        self._limits[address] = (info.max_batch_evaluations or 1,
                                 min(info.max_message_bytes or self._max_message_bytes, self._max_message_bytes),
                                 info.max_source_bytes)
        return info

    async def evaluate(self, address: str, task: task_pb2.TaskSpec, source: str, evaluation_id: str, *,
                       options: agent_pb2.EvaluateOptions | None = None, campaign: str = "",
                       timeout_s: float = 900.0, inactivity_s: float = 0.0,
                       on_progress: Callable[[agent_pb2.Progress], None] | None = None) -> result_pb2.Result:
        """Upload the task if this agent lacks it, evaluate, and return the final Result.

        inactivity_s > 0: the agent heartbeats its streams (AgentInfo.heartbeat_interval_s), so a stream silent
        that long means a frozen agent (SIGSTOP, a hung host): the call is cancelled and the evaluation may run
        elsewhere, in seconds rather than at the RPC deadline.
        """
        stub = self._stub(address)
        md = self.credentials.metadata()
        th = task_hash(task)
        try:
            if th not in self._tasks_held.get(address, set()):
                put_timeout = max(10.0, 2 * inactivity_s) if inactivity_s > 0 else 30.0
                await stub.PutTask(agent_pb2.PutTaskRequest(tasks=[task]), timeout=put_timeout, metadata=md)
                self._tasks_held.setdefault(address, set()).add(th)
            call = stub.Evaluate(agent_pb2.EvaluateRequest(
                evaluation_id=evaluation_id, task_hash=th, source=source, options=options, campaign=campaign),
                timeout=timeout_s, metadata=md)
            result: result_pb2.Result | None = None
            events = call.__aiter__()
            while True:
                try:
                    event = await (asyncio.wait_for(events.__anext__(), inactivity_s) if inactivity_s > 0
                                   else events.__anext__())
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    call.cancel()
                    self.forget(address)
                    raise AgentUnavailable(f"{address}: no message on the Evaluate stream for {inactivity_s:g} s "
                                           "(heartbeats stopped): the agent is presumed frozen") from None
                if event.HasField("progress") and on_progress is not None:
                    on_progress(event.progress)
                elif event.HasField("result"):
                    result = event.result
        except asyncio.CancelledError:
            raise
        except grpc.aio.AioRpcError as e:
            code = e.code()
            details = e.details() or ""
            if code == grpc.StatusCode.RESOURCE_EXHAUSTED or (
                    code == grpc.StatusCode.UNAVAILABLE and "draining" in details):
                raise AgentBusy(f"{address}: {details}") from None
            if code == grpc.StatusCode.NOT_FOUND and th in self._tasks_held.get(address, set()):
                # The agent restarted and lost our task: upload it again and retry once, right here.
                self.forget(address)
                return await self.evaluate(address, task, source, evaluation_id, options=options,
                                           campaign=campaign, timeout_s=timeout_s, inactivity_s=inactivity_s,
                                           on_progress=on_progress)
            if code in _RETRY_ELSEWHERE:
                self.forget(address)
                raise AgentUnavailable(f"{address}: {code.name}: {e.details()}") from None
            return result_pb2.Result(evaluation_id=evaluation_id, status=result_pb2.REJECTED,
                                     message=f"{address} rejected the evaluation: {code.name}: {e.details()}")
        if result is None:
            raise AgentUnavailable(f"{address}: the Evaluate stream ended without a result")
        if result.status in (result_pb2.INTERNAL, result_pb2.CANCELLED):
            # INTERNAL is the agent's own failure; CANCELLED without our asking means the agent stopped or
            # drained past its deadline. Either way the candidate deserves a run elsewhere.
            raise AgentUnavailable(f"{address}: {result_pb2.Status.Name(result.status)}: {result.message}")
        return result

    # ---------------------------------------------------------------------------------------- batches
    async def evaluate_batch(self, address: str, items: list[BatchItem], *, timeout_s: float = 900.0,
                             inactivity_s: float = 0.0,
                             on_outcome: Callable[[str, Outcome], None],
                             progress: bool = False,
                             on_progress: Callable[[str, agent_pb2.Progress], None] | None = None) -> None:
        """Evaluate `items` on one agent over EvaluateBatch streams; `on_outcome(evaluation_id, outcome)` is called
        exactly once per item, as each finishes: a Result, or an AgentBusy / AgentUnavailable instance classified
        as `evaluate()` classifies (busy or draining -> AgentBusy; transport failure, a frozen stream, agent-side
        INTERNAL or CANCELLED -> AgentUnavailable; a request the agent refuses as bad -> a REJECTED Result).

        Tasks the agent may lack are uploaded first, once per agent and hash (concurrent calls share one PutTask);
        items whose task the agent lost (it restarted) are re-uploaded and sent again once. The batch is split to
        the agent's max_batch_evaluations and message size (learnt with one GetInfo per agent). inactivity_s > 0:
        a stream silent that long (the agent heartbeats) is presumed frozen. Cancelling this coroutine cancels the
        streams (the agent cancels their unfinished items) and reports nothing for the items not finished.
        """
        if not items:
            return
        ids = [it.evaluation_id for it in items]
        if len(set(ids)) != len(ids):
            raise ValueError("evaluate_batch: evaluation ids must be distinct within a batch")
        done: set[str] = set()

        def emit(evaluation_id: str, outcome: Outcome) -> None:
            if evaluation_id in done:
                return  # exactly once, whatever the agent sends
            done.add(evaluation_id)
            try:
                on_outcome(evaluation_id, outcome)
            except Exception:  # the caller's bug must not cost the other items their outcome
                log.exception("on_outcome failed for %s", evaluation_id)

        hashes = {id(it.task): it.task_hash for it in items if it.task_hash}
        for it in items:
            if id(it.task) not in hashes:
                hashes[id(it.task)] = task_hash(it.task)
        try:
            lost = await self._run_batch(address, items, hashes, timeout_s, inactivity_s, progress, on_progress,
                                         emit)
            if lost:  # the agent restarted and lost these tasks: upload them again and retry those items once
                self.forget(address)
                again = await self._run_batch(address, lost, hashes, timeout_s, inactivity_s, progress,
                                              on_progress, emit)
                for it in again:
                    emit(it.evaluation_id, AgentUnavailable(f"{address}: the agent lost task "
                                                            f"{hashes[id(it.task)][:12]} again after a re-upload"))
            error = ""
        except Exception as e:  # a bug of ours: the items still get their outcome (and run elsewhere)
            log.exception("evaluate_batch on %s failed", address)
            error = f": {type(e).__name__}: {e}"
        for it in items:  # only after a bug: every item gets exactly one outcome
            if it.evaluation_id not in done:
                emit(it.evaluation_id, AgentUnavailable(f"{address}: no outcome for {it.evaluation_id}{error}"))

    async def _run_batch(self, address: str, items: list[BatchItem], hashes: dict[int, str], timeout_s: float,
                         inactivity_s: float, progress: bool,
                         on_progress: Callable[[str, agent_pb2.Progress], None] | None,
                         emit: Callable[[str, Outcome], None]) -> list[BatchItem]:
        """Upload, split and stream; returns the items the agent answered NOT_FOUND for a task we had uploaded."""
        try:
            bad_tasks = await self._ensure_tasks(address, items, hashes, inactivity_s)
            if len(bad_tasks) < len({hashes[id(it.task)] for it in items}):
                max_items, max_bytes, max_source = await self._batch_limits(address)
            else:
                max_items, max_bytes, max_source = 1, self._max_message_bytes, 0  # nothing will be sent
        except (AgentBusy, AgentUnavailable) as e:
            for it in items:
                emit(it.evaluation_id, e)
            return []
        except _Refused as e:
            for it in items:
                emit(it.evaluation_id, result_pb2.Result(evaluation_id=it.evaluation_id, status=result_pb2.REJECTED,
                                                         message=str(e)))
            return []
        send: list[agent_pb2.EvaluateRequest] = []
        by_id: dict[str, BatchItem] = {}
        for it in items:
            th = hashes[id(it.task)]
            if th in bad_tasks:
                emit(it.evaluation_id, result_pb2.Result(evaluation_id=it.evaluation_id, status=result_pb2.REJECTED,
                                                         message=f"{address} rejected the task upload: "
                                                                 f"{bad_tasks[th]}"))
                continue
            if max_source and len(it.source) > max_source and len(it.source.encode("utf-8")) > max_source:
                # The agent would refuse it as RESOURCE_EXHAUSTED, which reads as "busy": it is the candidate's.
                emit(it.evaluation_id, result_pb2.Result(
                    evaluation_id=it.evaluation_id, status=result_pb2.REJECTED,
                    message=f"the source is {len(it.source.encode('utf-8'))} bytes; {address} accepts at most "
                            f"{max_source} (AgentInfo.max_source_bytes)"))
                continue
            by_id[it.evaluation_id] = it
            send.append(agent_pb2.EvaluateRequest(evaluation_id=it.evaluation_id, task_hash=th, source=it.source,
                                                  options=it.options, campaign=it.campaign))
        chunks: list[list[agent_pb2.EvaluateRequest]] = []
        size = 0
        budget = max(1, max_bytes - _BATCH_MARGIN_BYTES)
        for req in send:
            n = req.ByteSize() + 8
            if n > budget:  # the agent's gRPC limit would refuse it as RESOURCE_EXHAUSTED, i.e. "busy", for ever
                by_id.pop(req.evaluation_id)
                emit(req.evaluation_id, result_pb2.Result(
                    evaluation_id=req.evaluation_id, status=result_pb2.REJECTED,
                    message=f"the request is {n} bytes; {address} accepts messages of at most {max_bytes} "
                            "(AgentInfo.max_message_bytes)"))
                continue
            if not chunks or len(chunks[-1]) >= max_items or size + n > budget:
                chunks.append([])
                size = 0
            chunks[-1].append(req)
            size += n
        lost: list[BatchItem] = []
        streams = [self._stream(address, chunk, by_id, timeout_s, inactivity_s, progress, on_progress, emit, lost)
                   for chunk in chunks]
        if len(streams) == 1:
            await streams[0]  # the usual case: no task of its own
        elif streams:
            await asyncio.gather(*streams)
        return lost

    async def _batch_limits(self, address: str) -> tuple[int, int, int]:
        """The agent's batch, message and source limits, from one GetInfo per agent (classified as any call)."""
        limits = self._limits.get(address)
        if limits is None:
            try:
                await self._get_info(address, 10.0)
            except grpc.aio.AioRpcError as e:
                outcome = _classify_refusal(address, e.code(), f"GetInfo: {e.details()}", "")
                if isinstance(outcome, result_pb2.Result):
                    raise _Refused(outcome.message) from None
                if isinstance(outcome, AgentUnavailable):
                    self.forget(address)
                raise outcome from None
            limits = self._limits[address]
        return limits

    async def _ensure_tasks(self, address: str, items: list[BatchItem], hashes: dict[int, str],
                            inactivity_s: float) -> dict[str, str]:
        """PutTask the tasks this agent may lack, one call for all of them; concurrent callers wait for an upload
        already under way. Returns {hash: reason} for tasks the agent refused as invalid (their items are
        REJECTED); raises AgentBusy / AgentUnavailable when the upload itself failed."""
        held = self._tasks_held.get(address, set())
        mine: dict[str, task_pb2.TaskSpec] = {}
        waits: dict[str, asyncio.Future[str]] = {}
        for it in items:
            th = hashes[id(it.task)]
            if th in held or th in mine or th in waits:
                continue
            fut = self._uploads.get((address, th))
            if fut is not None:
                waits[th] = fut
            else:
                mine[th] = it.task
        bad: dict[str, str] = {}
        if mine:
            loop = asyncio.get_running_loop()
            futs = {th: loop.create_future() for th in mine}
            self._uploads.update({(address, th): f for th, f in futs.items()})
            error: BaseException | None = None
            try:
                bad = await self._put_tasks(address, list(mine.items()), inactivity_s)
                self._tasks_held.setdefault(address, set()).update(th for th in mine if th not in bad)
            except BaseException as e:
                error = e
                raise
            finally:
                for th, f in futs.items():
                    self._uploads.pop((address, th), None)
                    if isinstance(error, AgentBusy | AgentUnavailable):
                        f.set_exception(error)
                        f.exception()  # retrieved: no "never retrieved" warning when nobody waits
                    elif error is not None:
                        f.cancel()
                    else:
                        f.set_result(bad.get(th, ""))
        for th, fut in waits.items():
            try:
                reason = await asyncio.shield(fut)
            except asyncio.CancelledError:
                if fut.cancelled():  # the uploading caller was cancelled, not us: upload ourselves
                    return bad | await self._ensure_tasks(address, items, hashes, inactivity_s)
                raise
            if reason:
                bad[th] = reason
        return bad

    async def _put_tasks(self, address: str, tasks: list[tuple[str, task_pb2.TaskSpec]],
                         inactivity_s: float) -> dict[str, str]:
        stub = self._stub(address)
        md = self.credentials.metadata()
        timeout = max(10.0, 2 * inactivity_s) if inactivity_s > 0 else 30.0
        try:
            await stub.PutTask(agent_pb2.PutTaskRequest(tasks=[t for _, t in tasks]), timeout=timeout, metadata=md)
            return {}
        except grpc.aio.AioRpcError as e:
            code, details = e.code(), e.details() or ""
            if code == grpc.StatusCode.INVALID_ARGUMENT:
                if len(tasks) == 1:
                    return {tasks[0][0]: f"{code.name}: {details}"}
                bad: dict[str, str] = {}  # find which: one task per call
                for th, t in tasks:
                    bad |= await self._put_tasks(address, [(th, t)], inactivity_s)
                return bad
            outcome = _classify_refusal(address, code, f"PutTask: {details}", "")
            if isinstance(outcome, result_pb2.Result):  # refused for good (auth, ...): as evaluate(), REJECTED
                return {th: f"{code.name}: {details}" for th, _ in tasks}
            if isinstance(outcome, AgentUnavailable):
                self.forget(address)
            raise outcome from None

    async def _stream(self, address: str, chunk: list[agent_pb2.EvaluateRequest], by_id: dict[str, BatchItem],
                      timeout_s: float, inactivity_s: float, progress: bool,
                      on_progress: Callable[[str, agent_pb2.Progress], None] | None,
                      emit: Callable[[str, Outcome], None], lost: list[BatchItem]) -> None:
        """One EvaluateBatch stream: every item of `chunk` gets its outcome through `emit`, or lands in `lost`."""
        pending = {r.evaluation_id for r in chunk}
        call = self._stub(address).EvaluateBatch(agent_pb2.EvaluateBatchRequest(evaluations=chunk, progress=progress),
                                                 timeout=timeout_s, metadata=self.credentials.metadata())
        loop = asyncio.get_running_loop()
        last = [loop.time()]
        frozen = [False]
        timer: list[asyncio.TimerHandle | None] = [None]

        def watchdog() -> None:
            # One timer per stream, re-armed when it fires, not per message: a message only stores its time.
            silent = loop.time() - last[0]
            if silent >= inactivity_s:
                frozen[0] = True
                call.cancel()
            else:
                timer[0] = loop.call_later(inactivity_s - silent + 0.01, watchdog)

        if inactivity_s > 0:
            timer[0] = loop.call_later(inactivity_s, watchdog)

        def fail(outcome: Callable[[str], Outcome]) -> None:
            for eid in sorted(pending):
                emit(eid, outcome(eid))
            pending.clear()

        try:
            while pending:
                event = await call.read()
                if event is grpc.aio.EOF:
                    break
                last[0] = loop.time()
                for r in event.results:
                    if r.evaluation_id in pending:
                        pending.discard(r.evaluation_id)
                        emit(r.evaluation_id, _classify_result(address, r))
                for ref in event.refused:
                    if ref.evaluation_id not in pending:
                        continue
                    pending.discard(ref.evaluation_id)
                    code = _code(ref.code)
                    if code == grpc.StatusCode.NOT_FOUND:
                        lost.append(by_id[ref.evaluation_id])
                    else:
                        emit(ref.evaluation_id, _classify_refusal(address, code, ref.message, ref.evaluation_id))
                if on_progress is not None:
                    for p in event.progress:
                        try:
                            on_progress(p.evaluation_id, p.progress)
                        except Exception:  # the caller's bug must not break the stream
                            log.exception("on_progress failed for %s", p.evaluation_id)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not frozen[0] or (task is not None and task.cancelling()):
                call.cancel()
                raise
        except grpc.aio.AioRpcError as e:
            if not frozen[0]:
                code, details = e.code(), e.details() or ""
                if code in _RETRY_ELSEWHERE or code == grpc.StatusCode.UNIMPLEMENTED:
                    self.forget(address)
                fail(lambda eid: _classify_refusal(address, code, f"EvaluateBatch: {details}", eid, whole=True))
        except Exception as e:  # a bug of ours: the items still get their outcome (and run elsewhere)
            log.exception("EvaluateBatch stream to %s failed", address)
            call.cancel()
            why = f"{address}: the EvaluateBatch stream failed: {type(e).__name__}: {e}"
            fail(lambda _: AgentUnavailable(why))
        finally:
            if timer[0] is not None:
                timer[0].cancel()
        if frozen[0] and pending:
            self.forget(address)
            fail(lambda _: AgentUnavailable(f"{address}: no message on the EvaluateBatch stream for "
                                            f"{inactivity_s:g} s (heartbeats stopped): the agent is presumed frozen"))
        if pending:
            fail(lambda _: AgentUnavailable(f"{address}: the EvaluateBatch stream ended without a result"))


class _Refused(Exception):
    """A call refused for good (auth, ...): every item of the batch is REJECTED with this message."""


def _code(number: int) -> grpc.StatusCode:
    return _CODES.get(number, grpc.StatusCode.UNKNOWN)


_CODES = {c.value[0]: c for c in grpc.StatusCode}


def _classify_result(address: str, r: result_pb2.Result) -> Outcome:
    if r.status in (result_pb2.INTERNAL, result_pb2.CANCELLED):
        # As evaluate(): the agent's own failure, or a cancel we did not ask for (stop, drain deadline).
        return AgentUnavailable(f"{address}: {result_pb2.Status.Name(r.status)}: {r.message}")
    return r


def _classify_refusal(address: str, code: grpc.StatusCode, details: str, evaluation_id: str,
                      whole: bool = False) -> Outcome:
    """An item (or a whole stream) the agent refused, as evaluate() classifies an RPC error."""
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED or (code == grpc.StatusCode.UNAVAILABLE and "draining" in details):
        return AgentBusy(f"{address}: {details}")
    if code in _RETRY_ELSEWHERE or code == grpc.StatusCode.UNIMPLEMENTED:
        return AgentUnavailable(f"{address}: {code.name}: {details}")
    what = "the batch" if whole else "the evaluation"
    return result_pb2.Result(evaluation_id=evaluation_id, status=result_pb2.REJECTED,
                             message=f"{address} rejected {what}: {code.name}: {details}")
