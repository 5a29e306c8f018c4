"""Vector, data-movement and cube APIs in their count and mask/repeat forms against numpy, and the documented
silent behaviours (DataCopy truncation, Compare's skipped tail, stale AllocTensor memory)."""

from __future__ import annotations

import numpy as np
import pytest

from hawk.v1 import result_pb2
from npu_agent import taskspec
from tests.simnpu.helpers import kernel_source, run_task, task, tensor

N = 256
OUTPUTS = [  # (name, shape, dtype) in the order of the api_zoo entry's arguments
    ("sub", N, "float32"), ("mul_mask", N, "float32"), ("div", N, "float32"), ("max", N, "float32"),
    ("mins", N, "float32"), ("maxs_mask", N, "float32"), ("sqrt_abs", N, "float32"), ("ln1p_abs", N, "float32"),
    ("recip", N, "float32"), ("rsqrt", N, "float32"), ("relu", N, "float32"), ("dup_mask", N, "float32"),
    ("exp_bitmask", N, "float16"), ("cast_floor", N, "float16"), ("cast_round", N, "int32"),
    ("bf16", N, "bfloat16"), ("sel_min", N, "float32"), ("sel_relu", N, "float32"), ("reduce", 8, "float32"),
    ("whole_reduce", 16, "float32"), ("strided", 128, "float32"), ("pad", 10, "float32"), ("trunc", 20, "float16"),
    ("cmp_tail", 32, "uint8"), ("scalar", 8, "float32"), ("stale", 64, "float32"),
]


@pytest.fixture(scope="module")
def zoo(twin):
    spec = task("api_zoo", [tensor("a", [N], "float32"), tensor("b", [N], "float32"), tensor("h", [N], "float16")],
                [tensor(n, [s], d) for n, s, d in OUTPUTS])
    rng = np.random.default_rng(5)
    a = rng.uniform(-2, 2, N).astype(np.float32)
    a[17] = 2.5  # unique max and min for the index checks
    a[200] = -2.5
    inputs = {"a": a, "b": rng.uniform(0.5, 2, N).astype(np.float32), "h": rng.uniform(-2, 2, N).astype(np.float16)}
    r, ins = run_task(twin, kernel_source("api_zoo.cpp"), spec, inputs=inputs)
    assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"
    return r, ins


def _half_floor(x: np.ndarray) -> np.ndarray:
    r = x.astype(np.float16)
    down = r.astype(np.float32) > x
    r[down] = np.nextafter(r[down], np.float16(-np.inf))
    return r


def test_binary_and_scalar_forms(zoo) -> None:
    r, i = zoo
    a, b, o = i["a"], i["b"], r.outputs
    np.testing.assert_array_equal(o["sub"], a - b)
    np.testing.assert_array_equal(o["mul_mask"], a * b)
    np.testing.assert_array_equal(o["div"], a / b)
    np.testing.assert_array_equal(o["max"], np.maximum(a, b))
    np.testing.assert_array_equal(o["mins"], np.minimum(a, np.float32(0.25)))
    np.testing.assert_array_equal(o["maxs_mask"], np.maximum(a, np.float32(-0.25)))


def test_unary_forms(zoo) -> None:
    r, i = zoo
    a, b, o = i["a"], i["b"], r.outputs
    np.testing.assert_allclose(o["sqrt_abs"], np.sqrt(np.abs(a)), rtol=1e-6)
    np.testing.assert_allclose(o["ln1p_abs"], np.log(np.abs(a) + 1), rtol=1e-6)
    np.testing.assert_allclose(o["recip"], 1 / b, rtol=1e-6)
    np.testing.assert_allclose(o["rsqrt"], 1 / np.sqrt(b), rtol=1e-6)
    np.testing.assert_array_equal(o["relu"], np.maximum(a, 0))
    dup = a.copy().reshape(4, 64)
    dup[:, :32] = 3.0
    np.testing.assert_array_equal(o["dup_mask"], dup.ravel())
    want = np.zeros(N, np.float16)
    want[::2] = np.exp(i["h"][::2].astype(np.float32)).astype(np.float16)
    np.testing.assert_allclose(o["exp_bitmask"].astype(np.float32), want.astype(np.float32), rtol=1e-3)
    assert (o["exp_bitmask"][1::2] == 0).all()


