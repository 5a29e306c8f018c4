"""`Observation`: one evaluation as knowledge sees it, a plain view of a hawk.v1.Result plus its source.

Synthesis, retrieval and effect accounting all work on this view rather than on the protobuf, so the store
never depends on which backend (twin or real NPU) produced a result, and tests can build one directly.
"""

from __future__ import annotations

import pickle
import re
from dataclasses import dataclass, field
from typing import Any

from knowledge import taxonomy
from knowledge.model import Outcome

# Ascend C APIs worth indexing when called without the AscendC:: prefix.
_KNOWN_APIS_WORDS = """
DataCopy DataCopyPad InitBuffer AllocTensor FreeTensor EnQue DeQue Get SetGlobalBuffer GetValue SetValue
Add Sub Mul Div Max Min And Or Not Adds Muls Maxs Mins LeakyRelu Exp Ln Abs Relu Sqrt Rsqrt Reciprocal
Duplicate Cast ReduceSum ReduceMax ReduceMin WholeReduceSum WholeReduceMax WholeReduceMin BlockReduceSum
BlockReduceMax PairReduceSum ReduceRepeat Compare Compares Select Gather Scatter Transpose LoadData Mmad
Fixpipe SetFlag WaitFlag PipeBarrier SyncAll GetBlockIdx GetBlockNum TPipe TQue TBuf GlobalTensor LocalTensor
DataCopyParams DataCopyExtParams DataCopyPadExtParams BinaryRepeatParams UnaryRepeatParams MmadParams
LoadData2DParams Nd2NzParams SetVectorMask ResetMask Brcb Axpy CrossCoreSetFlag CrossCoreWaitFlag
"""
KNOWN_APIS = frozenset(_KNOWN_APIS_WORDS.split())

_NS_CALL = re.compile(r"AscendC::([A-Za-z_][A-Za-z0-9_]*)")
_BARE_CALL = re.compile(r"\b([A-Z][A-Za-z0-9_]*)\s*(?:<[^;(){}]*>)?\s*\(")
_PIPE_NAMES = ("SCALAR", "MTE1", "MTE2", "MTE3", "VECTOR", "CUBE", "FIXPIPE")


def apis_in(source: str) -> list[str]:
    """Ascend C API names the source uses (AscendC::X anywhere, known names where called), sorted."""
    found = set(_NS_CALL.findall(source))
    found |= {m for m in _BARE_CALL.findall(source) if m in KNOWN_APIS}
    return sorted(found)


