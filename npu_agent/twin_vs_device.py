"""Twin versus device: one kernel set evaluated on two backends through the agent's own path (a real agent per
backend on 127.0.0.1: compile, verify against the task's reference, profile), then where their verdicts and
profiles differ, kernel by kernel. On an Ascend host `simnpu` vs `cann` is the recalibration data of the twin
(docs/twin-vs-device.md); any two backend names work (null, simnpu on another hardware profile).

The CLI (`hawk twin-vs-device`, tasks/device_cli.py) picks the kernels; this module knows nothing of the task
catalogue or the controller.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hawk.v1 import agent_pb2, result_pb2, task_pb2
from npu_agent.client import AgentClient
from npu_agent.server import Agent, AgentConfig

S = result_pb2
TIME_TOLERANCE = 0.10   # relative: kernel times within 10 % agree
RATIO_TOLERANCE = 0.05  # absolute: pipe busy ratios within 5 points agree


class BackendUnavailable(RuntimeError):
    """A backend that cannot start on this host (e.g. cann without CANN); the message is one line."""


@dataclass(frozen=True)
class Side:
    """One backend to compare: its name and the hardware profile it runs as."""

    backend: str
    hardware: str

    @property
    def label(self) -> str:
        return f"{self.backend}@{self.hardware}"


@dataclass
class Kernel:
    name: str
    task: task_pb2.TaskSpec
    source: str


@dataclass
class Difference:
    what: str    # e.g. "status", "exception.kind", "profile.time_us", "profile.aiv.mte2_ratio"
    a: str
    b: str
    note: str = ""


@dataclass
class KernelReport:
    kernel: str
    task: str
    a: dict = field(default_factory=dict)    # the summary of each side's Result
    b: dict = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return not self.differences


def summarize(r: result_pb2.Result) -> dict:
    """What the comparison looks at in one Result: verdict, exception, time, bottleneck, pipe ratios."""
    out: dict = {"status": S.Status.Name(r.status), "message": r.message}
    if r.HasField("hardware_exception"):
        e = r.hardware_exception
        out["exception"] = {"kind": e.kind, "code": e.code, "core_type": S.CoreType.Name(e.core_type),
                            "line": e.source_line, "api": e.api}
    if r.HasField("profile"):
        p = r.profile
        out["profile"] = {
            "model": p.model, "time_us": p.time_us, "clock_mhz": p.clock_mhz, "block_dim": p.block_dim,
            "bottleneck": {"kind": S.Bottleneck.Kind.Name(p.bottleneck.kind), "pipe": S.Pipe.Name(p.bottleneck.pipe),
                           "ratio": p.bottleneck.ratio},
            "ratios": {f"{S.CoreType.Name(c.core_type).lower()}.{S.Pipe.Name(x.pipe).lower()}": x.ratio
                       for c in p.core_types for x in c.pipes}}
    return out


def compare(a: dict, b: dict, *, time_tolerance: float = TIME_TOLERANCE,
            ratio_tolerance: float = RATIO_TOLERANCE) -> list[Difference]:
    """Where two summaries differ: the verdict and exception exactly, the profile within the tolerances."""
    diffs: list[Difference] = []
    if a["status"] != b["status"]:
        diffs.append(Difference("status", a["status"], b["status"]))
    ea, eb = a.get("exception"), b.get("exception")
    if ea or eb:
        for k in ("kind", "code", "core_type", "line"):
            va, vb = (ea or {}).get(k, "-"), (eb or {}).get(k, "-")
            if va != vb:
                diffs.append(Difference(f"exception.{k}", str(va), str(vb)))
    pa, pb = a.get("profile"), b.get("profile")
    if (pa is None) != (pb is None):
        diffs.append(Difference("profile", "yes" if pa else "none", "yes" if pb else "none"))
    if pa and pb:
        ta, tb = pa["time_us"], pb["time_us"]
        ratio = tb / ta if ta > 0 else math.inf
        if not (1 - time_tolerance) <= ratio <= 1 / (1 - time_tolerance):
            diffs.append(Difference("profile.time_us", f"{ta:.3f}", f"{tb:.3f}", f"b/a {ratio:.2f}x"))
        for k in ("kind", "pipe"):
            if pa["bottleneck"][k] != pb["bottleneck"][k]:
                diffs.append(Difference(f"profile.bottleneck.{k}", pa["bottleneck"][k], pb["bottleneck"][k]))
        for key in sorted(set(pa["ratios"]) | set(pb["ratios"])):
            ra, rb = pa["ratios"].get(key), pb["ratios"].get(key)
            if ra is None or rb is None or abs(ra - rb) > ratio_tolerance:
                diffs.append(Difference(f"profile.{key}_ratio", "-" if ra is None else f"{ra:.3f}",
                                        "-" if rb is None else f"{rb:.3f}"))
    return diffs


def check_available(side: Side) -> None:
    """Refuse a side that cannot start, before the other side's (possibly minutes-long) set-up: an unknown
    backend or hardware profile, or cann on a host without CANN and devices."""
    from npu_agent.hardware import load_profile
    from npu_agent.server import BACKENDS

    try:
        load_profile(side.hardware)
    except ValueError as e:
        raise BackendUnavailable(f"side {side.label}: {e}") from None
    if side.backend == "cann":
        try:
            from npu_agent.backends.cann.environment import find_cann  # type: ignore[import-not-found]
        except ImportError:
            raise BackendUnavailable("backend 'cann' is not in this build of the agent") from None
        try:
            find_cann()
        except Exception as e:  # CannNotFound: one line naming what is missing
            raise BackendUnavailable(f"backend 'cann' is unavailable here: {' '.join(str(e).split())}") from None
    elif side.backend not in BACKENDS:
        raise BackendUnavailable(f"unknown backend {side.backend!r}; expected one of {', '.join(BACKENDS)}")


def default_work_root() -> Path:
    """Kept between runs, so the twin's build (minutes) is made once: $HAWK_SIM_WORK_ROOT/twin-vs-device, else a
    per-user directory in the temp dir."""
    import os

    shared = os.environ.get("HAWK_SIM_WORK_ROOT")
    return Path(shared) / "twin-vs-device" if shared else \
        Path(tempfile.gettempdir()) / f"hawk-twin-vs-device-{os.getuid()}"


def default_twin_root() -> Path:
    """Where `hawk sim` keeps its twin build: $HAWK_SIM_WORK_ROOT, else a per-user directory in the temp dir."""
    import os

    return Path(os.environ.get("HAWK_SIM_WORK_ROOT") or Path(tempfile.gettempdir()) / f"hawk-simnpu-{os.getuid()}")


def _start(side: Side, work_dir: Path, twin_root: Path | None) -> Agent:
    cfg = AgentConfig(backend=side.backend, hardware=side.hardware, devices=1, compile_workers=2,
                      work_dir=work_dir, single_tenant=True)  # one user's comparison: no tenants to isolate
    try:
        backend = None
        if side.backend == "simnpu" and twin_root is not None:  # the shared twin build, not one per agent
            from npu_agent.backends.simnpu import SimNpuBackend
            from npu_agent.hardware import load_profile
            from npu_agent.sandbox import Sandbox

            work_dir.mkdir(parents=True, exist_ok=True)
            twin_root.mkdir(parents=True, exist_ok=True)
            twin_root.chmod(twin_root.stat().st_mode | 0o711)
            backend = SimNpuBackend(load_profile(side.hardware), work_root=twin_root,
                                    sandbox=Sandbox(work_dir / "sandbox"))
        return Agent(cfg, backend=backend).start()
    except Exception as e:  # unknown backend, missing toolchain or devices, unknown hardware profile
        text = " ".join(str(e).split()) or type(e).__name__
        raise BackendUnavailable(f"backend {side.backend!r} on {side.hardware} is unavailable here: {text}") from None


def run_kernels(kernels: Iterable[Kernel], a: Side, b: Side, *, timeout_s: float = 300.0,
                work_root: Path | None = None, twin_root: Path | None = None, time_tolerance: float = TIME_TOLERANCE,
                ratio_tolerance: float = RATIO_TOLERANCE,
                on_kernel: Callable[[KernelReport], None] | None = None) -> list[KernelReport]:
    """Evaluate every kernel on both sides (real agents, the agent's own verification and profiling) and
    compare. Raises BackendUnavailable before anything runs when either side cannot start. A simnpu side builds
    its twin under `twin_root` (default: `hawk sim`'s, so the build is shared), the agents live in `work_root`."""
    kernels = list(kernels)
    for side in (a, b):
        check_available(side)
    root = Path(work_root or default_work_root())
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(root.stat().st_mode | 0o711)  # the twin's sandbox uid traverses into its work dir
    agents: list[Agent] = []
    try:
        for i, side in enumerate((a, b)):
            agents.append(_start(side, root / f"{i}-{side.backend}-{side.hardware}", Path(twin_root or default_twin_root())))
        opts = agent_pb2.EvaluateOptions(compile_timeout_s=timeout_s, verify_timeout_s=timeout_s,
                                         profile_timeout_s=timeout_s, bypass_cache=True)
        reports = []
        with AgentClient(agents[0].address) as ca, AgentClient(agents[1].address) as cb:
            for k in kernels:
                results = []
                for client in (ca, cb):
                    (h,) = client.put_task(k.task)
                    results.append(summarize(client.evaluate(h, k.source, options=opts, timeout_s=4 * timeout_s)))
                rep = KernelReport(kernel=k.name, task=k.task.name, a=results[0], b=results[1],
                                   differences=compare(results[0], results[1], time_tolerance=time_tolerance,
                                                       ratio_tolerance=ratio_tolerance))
                reports.append(rep)
                if on_kernel is not None:
                    on_kernel(rep)
        return reports
    finally:
        for agent in agents:
            agent.stop()


def _verdict(s: dict) -> str:
    e = s.get("exception")
    if e:
        return f"{s['status']} {e['kind']} ({e['code']}, {e['core_type']}, line {e['line']})"
    p = s.get("profile")
    if p:
        bn = p["bottleneck"]
        return f"{s['status']} {p['time_us']:.2f} us, {bn['kind']} {bn['pipe']} {bn['ratio']:.0%}"
    return s["status"]


def format_text(reports: list[KernelReport], a: Side, b: Side) -> str:
    """Per kernel: both verdicts and, where they differ, each difference on its own line."""
    lines = [f"twin-vs-device: a = {a.label}, b = {b.label}"]
    for r in reports:
        mark = "same" if r.agree else f"{len(r.differences)} difference(s)"
        lines.append(f"{r.kernel} [{r.task}]: {mark}")
        lines.append(f"  a: {_verdict(r.a)}")
        lines.append(f"  b: {_verdict(r.b)}")
        for d in r.differences:
            lines.append(f"  ~ {d.what}: {d.a} -> {d.b}" + (f" ({d.note})" if d.note else ""))
    n = sum(not r.agree for r in reports)
    lines.append(f"{len(reports)} kernel(s), {n} with differences")
    return "\n".join(lines)


def format_json(reports: list[KernelReport], a: Side, b: Side) -> str:
    return json.dumps({"a": asdict(a), "b": asdict(b),
                       "kernels": [{"kernel": r.kernel, "task": r.task, "agree": r.agree, "a": r.a, "b": r.b,
                                    "differences": [asdict(d) for d in r.differences]} for r in reports]},
                      indent=2, sort_keys=True)