def test_casts_with_round_modes(zoo) -> None:
    r, i = zoo
    o = r.outputs
    np.testing.assert_array_equal(o["cast_floor"], _half_floor(i["a"] * np.float32(1000.3)))
    h10 = (i["h"] * np.float16(10)).astype(np.float64)
    np.testing.assert_array_equal(o["cast_round"], (np.sign(h10) * np.floor(np.abs(h10) + 0.5)).astype(np.int32))
    np.testing.assert_array_equal(o["bf16"], taskspec.f32_to_bf16_bits(i["a"]))


def test_compare_select_and_reductions(zoo) -> None:
    r, i = zoo
    a, b, o = i["a"], i["b"], r.outputs
    np.testing.assert_array_equal(o["sel_min"], np.minimum(a, b))
    np.testing.assert_array_equal(o["sel_relu"], np.where(a > 0, a, 0))
    red = o["reduce"]
    assert red[0] == a.max() and red[1] == a.min()
    assert red[2:4].view(np.uint32).tolist() == [17, 200]
    wr = o["whole_reduce"]
    np.testing.assert_array_equal(wr[:4], a.reshape(4, 64).max(axis=1))
    np.testing.assert_allclose(wr[8:12], a.reshape(4, 64).sum(axis=1), rtol=1e-5)
    assert (wr[4:8] == 0).all() and (wr[12:] == 0).all()


def test_data_movement_forms(zoo) -> None:
    r, i = zoo
    a, o = i["a"], r.outputs
    np.testing.assert_array_equal(o["strided"], a.reshape(32, 8)[::2].ravel())
    np.testing.assert_array_equal(o["pad"], a[:10] + 1)
    s = o["scalar"]
    assert s[0] == a[5] and s[1] == a[7] * 2 and s[2] == float(i["h"][1:2].view(np.uint16)[0])


def test_silent_hardware_behaviours(zoo) -> None:
    r, i = zoo
    o = r.outputs
    # DataCopy of 40 bytes moves 32: the last 4 halfs are never written (still the poison NaN).
    np.testing.assert_array_equal(o["trunc"][:16], i["h"][:16])
    assert np.isnan(o["trunc"][16:].astype(np.float32)).all()
    # Compare of 100 floats (400 bytes) compares the first 64 only; the bits after them keep their old ones.
    bits = np.unpackbits(o["cmp_tail"], bitorder="little")
    np.testing.assert_array_equal(bits[:64], (i["a"][:64] < i["b"][:64]).astype(np.uint8))
    assert bits[64:].all()
    # AllocTensor hands back the buffer as the last user left it.
    assert (o["stale"] == 42.0).all()
    assert sum("DataCopy of 20 elements" in w for w in r.warnings) == 2
    assert any("Compare count 100" in w for w in r.warnings)


def test_int8_mmad_accumulates_in_int32(twin) -> None:
    spec = task("mmad_int8", [tensor("a", [16, 32], "int8"), tensor("bt", [16, 32], "int8")],
                [tensor("c", [16, 16], "int32")])
    rng = np.random.default_rng(9)
    inputs = {"a": rng.integers(-128, 128, (16, 32)).astype(np.int8),
              "bt": rng.integers(-128, 128, (16, 32)).astype(np.int8)}
    r, _ = run_task(twin, kernel_source("mmad_int8.cpp"), spec, inputs=inputs)
    assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"
    want = inputs["a"].astype(np.int32) @ inputs["bt"].astype(np.int32).T
    np.testing.assert_array_equal(r.outputs["c"], want)


def test_bf16_vector_arithmetic_is_refused_on_a2_but_cast_is_not(twin) -> None:
    # Covered by the checker test dtype.cpp for Add; here Cast float -> bf16 without a round mode is refused.
    spec = task("cast_none", [tensor("x", [64], "float32")], [tensor("y", [64], "bfloat16")])
    r, _ = run_task(twin, kernel_source("cast_none.cpp"), spec)
    assert r.status == result_pb2.HARDWARE_EXCEPTION
    assert r.exception.kind == "INVALID_PARAMETER" and "CAST_NONE" in r.exception.message
