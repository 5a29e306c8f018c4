"""Task references run out of the agent process, in the sandbox, on a real agent with the simnpu backend (the
twin): as an unprivileged uid, with a deadline the agent survives; PutTask size limits; blame for the task.

The kernel is the add_custom example (examples/kernels/add_custom.cpp), compiled once for the module; only
the task's reference changes from test to test.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import numpy as np
import pytest

from hawk.v1 import agent_pb2, result_pb2, task_pb2
from npu_agent import taskspec
from npu_agent.client import AgentClient, AgentError
from npu_agent.references import ReferenceFailed, ReferenceRunner, ReferenceSettings, readonly_paths
from npu_agent.sandbox import Sandbox
from npu_agent.server import Agent, AgentConfig

S = result_pb2
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kernels" / "add_custom.cpp"
N = 2048  # fp16 elements: the example's 8 blocks x 8 tiles x 2 buffers of 16 elements
ROOT_FILE = Path("/") / f"hawk-ref-escape-{os.getpid()}"
SKIP_PROFILE = agent_pb2.EvaluateOptions(skip_profile=True, bypass_cache=True)


def task(reference: str, name: str = "add_fp16_ref", **kw) -> task_pb2.TaskSpec:
    return task_pb2.TaskSpec(
        name=name, category="elementwise", kernel_entry="add_custom", verify_sets=2,
        inputs=[task_pb2.TensorSpec(name="x", shape=[N], dtype=task_pb2.FLOAT16),
                task_pb2.TensorSpec(name="y", shape=[N], dtype=task_pb2.FLOAT16)],
        outputs=[task_pb2.TensorSpec(name="z", shape=[N], dtype=task_pb2.FLOAT16)],
        reference_source=reference, reference_entry="reference", **kw)


GOOD = "def reference(x, y):\n    return (x + y).astype(np.float16)\n"


@pytest.fixture(scope="module")
def agent():
    work = Path(tempfile.mkdtemp(prefix="hawk-refs-"))
    work.chmod(0o711)
    from npu_agent.pipeline import StageTimeouts

    a = Agent(AgentConfig(backend="simnpu", devices=2, compile_workers=2, work_dir=work, max_concurrent=8,
                          timeouts=StageTimeouts(compile_s=120, verify_s=30, profile_s=60),
                          references=ReferenceSettings(timeout_s=3.0, check_timeout_s=2.0, check_concurrency=2),
                          task_limits={"max_task_bytes": 64 << 20})).start()
    yield a
    a.stop()
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def client(agent):
    with AgentClient(agent.address) as c:
        c.wait_ready()
        yield c


@pytest.fixture(scope="module")
def kernel(client) -> str:
    """The example kernel, evaluated once OK (so later evaluations find it in the compile cache)."""
    source = EXAMPLE.read_text()
    [h] = client.put_task(task(GOOD, name="add_fp16_good"))
    r = client.evaluate(h, source)
    assert r.status == S.OK, f"{r.message}\n{r.log_tail}"
    return source


def evaluate(client: AgentClient, reference: str, kernel: str, name: str) -> result_pb2.Result:
    [h] = client.put_task(task(reference, name=name))
    return client.evaluate(h, kernel, options=SKIP_PROFILE)


# ------------------------------------------------------------------------------------------ privileges
def test_the_reference_runs_as_the_sandbox_uid_not_as_the_agent(client, kernel) -> None:
    # The kernel adds; the reference returns facts about its uid as data everywhere, so the first expected
    # value of the mismatch report says who it ran as: 1 + 2 (not root) + 4 (not the agent's uid).
    me = os.getuid()
    r = evaluate(client, "import os\ndef reference(x, y):\n    u = os.getuid()\n"
                         f"    return np.full(x.shape, 1 + 2 * (u != 0) + 4 * (u != {me}))\n", kernel, "ref_uid")
    assert r.status == S.WRONG_ANSWER, r.message
    assert r.numeric.first_expected == (7 if me == 0 else 3) or r.numeric.first_expected == 7


def test_a_reference_cannot_write_outside_its_work_dir_and_the_task_is_blamed(client, kernel) -> None:
    r = evaluate(client, f"def reference(x, y):\n    open({str(ROOT_FILE)!r}, 'w').write('pwned')\n    return x + y\n",
                 kernel, "ref_write_root")
    assert not ROOT_FILE.exists()
    assert r.status == S.REJECTED, r.message
    assert r.message.startswith("task ref_write_root: reference failed: PermissionError") or \
        "Read-only file system" in r.message, r.message
    assert "\n" not in r.message


@pytest.mark.skipif(os.geteuid() != 0, reason="an unprivileged agent shares its uid with the sandbox")
def test_a_reference_cannot_reach_the_agent_process(client, kernel) -> None:
    # The agent's memory (and its per-agent seed secret) is not in the reference's process.
    r = evaluate(client, f"def reference(x, y):\n    open('/proc/{os.getpid()}/mem', 'rb').read(1)\n    return x + y\n",
                 kernel, "ref_proc_mem")
    assert r.status == S.REJECTED and ("PermissionError" in r.message or "FileNotFoundError" in r.message), r.message


# ------------------------------------------------------------------------------------------- deadlines
@pytest.mark.parametrize("body", ["import time\n    time.sleep(60)", "while True:\n        pass"])
def test_a_blocking_reference_hits_its_deadline_and_the_agent_stays_healthy(client, kernel, body) -> None:
    t0 = time.monotonic()
    r = evaluate(client, f"def reference(x, y):\n    {body}\n", kernel, f"ref_block_{len(body)}")
    assert time.monotonic() - t0 < 20
    assert r.status == S.REJECTED, r.message
    assert "reference exceeded its 3 s deadline" in r.message or "CPU time limit" in r.message, r.message
    assert client.health() == "SERVING"
    assert client.get_info().busy_devices == 0


def test_a_reference_that_blocks_at_load_fails_put_task_after_a_short_deadline(client) -> None:
    t0 = time.monotonic()
    with pytest.raises(AgentError) as e:
        client.put_task(task("import time\ntime.sleep(60)\ndef reference(x, y):\n    return x + y\n",
                             name="ref_load_blocks"))
    assert time.monotonic() - t0 < 10
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "ref_load_blocks" in e.value.details and "deadline" in e.value.details


def test_twenty_blocking_put_tasks_never_starve_health_checks(agent, client) -> None:
    specs = [task(f"import time\ntime.sleep(30)  # {i}\ndef reference(x, y):\n    return x + y\n",
                  name=f"ref_flood_{i}") for i in range(20)]
    codes: list[grpc.StatusCode] = []
    lock = threading.Lock()

    def put(spec: task_pb2.TaskSpec) -> None:
        with AgentClient(agent.address) as c:
            try:
                c.put_task(spec)
                code = grpc.StatusCode.OK
            except AgentError as e:
                code = e.code
                if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
                    assert "reference checks are already running" in e.details
        with lock:
            codes.append(code)

    with ThreadPoolExecutor(20) as pool:
        futures = [pool.submit(put, s) for s in specs]
        time.sleep(0.3)
        for _ in range(5):
            t0 = time.monotonic()
            assert client.health() == "SERVING"
            assert client.get_info().agent_id
            assert time.monotonic() - t0 < 2.0
            time.sleep(0.2)
        for f in futures:
            f.result(timeout=30)
    assert grpc.StatusCode.OK not in codes
    assert codes.count(grpc.StatusCode.RESOURCE_EXHAUSTED) >= 15, codes
    assert set(codes) <= {grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.INVALID_ARGUMENT}


# -------------------------------------------------------------------------------------- wrong results
@pytest.mark.parametrize("reference, words", [
    ("def reference(x, y):\n    return (x + y)[:7]\n", "reference output z (input set 0) has shape [7]"),
    ("def reference(x, y):\n    return x, y\n", "reference returned 2 values, expected 1"),
    ("def reference(x, y):\n    return 'z'\n", "reference output z (input set 0) has dtype <U1"),
    ("def reference(x, y):\n    return None\n", "reference returned None for output z"),
    ("def reference(x, y):\n    return np.array([{}] * x.size)\n", "reference failed: ValueError"),
    ("def reference(x, y):\n    raise RuntimeError('bad task')\n", "RuntimeError: bad task (reference line 2)"),
])
def test_a_reference_returning_the_wrong_thing_gets_a_clear_rejection(client, kernel, reference, words) -> None:
    r = evaluate(client, reference, kernel, "ref_wrong")
    assert r.status == S.REJECTED and words in r.message and r.message.startswith("task ref_wrong:"), r.message
    assert "\n" not in r.message and "Traceback" not in r.message


def test_a_rejected_reference_is_not_cached_and_a_good_one_still_verifies(client, kernel) -> None:
    [h] = client.put_task(task("def reference(x, y):\n    raise RuntimeError('no')\n", name="ref_nocache"))
    for _ in range(2):
        r = client.evaluate(h, kernel)
        assert r.status == S.REJECTED and not r.cached
    [good] = client.put_task(task(GOOD, name="ref_good_again"))
    r = client.evaluate(good, kernel)
    assert r.status == S.OK and r.numeric.sets_checked >= 2, r.message


# ---------------------------------------------------------------------------------------------- sizes
@pytest.mark.parametrize("shape, dtype, words", [
    ([1 << 62], task_pb2.FLOAT32, "shape[0] = 4611686018427387904 exceeds the largest dimension"),
    ([(1 << 31) - 1] * 2, task_pb2.FLOAT32, "more than 4294967296 elements"),
    ([1 << 31, 1 << 31], task_pb2.FLOAT32, "exceeds the largest dimension"),
    ([3037000500, 3037000500, 3037000500], task_pb2.INT8, "exceeds the largest dimension"),
    ([65536, 65536], task_pb2.FLOAT32, "takes 17179869184 bytes); a task may take at most 67108864"),
    ([4096, 4096], task_pb2.FLOAT32, "a task may take at most 67108864"),
    ([2] * 9, task_pb2.FLOAT32, "rank 9"),
    ([-1], task_pb2.FLOAT32, "non-positive dimension"),
    ([0, 5], task_pb2.FLOAT32, "non-positive dimension"),
])
def test_put_task_refuses_huge_or_malformed_tensors_naming_tensor_and_limit(client, shape, dtype, words) -> None:
    spec = task(GOOD, name="huge")
    spec.inputs[1].shape[:] = shape
    spec.inputs[1].dtype = dtype
    t0 = time.monotonic()
    with pytest.raises(AgentError) as e:
        client.put_task(spec)
    assert time.monotonic() - t0 < 2
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "inputs[1] (y)" in e.value.details and words in e.value.details, e.value.details


def test_put_task_refuses_a_huge_reference_and_too_many_tensors(client) -> None:
    with pytest.raises(AgentError, match=r"reference_source has \d+ bytes; at most 262144") as e:
        client.put_task(task(GOOD + "#" * (300 << 10), name="big_ref"))
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT
    spec = task(GOOD, name="many")
    spec.inputs.extend(task_pb2.TensorSpec(name=f"t{i}", shape=[4], dtype=task_pb2.FLOAT32) for i in range(70))
    with pytest.raises(AgentError, match="at most 64 tensors"):
        client.put_task(spec)


def test_put_task_refuses_a_huge_fixed_tensor_before_reading_it(client) -> None:
    for shape, words in (([(1 << 31) - 1] * 2, "more than 4294967296 elements"),
                         ([1 << 62], "exceeds the largest dimension"), ([-4], "non-positive")):
        bad = task_pb2.FixedTensor(sha256=hashlib.sha256(b"").hexdigest(), dtype=task_pb2.FLOAT32, shape=shape)
        with pytest.raises(AgentError) as e:
            client.put_task(tensors=[bad])
        assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT, e.value
        assert e.value.details.startswith("tensors[0]") and words in e.value.details, e.value.details


def test_task_files_get_the_same_limits(tmp_path) -> None:
    f = tmp_path / "t.toml"
    f.write_text('[[task]]\nname = "big"\nkernel_entry = "k"\nreference = "def reference(x): return x"\n'
                 'dims = { M = 4611686018427387904 }\n'
                 'inputs = [{ name = "x", shape = ["M"], dtype = "float32" }]\n'
                 'outputs = [{ name = "y", shape = ["M"], dtype = "float32" }]\n')
    with pytest.raises(taskspec.TaskError, match=r"inputs\[0\] \(x\)\.shape\[0\] = 4611686018427387904 exceeds"):
        taskspec.load_task_file(f)
    f.write_text(f.read_text().replace('shape = ["M"], dtype = "float32" }]\noutputs',
                                       'shape = ["10**10**10"], dtype = "float32" }]\noutputs'))
    with pytest.raises(taskspec.TaskError, match="exponent"):
        taskspec.load_task_file(f)


# ------------------------------------------------------------------------------------ runner directly
@pytest.fixture(scope="module")
def runner():
    root = Path(tempfile.mkdtemp(prefix="hawk-refrun-"))
    root.chmod(0o711)
    yield ReferenceRunner(Sandbox(root / "sandbox"), ReferenceSettings(timeout_s=5))
    shutil.rmtree(root, ignore_errors=True)


def test_one_process_serves_every_input_set_and_matches_the_in_process_reference(runner) -> None:
    spec = task(GOOD)
    sets = [taskspec.generate_inputs(spec, seed) for seed in range(5)]
    out = runner.run(spec, sets)
    assert len(out) == 5
    for inputs, got in zip(sets, out, strict=True):
        want = taskspec.run_reference(spec, inputs)  # the in-process reference, for the local tools only
        assert got["z"].dtype == want["z"].dtype and np.array_equal(got["z"], want["z"])


def test_an_output_swapped_for_a_symlink_or_fifo_is_not_followed(runner) -> None:
    # At exit (after the runner saved the output), the task's code swaps the file for a link or a FIFO; the
    # agent must neither read the link's target nor block on the FIFO (a sandbox whose seccomp allowlist has no
    # symlink/mkfifo stops the process first: also the task's fault).
    for swap, words in (("os.symlink('/etc/shadow', 'out0_0.npy')", "output file unusable"),
                        ("os.mkfifo('out0_0.npy')", "not a regular file")):
        spec = task(f"import atexit, os\natexit.register(lambda: (os.remove('out0_0.npy'), {swap}))\n" + GOOD)
        t0 = time.monotonic()
        with pytest.raises(ReferenceFailed, match=f"{words}|forbidden system call"):  # or a seccomp allowlist
            runner.run(spec, [taskspec.generate_inputs(spec, 1)])
        assert time.monotonic() - t0 < 5


def test_readonly_paths_cover_python_numpy_and_the_runner() -> None:
    paths = readonly_paths(Path(os.path.realpath(os.sys.executable)))
    assert os.sys.prefix in paths and os.sys.base_prefix in paths
    assert any(Path(np.__file__).is_relative_to(p) for p in paths)


# ------------------------------------------------------------------------------- null agent, agent flags
def test_a_fixed_tensor_must_fit_the_input_that_uses_it(start_agent) -> None:
    agent = start_agent()
    data = np.arange(8, dtype=np.float32).tobytes()
    fixed = task_pb2.FixedTensor(sha256=hashlib.sha256(data).hexdigest(), dtype=task_pb2.FLOAT32, shape=[8],
                                 data=data)
    spec = task(GOOD, name="fixed_mismatch")
    spec.inputs[1].distribution.CopyFrom(task_pb2.Distribution(kind=task_pb2.Distribution.FIXED,
                                                               fixed_tensor_hash=fixed.sha256))
    with AgentClient(agent.address) as c, pytest.raises(AgentError) as e:
        c.put_task(spec, tensors=[fixed])
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert e.value.details == "tasks[0].inputs[1] (y) is [2048] float16; its fixed tensor is [8] float32"


def test_agent_flags_set_the_limits(tmp_path) -> None:
    """`hawk agent serve --max-tensor-rank 2 --max-reference-bytes 100`: a real agent process applies them."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "controller.cli", "agent", "serve", "--port", "0",
                             "--backend", "null", "--max-tensor-rank", "2", "--max-reference-bytes", "100",
                             "--reference-check-concurrency", "1"],
                            stderr=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        port = None
        for line in proc.stderr:
            if "serving on" in line:
                port = int(line.split("serving on ")[1].split()[0].rsplit(":", 1)[1])
                break
        assert port, "the agent did not start"
        with AgentClient(f"127.0.0.1:{port}") as c:
            c.wait_ready()
            spec = task(GOOD, name="rank3")
            spec.inputs[0].shape[:] = [4, 4, 128]
            with pytest.raises(AgentError, match=r"inputs\[0\] \(x\)\.shape has rank 3; at most 2 dims"):
                c.put_task(spec)
            with pytest.raises(AgentError, match=r"reference_source has \d+ bytes; at most 100 are allowed"):
                c.put_task(task(GOOD + "#" * 60, name="big_ref"))
            assert c.put_task(task(GOOD, name="small_ref"))  # within both limits
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_concurrent_uploads_of_one_task_share_one_reference_check(agent) -> None:
    """A controller's first evaluations all upload the task at once: they wait for one check, none is refused."""
    spec = task("import time\ntime.sleep(0.5)\n" + GOOD, name="shared_check")

    def put() -> list[str]:
        with AgentClient(agent.address) as c:
            return c.put_task(spec)

    with ThreadPoolExecutor(6) as pool:
        hashes = [f.result(timeout=60) for f in [pool.submit(put) for _ in range(6)]]
    assert all(h == [taskspec.task_hash(spec)] for h in hashes)


