"""Normalisation and reduction high-level APIs (LayerNorm, LayerNormGrad, LayerNormGradBeta, the [A, R] LayerNorm,
RmsNorm with PopStackBuffer and ShapeInfo, Sum, Broadcast) with their host tiling, against numpy; and two CANN
forms public kernels use: TQue's TBufHandle forms (DeQue() without a template argument) and DataCopyPad with a
four-value brace list."""

from __future__ import annotations

import numpy as np
import pytest

from hawk.v1 import result_pb2
from npu_agent.simnpu.record import API_NAMES, read_record
from tests.simnpu.helpers import kernel_source, run_task, task, tensor

B, S, H = 2, 24, 32
EPS = 1e-5


def _layernorm_task():
    f = "float32"
    ins = [tensor("x", [B, S, H], f), tensor("gamma", [H], f), tensor("beta", [H], f), tensor("dy", [B, S, H], f)]
    outs = [tensor("y", [B, S, H], f), tensor("mean", [B, S], f), tensor("var", [B, S], f),
            tensor("pdx", [B, S, H], f), tensor("pd_gamma", [H], f), tensor("pd_beta", [H], f)]
    return task("hl_layernorm", ins, outs)


def _layernorm_ref(x, gamma, beta, dy):
    """The documented LayerNorm forward and LayerNormGrad/LayerNormGradBeta formulas (float64)."""
    x, g, b, dy = (a.astype(np.float64) for a in (x, gamma, beta, dy))
    mean = x.mean(2, keepdims=True)
    var = ((x - mean) ** 2).mean(2, keepdims=True)
    xm = x - mean
    rs = 1 / np.sqrt(var + EPS)
    pd_xl = dy * g
    pd_var = np.sum(-0.5 * pd_xl * xm * (var + EPS) ** -1.5, axis=2, keepdims=True)
    pd_mean = np.sum(-pd_xl * rs, axis=2, keepdims=True) + pd_var / H * np.sum(-2.0 * xm, axis=2, keepdims=True)
    pd_x = pd_xl * rs + pd_var * 2.0 / H * xm + pd_mean / H
    return {"y": g * xm * rs + b, "mean": mean[..., 0], "var": var[..., 0], "pdx": pd_x,
            "pd_gamma": np.sum(dy * xm * rs, axis=(0, 1)), "pd_beta": dy.sum(axis=(0, 1))}


def test_layernorm_grad_and_grad_beta(twin, tmp_path) -> None:
    rng = np.random.default_rng(5)
    ins = {k: rng.uniform(-3, 3, shape).astype(np.float32)
           for k, shape in (("x", (B, S, H)), ("gamma", (H,)), ("beta", (H,)), ("dy", (B, S, H)))}
    rec = tmp_path / "ln.rec"
    r, _ = run_task(twin, kernel_source("hl_norms.cpp"), _layernorm_task(), inputs=ins, record_to=rec)
    assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"
    for name, want in _layernorm_ref(**ins).items():
        np.testing.assert_allclose(r.outputs[name], want, rtol=1e-5, atol=1e-5, err_msg=name)
    # The library's vector instructions are recorded at the calls' lines, on the vector pipe, once per pass of as
    # many rows as LayerNorm's sharedTmpBuffer holds (some rows, not all: several passes).
    e = read_record(rec).entries
    src = kernel_source("hl_norms.cpp").splitlines()
    ln_line = next(i + 1 for i, s in enumerate(src) if "LayerNorm<float, false>(yL" in s)
    at_ln = e[e["line"] == ln_line]
    apis = {API_NAMES[a] for a in at_ln["api"].tolist()}
    assert {"Muls", "ReduceSum", "Sub", "Mul", "Add", "Brcb"} <= apis
    assert set(at_ln["pipe"].tolist()) == {5}
    assert 1 < (at_ln["api"] == API_NAMES.index("Sub")).sum() < B * S


