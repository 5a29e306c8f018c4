"""The cycle model's physics on hand-built records (tests/timing/records.py): overlap, scaling, the chip
bandwidth ceiling, bottleneck classes, hotspots, bank conflicts and determinism."""

from __future__ import annotations

import numpy as np
import pytest

from hawk.v1 import result_pb2
from npu_agent.hardware import load_profile
from npu_agent.simnpu.record import Pipe
from npu_agent.simnpu.timing import CostModel, simulate
from npu_agent.simnpu.timing.costs import K_XFER
from tests.timing.records import Builder, double_buffer_kernel, serial_kernel

HW = load_profile("ascend910b2")
COSTS = CostModel(HW)
TILE = 32 * 1024


def pipe_ratio(profile: result_pb2.Profile, pipe: int) -> float:
    aiv = next(c for c in profile.core_types if c.core_type == result_pb2.AIV)
    return next(p.ratio for p in aiv.pipes if p.pipe == pipe)


def test_exp_tile_is_balanced_against_its_copies():
    # The premise of the double-buffer test: compute and transfer of one tile take about the same time.
    sim = simulate(serial_kernel(1, 1, TILE), HW)
    d = np.nan_to_num(sim.sched.end - sim.sched.start)
    mte2 = d[sim.steps.pipe == Pipe.MTE2].sum()
    vec = d[sim.steps.pipe == Pipe.V].sum()
    mte3 = d[sim.steps.pipe == Pipe.MTE3].sum()
    assert 0.5 < vec / mte2 < 2 and 0.5 < mte3 / mte2 < 2


def test_double_buffering_shortens_a_balanced_kernel():
    serial = simulate(serial_kernel(1, 40, TILE), HW)
    double = simulate(double_buffer_kernel(1, 40, TILE), HW)
    assert double.sched.cycles < 0.75 * serial.sched.cycles
    # Same work: the same bytes and vector repeats, only overlapped.
    assert double.bytes_moved() == serial.bytes_moved()


