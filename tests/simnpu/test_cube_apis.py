"""Cube APIs with their documented Atlas A2 semantics (Zz x Zn = Nz layouts, MmadParams fields, bias table,
Fixpipe to L1 / NZ / ndNum / quant modes, unitFlag, LoadDataWithTranspose, InitConstValue), each checked against
numpy with a small kernel of our own (tests/simnpu/kernels)."""

from __future__ import annotations

import numpy as np

from hawk.v1 import result_pb2
from npu_agent.simnpu import record
from tests.simnpu.helpers import kernel_source, marked_line, run_task, task, tensor


def _ok(r) -> None:
    assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"


def _f32(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32)


def test_l0b_holds_zn_fractals_k_major(twin) -> None:
    # L0B's Zn fractals go [k1][n1]: a B loaded the documented way (one k band per LoadData) multiplies right.
    rng = np.random.default_rng(3)
    ins = {"a": rng.integers(-8, 8, (32, 32)).astype(np.float16), "b": rng.integers(-8, 8, (32, 48)).astype(np.float16)}
    spec = task("mmad_zn_layout", [tensor("a", [32, 32]), tensor("b", [32, 48])], [tensor("c", [32, 48], "float32")])
    r, _ = run_task(twin, kernel_source("mmad_zn_layout.cpp"), spec, inputs=ins)
    _ok(r)
    np.testing.assert_array_equal(r.outputs["c"], _f32(ins["a"]) @ _f32(ins["b"]))


def test_six_argument_mmad_params_accumulate(twin) -> None:
    rng = np.random.default_rng(4)
    ins = {"a": rng.integers(-4, 4, (16, 16)).astype(np.float16), "bt": rng.integers(-4, 4, (16, 16)).astype(np.float16)}
    spec = task("mmad_params6", [tensor("a", [16, 16]), tensor("bt", [16, 16])],
                [tensor("c", [16, 16], "float32"), tensor("c3", [16, 16], "float32")])
    r, _ = run_task(twin, kernel_source("mmad_params6.cpp"), spec, inputs=ins)
    _ok(r)
    ab = _f32(ins["a"]) @ _f32(ins["bt"]).T
    np.testing.assert_array_equal(r.outputs["c"], 2 * ab)
    np.testing.assert_array_equal(r.outputs["c3"], 3 * ab)  # isBias = true: C += A @ B


def test_mmad_with_bias_table(twin, tmp_path) -> None:
    rng = np.random.default_rng(5)
    ins = {"a": rng.integers(-4, 4, (16, 16)).astype(np.float16), "bt": rng.integers(-4, 4, (32, 16)).astype(np.float16),
           "bias": rng.integers(-50, 50, 32).astype(np.float32)}
    outs = [tensor(n, [16, 32], "float32") for n in ("c1", "c2", "c0")]
    spec = task("mmad_bias_table", [tensor("a", [16, 16]), tensor("bt", [32, 16]), tensor("bias", [32], "float32")],
                outs)
    r, _ = run_task(twin, kernel_source("mmad_bias_table.cpp"), spec, inputs=ins, record_to=tmp_path / "b.bin")
    _ok(r)
    ab = _f32(ins["a"]) @ _f32(ins["bt"]).T
    np.testing.assert_array_equal(r.outputs["c1"], ab + ins["bias"])
    np.testing.assert_array_equal(r.outputs["c2"], ab + ins["bias"])
    np.testing.assert_array_equal(r.outputs["c0"], ab)
    e = record.read_record(r.record_path).entries
    mmad = e[e["api"] == record.API_NAMES.index("Mmad")]
    assert [int(f) & 3 for f in mmad["flags"]] == [2, 2, 1]  # bit 1: C from the bias table; bit 0: from zero
    bt_copy = e[(e["api"] == record.API_NAMES.index("DataCopy")) & (e["dst_mem"] == record.Mem.BT)]
    assert len(bt_copy) == 1 and int(bt_copy["pipe"][0]) == record.Pipe.MTE1 and int(bt_copy["bytes"][0]) == 128


