"""The cube side of the cycle model on hand-built records (tests/timing/records.py): Nd2Nz and Fixpipe costed by
their bursts, L2 hits on re-read, unitFlag overlap of Mmad and Fixpipe, L1/L0 ping-pong against a serial kernel."""

from __future__ import annotations

import numpy as np
import pytest

from npu_agent.hardware import load_profile
from npu_agent.simnpu.record import Mem, Pipe
from npu_agent.simnpu.timing import CostModel, simulate
from tests.timing.records import CubeBuilder, matmul_kernel

HW = load_profile("ascend910b2")
COSTS = CostModel(HW)


def solo(rec, i: int = 0) -> float:
    return float(COSTS.steps(rec.entries).solo[i])


def one_copy(rows: int, cols: int, src_d: int, gm: int = 0):
    bld = CubeBuilder()
    bld.nd2nz(0, rows, cols, src_d, gm)
    return bld.record()


# ------------------------------------------------------------------------------------------ burst structure
def test_nd2nz_rows_are_bursts_not_bytes():
    # 128 rows of 64 halves (128 B) from a row pitch of 8192: 128 short bursts. The same 16 KiB as 32 rows of
    # 256 halves (512 B) is 4x fewer requests, and a contiguous block (pitch = row) streams.
    short = solo(one_copy(128, 64, 8192))
    long_rows = solo(one_copy(32, 256, 8192))
    assert short > 2.5 * long_rows
    # A 128 B row costs a whole request: bytes per cycle are about a quarter of the 512 B rows'.
    per_req = COSTS.nd2nz_req_cycles
    assert short == pytest.approx(COSTS.nd2nz_head + 128 * per_req)
    # The old reading (row length in elements taken as burst bytes) would have made both copies equal.
    e = one_copy(128, 64, 8192).entries
    assert int(e["reserved"][0]) == 8192 and int(e["a1"][0]) == 64


def test_bigger_packets_move_more_bytes_per_cycle():
    # The sample's "大包": dValue = baseK * stepKa. Rows of 1 KiB reach the per-core plateau (~156 B/cycle).
    rates = [r * c * 2 / solo(one_copy(r, c, 8192)) for r, c in ((128, 64), (128, 128), (128, 256), (128, 512))]
    assert rates == sorted(rates)
    assert rates[0] < 45 and rates[-1] > 140


def test_a_row_off_the_512_byte_grid_costs_one_request_more():
    aligned = solo(one_copy(128, 512, 8192, gm=0))
    off32 = solo(one_copy(128, 512, 8192, gm=32))
    assert off32 == pytest.approx(aligned + 128 * COSTS.nd2nz_req_cycles)
    assert 0.6 < aligned / off32 < 0.75  # ADK: 32 B-aligned can drop to ~70 % of 512 B-aligned


def test_fixpipe_writes_rows_of_the_output():
    bld = CubeBuilder()
    bld.fixpipe(0, 128, 256, 8192, 0)          # 128 rows of 512 B, aligned
    bld.fixpipe(0, 128, 256, 8192, 1366)       # the 2x12 split's unaligned column offset (683 halves)
    s = COSTS.steps(bld.record().entries).solo
    assert s[1] == pytest.approx(s[0] + 128 * float(COSTS.fix["request_cycles"]))


# ---------------------------------------------------------------------------------------------------- L2
def reads(tiles: list[tuple[int, int]], gap: int = 0):
    """One 128 x 512-half packet per (block, tile index) from a [*, 8192] fp16 matrix, tile t at row 128 t."""
    bld = CubeBuilder()
    for b, t in tiles:
        bld.nd2nz(b, 128, 512, 8192, t * 128 * 8192 * 2)
    return bld.record()


def test_a_reread_hits_in_l2():
    sim = simulate(reads([(0, 0), (0, 0)]), HW)
    assert sim.sched.l2_read_bytes == 2 * 128 * 512 * 2
    assert sim.sched.l2_hit_bytes == 128 * 512 * 2


