"""msprof op for the cann backend, offline: the command line for each SoC and kernel shape, the OPPROF directory
layouts, parsing of CSVs in the documented format (written here from the field tables of the msOpProf docs,
msopprof_performance_data.md / hiascend atlasopdev_16_0098-0099), bad input, and the round trip that matters:
the twin's own msprof-style export of real twin runs parses into the twin's Profile, field by field."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from hawk.v1 import result_pb2
from npu_agent.backends.cann.msprof import MsprofParseError, find_output, op_command, parse_profile
from npu_agent.hardware import load_profile
from npu_agent.simnpu import Twin
from npu_agent.simnpu.timing import simulate_file, write_msprof
from npu_agent.taskspec import generate_inputs
from tasks.catalogue import get_task
from tests.simnpu.helpers import kernel_source, task, tensor

S = result_pb2
HOME = Path("/usr/local/Ascend/ascend-toolkit/latest")
B2, P310 = load_profile("ascend910b2"), load_profile("ascend310p")


# ------------------------------------------------------------------------------------------- command line
@pytest.mark.parametrize("soc", ["Ascend910B2", "Ascend910B3", "Ascend310P3"])
@pytest.mark.parametrize("app", [["/w/build/ascendc_kernels_bbit", "8", "2048"],  # kernel launch (<<<>>> sample)
                                 ["/w/op/build_out/execute_add_op"],                # op project, aclnn test program
                                 ["python3", "/w/test_op.py", "--n", "4"]])          # a framework script
def test_op_command_puts_options_first_and_the_application_last(soc: str, app: list[str]) -> None:
    cmd = op_command(HOME, app, Path("/w/prof"), soc_version=soc, kernel_name="add_custom",
                     aic_metrics="PipeUtilization,Memory", warm_up=10, launch_count=3)
    assert cmd[0].endswith("/msprof") and cmd[1] == "op"
    assert cmd[2:8] == ["--output=/w/prof", "--aic-metrics=PipeUtilization,Memory", "--kernel-name=add_custom",
                        "--launch-count=3", "--warm-up=10", app[0]]
    assert cmd[-len(app):] == app


def test_op_command_defaults_and_optional_kernel_name() -> None:
    cmd = op_command(HOME, ["./main"], Path("out"), soc_version="Ascend910B2")
    assert cmd[1:] == ["op", "--output=out", "--aic-metrics=PipeUtilization", "--launch-count=1", "--warm-up=5",
                       "./main"]


@pytest.mark.parametrize("kw, words", [
    ({"aic_metrics": "PipeUtilisation"}, "unknown metric(s) PipeUtilisation"),
    ({"kernel_name": "add custom; rm"}, "--kernel-name"),
    ({"launch_count": 0}, "--launch-count 0"),
    ({"launch_count": 5001}, "--launch-count 5001"),
    ({"warm_up": -1}, "--warm-up -1"),
    ({"soc_version": "910B"}, "soc_version"),
])
def test_op_command_refuses_bad_values_naming_the_option(kw: dict, words: str) -> None:
    args = {"soc_version": "Ascend910B2", **kw}
    with pytest.raises(ValueError, match=re.escape(words)):
        op_command(HOME, ["./main"], Path("out"), **args)
    with pytest.raises(ValueError, match="executable is empty"):
        op_command(HOME, [], Path("out"), soc_version="Ascend910B2")


# -------------------------------------------------------------------------------- documented-format files
BASIC_HEAD = "Op Name,Op Type,Task Duration(us),Block Dim,Mix Block Dim,Device Id,Pid,Current Freq,Rated Freq"


def write(d: Path, name: str, text: str) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_text(text.strip() + "\n")
    return d / name


def pipe_csv_910b_mix() -> str:
    """A mixed (1 cube : 2 vector) kernel of 2 blocks on Atlas A2, in the documented column set."""
    head = ("block_id,sub_block_id,aic_time(us),aic_total_cycles,aiv_time(us),aiv_total_cycles,"
            "aiv_vec_time(us),aiv_vec_ratio,aic_cube_time(us),aic_cube_ratio,aic_scalar_time(us),aic_scalar_ratio,"
            "aiv_scalar_time(us),aiv_scalar_ratio,aic_fixpipe_time(us),aic_fixpipe_ratio,aic_mte1_time(us),"
            "aic_mte1_ratio,aic_mte2_time(us),aic_mte2_ratio,aiv_mte2_time(us),aiv_mte2_ratio,aic_mte3_time(us),"
            "aic_mte3_ratio,aiv_mte3_time(us),aiv_mte3_ratio,aic_icache_miss_rate,aiv_icache_miss_rate")
    na = "N/A"
    rows = []
    for b in (0, 1):
        rows.append(f"{b},cube0,10.0,18000,{na},{na},{na},{na},9.0,0.9,1.0,0.1,{na},{na},2.0,0.2,3.0,0.3,"
                    f"4.0,0.4,{na},{na},0,0,{na},{na},0.01,{na}")
        for v in (0, 1):
            rows.append(f"{b},vector{v},{na},{na},5.0,9000,2.5,0.5,{na},{na},{na},{na},0.5,0.1,{na},{na},{na},"
                        f"{na},{na},{na},{4.0 + v:.1f},{(4.0 + v) / 5:.1f},{na},{na},1.0,0.2,{na},0.02")
    return "\n".join([head, *rows])


def test_910b_mixed_kernel_per_block_and_per_core_type(tmp_path: Path) -> None:
    run = tmp_path / "OPPROF_20261206213000_ABCDEFGHIJ"
    write(run, "OpBasicInfo.csv", f"{BASIC_HEAD}\nmatmul_leakyrelu,MatmulLeakyrelu,12.5,2,4,0,4242,1800,1800")
    write(run, "PipeUtilization.csv", pipe_csv_910b_mix())
    assert find_output(tmp_path) == run
    p = parse_profile(tmp_path, None, B2)
    assert (p.time_us, p.clock_mhz, p.block_dim, p.total_cycles, p.model) == (12.5, 1800, 2, 22500, "msprof")
    assert [(b.block_id, b.core_type) for b in p.blocks] == [(0, S.AIV), (0, S.AIC), (1, S.AIV), (1, S.AIC),
                                                             (2, S.AIV), (3, S.AIV)]
    aic = next(b for b in p.blocks if b.core_type == S.AIC)
    cube = next(x for x in aic.pipes if x.pipe == S.CUBE)
    assert aic.total_cycles == 18000 and cube.busy_cycles == 9 * 1800 and cube.ratio == pytest.approx(0.9)
    # Pipe order per core type is the twin's (msprof's column order): AIV vec, scalar, mte2, mte3.
    aiv = next(b for b in p.blocks if b.core_type == S.AIV)
    assert [x.pipe for x in aiv.pipes] == [S.VECTOR, S.SCALAR, S.MTE2, S.MTE3]
    cts = {c.core_type: c for c in p.core_types}
    assert (cts[S.AIC].blocks, cts[S.AIV].blocks, cts[S.AIC].total_cycles) == (2, 4, 18000)
    mte2 = next(x for x in cts[S.AIV].pipes if x.pipe == S.MTE2)
    assert mte2.ratio == pytest.approx((0.8 + 1.0) / 2) and mte2.busy_cycles == round(4.5 * 1800)
    # The longest core type (AIC, 18000 cycles) decides; its busiest pipe is cube at 0.9.
    b = p.bottleneck
    assert (b.kind, b.pipe, b.ratio) == (S.Bottleneck.PIPE_BOUND, S.CUBE, pytest.approx(0.9))
    assert b.explanation.startswith("aic_cube busy 90% of the AIC time")
    assert not p.HasField("floor") and not p.hotspots and not p.buffer_peaks


def test_310p_coupled_core_reports_every_pipe_as_one_core(tmp_path: Path) -> None:
    head = ("aic_time(us),aic_total_cycles,aic_cube_time(us),aic_cube_ratio,aic_scalar_time(us),aic_scalar_ratio,"
            "aic_mte1_time(us),aic_mte1_ratio,aic_mte2_time(us),aic_mte2_ratio,aic_mte3_time(us),aic_mte3_ratio,"
            "aic_icache_miss_rate,aic_vec_time(us),aic_vec_ratio")
    rows = [f"{t},{t * 1000:.0f},0,0,0.2,0.1,0,0,{t * 0.7:.2f},0.7,0.4,0.2,0.0,0.3,0.15" for t in (2.0, 1.5)]
    write(tmp_path, "OpBasicInfo.csv", f"{BASIC_HEAD}\nadd_custom,AddCustom,3.0,2,N/A,0,1,1000,1000")
    write(tmp_path, "PipeUtilization.csv", "\n".join([head, *rows]))
    p = parse_profile(tmp_path, get_task("add_fp16_small").spec, P310)
    assert [(b.block_id, b.core_type) for b in p.blocks] == [(0, S.AIV), (1, S.AIV)]  # the twin's coupled core
    # Every pipe the file has, in the twin's coupled order (vec, cube, scalar, mte1, mte2, mte3; no fixpipe column).
    assert [x.pipe for x in p.blocks[0].pipes] == [S.VECTOR, S.CUBE, S.SCALAR, S.MTE1, S.MTE2, S.MTE3]
    assert p.bottleneck.pipe == S.MTE2 and p.bottleneck.explanation.startswith("aiv_mte2 busy 70%")
    assert p.floor.time_us > 0 and p.floor.achieved_fraction == pytest.approx(p.floor.time_us / 3.0)


def test_several_launches_take_the_median_one_and_memory_gives_bytes(tmp_path: Path) -> None:
    run = tmp_path / "OPPROF_20261206213100_X" / "device0" / "add_custom"
    for n, dur in enumerate((9.0, 5.0, 7.0)):
        d = run / str(n)
        write(d, f"OpBasicInfo_2026120621310{n}.csv", f"{BASIC_HEAD}\nadd_custom,AddCustom,{dur},1,N/A,0,1,1800,1800")
        write(d, f"PipeUtilization_2026120621310{n}.csv",
              f"block_id,sub_block_id,aiv_time(us),aiv_total_cycles,aiv_mte2_time(us),aiv_mte2_ratio\n"
              f"0,vector0,{dur - 1},{(dur - 1) * 1800:.0f},{dur / 2},0.5")
        write(d, f"MemoryL0_2026120621310{n}.csv", "block_id,aic_l0a_read_bw(GB/s)\n0,1.0")
        write(d, f"Memory_2026120621310{n}.csv",
              "block_id,sub_block_id,GM_to_UB_datas(KB),UB_to_GM_datas(KB),L1_to_GM_datas(KB)(estimate)\n"
              "0,vector0,64,32,5\n0,vector1,64,32,5")
    p = parse_profile(tmp_path, None, B2)
    assert p.time_us == 7.0 and p.blocks[0].total_cycles == 6 * 1800
    assert {x.path: x.bytes for x in p.bytes_moved} == {"GM->UB": 128 * 1024, "UB->GM": 64 * 1024}


def test_without_pipe_utilization_the_profile_has_time_but_no_pipes(tmp_path: Path) -> None:
    write(tmp_path, "OpBasicInfo.csv", f"{BASIC_HEAD}\nk,K,4.0,8,N/A,0,1,N/A,1650")
    p = parse_profile(tmp_path, None, B2)
    assert (p.time_us, p.clock_mhz, p.total_cycles) == (4.0, 1650, 6600)
    assert not p.blocks and not p.core_types and "PipeUtilization" in p.bottleneck.explanation


@pytest.mark.parametrize("basic, pipe, words", [
    ("Op Name,Block Dim\nk,1", None, "OpBasicInfo.csv: no column 'Task Duration(us)'"),
    (f"{BASIC_HEAD}\nk,K,fast,1,N/A,0,1,1800,1800", None, "OpBasicInfo.csv: column 'Task Duration(us)' row 1"),
    (f"{BASIC_HEAD}\nk,K,3.0,0,N/A,0,1,1800,1800", None, "column 'Block Dim' is 0.0"),
    (f"{BASIC_HEAD}\nk,K,3.0,1,N/A,0,1,1800,1800", "block_id,aiv_time(us)\n0,1.0,7", "PipeUtilization.csv: row 1 has"),
    (f"{BASIC_HEAD}\nk,K,3.0,1,N/A,0,1,1800,1800", "block_id,aiv_time(us),aiv_vec_ratio\n0,1.0,-0.5",
     "PipeUtilization.csv: column 'aiv_vec_ratio' row 1"),
    (f"{BASIC_HEAD}\nk,K,3.0,1,N/A,0,1,1800,1800", "block_id,sub_block_id\n0,vector0",
     "PipeUtilization.csv: row 1: no aiv_total_cycles or aiv_time(us)"),
    (f"{BASIC_HEAD}\nk,K,3.0,1,N/A,0,1,1800,1800", "", "PipeUtilization.csv: empty file"),
])
def test_bad_input_names_file_and_column(tmp_path: Path, basic: str, pipe: str | None, words: str) -> None:
    write(tmp_path, "OpBasicInfo.csv", basic)
    if pipe is not None:
        (tmp_path / "PipeUtilization.csv").write_text(pipe)
    with pytest.raises(MsprofParseError, match=re.escape(words)):
        parse_profile(tmp_path, None, B2)


def test_no_output_is_a_parse_error(tmp_path: Path) -> None:
    with pytest.raises(MsprofParseError, match="no OPPROF_"):
        find_output(tmp_path)
    with pytest.raises(MsprofParseError, match="no OpBasicInfo.csv"):
        parse_profile(tmp_path, None, B2)
    older, newer = tmp_path / "OPPROF_1_A", tmp_path / "OPPROF_2_B"
    older.mkdir()
    newer.mkdir()
    os.utime(older, (time.time() - 60, time.time() - 60))
    assert find_output(tmp_path) == newer


# ------------------------------------------------------------------------------ the twin's export round trip
def _cases():
    add = get_task("add_fp16_small")
    mm = get_task("matmul_fp16_1024")
    mm = mm.with_dims(**mm.test_dims)
    mix = task("mix_matmul_post", [tensor("a", [48, 16]), tensor("b", [16, 16])], [tensor("z", [48, 16], "float32")])
    return {"vector (add_fp16_small)": (add.baseline.read_text(), add.spec, "ascend910b2"),
            "cube (matmul_fp16_1024 test dims)": (mm.baseline.read_text(), mm.spec, "ascend910b2"),
            "mixed 1:2 (mix_matmul_post)": (kernel_source("mix_matmul_post.cpp"), mix, "ascend910b2"),
            "310P coupled core (add_fp16_small)": (add.baseline.read_text(), add.spec, "ascend310p")}


_NUMBERS = re.compile(r"\d+(\.\d+)?")


@pytest.mark.parametrize("case", list(_cases()))
def test_twin_export_parses_into_the_twins_profile(twin: Twin, twin_root: Path, tmp_path: Path, case: str) -> None:
    source, spec, hardware = _cases()[case]
    if hardware != twin.hardware.name:
        twin = Twin(hardware, work_root=twin_root)  # the session's build root: one more arch header at most
    built = twin.compile(source, spec.kernel_entry)
    assert built.status == S.OK, built.message + built.log_tail
    rec = tmp_path / "run.rec"
    r = twin.run(built.binary, spec, generate_inputs(spec, 1), record_to=rec, timeout_s=120)
    assert r.ok, r.message
    sim = simulate_file(rec, twin.hardware)
    want = sim.profile(spec, r.stats)
    write_msprof(sim, tmp_path / "OPPROF_20261206213200_TWIN", op_name=spec.name, op_type=spec.kernel_entry)
    got = parse_profile(tmp_path, spec, twin.hardware)

    # The export keeps 3 decimals of microseconds and ratios: cycles agree to a microsecond's 1/1000 at the clock.
    cyc = 0.0005 * want.clock_mhz + 1
    assert (got.clock_mhz, got.block_dim) == (want.clock_mhz, want.block_dim)
    assert got.time_us == pytest.approx(want.time_us, abs=5e-4)
    assert got.total_cycles == pytest.approx(want.total_cycles, abs=cyc)
    assert [(b.block_id, b.core_type, b.total_cycles) for b in got.blocks] == \
        [(b.block_id, b.core_type, b.total_cycles) for b in want.blocks]
    for gb, wb in zip(got.blocks, want.blocks, strict=True):
        assert [x.pipe for x in gb.pipes] == [x.pipe for x in wb.pipes]
        for gx, wx in zip(gb.pipes, wb.pipes, strict=True):
            assert gx.busy_cycles == pytest.approx(wx.busy_cycles, abs=cyc)
            assert gx.ratio == pytest.approx(wx.ratio, abs=5e-4)
    assert [(c.core_type, c.blocks, c.total_cycles, [x.pipe for x in c.pipes]) for c in got.core_types] == \
        [(c.core_type, c.blocks, c.total_cycles, [x.pipe for x in c.pipes]) for c in want.core_types]
    for gc, wc in zip(got.core_types, want.core_types, strict=True):
        for gx, wx in zip(gc.pipes, wc.pipes, strict=True):
            assert gx.busy_cycles == pytest.approx(wx.busy_cycles, abs=cyc)
            assert gx.ratio == pytest.approx(wx.ratio, abs=5e-4)
    gb, wb = got.bottleneck, want.bottleneck
    assert (gb.kind, gb.pipe) == (wb.kind, wb.pipe) and gb.ratio == pytest.approx(wb.ratio, abs=5e-4)
    assert _NUMBERS.sub("#", gb.explanation) == _NUMBERS.sub("#", wb.explanation)  # same text, rounded numbers
    assert (got.floor.cycles, got.floor.limiter, got.floor.explanation) == \
        (want.floor.cycles, want.floor.limiter, want.floor.explanation)
    assert got.floor.achieved_fraction == pytest.approx(want.floor.achieved_fraction, rel=1e-3)
    # What msprof op's CSVs do not carry (the twin's record does): per-line hotspots, buffer peaks, and bytes per
    # path unless Memory.csv was collected (the twin writes none). The model names its source.
    assert not got.hotspots and not got.buffer_peaks and not got.bytes_moved
    assert (got.model, want.model.startswith("simnpu")) == ("msprof", True)
