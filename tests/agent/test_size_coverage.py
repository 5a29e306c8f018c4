"""Size coverage on a real agent (simnpu backend, 127.0.0.1): a task with a verify_task is verified on fresh
inputs at the smaller size and timed by one timing-only run at full size, and the Result says so; a kernel that
reads tensor data is verified at full size as well; a task without one is verified at full size with the profiled
run as one of the verification sets; a bad verify_task is refused at PutTask."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from hawk.v1 import agent_pb2, result_pb2
from npu_agent import taskspec
from npu_agent.client import AgentClient, AgentError
from npu_agent.result_text import describe
from npu_agent.server import Agent, AgentConfig

S = result_pb2
ROOT = Path(__file__).resolve().parents[2]
KERNEL = (ROOT / "tasks" / "kernels" / "add_fp16_small" / "baseline.cpp").read_text()  # sizes from the shapes
# The same kernel, reading one input element as a scalar (a branch never taken for inputs in [-1, 1]): correct, but
# its control flow could depend on data, so a timing-only run of it is not trusted.
DATA_DEPENDENT = KERNEL.replace("            LocalTensor<T> c = outZ.AllocTensor<T>();",
                                "            if (static_cast<float>(a.GetValue(0)) > 2.0f) {\n"
                                "                Muls(a, a, T(1.0f), n);\n            }\n"
                                "            LocalTensor<T> c = outZ.AllocTensor<T>();", 1)
# Wrong by one element at any size (the last element of every tile is dropped to zero).
WRONG = KERNEL.replace("            Add(c, a, b, n);", "            Add(c, a, b, n);\n            c.SetValue(n - 1, T(0.0f));", 1)

TASK = """
[[task]]
name = "add_cov"
dims = { M = 64, N = 1024 }
verify_dims = { M = 16 }
verify_sets = 2
inputs = [
  { name = "x", shape = ["M", "N"], dtype = "float16" },
  { name = "y", shape = ["M", "N"], dtype = "float16" },
]
outputs = [{ name = "z", shape = ["M", "N"], dtype = "float16" }]
reference = "def reference(x, y):\\n    return x + y\\n"
kernel_entry = "add_custom"
block_dim = 1
"""


@pytest.fixture(scope="module")
def client():
    work = Path(tempfile.mkdtemp(prefix="hawk-cov-"))
    work.chmod(0o711)
    a = Agent(AgentConfig(backend="simnpu", devices=1, compile_workers=1, work_dir=work)).start()
    try:
        with AgentClient(a.address) as c:
            c.wait_ready()
            yield c
    finally:
        a.stop()
        shutil.rmtree(work, ignore_errors=True)


def spec(tmp: Path, text: str = TASK):
    p = tmp / "task.toml"
    p.write_text(text)
    return taskspec.load_task_file(p)[0].spec


def shapes(entries) -> list[tuple[str, list[int]]]:
    return [(t.name, list(t.shape)) for t in entries]


FULL = [("x", [64, 1024]), ("y", [64, 1024]), ("z", [64, 1024])]
SMALL = [("x", [16, 1024]), ("y", [16, 1024]), ("z", [16, 1024])]


def test_verified_at_the_verify_size_and_timed_at_full_size(client, tmp_path: Path) -> None:
    [h] = client.put_task(spec(tmp_path))
    r = client.evaluate(h, KERNEL)
    assert r.status == S.OK, f"{r.message}\n{r.log_tail}"
    c = r.size_coverage
    assert [(shapes(v.tensors), v.sets) for v in c.verified] == [(SMALL, 2)]
    assert shapes(c.timed) == FULL and not c.timed_run_verified and c.data_dependent == ""
    assert "verify_task" in c.reason
    assert r.numeric.sets_checked == 2 and r.numeric.element_count == 16 * 1024
    assert r.profile.time_us > 0
    assert "correct on 2 input sets at x[16,1024]" in r.message and "timing-only run" in r.message
    text = describe(r, "kernel")
    assert "sizes: verified 2 set(s) at x[16,1024] y[16,1024] z[16,1024]; timed at x[64,1024]" in text
    assert "(timing-only run)" in text
    again = client.evaluate(h, KERNEL)
    assert again.cached and again.size_coverage == c


def test_a_kernel_that_reads_tensor_data_is_verified_at_full_size_too(client, tmp_path: Path) -> None:
    [h] = client.put_task(spec(tmp_path))
    r = client.evaluate(h, DATA_DEPENDENT)
    assert r.status == S.OK, f"{r.message}\n{r.log_tail}"
    c = r.size_coverage
    assert [(shapes(v.tensors), v.sets) for v in c.verified] == [(SMALL, 2), (FULL, 2)]
    assert shapes(c.timed) == FULL and c.timed_run_verified
    assert "GetValue" in c.data_dependent and "verified at full size too" in c.reason
    assert r.numeric.sets_checked == 4 and r.numeric.element_count == 64 * 1024
    assert "2 at full size" in r.message and "reads tensor data" in r.message


def test_a_wrong_kernel_fails_at_the_verify_size_and_says_so(client, tmp_path: Path) -> None:
    [h] = client.put_task(spec(tmp_path))
    r = client.evaluate(h, WRONG)
    assert r.status == S.WRONG_ANSWER, r.message
    assert "at the verification size x[16,1024]" in r.message and r.numeric.element_count == 16 * 1024
    assert not r.size_coverage.timed  # never timed


def test_without_verify_task_the_profiled_run_is_one_of_the_verified_sets(client, tmp_path: Path) -> None:
    [h] = client.put_task(spec(tmp_path, TASK.replace("verify_dims = { M = 16 }\n", "")))
    r = client.evaluate(h, KERNEL)
    assert r.status == S.OK, f"{r.message}\n{r.log_tail}"
    c = r.size_coverage
    assert [(shapes(v.tensors), v.sets) for v in c.verified] == [(FULL, 2)]
    assert shapes(c.timed) == FULL and c.timed_run_verified and "no verify_task" in c.reason
    assert r.numeric.sets_checked == 2 and "correct on 2 input sets at full size (the last one profiled)" in r.message
    skipped = client.evaluate(h, KERNEL, options=agent_pb2.EvaluateOptions(skip_profile=True))
    assert skipped.status == S.OK and not skipped.size_coverage.timed and skipped.numeric.sets_checked == 2


def test_a_bad_verify_task_is_refused_at_put_task(client, tmp_path: Path) -> None:
    s = spec(tmp_path)
    s.verify_task.inputs[0].shape[0] = 128
    with pytest.raises(AgentError, match=r"verify_task.inputs\[0\] \(x\): shape \[128, 1024\] is larger"):
        client.put_task(s)
