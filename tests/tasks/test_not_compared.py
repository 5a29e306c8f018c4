"""Outputs marked "not compared" (scratch outputs public ops declare) and the bool dtype, from the task file
through verification: a scratch output is never compared and the report names it; a bool is one byte and an
unwritten (poisoned) byte never passes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hawk.v1 import task_pb2
from npu_agent import taskspec
from npu_agent.taskspec import TaskError, load_task_file

TASK = '''
[[task]]
name = "positive_with_scratch"
inputs = [{ name = "x", shape = [256], dtype = "float32" }]
outputs = [
  { name = "mask", shape = [256], dtype = "bool" },
  { name = "ws", shape = [256], dtype = "float32", compare = false },
]
reference = """
def reference(x):
    return x > 0, None
"""
kernel_entry = "positive_mask"
'''


def _task(tmp_path: Path, text: str = TASK) -> task_pb2.TaskSpec:
    p = tmp_path / "tasks.toml"
    p.write_text(text)
    return load_task_file(p)[0].spec


def test_task_file_marks_scratch_outputs_and_bool(tmp_path: Path) -> None:
    spec = _task(tmp_path)
    assert spec.outputs[0].dtype == task_pb2.BOOL and not spec.outputs[0].not_compared
    assert spec.outputs[1].not_compared
    assert taskspec.storage_dtype(task_pb2.BOOL) == np.dtype(np.bool_) and taskspec.itemsize(task_pb2.BOOL) == 1
    assert taskspec.dtype_name(task_pb2.BOOL) == "bool"


def test_bool_inputs_are_coin_flips(tmp_path: Path) -> None:
    spec = _task(tmp_path, TASK.replace('dtype = "float32" }]', 'dtype = "bool" }]', 1))
    x = taskspec.generate_inputs(spec, 1)["x"]
    assert x.dtype == np.bool_ and 50 < int(x.sum()) < 206


def test_scratch_output_is_skipped_and_reported(tmp_path: Path) -> None:
    spec = _task(tmp_path)

    def kernel(inputs, outputs):
        outputs["mask"][...] = inputs["x"] > 0  # ws stays poisoned (NaN): it is not compared
        return outputs

    reports = taskspec.verify(spec, kernel, [1, 2])
    assert len(reports) == 2 and reports[-1].mismatch_count == 0
    assert list(reports[-1].not_compared) == ["ws"] and reports[-1].output_name == "mask"


def test_unwritten_bool_bytes_fail(tmp_path: Path) -> None:
    spec = _task(tmp_path)

    def kernel(inputs, outputs):
        m = outputs["mask"]
        m[:128] = inputs["x"][:128] > 0  # the rest keeps the poison byte 0xFF
        return outputs

    r = taskspec.verify(spec, kernel, [1])[-1]
    assert r.output_name == "mask" and r.mismatch_count == 128 and r.first_mismatch_index == 128


def test_reference_may_return_only_the_compared_outputs(tmp_path: Path) -> None:
    spec = _task(tmp_path, TASK.replace("return x > 0, None", "return x > 0"))
    out = taskspec.run_reference(spec, taskspec.generate_inputs(spec, 3))
    assert set(out) == {"mask"}


def test_compare_key_must_be_a_bool(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="compare must be true or false"):
        _task(tmp_path, TASK.replace("compare = false", 'compare = "no"'))


def test_every_output_not_compared_is_rejected(tmp_path: Path) -> None:
    text = TASK.replace('dtype = "bool" }', 'dtype = "bool", compare = false }')
    with pytest.raises(TaskError, match="every output is marked not compared"):
        _task(tmp_path, text)


def test_inputs_cannot_be_marked_not_compared(tmp_path: Path) -> None:
    text = TASK.replace('{ name = "x", shape = [256], dtype = "float32" }',
                        '{ name = "x", shape = [256], dtype = "float32", compare = false }')
    with pytest.raises(TaskError, match="only outputs"):
        _task(tmp_path, text)