def test_fixpipe_nz_to_l1_and_nd_num(twin) -> None:
    rng = np.random.default_rng(6)
    ins = {"a": rng.integers(-4, 4, (32, 16)).astype(np.float16), "bt": rng.integers(-4, 4, (32, 16)).astype(np.float16)}
    spec = task("fixpipe_nz_l1", [tensor("a", [32, 16]), tensor("bt", [32, 16])],
                [tensor("nz", [2, 32, 16]), tensor("split", [2, 32, 16], "float32")])
    r, _ = run_task(twin, kernel_source("fixpipe_nz_l1.cpp"), spec, inputs=ins)
    _ok(r)
    c = _f32(ins["a"]) @ _f32(ins["bt"]).T
    nz = c.reshape(32, 2, 16).transpose(1, 0, 2)
    np.testing.assert_array_equal(r.outputs["nz"], nz.astype(np.float16))
    np.testing.assert_array_equal(r.outputs["split"], nz)


def _quant_bits(scale: float, sign: bool = False) -> int:
    return int(np.float32(scale).view(np.uint32)) | (int(sign) << 46)


def test_fixpipe_quant_modes(twin) -> None:
    rng = np.random.default_rng(8)
    a = rng.integers(-8, 8, (16, 32)).astype(np.int8)
    bt = rng.integers(-8, 8, (16, 32)).astype(np.int8)
    col_scale = np.array([2.0 ** -(i % 5) for i in range(16)], np.float32)
    scales = np.array([_quant_bits(s) for s in col_scale], np.uint64).view(np.int32)
    spec = task("fixpipe_quant", [tensor("a", [16, 32], "int8"), tensor("bt", [16, 32], "int8"),
                                  tensor("scales", [32], "int32")],
                [tensor("deq", [16, 16]), tensor("deq_relu", [16, 16]), tensor("vdeq", [16, 16]),
                 tensor("req", [16, 16], "int8")])
    r, _ = run_task(twin, kernel_source("fixpipe_quant.cpp"), spec, inputs={"a": a, "bt": bt, "scales": scales})
    _ok(r)
    c = a.astype(np.int64) @ bt.astype(np.int64).T
    np.testing.assert_array_equal(r.outputs["deq"], (c * 0.5).astype(np.float16))
    np.testing.assert_array_equal(r.outputs["deq_relu"], (np.maximum(c, 0) * 0.5).astype(np.float16))
    np.testing.assert_array_equal(r.outputs["vdeq"], (c * col_scale).astype(np.float16))
    req = np.clip(np.clip(np.round(c / 64.0), -256, 255), -128, 127).astype(np.int8)
    np.testing.assert_array_equal(r.outputs["req"], req)


def test_load_data_with_transpose_b8_builds_zn(twin) -> None:
    rng = np.random.default_rng(10)
    ins = {"a": rng.integers(-128, 128, (16, 64)).astype(np.int8), "b": rng.integers(-128, 128, (64, 64)).astype(np.int8)}
    spec = task("load_transpose_b8", [tensor("a", [16, 64], "int8"), tensor("b", [64, 64], "int8")],
                [tensor("c", [16, 64], "int32")])
    r, _ = run_task(twin, kernel_source("load_transpose_b8.cpp"), spec, inputs=ins)
    _ok(r)
    np.testing.assert_array_equal(r.outputs["c"], ins["a"].astype(np.int32) @ ins["b"].astype(np.int32))


def _pack_int4(x: np.ndarray) -> np.ndarray:
    """int4b_t in memory: two per byte along the last axis, element 2i in the low nibble (LoadDataWithTranspose.md)."""
    u = x.astype(np.int8).view(np.uint8) & 0xF
    return (u[..., 0::2] | (u[..., 1::2] << 4)).astype(np.uint8)


