"""Executable checks: a small declarative predicate language run over a candidate before it is dispatched.

A check is data, never code::

    {"when": "ub_bytes_requested > hw.memory.ub_bytes - hw.memory.ub_reserved_bytes",
     "message": "InitBuffer total {ub_bytes_requested} B exceeds the usable UB"}

`when` is an expression in a tiny language parsed with Python's `ast` in "eval" mode and walked by the
evaluator below, which accepts only: numbers, strings (as function arguments), names, `hw.SECTION.KEY`,
arithmetic (+ - * / // % << >>), comparisons, and/or/not, and the functions in `FUNCTIONS`
(`matches(regex)`, `count(regex)`, `defined(name)`, `min`, `max`, `ceil`, `floor`, `align_up`). Anything
else (attribute access outside `hw`, subscripts, lambdas, `**`, other calls) is rejected when the entry is
stored, so a check from an LLM or an imported file cannot run arbitrary Python.

Names resolve, in order, from the tiling values the proposer passes, then from constants parsed out of the
source (`constexpr int32_t BUFFER_NUM = 2;`, `const uint32_t X = ...;`, `#define X ...`), then from values
derived from the source: `elem_bytes` (sizeof of the first GlobalTensor<T>), `ub_bytes_requested`,
`l1_bytes_requested` and `l0a/l0b/l0c_bytes_requested` (the InitBuffer totals, each buffer rounded up to 32 B,
by TPosition of the queue: VECIN/VECOUT/VECCALC/CO2, A1/B1/C1, A2, B2, CO1). Run-time sizes (a row length from
the tiling) come in as values: knowledge/kernel_values.py computes them from the task's shapes.
A name that cannot be resolved makes the check *undetermined*: it is skipped, never reported as a
violation, because a check must only stop candidates it can prove wrong.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from knowledge.model import Entry, KnowledgeError, Violation

MAX_EXPR_CHARS = 1000
MAX_REGEX_CHARS = 300
MAX_SOURCE_CHARS = 2_000_000
SHORT_SOURCE_CHARS = 512   # SourceFacts.parse scans a longer source literal-first (same facts, fewer regex steps)

TYPE_SIZES: dict[str, int] = {
    "half": 2, "float16_t": 2, "bfloat16_t": 2, "bfloat16": 2, "float": 4, "float32_t": 4, "double": 8,
    "int8_t": 1, "uint8_t": 1, "int16_t": 2, "uint16_t": 2, "int32_t": 4, "uint32_t": 4, "int64_t": 8,
    "uint64_t": 8, "int": 4, "unsigned": 4, "char": 1, "bool": 1, "size_t": 8,
}
UB_POSITIONS = {"VECIN", "VECOUT", "VECCALC", "CO2"}
L1_POSITIONS = {"A1", "B1", "C1"}
L0_POSITIONS = {"l0a_bytes_requested": {"A2"}, "l0b_bytes_requested": {"B2"}, "l0c_bytes_requested": {"CO1"}}


class Undetermined(Exception):
    """The check needs a value this candidate does not provide; it is skipped."""


_ALLOWED_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
    ast.LShift: lambda a, b: a << b, ast.RShift: lambda a, b: a >> b,
}
_ALLOWED_CMPS: dict[type, Callable[[Any, Any], bool]] = {
    ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b, ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b,
}
FUNCTIONS = ("matches", "count", "defined", "min", "max", "ceil", "floor", "align_up")


@lru_cache(maxsize=512)
def _parse(expr: str) -> ast.Expression:
    if not isinstance(expr, str) or not expr.strip():
        raise KnowledgeError("check 'when' must be a non-empty expression string")
    if len(expr) > MAX_EXPR_CHARS:
        raise KnowledgeError(f"check expression is longer than {MAX_EXPR_CHARS} characters")
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as e:
        raise KnowledgeError(f"check expression {expr!r} does not parse: {e.msg}") from None
    _validate_tree(tree, expr)
    return tree


def _validate_tree(node: ast.AST, expr: str) -> None:
    _validate_node(node, expr)
    if isinstance(node, ast.Attribute):
        return  # hw.SECTION.KEY, checked whole by _validate_node
    for child in ast.iter_child_nodes(node):
        _validate_tree(child, expr)


def _validate_node(node: ast.AST, expr: str) -> None:
    ok = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.BinOp,
          ast.Compare, ast.Name, ast.Load, ast.Constant, ast.Call, ast.Attribute, *_ALLOWED_BINOPS, *_ALLOWED_CMPS)
    if not isinstance(node, ok):
        raise KnowledgeError(f"check expression {expr!r} uses {type(node).__name__}, which checks do not allow")
    if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str, bool)):
        raise KnowledgeError(f"check expression {expr!r} has a constant of type {type(node.value).__name__}")
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > MAX_REGEX_CHARS:
        raise KnowledgeError(f"check expression {expr!r} has a string longer than {MAX_REGEX_CHARS} characters")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise KnowledgeError(f"check expression {expr!r} calls something other than {', '.join(FUNCTIONS)}")
        if node.keywords:
            raise KnowledgeError(f"check expression {expr!r}: functions take no keyword arguments")
        if node.func.id in ("matches", "count", "defined"):
            if len(node.args) != 1 or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
                raise KnowledgeError(f"check expression {expr!r}: {node.func.id}() takes one string literal")
            if node.func.id != "defined":
                _regex(node.args[0].value)
    if isinstance(node, ast.Attribute) and _hw_path(node) is None:
        raise KnowledgeError(f"check expression {expr!r}: only hw.SECTION.KEY attributes are allowed")


def _hw_path(node: ast.Attribute) -> tuple[str, str] | None:
    if (isinstance(node.value, ast.Attribute) and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "hw" and not node.value.attr.startswith("_") and not node.attr.startswith("_")):
        return node.value.attr, node.attr
    return None


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    if len(pattern) > MAX_REGEX_CHARS:
        raise KnowledgeError(f"check regex longer than {MAX_REGEX_CHARS} characters")
    try:
        return re.compile(pattern, re.M)
    except re.error as e:
        raise KnowledgeError(f"check regex {pattern!r} is invalid: {e}") from None


def validate_check(spec: Any) -> None:
    """Raise KnowledgeError naming the problem when `spec` is not a well-formed check."""
    if not isinstance(spec, dict):
        raise KnowledgeError("a check must be an object with 'when' and 'message'")
    unknown = set(spec) - {"when", "message", "scope"}
    if unknown:
        raise KnowledgeError(f"check has unknown field(s) {sorted(unknown)}")
    if not isinstance(spec.get("message"), str) or not spec["message"].strip():
        raise KnowledgeError("check 'message' must be a non-empty string")
    _parse(spec.get("when"))


# ------------------------------------------------------------------------------------------ the source
_CONST = re.compile(r"^\s*(?:static\s+)?(?:constexpr|const)\s+(?:static\s+)?(?:unsigned\s+)?[A-Za-z_][\w:]*\s+"
                    r"([A-Za-z_]\w*)\s*=\s*([^;{}]+);", re.M)
_DEFINE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)\s+([^\n]+)$", re.M)
_SIZEOF = re.compile(r"sizeof\s*\(\s*([A-Za-z_][\w:]*)\s*\)")
_CAST = re.compile(r"static_cast\s*<[^<>]*>|reinterpret_cast\s*<[^<>]*>|\(\s*(?:const\s+)?(?:unsigned\s+)?"
                   r"(?:u?int(?:8|16|32|64)_t|int|float|half|size_t|unsigned)\s*\)")
_INT_SUFFIX = re.compile(r"\b(\d+)(?:[uU][lL]{0,2}|[lL]{1,2}[uU]?)\b")
_GLOBAL_T = re.compile(r"GlobalTensor\s*<\s*([A-Za-z_][\w:]*)\s*>")
_QUE_DECL = re.compile(r"\bT(?:Que|Buf)\s*<\s*(?:AscendC::)?(?:QuePosition|TPosition)::(\w+)[^>]*>\s*([\w\s,]+);")
_INIT_BUFFER = re.compile(r"\bInitBuffer\s*\(")
_TYPE_ALIAS = re.compile(r"\busing\s+([A-Za-z_]\w*)\s*=\s*(?:AscendC::)?([A-Za-z_]\w*)\s*;"
                         r"|\btypedef\s+(?:AscendC::)?([A-Za-z_]\w*)\s+([A-Za-z_]\w*)\s*;")
# The same two patterns without their leading \b (a pattern that starts with \b has no literal prefix, so the
# regex engine tries it at every position: most of a 4 KB kernel's parse); `_finditer_word` adds the \b back.
_QUE_DECL_BODY = re.compile(_QUE_DECL.pattern[2:])
_INIT_BUFFER_BODY = re.compile(_INIT_BUFFER.pattern[2:])
# _DEFINE and _CONST without their leading ^\s* (a multi-line ^ is tried at every position too);
# `_finditer_line` adds it back.
_DEFINE_BODY = re.compile(_DEFINE.pattern[4:], re.M)
_CONST_BODY = re.compile(_CONST.pattern[4:], re.M)
_WORD_CHAR = re.compile(r"\w")
_SPACES = re.compile(r"\s*")
_INT_SUFFIX_HINT = re.compile(r"\d[uUlL]")


def _finditer_line(body: re.Pattern[str], first: tuple[str, ...], source: str) -> Iterable[re.Match[str]]:
    r"""The groups and ends of `re.compile(r"^\s*" + body.pattern, re.M).finditer(source)`, match for match, for a
    body whose matches begin with one of the literals `first`: such a match is a match of the body at one of
    them whose line, up to it, is blank (the ^\s* may start on a blank line above; its groups and end are the
    same), on a line that starts at or after where the scan stands. The literals are found with str.find."""
    pos = 0
    ahead = {w: source.find(w) for w in first}   # each literal's next occurrence at or after pos
    while True:
        for w, j in ahead.items():
            if 0 <= j < pos:
                ahead[w] = source.find(w, pos)
        found = [j for j in ahead.values() if j >= 0]
        if not found:
            return
        i = min(found)
        line = source.rfind("\n", 0, i) + 1
        if line >= pos and _SPACES.fullmatch(source, line, i):
            m = body.match(source, i)
            if m is not None:
                yield m
                pos = m.end()
                continue
        pos = i + 1


def _finditer_word(body: re.Pattern[str], source: str) -> Iterable[re.Match[str]]:
    r"""`re.compile(r"\b" + body.pattern).finditer(source)`, match for match, for a body that starts with a word
    character: a match of the body is one of \b+body when the character before it is not a word character;
    otherwise the scan goes on from the next position, as finditer's would."""
    pos, n = 0, len(source)
    while pos < n:
        m = body.search(source, pos)
        if m is None:
            return
        start = m.start()
        if start and _WORD_CHAR.match(source, start - 1):
            pos = start + 1
            continue
        yield m
        pos = m.end()


