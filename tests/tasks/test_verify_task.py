"""verify_dims in a task file builds TaskSpec.verify_task (the same task at a smaller size); the agent refuses a
verify_task that is not that, with a one-line error naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from hawk.v1 import task_pb2
from npu_agent import taskspec
from npu_agent.taskspec import TaskError
from tasks import catalogue

TASK = """
[[task]]
name = "mm"
dims = { M = 512, K = 256, N = 384 }
test_dims = { M = 32, K = 16, N = 48 }
verify_dims = { M = 128, N = 96 }
inputs = [
  { name = "a", shape = ["M", "K"], dtype = "float16" },
  { name = "b", shape = ["K", "N"], dtype = "float16" },
]
outputs = [{ name = "c", shape = ["M", "N"], dtype = "float16" }]
reference = "def reference(a, b):\\n    return a @ b\\n"
kernel_entry = "mm"
[task.work]
cube_macs = "M*N*K"
cube_dtype = "float16"
"""


def load(tmp_path: Path, text: str = TASK) -> taskspec.TaskDef:
    p = tmp_path / "t.toml"
    p.write_text(text)
    return taskspec.load_task_file(p)[0]


def test_verify_dims_build_the_same_task_at_the_smaller_size(tmp_path: Path) -> None:
    t = load(tmp_path)
    v = t.spec.verify_task
    assert t.verify_dims == {"M": 128, "K": 256, "N": 96}
    assert [list(x.shape) for x in v.inputs] == [[128, 256], [256, 96]] and list(v.outputs[0].shape) == [128, 96]
    assert (v.name, v.kernel_entry, v.reference_source) == (t.spec.name, t.spec.kernel_entry, t.spec.reference_source)
    assert not v.HasField("verify_task") and v.work.cube_macs == 128 * 96 * 256
    taskspec.validate(t.spec)
    # the verify size is part of the task's identity (and so of every cache key)
    assert taskspec.task_hash(t.spec) != taskspec.task_hash(load(tmp_path, TASK.replace("M = 128", "M = 64")).spec)


def test_a_task_resized_below_its_verify_dims_verifies_at_its_own_size(tmp_path: Path) -> None:
    t = load(tmp_path)
    assert not t.reduced().spec.HasField("verify_task") and t.reduced().verify_dims == {}
    assert t.with_dims(M=256).spec.verify_task.inputs[0].shape == [128, 256]


def test_bad_verify_dims_in_a_file(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match=r"task mm.verify_dims.Q is not one of dims \['K', 'M', 'N'\]"):
        load(tmp_path, TASK.replace("verify_dims = { M = 128, N = 96 }", "verify_dims = { Q = 1 }"))
    with pytest.raises(TaskError, match=r"task mm.verify_dims.M must be a positive integer"):
        load(tmp_path, TASK.replace("M = 128", "M = 0"))
    # larger than the task: no verify_task (nothing smaller to verify at)
    assert not load(tmp_path, TASK.replace("M = 128", "M = 1024")).spec.HasField("verify_task")


@pytest.mark.parametrize("mutate, message", [
    (lambda v: setattr(v, "name", "other"), r"verify_task.name differs from the task's"),
    (lambda v: setattr(v, "kernel_entry", "other"), r"verify_task.kernel_entry differs"),
    (lambda v: setattr(v, "reference_source", "def reference(a, b):\n    return b\n"),
     r"verify_task.reference_source differs"),
    (lambda v: v.attributes.__setitem__("axis", "1"), r"verify_task.attributes differ"),
    (lambda v: v.tolerances.append(task_pb2.Tolerance(dtype=task_pb2.FLOAT16, atol=1)),
     r"verify_task.tolerances differ"),
    (lambda v: setattr(v.inputs[0], "dtype", task_pb2.FLOAT32), r"verify_task.inputs\[0\] \(a\): name, dtype"),
    (lambda v: v.inputs[1].shape.append(1), r"verify_task.inputs\[1\] \(b\): rank 3 differs from the task's 2"),
    (lambda v: v.inputs[0].shape.__setitem__(0, 1024),
     r"verify_task.inputs\[0\] \(a\): shape \[1024, 256\] is larger than the task's \[512, 256\]"),
    (lambda v: v.outputs.add(name="d", shape=[4], dtype=task_pb2.FLOAT16), r"verify_task has 2 outputs; the task has 1"),
    (lambda v: v.verify_task.CopyFrom(task_pb2.TaskSpec.FromString(v.SerializeToString())),
     r"verify_task has a verify_task of its own; nesting is not allowed"),
    (lambda v: v.inputs[0].distribution.CopyFrom(task_pb2.Distribution(kind=task_pb2.Distribution.NORMAL)),
     r"verify_task.inputs\[0\] \(a\): its input distribution differs"),
])
def test_a_bad_verify_task_is_refused_with_a_clear_error(tmp_path: Path, mutate, message: str) -> None:
    spec = task_pb2.TaskSpec()
    spec.CopyFrom(load(tmp_path).spec)
    mutate(spec.verify_task)
    with pytest.raises(TaskError, match=f"^task mm: {message}") as e:
        taskspec.validate(spec)
    assert "\n" not in str(e.value)


def test_a_fixed_input_cannot_be_resized(tmp_path: Path) -> None:
    spec = load(tmp_path).spec
    fixed = task_pb2.Distribution(kind=task_pb2.Distribution.FIXED, fixed_tensor_hash="ab" * 32)
    spec.inputs[0].distribution.CopyFrom(fixed)
    spec.verify_task.inputs[0].distribution.CopyFrom(fixed)
    with pytest.raises(TaskError, match=r"verify_task.inputs\[0\] \(a\): a fixed \(uploaded\) input cannot be"):
        taskspec.validate(spec)


def test_a_verify_task_is_validated_as_a_task_too(tmp_path: Path) -> None:
    spec = load(tmp_path).spec
    spec.verify_task.inputs[0].shape[0] = 0
    with pytest.raises(TaskError, match=r"inputs\[0\] \(a\).shape \[0, 256\] has a non-positive dimension"):
        taskspec.validate(spec)


def test_the_large_builtin_matmuls_verify_smaller_than_they_time() -> None:
    mm = catalogue.get_task("matmul_fp16_8192")
    assert [list(t.shape) for t in mm.spec.inputs] == [[8192, 8192], [8192, 8192]]
    assert [list(t.shape) for t in mm.spec.verify_task.inputs] == [[768, 256], [256, 640]]
    for name in ("matmul_fp16_2048", "matmul_fp16_3000x1500x1000", "matmul_fp16_8192x1024x512",
                 "batched_matmul_fp16", "matmul_bias_relu_fp16"):
        t = catalogue.get_task(name)
        assert t.spec.HasField("verify_task"), name
        taskspec.validate(t.spec)
    odd = catalogue.get_task("matmul_fp16_3000x1500x1000").spec
    for full, small in zip(odd.inputs, odd.verify_task.inputs, strict=True):
        assert [d % 128 for d in full.shape] == [d % 128 for d in small.shape]  # the same ragged edges


def test_the_prompt_tells_the_model_where_its_kernel_is_verified() -> None:
    from controller.prompt import describe_task

    text = describe_task(catalogue.get_task("matmul_fp16_8192").spec)
    assert "Verification: fresh inputs at a: float16[768, 256], b: float16[256, 640], c: float16[768, 640]" in text
    assert "Verification:" not in describe_task(catalogue.get_task("softmax_fp32").spec)