@dataclass
class Observation:
    """One evaluated candidate: status, error context, profile features and the source itself."""

    status: str                        # hawk.v1.Status name
    source: str = ""
    evaluation_id: str = ""
    candidate_id: str = ""
    parent_id: str = ""
    hardware: str = ""
    task: str = ""
    category: str = ""
    dtypes: list[str] = field(default_factory=list)
    error_class: str = ""
    error_message: str = ""
    error_line: int = 0
    error_api: str = ""
    error_code: str = ""
    pipes: dict[str, float] = field(default_factory=dict)
    bottleneck: str = ""               # "PIPE_BOUND:MTE2", "LATENCY_BOUND:VECTOR", "LAUNCH_BOUND:..."
    bottleneck_ratio: float | None = None
    floor_limiter: str = ""            # what bounds the hardware floor: "gm_bandwidth", "vector", "cube", "launch"
    buffer_use: float | None = None    # the fullest on-chip buffer's peak over its capacity
    core_use: float | None = None      # blocks used over the SoC's cores of that type
    time_us: float | None = None
    floor_fraction: float | None = None
    params: dict[str, Any] = field(default_factory=dict)  # tiling values, when the proposer knows them
    backend: str = ""                  # "simnpu" (the twin) or "cann" (hardware): which noise band applies
    transform: dict[str, Any] = field(default_factory=dict)  # the candidate's params when a transformation made it

    @property
    def passed(self) -> bool:
        return self.status == "OK"

    @property
    def error_signature(self) -> str:
        return taxonomy.normalise(self.error_message) if self.error_message else ""

    @property
    def apis(self) -> list[str]:
        return apis_in(self.source)

    def line_context(self, radius: int = 2) -> str:
        """The source lines around the error line, numbered, for rationales and LLM prompts."""
        if not self.error_line or not self.source:
            return ""
        lines = self.source.splitlines()
        lo, hi = max(1, self.error_line - radius), min(len(lines), self.error_line + radius)
        return "\n".join(f"{i:4d}{'>' if i == self.error_line else '|'} {lines[i - 1]}" for i in range(lo, hi + 1))

    def features(self) -> dict[str, Any]:
        """Coordinates in retrieval's hardware-aligned semantic space (see retrieval.semantic_similarity)."""
        f: dict[str, Any] = {}
        if self.error_class:
            f["error_class"] = self.error_class
        if self.status:
            f["status"] = self.status
        if self.bottleneck:
            f["bottleneck"] = self.bottleneck
        if self.pipes:
            f["pipes"] = dict(self.pipes)
        if self.buffer_use is not None:
            f["buffer_use"] = round(self.buffer_use, 4)
        if self.core_use is not None:
            f["core_use"] = round(self.core_use, 4)
        if self.floor_limiter:
            f["floor_limiter"] = self.floor_limiter
        if self.floor_fraction is not None:
            f["floor_fraction"] = round(self.floor_fraction, 4)
        if self.dtypes:
            f["dtypes"] = sorted(set(self.dtypes))
        if self.category:
            f["category"] = self.category
        return f

    @classmethod
    def from_result(cls, result: Any, source: str, task_spec: Any = None, *, evaluation_id: str = "",
                    candidate_id: str = "", parent_id: str = "", params: dict[str, Any] | None = None,
                    slow_threshold: float = 0.5, transform: dict[str, Any] | None = None) -> Observation:
        """View of a hawk.v1.Result (+ its source and optional hawk.v1.TaskSpec).

        A passing result whose profile reaches less than `slow_threshold` of the hardware floor gets the
        performance class "SLOW:<bottleneck>", so a later, faster child can be synthesized as its fix.
        """
        from hawk.v1 import result_pb2  # local: keeps `import knowledge` free of protobuf until needed

        status = result_pb2.Status.Name(result.status)
        obs = cls(status=status, source=source, evaluation_id=evaluation_id or result.evaluation_id,
                  candidate_id=candidate_id, parent_id=parent_id, hardware=result.hardware_profile,
                  params=dict(params or {}), backend=result.backend, transform=dict(transform or {}))
        if task_spec is not None:
            from npu_agent.taskspec import dtype_name

            obs.task, obs.category = task_spec.name, task_spec.category
            obs.dtypes = sorted({dtype_name(t.dtype) for t in [*task_spec.inputs, *task_spec.outputs]})
        if result.status == result_pb2.COMPILE_ERROR:
            errors = [d for d in result.diagnostics if d.severity == "error"] or list(result.diagnostics)
            first = errors[0] if errors else None
            obs.error_message = first.message if first else result.message
            obs.error_line = first.line if first else 0
            obs.error_class = taxonomy.classify_compile(obs.error_message)
            names = taxonomy.quoted_names(obs.error_message)
            obs.error_api = names[0] if names else ""
        elif result.status == result_pb2.HARDWARE_EXCEPTION:
            hx = result.hardware_exception
            obs.error_class = hx.kind or "HARDWARE_EXCEPTION"
            obs.error_message, obs.error_line, obs.error_api = hx.message, hx.source_line, hx.api
            obs.error_code = hx.code
        elif result.status == result_pb2.WRONG_ANSWER:
            n = result.numeric
            obs.error_class = "NON_FINITE" if n.non_finite else (
                "TAIL_MISMATCH" if _tail_only(n) else "NUMERIC_MISMATCH")
            obs.error_message = result.message or (
                f"output {n.output_name}: {n.mismatch_count} of {n.element_count} elements wrong, "
                f"max abs error {n.max_abs_error:g}")
        elif result.status in (result_pb2.TIMEOUT, result_pb2.RUNTIME_ERROR, result_pb2.SANDBOX_VIOLATION):
            obs.error_class, obs.error_message = status, result.message
        if result.HasField("profile"):
            _profile_features(obs, result.profile)
            if obs.passed and obs.floor_fraction is not None and obs.floor_fraction < slow_threshold:
                obs.error_class = f"SLOW:{obs.bottleneck or 'UNKNOWN'}"
                obs.error_message = result.profile.bottleneck.explanation
        return obs

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)

    def outcome_vs(self, parent: Observation | None) -> Outcome:
        """This evaluation's outcome against its parent, for crediting the entries its proposal used."""
        speedup = None
        if parent is not None and self.passed and parent.passed and self.time_us and parent.time_us:
            speedup = parent.time_us / self.time_us
        return Outcome(evaluation_id=self.evaluation_id or self.candidate_id, passed=self.passed,
                       parent_passed=None if parent is None else parent.passed, speedup=speedup,
                       parent_evaluation_id=(parent.evaluation_id or parent.candidate_id) if parent else "")