def call_args(text: str, start: int, limit: int = 4000) -> tuple[list[str], int] | None:
    """The top-level arguments of the call whose '(' ends just before text[start] (an empty list for `f()`), and
    the index after its ')'; None when it does not close within `limit` characters."""
    depth, args, cur = 0, [], []
    for j in range(start, min(len(text), start + limit)):
        ch = text[j]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                if "".join(cur).strip():
                    args.append("".join(cur).strip())
                return args, j + 1
            depth -= 1
        elif ch == "," and depth == 0:
            args.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    return None


def _split_args(text: str, start: int) -> list[str] | None:
    r = call_args(text, start, 2000)
    return None if r is None else r[0]


def _sizeof(m: re.Match[str]) -> str:
    t = m.group(1).split("::")[-1]
    return str(TYPE_SIZES[t]) if t in TYPE_SIZES else f"__sizeof_{t}"


@lru_cache(maxsize=4096)
def _c_to_expr(text: str) -> str:
    """A C arithmetic expression as our expression language: sizeof folded, casts and suffixes dropped.
    (Each substitution only where its literal is there: most constants are plain numbers.)"""
    if "sizeof" in text:
        text = _SIZEOF.sub(_sizeof, text)
    if "(" in text or "_cast" in text:
        text = _CAST.sub("", text)
    if _INT_SUFFIX_HINT.search(text):
        text = _INT_SUFFIX.sub(_first_group, text)
    return text.replace("this->", "").strip()