@pytest.mark.parametrize("n", [4, 8, 16])
def test_n_cores_are_n_times_faster_when_bandwidth_is_not_the_limit(n):
    tiles = 320  # vector-heavy (Exp: 4 cycles per fp16 repeat), small copies: far from the chip bandwidth
    one = simulate(double_buffer_kernel(1, tiles, 4096), HW).sched.cycles
    many = simulate(double_buffer_kernel(n, tiles // n, 4096), HW).sched.cycles
    assert 0.85 * n <= one / many <= 1.05 * n


@pytest.mark.parametrize("blocks,bypass", [(48, False), (48, True), (96, False), (200, True)])
def test_a_bandwidth_bound_kernel_never_beats_the_chip_bandwidth(blocks, bypass):
    sim = simulate(double_buffer_kernel(blocks, 8, TILE, op="Adds", bypass=bypass), HW)
    xfer = sim.steps.kind == K_XFER
    nbytes = sim.record.entries["bytes"][xfer].astype(float).sum()
    best = max(COSTS.chip_read, COSTS.chip_bypass, COSTS.chip_write)  # bytes per cycle
    assert nbytes / sim.sched.cycles <= best
    # The weighted form: every byte's share of chip time fits in the kernel's time.
    assert sim.steps.chip[xfer].sum() <= sim.sched.cycles * (1 + 1e-9)
    # And the chip is the limit here: it is busy most of the time.
    assert sim.steps.chip[xfer].sum() > 0.8 * sim.sched.cycles


def test_l2_bypass_speeds_up_a_read_bound_kernel():
    cached = simulate(double_buffer_kernel(48, 8, TILE, op="Adds"), HW).sched.cycles
    bypass = simulate(double_buffer_kernel(48, 8, TILE, op="Adds", bypass=True), HW).sched.cycles
    assert bypass < 0.9 * cached


def test_vector_heavy_kernel_is_vector_bound():
    bld = Builder()
    bld.copy_in(0, 10, 4096)
    bld.set(0, 11, Pipe.MTE2, Pipe.V, 0)
    bld.wait(0, 11, Pipe.MTE2, Pipe.V, 0)
    for _ in range(400):
        bld.vec(0, 42, "Exp", 4096, 65536, 0)
    p = simulate(bld.record(), HW).profile()
    assert p.bottleneck.kind == result_pb2.Bottleneck.PIPE_BOUND
    assert p.bottleneck.pipe == result_pb2.VECTOR
    assert pipe_ratio(p, result_pb2.VECTOR) > 0.9


def test_transfer_heavy_kernel_is_mte2_bound():
    p = simulate(double_buffer_kernel(48, 8, TILE, op="Adds"), HW).profile()
    assert p.bottleneck.kind == result_pb2.Bottleneck.PIPE_BOUND
    assert p.bottleneck.pipe == result_pb2.MTE2
    assert "mte2" in p.bottleneck.explanation


def test_serial_kernel_with_balanced_pipes_is_latency_bound():
    p = simulate(serial_kernel(1, 40, TILE), HW).profile()
    assert p.bottleneck.kind == result_pb2.Bottleneck.LATENCY_BOUND
    assert p.bottleneck.ratio < COSTS.pipe_bound_ratio


def test_tiny_kernel_is_launch_bound():
    p = simulate(serial_kernel(8, 1, 512, op="Adds"), HW).profile()
    assert p.bottleneck.kind == result_pb2.Bottleneck.LAUNCH_BOUND


def test_hotspots_point_at_the_line_that_does_the_work():
    bld = Builder()
    bld.copy_in(0, 10, 512)
    bld.set(0, 11, Pipe.MTE2, Pipe.V, 0)
    bld.wait(0, 11, Pipe.MTE2, Pipe.V, 0)
    for _ in range(50):
        bld.vec(0, 20, "Adds", 512, 65536, 0)
        bld.vec(0, 42, "Exp", 16384, 65536, 0)   # 64 repeats x 4 cycles each: the heavy line
    bld.scalar(0, 30, 5)
    p = simulate(bld.record(), HW).profile()
    top = p.hotspots[0]
    assert (top.line, top.pipe, top.api, top.calls) == (42, result_pb2.VECTOR, "Exp", 50)
    assert [h.line for h in p.hotspots[:2]] == [42, 20]
    assert all(a.cycles >= b.cycles for a, b in zip(p.hotspots, p.hotspots[1:], strict=False))


def test_scalar_loop_is_scalar_bound_and_attributed_to_its_line():
    bld = Builder()
    bld.copy_in(0, 10, 8192)
    bld.set(0, 11, Pipe.MTE2, Pipe.S, 0)
    bld.wait(0, 11, Pipe.MTE2, Pipe.S, 0)
    bld.scalar(0, 77, 4096)   # 4096 merged GetValue calls of one line
    p = simulate(bld.record(), HW).profile()
    assert p.bottleneck.pipe == result_pb2.SCALAR
    assert p.hotspots[0].line == 77 and p.hotspots[0].calls == 4096
    assert p.hotspots[0].cycles == pytest.approx(4096 * COSTS.local_access)


def test_bank_conflicts_double_a_binary_op():
    # x and y in the same bank groups (32 KiB apart): two beats per repeat; 256 B further apart: one.
    assert COSTS.bank_beats(0, 32768, 131072) == 2
    assert COSTS.bank_beats(0, 32512, 131072) == 1
    # Read-write on the same bank (ADK example: 0x10020 and 0x10E20 are both bank 17).
    assert COSTS.bank_beats(0x10020, -1, 0x10E20) == 2
    assert COSTS.bank_beats(0x10020, -1, 0x10120) == 1  # rows in groups 1-8 read, 9-15 and 0 written
    conflict, clean = Builder(), Builder()
    conflict.vec(0, 1, "Add", 32768, 131072, 0, 32768)
    clean.vec(0, 1, "Add", 32768, 131072, 0, 32512)
    d1 = COSTS.steps(conflict.record().entries).dur[0]
    d2 = COSTS.steps(clean.record().entries).dur[0]
    assert d1 - COSTS.v_head == pytest.approx(2 * (d2 - COSTS.v_head))


def test_same_record_same_cycles():
    rec = double_buffer_kernel(48, 6, TILE, op="Adds")
    a = simulate(rec, HW)
    b = simulate(rec, HW)
    assert a.total_cycles == b.total_cycles
    assert np.array_equal(np.nan_to_num(a.sched.end), np.nan_to_num(b.sched.end))
    assert a.profile().SerializeToString(deterministic=True) == b.profile().SerializeToString(deterministic=True)


def test_blocks_beyond_the_core_count_run_in_waves():
    one_wave = simulate(double_buffer_kernel(48, 2, 4096), HW).sched.cycles
    two_waves = simulate(double_buffer_kernel(96, 2, 4096), HW).sched.cycles
    assert 1.6 * one_wave < two_waves < 2.4 * one_wave


def test_unmatched_wait_is_reported_not_hung():
    bld = Builder()
    bld.copy_in(0, 10, 512)
    bld.wait(0, 11, Pipe.MTE2, Pipe.V, 3)  # no SetFlag ever comes
    bld.vec(0, 12, "Adds", 512, 65536, 0)
    sim = simulate(bld.record(), HW)
    assert sim.sched.stalled == ["block 0 (AIV)"]


@pytest.mark.parametrize("soc", ["ascend910b3", "ascend310p"])
def test_other_socs_have_costs(soc):
    p = simulate(double_buffer_kernel(8, 4, TILE), soc).profile()
    assert p.total_cycles > 0 and p.model == "simnpu-cycle-v2"