def test_a_reference_process_that_cannot_start_is_the_agents_fault(runner) -> None:
    """No Python for the sandbox (here: a path that does not exist): INTERNAL material, never the task's."""
    from npu_agent.references import ReferenceUnavailable

    saved = runner.python
    runner.python = Path("/nonexistent/python3")
    try:
        with pytest.raises(ReferenceUnavailable, match="task add_fp16_ref: the (sandboxed reference process did "
                                                       "not start|reference sandbox failed to start)"):
            runner.run(task(GOOD), [taskspec.generate_inputs(task(GOOD), 1)])
    finally:
        runner.python = saved


# ---------------------------------------------------------------------------------- pre-started processes
def test_a_pre_started_process_serves_the_next_job_once_and_a_new_one_waits(tmp_path: Path) -> None:
    """After a run, the next job's process is already started (numpy imported, blocked on its FIFO); the next run
    takes it (its work dir is gone afterwards: used once) and leaves another waiting. Limits follow the task size,
    so another size gets a process of its own; past max_idle the oldest is told to exit and leaves quietly."""
    root = Path(tempfile.mkdtemp(prefix="hawk-refpre-"))
    root.chmod(0o711)
    kills: list = []
    sandbox = Sandbox(root / "sandbox")
    sandbox.observer = lambda r: kills.append(r) if (r.timed_out or r.cancelled or r.signal) else None
    runner = ReferenceRunner(sandbox, ReferenceSettings(timeout_s=5, max_idle=1))
    try:
        spec = task(GOOD)
        sets = [taskspec.generate_inputs(spec, 7)]
        want = taskspec.run_reference(spec, sets[0])["z"]
        assert np.array_equal(runner.run(spec, sets)[0]["z"], want)  # started for the job: none was waiting
        [waiting] = runner._idle.values()
        assert waiting.fresh(60.0)
        assert np.array_equal(runner.run(spec, sets)[0]["z"], want)
        assert not waiting.work.exists()  # it served this job and is gone
        [again] = runner._idle.values()
        assert again is not waiting and again.fresh(60.0)
        bigger = task(GOOD, name="add_fp16_ref_big")
        bigger.inputs[0].shape[0] = bigger.inputs[1].shape[0] = bigger.outputs[0].shape[0] = 4 * N
        runner.run(bigger, [taskspec.generate_inputs(bigger, 1)])
        deadline = time.monotonic() + 10
        while again.work.exists() and time.monotonic() < deadline:  # max_idle 1: the older size's process exits
            time.sleep(0.05)
        assert not again.work.exists()
        assert again._result.returncode == 0 and not again._result.cancelled  # left by itself, not killed
    finally:
        runner.close()
    assert not kills, [(r.returncode, r.signal, r.timed_out, r.cancelled) for r in kills]
    shutil.rmtree(root, ignore_errors=True)