def test_int4_gm_l1_l0_mmad_fixpipe(twin, tmp_path) -> None:
    # int4b_t through the whole cube path: Nd2Nz in bytes, LoadData 2D and load3dv2 to L0A, LoadDataWithTranspose of
    # 64 x 64 squares to L0B, Mmad int4 x int4 -> int32 (c0 = 64 elements), Fixpipe; tensor offsets in half bytes.
    rng = np.random.default_rng(12)
    a = rng.integers(-8, 8, (32, 128))
    b = rng.integers(-8, 8, (128, 128))
    ins = {"a": _pack_int4(a), "b": _pack_int4(b), "mode": np.zeros(1, np.int32)}
    spec = task("int4_mmad", [tensor("a", [32, 64], "uint8"), tensor("b", [128, 64], "uint8"),
                              tensor("mode", [1], "int32")],
                [tensor("c", [32, 128], "int32"), tensor("c3", [32, 128], "int32"), tensor("nib", [8], "int32")])
    src = kernel_source("int4_mmad.cpp")
    r, _ = run_task(twin, src, spec, inputs=ins, record_to=tmp_path / "i4.bin")
    _ok(r)
    want = a.astype(np.int32) @ b.astype(np.int32)
    np.testing.assert_array_equal(r.outputs["c"], want)
    np.testing.assert_array_equal(r.outputs["c3"], want)
    # GetValue: element 1 is the high nibble; a view [2] starts one byte in; sizes and offsets count half bytes.
    assert r.outputs["nib"][:7].tolist() == [a[0, 0], a[0, 1], a[1, 1], a[0, 3], 32 * 128, 128 * 128, 32]
    e = record.read_record(r.record_path).entries
    mmad = e[e["api"] == record.API_NAMES.index("Mmad")]
    assert set(mmad["src_dtype"].tolist()) == {record.DT.I4} and set(mmad["dtype"].tolist()) == {record.DT.I32}
    nd2nz = e[(e["api"] == record.API_NAMES.index("DataCopy")) & (e["dst_mem"] == record.Mem.L1)]
    assert nd2nz["bytes"].tolist() == [32 * 64, 128 * 64]  # half a byte per element
    # int4b_t into L0A with LoadDataWithTranspose (L0B only), and an odd K, are hardware exceptions.
    for md, kind, api, mark in ((1, "UNSUPPORTED_DTYPE", "LoadData", "// BAD_T"), (2, "INVALID_PARAMETER", "Mmad",
                                                                                  "// BAD_K")):
        ins["mode"][0] = md
        r, _ = run_task(twin, src, spec, inputs=ins)
        assert r.status == result_pb2.HARDWARE_EXCEPTION, r.message
        assert (r.exception.kind, r.exception.api) == (kind, api), r.message
        assert r.exception.source_line == marked_line(src, mark)


def test_unit_flag_hands_l0c_to_the_fixpipe(twin, tmp_path) -> None:
    rng = np.random.default_rng(11)
    ins = {"a": rng.integers(-4, 4, (16, 16)).astype(np.float16), "bt": rng.integers(-4, 4, (16, 16)).astype(np.float16),
           "mode": np.full(8, 3, np.int32)}
    spec = task("unit_flag", [tensor("a", [16, 16]), tensor("bt", [16, 16]), tensor("mode", [8], "int32")],
                [tensor("c", [16, 16], "float32")])
    src = kernel_source("unit_flag.cpp")
    r, _ = run_task(twin, src, spec, inputs=ins, record_to=tmp_path / "u.bin")
    _ok(r)
    np.testing.assert_array_equal(r.outputs["c"], _f32(ins["a"]) @ _f32(ins["bt"]).T)
    e = record.read_record(r.record_path).entries
    for api in ("Mmad", "Fixpipe"):  # the record shows the handshake, so the cycle model can overlap M and FIX
        f = int(e[e["api"] == record.API_NAMES.index(api)]["flags"][0])
        assert f & record.Flag.UNIT_FLAG and f & record.Flag.UNIT_RESET, (api, f)
    # unitFlag 2 on the Mmad keeps the fractals: the Fixpipe with unitFlag 3 waits forever.
    ins["mode"][:] = 2
    r, _ = run_task(twin, src, spec, inputs=ins)
    assert r.status == result_pb2.HARDWARE_EXCEPTION
    assert r.exception.kind == "DEADLOCK" and r.exception.api == "Fixpipe"
    assert r.exception.source_line == marked_line(src, "// HANG")


