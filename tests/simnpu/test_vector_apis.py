"""Vector-side APIs of issue 12 against numpy expectations of their documented semantics (Atlas A2), and their
hardware checks: Tanh/Sigmoid, ShiftLeft/ShiftRight, Gather/Gatherb, Brcb, BlockReduce*, PairReduceSum, counter
mode, the CMPMASK register, Copy, CompareScalar, LocalTensor(pos, addr, len), TBuf/TQue forms, atomic GM stores,
SetPadValue, TPipe event ids, and UNSUPPORTED_API for a documented API the twin does not model."""

from __future__ import annotations

import numpy as np
import pytest

from hawk.v1 import result_pb2 as S
from tests.simnpu.helpers import kernel_source, marked_line, run_task, task, tensor

N = 256
OUTPUTS = [  # (name, size, dtype) in the order of the vec_apis entry's arguments
    ("tanh_f", N, "float32"), ("tanh_h", N, "float16"), ("sigmoid", N, "float32"), ("shl", N, "int16"),
    ("shr_round", N, "int16"), ("shr_u32", N, "int32"), ("gather", N, "float32"), ("gather_mask", N, "float32"),
    ("gatherb", 64, "int32"), ("brcb", N, "float32"), ("block_sum", 64, "float32"), ("block_max_h", 16, "float16"),
    ("block_min", 32, "float32"), ("pair_sum", 128, "float32"), ("counter_add", N, "float32"),
    ("sel_cmpmask", 64, "float32"), ("cmpmask_bits", 32, "uint8"), ("sel_scalar_reg", 64, "float32"),
    ("copy", N, "float32"), ("cmp_scalar", 32, "uint8"), ("raw", 64, "float32"), ("tbuf", 64, "float32"),
    ("atomic_add", 64, "float32"), ("atomic_max", 64, "float32"), ("pad_value", 8, "float32"),
    ("events", 8, "int32"),
]


@pytest.fixture(scope="module")
def vec(twin):
    spec = task("vec_apis", [tensor("a", [N], "float32"), tensor("h", [N], "float16"), tensor("s16", [N], "int16"),
                             tensor("u32", [N], "int32"), tensor("idx", [N], "int32"), tensor("boff", [8], "int32")],
                [tensor(n, [s], d) for n, s, d in OUTPUTS])
    rng = np.random.default_rng(12)
    inputs = {
        "a": rng.uniform(-2, 2, N).astype(np.float32),
        "h": rng.uniform(-3, 3, N).astype(np.float16),
        "s16": rng.integers(-32768, 32768, N).astype(np.int16),
        "u32": rng.integers(-2**31, 2**31, N).astype(np.int32),
        "idx": (rng.integers(0, 250, N) * 4).astype(np.int32),
        "boff": (rng.permutation(32)[:8] * 32).astype(np.int32),
    }
    r, ins = run_task(twin, kernel_source("vec_apis.cpp"), spec, inputs=inputs)
    assert r.status == S.OK, f"{r.message}\n{r.log_tail}"
    return r.outputs, ins


def _tree_sum(x: np.ndarray) -> np.ndarray:
    """Pairwise (binary-tree) sums along the last axis, each step rounded to the dtype (BlockReduceSum's order)."""
    while x.shape[-1] > 1:
        x = x[..., 0::2] + x[..., 1::2]
    return x[..., 0]


def test_tanh_and_sigmoid(vec) -> None:
    o, i = vec
    a, h = i["a"], i["h"]
    np.testing.assert_allclose(o["tanh_f"], np.tanh(a.astype(np.float64)), rtol=1e-6)
    np.testing.assert_allclose(o["tanh_h"].astype(np.float32), np.tanh(h.astype(np.float32)), atol=1e-3)
    np.testing.assert_allclose(o["sigmoid"], 1 / (1 + np.exp(-a.astype(np.float64))), rtol=1e-6)


def test_shifts(vec) -> None:
    o, i = vec
    s = i["s16"]
    su = s.view(np.uint16).astype(np.uint32)
    want_shl = ((su & 0x8000) | ((su << 3) & 0x7FFF)).astype(np.uint16).view(np.int16)  # the sign bit stays
    np.testing.assert_array_equal(o["shl"], want_shl)
    s32 = s.astype(np.int32)
    np.testing.assert_array_equal(o["shr_round"], ((s32 >> 2) + ((s32 >> 1) & 1)).astype(np.int16))
    np.testing.assert_array_equal(o["shr_u32"].view(np.uint32), i["u32"].view(np.uint32) >> 5)


