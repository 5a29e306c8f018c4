"""Prompts for the LLM proposer and parsing of its answers.

The prompt carries what an engineer would need to improve a kernel: the task and its numpy reference, the
kernel contract with an API cheat-sheet, hardware knowledge retrieved for this situation, and the parent
candidate with its feedback pinned to source lines (compiler errors, hardware exceptions, mismatches,
bottleneck and hotspots).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from hawk.v1 import result_pb2, task_pb2
from npu_agent.taskspec import dtype_name

SYSTEM = (
    "You are an expert Ascend C kernel engineer for Huawei Ascend NPUs (Atlas A2, 910B). You write complete, "
    "correct, fast Ascend C kernels. Answer with exactly one ```cpp code block holding the whole source file, "
    "after at most a few sentences of reasoning."
)


class ParseError(ValueError):
    """The model's answer holds no usable kernel source."""


@dataclass(frozen=True)
class KnowledgeSnippet:
    """A retrieved knowledge entry as the prompt shows it."""

    entry_id: str
    title: str
    rationale: str
    template: str = ""
    why: str = ""
    transform: dict | None = None  # the entry's executable template {"name", "values"} (offline search)
    state: str = "active"          # "active", or "trial" (a synthesised template not yet re-verified)


def cheat_sheet() -> str:
    return resources.files("controller").joinpath("prompts/ascendc_cheatsheet.md").read_text(encoding="utf-8")


def _numbered(source: str) -> str:
    return "\n".join(f"{i:4d}| {line}" for i, line in enumerate(source.splitlines(), 1))


def _tensor(t: task_pb2.TensorSpec) -> str:
    return f"{t.name}: {dtype_name(t.dtype)}[{', '.join(str(d) for d in t.shape)}]"


def describe_task(spec: task_pb2.TaskSpec) -> str:
    args = [*(_tensor(t) for t in spec.inputs), *(_tensor(t) for t in spec.outputs)]
    lines = [
        f"Task: {spec.name} ({spec.category})",
        spec.description,
        f"Kernel entry: extern \"C\" __global__ __aicore__ void {spec.kernel_entry}("
        + ", ".join(f"GM_ADDR {t.name}" for t in [*spec.inputs, *spec.outputs]) + ", GM_ADDR workspace, GM_ADDR tiling)",
        "Inputs then outputs (row-major, contiguous in global memory):",
        *(f"  - {a}" for a in args),
    ]
    if spec.HasField("verify_task"):
        v = spec.verify_task
        lines.append("Verification: fresh inputs at " + ", ".join(_tensor(t) for t in [*v.inputs, *v.outputs])
                     + "; timed at the full size above. Take every size from the shapes (tiling), never hard-code "
                       "them; a kernel that reads tensor values as scalars is verified at full size too.")
    if spec.tolerances:
        lines.append("Tolerance: " + "; ".join(f"{dtype_name(t.dtype)} atol={t.atol:g} rtol={t.rtol:g}"
                                               for t in spec.tolerances))
    lines += ["Reference (numpy):", "```python", spec.reference_source.strip(), "```"]
    return "\n".join(lines)


def describe_feedback(result: result_pb2.Result) -> str:
    """The parent's outcome, pinned to source lines where the agent gave them."""
    s = result_pb2.Status.Name(result.status)
    out = [f"Status: {s}. {result.message}".strip()]
    for d in list(result.diagnostics)[:12]:
        out.append(f"  line {d.line}: {d.severity}: {d.message}")
    if result.status == result_pb2.HARDWARE_EXCEPTION:
        e = result.hardware_exception
        out.append(f"  hardware exception {e.code} ({e.kind}) at line {e.source_line} in {e.api}: {e.message} "
                   f"[block {e.block_id}, {result_pb2.CoreType.Name(e.core_type)}]")
    if result.status == result_pb2.WRONG_ANSWER:
        n = result.numeric
        out.append(f"  output {n.output_name}: {n.mismatch_count}/{n.element_count} elements wrong, first at flat "
                   f"index {n.first_mismatch_index} (expected {n.first_expected:g}, got {n.first_actual:g}), "
                   f"max abs error {n.max_abs_error:g}" + (", non-finite values" if n.non_finite else ""))
    if result.HasField("profile"):
        p = result.profile
        out.append(f"  time {p.time_us:.2f} us on {p.block_dim} blocks")
        b = p.bottleneck
        out.append(f"  bottleneck: {result_pb2.Bottleneck.Kind.Name(b.kind)} {result_pb2.Pipe.Name(b.pipe)} "
                   f"(ratio {b.ratio:.2f}) {b.explanation}")
        for ct in p.core_types:
            ratios = ", ".join(f"{result_pb2.Pipe.Name(ps.pipe).lower()} {ps.ratio:.2f}" for ps in ct.pipes)
            out.append(f"  {result_pb2.CoreType.Name(ct.core_type)} pipe ratios: {ratios}")
        for h in list(p.hotspots)[:5]:
            out.append(f"  hotspot line {h.line} ({h.api}, {result_pb2.Pipe.Name(h.pipe)}): {h.cycles} cycles")
        if p.HasField("floor"):
            out.append(f"  hardware floor {p.floor.time_us:.2f} us ({p.floor.limiter}); achieved "
                       f"{p.floor.achieved_fraction:.0%} of it")
    return "\n".join(out)


def build_prompt(spec: task_pb2.TaskSpec, *, parent_source: str | None = None,
                 parent_result: result_pb2.Result | None = None, knowledge: list[KnowledgeSnippet] | None = None,
                 hardware: str = "ascend910b2", baseline_source: str | None = None) -> str:
    parts = [describe_task(spec), f"Hardware profile: {hardware}.", "## Kernel contract and API cheat-sheet",
             cheat_sheet()]
    if knowledge:
        parts.append("## Hardware knowledge that applies here (verified on this hardware)")
        for k in knowledge:
            block = [f"### [{k.entry_id}] {k.title}", k.rationale]
            if k.why:
                block.append(f"(matched: {k.why})")
            if k.template:
                block += ["```cpp", k.template.strip(), "```"]
            parts.append("\n".join(block))
    if parent_source is not None:
        parts += ["## Current kernel (line numbers for reference only)", "```cpp", _numbered(parent_source), "```"]
        if parent_result is not None:
            parts += ["## Its evaluation", describe_feedback(parent_result)]
        parts.append("Write an improved version: fix every reported problem first, then make it faster by "
                     "attacking the bottleneck. Keep the entry name and argument order.")
    else:
        if baseline_source:
            parts += ["## A correct but slow starting point", "```cpp", baseline_source.strip(), "```"]
        parts.append("Write a correct, fast kernel for this task.")
    return "\n\n".join(parts)


_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)```", re.DOTALL)


def parse_source(answer: str, entry: str) -> str:
    """The kernel source from a model answer: the last fenced block that defines the entry function."""
    blocks = [body for lang, body in _FENCE.findall(answer) if lang.lower() in ("", "cpp", "c++", "cc", "c")]
    if not blocks:
        raise ParseError("the answer has no ```cpp code block")
    for body in reversed(blocks):
        if re.search(rf"\b{re.escape(entry)}\s*\(", body):
            return body.strip() + "\n"
    raise ParseError(f"no code block defines the kernel entry {entry!r}")
