"""The NpuAgent service on a real agent (null backend): health, reflection, GetInfo, PutTask, the Evaluate
pipeline's stages and its stop-at-first-failure rule, the cache, Cancel in every stage, stage deadlines."""

from __future__ import annotations

import hashlib

import grpc
import numpy as np
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from hawk.v1 import agent_pb2, result_pb2, task_pb2
from npu_agent import taskspec
from npu_agent.client import AgentClient, AgentError
from npu_agent.server import wait_for
from tests.agent.helpers import Background, add_task, events_of

S = result_pb2


def test_health_serving_and_reflection_lists_the_service(agent, client: AgentClient) -> None:
    assert client.health() == "SERVING"
    assert client.health("") == "SERVING"
    with grpc.insecure_channel(agent.address) as ch:
        stub = reflection_pb2_grpc.ServerReflectionStub(ch)
        [resp] = list(stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")])))
        names = {s.name for s in resp.list_services_response.service}
    assert {"hawk.v1.NpuAgent", "grpc.health.v1.Health"} <= names


def test_get_info_describes_the_agent(start_agent) -> None:
    agent = start_agent(devices=3, max_concurrent=7, max_source_bytes=1000)
    with AgentClient(agent.address) as c:
        info = c.get_info()
    assert (info.backend, info.hardware_profile, info.device_count) == ("null", "ascend910b2", 3)
    assert (info.max_concurrent_evaluations, info.max_source_bytes, info.protocol_version) == (7, 1000, "hawk.v1")
    assert info.agent_id.endswith(f":{agent.port}") and info.backend_version == "null-1"
    assert info.hardware["aiv_cores"] == "48" and not info.draining and info.compile_workers == 2


def test_put_task_is_content_addressed(client: AgentClient) -> None:
    spec = add_task()
    resp = client._stub.PutTask(agent_pb2.PutTaskRequest(tasks=[spec]))
    assert [r.task_hash for r in resp.tasks] == [taskspec.task_hash(spec)] and not resp.already_present
    again = client._stub.PutTask(agent_pb2.PutTaskRequest(tasks=[spec, add_task(name="other")]))
    assert list(again.already_present) == [taskspec.task_hash(spec)]
    assert len(again.tasks) == 2


@pytest.mark.parametrize("mutate, field", [
    (lambda t: setattr(t, "kernel_entry", "not an identifier"), "kernel_entry"),
    (lambda t: t.outputs[0].shape.__setitem__(0, 0), "outputs[0]"),
    (lambda t: setattr(t, "reference_source", "def reference(x, y) return"), "reference_source"),
    (lambda t: t.inputs[0].distribution.CopyFrom(task_pb2.Distribution(kind=task_pb2.Distribution.FIXED,
                                                                        fixed_tensor_hash="ab" * 32)),
     "tasks[0].inputs[0].distribution.fixed_tensor_hash"),
])
def test_put_task_rejects_a_malformed_task_naming_the_field(client: AgentClient, mutate, field: str) -> None:
    spec = add_task()
    mutate(spec)
    with pytest.raises(AgentError) as e:
        client.put_task(spec)
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT and field in e.value.details


def test_fixed_tensors_are_checked_and_used(client: AgentClient) -> None:
    data = np.arange(256, dtype=np.float32).tobytes()
    bad = task_pb2.FixedTensor(sha256="00" * 32, dtype=task_pb2.FLOAT32, shape=[256], data=data)
    with pytest.raises(AgentError, match=r"tensors\[0\]\.sha256"):
        client.put_task(tensors=[bad])
    good = task_pb2.FixedTensor(sha256=hashlib.sha256(data).hexdigest(), dtype=task_pb2.FLOAT32, shape=[256],
                                data=data)
    spec = add_task(name="add_fixed")
    spec.inputs[1].distribution.CopyFrom(task_pb2.Distribution(kind=task_pb2.Distribution.FIXED,
                                                               fixed_tensor_hash=good.sha256))
    [h] = client.put_task(spec, tensors=[good])
    assert client.evaluate(h, "// ok\n").status == S.OK


def test_evaluate_streams_every_stage_then_the_result(client: AgentClient, task_hash: str) -> None:
    progress, result = events_of(client, task_hash, "// fine\n", evaluation_id="e-1", campaign="c1")
    stages = [p.stage for p in progress]
    assert stages == [S.QUEUED, S.COMPILING, S.QUEUED, S.VERIFYING, S.PROFILING]
    assert result.status == S.OK and result.evaluation_id == "e-1" and not result.cached
    assert result.source_hash == hashlib.sha256(b"// fine\n").hexdigest() and result.task_hash == task_hash
    assert (result.backend, result.hardware_profile) == ("null", "ascend910b2")
    assert result.profile.model == "null"
    assert {t.stage for t in result.stage_timings} == {S.QUEUED, S.COMPILING, S.VERIFYING, S.PROFILING}


@pytest.mark.parametrize("source, status, last_stage", [
    ("// hawk-null: fail=compile\n", S.COMPILE_ERROR, S.COMPILING),
    ("// hawk-null: fail=run\n", S.RUNTIME_ERROR, S.VERIFYING),
])
def test_pipeline_stops_at_the_first_failing_stage(client: AgentClient, task_hash: str, source: str,
                                                   status: int, last_stage: int) -> None:
    progress, result = events_of(client, task_hash, source)
    assert result.status == status
    assert progress[-1].stage == last_stage
    assert not result.HasField("profile")
    if status == S.COMPILE_ERROR:
        assert result.diagnostics[0].line == 1


def test_skip_profile_stops_after_verification(client: AgentClient, task_hash: str) -> None:
    progress, result = events_of(client, task_hash, "// v\n", options=agent_pb2.EvaluateOptions(skip_profile=True))
    assert result.status == S.OK and S.PROFILING not in [p.stage for p in progress]
    assert not result.HasField("profile") and "profiling skipped" in result.message


def test_repeated_candidate_is_answered_from_the_cache(client: AgentClient, task_hash: str) -> None:
    first = client.evaluate(task_hash, "// same\n", evaluation_id="c-1")
    progress, second = events_of(client, task_hash, "// same\n", evaluation_id="c-2")
    assert not first.cached and second.cached and progress == []
    assert second.evaluation_id == "c-2" and second.status == first.status == S.OK
    assert second.profile == first.profile
    # A different evaluation shape, a different task, or bypass_cache all run again.
    assert not client.evaluate(task_hash, "// same\n", options=agent_pb2.EvaluateOptions(verify_sets=1)).cached
    other = client.put_task(add_task(name="other"))[0]
    assert not client.evaluate(other, "// same\n").cached
    assert not client.evaluate(task_hash, "// same\n",
                               options=agent_pb2.EvaluateOptions(bypass_cache=True)).cached
    # Failures that are the candidate's own are cached too; a timeout is not (it depends on load).
    assert not client.evaluate(task_hash, "// hawk-null: fail=compile\n").cached
    assert client.evaluate(task_hash, "// hawk-null: fail=compile\n").cached
    slow = "// hawk-null: compile_s=1\n"
    opts = agent_pb2.EvaluateOptions(compile_timeout_s=0.05)
    assert client.evaluate(task_hash, slow, options=opts).status == S.TIMEOUT
    assert not client.evaluate(task_hash, slow, options=opts).cached


@pytest.mark.parametrize("source, options, stage", [
    ("// hawk-null: compile_s=30\n", agent_pb2.EvaluateOptions(compile_timeout_s=0.2), S.COMPILING),
    ("// hawk-null: run_s=30\n", agent_pb2.EvaluateOptions(verify_timeout_s=0.2), S.VERIFYING),
    ("// hawk-null: run_s=0.15\n", agent_pb2.EvaluateOptions(verify_sets=4, verify_timeout_s=0.4), S.VERIFYING),
])
def test_each_stage_has_its_own_deadline(client: AgentClient, task_hash: str, source, options, stage) -> None:
    progress, result = events_of(client, task_hash, source, options=options)
    assert result.status == S.TIMEOUT and progress[-1].stage == stage
    assert "deadline" in result.message


def test_profile_deadline(start_agent) -> None:
    agent = start_agent(devices=1, timeouts={"profile_s": 0.2})
    with AgentClient(agent.address) as c:
        h = c.put_task(add_task(verify_sets=1))[0]
        progress, result = events_of(c, h, "// hawk-null: run_s=0.01 profile_s=30\n")
    assert result.status == S.TIMEOUT and progress[-1].stage == S.PROFILING


def test_queue_time_does_not_count_against_a_stage(start_agent) -> None:
    """One device, held by a slow candidate for longer than the next candidate's verify deadline: the next
    one still passes, because its deadline starts when it gets the device."""
    agent = start_agent(devices=1)
    with AgentClient(agent.address) as c:
        h = c.put_task(add_task(verify_sets=1))[0]
        slow = Background(c, h, "// hawk-null: run_s=0.6\n",
                          options=agent_pb2.EvaluateOptions(skip_profile=True, verify_timeout_s=5))
        slow.wait_stage(S.VERIFYING)
        quick = Background(c, h, "// hawk-null: run_s=0.05\n",
                           options=agent_pb2.EvaluateOptions(skip_profile=True, verify_timeout_s=0.4))
        result = quick.join()
        assert slow.join().status == S.OK
    assert result.status == S.OK
    queued = {t.stage: t.seconds for t in result.stage_timings}[S.QUEUED]
    verifying = {t.stage: t.seconds for t in result.stage_timings}[S.VERIFYING]
    assert queued > verifying  # it really waited for the device longer than it ran


def _cancel_in(client: AgentClient, task_hash: str, source: str, stage: int, occurrence: int = 1,
               **kw) -> result_pb2.Result:
    ev = Background(client, task_hash, source, evaluation_id=f"cancel-{stage}-{occurrence}", **kw)
    ev.wait_stage(stage, occurrence)
    assert client.cancel(f"cancel-{stage}-{occurrence}")
    return ev.join()


@pytest.mark.parametrize("source, stage", [
    ("// hawk-null: compile_s=30\n", S.COMPILING),
    ("// hawk-null: run_s=30\n", S.VERIFYING),
    ("// hawk-null: run_s=0.01 profile_s=30\n", S.PROFILING),
])
def test_cancel_while_running(start_agent, source: str, stage: int) -> None:
    agent = start_agent(devices=1)
    with AgentClient(agent.address) as c:
        h = c.put_task(add_task(verify_sets=2))[0]  # set 0 verifies, set 1 is the profiled run
        result = _cancel_in(c, h, source, stage)
    assert result.status == S.CANCELLED and "cancel" in result.message
    assert progress_stage_in(result.message, stage)
    assert agent.devices.busy == 0


def progress_stage_in(message: str, stage: int) -> bool:
    return S.Stage.Name(stage).lower() in message


def test_cancel_while_queued(start_agent) -> None:
    agent = start_agent(devices=1, compile_workers=1)
    with AgentClient(agent.address) as c:
        h = c.put_task(add_task(verify_sets=1))[0]
        blocker = Background(c, h, "// hawk-null: compile_s=30\n", evaluation_id="blocker")
        blocker.wait_stage(S.COMPILING)
        # Waiting for the only compile worker:
        waiting = Background(c, h, "// second\n", evaluation_id="waiting-compile")
        waiting.wait_stage(S.QUEUED)
        assert c.cancel("waiting-compile")
        r = waiting.join()
        assert r.status == S.CANCELLED and "compile worker" in r.message
        assert not c.cancel("no-such-evaluation")
        assert c.cancel("blocker")
        assert blocker.join().status == S.CANCELLED
        # Waiting for the only device:
        runner = Background(c, h, "// hawk-null: run_s=30\n", evaluation_id="runner")
        runner.wait_stage(S.VERIFYING)
        waiting = Background(c, h, "// third\n", evaluation_id="waiting-device")
        waiting.wait_stage(S.QUEUED, occurrence=2)
        assert c.cancel("waiting-device")
        r = waiting.join()
        assert r.status == S.CANCELLED and "device" in r.message
        assert c.cancel("runner")
        assert runner.join().status == S.CANCELLED
        assert agent.devices.busy == 0 and agent.pipeline.compile_queued == 0


def test_client_going_away_cancels_its_evaluation(start_agent) -> None:
    agent = start_agent(devices=1)
    with AgentClient(agent.address) as c:
        h = c.put_task(add_task(verify_sets=1))[0]
        stream = c.evaluate_stream(h, "// hawk-null: run_s=30\n", evaluation_id="abandoned")
        for event in stream:
            if event.progress.stage == S.VERIFYING:
                break
        stream.close()  # the client stops listening
        assert wait_for(lambda: agent.servicer.inflight == 0, 10)
        assert agent.devices.busy == 0