def test_init_const_value_in_l1_and_l0(twin) -> None:
    spec = task("init_const", [], [tensor("fill", [64], "float32"), tensor("ones", [16, 16], "float32")])
    r, _ = run_task(twin, kernel_source("init_const.cpp"), spec, inputs={})
    _ok(r)
    want = np.zeros(64, np.float32)
    want[0:16] = 2.5
    want[24:40] = 2.5
    np.testing.assert_array_equal(r.outputs["fill"], want)
    np.testing.assert_array_equal(r.outputs["ones"], np.full((16, 16), 32.0, np.float32))


def _img2col(x: np.ndarray, pad: tuple[int, int, int, int], stride: int, f: int, pad_value: float) -> np.ndarray:
    """The documented load3dv2 img2col of an NC1HWC0 map (N = 1): rows are output positions, columns
    (c1, filter point, c0)."""
    c1, h, w, c0 = x.shape
    left, right, top, bottom = pad
    xp = np.full((c1, h + top + bottom, w + left + right, c0), pad_value, np.float64)
    xp[:, top:top + h, left:left + w] = x
    ho, wo = (h + top + bottom - f) // stride + 1, (w + left + right - f) // stride + 1
    rows = []
    for oh in range(ho):
        for ow in range(wo):
            win = xp[:, oh * stride:oh * stride + f, ow * stride:ow * stride + f, :]  # c1, fh, fw, c0
            rows.append(win.reshape(c1, f * f, c0).reshape(-1))
    return np.array(rows)


def test_load3d_v2_img2col_and_transpose(twin) -> None:
    rng = np.random.default_rng(33)
    ins = {"x": rng.integers(-3, 4, (2, 5, 6, 16)).astype(np.float16),
           "w": rng.integers(-3, 4, (288, 32)).astype(np.float16),
           "at": rng.integers(-3, 4, (16, 24)).astype(np.float32),
           "b": rng.integers(-3, 4, (16, 16)).astype(np.float32)}
    spec = task("load3d", [tensor("x", [2, 5, 6, 16]), tensor("w", [288, 32]), tensor("at", [16, 24], "float32"),
                           tensor("b", [16, 16], "float32")],
                [tensor("c", [6, 32], "float32"), tensor("c2", [24, 16], "float32")])
    r, _ = run_task(twin, kernel_source("load3d.cpp"), spec, inputs=ins)
    _ok(r)
    a = _img2col(ins["x"].astype(np.float64), (1, 0, 1, 0), 2, 3, 0.5)
    np.testing.assert_array_equal(r.outputs["c"], a @ ins["w"].astype(np.float64))
    np.testing.assert_array_equal(r.outputs["c2"], ins["at"].T.astype(np.float64) @ ins["b"])


def test_load3d_v2_b8_to_l0b_is_unsupported_dtype(twin) -> None:
    source = """#include "kernel_operator.h"
using namespace AscendC;
extern "C" __global__ __aicore__ void l3(GM_ADDR x, GM_ADDR y)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIC_ONLY);
    TPipe pipe;
    TBuf<TPosition::B1> l1;
    TBuf<TPosition::B2> l0b;
    pipe.InitBuffer(l1, 4096);
    pipe.InitBuffer(l0b, 4096);
    LoadData3DParamsV2<int8_t> p;
    p.l1H = 32; p.l1W = 1; p.channelSize = 32; p.kExtension = 32; p.mExtension = 32;
    LoadData(l0b.Get<int8_t>(), l1.Get<int8_t>(), p);  // no b8 load3dv2 to L0B on A2
}
"""
    spec = task("l3", [tensor("x", [16], "int8")], [tensor("y", [16], "int8")])
    r, _ = run_task(twin, source, spec)
    assert r.status == result_pb2.HARDWARE_EXCEPTION, f"{result_pb2.Status.Name(r.status)}: {r.message}\n{r.log_tail}"
    assert r.exception.kind == "UNSUPPORTED_DTYPE" and r.exception.api == "LoadData3D"
