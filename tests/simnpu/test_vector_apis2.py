"""Vector APIs of issue 12, round 2, against numpy expectations of their documented A2 semantics: CreateVecIndex,
the compound ops (AddRelu, SubRelu, FusedMulAdd, MulAddRelu, MulAddDst, mixed Axpy), ReduceDataBlock and the sort
family (Sort32, MrgSort, GetMrgSortResult, high-level Sort/Extract, GetSortLen/GetSortOffset); the
region-proposal sorts of older SoCs are UNSUPPORTED_API on A2."""

from __future__ import annotations

import numpy as np
import pytest

from hawk.v1 import result_pb2 as S
from tests.simnpu.helpers import kernel_source, run_task, task, tensor

N = 256
INPUTS = [("a", "float32"), ("a2", "float32"), ("b", "float32"), ("h", "float16"), ("h2", "float16"),
          ("s1", "int16"), ("s2", "int16"), ("idx", "int32")]
OUTPUTS = [  # (name, size, dtype) in the order of the vec_apis2 entry's arguments
    ("index_i16", 128, "int16"), ("index_mask", N, "float32"), ("add_relu", N, "float16"),
    ("sub_relu", N, "int16"), ("fma", N, "float32"), ("muladd_relu", N, "float32"), ("muladd_dst", 64, "float32"),
    ("axpy_mixed", 64, "float32"), ("rdb_sum", 32, "float32"), ("rdb_max", 16, "float16"), ("sort32", 128, "float32"),
    ("mrgsort", N, "float32"), ("mrg_exhausted", 128, "float32"), ("counts", 8, "int32"),
    ("sorted_val", 128, "float32"), ("sorted_idx", 128, "int32"),
]


@pytest.fixture(scope="module")
def vec(twin):
    spec = task("vec_apis2", [tensor(n, [N], d) for n, d in INPUTS], [tensor(n, [s], d) for n, s, d in OUTPUTS])
    rng = np.random.default_rng(21)
    inputs = {
        "a": rng.integers(-20, 20, N).astype(np.float32),  # ties: the sorts must keep the input order
        "a2": rng.uniform(-2, 2, N).astype(np.float32),
        "b": rng.uniform(-2, 2, N).astype(np.float32),
        "h": rng.uniform(-4, 4, N).astype(np.float16),
        "h2": rng.uniform(-4, 4, N).astype(np.float16),
        "s1": rng.integers(-32768, 32768, N).astype(np.int16),
        "s2": rng.integers(-32768, 32768, N).astype(np.int16),
        "idx": np.arange(N, dtype=np.int32) * 3,
    }
    r, ins = run_task(twin, kernel_source("vec_apis2.cpp"), spec, inputs=inputs)
    assert r.status == S.OK, f"{r.message}\n{r.log_tail}"
    return r.outputs, ins


def _pairs(scores: np.ndarray, index: np.ndarray) -> np.ndarray:
    """(score, index) pairs of a descending stable sort, as float32 words."""
    order = np.argsort(-scores.astype(np.float64), kind="stable")
    out = np.zeros(2 * scores.size, np.float32)
    out[0::2] = scores[order]
    out[1::2] = index[order].astype(np.int32).view(np.float32)
    return out