def _first_group(m: re.Match[str]) -> str:
    return m.group(1)


@dataclass
class SourceFacts:
    """What the checks can read out of one candidate source (computed once per check() call)."""

    source: str
    constants: dict[str, str] = field(default_factory=dict)   # name -> expression text
    queue_positions: dict[str, str] = field(default_factory=dict)
    init_buffers: list[tuple[str, list[str]]] = field(default_factory=list)  # (queue name, [num, len] or [len])
    elem_type: str = ""
    type_sizes: dict[str, int] = field(default_factory=dict)  # `using T = half;` -> {"T": 2}: sizeof(T) folds

    @classmethod
    def parse(cls, source: str) -> SourceFacts:
        if len(source) > MAX_SOURCE_CHARS:
            raise KnowledgeError(f"candidate source is longer than {MAX_SOURCE_CHARS} characters")
        facts = cls(source=source)
        # Each pattern needs its literal: a source without it (a short generated kernel) skips the scan.
        # (A short source is quicker with the plain patterns; a long one with the literal-led scans.)
        long = len(source) > SHORT_SOURCE_CHARS
        defines = (_finditer_line(_DEFINE_BODY, ("#",), source) if long else _DEFINE.finditer(source)) \
            if "define" in source else ()
        for m in defines:
            facts.constants.setdefault(m.group(1), _c_to_expr(m.group(2).split("//")[0]))
        consts = (_finditer_line(_CONST_BODY, ("static", "const"), source) if long else _CONST.finditer(source)) \
            if "const" in source else ()
        for m in consts:
            facts.constants[m.group(1)] = _c_to_expr(m.group(2))
        for m in _finditer_word(_QUE_DECL_BODY, source) if "Position::" in source else ():
            for name in m.group(2).split(","):
                if name.strip():
                    facts.queue_positions[name.strip()] = m.group(1)
        for m in _finditer_word(_INIT_BUFFER_BODY, source) if "InitBuffer" in source else ():
            args = _split_args(source, m.end())
            if args and len(args) in (2, 3):
                facts.init_buffers.append((args[0].strip(), [_c_to_expr(a) for a in args[1:]]))
        g = _GLOBAL_T.search(source) if "GlobalTensor" in source else None
        facts.elem_type = g.group(1).split("::")[-1] if g else ""
        if "using" in source or "typedef" in source:
            aliases: dict[str, set[str]] = {}
            for m in _TYPE_ALIAS.finditer(source):
                alias, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
                aliases.setdefault(alias, set()).add(target)
            # An alias defined twice with different types (two kernels in one file) stays unknown.
            facts.type_sizes = {a: TYPE_SIZES[next(iter(t))] for a, t in aliases.items()
                                if len(t) == 1 and next(iter(t)) in TYPE_SIZES}
        return facts


