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
    "after at most a few sentences of reasoning, then the APPLIED line the prompt asks for."
)

ANSWER_FORMAT = """## Answer format
1. At most a few sentences: what you change and why.
2. The whole kernel source file in ONE fenced block: ```cpp ... ```.
3. After the block, one line naming the knowledge entries (labels K1, K2, ... or their ids) your change
   actually applies, e.g. `APPLIED: K2, K5`, or `APPLIED: none`.
4. Optionally one line `SUMMARY: <the change in under 15 words>`."""


class ParseError(ValueError):
    """The model's answer holds no usable kernel source."""


class TruncatedAnswer(ParseError):
    """The answer was cut off (max_tokens reached or a code block never closed): ask again, shorter."""


@dataclass(frozen=True)
class KnowledgeSnippet:
    """A retrieved knowledge entry as the prompt shows it (and what confirms that a diff applied it)."""

    entry_id: str
    title: str
    rationale: str
    template: str = ""
    why: str = ""
    apis: tuple[str, ...] = ()             # the entry's trigger APIs
    transform: dict | None = None          # Entry.transform: {"name": ..., "values": {...}} when it has one
    state: str = "active"                  # "active", "trial" (a synthesised template not yet re-verified) or "pending"
    score: float = 0.0                     # the fused retrieval score in [0, 1] (knowledge/retrieval.py)
    uses: int = 0                          # recorded uses of the entry (its effects), over every campaign
    mean_effect: float = 0.0               # their mean effect in [-1, 1] (docs/knowledge.md, effects)


@dataclass(frozen=True)
class Answer:
    """What a model answer holds: the kernel, the entries it says it applied, its own one-line summary."""

    source: str
    cited: tuple[str, ...] = ()
    summary: str = ""


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


def knowledge_label(i: int) -> str:
    """The short label the prompt gives the i-th (0-based) retrieved entry; answers may cite it or the id."""
    return f"K{i + 1}"


def build_prompt(spec: task_pb2.TaskSpec, *, parent_source: str | None = None,
                 parent_result: result_pb2.Result | None = None, knowledge: list[KnowledgeSnippet] | None = None,
                 hardware: str = "ascend910b2", baseline_source: str | None = None,
                 history: list[str] | None = None, focus: str = "", repair: bool = False) -> str:
    """The user prompt. `history` lines say what was tried lately (so the model does not repeat it), `focus`
    varies the emphasis between the samples of one round, `repair` says the parent failed and must be fixed."""
    parts = [describe_task(spec), f"Hardware profile: {hardware}.", "## Kernel contract and API cheat-sheet",
             cheat_sheet()]
    if knowledge:
        parts.append("## Hardware knowledge that applies here (retrieved for this situation; cite what you "
                     "apply by its label)")
        for i, k in enumerate(knowledge):
            tag = " (unverified: seen failing, no fix recorded yet)" if k.state == "pending" else ""
            block = [f"### {knowledge_label(i)} [{k.entry_id}] {k.title}{tag}", k.rationale]
            if k.why:
                block.append(f"(matched: {k.why})")
            if k.template:
                block += ["```cpp", k.template.strip(), "```"]
            parts.append("\n".join(block))
    if history:
        parts += ["## Already tried for this task (latest last; do not resubmit these: a kernel equal to one "
                  "of them up to comments and whitespace is discarded)", "\n".join(f"- {h}" for h in history)]
    if parent_source is not None:
        title = "## The kernel to repair" if repair else "## Current kernel"
        parts += [f"{title} (line numbers for reference only)", f"```cpp\n{_numbered(parent_source)}\n```"]
        if parent_result is not None:
            parts += ["## Its evaluation", describe_feedback(parent_result)]
        if repair:
            parts.append("This kernel FAILED. Fix the reported problem at the reported line first (the knowledge "
                         "above was retrieved for this failure); keep everything that is not part of the fix. "
                         "Keep the entry name and argument order.")
        else:
            parts.append("Write an improved version: fix every reported problem first, then make it faster by "
                         "attacking the bottleneck. Keep the entry name and argument order.")
    else:
        if baseline_source:
            parts += ["## A correct but slow starting point", f"```cpp\n{baseline_source.strip()}\n```"]
        parts.append("Write a correct, fast kernel for this task.")
    if focus:
        parts.append(f"Focus of this attempt: {focus}")
    parts.append(ANSWER_FORMAT)
    return "\n\n".join(parts)


