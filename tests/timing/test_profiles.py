"""Every shipped hardware profile can be simulated: the same kernels (an add, a softmax's row reductions, a small
matmul) run through the agent's backend on each profile and get a sane cycle-model profile. And a run the cycle
model cannot profile is INTERNAL with the reason: host time never stands in for kernel time."""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hawk.v1 import result_pb2
from npu_agent.backends.simnpu import SimNpuBackend
from npu_agent.hardware import HardwareProfile, available_profiles, load_profile
from npu_agent.sandbox import Sandbox
from npu_agent.simnpu.timing import CostModel
from npu_agent.taskspec import generate_inputs
from tasks import catalogue

PROFILES = available_profiles()
KERNELS = ("add_fp16_small", "softmax_fp32", "matmul_fp16_1024")  # built-in tasks, baselines at test_dims


@pytest.fixture(scope="module")
def root() -> Iterator[Path]:
    # Not tmp_path: the sandbox uid must traverse into the twin's directories.
    path = Path(tempfile.mkdtemp(prefix="hawk-profiles-test-"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def backend(root: Path, hw: HardwareProfile) -> SimNpuBackend:
    return SimNpuBackend(hw, work_root=root / "simnpu", sandbox=Sandbox(root / "simnpu" / "sandbox"))


def run(be: SimNpuBackend, name: str, *, profile: bool = True):
    task = catalogue.get_task(name).reduced()
    built = be.compile(task.baseline.read_text(encoding="utf-8"), task.spec, timeout_s=300)
    assert built.status == result_pb2.OK, built.message + built.log_tail
    return be.run(built.artifact, task.spec, generate_inputs(task.spec, 5), device_id=0, profile=profile,
                  timeout_s=300), task.spec


@pytest.mark.parametrize("soc", PROFILES)
def test_the_cost_model_reads_every_number_it_needs(soc: str) -> None:
    hw = load_profile(soc)
    CostModel(hw)  # raises CostDataError naming a missing key
    assert hw.clock_mhz > 0 and hw.aic_cores > 0 and hw.aiv_cores > 0


@pytest.mark.parametrize("soc", PROFILES)
def test_one_gm_bandwidth_story(soc: str) -> None:
    """GetCoreMemBw(HBM) is each AI Core's share of the chip's GM rate, and the model's chip read rate (cost file
    [chip], also the floor's source) agrees with it; one core alone streams faster than that share (its curve)."""
    hw = load_profile(soc)
    costs = CostModel(hw)
    share = float(hw["bandwidth"]["gm_per_core_bytes_per_cycle"])
    assert costs.chip_read == pytest.approx(share * hw.aic_cores, rel=0.1)
    plateau = float(costs.curves["GM_UB"][1][-1])
    assert share < plateau < 2 * share
    assert "chip_gm_tb_per_s" not in hw["bandwidth"]  # the chip rate lives in the cost file only


@pytest.mark.parametrize("soc", PROFILES)
@pytest.mark.parametrize("name", KERNELS)
def test_same_kernels_give_a_sane_profile_on_every_soc(root: Path, soc: str, name: str) -> None:
    hw = load_profile(soc)
    out, spec = run(backend(root, hw), name)
    assert out.status == result_pb2.OK, out.message
    p = out.profile
    assert p.model.startswith("simnpu-cycle"), p.model
    assert p.clock_mhz == hw.clock_mhz
    assert math.isfinite(p.time_us) and p.time_us > 0
    assert p.time_us == pytest.approx(p.total_cycles / hw.clock_mhz, rel=1e-3)
    # Tiny kernels: tens of microseconds at most (a host-time "profile" of the same run was 628,597 us).
    assert p.time_us < 200, p.time_us
    # The floor comes from the same numbers as the model: a correct kernel never beats it.
    assert 0 < p.floor.achieved_fraction <= 1 and not p.floor.below_floor
    assert p.bottleneck.explanation and p.core_types and p.blocks
    busy = {pp.pipe: pp.busy_cycles for ct in p.core_types for pp in ct.pipes}
    if name.startswith("matmul"):
        assert busy.get(result_pb2.CUBE, 0) > 0, busy  # cube work shows, also on a coupled core (310P)
    else:
        assert busy.get(result_pb2.VECTOR, 0) > 0, busy


def test_a_run_the_model_cannot_profile_is_internal_with_the_reason(root: Path) -> None:
    # A real profile with no cost file: the twin runs it (functional data complete), the cycle model cannot.
    base = load_profile("ascend910b2")
    uncosted = HardwareProfile(name="ascend910b2-uncosted", sections=base.sections)
    be = backend(root, uncosted)
    out, _ = run(be, "add_fp16_small")
    assert out.status == result_pb2.INTERNAL
    assert "cycle model" in out.message and "no cycle-model cost file" in out.message, out.message
    assert out.profile is None  # no host wall-clock time in its place
    plain, _ = run(be, "add_fp16_small", profile=False)  # the functional run itself is fine
    assert plain.status == result_pb2.OK and plain.outputs


def test_a_run_past_the_record_cap_is_internal_never_a_partial_profile(root: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A record cut at its cap would time a prefix of the kernel: a wrong time teaches the search wrong things."""
    from npu_agent.simnpu import runner

    monkeypatch.setattr(runner, "RECORD_MAX_ENTRIES", 50)
    out, _ = run(backend(root, load_profile("ascend910b2")), "add_fp16_small")
    assert out.status == result_pb2.INTERNAL
    assert "record cap" in out.message and "cannot be timed" in out.message, out.message
    assert out.profile is None