class _Env:
    """Resolves names for one evaluation: tiling values, source constants, derived values, hardware."""

    def __init__(self, facts: SourceFacts, values: Mapping[str, Any], hw: Any) -> None:
        self.facts, self.values, self.hw = facts, dict(values), hw
        self._cache: dict[str, Any] = {}
        self._resolving: set[str] = set()

    def name(self, name: str) -> Any:
        if name in self.values:
            v = self.values[name]
            if isinstance(v, bool) or not isinstance(v, (int, float, str)):
                raise Undetermined(f"{name} is not a number")
            return v
        if name in self._cache:
            return self._cache[name]
        if name in self._resolving:
            raise Undetermined(f"{name} is defined in terms of itself")
        self._resolving.add(name)
        try:
            if name in self.facts.constants:
                value = _eval_c(self.facts.constants[name], self)
            elif name.startswith("__sizeof_") and name[9:] in self.facts.type_sizes:
                value = self.facts.type_sizes[name[9:]]
            elif name in _DERIVED:
                value = _DERIVED[name](self)
            else:
                raise Undetermined(f"{name} is not known for this candidate")
        finally:
            self._resolving.discard(name)
        self._cache[name] = value
        return value

    def hardware(self, section: str, key: str) -> Any:
        if self.hw is None:
            raise Undetermined("no hardware profile given")
        value = self.hw.get(section, key)
        if value is None:
            raise Undetermined(f"hardware profile has no {section}.{key}")
        return value


