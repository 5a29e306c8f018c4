"""The kernel process's result message, parsed as untrusted input.

The runtime writes exactly one JSON object to the result pipe, but the pipe is in the candidate's process: a
kernel can write its own message first, a second one after the runtime's, or bytes that are not JSON at all. Every
field is checked against the schema the runtime writes (runtime/record.cpp emit_result, runtime/checker.cpp fault,
runtime/process.cpp crash and watchdog reports); anything else is a `Malformed` with a one-line reason, which the
runner reports as the candidate's SANDBOX_VIOLATION. Nothing here raises on any input.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

STATUSES = ("OK", "HARDWARE_EXCEPTION", "RUNTIME_ERROR", "TIMEOUT", "SANDBOX_VIOLATION", "INTERNAL", "REJECTED")
MAX_BYTES = 1 << 20          # the runtime's largest message is a few KiB (20 warnings of <= 1 KiB)
MAX_TEXT = 16 * 1024         # one message or warning
MAX_INT = (1 << 63) - 1
MAX_KEYS = 256               # data paths / buffers in the stats
MAX_WARNINGS = 64


class MalformedError(ValueError):
    """The message breaks the schema; the text says where."""


@dataclass
class Message:
    status: str
    message: str = ""
    stats: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0
    exception: dict[str, Any] | None = None


@dataclass
class Malformed:
    reason: str


def _int(v: Any, where: str, lo: int = 0, hi: int = MAX_INT) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise MalformedError(f"{where} is not an integer in [{lo}, {hi}]")
    return v


def _num(v: Any, where: str, hi: float = 1e15) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise MalformedError(f"{where} is not a number")
    f = float(v)
    if not math.isfinite(f) or not 0.0 <= f <= hi:
        raise MalformedError(f"{where} is not a finite number in [0, {hi:g}]")
    return f


def _str(v: Any, where: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(v, str) or len(v) > limit:
        raise MalformedError(f"{where} is not a string of at most {limit} characters")
    return v


def _dict(v: Any, where: str) -> dict:
    if not isinstance(v, dict) or len(v) > MAX_KEYS:
        raise MalformedError(f"{where} is not an object of at most {MAX_KEYS} keys")
    return v


def _stats(v: Any) -> dict[str, Any]:
    d = _dict(v, "stats")
    out: dict[str, Any] = {}
    known = {"block_dim", "core_type", "api_calls", "bytes_moved", "buffer_peaks", "kernel_us", "record_entries",
             "record_truncated", "timing_only", "data_dependent", "data_reads"}
    extra = set(d) - known
    if extra:
        raise MalformedError(f"stats has unknown key {sorted(extra)[0]!r}")
    if "block_dim" in d:
        out["block_dim"] = _int(d["block_dim"], "stats.block_dim", 0, (1 << 32) - 1)
    if "core_type" in d:
        if d["core_type"] not in ("AIV", "AIC"):
            raise MalformedError("stats.core_type is not AIV or AIC")
        out["core_type"] = d["core_type"]
    for k in ("api_calls", "record_entries"):
        if k in d:
            out[k] = _int(d[k], f"stats.{k}")
    if "kernel_us" in d:
        out["kernel_us"] = _num(d["kernel_us"], "stats.kernel_us")
    if "data_reads" in d:
        out["data_reads"] = _int(d["data_reads"], "stats.data_reads")
    if "data_dependent" in d:
        out["data_dependent"] = _str(d["data_dependent"], "stats.data_dependent", 1024)
    if "timing_only" in d:
        if not isinstance(d["timing_only"], bool):
            raise MalformedError("stats.timing_only is not a boolean")
        out["timing_only"] = d["timing_only"]
    if "record_truncated" in d:
        if not isinstance(d["record_truncated"], bool):
            raise MalformedError("stats.record_truncated is not a boolean")
        out["record_truncated"] = d["record_truncated"]
    if "bytes_moved" in d:
        out["bytes_moved"] = {_str(k, "stats.bytes_moved key", 64): _int(n, f"stats.bytes_moved[{k!r:.40}]")
                              for k, n in _dict(d["bytes_moved"], "stats.bytes_moved").items()}
    if "buffer_peaks" in d:
        peaks = {}
        for k, pc in _dict(d["buffer_peaks"], "stats.buffer_peaks").items():
            key = _str(k, "stats.buffer_peaks key", 64)
            if not isinstance(pc, list) or len(pc) != 2:
                raise MalformedError(f"stats.buffer_peaks[{key!r:.40}] is not [peak, capacity]")
            peaks[key] = [_int(pc[0], f"stats.buffer_peaks[{key!r:.40}] peak"),
                          _int(pc[1], f"stats.buffer_peaks[{key!r:.40}] capacity")]
        out["buffer_peaks"] = peaks
    return out


def _exception(v: Any) -> dict[str, Any]:
    d = _dict(v, "exception")
    out: dict[str, Any] = {}
    for k in ("code", "error_code", "kind", "message", "api", "core_type"):
        if k in d:
            out[k] = _str(d[k], f"exception.{k}")
    for k in ("block_id", "source_line"):
        if k in d:
            out[k] = _int(d[k], f"exception.{k}", -MAX_INT, MAX_INT)
    return out


def parse(raw: bytes) -> Message | Malformed | None:
    """The one message on the pipe; None when the pipe is empty (the process wrote nothing)."""
    try:
        return _parse(raw)
    except MalformedError as e:
        return Malformed(str(e))
    except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as e:  # belt and braces
        return Malformed(f"undecodable ({type(e).__name__})")


def _parse(raw: bytes) -> Message | None:
    if not raw:
        return None
    if len(raw) > MAX_BYTES:
        raise MalformedError(f"{len(raw)} bytes, more than the {MAX_BYTES} any result message takes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedError("not UTF-8") from None
    dec = json.JSONDecoder(parse_constant=_no_constant)
    try:
        value, end = dec.raw_decode(text.lstrip())
    except RecursionError:
        raise MalformedError("nested too deeply") from None
    except ValueError as e:
        raise MalformedError(f"not JSON ({str(e)[:80]})") from None
    if text.lstrip()[end:].strip():
        raise MalformedError("more than one message (the runtime writes exactly one)")
    if not isinstance(value, dict):
        raise MalformedError("not a JSON object")
    known = {"status", "message", "stats", "warnings", "warning_count", "exception", "crash", "hang", "raw_gm",
             "assert"}
    extra = set(value) - known
    if extra:
        raise MalformedError(f"unknown key {sorted(extra)[0]!r:.60}")
    status = value.get("status")
    if status not in STATUSES:
        raise MalformedError(f"unknown status {str(status)[:40]!r}")
    msg = Message(status=status, message=_str(value.get("message", ""), "message"))
    if "stats" in value:
        msg.stats = _stats(value["stats"])
    if "warnings" in value:
        w = value["warnings"]
        if not isinstance(w, list) or len(w) > MAX_WARNINGS:
            raise MalformedError(f"warnings is not a list of at most {MAX_WARNINGS}")
        msg.warnings = [_str(x, "a warning") for x in w]
    if "warning_count" in value:
        msg.warning_count = _int(value["warning_count"], "warning_count")
    if value.get("exception") is not None:
        msg.exception = _exception(value["exception"])
    for k in ("crash", "hang", "raw_gm", "assert"):
        if k in value:
            for kk, vv in _dict(value[k], k).items():
                _int(vv, f"{k}.{str(kk)[:20]}", -MAX_INT, (1 << 64) - 1)  # informational; C++ may print unsigned
    return msg


def _no_constant(name: str) -> Any:
    raise MalformedError(f"{name} is not a JSON number")
