"""Malformed bytes on the wire are the caller's error: INVALID_ARGUMENT naming the method, not INTERNAL.

gRPC Python answers a request its deserializer cannot parse with INTERNAL ("Exception deserializing
request!"), which reads as an agent fault (and the controller retries and quarantines on INTERNAL). This
interceptor wraps each handler's deserializer so a parse failure becomes a marker the handler turns into
INVALID_ARGUMENT; the token interceptor runs first, so unauthenticated garbage is UNAUTHENTICATED.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import grpc


class _Malformed:
    def __init__(self, error: Exception) -> None:
        self.error = error


def _safe(deserialize: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserialize is None:
        return None

    def parse(data: bytes) -> Any:
        try:
            return deserialize(data)
        except Exception as e:  # DecodeError, RecursionError on deep nesting, ...
            return _Malformed(e)

    return parse


def _refuse(context: grpc.ServicerContext, method: str, bad: _Malformed) -> None:
    detail = " ".join(str(bad.error).split())[:200] or type(bad.error).__name__
    context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"malformed {method} request: {detail}")


def _checked_iter(requests: Iterator[Any], context: grpc.ServicerContext, method: str) -> Iterator[Any]:
    for r in requests:
        if isinstance(r, _Malformed):
            _refuse(context, method, r)
        yield r


def guard(handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
    """`handler` with a deserializer that never raises and a behaviour that refuses malformed requests."""
    kw = {"request_deserializer": _safe(handler.request_deserializer),
          "response_serializer": handler.response_serializer}
    if handler.unary_unary:
        inner = handler.unary_unary

        def uu(request, context):
            if isinstance(request, _Malformed):
                _refuse(context, method, request)
            return inner(request, context)

        return grpc.unary_unary_rpc_method_handler(uu, **kw)
    if handler.unary_stream:
        inner_us = handler.unary_stream

        def us(request, context):
            if isinstance(request, _Malformed):
                _refuse(context, method, request)
            yield from inner_us(request, context)

        return grpc.unary_stream_rpc_method_handler(us, **kw)
    if handler.stream_unary:
        inner_su = handler.stream_unary
        return grpc.stream_unary_rpc_method_handler(
            lambda it, context: inner_su(_checked_iter(it, context, method), context), **kw)
    inner_ss = handler.stream_stream

    def ss(it, context):
        yield from inner_ss(_checked_iter(it, context, method), context)

    return grpc.stream_stream_rpc_method_handler(ss, **kw)


class MalformedRequestInterceptor(grpc.ServerInterceptor):
    def intercept_service(self, continuation, handler_call_details: grpc.HandlerCallDetails):
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        return guard(handler, handler_call_details.method.rsplit("/", 1)[-1])
