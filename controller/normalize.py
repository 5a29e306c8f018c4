"""Normalised kernel source: what makes two candidates "the same kernel" for duplicate detection.

Comments and whitespace are stripped, so an answer that only reformats or re-comments a kernel already tried
is a duplicate. Two things are kept: string and character literals (their text is semantics), and comments
that carry an agent directive (`// hawk-null: ...`, read by the null backend), which change what runs.
The agent's compile-cache key (npu_agent.pipeline.source_hash, over the exact text) is a different hash and
stays as it is.
"""

from __future__ import annotations

import hashlib
import re

_TOKENS = re.compile(
    r'(?P<str>"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\')'
    r"|(?P<line>//[^\n]*)"
    r"|(?P<block>/\*.*?(?:\*/|\Z))"
    r"|(?P<word>\w+)"
    r"|(?P<punct>\+\+|--|->|::|&&|\|\||<<=?|>>=?|[-+*/%&|^!=<>]=|\S)",
    re.DOTALL,
)
_DIRECTIVE = re.compile(r"//\s*hawk-[\w-]+:")


def normalized_source(source: str) -> str:
    """The source's tokens, one space apart: comments dropped (agent directives kept), layout ignored."""
    out: list[str] = []
    for m in _TOKENS.finditer(source):
        kind = m.lastgroup
        if kind == "line":
            if _DIRECTIVE.match(m.group()):
                out.append(" ".join(m.group().split()))
        elif kind != "block":
            out.append(m.group())
    return " ".join(out)


def normalized_hash(source: str) -> str:
    """sha256 of the normalised source: equal for kernels that differ only in comments and whitespace."""
    return hashlib.sha256(normalized_source(source).encode("utf-8")).hexdigest()