def test_cores_reading_the_same_tile_share_it_and_cost_less_chip_time():
    same = simulate(reads([(b, 0) for b in range(24)]), HW)
    distinct = simulate(reads([(b, b) for b in range(24)]), HW)
    assert same.sched.l2_hit_bytes == 23 * 128 * 512 * 2
    assert distinct.sched.l2_hit_bytes == 0
    assert same.sched.cycles < distinct.sched.cycles


def test_l2_capacity_evicts_the_least_recent():
    cap = COSTS.l2_bytes
    packet = 128 * 512 * 2
    n = cap // packet + 8                                 # more distinct data than L2 holds
    stream = [(0, t) for t in range(n)]
    sim = simulate(reads(stream + [(0, 0)]), HW)          # tile 0 was evicted
    assert sim.sched.l2_hit_bytes == 0
    sim = simulate(reads(stream + [(0, n - 1)]), HW)      # the last one is resident
    assert sim.sched.l2_hit_bytes == packet


def test_streaming_reads_keep_the_miss_rate():
    # Read-once traffic (the Add ladder's case) never hits: its chip cost is the streaming rate's.
    sim = simulate(reads([(b, b * 7 + i) for b in range(48) for i in range(3)]), HW)
    assert sim.sched.l2_hit_bytes == 0
    xfer = sim.steps.chip > 0
    np.testing.assert_allclose(sim.steps.chip[xfer], sim.record.entries["bytes"][xfer] / COSTS.chip_read)


# ---------------------------------------------------------------------------------------------- unitFlag
def tile(unit: bool, tiles: int = 2, kl: int = 8):
    """Two output tiles on one core: kl Mmads 128x256x64 each, then the Fixpipe of the tile (single L0C)."""
    bld = CubeBuilder()
    for _ in range(tiles):
        for kb in range(kl):
            bld.mmad(0, 128, 256, 64, kb == 0, (3 if kb == kl - 1 else 2) if unit else 0)
        if not unit:
            bld.set(0, Pipe.M, Pipe.FIX, 0)
            bld.wait(0, Pipe.M, Pipe.FIX, 0)
        bld.fixpipe(0, 128, 256, 8192, 0, 3 if unit else 0)
        if not unit:
            bld.set(0, Pipe.FIX, Pipe.M, 0)
            bld.wait(0, Pipe.FIX, Pipe.M, 0)
    return bld.record()


def test_unit_flag_overlaps_the_fixpipe_with_the_last_mmad():
    ser = simulate(tile(False), HW)
    uni = simulate(tile(True), HW)
    e = uni.record.entries
    mm = np.nonzero(e["pipe"] == Pipe.M)[0]
    fx = np.nonzero(e["pipe"] == Pipe.FIX)[0]
    s, t = uni.sched.start, uni.sched.end
    # The Fixpipe starts while the tile's last Mmad runs, and cannot finish before it.
    assert s[mm[7]] < s[fx[0]] < t[mm[7]]
    assert t[fx[0]] >= t[mm[7]]
    # The next tile's first Mmad (C initialised) waits for the Fixpipe to free L0C units, never overtakes it.
    assert s[mm[8]] > s[fx[0]]
    assert t[mm[8]] >= t[fx[0]]
    assert uni.sched.cycles < ser.sched.cycles


def test_unit_flag_pairs_by_l0c_buffer():
    # Double-buffered L0C: the Mmads of tile 2 (buffer 65536) do not wait for tile 1's Fixpipe (buffer 0).
    bld = CubeBuilder()
    for t, buf in enumerate((0, 65536, 0)):
        for kb in range(4):
            bld.mmad(0, 128, 128, 64, kb == 0, 3 if kb == 3 else 2, l0c=buf)
        bld.fixpipe(0, 128, 128, 8192, t * 256, 3, l0c=buf)
    st = COSTS.steps(bld.record().entries)
    mm = np.nonzero(bld.record().entries["pipe"] == Pipe.M)[0]
    fx = np.nonzero(bld.record().entries["pipe"] == Pipe.FIX)[0]
    assert st.udep[mm[4]] == -1                 # tile 2's first Mmad: its buffer was never drained
    assert st.udep[mm[8]] == fx[0]              # tile 3's reuses buffer 0: waits for tile 1's Fixpipe
    assert st.udep[fx[1]] == mm[7]              # each Fixpipe follows the last Mmad of its own buffer