def _buffer_total(env: _Env, positions: set[str]) -> int:
    total, counted = 0, 0
    known = bool(env.facts.queue_positions)
    for que, args in env.facts.init_buffers:
        pos = env.facts.queue_positions.get(que.split(".")[-1].split("->")[-1])
        if known and pos not in positions:
            continue
        if not known and positions is not UB_POSITIONS:
            continue
        num = _eval_c(args[0], env) if len(args) == 2 else 1
        length = _eval_c(args[-1], env)
        total += int(num) * (-(-int(length) // 32) * 32)
        counted += 1
    if not counted:
        raise Undetermined("no InitBuffer on these positions")
    return total


def _elem_bytes(env: _Env) -> int:
    t = env.facts.elem_type
    size = TYPE_SIZES.get(t) or env.facts.type_sizes.get(t)
    if size is None:
        raise Undetermined("element type of GlobalTensor not found")
    return size


_DERIVED: dict[str, Callable[[_Env], Any]] = {
    "ub_bytes_requested": lambda env: _buffer_total(env, UB_POSITIONS),
    "l1_bytes_requested": lambda env: _buffer_total(env, L1_POSITIONS),
    **{name: (lambda env, pos=pos: _buffer_total(env, pos)) for name, pos in L0_POSITIONS.items()},
    "elem_bytes": _elem_bytes,
}


def _eval_c(text: str, env: _Env) -> Any:
    try:
        tree = _parse(text)
    except KnowledgeError as e:
        raise Undetermined(f"cannot read {text!r} from the source") from e
    return _eval(tree.body, env, c_ints=True)


def _num(v: Any) -> int | float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise Undetermined(f"{v!r} is not a number")
    return v


def _eval(node: ast.AST, env: _Env, c_ints: bool = False) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in ("true", "True"):
            return True
        if node.id in ("false", "False"):
            return False
        return env.name(node.id)
    if isinstance(node, ast.Attribute):
        section, key = _hw_path(node) or ("", "")
        return env.hardware(section, key)
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, env, c_ints)
        if isinstance(node.op, ast.Not):
            return not v
        return -_num(v) if isinstance(node.op, ast.USub) else _num(v)
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_eval(v, env, c_ints) for v in node.values)
        return any(_eval(v, env, c_ints) for v in node.values)
    if isinstance(node, ast.BinOp):
        a, b = _num(_eval(node.left, env, c_ints)), _num(_eval(node.right, env, c_ints))
        if isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)) and b == 0:
            raise Undetermined("division by zero")
        if isinstance(node.op, (ast.LShift, ast.RShift)) and (not isinstance(a, int) or not isinstance(b, int)
                                                               or not 0 <= b <= 64):
            raise Undetermined("bad shift")
        if c_ints and isinstance(node.op, ast.Div) and isinstance(a, int) and isinstance(b, int):
            return int(a / b)  # C truncates
        return _ALLOWED_BINOPS[type(node.op)](a, b)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, env, c_ints)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = _eval(comp, env, c_ints)
            if not _ALLOWED_CMPS[type(op)](_num(left), _num(right)):
                return False
            left = right
        return True
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        fn = node.func.id
        if fn == "matches":
            return _regex(node.args[0].value).search(env.facts.source) is not None  # type: ignore[attr-defined]
        if fn == "count":
            return len(_regex(node.args[0].value).findall(env.facts.source))  # type: ignore[attr-defined]
        if fn == "defined":
            try:
                env.name(node.args[0].value)  # type: ignore[attr-defined]
                return True
            except Undetermined:
                return False
        args = [_num(_eval(a, env, c_ints)) for a in node.args]
        if fn in ("min", "max"):
            if not args:
                raise Undetermined(f"{fn}() of nothing")
            return min(args) if fn == "min" else max(args)
        if fn in ("ceil", "floor") and len(args) == 1:
            return math.ceil(args[0]) if fn == "ceil" else math.floor(args[0])
        if fn == "align_up" and len(args) == 2 and args[1] > 0:
            return -(-args[0] // args[1]) * args[1]
        raise Undetermined(f"bad arguments to {fn}()")
    raise Undetermined(f"cannot evaluate {type(node).__name__}")


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*\.[A-Za-z_]\w*)?)\}")


