"""The comparison's fast paths give the exact float64 rule's verdict, and input generation is deterministic.

compare() passes bit-identical outputs without arithmetic and checks floats in float32 with a margin, re-checking
doubtful elements in float64; the full report is built only on failure. These tests hold it against the exact
float64 report (taskspec._full_report, the rule as it always was) on outputs made to sit at the tolerance edge.
"""

from __future__ import annotations

import numpy as np
import pytest

from hawk.v1 import task_pb2
from npu_agent import taskspec

FLOATS = [task_pb2.FLOAT16, task_pb2.BFLOAT16, task_pb2.FLOAT32]


def spec(dtype: int, n: int = 4096, atol: float | None = None, rtol: float | None = None) -> task_pb2.TaskSpec:
    s = task_pb2.TaskSpec(
        name="cmp", kernel_entry="k", reference_source="def reference(x):\n    return x\n", reference_entry="reference",
        inputs=[task_pb2.TensorSpec(name="x", shape=[n], dtype=dtype)],
        outputs=[task_pb2.TensorSpec(name="z", shape=[n], dtype=dtype)])
    if atol is not None:
        s.tolerances.append(task_pb2.Tolerance(dtype=dtype, atol=atol, rtol=rtol or 0.0))
    return s


def exact(s: task_pb2.TaskSpec, e: np.ndarray, a: np.ndarray):
    t = s.outputs[0]
    return taskspec._full_report(t, e, a, *taskspec.tolerance(s, t.dtype), 0, [])


def encode(values, dtype: int) -> np.ndarray:
    return taskspec.from_compute(np.asarray(values, np.float32), dtype)


