"""Who may talk to an agent: a bearer token checked on every RPC, and TLS (mutual with a CA) on the port.

An agent executes arbitrary code for whoever reaches it (TVM's RPC server made the same point and shipped
without auth); so the token is checked in a server interceptor, before any handler -- including health and
reflection -- runs, and an agent with neither token nor TLS only listens on 127.0.0.1.
"""

from __future__ import annotations

import hmac
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import grpc

log = logging.getLogger(__name__)

METADATA_KEY = "authorization"


def read_token_file(path: str | Path) -> str:
    """The token in `path` (surrounding whitespace removed). Warns when other users can read the file:
    a candidate's compiler could then `#include` it and leak it through its diagnostics."""
    p = Path(path)
    token = p.read_text(encoding="utf-8").strip()
    if not token:
        raise ValueError(f"token file {p} is empty")
    if p.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH):
        log.warning("token file %s is readable by other users; chmod 600 it", p)
    return token


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of a TLS endpoint. With `ca`, the peer must present a certificate signed by it (mTLS)."""

    cert: Path
    key: Path
    ca: Path | None = None

    def server_credentials(self) -> grpc.ServerCredentials:
        ca = self.ca.read_bytes() if self.ca else None
        return grpc.ssl_server_credentials([(self.key.read_bytes(), self.cert.read_bytes())],
                                           root_certificates=ca, require_client_auth=ca is not None)


class _Deny:
    """Handlers of every RPC shape that fail with UNAUTHENTICATED."""

    def __init__(self, message: str) -> None:
        self.message = message

    def unary(self, request, context: grpc.ServicerContext):
        context.abort(grpc.StatusCode.UNAUTHENTICATED, self.message)

    def stream(self, request_or_iterator, context: grpc.ServicerContext):
        context.abort(grpc.StatusCode.UNAUTHENTICATED, self.message)
        yield  # pragma: no cover - makes this a generator for streaming responses

    def handler_like(self, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        kw = {"request_deserializer": handler.request_deserializer,
              "response_serializer": handler.response_serializer}
        if handler.request_streaming and handler.response_streaming:
            return grpc.stream_stream_rpc_method_handler(self.stream, **kw)
        if handler.request_streaming:
            return grpc.stream_unary_rpc_method_handler(self.unary, **kw)
        if handler.response_streaming:
            return grpc.unary_stream_rpc_method_handler(self.stream, **kw)
        return grpc.unary_unary_rpc_method_handler(self.unary, **kw)


class TokenInterceptor(grpc.ServerInterceptor):
    """Rejects every call whose `authorization` metadata is not `Bearer <token>` (constant-time compare)."""

    def __init__(self, token: str, on_reject=None) -> None:
        self._expected = f"Bearer {token}".encode()
        self._on_reject = on_reject

    def intercept_service(self, continuation, handler_call_details: grpc.HandlerCallDetails):
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        got = b""
        for key, value in handler_call_details.invocation_metadata or ():
            if key == METADATA_KEY:
                got = value.encode() if isinstance(value, str) else value
                break
        if hmac.compare_digest(got, self._expected):
            return handler
        if self._on_reject is not None:
            self._on_reject()
        reason = "missing" if not got else "invalid"
        return _Deny(f"{reason} bearer token: call with metadata 'authorization: Bearer <token>'").handler_like(handler)


def random_secret() -> bytes:
    """Per-agent secret for evaluation seeds; lives in agent memory only."""
    return os.urandom(32)
