"""`hawk twin-vs-device` without a device: the same kernels through two real agents (simnpu vs null, simnpu vs
simnpu on another hardware profile), their verdicts and profiles compared; a backend that cannot start is one
clear line before anything runs."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from controller.cli import main
from npu_agent.twin_vs_device import (
    BackendUnavailable,
    Kernel,
    Side,
    compare,
    format_text,
    run_kernels,
    summarize,
)
from tasks.catalogue import get_task
from tasks.device_cli import EXCEPTION_KERNELS_DIR, _fault_task

ADD = get_task("add_fp16_small")


def _summary(status="OK", time_us=10.0, kind="PIPE_BOUND", pipe="MTE2", ratios=None, exc=None) -> dict:
    s = {"status": status, "message": ""}
    if exc:
        s["exception"] = exc
    else:
        s["profile"] = {"time_us": time_us, "bottleneck": {"kind": kind, "pipe": pipe, "ratio": 0.9},
                        "ratios": ratios or {"aiv.mte2": 0.9, "aiv.vector": 0.2}}
    return s


def test_compare_reports_only_what_differs_beyond_the_tolerances() -> None:
    assert compare(_summary(), _summary(time_us=10.9, ratios={"aiv.mte2": 0.86, "aiv.vector": 0.24})) == []
    d = compare(_summary(), _summary(time_us=12.0, pipe="VECTOR", ratios={"aiv.mte2": 0.5, "aiv.vector": 0.2}))
    assert [x.what for x in d] == ["profile.time_us", "profile.bottleneck.pipe", "profile.aiv.mte2_ratio"]
    assert d[0].note == "b/a 1.20x"
    exc = {"kind": "UB_OUT_OF_BOUNDS", "code": "507035", "core_type": "AIV", "line": 14}
    d = compare(_summary("HARDWARE_EXCEPTION", exc=exc), _summary("HARDWARE_EXCEPTION", exc={**exc, "line": 15}))
    assert [(x.what, x.a, x.b) for x in d] == [("exception.line", "14", "15")]


def test_simnpu_vs_simnpu_on_another_hardware_profile(tmp_path: Path, twin_root: Path) -> None:
    a, b = Side("simnpu", "ascend910b2"), Side("simnpu", "ascend910b3")
    spec = type(ADD.spec)()
    spec.CopyFrom(ADD.spec)
    spec.verify_sets = 1  # one input set per side is enough to compare verdicts
    kernels = [Kernel("add/baseline", spec, ADD.baseline.read_text()),
               Kernel("ub_access.cpp", _fault_task(), (EXCEPTION_KERNELS_DIR / "ub_access.cpp").read_text())]
    reports = run_kernels(kernels, a, b, timeout_s=120, work_root=tmp_path / "agents", twin_root=twin_root)
    add, fault = reports
    # The same verdicts: the kernel is correct on both, the fault is the same class on the same line.
    assert add.a["status"] == add.b["status"] == "OK"
    assert fault.a["exception"] == fault.b["exception"] and fault.a["exception"]["kind"] == "UB_OUT_OF_BOUNDS"
    assert not [d for d in fault.differences + add.differences if not d.what.startswith("profile.")]
    # Both profiles are the twin's; 910B3 has fewer cores and another clock, which the profiles show.
    pa, pb = add.a["profile"], add.b["profile"]
    assert pa["model"] == pb["model"] and pa["clock_mhz"] > 0 and pb["clock_mhz"] > 0
    assert add.differences == compare(add.a, add.b)
    assert "add/baseline [add_fp16_small]" in format_text(reports, a, b)


def test_cli_simnpu_vs_null_json(capsys: pytest.CaptureFixture[str], tmp_path: Path, twin_root: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAWK_SIM_WORK_ROOT", str(twin_root))  # the session's twin build, as `hawk sim` would use it
    code = main(["twin-vs-device", "--b", "null", "--tasks", "add_fp16_small", "--exceptions", "ub_access",
                 "--small", "--timeout", "120", "--work-dir", str(tmp_path / "agents"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1  # differences found: the null backend verifies and faults nothing
    assert (out["a"]["backend"], out["b"]["backend"]) == ("simnpu", "null")
    by = {k["kernel"]: k for k in out["kernels"]}
    add, fault = by["add_fp16_small/baseline"], by["ub_access.cpp"]
    assert add["a"]["status"] == add["b"]["status"] == "OK" and add["b"]["profile"]["model"] == "null"
    assert any(d["what"] == "profile.time_us" for d in add["differences"])
    assert fault["a"]["status"] == "HARDWARE_EXCEPTION" and fault["b"]["status"] == "OK"
    assert {"what": "status", "a": "HARDWARE_EXCEPTION", "b": "OK", "note": ""} in fault["differences"]


@pytest.mark.parametrize("argv, words", [
    (["--b", "cann"], "backend 'cann'"),
    (["--b", "nosuch"], "unknown backend 'nosuch'"),
    (["--a", "simnpu@ascend999"], "ascend999"),
])
def test_an_unavailable_backend_is_one_line_before_anything_runs(capsys, argv: list[str], words: str) -> None:
    code = main(["twin-vs-device", "--tasks", "add_fp16_small", "--exceptions", "none",
                 "--work-dir", tempfile.mkdtemp(prefix="hawk-tvd-"), *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("hawk twin-vs-device: error: ") and words in err[0]


def test_summarize_and_unavailable_error_types() -> None:
    from hawk.v1 import result_pb2 as S

    r = S.Result(status=S.HARDWARE_EXCEPTION, hardware_exception=S.HardwareException(
        kind="DEADLOCK", code="507034", core_type=S.AIV, source_line=9, api="WaitFlag"))
    assert summarize(r)["exception"] == {"kind": "DEADLOCK", "code": "507034", "core_type": "AIV", "line": 9,
                                         "api": "WaitFlag"}
    with pytest.raises(BackendUnavailable, match="unknown backend 'x'"):
        run_kernels([], Side("x", "ascend910b2"), Side("null", "ascend910b2"))
