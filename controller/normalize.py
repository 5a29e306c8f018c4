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

_STR = r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\''
_CODE = r"\w+|\+\+|--|->|::|&&|\|\||<<=?|>>=?|[-+*/%&|^!=<>]=|\S"
# Strings and comments, found first; between them the code's tokens (words and punctuators) in one findall.
# A code token never holds the first character of a string or comment, so cutting the text at those gives the
# tokens one left-to-right scan over all kinds would.
_SPECIAL = re.compile(rf"(?P<str>{_STR})|(?P<line>//[^\n]*)|(?P<block>/\*.*?(?:\*/|\Z))", re.DOTALL)
_TOKENS = re.compile(rf"{_STR}|{_CODE}", re.DOTALL)
_DIRECTIVE = re.compile(r"//\s*hawk-[\w-]+:")


def normalized_source(source: str) -> str:
    """The source's tokens, one space apart: comments dropped (agent directives kept), layout ignored."""
    if "//" not in source and "/*" not in source:  # no comment: strings are tokens like any other
        return " ".join(_TOKENS.findall(source))
    out: list[str] = []
    at = 0
    for m in _SPECIAL.finditer(source):
        out += _TOKENS.findall(source, at, m.start())
        at = m.end()
        kind = m.lastgroup
        if kind == "str":
            out.append(m.group())
        elif kind == "line" and _DIRECTIVE.match(m.group()):
            out.append(" ".join(m.group().split()))
    out += _TOKENS.findall(source, at)
    return " ".join(out)


def normalized_hash(source: str) -> str:
    """sha256 of the normalised source: equal for kernels that differ only in comments and whitespace."""
    return hashlib.sha256(normalized_source(source).encode("utf-8")).hexdigest()