def test_create_vec_index(vec) -> None:
    o, _ = vec
    np.testing.assert_array_equal(o["index_i16"], np.arange(-5, 123, dtype=np.int16))
    want = np.full(N, -1.0, np.float32)
    for r in range(2):
        for i in range(32):
            want[(r * 16 + (i // 8) * 2) * 8 + i % 8] = 2 + r * 64 + i
    np.testing.assert_array_equal(o["index_mask"], want)


def test_compound_ops(vec) -> None:
    o, i = vec
    a, a2, b, h, h2 = i["a"], i["a2"], i["b"], i["h"], i["h2"]
    np.testing.assert_array_equal(o["add_relu"], np.maximum(h + h2, np.float16(0)))
    d = (i["s1"].astype(np.int32) - i["s2"].astype(np.int32)).astype(np.int16)  # wraps, then relu
    np.testing.assert_array_equal(o["sub_relu"], np.maximum(d, 0))
    np.testing.assert_allclose(o["fma"], a.astype(np.float64) * a2 + b, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(o["muladd_relu"], np.maximum(a.astype(np.float64) * a2 + b, 0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(o["muladd_dst"], h[:64].astype(np.float64) * h2[:64] + 1, rtol=1e-6)
    np.testing.assert_allclose(o["axpy_mixed"], a[:64] + 2 * h[:64].astype(np.float64), rtol=1e-6)


def test_reduce_data_block(vec) -> None:
    o, i = vec
    np.testing.assert_allclose(o["rdb_sum"], i["a"].reshape(32, 8).sum(axis=1), rtol=1e-6)
    np.testing.assert_array_equal(o["rdb_max"], i["h"].reshape(16, 16).max(axis=1))


def test_sort32_and_mrgsort(vec) -> None:
    o, i = vec
    a, idx = i["a"], i["idx"]
    want = np.concatenate([_pairs(a[r * 32:(r + 1) * 32], idx[r * 32:(r + 1) * 32]) for r in range(2)])
    np.testing.assert_array_equal(o["sort32"].view(np.int32), want.view(np.int32))
    np.testing.assert_array_equal(o["mrgsort"].view(np.int32), _pairs(a[:128], idx[:128]).view(np.int32))


def test_mrgsort_exhausted_suspension(vec) -> None:
    o, i = vec
    a, idx = i["a"], i["idx"]
    q = [list(_pairs(a[r * 32:(r + 1) * 32], idx[r * 32:(r + 1) * 32]).reshape(32, 2)) for r in range(2)]
    out, pos = [], [0, 0]
    while True:  # the lower queue wins ties; stop when a queue runs out
        best = 0 if q[1][pos[1]][0] <= q[0][pos[0]][0] else 1
        out.append(q[best][pos[best]])
        pos[best] += 1
        if pos[best] == 32:
            break
    want = np.zeros(128, np.float32)
    want[:2 * len(out)] = np.concatenate(out)
    np.testing.assert_array_equal(o["mrg_exhausted"].view(np.int32), want.view(np.int32))
    np.testing.assert_array_equal(o["counts"], [pos[0], pos[1], pos[0], pos[1], 256, 12, 0, 0])


def test_high_level_sort_and_extract(vec) -> None:
    o, i = vec
    p = _pairs(i["a"][:128], i["idx"][:128])
    np.testing.assert_array_equal(o["sorted_val"], p[0::2])
    np.testing.assert_array_equal(o["sorted_idx"], p[1::2].view(np.int32))


def test_region_proposal_sort_is_not_on_a2(twin) -> None:
    source = """#include "kernel_operator.h"
using namespace AscendC;
extern "C" __global__ __aicore__ void rp(GM_ADDR x, GM_ADDR y)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 1024);
    LocalTensor<half> t = buf.Get<half>();
    ProposalConcat(t, t, 1, 4);  // MARK
}
"""
    spec = task("rp", [tensor("x", [16], "float16")], [tensor("y", [16], "float16")])
    r, _ = run_task(twin, source, spec)
    assert r.status == S.HARDWARE_EXCEPTION, f"{S.Status.Name(r.status)}: {r.message}\n{r.log_tail}"
    assert r.exception.kind == "UNSUPPORTED_API" and "ProposalConcat" in r.exception.message
    assert "A2" in r.exception.message


def test_sigmoid_with_overlapping_src_and_dst_warns_and_follows_the_library_order(twin) -> None:
    """Sigmoid's src and dst may not overlap (documented). A kernel that overlaps them (a TBuf::GetWithOffset
    offset given in elements instead of bytes) gets what the A2 library's in-place sequence computes, Muls(dst,
    src, -1) then Exp/Adds/Div on dst, and a warning naming the overlap."""
    source = """#include "kernel_operator.h"
using namespace AscendC;
extern "C" __global__ __aicore__ void sig_overlap(GM_ADDR x, GM_ADDR y)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 4 * 256);
    GlobalTensor<float> xg, yg;
    xg.SetGlobalBuffer((__gm__ float *)x, 128);
    yg.SetGlobalBuffer((__gm__ float *)y, 128);
    LocalTensor<float> src = buf.Get<float>(128);
    LocalTensor<float> dst = buf.GetWithOffset<float>(128, 256);  // 256 bytes: 64 floats past src
    DataCopy(src, xg, 128);
    PipeBarrier<PIPE_ALL>();
    Sigmoid(dst, src, 128);
    PipeBarrier<PIPE_ALL>();
    DataCopy(yg, dst, 128);
}
"""
    x = np.random.default_rng(5).uniform(-3, 3, 128).astype(np.float32)
    spec = task("sig_overlap", [tensor("x", [128], "float32")], [tensor("y", [128], "float32")])
    r, _ = run_task(twin, source, spec, inputs={"x": x})
    assert r.status == S.OK, f"{r.message}\n{r.log_tail}"
    mem = np.zeros(192)
    mem[:128] = x
    for k in range(128):  # the first pass, in element order, reads what it already wrote
        mem[64 + k] = -mem[k]
    np.testing.assert_allclose(r.outputs["y"], 1 / (1 + np.exp(mem[64:])), rtol=1e-6)
    assert any("overlap" in w and "Sigmoid" in w for w in r.warnings)
