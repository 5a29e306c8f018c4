"""The result message and the record as untrusted input: forged payloads and tampered records get a clear
verdict, never a traceback (npu_agent/simnpu/resultmsg.py, record.py, runner.check_record)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from npu_agent.simnpu import record, resultmsg
from npu_agent.simnpu.runner import check_record

GOOD = {"status": "OK", "message": "ran 1 block(s) on AIV cores",
        "stats": {"block_dim": 1, "core_type": "AIV", "api_calls": 9, "bytes_moved": {"GM->UB": 1024},
                  "buffer_peaks": {"UB": [1024, 196608]}, "kernel_us": 12.5, "record_entries": 8,
                  "record_truncated": False},
        "warnings": [], "warning_count": 0}


def _with(path: str, value) -> bytes:
    d = json.loads(json.dumps(GOOD))
    keys = path.split(".")
    cur = d
    for k in keys[:-1]:
        cur = cur[k]
    cur[keys[-1]] = value
    return json.dumps(d).encode()


FORGED: list[bytes] = [
    b"{", b"}", b"[]", b"null", b"42", b'"OK"', b"\xff\xfe", b"{\"status\":\"OK\"}{\"status\":\"OK\"}",
    json.dumps(GOOD).encode() * 2, json.dumps(GOOD).encode() + b"\ngarbage", b"[" * 100000 + b"]" * 100000,
    b'{"status": "OK", "stats": {"kernel_us": NaN}}', b'{"status": "OK", "stats": {"kernel_us": Infinity}}',
    b'{"status": "OK", "stats": {"kernel_us": -Infinity}}', b"x" * (2 << 20),
    _with("status", "FAST"), _with("status", None), _with("status", 1), _with("status", ["OK"]),
    _with("status", {"a": 1}), _with("message", 5), _with("message", ["m"]), _with("message", "m" * 100000),
    _with("stats", []), _with("stats", "fast"), _with("stats", 1), _with("stats.block_dim", -1),
    _with("stats.block_dim", 1 << 40), _with("stats.block_dim", 1.5), _with("stats.block_dim", True),
    _with("stats.block_dim", "8"), _with("stats.core_type", "GPU"), _with("stats.core_type", 1),
    _with("stats.api_calls", 10 ** 30), _with("stats.api_calls", -5), _with("stats.bytes_moved", [1]),
    _with("stats.bytes_moved", {"GM->UB": -1}), _with("stats.bytes_moved", {"GM->UB": "1"}),
    _with("stats.bytes_moved", {"GM->UB": 1e300}), _with("stats.bytes_moved", {str(i): 1 for i in range(1000)}),
    _with("stats.bytes_moved", {"k" * 1000: 1}), _with("stats.buffer_peaks", {"UB": 5}),
    _with("stats.buffer_peaks", {"UB": [1]}), _with("stats.buffer_peaks", {"UB": [1, 2, 3]}),
    _with("stats.buffer_peaks", {"UB": ["a", 2]}), _with("stats.buffer_peaks", [[1, 2]]),
    _with("stats.kernel_us", -1.0), _with("stats.kernel_us", 1e300), _with("stats.kernel_us", "0"),
    _with("stats.kernel_us", None), _with("stats.record_entries", 1.0), _with("stats.record_truncated", 1),
    _with("stats.extra", 1), _with("warnings", 5), _with("warnings", "w"), _with("warnings", [1]),
    _with("warnings", ["w"] * 1000), _with("warnings", [{"w": 1}]), _with("warning_count", -1),
    _with("warning_count", "3"), _with("exception", 5), _with("exception", {"block_id": "0"}),
    _with("exception", {"kind": ["X"]}), _with("exception", {"source_line": 1.5}), _with("crash", [1]),
    _with("crash", {"signal": "11"}), _with("hang", {"block_id": {"deep": 1}}), _with("surprise", 1),
    _with("stats.nested", {"a": {"b": {"c": [1, 2, {"d": None}]}}}),
]


def test_there_are_enough_forged_payloads() -> None:
    assert len(FORGED) >= 50


@pytest.mark.parametrize("raw", FORGED, ids=[f"p{i}" for i in range(len(FORGED))])
def test_forged_payload_is_malformed_with_a_reason(raw: bytes) -> None:
    got = resultmsg.parse(raw)
    assert isinstance(got, resultmsg.Malformed), got
    assert got.reason and "\n" not in got.reason and len(got.reason) < 300


@pytest.mark.parametrize("raw", [json.dumps(GOOD).encode(), json.dumps(GOOD).encode() + b"\n",
                                 b'{"status":"TIMEOUT","message":"m","hang":{"block_id":0,"last_line":3}}\n',
                                 b'{"status":"RUNTIME_ERROR","message":"m","crash":{"signal":11,"block_id":-1,'
                                 b'"last_line":0}}\n',
                                 b'{"status":"SANDBOX_VIOLATION","message":"raw","raw_gm":{"block_id":0,'
                                 b'"last_line":9}}\n',
                                 _with("exception", {"code": "507035", "kind": "GM_OUT_OF_BOUNDS", "block_id": 3,
                                                     "source_line": 14, "api": "DataCopy", "core_type": "AIV",
                                                     "error_code": "0x95", "message": "m"})])
def test_the_runtimes_own_messages_parse(raw: bytes) -> None:
    got = resultmsg.parse(raw)
    assert isinstance(got, resultmsg.Message), got
    assert got.status in resultmsg.STATUSES


def test_empty_pipe_is_no_message() -> None:
    assert resultmsg.parse(b"") is None


# ------------------------------------------------------------------------------------------------ record
def _record(path: Path, entries: np.ndarray, block_dim: int = 1) -> bytes:
    body = entries.tobytes()
    h = np.zeros(1, record.HEADER_DTYPE)
    h["magic"], h["version"], h["entry_size"], h["block_dim"], h["entries"] = (
        record.MAGIC, record.VERSION, 64, block_dim, entries.size)
    t = np.zeros(1, record.TRAILER_DTYPE)
    t["magic"], t["entries"], t["checksum"], t["block_dim"] = (record.TRAILER_MAGIC, entries.size,
                                                                record.checksum(body), block_dim)
    data = h.tobytes() + body + t.tobytes()
    path.write_bytes(data)
    return data


def _entries(n: int, block: int = 0) -> np.ndarray:
    e = np.zeros(n, record.ENTRY_DTYPE)
    e["block"], e["line"], e["bytes"] = block, np.arange(n), 64
    return e


def test_a_consistent_record_passes(tmp_path: Path) -> None:
    _record(tmp_path / "r.bin", _entries(5))
    rec, why = check_record(tmp_path / "r.bin", {"block_dim": 1, "record_entries": 5}, True)
    assert rec is not None and len(rec) == 5, why


@pytest.mark.parametrize("tamper, words", [
    (lambda d: d[:-1], "the file has"),
    (lambda d: d[:32], "the file has"),
    (lambda d: b"", "shorter than the record header"),
    (lambda d: d[:40] + bytes([d[40] ^ 1]) + d[41:], "checksum"),
    (lambda d: d[:-32] + b"HAWKEND3" + d[-24:], "trailer"),
    (lambda d: b"HAWKREC0" + d[8:], "bad magic"),
    (lambda d: d + b"\0" * 64, "the file has"),
])
def test_a_tampered_record_is_a_violation(tmp_path: Path, tamper, words: str) -> None:
    data = _record(tmp_path / "r.bin", _entries(5))
    (tmp_path / "r.bin").write_bytes(tamper(data))
    rec, why = check_record(tmp_path / "r.bin", {"block_dim": 1, "record_entries": 5}, True)
    assert rec is None and why.startswith("the kernel process tampered with its profile record") and words in why, why


@pytest.mark.parametrize("entries, stats, words", [
    (0, {"block_dim": 1}, "no entries though outputs were written"),
    (5, {"block_dim": 1, "record_entries": 6}, "the runtime counted 6"),
    (5, {"block_dim": 2, "record_entries": 5}, "block dim 1 is not the launch's 2"),
])
def test_an_inconsistent_record_is_a_violation(tmp_path: Path, entries: int, stats: dict, words: str) -> None:
    _record(tmp_path / "r.bin", _entries(entries))
    rec, why = check_record(tmp_path / "r.bin", stats, True)
    assert rec is None and words in why, why


def test_block_ids_outside_the_launch_are_a_violation(tmp_path: Path) -> None:
    _record(tmp_path / "r.bin", _entries(3, block=7), block_dim=2)
    rec, why = check_record(tmp_path / "r.bin", {"block_dim": 2}, True)
    assert rec is None and "block id 7 is outside the launch of 2 block(s)" in why


def test_a_missing_record_is_a_violation(tmp_path: Path) -> None:
    rec, why = check_record(tmp_path / "none.bin", {}, True)
    assert rec is None and "the record is missing" in why
