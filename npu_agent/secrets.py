"""The agent's secrets and the scrub that keeps them out of everything a candidate's owner gets back.

A candidate controls its compiler's and its process's output (an `#include` of a token file echoes the file
in a diagnostic; a kernel can print what it read), and that output travels back in `Result.log_tail`,
messages, diagnostics and hardware exceptions, into the controller's SQLite store. The sandbox keeps secret
files out of reach; this is the second layer: every value registered here (auth tokens, the per-agent input
secret, TLS private key material) is replaced by "[redacted]" in every string the agent returns, also in its
hex and base64 spellings. A candidate that transforms a secret in other ways (reversed, XORed) is not caught
here: the first layer is what keeps it from reading the secret at all (docs/security.md).
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import threading
from collections.abc import Iterable

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

REDACTED = "[redacted]"
MIN_LEN = 8  # shorter values would redact ordinary text; tokens and keys are far longer

_lock = threading.Lock()
_values: set[str] = set()
_pattern: re.Pattern[str] | None = None
_bytes_pattern: re.Pattern[bytes] | None = None  # the same over serialized bytes (scrub_message pre-check)


def spellings(value: str | bytes) -> set[str]:
    """The value as text, and its bytes in hex (both cases) and base64 (standard and URL-safe, unpadded)."""
    raw = value.encode() if isinstance(value, str) else bytes(value)
    out = {raw.hex(), raw.hex().upper(), base64.b64encode(raw).decode().rstrip("="),
           base64.urlsafe_b64encode(raw).decode().rstrip("=")}
    if isinstance(value, str):
        out.add(value)
    else:
        with contextlib.suppress(UnicodeDecodeError):
            out.add(raw.decode("utf-8"))
    return {s for s in out if len(s) >= MIN_LEN}


def register(value: str | bytes | None) -> None:
    """Remember a secret value (idempotent). Empty or short values are ignored."""
    if not value:
        return
    new = spellings(value)
    if isinstance(value, str | bytes) and b"-----BEGIN" in (value.encode() if isinstance(value, str) else value):
        new |= _pem_lines(value)
    global _pattern, _bytes_pattern
    with _lock:
        if new <= _values:
            return
        _values.update(new)
        ordered = sorted(_values, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(v) for v in ordered))
        _bytes_pattern = re.compile(b"|".join(re.escape(v.encode()) for v in ordered))


def register_pem(pem: str | bytes) -> None:
    """A PEM private key: the whole text and every base64 line of its body (a diagnostic may show one line)."""
    register(pem)


def _pem_lines(pem: str | bytes) -> set[str]:
    text = pem.decode("ascii", "replace") if isinstance(pem, bytes) else pem
    return {line.strip() for line in text.splitlines()
            if line.strip() and not line.startswith("-----") and len(line.strip()) >= 16}


_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSW|CREDENTIAL|API_?KEY|ACCESS_KEY|PRIVATE_KEY|AUTH", re.IGNORECASE)


def register_environment(environ: dict[str, str] | None = None) -> list[str]:
    """Register the values of environment variables whose names say they are secret (`OPENAI_API_KEY`,
    `AWS_SECRET_ACCESS_KEY`, `*_TOKEN`, ...): the agent's environment is not the candidate's, but a value that
    reaches a diagnostic must not go back. Returns the names registered."""
    env = os.environ if environ is None else environ
    names = [k for k, v in env.items() if _SECRET_NAME.search(k) and _looks_secret(v)]
    for k in names:
        register(env[k])
    return names


def _looks_secret(value: str) -> bool:
    """Settings that merely have a secret-sounding name (`RAY_AUTH_MODE=disabled`, a path) are not redacted:
    a word or a path would turn ordinary text into "[redacted]"."""
    v = value.strip()
    return len(v) >= 12 and not v.isalpha() and not v.startswith(("/", "~", ".")) and " " not in v


def registered() -> int:
    with _lock:
        return len(_values)


def scrub(text: str) -> str:
    """`text` with every registered secret (in any registered spelling) replaced by REDACTED."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(REDACTED, text)


def scrub_message(msg: Message) -> Message:
    """Scrub every string (and bytes) field of a protobuf message in place, recursively; returns it.

    A string field holding a secret holds its UTF-8 bytes in the serialized message, so one search over those
    bytes rules most messages out at once (about 10x cheaper than walking the fields, per evaluation)."""
    pattern = _bytes_pattern
    if pattern is None or pattern.search(msg.SerializeToString()) is None:
        return msg
    return _scrub_fields(msg)


def scrub_serialized(msg: Message) -> bytes:
    """`msg` serialized with every registered secret scrubbed, leaving `msg` itself as it is: one serialization
    and one search when no secret is in it (the usual case), a scrubbed copy otherwise."""
    data = msg.SerializeToString()
    pattern = _bytes_pattern
    if pattern is None or pattern.search(data) is None:
        return data
    clean = type(msg)()
    clean.CopyFrom(msg)
    return _scrub_fields(clean).SerializeToString()


def _scrub_fields(msg: Message) -> Message:
    for field, value in msg.ListFields():
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type.GetOptions().map_entry:
                _scrub_map(msg, field, value)
            elif _is_repeated(field):
                for item in value:
                    _scrub_fields(item)
            else:
                _scrub_fields(value)
        elif field.type == FieldDescriptor.TYPE_STRING:
            if _is_repeated(field):
                value[:] = [scrub(v) for v in value]
            else:
                setattr(msg, field.name, scrub(value))
        elif field.type == FieldDescriptor.TYPE_BYTES:
            if _is_repeated(field):
                value[:] = [_scrub_bytes(v) for v in value]
            else:
                setattr(msg, field.name, _scrub_bytes(value))
    return msg


def _is_repeated(field: FieldDescriptor) -> bool:
    repeated = getattr(field, "is_repeated", None)  # protobuf >= 6; older ones only have `label`
    if repeated is None:
        repeated = field.label == FieldDescriptor.LABEL_REPEATED
    return bool(repeated)


def _scrub_map(msg: Message, field: FieldDescriptor, value) -> None:
    vfield = field.message_type.fields_by_name["value"]
    for k in list(value):
        if vfield.type == FieldDescriptor.TYPE_STRING:
            value[k] = scrub(value[k])
        elif vfield.type == FieldDescriptor.TYPE_MESSAGE:
            _scrub_fields(value[k])


def _scrub_bytes(data: bytes) -> bytes:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    cleaned = scrub(text)
    return data if cleaned == text else cleaned.encode()


def contains_secret(texts: Iterable[str]) -> bool:
    """Whether any of `texts` still holds a registered secret (tests, the controller's store guard)."""
    pattern = _pattern
    return pattern is not None and any(pattern.search(t or "") for t in texts)


def clear() -> None:
    """Forget every value (tests only: an agent keeps its secrets for its life)."""
    global _pattern, _bytes_pattern
    with _lock:
        _values.clear()
        _pattern = _bytes_pattern = None