def _format(message: str, env: _Env) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        try:
            if name.startswith("hw."):
                _, section, key = name.split(".")
                return str(env.hardware(section, key))
            return str(env.name(name))
        except Undetermined:
            return m.group(0)

    return _PLACEHOLDER.sub(sub, message)


def evaluate(spec: dict[str, Any], source: str | SourceFacts, values: Mapping[str, Any] | None = None,
             hardware: Any = None) -> tuple[bool | None, str]:
    """(True, message) when the check fires, (False, "") when it holds, (None, why) when undetermined."""
    validate_check(spec)
    facts = source if isinstance(source, SourceFacts) else SourceFacts.parse(source)
    env = _Env(facts, values or {}, hardware)
    try:
        fired = bool(_eval(_parse(spec["when"]).body, env))
    except Undetermined as e:
        return None, str(e)
    except (OverflowError, RecursionError, TypeError, ValueError) as e:  # e.g. int() of a string value
        return None, f"cannot evaluate: {e}"
    return (True, _format(spec["message"], env)) if fired else (False, "")


@dataclass(frozen=True)
class _Compiled:
    """A validated check, parsed once, with the names it cannot fire without (see `_needed`)."""

    tree: ast.Expression
    message: str
    needs: frozenset[str]


@lru_cache(maxsize=1024)
def _compile(when: str, message: str, keys: tuple[str, ...]) -> _Compiled:
    validate_check({k: None for k in keys} | {"when": when, "message": message})
    tree = _parse(when)
    needs: set[str] = set()
    for conjunct in _conjuncts(tree.body):
        needs |= _needed(conjunct, top=True)
    return _Compiled(tree, message, frozenset(needs))


def _conjuncts(node: ast.AST) -> list[ast.AST]:
    """The top-level `and` operands: the check fires only when every one is true."""
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        return [c for v in node.values for c in _conjuncts(v)]
    return [node]


def _needed(node: ast.AST, top: bool = False) -> set[str]:
    """Names a conjunct cannot be true without: those evaluated whatever the values (the left operand of a
    boolean operator, both sides of arithmetic, the first comparison, function arguments), and the name of a
    top-level `defined(NAME)`. One that no candidate value, source constant or derived value provides makes the
    evaluation undetermined or false: never a violation, so the check is skipped without evaluating it."""
    if isinstance(node, ast.Name):
        return set() if node.id in ("true", "True", "false", "False") else {node.id}
    if isinstance(node, ast.UnaryOp):
        return set() if isinstance(node.op, ast.Not) else _needed(node.operand)
    if isinstance(node, ast.BoolOp):
        return _needed(node.values[0])
    if isinstance(node, ast.BinOp):
        return _needed(node.left) | _needed(node.right)
    if isinstance(node, ast.Compare):
        return _needed(node.left) | _needed(node.comparators[0])
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "defined":
            arg = node.args[0]
            return {arg.value} if top and isinstance(arg, ast.Constant) and isinstance(arg.value, str) else set()
        if node.func.id in ("matches", "count"):
            return set()
        return set().union(*(_needed(a) for a in node.args))
    return set()