def test_unit_flag_without_a_releasing_mmad_adds_no_dependency():
    bld = CubeBuilder()
    bld.fixpipe(0, 16, 16, 16, 0, 3)
    rec = bld.record()
    assert COSTS.steps(rec.entries).udep[0] == -1
    assert simulate(rec, HW).sched.stalled == []


# -------------------------------------------------------------------------------------------- ping-pong
def cube_ratio(sim) -> float:
    return sim.core_type_stats()[2]["ratio"][int(Pipe.M)]


@pytest.fixture(scope="module")
def ladder():
    size = dict(M=2048, N=2048, K=2048, grid=(4, 4))
    return {"serial": simulate(matmul_kernel(**size, pingpong=False), HW),
            "pingpong": simulate(matmul_kernel(**size), HW),
            "published": simulate(matmul_kernel(**size, step=(8, 4), unit=True), HW)}


def test_ping_pong_overlaps_copy_load_and_compute(ladder):
    # With one baseK per copy (128 B rows) ping-pong hides MTE1 and the cube behind MTE2, which becomes the
    # bottleneck (ratio ~1): faster than serial, but only bigger packets let the cube lead.
    assert ladder["pingpong"].sched.cycles < 0.75 * ladder["serial"].sched.cycles
    st = ladder["pingpong"].core_type_stats()[2]
    assert st["ratio"][int(Pipe.MTE2)] > 0.95
    assert cube_ratio(ladder["pingpong"]) > cube_ratio(ladder["serial"])


def test_the_published_tiling_is_cube_bound_enough(ladder):
    # Ping-pong + stepKa 8 / stepKb 4 + unitFlag: ~3x the serial kernel and a cube ratio >= 0.6 (hardware: 0.84).
    assert ladder["serial"].sched.cycles > 2.5 * ladder["published"].sched.cycles
    assert cube_ratio(ladder["published"]) >= 0.6


def test_mmad_runs_at_16x16x16_per_cycle_when_fed():
    # Back-to-back Mmads cost their fractal count plus the queued head: the published cube time (8192^3 on 24 AIC
    # = 3022.92 us at 1.85 GHz) is this rate.
    bld = CubeBuilder()
    for kb in range(100):
        bld.mmad(0, 128, 256, 64, kb == 0)
    sim = simulate(bld.record(), HW)
    per = (sim.sched.cycles - float(COSTS.cube["cold_head_cycles"]) - COSTS.issue_cycles) / 100
    assert per == pytest.approx(128 * 256 * 64 / 4096 + float(COSTS.cube["head_cycles"]))
    cube_us = 8192**3 / 4096 / 24 / 1850.0
    assert cube_us == pytest.approx(3022.92, abs=0.01)


def test_the_loads_are_costed_by_path_width():
    bld = CubeBuilder()
    bld.load(0, Mem.L0A, 16384)
    bld.load(0, Mem.L0B, 32768)
    d = COSTS.steps(bld.record().entries).dur
    lat = float(COSTS.cube["load_latency_cycles"])
    assert d[0] == pytest.approx(lat + 16384 / COSTS.fixed["L1_L0A"])
    assert d[1] == pytest.approx(lat + 32768 / COSTS.fixed["L1_L0B"])


def test_many_cores_reading_one_packet_share_its_request_rate():
    # 12 cores on one packet (the 2x12 split's a) slow each copy to 12 / rate cycles per request; 6 (4x6) do not.
    rate = COSTS.same_addr_rate
    twelve = COSTS.steps(reads([(b, 0) for b in range(12)]).entries).solo
    six = COSTS.steps(reads([(b, 0) for b in range(6)]).entries).solo
    alone = solo(reads([(0, 0)]))
    assert np.allclose(six, alone)
    assert np.allclose(twelve, COSTS.nd2nz_head + 256 * 12 / rate)
    assert 12 / rate > COSTS.nd2nz_req_cycles > 6 / rate
