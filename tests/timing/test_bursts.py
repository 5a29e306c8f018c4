"""DataCopy / DataCopyPad between GM and UB are costed by their burst structure (costs.py `_ub_bursts`): one
instruction pays its start-up once and runs at the curve rate of its total bytes, the GM side moves each burst
as 128/256/512 B requests, and every request beyond a contiguous copy's costs the core extra cycles."""

from __future__ import annotations

import numpy as np
import pytest

from npu_agent.hardware import load_profile
from npu_agent.simnpu.record import DT, Mem, Op, Pipe
from npu_agent.simnpu.timing import CostModel, simulate
from tests.timing.records import API, Builder

HW = load_profile("ascend910b2")


def load(bld: Builder, b: int, count: int, blen: int, gap: int, *, api: str = "DataCopy", ub: int = 0) -> None:
    """GM -> UB: blockCount bursts of blen bytes, `gap` GM bytes between them (a0/a1/a2 as the runtime records)."""
    bld._add(block=b, line=10, api=API[api], op=Op.INSTR, pipe=Pipe.MTE2, dtype=DT.F16, src_mem=Mem.GM,
             dst_mem=Mem.UB, dst_addr=ub, src_addr=1 << 48, bytes=count * blen, a0=count, a1=blen, a2=gap,
             repeats=count)


def store(bld: Builder, b: int, count: int, blen: int, gap_field: int, *, api: str = "DataCopy") -> None:
    """UB -> GM; `gap_field` is the record's `reserved` (DataCopy: 32 B blocks, DataCopyPad: bytes)."""
    bld._add(block=b, line=20, api=API[api], op=Op.INSTR, pipe=Pipe.MTE3, dtype=DT.F16, src_mem=Mem.UB,
             dst_mem=Mem.GM, src_addr=0, dst_addr=3 << 48, bytes=count * blen, a0=count, a1=blen,
             repeats=count, reserved=gap_field)


def one(fn, *args, **kw):
    bld = Builder()
    fn(bld, 0, *args, **kw)
    steps = CostModel(HW).steps(bld.record().entries)
    return float(steps.solo[0]), float(steps.chip[0])


def test_one_strided_copy_moves_as_much_as_one_contiguous_copy_of_its_bytes() -> None:
    # ADK 高效的使用搬运API: 16 rows of 2 KB out of 16 KB rows; one DataCopyParams copy "moves 32 KB at once".
    strided, _ = one(load, 16, 2048, 14 * 1024)
    contiguous, _ = one(load, 1, 32768, 0)
    row, _ = one(load, 1, 2048, 0)
    assert strided == pytest.approx(contiguous, rel=0.05)
    assert 16 * row > 3 * strided


def test_short_bursts_cost_requests_and_chip_bytes() -> None:
    tiny, tiny_chip = one(load, 1024, 32, 4096)          # 1024 bursts of 32 B, strided
    whole, whole_chip = one(load, 1, 32768, 0)           # the same 32 KiB contiguous
    assert tiny > 4 * whole
    assert tiny_chip == pytest.approx(4 * whole_chip)    # each 32 B burst is a 128 B request
    # ...yet far cheaper than 1024 separate 32 B copies, each paying a copy's start-up.
    single, _ = one(load, 1, 32, 0)
    assert 1024 * single > 10 * tiny


def test_bursts_without_a_gm_gap_are_one_stream() -> None:
    assert one(load, 16, 2048, 0) == one(load, 1, 32768, 0)
    # Stores: the GM gap is the record's `reserved` (DataCopyParams dstStride in 32 B blocks).
    gapless, _ = one(store, 64, 512, 0)
    gapped, _ = one(store, 64, 96, 4)
    assert gapless == one(store, 1, 32768, 0)[0]
    assert gapped > 1.2 * one(store, 1, 64 * 96, 0)[0]