def test_layernorm_rstd_half(twin) -> None:
    a, r_len = 16, 48
    spec = task("hl_layernorm_rstd", [tensor("x", [a, r_len], "float16"), tensor("gamma", [r_len], "float32"),
                                      tensor("beta", [r_len], "float32")],
                [tensor("y", [a, r_len], "float16"), tensor("mean", [a], "float32"), tensor("rstd", [a], "float32")])
    rng = np.random.default_rng(8)
    ins = {"x": rng.uniform(-2, 2, (a, r_len)).astype(np.float16),
           "gamma": rng.uniform(-1, 1, r_len).astype(np.float32), "beta": rng.uniform(-1, 1, r_len).astype(np.float32)}
    r, _ = run_task(twin, kernel_source("hl_norms.cpp"), spec, inputs=ins)
    assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"
    x = ins["x"].astype(np.float64)
    mean = x.mean(1, keepdims=True)
    rstd = 1 / np.sqrt(((x - mean) ** 2).mean(1, keepdims=True) + EPS)
    np.testing.assert_allclose(r.outputs["mean"], mean[:, 0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(r.outputs["rstd"], rstd[:, 0], rtol=1e-5)
    y = (x - mean) * rstd * ins["gamma"] + ins["beta"]
    np.testing.assert_allclose(r.outputs["y"].astype(np.float64), y, rtol=2e-3, atol=2e-3)


def _rms_task(entry: str):
    f = "float32"
    return task(entry, [tensor("x", [B, S, H], f), tensor("gamma", [H], f)], [tensor("y", [B, S, H], f)])


def test_rmsnorm_with_pop_stack_buffer(twin) -> None:
    rng = np.random.default_rng(9)
    ins = {"x": rng.uniform(-2, 2, (B, S, H)).astype(np.float32), "gamma": rng.uniform(-1, 1, H).astype(np.float32)}
    r, _ = run_task(twin, kernel_source("hl_norms.cpp"), _rms_task("hl_rmsnorm"), inputs=ins)
    assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"
    x = ins["x"].astype(np.float64)
    want = x / np.sqrt((x * x).mean(-1, keepdims=True) + EPS) * ins["gamma"]
    np.testing.assert_allclose(r.outputs["y"], want, rtol=1e-5, atol=1e-6)


def test_rmsnorm_framework_space_too_small(twin) -> None:
    """Without a sharedTmpBuffer the API takes the UB the TPipe left free; less than one row is refused."""
    r, _ = run_task(twin, kernel_source("hl_norms.cpp"), _rms_task("hl_rmsnorm_small"))
    assert r.status == result_pb2.HARDWARE_EXCEPTION
    assert r.exception.kind == "INVALID_PARAMETER"
    assert "GetRmsNormMaxMinTmpSize" in r.exception.message
    src = kernel_source("hl_norms.cpp").splitlines()
    assert "hl_rmsnorm_small: too little space" in src[r.exception.source_line - 1]


def test_sum_rows_unaligned(twin) -> None:
    spec = task("hl_sum", [tensor("x", [5, 13], "float32")], [tensor("y", [8], "float32")])
    x = np.random.default_rng(2).uniform(-5, 5, (5, 13)).astype(np.float32)
    r, _ = run_task(twin, kernel_source("hl_sum_bcast.cpp"), spec, inputs={"x": x})
    assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"
    want = np.zeros(8)
    want[:5] = x.astype(np.float64).sum(1)
    np.testing.assert_allclose(r.outputs["y"], want, rtol=1e-5, atol=1e-5)


def test_broadcast_axes(twin) -> None:
    m, k, kh, k1 = 6, 20, 32, 40
    spec = task("hl_bcast", [tensor("col", [8], "float32"), tensor("row", [kh], "float16"), tensor("one", [8], "float32")],
                [tensor("out1", [m, k], "float32"), tensor("out0", [m, kh], "float16"), tensor("scalar", [k1], "float32")])
    rng = np.random.default_rng(4)
    ins = {"col": rng.uniform(-1, 1, 8).astype(np.float32), "row": rng.uniform(-1, 1, kh).astype(np.float16),
           "one": rng.uniform(-1, 1, 8).astype(np.float32)}
    r, _ = run_task(twin, kernel_source("hl_sum_bcast.cpp"), spec, inputs=ins)
    assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"
    np.testing.assert_array_equal(r.outputs["out1"], np.repeat(ins["col"][:m, None], k, axis=1))
    np.testing.assert_array_equal(r.outputs["out0"], np.tile(ins["row"], (m, 1)))
    np.testing.assert_array_equal(r.outputs["scalar"], np.full(k1, ins["one"][0]))


def test_tque_handle_forms_and_datacopypad_brace_list(twin) -> None:
    spec = task("que_handle_pad_brace", [tensor("x", [100], "float32")],
                [tensor("y", [100], "float32"), tensor("tail", [8], "float32")])
    x = np.random.default_rng(1).uniform(-1, 1, 100).astype(np.float32)
    r, _ = run_task(twin, kernel_source("que_handle_pad_brace.cpp"), spec, inputs={"x": x})
    assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"
    np.testing.assert_array_equal(r.outputs["y"], x + x)
    # DataCopyPad GM -> UB with leftPadding = rightPadding = 0: the dummy data repeats the block's first element.
    np.testing.assert_array_equal(r.outputs["tail"], np.concatenate([x[96:], np.full(4, x[0])]))


@pytest.mark.parametrize("name", ["LayerNormGrad", "LayerNormGradBeta", "Sum", "Broadcast"])
def test_new_api_names_are_in_the_record_list(name: str) -> None:
    assert name in API_NAMES


def test_reduce_max_min_register(twin) -> None:
    """GetReduceMaxMinCount after a counter-mode WholeReduceMin over all elements (BLAS isamin style), and
    GetReduceRepeatMaxMinSpr after a 3-repeat WholeReduceMax: the extreme over all repeats and its element index."""
    spec = task("reduce_spr", [tensor("x", [300], "float32")],
                [tensor("vals", [8], "float32"), tensor("idx", [8], "int32")])
    x = np.random.default_rng(6).uniform(-10, 10, 300).astype(np.float32)
    r, _ = run_task(twin, kernel_source("reduce_spr.cpp"), spec, inputs={"x": x})
    assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"
    assert r.outputs["vals"][0] == x.min() and r.outputs["idx"][0] == int(np.argmin(x))
    assert r.outputs["vals"][1] == x[:192].max() and r.outputs["idx"][1] == int(np.argmax(x[:192]))
