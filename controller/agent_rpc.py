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
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._tasks_held: dict[str, set[str]] = {}

    def _stub(self, address: str) -> agent_pb2_grpc.NpuAgentStub:
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
        return agent_pb2_grpc.NpuAgentStub(ch)

    def forget(self, address: str) -> None:
        """Drop what we believe about an agent (it may have restarted and lost its tasks)."""
        self._tasks_held.pop(address, None)

    async def close(self) -> None:
        for ch in self._channels.values():
            await ch.close()
        self._channels.clear()

    async def get_info(self, address: str, timeout_s: float = 10.0) -> agent_pb2.AgentInfo:
        try:
            return await self._stub(address).GetInfo(agent_pb2.GetInfoRequest(), timeout=timeout_s,
                                                     metadata=self.credentials.metadata())
        except grpc.aio.AioRpcError as e:
            raise AgentUnavailable(f"{address}: GetInfo failed: {e.code().name}: {e.details()}") from None

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