def test_datacopypad_bytes_round_up_to_whole_requests() -> None:
    # 100 rows of 48 B (DataCopyPad, byte blockLen) with a GM stride: 100 requests of 128 B on the chip.
    _, chip = one(load, 100, 48, 1000, api="DataCopyPad")
    _, chip_contig = one(load, 1, 100 * 128, 0)
    assert chip == pytest.approx(chip_contig)
    # 600 B bursts: one full 512 B request plus one of 128 B.
    _, chip600 = one(load, 10, 600, 8, api="DataCopyPad")
    assert chip600 == pytest.approx(one(load, 1, 10 * 640, 0)[1])


@pytest.mark.parametrize("blocks", [48])
def test_a_short_burst_kernel_on_every_core_is_chip_bound_on_its_requests(blocks: int) -> None:
    # 48 cores each reading 64 KiB as 32 B bursts: 4x the chip bytes of the same read as whole copies.
    def kernel(bursty: bool) -> float:
        bld = Builder()
        for b in range(blocks):
            for _ in range(4):
                if bursty:
                    load(bld, b, 512, 32, 32)
                else:
                    load(bld, b, 1, 16384, 0)
        return simulate(bld.record(), HW).sched.cycles

    assert kernel(True) > 3 * kernel(False)
    assert np.isfinite(kernel(True))


# ------------------------------------------------------------------------------------ the same on real kernels
def test_real_strided_copies_are_costed_by_their_bursts(twin) -> None:
    from pathlib import Path

    from hawk.v1 import result_pb2, task_pb2
    from npu_agent.simnpu.timing import simulate_file

    src = (Path(__file__).parent / "kernels" / "strided_copy.cpp").read_text()
    x = np.random.default_rng(2).uniform(-1, 1, (16, 8192)).astype(np.float16)
    mte2 = {}
    for entry in ("rows_loop", "rows_params", "rows_pad"):
        spec = task_pb2.TaskSpec(
            name=entry, kernel_entry=entry, default_block_dim=1,
            inputs=[task_pb2.TensorSpec(name="x", shape=[16, 8192], dtype=task_pb2.FLOAT16)],
            outputs=[task_pb2.TensorSpec(name="z", shape=[16, 1024], dtype=task_pb2.FLOAT16)],
            reference_source="def reference(x):\n    return x[:, :1024]\n", reference_entry="reference")
        built = twin.compile(src, entry)
        assert built.status == result_pb2.OK, built.message + built.log_tail
        rec = Path(twin.work_root) / f"{entry}.rec"
        r = twin.run(built.binary, spec, {"x": x}, record_to=rec, timeout_s=120)
        assert r.ok, r.message
        np.testing.assert_array_equal(r.outputs["z"], x[:, :1024])
        sim = simulate_file(rec, twin.hardware)
        mte2[entry] = sim.core_type_stats()[1]["busy"][int(Pipe.MTE2)]
    assert mte2["rows_params"] == pytest.approx(mte2["rows_pad"], rel=0.02)
    assert mte2["rows_loop"] > 3 * mte2["rows_params"], mte2


def test_a_nop_copy_takes_no_time() -> None:
    # DataCopyPad with blockCount 0 is a NOP on A2: recorded with 0 bytes.
    solo, chip = one(load, 0, 64, 0, api="DataCopyPad")
    assert solo == 0 and chip == 0


def test_a_ub_to_ub_datacopy_takes_time_by_its_bytes() -> None:
    # DataCopy UB -> UB runs on the vector pipe at [transfer.fixed] UB_UB (128 B/cycle), not as a 1-repeat op.
    def ub_copy(nbytes: int) -> float:
        bld = Builder()
        bld._add(block=0, line=30, api=API["DataCopy"], op=Op.INSTR, pipe=Pipe.V, dtype=DT.F16, src_mem=Mem.UB,
                 dst_mem=Mem.UB, src_addr=0, dst_addr=65536, bytes=nbytes, a0=1, a1=nbytes)
        return float(CostModel(HW).steps(bld.record().entries).dur[0])

    assert ub_copy(65536) >= 65536 / 128
    assert ub_copy(65536) > 8 * ub_copy(2048)
