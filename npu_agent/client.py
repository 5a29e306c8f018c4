"""A typed client of one NPU agent, used by the controller, `hawk demo` and the tests.

    with AgentClient("npu7:50051", token=tok, tls=TlsConfig(ca=Path("ca.pem"))) as agent:
        [h] = agent.put_task(task_def)
        result = agent.evaluate(h, source, on_progress=print)

Request-level refusals (bad field, limit, unknown task, draining, auth) raise `AgentError` carrying the gRPC
code; an evaluation that ran always returns a `hawk.v1.Result`, whatever its status.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from hawk.v1 import agent_pb2, agent_pb2_grpc, result_pb2, task_pb2
from npu_agent import taskspec
from npu_agent.auth import METADATA_KEY

SERVICE_NAME = "hawk.v1.NpuAgent"
DEFAULT_MAX_MESSAGE_BYTES = 64 << 20


class AgentError(RuntimeError):
    """The agent refused or failed a call; `code` is the grpc.StatusCode."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.details = message

    @classmethod
    def from_rpc(cls, e: grpc.RpcError) -> AgentError:
        return cls(e.code(), e.details() or "")


@dataclass(frozen=True)
class TlsConfig:
    """Client-side TLS: `ca` verifies the agent; `cert`/`key` identify this client for mutual TLS.

    Values are PEM bytes or paths to PEM files. `server_name` overrides the name checked in the agent's
    certificate (when connecting by IP address).
    """

    ca: bytes | Path | None = None
    cert: bytes | Path | None = None
    key: bytes | Path | None = None
    server_name: str | None = None

    @staticmethod
    def _pem(v: bytes | Path | str | None) -> bytes | None:
        if v is None or isinstance(v, bytes):
            return v
        return Path(v).read_bytes()

    def credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(root_certificates=self._pem(self.ca), private_key=self._pem(self.key),
                                            certificate_chain=self._pem(self.cert))


def make_channel(address: str, tls: TlsConfig | None = None,
                 max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> grpc.Channel:
    """A channel with the farm's message-size options; TLS when `tls` is given."""
    options = [("grpc.max_send_message_length", max_message_bytes),
               ("grpc.max_receive_message_length", max_message_bytes)]
    if tls is None:
        return grpc.insecure_channel(address, options=options)
    if tls.server_name:
        options.append(("grpc.ssl_target_name_override", tls.server_name))
    return grpc.secure_channel(address, tls.credentials(), options=options)


def token_metadata(token: str | None) -> tuple[tuple[str, str], ...]:
    """Per-call metadata carrying the bearer token (plain metadata: works with or without TLS)."""
    return ((METADATA_KEY, f"Bearer {token}"),) if token else ()


class AgentClient:
    """One agent's NpuAgent and Health services over one channel. Thread-safe (gRPC channels are)."""

    def __init__(self, address: str, token: str | None = None, tls: TlsConfig | None = None, *,
                 timeout_s: float = 30.0, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        self.address = address
        self.timeout_s = timeout_s  # deadline of the short calls; Evaluate takes its own
        self._metadata = token_metadata(token)
        self._channel = make_channel(address, tls, max_message_bytes)
        self._stub = agent_pb2_grpc.NpuAgentStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)

    # ------------------------------------------------------------------------------------- lifecycle
    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> AgentClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def wait_ready(self, timeout_s: float = 10.0) -> None:
        """Block until the channel connects (raises AgentError UNAVAILABLE after `timeout_s`)."""
        try:
            grpc.channel_ready_future(self._channel).result(timeout=timeout_s)
        except grpc.FutureTimeoutError:
            raise AgentError(grpc.StatusCode.UNAVAILABLE, f"agent {self.address} not reachable") from None

    def _call(self, fn, request, timeout_s: float | None = None):
        try:
            return fn(request, timeout=timeout_s or self.timeout_s, metadata=self._metadata)
        except grpc.RpcError as e:
            raise AgentError.from_rpc(e) from None

    # ------------------------------------------------------------------------------------------ RPCs
    def get_info(self) -> agent_pb2.AgentInfo:
        return self._call(self._stub.GetInfo, agent_pb2.GetInfoRequest())

    def put_task(self, *tasks: taskspec.TaskDef | task_pb2.TaskSpec,
                 tensors: Iterable[task_pb2.FixedTensor] = ()) -> list[str]:
        """Upload tasks (idempotent: the agent keeps one copy per hash); returns their task hashes in order."""
        specs = [t.spec if isinstance(t, taskspec.TaskDef) else t for t in tasks]
        resp = self._call(self._stub.PutTask, agent_pb2.PutTaskRequest(tasks=specs, tensors=list(tensors)))
        return [r.task_hash for r in resp.tasks]

    def evaluate_stream(self, task_hash: str, source: str | dict[str, str], *, evaluation_id: str | None = None,
                        options: agent_pb2.EvaluateOptions | None = None, campaign: str = "",
                        timeout_s: float | None = None,
                        defines: Iterable[str] = ()) -> Iterator[agent_pb2.EvaluateEvent]:
        """Progress events, then the final event carrying the Result. Closing the iterator early cancels.
        `source` is one file's text, or {path: text} for a multi-file candidate (EvaluateRequest.files);
        `defines` the candidate's build definitions (NAME or NAME=VALUE)."""
        req = agent_pb2.EvaluateRequest(evaluation_id=evaluation_id or uuid.uuid4().hex, task_hash=task_hash,
                                        options=options or agent_pb2.EvaluateOptions(), campaign=campaign,
                                        defines=list(defines))
        if isinstance(source, dict):
            req.files.extend(agent_pb2.SourceFile(path=p, content=t) for p, t in source.items())
        else:
            req.source = source
        call = self._stub.Evaluate(req, timeout=timeout_s, metadata=self._metadata)
        try:
            yield from call
        except grpc.RpcError as e:
            raise AgentError.from_rpc(e) from None
        finally:
            call.cancel()  # no-op once the stream ended; stops the agent's work when abandoned

    def evaluate(self, task_hash: str, source: str | dict[str, str], *, evaluation_id: str | None = None,
                 options: agent_pb2.EvaluateOptions | None = None, campaign: str = "",
                 timeout_s: float | None = None,
                 on_progress: Callable[[agent_pb2.Progress], None] | None = None,
                 defines: Iterable[str] = ()) -> result_pb2.Result:
        """Run one evaluation to its end and return the Result (progress goes to `on_progress`)."""
        for event in self.evaluate_stream(task_hash, source, evaluation_id=evaluation_id, options=options,
                                          campaign=campaign, timeout_s=timeout_s, defines=defines):
            if event.HasField("result"):
                return event.result
            if on_progress is not None:
                on_progress(event.progress)
        raise AgentError(grpc.StatusCode.INTERNAL, "Evaluate stream ended without a result")

    def cancel(self, evaluation_id: str) -> bool:
        """Cancel a queued or running evaluation; False when the agent has no such evaluation in flight."""
        return self._call(self._stub.Cancel, agent_pb2.CancelRequest(evaluation_id=evaluation_id)).found

    def health(self, service: str = SERVICE_NAME) -> str:
        """The grpc.health.v1 status name: "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"."""
        resp = self._call(self._health.Check, health_pb2.HealthCheckRequest(service=service))
        return health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)