def test_a_pre_started_process_keeps_the_jobs_deadline(tmp_path: Path) -> None:
    root = Path(tempfile.mkdtemp(prefix="hawk-refdl-"))
    root.chmod(0o711)
    runner = ReferenceRunner(Sandbox(root / "sandbox"), ReferenceSettings(timeout_s=1.0))
    try:
        spec = task("def reference(x, y):\n    import signal\n    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                    "    while True:\n        pass\n", name="ref_ignores_alarm")
        runner._prestart(runner._limits(spec, 1.0), 1.0)
        time.sleep(1.0)  # numpy imported, waiting: the job's deadline runs from the hand-over
        t0 = time.monotonic()
        # Stopped as the task's failure: by the job's deadline, or (seen once on a loaded CI host, cause not found)
        # by the CPU-time backstop of deadline + start-up allowance; never left to run for the idle time.
        with pytest.raises(ReferenceFailed, match="exceeded its 1 s deadline|CPU time limit of 6 s exceeded"):
            runner.run(spec, [taskspec.generate_inputs(spec, 1)])
        assert time.monotonic() - t0 < 1.0 + 5.0 + 2.0  # the job's deadline plus the start-up allowance, not idle_s
    finally:
        runner.close()
        shutil.rmtree(root, ignore_errors=True)