def _derivable(name: str, facts: SourceFacts) -> bool:
    """Whether a derived value could be had from this source (what `_DERIVED` needs before anything else)."""
    if name in ("ub_bytes_requested", "l1_bytes_requested", *L0_POSITIONS):
        return bool(facts.init_buffers)
    if name == "elem_bytes":
        return facts.elem_type in TYPE_SIZES or facts.elem_type in facts.type_sizes
    return name in _DERIVED


def compiled(spec: dict[str, Any]) -> _Compiled:
    """`spec` validated and parsed, once per distinct check (a campaign checks every proposal)."""
    when, message = spec.get("when") if isinstance(spec, dict) else None, None
    if isinstance(spec, dict):
        message = spec.get("message")
    if not isinstance(when, str) or not isinstance(message, str):
        validate_check(spec)  # raises, naming the problem
    return _compile(when, message, tuple(sorted(spec)))  # type: ignore[arg-type]


def _static(node: ast.AST) -> bool:
    """Whether a conjunct reads nothing of the candidate (only constants and hw.SECTION.KEY)."""
    if isinstance(node, (ast.Constant, ast.Attribute)):
        return True
    if isinstance(node, ast.Name):
        return node.id in ("true", "True", "false", "False")
    if isinstance(node, ast.UnaryOp):
        return _static(node.operand)
    if isinstance(node, ast.BinOp):
        return _static(node.left) and _static(node.right)
    if isinstance(node, ast.BoolOp):
        return all(_static(v) for v in node.values)
    if isinstance(node, ast.Compare):
        return _static(node.left) and all(_static(c) for c in node.comparators)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id not in ("matches", "count", "defined") and all(_static(x) for x in node.args)
    return False


