"""The error taxonomy: classes, families, normalised signatures and the rule-written rationales.

Synthesis without an LLM and retrieval's semantic space both need to know that "UB_OUT_OF_BOUNDS" and
"TOO_MANY_BUFFERS" are the same family (on-chip capacity), and that a compiler's "no member named 'Softmax'"
is a hallucinated API. Classes come from the structured Result (hardware exception kind, status) and, for
compiler text, from a few regexes; nothing here parses free text beyond that.
"""

from __future__ import annotations

import re

# Error class -> family. Families are the coarse axis of the semantic space.
FAMILIES: dict[str, str] = {
    "UB_OUT_OF_BOUNDS": "capacity", "L1_OUT_OF_BOUNDS": "capacity", "L0A_OUT_OF_BOUNDS": "capacity",
    "L0B_OUT_OF_BOUNDS": "capacity", "L0C_OUT_OF_BOUNDS": "capacity", "TOO_MANY_BUFFERS": "capacity",
    "MISALIGNED_ADDRESS": "alignment", "TAIL_MISMATCH": "alignment",
    "GM_OUT_OF_BOUNDS": "bounds",
    "INVALID_PARAMETER": "parameter",
    "UNSUPPORTED_DTYPE": "dtype", "TYPE_MISMATCH": "dtype",
    "DEQUE_EMPTY": "sync", "QUEUE_MISUSE": "sync", "DEADLOCK": "sync", "TIMEOUT": "sync",
    "WRONG_CORE_TYPE": "core",
    "UNSUPPORTED_API": "api", "UNKNOWN_API": "api", "BAD_SIGNATURE": "api", "UNDECLARED": "api",
    "SYNTAX": "syntax", "COMPILE_OTHER": "syntax",
    "NUMERIC_MISMATCH": "numeric", "NON_FINITE": "numeric",
    "RUNTIME_ERROR": "crash", "SANDBOX_VIOLATION": "crash",
}
FAMILY_NAMES = sorted(set(FAMILIES.values()) | {"performance", "other"})

_COMPILE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("UNKNOWN_API", re.compile(r"no member named|is not a member of|has no member", re.I)),
    ("BAD_SIGNATURE", re.compile(r"no matching (member )?function|too (many|few) arguments|candidate function", re.I)),
    ("UNDECLARED", re.compile(r"undeclared identifier|was not declared|unknown type name|does not name a type", re.I)),
    ("TYPE_MISMATCH", re.compile(r"cannot convert|invalid conversion|no viable conversion|static_assert|"
                                 r"incompatible type|narrowing", re.I)),
    ("SYNTAX", re.compile(r"expected .*|unterminated|extraneous|stray", re.I)),
)

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|‘[^’]*’")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_NUM = re.compile(r"(?<![A-Za-z_])\d+(\.\d+)?")
_SPACE = re.compile(r"\s+")
_QUOTED_NAME = re.compile(r"['\"‘]([A-Za-z_][A-Za-z0-9_:<>]*)['\"’]")


def family(error_class: str) -> str:
    """The family of a class; performance classes ("SLOW:...") are "performance"."""
    if error_class.startswith("SLOW"):
        return "performance"
    if error_class in FAMILIES:
        return FAMILIES[error_class]
    if error_class.endswith("_OUT_OF_BOUNDS"):
        return "capacity"
    return "other" if error_class else ""


def classify_compile(message: str) -> str:
    for cls, rx in _COMPILE_RULES:
        if rx.search(message):
            return cls
    return "COMPILE_OTHER"


def normalise(message: str, limit: int = 160) -> str:
    """Error text with names, addresses and numbers replaced, so the same error on another kernel matches."""
    text = _QUOTED.sub("<id>", message)
    text = _HEX.sub("<hex>", text)
    text = _NUM.sub("<n>", text)
    return _SPACE.sub(" ", text).strip().lower()[:limit]


def quoted_names(message: str) -> list[str]:
    """Identifiers quoted in compiler text, e.g. 'Softmax' in "no member named 'Softmax'"."""
    return [m.split("::")[-1] for m in _QUOTED_NAME.findall(message)]