def edge_pair(dtype: int, rng: np.random.Generator, n: int, atol: float, rtol: float) -> tuple[np.ndarray, np.ndarray]:
    """Reference values and outputs whose error is within a few ulps of atol + rtol*|e| (either side)."""
    e = rng.uniform(-4, 4, n).astype(np.float32)
    e[::7] = rng.uniform(-1e-3, 1e-3, len(e[::7]))  # small values: atol dominates
    thr = atol + rtol * np.abs(e.astype(np.float64))
    a = e + np.sign(rng.uniform(-1, 1, n)) * thr * rng.uniform(0.999, 1.001, n)
    return encode(e, dtype), encode(a, dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("tol", [(1e-2, 1e-2), (1e-4, 1e-4), (0.0, 1e-3), (1e-3, 0.0), (0.0, 0.0)])
def test_the_fast_verdict_is_the_exact_one_at_the_tolerance_edge(dtype: int, tol: tuple[float, float]) -> None:
    rng = np.random.default_rng(11)
    s = spec(dtype, atol=tol[0], rtol=tol[1])
    for trial in range(12):
        e, a = edge_pair(dtype, rng, 4096, *tol)
        if trial % 3 == 0:  # only a handful of elements differ at all: most are bit-identical
            keep = rng.uniform(0, 1, e.size) < 0.995
            a = np.where(keep, e, a)
        fast, ref = taskspec.compare(s, {"z": e}, {"z": a}), exact(s, e, a)
        assert fast.mismatch_count == ref.mismatch_count
        if ref.mismatch_count:  # a failure carries the exact report, field for field
            assert fast == ref
        else:
            assert fast.max_abs_error == pytest.approx(ref.max_abs_error, rel=1e-6, abs=1e-12)
            assert fast.first_mismatch_index == -1


@pytest.mark.parametrize("dtype", FLOATS)
def test_non_finite_values_keep_their_verdicts(dtype: int) -> None:
    s = spec(dtype, n=8)

    def enc(v) -> np.ndarray:
        return encode(v, dtype)

    e = enc([1.0, np.nan, np.inf, -np.inf, 0.0, -0.0, 2.0, 3.0])
    same = enc([1.0, np.nan, np.inf, -np.inf, -0.0, 0.0, 2.0, 3.0])  # NaN matches NaN, inf inf, -0 == 0
    r = taskspec.compare(s, {"z": e}, {"z": same})
    assert r.mismatch_count == 0 and r.max_abs_error == 0.0 and not r.non_finite
    for bad, idx, non_finite in (([1.0, np.nan, np.inf, -np.inf, 0.0, 0.0, np.nan, 3.0], 6, True),
                                 ([1.0, 0.0, np.inf, -np.inf, 0.0, 0.0, 2.0, 3.0], 1, False),
                                 ([1.0, np.nan, -np.inf, -np.inf, 0.0, 0.0, 2.0, 3.0], 2, False),
                                 ([1.0, np.nan, np.inf, -np.inf, 0.0, 0.0, 2.0, np.inf], 7, True)):
        r = taskspec.compare(s, {"z": e}, {"z": enc(bad)})
        assert r == exact(s, e, enc(bad))
        assert r.mismatch_count == 1 and r.first_mismatch_index == idx and r.non_finite == non_finite


def test_a_nan_payload_other_than_the_references_still_matches() -> None:
    s = spec(task_pb2.FLOAT16, n=4)
    e = np.array([np.nan, 1, 2, 3], np.float16)
    a = e.copy()
    a.view(np.uint16)[0] = 0x7E01  # another quiet NaN: not bit-identical, still NaN
    assert taskspec.compare(s, {"z": e}, {"z": a}).mismatch_count == 0


def test_a_failure_report_names_the_first_index_the_count_and_the_max_error() -> None:
    s = spec(task_pb2.FLOAT16, n=1 << 17)  # two comparison chunks
    e = np.linspace(-1, 1, 1 << 17).astype(np.float16)
    a = e.copy()
    a[70000] += np.float16(0.5)
    a[100000] -= np.float16(0.25)
    r = taskspec.compare(s, {"z": e}, {"z": a}, set_index=2)
    assert (r.mismatch_count, r.first_mismatch_index, r.set_index, r.element_count) == (2, 70000, 2, 1 << 17)
    assert r.max_abs_error == pytest.approx(0.5, abs=1e-3)
    assert r.first_expected == float(e[70000]) and r.first_actual == float(a[70000])


def test_bools_and_integers_compare_exactly_as_bytes() -> None:
    s = task_pb2.TaskSpec(name="b", kernel_entry="k", reference_source="x", reference_entry="r",
                          outputs=[task_pb2.TensorSpec(name="m", shape=[4], dtype=task_pb2.BOOL),
                                   task_pb2.TensorSpec(name="i", shape=[4], dtype=task_pb2.INT32)])
    e = {"m": np.array([1, 0, 1, 0], np.bool_), "i": np.array([1, 2, 3, 4], np.int32)}
    assert taskspec.compare(s, e, {k: v.copy() for k, v in e.items()}).mismatch_count == 0
    unwritten = np.array([1, 0, 1, 0], np.uint8)
    unwritten[2] = 0xFF
    r = taskspec.compare(s, e, {"m": unwritten.view(np.bool_), "i": e["i"]})
    assert (r.output_name, r.mismatch_count, r.first_mismatch_index) == ("m", 1, 2)
    r = taskspec.compare(s, e, {"m": e["m"], "i": np.array([1, 2, 3, 5], np.int32)})
    assert (r.output_name, r.mismatch_count, r.first_mismatch_index) == ("i", 1, 3)


# ------------------------------------------------------------------------------------------- generation
def gen_spec() -> task_pb2.TaskSpec:
    d = task_pb2.Distribution
    return task_pb2.TaskSpec(name="g", kernel_entry="k", reference_source="x", reference_entry="r", inputs=[
        task_pb2.TensorSpec(name="h", shape=[300, 301], dtype=task_pb2.FLOAT16,
                            distribution=d(kind=d.UNIFORM, low=-2, high=3)),
        task_pb2.TensorSpec(name="b", shape=[70001], dtype=task_pb2.BFLOAT16,
                            distribution=d(kind=d.NORMAL, mean=1.0, std=0.5)),
        task_pb2.TensorSpec(name="f", shape=[70001], dtype=task_pb2.FLOAT32),
        task_pb2.TensorSpec(name="i8", shape=[5000], dtype=task_pb2.INT8,
                            distribution=d(kind=d.INTEGERS, low=-128, high=128)),
        task_pb2.TensorSpec(name="u8", shape=[5000], dtype=task_pb2.UINT8,
                            distribution=d(kind=d.INTEGERS, low=0, high=1000)),  # wraps, as always
        task_pb2.TensorSpec(name="m", shape=[5000], dtype=task_pb2.BOOL),
    ])


def test_generation_is_deterministic_in_storage_dtypes_and_in_range() -> None:
    s = gen_spec()
    one, two, other = (taskspec.generate_inputs(s, seed) for seed in (5, 5, 6))
    for t in s.inputs:
        assert one[t.name].dtype == taskspec.storage_dtype(t.dtype) and one[t.name].shape == tuple(t.shape)
        assert np.array_equal(one[t.name].view(np.uint8), two[t.name].view(np.uint8)), t.name
        assert not np.array_equal(one[t.name], other[t.name]), t.name
    h = one["h"].astype(np.float32)
    assert h.min() >= -2 and h.max() <= 3 and h.min() < -1.9 and h.max() > 2.9
    assert abs(float(h.mean()) - 0.5) < 0.05
    b = taskspec.bf16_bits_to_f32(one["b"])
    assert abs(float(b.mean()) - 1.0) < 0.02 and abs(float(b.std()) - 0.5) < 0.02
    f = one["f"]
    assert f.min() >= -1 and f.max() <= 1 and len(np.unique(f)) > 60000
    assert one["i8"].min() == -128 and one["i8"].max() == 127
    assert one["u8"].dtype == np.uint8 and len(np.unique(one["u8"])) > 200
    assert set(np.unique(one["m"].view(np.uint8))) == {0, 1}