def _tail_only(n: Any) -> bool:
    """Mismatches confined to the end of the output: the signature of a dropped unaligned tail."""
    if n.element_count == 0 or n.mismatch_count == 0 or n.first_mismatch_index < 0:
        return False
    return n.first_mismatch_index + n.mismatch_count >= n.element_count and n.mismatch_count * 8 <= n.element_count


def _profile_features(obs: Observation, prof: Any) -> None:
    from hawk.v1 import result_pb2

    pipes: dict[str, float] = {}
    for ct in prof.core_types:
        for p in ct.pipes:
            name = result_pb2.Pipe.Name(p.pipe)
            if name in _PIPE_NAMES:
                pipes[name] = max(pipes.get(name, 0.0), round(float(p.ratio), 4))
    obs.pipes = pipes
    if prof.HasField("bottleneck") and prof.bottleneck.kind:
        b = prof.bottleneck
        obs.bottleneck = f"{result_pb2.Bottleneck.Kind.Name(b.kind)}:{result_pb2.Pipe.Name(b.pipe)}"
        obs.bottleneck_ratio = float(b.ratio)
    uses = [bp.peak_bytes / bp.capacity_bytes for bp in prof.buffer_peaks if bp.capacity_bytes]
    obs.buffer_use = max(uses) if uses else None
    obs.time_us = float(prof.time_us) if prof.time_us else None
    if prof.HasField("floor") and prof.floor.achieved_fraction:
        obs.floor_fraction = float(prof.floor.achieved_fraction)
    if prof.HasField("floor"):
        obs.floor_limiter = prof.floor.limiter
    if prof.block_dim and obs.hardware:
        try:
            from npu_agent.hardware import load_profile

            hw = load_profile(obs.hardware)
            cube = any(ct.core_type == result_pb2.AIC and ct.blocks for ct in prof.core_types)
            obs.core_use = min(1.0, prof.block_dim / (hw.aic_cores if cube else hw.aiv_cores))
        except (ValueError, KeyError):
            obs.core_use = None


# ------------------------------------------------------------------------------------------- packed batches
# A batch of evaluations as the campaign driver sends them to the knowledge store: plain values, each result
# serialized (already scrubbed of secrets), so that viewing them as Observations (profile features, error
# classes) is the knowledge store's CPU rather than the driver's, and pickling a batch is cheap.
#   {"tasks": {task name: serialized hawk.v1.TaskSpec},
#    "parents": {parent candidate id: (PackedResult, task name)},
#    "items": [(PackedResult, task name, parent candidate id or "", entry ids to credit, proposer)]}
# PackedResult = (serialized hawk.v1.Result, source, candidate id, parent id, tiling values or None,
#                 the params of the transformation that made it or None)
PackedResult = tuple[bytes, str, str, str, dict[str, Any] | None, dict[str, Any] | None]


def batch_bytes(batch: dict[str, Any]) -> bytes:
    """A packed batch as one pickle: Ray would otherwise serialize each of its tuples on its own (a Python-level
    call per tuple in the driver). Read back by `unpack_observations` in the knowledge actor, which unpickles
    only what a campaign driver of the same Ray cluster sent (as Ray does with every argument)."""
    return pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL)


def unpack_observations(batch: dict[str, Any] | bytes) -> list[tuple[Observation, Observation | None, list[str], str]]:
    """A packed batch (or its `batch_bytes`) as `KnowledgeBase.observe_many` takes it: (observation, its parent's,
    entries to credit, proposer) per evaluation, in order; a parent shared by many children is viewed once."""
    from hawk.v1 import result_pb2, task_pb2

    if isinstance(batch, bytes):
        batch = pickle.loads(batch)  # noqa: S301 (see batch_bytes)

    specs = {name: task_pb2.TaskSpec.FromString(raw) for name, raw in batch.get("tasks", {}).items()}

    def view(packed: PackedResult, task: str) -> Observation:
        raw, source, candidate_id, parent_id, values, transform = packed
        return Observation.from_result(result_pb2.Result.FromString(raw), source, specs.get(task),
                                       evaluation_id=candidate_id, candidate_id=candidate_id,
                                       parent_id=parent_id, params=values, transform=transform)

    parents = {pid: view(packed, task) for pid, (packed, task) in batch.get("parents", {}).items()}
    return [(view(packed, task), parents.get(parent) if parent else None, list(used), proposer)
            for packed, task, parent, used, proposer in batch.get("items", [])]