# Rule-written rationales: what the rule engine says about a class when no LLM is configured. `{...}` are
# hardware numbers from the profile (see synthesis.py), so the text always matches the SoC it is scoped to.
RULE_RATIONALES: dict[str, str] = {
    "UB_OUT_OF_BOUNDS": "The Unified Buffer holds {ub_bytes} bytes per AIV core ({ub_usable} usable); the sum of all "
                        "InitBuffer sizes (buffer count x length, each rounded up to 32 B) must fit, and every access "
                        "must stay inside its tensor. Shrink the tile length or the buffer count.",
    "L1_OUT_OF_BOUNDS": "L1 holds {l1_bytes} bytes per AIC core; tiles staged in L1 must fit together.",
    "L0A_OUT_OF_BOUNDS": "L0A holds {l0a_bytes} bytes; the A fractals of one Mmad step must fit.",
    "L0B_OUT_OF_BOUNDS": "L0B holds {l0b_bytes} bytes; the B fractals of one Mmad step must fit.",
    "L0C_OUT_OF_BOUNDS": "L0C holds {l0c_bytes} bytes; the accumulator tile must fit.",
    "TOO_MANY_BUFFERS": "At most {max_queue_buffers} buffers may be outstanding per TPosition and {max_pipe_buffers} in "
                        "one TPipe; free tensors before allocating more.",
    "MISALIGNED_ADDRESS": "UB and L1 addresses must be {ub_align}-byte aligned; offsets into local tensors must be "
                          "multiples of 32 B / sizeof(T) elements.",
    "TAIL_MISMATCH": "DataCopy moves whole 32-byte blocks and silently drops the rest; a length that is not a "
                     "multiple of 32 B leaves the tail uncopied. Use DataCopyPad (or pad the tile) for the tail.",
    "GM_OUT_OF_BOUNDS": "A global-memory access ran past the tensor: per-core offsets and the last (tail) tile must "
                        "stay inside the buffer given to SetGlobalBuffer.",
    "INVALID_PARAMETER": "An API parameter is out of its hardware range (e.g. repeatTime is uint8, at most "
                         "{max_repeat}; DataCopy blockCount at most 4095); split the call.",
    "UNSUPPORTED_DTYPE": "This API does not support the element type on this SoC (e.g. no bf16 vector arithmetic "
                         "on A2); cast to a supported type first.",
    "TYPE_MISMATCH": "Operand types disagree with the API's template signature; cast explicitly or use the "
                     "matching overload.",
    "DEQUE_EMPTY": "DeQue on a queue with nothing enqueued: every DeQue needs a preceding EnQue of the same queue.",
    "QUEUE_MISUSE": "Queue protocol broken: AllocTensor -> EnQue -> DeQue -> FreeTensor, once each, in that order.",
    "DEADLOCK": "Pipes waited on each other forever: every WaitFlag needs a matching SetFlag, queues must be "
                "balanced across CopyIn/Compute/CopyOut.",
    "TIMEOUT": "The kernel did not finish in time: look for unbalanced queues, missing SetFlag, or a loop whose "
               "count comes from uninitialised tiling.",
    "WRONG_CORE_TYPE": "Vector APIs run on AIV cores and cube APIs on AIC cores; the kernel type must match.",
    "UNSUPPORTED_API": "This API is not available in the kernel environment; use the documented Ascend C API.",
    "UNKNOWN_API": "The code calls an API or member that does not exist in Ascend C (a hallucinated API); use "
                   "only documented AscendC:: functions and build the operation from basic vector APIs.",
    "BAD_SIGNATURE": "No overload of the API takes these arguments; match the documented signature.",
    "UNDECLARED": "A name is used before declaration or without its namespace (AscendC::).",
    "SYNTAX": "The source does not parse; fix the syntax first.",
    "COMPILE_OTHER": "The compiler rejected the source.",
    "NUMERIC_MISMATCH": "The kernel ran but computed wrong values: check per-core offsets, tile indexing, the tail "
                        "tile and intermediate precision.",
    "NON_FINITE": "The kernel produced NaN/Inf: check uninitialised buffers (AllocTensor memory is not zeroed), "
                  "division by zero and overflow in half precision.",
    "RUNTIME_ERROR": "The kernel process crashed outside any modelled hardware rule.",
    "SANDBOX_VIOLATION": "The candidate did something the sandbox forbids or exhausted a resource limit.",
}

# Optimisation rationales by bottleneck, for "slow profile -> faster child" entries.
RULE_OPTIMISATIONS: dict[str, str] = {
    "MTE2": "The kernel is bound by GM->UB traffic (MTE2): move fewer bytes, use larger contiguous DataCopy "
            "blocks, double-buffer (BUFFER_NUM=2) so copies overlap compute, and spread work over all {aiv_cores} "
            "AIV cores.",
    "MTE3": "The kernel is bound by UB->GM traffic (MTE3): write larger contiguous blocks and overlap CopyOut with "
            "the next tile's CopyIn (double buffering).",
    "VECTOR": "The kernel is bound by the vector unit: fuse passes, use fewer and longer vector instructions (up "
              "to {max_repeat} repeats of 256 B), avoid bank conflicts.",
    "SCALAR": "The kernel is bound by the scalar unit: replace per-element GetValue/SetValue loops by vector APIs "
              "and hoist index arithmetic out of inner loops.",
    "CUBE": "The kernel is bound by the cube unit: use full 16x16 fractals and the fp16/bf16 rate.",
    "MTE1": "The kernel is bound by L1->L0 moves: reuse L0 tiles across Mmad steps.",
    "FIXPIPE": "The kernel is bound by FixPipe: write out larger L0C tiles.",
    "LATENCY": "No pipe is near full: the pipes wait on each other. Double-buffer the queues so CopyIn, Compute "
               "and CopyOut overlap, and give every core enough tiles.",
    "LAUNCH": "Launch overhead dominates: use fewer, larger blocks.",
}


def evidence_rationale(facts: dict, general: str = "") -> str:
    """A rule-written rationale from what was measured: which pipe, which line, what changed.

    `facts` keys (all optional): pipe, busy_before, busy_after, change ("queue_depth 1 -> 2" or a changed
    line), line, status_before, status_after, error_class, time_before, time_after, speedup. `general` is the
    class's standing text (RULE_RATIONALES / RULE_OPTIMISATIONS), appended after the evidence.
    """
    parts: list[str] = []
    change = facts.get("change", "")
    where = f" (line {facts['line']})" if facts.get("line") else ""
    pipe, b0, b1 = facts.get("pipe"), facts.get("busy_before"), facts.get("busy_after")
    if facts.get("status_before") and facts.get("status_before") != "OK":
        cls = facts.get("error_class") or facts["status_before"]
        parts.append(f"{cls} -> {facts.get('status_after', 'OK')} after {change or 'the change'}{where}.")
    elif pipe and b0 is not None and b1 is not None:
        parts.append(f"{pipe} busy {b0:.2f} -> {b1:.2f} after {change or 'the change'}{where}.")
    elif change:
        parts.append(f"Faster after {change}{where}.")
    t0, t1, sp = facts.get("time_before"), facts.get("time_after"), facts.get("speedup")
    if t0 and t1:
        parts.append(f"Time {t0:.1f} -> {t1:.1f} us" + (f" ({sp:.2f}x)." if sp else "."))
    if general:
        parts.append(general)
    return " ".join(parts)
