"""Task files: dims and size expressions, work, resizing, clear errors, and the verification protocol."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hawk.v1 import task_pb2
from npu_agent import taskspec
from npu_agent.taskspec import TaskError, load_task_file

GOOD = '''
[[task]]
name = "scale_rows"
category = "elementwise"
dims = { M = 64, N = 48 }
test_dims = { M = 4 }
inputs = [
  { name = "x", shape = ["M", "N"], dtype = "float32", distribution = { kind = "normal", mean = 1.0, std = 2.0 } },
  { name = "s", shape = ["M", 1], dtype = "fp32", distribution = { kind = "uniform", low = 0.5, high = 2.0 } },
]
outputs = [{ name = "z", shape = ["M", "N"], dtype = "float32" }]
reference = """
def reference(x, s):
    return x * s
"""
kernel_entry = "scale_custom"
attributes = { eps = 1e-5 }
[task.work]
gm_bytes = "M*N*4*2 + M*4"
vector_element_ops = "M*N"
vector_dtype = "float32"
'''


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "tasks.toml"
    p.write_text(text)
    return p


def test_dims_shapes_and_work(tmp_path: Path) -> None:
    (t,) = load_task_file(_write(tmp_path, GOOD))
    assert list(t.spec.inputs[0].shape) == [64, 48] and list(t.spec.inputs[1].shape) == [64, 1]
    assert t.spec.work.gm_bytes == 64 * 48 * 8 + 256 and t.spec.work.vector_element_ops == 64 * 48
    assert t.spec.work.vector_dtype == task_pb2.FLOAT32
    assert t.dims == {"M": 64, "N": 48} and t.test_dims == {"M": 4, "N": 48}
    assert t.spec.attributes["eps"] == "1e-05"
    small = t.reduced()
    assert small.name == t.name and list(small.spec.outputs[0].shape) == [4, 48]
    assert small.spec.work.vector_element_ops == 4 * 48 and small.hash != t.hash
    assert list(t.with_dims(N=5).spec.inputs[0].shape) == [64, 5]


@pytest.mark.parametrize("patch, needle", [
    (('shape = ["M", 1]', 'shape = ["K", 1]'), "inputs[1].shape[0]: unknown dim 'K'"),
    (('shape = ["M", 1]', 'shape = ["M", "__import__(1)"]'), "is not a size expression"),
    (("test_dims = { M = 4 }", "test_dims = { Q = 4 }"), "test_dims.Q is not one of dims"),
    (("dims = { M = 64, N = 48 }", "dims = { M = 0, N = 48 }"), "dims.M must be a positive integer"),
    (('vector_dtype = "float32"', 'vector_dtype = "float99"'), "work.vector_dtype: unknown dtype"),
    (('vector_dtype = "float32"\n', ""), "work.vector_dtype is required"),
    (('gm_bytes = "M*N*4*2 + M*4"', 'gm_bites = 3'), "work: unknown keys ['gm_bites']"),
    (('kind = "normal"', 'kind = "poisson"'), "distribution.kind 'poisson'"),
    (("low = 0.5, high = 2.0", "low = 2.0, high = 0.5"), "high must be greater than low"),
    (("mean = 1.0", 'mean = "one"'), "distribution.mean must be a number"),
    (('kernel_entry = "scale_custom"', 'kernel_entry = "scale-custom"'), "kernel_entry 'scale-custom' is not a C"),
    (('category = "elementwise"', 'categroy = "x"'), "unknown keys ['categroy']"),
    (('dtype = "fp32"', 'dtype = "complex"'), "unknown dtype 'complex'"),
    (('reference = """', 'reference_entry = "ref"\nreference = """'), "defines no function 'ref'"),
])
def test_bad_task_names_the_field(tmp_path: Path, patch: tuple[str, str], needle: str) -> None:
    text = GOOD.replace(*patch)
    assert text != GOOD
    with pytest.raises(TaskError) as err:
        (t,) = load_task_file(_write(tmp_path, text))
        taskspec.reference_function(t.spec)
    assert needle in str(err.value)


def test_missing_kernel_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="baseline file .* does not exist"):
        load_task_file(_write(tmp_path, GOOD.replace('kernel_entry = "scale_custom"',
                                                     'kernel_entry = "scale_custom"\nbaseline = "nope.cpp"')))
    with pytest.raises(TaskError, match="no \\[\\[task\\]\\] tables"):
        load_task_file(_write(tmp_path, "x = 1\n"))
    with pytest.raises(TaskError, match="does not exist"):
        load_task_file(tmp_path / "missing.toml")


def _spec(tmp_path: Path) -> task_pb2.TaskSpec:
    (t,) = load_task_file(_write(tmp_path, GOOD))
    return t.reduced().spec


def test_verify_passes_a_correct_candidate_on_fresh_sets(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    seen: list[float] = []

    def run(inputs: dict[str, np.ndarray], outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        assert np.isnan(outputs["z"]).all()  # poisoned
        seen.append(float(inputs["x"][0, 0]))
        outputs["z"][...] = inputs["x"] * inputs["s"]
        return outputs

    reports = taskspec.verify(spec, run, taskspec.fresh_seeds(3))
    assert len(reports) == 3 and all(r.mismatch_count == 0 for r in reports)
    assert len(set(seen)) == 3  # three different input sets


def test_verify_catches_unwritten_elements_nan_and_in_place_tricks(tmp_path: Path) -> None:
    spec = _spec(tmp_path)

    def skips_last_row(inputs, outputs):
        outputs["z"][:-1] = (inputs["x"] * inputs["s"])[:-1]
        return outputs

    (r,) = taskspec.verify(spec, skips_last_row, [1, 2])
    assert r.mismatch_count == spec.outputs[0].shape[1] and r.non_finite

    def emits_inf(inputs, outputs):
        outputs["z"][...] = inputs["x"] * inputs["s"]
        outputs["z"][0, 0] = np.inf
        return outputs

    (r,) = taskspec.verify(spec, emits_inf, [3])
    assert r.mismatch_count == 1 and r.first_mismatch_index == 0

    def in_place(inputs, outputs):
        inputs["x"][...] = 0.0  # overwrite the candidate's input copy, then "compute" zeros
        outputs["z"][...] = 0.0
        return outputs

    (r,) = taskspec.verify(spec, in_place, [4])
    assert r.mismatch_count > 0  # the reference saw the real inputs
