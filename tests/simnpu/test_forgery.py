"""Profiles that cannot be forged (issue 13): raw GM access, a dropped or cut record, a forged result message,
outputs written around the recorded API calls, and a profile below the hardware floor."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hawk.v1 import result_pb2 as S
from npu_agent import taskspec
from npu_agent.candidate import Candidate
from npu_agent.result_text import describe
from npu_agent.simnpu import Twin
from npu_agent.simnpu.timing import simulate
from npu_agent.taskspec import load_task_file
from tests.simnpu.helpers import build, kernel_source, marked_line, task, tensor

PAIR = Path(__file__).resolve().parent / "projects" / "direct_pair"


def copy_task():
    return task("fault_kernel", [tensor("x", [256], "float32")], [tensor("z", [256], "float32")],
                reference="def reference(x):\n    return x\n")


def variant(name: str, define: str = "") -> str:
    return (f"#define {define} 1\n" if define else "") + kernel_source(name)


def run(twin: Twin, source: str, tmp_path: Path, spec=None):
    spec = spec or copy_task()
    ins = taskspec.generate_inputs(spec, 5)
    return twin.run(build(twin, source, spec.kernel_entry), spec, ins, record_to=tmp_path / "rec.bin"), ins


def test_raw_gm_loop_is_refused_naming_tensor_and_line(twin, tmp_path: Path) -> None:
    source = kernel_source("forge_raw_gm.cpp")
    r, _ = run(twin, source, tmp_path)
    assert r.status == S.SANDBOX_VIOLATION, f"{S.Status.Name(r.status)}: {r.message}"
    # The raw read of x is charged (a scalar GM read); the raw store to z is refused.
    assert "raw store to GM tensor z at byte 0 outside the Ascend C API" in r.message
    assert f"last Ascend C call: GetValue at line {marked_line(source, '// LAST')}" in r.message
    assert "use DataCopy or GlobalTensor::SetValue" in r.message
    assert r.outputs == {}


def test_honest_copy_is_ok_with_a_verified_record(twin, tmp_path: Path) -> None:
    r, ins = run(twin, variant("forge_copy.cpp"), tmp_path)
    assert r.ok, r.message
    assert np.array_equal(r.outputs["z"], ins["x"])
    assert r.record is not None and len(r.record) > 0


def test_overriding_write_and_pwrite_cannot_drop_the_record(twin, tmp_path: Path) -> None:
    spec = copy_task()
    r, ins = run(twin, variant("forge_copy.cpp", "FORGE_WRITE"), tmp_path, spec)
    assert r.ok, r.message
    assert r.record is not None and len(r.record) > 0
    p = simulate(r.record, twin.hardware).profile(spec, r.stats)
    assert p.time_us > 0 and p.model != "simnpu-functional-wallclock"


def test_the_gm_window_cannot_be_made_writable(twin, tmp_path: Path) -> None:
    # The launcher's filter refuses mprotect(PROT_WRITE) on the window, so the raw store after it never happens.
    r, ins = run(twin, variant("forge_copy.cpp", "FORGE_UNGUARD"), tmp_path)
    assert r.ok, r.message
    assert np.array_equal(r.outputs["z"], ins["x"])


def test_truncating_the_record_after_the_run_is_a_violation(twin, tmp_path: Path) -> None:
    r, _ = run(twin, variant("forge_copy.cpp", "FORGE_TRUNCATE"), tmp_path)
    assert r.status == S.SANDBOX_VIOLATION, r.message
    assert "the kernel process tampered with its profile record" in r.message


@pytest.mark.parametrize("define, words", [("FORGE_PIPE", "warnings is not a list"),
                                           ("FORGE_TWICE", "more than one message")])
def test_forged_result_message_gets_a_verdict(twin, tmp_path: Path, define: str, words: str) -> None:
    r, _ = run(twin, variant("forge_copy.cpp", define), tmp_path)
    assert r.status == S.SANDBOX_VIOLATION, r.message
    assert "forged its result message" in r.message and words in r.message


def test_hawk_sim_run_prints_a_one_line_verdict_for_a_forged_message(twin_root: Path, tmp_path: Path) -> None:
    kernel = tmp_path / "forge.cpp"
    kernel.write_text(variant("forge_copy.cpp", "FORGE_PIPE"))
    tasks = tmp_path / "tasks.toml"
    tasks.write_text('[[task]]\nname = "copy"\nkernel_entry = "fault_kernel"\n'
                     'inputs = [{ name = "x", shape = [256], dtype = "float32" }]\n'
                     'outputs = [{ name = "z", shape = [256], dtype = "float32" }]\n'
                     'reference = """\ndef reference(x):\n    return x\n"""\n')
    env = dict(os.environ, HAWK_SIM_WORK_ROOT=str(twin_root))
    p = subprocess.run([sys.executable, "-m", "controller.cli", "sim", "run", str(kernel), "--task", "copy",
                        "--task-file", str(tasks), "--seed", "1"], capture_output=True, text=True, env=env,
                       timeout=300)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "Traceback" not in p.stderr, p.stderr
    first = p.stdout.splitlines()[0]
    assert "SANDBOX_VIOLATION" in first and "forged its result message" in first, p.stdout


@pytest.mark.parametrize("define, words", [("", "changed byte(s) outside every recorded store to it (first at byte"),
                                           ("FORGE_ALL", "but no recorded Ascend C call stored to it")])
def test_outputs_written_through_the_real_pointer_fail_coverage(twin, tmp_path: Path, define: str,
                                                                 words: str) -> None:
    r, _ = run(twin, variant("forge_real_ptr.cpp", define), tmp_path)
    assert r.status == S.SANDBOX_VIOLATION, f"{S.Status.Name(r.status)}: {r.message}"
    assert "the kernel wrote its outputs outside the Ascend C API: output z" in r.message and words in r.message


def test_profile_below_the_floor_is_flagged_not_clamped(twin, tmp_path: Path) -> None:
    spec = copy_task()
    spec.work.gm_bytes = 1 << 40  # the task claims a terabyte must cross GM: the honest copy is "too fast"
    r, _ = run(twin, variant("forge_copy.cpp"), tmp_path, spec)
    assert r.ok, r.message
    p = simulate(r.record, twin.hardware).profile(spec, r.stats)
    assert p.floor.below_floor and p.floor.achieved_fraction > 1.0
    res = S.Result(status=S.OK, profile=p)
    assert "FLAGGED: below the hardware floor" in describe(res, "k")
    spec.work.gm_bytes = 0
    p = simulate(r.record, twin.hardware).profile(spec, r.stats)
    assert not p.floor.below_floor and 0 < p.floor.achieved_fraction <= 1.0


# ------------------------------------------------------------------------- host programs (their own main())
def _pair(kernel: tuple[str, str] | None = None, main: tuple[str, str] | None = None) -> dict[str, str]:
    files = dict(Candidate.from_path(PAIR).files)
    for path, rep in (("vadd_kernel.cpp", kernel), ("main.cpp", main)):
        if rep is not None:
            assert rep[0] in files[path], rep[0]
            files[path] = files[path].replace(*rep)
    return files


def _run_pair(twin: Twin, files: dict[str, str]):
    spec = next(d.spec for d in load_task_file(PAIR.parent / "projects.toml") if d.name == "shapes_vadd_fp32")
    built = twin.compile(Candidate.from_files(files), spec.kernel_entry, task=spec)
    assert built.ok, built.message
    return twin.run(built.binary, spec, taskspec.generate_inputs(spec, 3))


def test_host_program_kernel_raw_gm_loop_is_refused(twin) -> None:
    r = _run_pair(twin, _pair(kernel=("    AscendC::DataCopy(zGm, a, length);\n",
                                      "    for (uint32_t i = 0; i < length; ++i) zGm.GetPhyAddr()[i] = 0.0f;\n")))
    assert r.status == S.SANDBOX_VIOLATION, f"{S.Status.Name(r.status)}: {r.message}"
    assert "raw store to GM tensor z" in r.message and "last Ascend C call: PipeBarrier at line 20" in r.message


def test_host_program_dereferencing_device_memory_is_refused(twin) -> None:
    r = _run_pair(twin, _pair(main=("    vadd_custom<<<", "    z[0] = 1;\n    vadd_custom<<<")))
    assert r.status == S.SANDBOX_VIOLATION, f"{S.Status.Name(r.status)}: {r.message}"
    assert "from the host program: device memory is not host memory" in r.message


def test_raw_scalar_reads_run_and_are_charged(twin, tmp_path: Path) -> None:
    spec = task("scale_kernel", [tensor("x", [256], "float32"), tensor("s", [8], "float32")],
                [tensor("z", [256], "float32")])
    ins = taskspec.generate_inputs(spec, 4)
    r = twin.run(build(twin, kernel_source("raw_scalar_read.cpp"), "scale_kernel"), spec, ins,
                 record_to=tmp_path / "rec.bin")
    assert r.ok, r.message
    want = (ins["x"] * ins["s"][0] + ins["s"][1]).astype(np.float32)
    np.testing.assert_allclose(r.outputs["z"], want, rtol=1e-6)
    e = r.record.entries
    raw = e[(e["op"] == 1) & (e["src_mem"] == 1) & ((e["src_addr"] >> np.uint64(48)) == 2)]
    assert int(raw["repeats"].sum()) == 2, raw  # the two raw reads of s, as scalar GM reads


def test_scalar_stores_are_covered_but_stores_through_a_taken_address_are_not(twin, tmp_path: Path) -> None:
    r, ins = run(twin, variant("scalar_store.cpp"), tmp_path)
    assert r.ok, r.message
    assert np.array_equal(r.outputs["z"], ins["x"])
    r, _ = run(twin, variant("scalar_store.cpp", "FORGE_REF"), tmp_path)
    assert r.status == S.SANDBOX_VIOLATION, f"{S.Status.Name(r.status)}: {r.message}"
    assert "outside every recorded store to it (first at byte 4)" in r.message, r.message
