"""High-level APIs: the Matmul object with MultiCoreMatmulTiling on the host (IterateAll, Iterate + GetTensorC to
GM and to UB, bias, transposed B) and SoftMax with SoftMaxTilingFunc, against numpy."""

from __future__ import annotations

import numpy as np
import pytest

from hawk.v1 import result_pb2
from npu_agent.simnpu.record import read_record
from tests.simnpu.helpers import kernel_source, run_task, task, tensor

M, K, N = 192, 96, 160


def _matmul_task(entry: str, trans_b: bool, bias: bool):
    b = tensor("b", [N, K] if trans_b else [K, N], "float16")
    ins = [tensor("a", [M, K], "float16"), b, tensor("bias", [N if bias else 1], "float32")]
    return task(entry, ins, [tensor("c", [M, N], "float32")])


def _inputs(trans_b: bool, bias: bool) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    i = {"a": rng.uniform(-1, 1, (M, K)).astype(np.float16),
         "b": rng.uniform(-1, 1, (N, K) if trans_b else (K, N)).astype(np.float16)}
    i["bias"] = rng.uniform(-1, 1, N if bias else 1).astype(np.float32)
    return i


def _expect(i: dict[str, np.ndarray], trans_b: bool) -> np.ndarray:
    b = i["b"].astype(np.float64)
    c = i["a"].astype(np.float64) @ (b.T if trans_b else b)
    return c + i["bias"] if i["bias"].size == N else c


@pytest.mark.parametrize("entry,trans_b,bias", [
    ("hl_matmul_all", False, True), ("hl_matmul_all", True, False), ("hl_matmul_iter", True, True),
    ("hl_matmul_iter", False, False)])
def test_matmul_api_to_gm(twin, entry: str, trans_b: bool, bias: bool) -> None:
    spec = _matmul_task(entry, trans_b, bias)
    r, ins = run_task(twin, kernel_source("hl_matmul.cpp"), spec, inputs=_inputs(trans_b, bias))
    assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"
    np.testing.assert_allclose(r.outputs["c"], _expect(ins, trans_b), rtol=1e-4, atol=1e-4)


def test_matmul_api_to_ub_from_vector_code(twin, tmp_path) -> None:
    spec = _matmul_task("hl_matmul_ub", True, True)
    rec = tmp_path / "mm.rec"
    r, ins = run_task(twin, kernel_source("hl_matmul.cpp"), spec, inputs=_inputs(True, True), record_to=rec)
    assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"
    np.testing.assert_allclose(r.outputs["c"], np.maximum(_expect(ins, True), 0), rtol=1e-4, atol=1e-4)
    # The cube work is recorded on the AIC core (MTE2, MTE1, M, FIX), the epilogue on the AIV core.
    e = read_record(rec).entries
    aic = e[e["core"] == 2]
    assert {2, 3, 6, 7} <= set(aic["pipe"].tolist())
    assert 5 in set(e[e["core"] == 1]["pipe"].tolist())


ROWS, COLS = 64, 96


def _softmax(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = x.astype(np.float64)
    mx = x.max(axis=-1, keepdims=True)
    e = np.exp(x - mx)
    s = e.sum(axis=-1, keepdims=True)
    return e / s, np.repeat(mx, 8, axis=1), np.repeat(s, 8, axis=1)


@pytest.mark.parametrize("entry,dtype", [("hl_softmax_f32", "float32"), ("hl_softmax_f16", "float16")])
def test_softmax_api(twin, entry: str, dtype: str) -> None:
    outs = [tensor("y", [ROWS, COLS], dtype), tensor("max", [ROWS, 8], "float32"), tensor("sum", [ROWS, 8], "float32")]
    if dtype == "float32":
        outs.append(tensor("y2", [ROWS, COLS], dtype))
    spec = task(entry, [tensor("x", [ROWS, COLS], dtype)], outs)
    x = np.random.default_rng(11).uniform(-4, 4, (ROWS, COLS)).astype(dtype)
    r, _ = run_task(twin, kernel_source("hl_softmax.cpp"), spec, inputs={"x": x})
    assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"
    y, mx, s = _softmax(x)
    tol = 1e-5 if dtype == "float32" else 1e-3
    np.testing.assert_allclose(r.outputs["y"].astype(np.float64), y, rtol=tol, atol=tol)
    np.testing.assert_allclose(r.outputs["max"], mx, rtol=1e-6)
    np.testing.assert_allclose(r.outputs["sum"], s, rtol=1e-5)
    if dtype == "float32":
        np.testing.assert_allclose(r.outputs["y2"], y, rtol=1e-5, atol=1e-6)
