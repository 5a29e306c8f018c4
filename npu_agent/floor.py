"""The hardware floor of a task: the least time any correct kernel can take on a SoC.

A task's ``Work`` says what any correct kernel must do (bytes across global memory, element operations on
the vector units, multiply-accumulates on the cube units); each resource can do its share no faster than
its chip-wide peak, and a launch costs at least what the cycle model charges a one-block launch (the same
clock as the profiles it is compared with; without a cost file, the profile's framework launch head). The
floor is the largest of those times,
so ``floor / measured`` (the floor fraction) is at most 1 and says how much room is left, which a speedup
over a naive baseline cannot. A profile above 1 is impossible for a correct kernel: it is flagged
(``Floor.below_floor``), never clamped. Every number comes from the hardware profile (npu_agent/hardware/*.toml).

The agent (to annotate profiles) and the controller (reports, ``hawk tasks show``) both use this module;
it needs nothing but the wire spec and a profile.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from hawk.v1 import result_pb2, task_pb2
from npu_agent.hardware import HardwareProfile, load_profile
from npu_agent.taskspec import TaskError, dtype_name, itemsize, tensor_bytes

# The cost file's [chip] traffic classes a first-touch GM byte may use (docs/cycle-model.md).
CHIP_RATE_KEYS = ("read_cached_tb_s", "read_bypass_tb_s", "write_tb_s")

# Relative slack before a profile counts as below the floor (rounding of cycles and clocks, not a model error).
BELOW_FLOOR_TOLERANCE = 1e-6


class HardwareDataError(ValueError):
    """The hardware profile lacks a number the floor needs (a broken data file, not the task's fault)."""


@dataclass(frozen=True)
class Floor:
    """Per-resource lower bounds in microseconds; ``floor_us`` is the largest, ``bound`` names it."""

    gm_us: float
    vector_us: float
    cube_us: float
    launch_us: float
    floor_us: float
    bound: str               # "gm", "vector", "cube" or "launch"
    gm_bytes: int
    vector_element_ops: int
    cube_macs: int
    hardware: str

    def fraction(self, measured_us: float) -> float:
        """Floor fraction of a measured duration (1.0 = at the floor)."""
        if measured_us <= 0:
            raise ValueError(f"measured duration must be positive, got {measured_us}")
        return self.floor_us / measured_us

    def as_dict(self) -> dict[str, float | int | str]:
        return asdict(self)

    def to_proto(self, measured_us: float | None = None, clock_mhz: float | None = None) -> result_pb2.Floor:
        """The wire ``hawk.v1.Floor`` for a profile: the floor, its limiter and the fraction achieved."""
        limiter = {"gm": "gm_bandwidth"}.get(self.bound, self.bound)
        parts = f"gm {self.gm_us:.2f} us, vector {self.vector_us:.2f} us, cube {self.cube_us:.2f} us, " \
                f"launch {self.launch_us:.2f} us"
        msg = result_pb2.Floor(time_us=self.floor_us, limiter=limiter,
                               explanation=f"{limiter} bound on {self.hardware} ({parts})")
        if clock_mhz:
            msg.cycles = round(self.floor_us * clock_mhz)
        if measured_us:
            # Never clamped: a profile faster than the floor is impossible for a correct kernel, so it is flagged
            # and keeps its real ratio (> 1) for whoever looks into it.
            msg.achieved_fraction = self.fraction(measured_us)
            if msg.achieved_fraction > 1.0 + BELOW_FLOOR_TOLERANCE:
                msg.below_floor = True
                msg.explanation += (f"; FLAGGED: the profile ({measured_us:.3g} us) is below this floor, so it cannot "
                                    f"be the work a correct kernel did")
        return msg


def gm_bytes(spec: task_pb2.TaskSpec) -> int:
    """Bytes that must cross GM: ``work.gm_bytes``, else every input read once and every output written once."""
    if spec.work.gm_bytes:
        return int(spec.work.gm_bytes)
    return sum(tensor_bytes(t) for t in (*spec.inputs, *spec.outputs))


def vector_elements_per_second(hw: HardwareProfile, dtype: int) -> float:
    """Chip-wide vector peak in elements/s at ``dtype``: AIV cores x bytes/cycle / element size x clock."""
    per_cycle = float(hw["compute"]["vector_bytes_per_cycle"]) / itemsize(dtype)
    return hw.aiv_cores * per_cycle * hw.clock_mhz * 1e6


def cube_macs_per_second(hw: HardwareProfile, dtype: int) -> float:
    """Chip-wide cube peak in MAC/s at the operand ``dtype`` (fp16/bf16, int8, fp32 at its fraction)."""
    c = hw["compute"]
    if dtype in (task_pb2.FLOAT16, task_pb2.BFLOAT16):
        per_cycle = float(c["cube_fp16_macs_per_cycle"])
    elif dtype == task_pb2.INT8:
        per_cycle = float(c["cube_int8_macs_per_cycle"])
    elif dtype == task_pb2.FLOAT32:
        per_cycle = float(c["cube_fp16_macs_per_cycle"]) * float(c["cube_fp32_rate_fraction"])
    else:
        raise TaskError(f"the cube unit takes no {dtype_name(dtype)} operands")
    if per_cycle <= 0:  # e.g. 310P: no float x float Mmad
        raise TaskError(f"the cube unit of {hw.name} takes no {dtype_name(dtype)} operands")
    return hw.aic_cores * per_cycle * hw.clock_mhz * 1e6


def gm_bytes_per_second(hw: HardwareProfile) -> float:
    """The fastest chip-wide GM rate the cycle model gives any byte of first-touch traffic, in bytes/s.

    One source of truth: the cost file's [chip] rates (read through L2, read with L2 bypass, write) are what the
    model charges, so the floor takes the fastest of them and no simulated kernel can beat it. A profile without a
    cost file (not simulable) falls back to its [bandwidth] chip_gm_bypass_tb_per_s / chip_gm_tb_per_s.
    """
    chip = _cost_data(hw).get("chip", {})
    rates = [float(chip[k]) for k in CHIP_RATE_KEYS if k in chip]
    if not rates:
        b = hw.sections.get("bandwidth", {})
        rates = [float(b[k]) for k in ("chip_gm_bypass_tb_per_s", "chip_gm_tb_per_s") if k in b]
    if not rates:
        raise HardwareDataError(f"hardware profile {hw.name!r} states no chip GM bandwidth: its cost file lacks "
                                f"[chip] {'/'.join(CHIP_RATE_KEYS)} and its profile [bandwidth] chip_gm_tb_per_s")
    return max(rates) * 1e12


def _cost_data(hw: HardwareProfile) -> dict:
    """The SoC's cycle-model cost file (npu_agent/hardware/costs/<soc>.toml), {} when it has none."""
    import tomllib
    from importlib import resources

    costs = resources.files("npu_agent.hardware") / "costs" / f"{hw.name}.toml"
    return tomllib.loads(costs.read_text(encoding="utf-8")) if costs.is_file() else {}


def min_launch_us(hw: HardwareProfile) -> float:
    """The least launch time of a kernel, on the clock of the cycle model's Task Duration.

    The cost file's [launch] (fitted to msprof Task Duration minus core time) charges base + per block; one
    block is the minimum. The profile's `head_overhead_us` (about 20 us) is the framework-level head seen in
    op summaries, outside msprof's Task Duration, so it is only the fallback when a SoC has no cost file.
    """
    launch = _cost_data(hw).get("launch", {})
    if "base_us" in launch:
        return float(launch["base_us"]) + float(launch.get("per_block_us", 0.0))
    return float(hw["launch"]["head_overhead_us"])


def floor(spec: task_pb2.TaskSpec, hardware: HardwareProfile | str | None = None) -> Floor:
    """The hardware floor of ``spec`` on ``hardware`` (a profile or its name; default ascend910b2)."""
    hw = hardware if isinstance(hardware, HardwareProfile) else load_profile(hardware or "ascend910b2")
    w = spec.work
    nbytes = gm_bytes(spec)
    gm_us = nbytes / gm_bytes_per_second(hw) * 1e6
    vec_us = (w.vector_element_ops / vector_elements_per_second(hw, w.vector_dtype) * 1e6
              if w.vector_element_ops else 0.0)
    cube_us = w.cube_macs / cube_macs_per_second(hw, w.cube_dtype) * 1e6 if w.cube_macs else 0.0
    launch_us = min_launch_us(hw)
    parts = {"gm": gm_us, "vector": vec_us, "cube": cube_us, "launch": launch_us}
    bound = max(parts, key=lambda k: parts[k])
    return Floor(gm_us=gm_us, vector_us=vec_us, cube_us=cube_us, launch_us=launch_us, floor_us=parts[bound],
                 bound=bound, gm_bytes=nbytes, vector_element_ops=int(w.vector_element_ops),
                 cube_macs=int(w.cube_macs), hardware=hw.name)
