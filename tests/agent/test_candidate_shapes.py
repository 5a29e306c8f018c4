"""Multi-file candidates through the agent's gRPC Evaluate (EvaluateRequest.files) on the simnpu backend: an
op project, a direct-launch file set and an .asc file run; the request's files are validated with clear
errors; diagnostics name the file; a one-file candidate is answered exactly as before."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

import grpc
import pytest

from hawk.v1 import agent_pb2
from hawk.v1 import result_pb2 as S
from npu_agent.candidate import Candidate
from npu_agent.client import AgentClient, AgentError
from npu_agent.taskspec import load_task_file

SIMNPU = Path(__file__).resolve().parents[1] / "simnpu"
PROJECTS = SIMNPU / "projects"
OPTS = agent_pb2.EvaluateOptions(skip_profile=True, verify_sets=1)


@pytest.fixture(scope="module")
def simnpu_agent():
    from npu_agent.pipeline import StageTimeouts
    from npu_agent.server import Agent, AgentConfig

    work = Path(tempfile.mkdtemp(prefix="hawk-shapes-agent-"))
    work.chmod(0o711)
    agent = Agent(AgentConfig(backend="simnpu", devices=1, compile_workers=1, metrics_port=0, work_dir=work,
                              max_source_bytes=64 * 1024,
                              timeouts=StageTimeouts(compile_s=120, verify_s=30, profile_s=60))).start()
    yield agent
    agent.stop()
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def hashes(simnpu_agent):
    specs = {d.name: d.spec for d in load_task_file(PROJECTS / "projects.toml")}
    with AgentClient(simnpu_agent.address) as c:
        return dict(zip(specs, c.put_task(*specs.values()), strict=True))


def files_of(path: Path) -> dict[str, str]:
    return dict(Candidate.from_path(path).files)


@pytest.mark.parametrize("task,path", [
    ("shapes_scale_add_fp16", PROJECTS / "scale_add"),
    ("shapes_relu_fp16", PROJECTS / "direct_relu"),
    ("shapes_scale_fp32", SIMNPU / "kernels" / "scale_template.asc"),
])
def test_multi_file_candidates_evaluate(simnpu_agent, hashes, task, path) -> None:
    files = files_of(path)
    with AgentClient(simnpu_agent.address) as c:
        r = c.evaluate(hashes[task], files, options=OPTS)
    assert r.status == S.OK, f"{r.message}\n{r.log_tail}"
    assert r.source_hash == Candidate.from_files(files).hash()


def test_opdef_mismatch_and_file_diagnostics_over_the_wire(simnpu_agent, hashes) -> None:
    files = files_of(PROJECTS / "scale_add")
    bad_name = {**files, "op_host/scale_add.cpp": files["op_host/scale_add.cpp"].replace('Input("y")', 'Input("w")')}
    kernel = files["op_kernel/scale_add.cpp"]
    broken = {**files, "op_kernel/scale_add.cpp": kernel.replace("Muls(zl, xl, alpha, tileLength);",
                                                                 "Muls(zl, xl, alpha, tileLength)")}
    with AgentClient(simnpu_agent.address) as c:
        r = c.evaluate(hashes["shapes_scale_add_fp16"], bad_name, options=OPTS)
        assert r.status == S.REJECTED and "input 1 is named 'w'" in r.message, r.message
        r = c.evaluate(hashes["shapes_scale_add_fp16"], broken, options=OPTS)
    assert r.status == S.COMPILE_ERROR
    line = 1 + kernel.splitlines().index("            Muls(zl, xl, alpha, tileLength);")
    errs = [(d.file, d.line) for d in r.diagnostics if d.severity == "error"]
    assert errs and errs[0][0] == "op_kernel/scale_add.cpp" and errs[0][1] in (line, line + 1), errs


def test_one_file_candidate_is_unchanged(simnpu_agent, hashes) -> None:
    src = (PROJECTS / "direct_relu" / "relu_custom.cpp").read_text()
    src = src[:src.index("#ifndef ASCENDC_CPU_DEBUG")]  # the kernel alone: today's one-file contract
    with AgentClient(simnpu_agent.address) as c:
        r = c.evaluate(hashes["shapes_relu_fp16"], src, options=OPTS)
    # Without a launch the block dim is the task's default (1): the kernel still computes the whole tensor.
    assert r.status == S.OK, r.message
    assert r.source_hash == hashlib.sha256(src.encode()).hexdigest()
    assert all(d.file == "" for d in r.diagnostics)


@pytest.mark.parametrize("files,source,code,fragment", [
    ({"../x.cpp": "int x;"}, "", grpc.StatusCode.INVALID_ARGUMENT, "'..'"),
    ({"/abs.cpp": "int x;"}, "", grpc.StatusCode.INVALID_ARGUMENT, "relative"),
    ({"notes.txt": "hi"}, "", grpc.StatusCode.INVALID_ARGUMENT, "allowed extensions"),
    ({"a.cpp": "int x;"}, "int y;", grpc.StatusCode.INVALID_ARGUMENT, "not both"),
    ({"a.cpp": "x" * 40000, "b.cpp": "y" * 40000}, "", grpc.StatusCode.RESOURCE_EXHAUSTED, "at most 65536"),
    ({"a.cpp": "int\0x;"}, "", grpc.StatusCode.INVALID_ARGUMENT, "NUL"),
])
def test_bad_files_are_refused_with_a_clear_error(simnpu_agent, hashes, files, source, code, fragment) -> None:
    req = agent_pb2.EvaluateRequest(evaluation_id="bad-files", task_hash=hashes["shapes_relu_fp16"], source=source,
                                    files=[agent_pb2.SourceFile(path=p, content=t) for p, t in files.items()])
    with AgentClient(simnpu_agent.address) as c, pytest.raises(grpc.RpcError) as e:
        list(c._stub.Evaluate(req, metadata=c._metadata))
    err = AgentError.from_rpc(e.value)
    assert err.code == code and fragment in err.details, err


def test_defines_travel_with_the_request_and_are_validated(simnpu_agent, hashes) -> None:
    """EvaluateRequest.defines: the build definitions an asc-devkit sample's CMakeLists passes (SCENARIO_NUM)."""
    files = files_of(SIMNPU / "kernels" / "host_tiling.asc")
    with AgentClient(simnpu_agent.address) as c:
        r = c.evaluate(hashes["shapes_axpb_fp32"], files, options=OPTS, defines=["SCENARIO_NUM=1"])
        assert r.status == S.OK, f"{r.message}\n{r.log_tail}"
        assert r.source_hash == Candidate.from_files(files).with_defines(["SCENARIO_NUM=1"]).hash()
        r = c.evaluate(hashes["shapes_axpb_fp32"], files, options=OPTS)  # the sample needs its define
        assert r.status == S.COMPILE_ERROR and "SCENARIO_NUM" in r.message, r.message
        with pytest.raises(AgentError) as e:
            c.evaluate(hashes["shapes_axpb_fp32"], files, options=OPTS, defines=["SCENARIO NUM=1"])
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT and "defines:" in e.value.details, e.value