class CheckSet:
    """Entries' checks ready to run on many candidates: each validated and parsed once, the ones this hardware
    can never fire dropped (a conjunct of hardware facts alone that is false or undetermined), and the rest
    skipped per candidate when a name they need is missing (`_needed`). Same verdicts as `evaluate` per entry."""

    def __init__(self, entries: Iterable[Entry], hardware: Any = None) -> None:
        self.hardware = hardware
        self.checks: list[tuple[Entry, _Compiled]] = []
        # Per check, what is left to evaluate per candidate: its conjuncts that read the candidate, in order
        # (the static ones all hold here, or the check was dropped; dropping a true conjunct from an `and`
        # changes neither its value nor which conjunct raises first); None when nothing is left (it fires).
        self._residual: list[ast.AST | None] = []
        # Per check, the regexes of the `matches(...)` conjuncts its residual starts with: tried on the source
        # first, without an evaluation environment (most candidates fail one; none can raise).
        self._leading: list[tuple[re.Pattern[str], ...]] = []
        empty = SourceFacts(source="")
        for e in entries:
            if e.check is None or e.state == "deleted":
                continue
            c = compiled(e.check)
            conjuncts = _conjuncts(c.tree.body)
            static = [_static(conj) for conj in conjuncts]
            if any(st and not _holds(conj, empty, hardware) for conj, st in zip(conjuncts, static, strict=True)):
                continue
            rest = [conj for conj, st in zip(conjuncts, static, strict=True) if not st]
            leading = []
            while rest and _is_matches(rest[0]):
                leading.append(_regex(rest.pop(0).args[0].value))  # type: ignore[attr-defined]
            self.checks.append((e, c))
            self._leading.append(tuple(leading))
            self._residual.append(None if not rest else rest[0] if len(rest) == 1 else
                                  ast.BoolOp(op=ast.And(), values=rest))
        self._plan = [(e, c, c.needs, lead, rest) for (e, c), lead, rest in
                      zip(self.checks, self._leading, self._residual, strict=True)]
        self._literal_needs = _literal_needs(frozenset().union(*(c.needs for _, c in self.checks)))

    def _past_cheap_tests(self, source: str, values: Mapping[str, Any]) -> Iterator[tuple[Any, ...]]:
        """The plan rows (checks) that get past the cheap tests, each only ever skipping a check the full test
        skips too: a needed name that is no tiling value and whose literal is nowhere in the source (`maybe`
        holds the others); a leading matches() that fails."""
        maybe = set(values)
        for n, lits in self._literal_needs:
            if n not in maybe:
                for lit in lits:
                    if lit in source:
                        maybe.add(n)
                        break
        for row in self._plan:
            if not row[2] <= maybe:
                continue
            if row[3] and not all(r.search(source) is not None for r in row[3]):
                continue
            yield row

    def may_fire(self, source: str, values: Mapping[str, Any] | None = None) -> bool:
        """Whether some check gets past the cheap tests (else `run` is [] for any run-time values): most
        candidates do not, and a verdict cache costs them more than these tests. (A source too long to check
        may fire: `run` says why it is refused.)"""
        if not self.checks:
            return False
        return len(source) > MAX_SOURCE_CHARS or next(self._past_cheap_tests(source, values or {}), None) is not None

    def run(self, source: str, values: Mapping[str, Any] | None = None,
            runtime: Callable[[], Mapping[str, Any]] | None = None) -> list[Violation]:
        """Violations on `source` with `values`; `runtime` gives the values the kernel computes before its
        buffers (knowledge/kernel_values.py), asked only when some check gets past the cheap tests (most
        candidates: never). `values` win over them. Each run-time name is spelled in the source, so the cheap
        tests decide as they would with the values given up front."""
        if not self.checks:
            return []
        if len(source) > MAX_SOURCE_CHARS:  # as SourceFacts.parse says it, parsed or not
            raise KnowledgeError(f"candidate source is longer than {MAX_SOURCE_CHARS} characters")
        values = values or {}
        facts: SourceFacts | None = None   # parsed once, when a check gets past the cheap tests
        have: set[str] = set()
        out: list[Violation] = []
        for e, c, needs, _leading, rest in self._past_cheap_tests(source, values):
            if facts is None:
                facts = SourceFacts.parse(source)
                if runtime is not None:
                    values = {**runtime(), **values}
                # Every name a check may need that this candidate provides (values, source constants,
                # derivable ones: what `_derivable` says).
                have = {*values, *facts.constants, *(n for n in _DERIVED if _derivable(n, facts))}
            if not needs <= have:
                continue
            env = _Env(facts, values, self.hardware)
            try:
                fired = True if rest is None else bool(_eval(rest, env))
            except (Undetermined, OverflowError, RecursionError, TypeError, ValueError):
                continue
            if fired:
                out.append(Violation(entry_id=e.id, message=_format(c.message, env)))
        return out


# The literal a derived value cannot be had without (SourceFacts.parse reads it only where it is there).
_DERIVED_LITERAL = {"ub_bytes_requested": "InitBuffer", "l1_bytes_requested": "InitBuffer",
                    **dict.fromkeys(L0_POSITIONS, "InitBuffer"), "elem_bytes": "GlobalTensor"}


def _literal_needs(needs: frozenset[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Per needed name, literals one of which the source must hold for it to provide the name: a constant's
    own name (a #define or const declaration spells it), or for a derived value also the literal its facts
    come from."""
    return tuple((n, (n, _DERIVED_LITERAL[n]) if n in _DERIVED_LITERAL else (n,)) for n in sorted(needs))


def _is_matches(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "matches"
            and len(node.args) == 1 and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str))


def _holds(node: ast.AST, facts: SourceFacts, hardware: Any) -> bool:
    try:
        return bool(_eval(node, _Env(facts, {}, hardware)))
    except (Undetermined, OverflowError, RecursionError, TypeError, ValueError):
        return False


def run_checks(entries: Iterable[Entry], source: str, values: Mapping[str, Any] | None = None,
               hardware: Any = None) -> list[Violation]:
    """Every violation the entries' checks find in a candidate; undetermined checks are skipped (`CheckSet`:
    a campaign keeps one per entry set and runs it on every proposal)."""
    return CheckSet(entries, hardware).run(source, values)
