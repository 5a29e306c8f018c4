"""Mixed AIC+AIV kernels and cross-core synchronisation on the twin: KERNEL_TYPE_MIX_*, GetSubBlockIdx and the
block indices of a mixed launch, CrossCoreSetFlag/CrossCoreWaitFlag (modes 0 and 2), SyncAll (hard and soft),
the deadlocks and limits the hardware has, and the cross-core edges in the cycle model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hawk.v1 import result_pb2 as S
from npu_agent.simnpu import record
from npu_agent.simnpu.timing.profile import simulate_file

from .helpers import kernel_source, marked_line, run_task, task, tensor

AIC, AIV = S.AIC, S.AIV


def _mix_matmul_task(rows: int):
    return task("mix_matmul_post", [tensor("a", [rows, 16]), tensor("b", [16, 16])],
                [tensor("z", [rows, 16], "float32")])


def test_aic_to_aiv_through_gm_with_cross_core_flags(twin, tmp_path: Path) -> None:
    rows = 48  # 3 AI Cores: 3 AICs and 6 AIVs
    rng = np.random.default_rng(3)
    a = rng.uniform(-1, 1, (rows, 16)).astype(np.float16)
    b = np.ones((16, 16), np.float16)  # C = A x ones: independent of the fractal layout inside L0B
    rec = tmp_path / "mix.bin"
    r, _ = run_task(twin, kernel_source("mix_matmul_post.cpp"), _mix_matmul_task(rows), inputs={"a": a, "b": b},
                    record_to=rec)
    assert r.status == S.OK, f"{S.Status.Name(r.status)}: {r.message}\n{r.log_tail}"
    want = np.maximum(a.astype(np.float32) @ b.astype(np.float32), 0) * 2
    np.testing.assert_allclose(r.outputs["z"], want, rtol=0, atol=1e-6)
    assert "1 AIC + 2 AIV" in r.message

    # The record: one program per core, each cross-core wait names the instance its set released.
    e = record.read_record(rec).entries
    starts = e[e["api"] == record.API_NAMES.index("KernelStart")]
    assert sorted(zip(starts["core"].tolist(), starts["block"].tolist(), strict=True)) == (
        [(1, i) for i in range(6)] + [(2, i) for i in range(3)])
    sets, waits = e[e["op"] == record.Op.XSET], e[e["op"] == record.Op.XWAIT]
    assert len(sets) == 3 + 6 and len(waits) == 6 + 3
    assert set(waits["a1"].tolist()) == set(sets["a1"].tolist())

    # The cycle model: an AIV's first vector work starts after its AIC's flag; the AIC ends after both AIVs.
    sim = simulate_file(rec, "ascend910b2")
    assert sim.sched.stalled == []
    xs = np.nonzero(e["op"] == record.Op.XSET)[0]
    xset = {(int(e["core"][i]), int(e["block"][i]), int(e["event_id"][i])): i for i in xs}
    for blk in range(6):
        aic_set = sim.sched.end[xset[(2, blk // 2, 3)]]
        mine = np.nonzero((e["block"] == blk) & (e["core"] == 1) & (e["pipe"] == record.Pipe.V))[0]
        assert sim.sched.start[mine].min() >= aic_set
    progs = {(p.core, p.block): p for p in sim.sched.programs}
    for blk in range(3):
        assert progs[(2, blk)].end >= max(progs[(1, 2 * blk)].end, progs[(1, 2 * blk + 1)].end)


@pytest.mark.parametrize("kernel", ["mix_ids.cpp", "mix_ids_qualifier.cpp"])
def test_mixed_block_and_sub_block_indices(twin, kernel: str) -> None:
    spec = task("mix_ids", [tensor("x", [16])], [tensor("aic", [3 * 8], "int32"), tensor("aiv", [6 * 8], "int32")],
                block_dim=3)
    r, _ = run_task(twin, kernel_source(kernel), spec)
    assert r.status == S.OK, f"{S.Status.Name(r.status)}: {r.message}\n{r.log_tail}"
    aic, aiv = r.outputs["aic"].reshape(3, 8), r.outputs["aiv"].reshape(6, 8)
    # GetBlockIdx, GetSubBlockIdx, GetSubBlockNum, GetTaskRatio, GetBlockNum, g_coreType, ASCEND_IS_AIC, GetTaskRation
    assert aic.tolist() == [[b, 0, 1, 1, 3, 1, 1, 1] for b in range(3)]
    assert aiv.tolist() == [[i, i % 2, 2, 2, 3, 2, 0, 2] for i in range(6)]


def test_mixed_block_dim_may_not_exceed_the_ai_cores(twin) -> None:
    spec = task("mix_ids", [tensor("x", [16])], [tensor("aic", [25 * 8], "int32"), tensor("aiv", [50 * 8], "int32")],
                block_dim=25)
    r, _ = run_task(twin, kernel_source("mix_ids.cpp"), spec)
    assert r.status == S.RUNTIME_ERROR and "exceeds the 24 AI Cores" in r.message, r.message


def _neighbour_task(entry: str, n: int, first: str = "x", first_shape: int = 16):
    return task(entry, [tensor(first, [first_shape], "int32")], [tensor("val", [n * 8], "int32"),
                                                                  tensor("z", [n * 8], "int32")], block_dim=n)


@pytest.mark.parametrize("kernel", ["mix_syncall", "mix_mode0"])
def test_barrier_across_blocks(twin, kernel: str) -> None:
    n = 8
    r, _ = run_task(twin, kernel_source(f"{kernel}.cpp"), _neighbour_task(kernel, n))
    assert r.status == S.OK, f"{S.Status.Name(r.status)}: {r.message}\n{r.log_tail}"
    want = np.repeat([((b + 1) % n + 1) * 10 for b in range(n)], 8)
    np.testing.assert_array_equal(r.outputs["z"], want)


def test_soft_sync_all_over_a_gm_workspace(twin) -> None:
    n = 6
    spec = _neighbour_task("mix_syncall_soft", n, first="sync", first_shape=n * 8)
    sync = np.zeros(n * 8, np.int32)
    r, _ = run_task(twin, kernel_source("mix_syncall_soft.cpp"), spec, inputs={"sync": sync})
    assert r.status == S.OK, f"{S.Status.Name(r.status)}: {r.message}\n{r.log_tail}"
    np.testing.assert_array_equal(r.outputs["z"], np.repeat([((b + 1) % n + 1) * 10 for b in range(n)], 8))
    np.testing.assert_array_equal(r.outputs["val"], np.repeat([(b + 1) * 20 for b in range(n)], 8))


def test_sync_all_needs_every_block_resident(twin) -> None:
    n = 49  # one more than the 48 AIVs: block 48 would wait for block 0's core
    source = kernel_source("mix_syncall.cpp")
    r, _ = run_task(twin, source, _neighbour_task("mix_syncall", n))
    assert r.status == S.HARDWARE_EXCEPTION, r.message
    e = r.exception
    assert (e.kind, e.api, e.source_line) == ("DEADLOCK", "SyncAll", marked_line(source, "// SYNC"))
    assert "block dim 49" in e.message and "48 AIV cores" in e.message, e.message


FAULTS = {
    # kernel: (kind, code, api, core, block, words in the message)
    "mix_never_set.cpp": ("DEADLOCK", "507034", "CrossCoreWaitFlag", AIV, 0, "every core of the launch is blocked"),
    "mix_aiv_only_sync.cpp": ("DEADLOCK", "507034", "SyncAll", AIV, 0, "no cross-core scheduler"),
    "mix_overflow.cpp": ("INVALID_PARAMETER", "507015", "CrossCoreSetFlag", AIC, 0, "would pass 15"),
    "deadlock.cpp": ("DEADLOCK", "507034", "WaitFlag", AIV, 0, "vector core timeout"),  # vector-only, as before
}


@pytest.mark.parametrize("kernel", sorted(FAULTS))
def test_cross_core_faults(twin, kernel: str) -> None:
    kind, code, api, core, block, words = FAULTS[kernel]
    source = kernel_source(kernel)
    r, _ = run_task(twin, source, task("fault_kernel", [tensor("x", [256])], [tensor("z", [256])], block_dim=4))
    assert r.status == S.HARDWARE_EXCEPTION, f"{S.Status.Name(r.status)}: {r.message}\n{r.log_tail}"
    e = r.exception
    assert (e.kind, e.code, e.api) == (kind, code, api), e
    assert e.source_line == marked_line(source, "// FAULT")
    assert e.core_type == core and e.block_id == block, e
    assert words in e.message, e.message
