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

from npu_agent import secrets

log = logging.getLogger(__name__)

METADATA_KEY = "authorization"


def check_private_file(path: str | Path, what: str) -> os.stat_result:
    """Refuse a secret file that others could read (a candidate's compiler could `#include` it) or that
    another user owns (and could rewrite): one line naming the file, its mode and the fix."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise ValueError(f"{what} {p} does not exist") from None
    except OSError as e:
        raise ValueError(f"cannot read {what} {p}: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"{what} {p} is not a regular file")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        raise ValueError(f"{what} {p} has mode {mode:04o}: group and others must have no access; "
                         f"run: chmod 600 {p}")
    if st.st_uid != os.geteuid():
        raise ValueError(f"{what} {p} is owned by uid {st.st_uid}, not by the user running hawk (uid "
                         f"{os.geteuid()}); run: chown {os.geteuid()} {p}")
    return st


def read_token_file(path: str | Path) -> str:
    """The token in `path` (surrounding whitespace removed). The file must be 0600 (or stricter) and ours:
    a token that other users can read is one that a candidate's compiler can leak, so it is refused."""
    p = Path(path)
    check_private_file(p, "token file")
    try:
        token = p.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ValueError(f"cannot read token file {p}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise ValueError(f"token file {p} is not UTF-8 text") from None
    if not token:
        raise ValueError(f"token file {p} is empty")
    if any(c.isspace() or not c.isprintable() for c in token):
        raise ValueError(f"token file {p} must hold one token without spaces or control characters")
    secrets.register(token)
    return token


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of a TLS endpoint. With `ca`, the peer must present a certificate signed by it (mTLS)."""

    cert: Path
    key: Path
    ca: Path | None = None

    def validate(self, allow_expired: bool = False) -> list[str]:
        """Check the PEM files before any port is bound; returns warnings (a certificate close to expiry).
        Raises ValueError with one line naming the file for anything unusable."""
        check_pem_files(self.cert, self.key, self.ca)
        return check_validity(self.cert, allow_expired=allow_expired)

    def server_credentials(self) -> grpc.ServerCredentials:
        ca = self.ca.read_bytes() if self.ca else None
        key = self.key.read_bytes()
        secrets.register_pem(key)
        return grpc.ssl_server_credentials([(key, self.cert.read_bytes())],
                                           root_certificates=ca, require_client_auth=ca is not None)


def _read_pem(path: Path, what: str, marker: bytes) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"{what} {path} does not exist") from None
    except OSError as e:
        raise ValueError(f"cannot read {what} {path}: {e.strerror}") from None
    if b"-----BEGIN " + marker not in data:
        kind = "certificate" if marker == b"CERTIFICATE" else "private key"
        raise ValueError(f"not a PEM {kind}: {path} (expected a '-----BEGIN {marker.decode()}' block)")
    return data


def check_pem_files(cert: Path, key: Path, ca: Path | None = None) -> None:
    """Garbage, an encrypted or group-readable key, a key that does not match its certificate, a CA that
    is not a certificate: each refused with one line naming the file (gRPC itself only says 'Failed to bind')."""
    import ssl

    cert, key = Path(cert), Path(key)
    _read_pem(cert, "TLS certificate", b"CERTIFICATE")
    check_private_file(key, "TLS private key")
    key_data = _read_pem(key, "TLS private key", b"")
    if b"PRIVATE KEY-----" not in key_data:
        raise ValueError(f"not a PEM private key: {key} (expected a '-----BEGIN ... PRIVATE KEY' block)")
    if b"ENCRYPTED" in key_data:
        raise ValueError(f"TLS private key {key} is encrypted; gRPC needs an unencrypted key (0600)")
    secrets.register_pem(key_data)
    try:
        _decode_cert(cert)
    except ValueError:
        raise ValueError(f"not a PEM certificate: {cert} (it does not parse)") from None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        ctx.load_cert_chain(str(cert), str(key), password=lambda: b"")
    except ssl.SSLError as e:
        if "KEY_VALUES_MISMATCH" in str(e) or "key values mismatch" in str(e):
            raise ValueError(f"TLS private key {key} does not match the certificate {cert}") from None
        raise ValueError(f"TLS certificate {cert} and key {key} are not usable: {e.reason or e}") from None
    if ca is not None:
        check_ca_file(Path(ca))


def check_ca_file(ca: Path) -> None:
    """A CA bundle that is PEM and parses."""
    import ssl

    _read_pem(ca, "TLS CA", b"CERTIFICATE")
    try:
        ssl.create_default_context(cafile=str(ca))
    except ssl.SSLError:
        raise ValueError(f"not a PEM certificate: {ca} (the CA does not parse)") from None


def _decode_cert(path: Path) -> dict:
    """notBefore/notAfter of a PEM certificate, with the standard library only (no cryptography at run time)."""
    import ssl

    decode = getattr(getattr(ssl, "_ssl", None), "_test_decode_cert", None)
    if decode is None:  # pragma: no cover - every CPython has it; degrade to no date check
        return {}
    try:
        return decode(str(path))
    except (ssl.SSLError, OSError) as e:
        raise ValueError(str(e)) from None


EXPIRY_WARNING_DAYS = 14


def check_validity(cert: Path, allow_expired: bool = False, now: float | None = None) -> list[str]:
    """Refuse an expired or not-yet-valid certificate (unless `allow_expired`), naming the date; warn when it
    expires within EXPIRY_WARNING_DAYS. Returns the warnings."""
    import ssl
    import time

    info = _decode_cert(Path(cert))
    if not info.get("notAfter"):
        return [f"cannot read the validity dates of {cert}; not checked"] if not info else []
    now = time.time() if now is None else now
    not_after = ssl.cert_time_to_seconds(info["notAfter"])
    not_before = ssl.cert_time_to_seconds(info["notBefore"]) if info.get("notBefore") else 0
    warnings = []
    if now > not_after:
        msg = f"TLS certificate {cert} expired on {info['notAfter']}"
        if not allow_expired:
            raise ValueError(msg + " (renew it, or pass --allow-expired-cert to serve it anyway)")
        warnings.append(msg + "; served anyway (--allow-expired-cert)")
    elif now < not_before:
        msg = f"TLS certificate {cert} is not valid before {info['notBefore']}"
        if not allow_expired:
            raise ValueError(msg + " (check the clock, or pass --allow-expired-cert)")
        warnings.append(msg + "; served anyway (--allow-expired-cert)")
    elif not_after - now < EXPIRY_WARNING_DAYS * 86400:
        warnings.append(f"TLS certificate {cert} expires on {info['notAfter']}")
    return warnings


def _unparsed(data: bytes) -> bytes:
    return data


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
        # The request is never parsed: an unauthenticated caller's bytes (garbage included) get UNAUTHENTICATED.
        kw = {"request_deserializer": _unparsed, "response_serializer": handler.response_serializer}
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
    """Per-agent secret for evaluation seeds; lives in agent memory only (and is scrubbed from Results)."""
    value = os.urandom(32)
    secrets.register(value)
    return value