def test_gather_and_gatherb(vec) -> None:
    o, i = vec
    a, idx = i["a"], i["idx"]
    np.testing.assert_array_equal(o["gather"], a[idx // 4])
    want = np.zeros(N, np.float32).reshape(4, 64)
    want[:, :32] = a[(16 + idx.reshape(4, 64)[:, :32]) // 4]
    np.testing.assert_array_equal(o["gather_mask"], want.ravel())
    u = i["u32"].view(np.uint32)
    want_b = np.concatenate([u[b // 4: b // 4 + 8] for b in i["boff"]])
    np.testing.assert_array_equal(o["gatherb"].view(np.uint32), want_b)


def test_brcb_and_block_reductions(vec) -> None:
    o, i = vec
    a, h = i["a"], i["h"]
    np.testing.assert_array_equal(o["brcb"], np.repeat(a[:32], 8))
    np.testing.assert_array_equal(o["block_sum"][:32], _tree_sum(a.reshape(32, 8)))
    assert (o["block_sum"][32:] == -7).all()
    np.testing.assert_array_equal(o["block_max_h"], h.reshape(16, 16).max(axis=1))
    bm = o["block_min"].reshape(2, 16)  # dstRepStride 2: each repeat's 8 results 16 floats apart
    mins = a[:128].reshape(2, 8, 8).min(axis=2)
    np.testing.assert_array_equal(bm[:, 0:8:2], mins[:, 0::2])
    assert (bm[:, 1:8:2] == -7).all() and (bm[:, 8:] == -7).all()  # blocks with no active element: not written
    np.testing.assert_array_equal(o["pair_sum"], a[0::2] + a[1::2])


def test_counter_mode_derives_the_repeats(vec) -> None:
    o, i = vec
    want = np.zeros(N, np.float32)
    want[:200] = i["a"][:200] * 2
    np.testing.assert_array_equal(o["counter_add"], want)


def test_cmpmask_register_and_select_forms(vec) -> None:
    o, i = vec
    a = i["a"][:64]
    np.testing.assert_array_equal(o["sel_cmpmask"], np.where(a < 0, a, 0))
    np.testing.assert_array_equal(o["cmpmask_bits"][:8], np.packbits(a < 0, bitorder="little"))
    assert (o["cmpmask_bits"][8:16] == 0).all()
    np.testing.assert_array_equal(o["sel_scalar_reg"], np.where(a > 0, a, np.float32(2.5)))
    np.testing.assert_array_equal(o["cmp_scalar"], np.packbits(i["a"] > 0.5, bitorder="little"))


def test_copy_raw_tensor_and_tbuf_forms(vec) -> None:
    o, i = vec
    a = i["a"]
    want = np.zeros((4, 64), np.float32)
    want[:, :32] = a.reshape(4, 64)[:, :32]
    np.testing.assert_array_equal(o["copy"], want.ravel())
    np.testing.assert_array_equal(o["raw"], a[:64] * 2)
    np.testing.assert_array_equal(o["tbuf"], (a[:64] + np.float32(1)) * np.float32(3))


def test_atomic_stores_pad_value_and_event_ids(vec) -> None:
    o, i = vec
    a = i["a"][:64]
    np.testing.assert_array_equal(o["atomic_add"], a + np.float32(1))
    np.testing.assert_array_equal(o["atomic_max"], np.maximum(a, np.float32(0.5)))
    np.testing.assert_array_equal(o["pad_value"], np.concatenate([i["a"][:5], [7, 7, 7]]).astype(np.float32))
    assert o["events"].tolist() == [0, 0, 1, 2, 0, 0, 0, 0]


FAULTS = [  # (mode, kind, api, marker)
    (0, "INVALID_PARAMETER", "ShiftLeft", "FAULT shift"),
    (1, "UNSUPPORTED_DTYPE", "Gatherb", "FAULT gatherb dtype"),
    (2, "MISALIGNED_ADDRESS", "BlockReduceSum", "FAULT block reduce"),
    (4, "UNSUPPORTED_DTYPE", "SetAtomic", "FAULT atomic"),
    (5, "INVALID_PARAMETER", "Brcb", "FAULT brcb"),
    (6, "INVALID_PARAMETER", "SetFlag", "FAULT event ids"),
    (7, "MISALIGNED_ADDRESS", "Gatherb", "FAULT gatherb offset"),
    (8, "UB_OUT_OF_BOUNDS", "Duplicate", "FAULT raw tensor"),
]


def _run_fault(twin, mode: int):
    spec = task("vec_faults", [tensor("mode", [8], "int32")], [tensor("y", [8], "float32")])
    source = kernel_source("vec_faults.cpp")
    r, _ = run_task(twin, source, spec, inputs={"mode": np.full(8, mode, np.int32)})
    return r, source


@pytest.mark.parametrize("mode,kind,api,marker", FAULTS)
def test_hardware_checks(twin, mode: int, kind: str, api: str, marker: str) -> None:
    r, source = _run_fault(twin, mode)
    assert r.status == S.HARDWARE_EXCEPTION, f"{S.Status.Name(r.status)}: {r.message}\n{r.log_tail}"
    e = r.exception
    assert (e.kind, e.api) == (kind, api), e.message
    assert e.source_line == marked_line(source, marker)


def test_documented_but_unmodelled_api_is_unsupported_api(twin) -> None:
    r, _ = _run_fault(twin, 3)
    assert r.status == S.HARDWARE_EXCEPTION, f"{S.Status.Name(r.status)}: {r.message}\n{r.log_tail}"
    assert r.exception.kind == "UNSUPPORTED_API" and "Erf" in r.exception.message


def test_local_tensor_operator_overloads(twin) -> None:
    spec = task("vec_operators", [tensor("a", [64], "float32"), tensor("b", [64], "float32")],
                [tensor("y", [256], "float32"), tensor("m", [32], "uint8")])
    rng = np.random.default_rng(3)
    a, b = rng.uniform(-2, 2, 64).astype(np.float32), rng.uniform(0.5, 2, 64).astype(np.float32)
    r, _ = run_task(twin, kernel_source("vec_operators.cpp"), spec, inputs={"a": a, "b": b})
    assert r.status == S.OK, f"{r.message}\n{r.log_tail}"
    np.testing.assert_array_equal(r.outputs["y"], np.concatenate([a + b, a - b, a * b, a / b]))
    np.testing.assert_array_equal(r.outputs["m"][:8], np.packbits(a < b, bitorder="little"))
