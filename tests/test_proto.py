"""The checked-in generated wire code must match the .proto files (`make proto` regenerates it)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GEN_DIR = ROOT / "proto" / "hawk" / "v1"


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_proto", ROOT / "scripts" / "gen_proto.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_generated_code_is_fresh(tmp_path: Path) -> None:
    pytest.importorskip("grpc_tools", reason="grpcio-tools comes with the dev extra")
    gen = _load_generator()
    gen.generate(tmp_path)
    fresh = sorted(p.name for p in (tmp_path / "hawk" / "v1").iterdir())
    checked_in = sorted(p.name for p in GEN_DIR.iterdir() if "_pb2" in p.name)
    assert fresh == checked_in, "generated file set differs; run `make proto`"
    for name in fresh:
        new = (tmp_path / "hawk" / "v1" / name).read_text()
        old = (GEN_DIR / name).read_text()
        assert new == old, f"proto/hawk/v1/{name} is stale; run `make proto` and commit the result"


def test_contract_has_required_statuses_and_services() -> None:
    from hawk.v1 import agent_pb2, registry_pb2, result_pb2

    for status in ("OK", "COMPILE_ERROR", "HARDWARE_EXCEPTION", "WRONG_ANSWER", "TIMEOUT",
                   "SANDBOX_VIOLATION", "REJECTED", "INTERNAL"):
        assert status in result_pb2.Status.keys()  # noqa: SIM118 (an enum wrapper, not a dict)
    methods = {m.name for m in agent_pb2.DESCRIPTOR.services_by_name["NpuAgent"].methods}
    assert methods == {"GetInfo", "PutTask", "Evaluate", "EvaluateBatch", "Cancel"}
    evaluate = agent_pb2.DESCRIPTOR.services_by_name["NpuAgent"].methods_by_name["Evaluate"]
    assert evaluate.server_streaming and not evaluate.client_streaming
    reg = {m.name for m in registry_pb2.DESCRIPTOR.services_by_name["Registry"].methods}
    assert reg == {"Register", "Heartbeat", "Deregister"}
    assert sys.modules["hawk.v1.result_pb2"].DESCRIPTOR.package == "hawk.v1"