# Fence languages that hold kernel source ("" = a plain fence).
CODE_LANGS = frozenset({"", "cpp", "c++", "cxx", "cc", "c", "h", "hpp", "cuda", "cu", "ascendc", "ascend-c",
                        "ascend_c", "ascendc++"})
_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([^\s`{]*)[^\n`]*$")
_APPLIED = re.compile(r"^[ \t>*_-]*applied[ \t*_]*[:=][ \t]*(.*)$", re.IGNORECASE | re.MULTILINE)
_SUMMARY = re.compile(r"^[ \t>*_-]*summary[ \t*_]*[:=][ \t]*(.+)$", re.IGNORECASE | re.MULTILINE)
_JSON_APPLIED = re.compile(r'"applied"\s*:\s*\[([^\]]*)\]', re.IGNORECASE)


def fenced_blocks(answer: str) -> tuple[list[tuple[str, str]], str, bool]:
    """(language, body) of each fenced block (``` or ~~~), the text outside them, and whether the last block
    was never closed (an answer cut off mid-code)."""
    blocks: list[tuple[str, str]] = []
    outside: list[str] = []
    fence = lang = ""
    body: list[str] = []
    for line in answer.splitlines():
        if not fence:
            m = _OPEN.match(line)
            if m:
                fence, lang, body = m.group(1), m.group(2).lower(), []
            else:
                outside.append(line)
            continue
        stripped = line.strip()
        if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
            blocks.append((lang, "\n".join(body)))
            fence = ""
        elif line.rstrip().endswith(fence) and fence[0] == "`":  # "}```": a closing fence glued to code
            body.append(line.rstrip()[: -len(fence)])
            blocks.append((lang, "\n".join(body)))
            fence = ""
        else:
            body.append(line)
    unclosed = bool(fence)
    if unclosed:
        blocks.append((lang, "\n".join(body)))
    return blocks, "\n".join(outside), unclosed


def parse_cited(text: str) -> tuple[str, ...]:
    """The entry labels/ids an answer says it applied: the last `APPLIED:` line, or a JSON {"applied": [...]}."""
    found = _APPLIED.findall(text)
    raw = found[-1] if found else ""
    if not found:
        m = _JSON_APPLIED.findall(text)
        raw = m[-1] if m else ""
    out: list[str] = []
    for tok in re.split(r"[,;\s]+", raw):
        tok = tok.strip("[](){}<>`'\".*_")
        if tok and tok.lower() not in ("none", "n/a", "nothing", "and") and tok not in out:
            out.append(tok)
    return tuple(out)


def parse_answer(answer: str, entry: str, *, finish_reason: str = "") -> Answer:
    """The kernel, cited entries and summary of a model answer; TruncatedAnswer when it was cut off."""
    blocks, outside, unclosed = fenced_blocks(answer)
    code = [(lang, body) for lang, body in blocks if lang in CODE_LANGS]
    defines = [body for _, body in code if re.search(rf"\b{re.escape(entry)}\s*\(", body)]
    last_open = unclosed and bool(defines) and defines[-1] == blocks[-1][1]
    if (finish_reason == "length" or unclosed) and (not defines or last_open):
        raise TruncatedAnswer(f"the answer was cut off ({'max_tokens reached' if finish_reason == 'length' else 'a code block never closed'}) "
                              f"after {len(answer)} characters")
    if not code:
        langs = sorted({lang for lang, _ in blocks})
        raise ParseError("the answer has no ```cpp code block" + (f" (only blocks in {', '.join(langs)})" if langs
                                                                    else ""))
    if not defines:
        raise ParseError(f"no code block defines the kernel entry {entry!r}")
    meta = outside + "\n" + "\n".join(body for lang, body in blocks if lang == "json")
    summary = _SUMMARY.findall(outside)
    return Answer(source=defines[-1].strip() + "\n", cited=parse_cited(meta),
                  summary=summary[-1].strip()[:200] if summary else "")


def parse_source(answer: str, entry: str) -> str:
    """The kernel source from a model answer: the last fenced block that defines the entry function."""
    return parse_answer(answer, entry).source
