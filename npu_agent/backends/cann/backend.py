"""The `cann` backend: candidates compile with the CANN toolchain and run on a real Ascend NPU, in the sandbox.

compile() builds a plan (build.py: the kernel-invocation samples' `ascendc_library` route, or an msopgen op
package) in a fresh work dir under the device profile of the agent's sandbox; the work dir is the artifact.
run() writes the inputs and the poisoned output buffers as files, runs our launcher (launch.py) on the leased
device under the sandbox's `device` profile with only that device's /dev nodes bound in, and reads the outputs
back for the agent's own verification. With profile=True the launcher runs under `msprof op` and the profile is
parsed into the same Profile fields the twin fills (msprof.py); a device error report is mapped into the twin's
HardwareException classes (errors.py). A failure of CANN itself (a tool that will not start, an ACL call that
fails before the kernel ran, an unhealthy device) is INTERNAL, never the candidate's fault.

Devices: the agent's DevicePool hands out slots 0..N-1 (`--devices N`, at most the NPUs found); slot i runs on
the i-th NPU the runtime lists, one candidate at a time, and a device that npu-smi reports unhealthy fails the
run as INTERNAL so the scheduler retries it elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np

from hawk.v1 import result_pb2, task_pb2
from npu_agent import taskspec
from npu_agent.backends.base import Backend, CompileOutcome, RunOutcome
from npu_agent.backends.cann import build, launch
from npu_agent.backends.cann.environment import CannInstall, device_health, find_cann
from npu_agent.candidate import Candidate
from npu_agent.hardware import HardwareProfile
from npu_agent.sandbox import Limits, Sandbox
from npu_agent.simnpu.shapes import TaskArgs

log = logging.getLogger("npu_agent.cann")
_CACHE_ENTRIES = 256  # compiled work dirs kept (each holds a CMake build tree, tens of MB)


def _import_cannprof():
    """msprof.py and errors.py (built beside this module by the cannprof helper)."""
    from npu_agent.backends.cann import errors, msprof  # noqa: PLC0415 - optional until both parts are merged

    return msprof, errors


class CannBackend(Backend):
    """CANN toolchain + ACL runtime on the NPUs of this host."""

    name = "cann"
    produces_outputs = True
    supports_timing_only = False  # a device computes for real: there is no checks-only run

    def __init__(self, hardware: HardwareProfile, *, work_root: Path, sandbox: Sandbox,
                 install: CannInstall | None = None, devices: int | None = None) -> None:
        super().__init__(hardware)
        self.install = install or find_cann()
        soc = build.soc_version(hardware)
        if self.install.soc_version and self.install.soc_version.lower() != soc.lower():
            raise build.UnsupportedShape(f"the cann backend was started with hardware profile {hardware.name} "
                                         f"({soc}) but the NPUs here are {self.install.soc_version}: pass --hardware "
                                         "for this chip")
        if devices is not None and devices > len(self.install.devices):
            raise build.UnsupportedShape(f"--devices {devices}: this host has {len(self.install.devices)} NPU(s) "
                                         f"({', '.join(map(str, self.install.devices))})")
        self.sandbox = sandbox
        self.work_root = Path(work_root)
        self.work_root.mkdir(parents=True, exist_ok=True)
        self.version = f"cann-{self.install.version}-{soc}"
        self._cache: OrderedDict[str, Path] = OrderedDict()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------------ devices
    def physical_device(self, slot: int) -> int:
        """The NPU id behind a DevicePool slot."""
        return self.install.devices[slot % len(self.install.devices)]

    # ------------------------------------------------------------------------------------------ compile
    def _key(self, cand: Candidate, task: task_pb2.TaskSpec) -> str:
        h = hashlib.sha256()
        for part in (json.dumps(cand.files), json.dumps(cand.defines), TaskArgs.from_task(task).key(),
                     task.kernel_entry, self.version):
            h.update(part.encode())
            h.update(b"\0")
        return h.hexdigest()

    def compile(self, source: str | Candidate, task: task_pb2.TaskSpec, *, timeout_s: float,
                cancel: threading.Event | None = None, use_cache: bool = True) -> CompileOutcome:
        cand = source if isinstance(source, Candidate) else Candidate.from_source(source)
        key = self._key(cand, task)
        with self._lock:
            hit = self._cache.get(key) if use_cache else None
            if hit is not None and hit.is_dir():
                self._cache.move_to_end(key)
                return CompileOutcome(status=result_pb2.OK, artifact=hit, cached=True)
        try:
            plan = build.plan_build(cand, task, install=self.install, hardware=self.hardware)
        except (build.UnsupportedShape, ValueError) as e:
            return CompileOutcome(status=result_pb2.REJECTED, message=str(e))
        workdir = self.sandbox.make_workdir("cann-build")
        try:
            r = build.execute(plan, workdir, sandbox=self.sandbox, install=self.install, timeout_s=timeout_s,
                              cancel=cancel)
        except OSError as e:  # a full disk, an unwritable work dir: ours
            self.sandbox.remove_workdir(workdir)
            return CompileOutcome(status=result_pb2.INTERNAL, message=f"the cann build could not run: {e}")
        out = CompileOutcome(status=r.status, message=r.message, diagnostics=r.diagnostics, seconds=r.seconds,
                             log_tail=r.log_tail)
        if r.status != result_pb2.OK:
            self.sandbox.remove_workdir(workdir)
            return out
        out.artifact = workdir
        _readable(workdir)  # runs happen under other uids (one per run work dir), read-only
        if use_cache:
            with self._lock:
                self._cache[key] = workdir
                while len(self._cache) > _CACHE_ENTRIES:
                    _, old = self._cache.popitem(last=False)
                    self.sandbox.remove_workdir(old)
        return out

    # ---------------------------------------------------------------------------------------------- run
    def run(self, artifact: Path | None, task: task_pb2.TaskSpec, inputs: dict[str, np.ndarray], *,
            device_id: int, profile: bool, timeout_s: float,
            cancel: threading.Event | None = None, timing_only: bool = False) -> RunOutcome:
        if artifact is None or not (artifact / "plan.json").is_file():
            return RunOutcome(status=result_pb2.INTERNAL, message="run() without a compiled cann artifact")
        if timing_only:
            return RunOutcome(status=result_pb2.INTERNAL, message="the cann backend has no timing-only run")
        start = time.monotonic()
        npu = self.physical_device(device_id)
        sick = device_health(self.install, npu)
        if sick:
            return RunOutcome(status=result_pb2.INTERNAL, message=f"device {npu} is not healthy: {sick}")
        plan = json.loads((artifact / "plan.json").read_text())
        block_dim = int(plan.get("block_dim") or task.default_block_dim or 1)
        rundir = self.sandbox.make_workdir("cann-run", slot=device_id)
        try:
            return self._run_in(rundir, artifact, plan, task, inputs, npu=npu, block_dim=block_dim, profile=profile,
                                timeout_s=timeout_s, cancel=cancel, start=start)
        except OSError as e:
            return RunOutcome(status=result_pb2.INTERNAL, message=f"the cann run could not exchange files: {e}",
                              seconds=time.monotonic() - start)
        finally:
            self.sandbox.remove_workdir(rundir)

    def _run_in(self, rundir: Path, artifact: Path, plan: dict, task: task_pb2.TaskSpec,
                inputs: dict[str, np.ndarray], *, npu: int, block_dim: int, profile: bool, timeout_s: float,
                cancel: threading.Event | None, start: float) -> RunOutcome:
        poisoned = {t.name: np.broadcast_to(taskspec.poison(task_pb2.TensorSpec(name=t.name, dtype=t.dtype, shape=[1])),
                                            list(t.shape)) for t in task.outputs}
        io = launch.write_io(rundir, task, inputs, poisoned, device_id=npu, block_dim=block_dim)
        for p in rundir.iterdir():
            self.sandbox.share_with_sandbox(p)
        exe = artifact / plan["launcher"]
        argv = [str(exe), str(io)]
        prof_dir = rundir / "msprof"
        errors_mod = None
        try:
            msprof, errors_mod = _import_cannprof()
        except ImportError as e:
            if profile:
                return RunOutcome(status=result_pb2.INTERNAL, message=f"cann profiling is not available in this "
                                  f"build: {e}")
        if profile:
            prof_dir.mkdir()
            self.sandbox.share_with_sandbox(prof_dir)
            try:
                # An op package's kernel is named by its build (op type and a key), and the launcher runs only it.
                argv = msprof.op_command(self.install.home, argv, prof_dir, soc_version=plan["soc_version"],
                                         kernel_name=plan["entry"] if plan.get("kind") == "kernel_launch" else None)
            except Exception as e:  # cannprof's own error for a tool it cannot find
                return RunOutcome(status=result_pb2.INTERNAL, message=f"msprof op cannot be started: {e}")
        env = {**self.install.env(), **{k: str(artifact / v) if k == "ASCEND_CUSTOM_OPP_PATH" else v
                                        for k, v in plan.get("run_env", {}).items()}}
        r = self.sandbox.run(argv, cwd=rundir, limits=Limits(cpu_seconds=int(max(60, timeout_s * 4)),
                                                             address_space_bytes=0, processes=512,
                                                             memory_bytes=16 << 30, open_files=4096),
                             timeout_s=timeout_s, env=env, cancel=cancel, profile="device",
                             readonly_paths=[artifact, *self.install.readonly_paths()],
                             devices=self.install.device_nodes(npu))
        seconds = time.monotonic() - start
        text = r.log_tail(16000)
        report = r.result_json() or {}
        if r.setup_failed:
            return RunOutcome(status=result_pb2.INTERNAL, message=f"sandbox set-up failed: {r.setup_failed}",
                              seconds=seconds, log_tail=text)
        if r.cancelled:
            return RunOutcome(status=result_pb2.CANCELLED, message="cancelled while running", seconds=seconds)
        if r.timed_out:
            return RunOutcome(status=result_pb2.TIMEOUT, message=f"run exceeded its {timeout_s:g} s deadline",
                              seconds=seconds, log_tail=text)
        return self._outcome(r, report, text, rundir, prof_dir, task, plan, errors_mod, profile, seconds)

    def _outcome(self, r, report: dict, text: str, rundir: Path, prof_dir: Path, task: task_pb2.TaskSpec, plan: dict,
                 errors_mod, profile: bool, seconds: float) -> RunOutcome:
        if not report:  # under msprof op the result pipe may not reach the launcher: its stderr copy of the report
            lines = re.findall(r"^hawk-cann: (\{.*\})$", text, re.M)
            try:
                report = json.loads(lines[-1]) if lines else {}
            except ValueError:
                report = {}
        stage = str(report.get("stage", ""))
        if not stage:  # no report: the last stage the launcher announced before it died
            stages = re.findall(r"^hawk-cann-stage: (\w+)$", text, re.M)
            stage = stages[-1] if stages else ""
        exc = None
        if errors_mod is not None:
            try:
                exc = errors_mod.parse_error_report(text + "\n" + str(report.get("message", "")),
                                                    kernel_file=plan.get("entry_file") or None)
            except Exception as e:  # a parser bug is ours, not the candidate's
                return RunOutcome(status=result_pb2.INTERNAL, message=f"the device error report could not be read: "
                                  f"{type(e).__name__}: {e}", seconds=seconds, log_tail=text)
        if exc is not None:
            return RunOutcome(status=result_pb2.HARDWARE_EXCEPTION, message=exc.message or "device exception",
                              exception=exc, seconds=seconds, log_tail=text)
        if r.violation():
            return RunOutcome(status=result_pb2.SANDBOX_VIOLATION, message=r.violation(), seconds=seconds,
                              log_tail=text)
        if r.returncode != 0 or stage != "done":
            return RunOutcome(status=classify_failure(stage, r.returncode, r.signal),
                              message=failure_message(stage, report, r.returncode, r.signal), seconds=seconds,
                              log_tail=text)
        try:
            outputs = launch.read_outputs(rundir, task)
        except (OSError, ValueError) as e:
            return RunOutcome(status=result_pb2.INTERNAL, message=f"the launcher's outputs are unreadable: {e}",
                              seconds=seconds, log_tail=text)
        out = RunOutcome(status=result_pb2.OK, outputs=outputs, seconds=seconds, log_tail=text[-8000:])
        if profile:
            msprof, _ = _import_cannprof()
            try:
                out.profile = msprof.parse_profile(msprof.find_output(prof_dir), task, self.hardware)
            except Exception as e:  # msprof's output is ours to read: a failure is never the candidate's
                out.status = result_pb2.INTERNAL
                out.message = f"the msprof op output could not be parsed: {type(e).__name__}: {e}"
        return out

    def close(self) -> None:
        with self._lock:
            for d in self._cache.values():
                shutil.rmtree(d, ignore_errors=True)
            self._cache.clear()


def _readable(root: Path) -> None:
    """Let every sandbox uid read and traverse a finished build (it holds only the candidate's own code and what
    the toolchain made of it; only runs that are handed this path ever see it)."""
    for d, _dirs, files in os.walk(root):
        os.chmod(d, os.stat(d).st_mode | 0o755)
        for f in files:
            p = os.path.join(d, f)
            if not os.path.islink(p):
                os.chmod(p, os.stat(p).st_mode | 0o444 | (0o111 if os.stat(p).st_mode & 0o100 else 0))


def classify_failure(stage: str, returncode: int | None, signal: int | None) -> int:
    """The status of a launcher that did not finish: before the kernel ran it is our infrastructure (INTERNAL);
    from the launch on, the candidate's (RUNTIME_ERROR: its tiling function, its launch, its kernel)."""
    if returncode == launch.EXIT_IO:
        return result_pb2.INTERNAL
    if stage in ("launch", "synchronize", "tiling", "tensors"):
        return result_pb2.RUNTIME_ERROR
    if stage in ("start", "init", "copy_in", "finalize", "io", ""):
        # A crash with no report at all happened in the candidate's host code only when it ran (the tiling
        # function of an op package runs at the "tiling" stage); otherwise CANN or the launcher failed.
        return result_pb2.INTERNAL
    return result_pb2.RUNTIME_ERROR if signal else result_pb2.INTERNAL


def failure_message(stage: str, report: dict, returncode: int | None, signal: int | None) -> str:
    what = report.get("message") or (f"killed by signal {signal}" if signal else f"exit status {returncode}")
    return f"the launcher failed at {stage or 'start-up'}: {what}"


def default_work_root(work_dir: Path) -> Path:
    return Path(os.fspath(work_dir)) / "cann"
