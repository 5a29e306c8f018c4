"""Run-time values a kernel computes before its first InitBuffer, known before it runs.

The vector baselines size their UB buffers from run-time values (`InitBuffer(q, BUFFER_NUM, padded * sizeof(T))`
with `padded` from the row length the host tiling function saves), so a check over `ub_bytes_requested` is
undetermined from the source alone. Those values follow from what the campaign knows before evaluation: the
task's tensor shapes and attributes and the hardware's core counts. This module evaluates, in Python:

1. the host tiling function (`ge::graphStatus F(gert::TilingContext* context)`) statement by statement, with the
   task's input shapes (`GetInputShape(i)->GetOriginShape()`, `GetDim`, `GetDimNum`, `GetShapeSize`) and the
   profile's core counts (`GetCoreNumAiv/Aic`), giving the tiling fields it sets (`tiling.set_cols(cols)`);
2. the kernel entry's `op.Init(..., tilingData.cols, ...)`: the fields bound to the Init parameters;
3. the body of that Init, statement by statement, up to its InitBuffer calls.

Anything it cannot evaluate (a block index, a loop, a call it does not know) makes that name unknown, never a
guess: a check that needs it stays undetermined. Only values that hold at every InitBuffer are returned, and
nothing when an InitBuffer runs outside the straight-line part of that Init (under a branch or in another
function), so the buffer totals a check sums are the buffers the kernel really allocates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from knowledge.checks import TYPE_SIZES, call_args

_INT_TYPES = {"int8_t": 8, "uint8_t": 8, "int16_t": 16, "uint16_t": 16, "int32_t": 32, "uint32_t": 32,
              "int64_t": 64, "uint64_t": 64, "int": 32, "unsigned": 32, "size_t": 64, "long": 64}
_TYPE_WORDS = set(_INT_TYPES) | set(TYPE_SIZES) | {"auto", "const", "constexpr", "static", "volatile", "bool",
                                                   "float", "double", "long", "short", "signed", "unsigned",
                                                   "inline", "__aicore__", "register"}


class Unknown(Exception):
    """A value this module cannot know before the kernel runs."""


@dataclass(frozen=True)
class _Shape:
    dims: tuple[int, ...]


# ------------------------------------------------------------------------------------------ tokens
_TOKEN = re.compile(r"\s*(?:(0[xX][0-9a-fA-F]+|\d+\.\d*(?:[eE][-+]?\d+)?[fF]?|\d+)[uUlL]*|([A-Za-z_]\w*(?:::[A-Za-z_]\w*)*)"
                    r"|(->|<<=|>>=|<<|>>|<=|>=|==|!=|&&|\|\||\+=|-=|\*=|/=|%=|\+\+|--|[-+*/%<>=!?:(),.&|^~\[\]]))")


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise Unknown(f"cannot read {text[pos:pos + 20]!r}")
        out.append(m.group(1) or m.group(2) or m.group(3))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


_BINARY = {"||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "<": 7, ">": 7, "<=": 7, ">=": 7,
           "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10}


class _Expr:
    """A C expression evaluated over integers (C truncating division), shapes and a few known calls."""

    def __init__(self, tokens: list[str], scope: _Scope) -> None:
        self.t, self.i, self.scope = tokens, 0, scope

    def peek(self, k: int = 0) -> str | None:
        return self.t[self.i + k] if self.i + k < len(self.t) else None

    def take(self, want: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (want is not None and tok != want):
            raise Unknown(f"expected {want!r}, found {tok!r}")
        self.i += 1
        return tok

    def parse(self) -> Any:
        v = self.ternary()
        if self.peek() is not None:
            raise Unknown(f"unexpected {self.peek()!r}")
        return v

    def ternary(self) -> Any:
        cond = self.binary(1)
        if self.peek() != "?":
            return cond
        self.take("?")
        a = self.ternary()
        self.take(":")
        b = self.ternary()
        return a if _int(cond) else b

    def binary(self, level: int) -> Any:
        left = self.unary()
        while True:
            op = self.peek()
            prec = _BINARY.get(op or "")
            if prec is None or prec < level:
                return left
            self.take()
            right = self.binary(prec + 1)
            left = _apply(op, left, right)  # type: ignore[arg-type]

    def unary(self) -> Any:
        tok = self.peek()
        if tok in ("-", "+", "!", "~"):
            self.take()
            v = _int(self.unary())
            return {"-": -v, "+": v, "!": int(not v), "~": ~v}[tok]
        if tok == "(" and self._is_cast():
            while self.take() != ")":
                pass
            return self.unary()
        return self.postfix(self.primary())

    def _is_cast(self) -> bool:
        j, words = self.i + 1, []
        while j < len(self.t) and self.t[j] != ")":
            words.append(self.t[j])
            j += 1
        return bool(words) and all(w in _TYPE_WORDS or w == "*" for w in words)

    def primary(self) -> Any:
        tok = self.take()
        if tok == "(":
            v = self.ternary()
            self.take(")")
            return v
        if tok[0].isdigit():
            if "." in tok or ("e" in tok.lower() and not tok.lower().startswith("0x")):
                raise Unknown("floating point")
            return int(tok, 16) if tok.lower().startswith("0x") else int(tok)
        name = tok.split("::")[-1]
        if name in ("static_cast", "reinterpret_cast"):
            self.take("<")
            while self.take() != ">":
                pass
            self.take("(")
            v = self.ternary()
            self.take(")")
            return v
        if name == "sizeof":
            self.take("(")
            words = []
            while self.peek() != ")":
                words.append(self.take())
            self.take(")")
            t = words[-1].split("::")[-1] if words else ""
            t = self.scope.types.get(t, t)
            if t not in TYPE_SIZES:
                raise Unknown(f"sizeof({' '.join(words)})")
            return TYPE_SIZES[t]
        if name in ("true", "false"):
            return int(name == "true")
        if self.peek() == "(":
            return self.call(None, name)
        if name == "this" and self.peek() == "->":
            self.take("->")
            return self.scope.get(self.take())
        return ("ref", name)

    def args(self) -> list[Any]:
        self.take("(")
        out: list[Any] = []
        if self.peek() == ")":
            self.take(")")
            return out
        while True:
            try:
                out.append(self.ternary())
            except Unknown as e:
                out.append(e)
                depth = 0
                while self.peek() is not None and not (depth == 0 and self.peek() in (",", ")")):
                    tok = self.take()
                    depth += tok == "("
                    depth -= tok == ")"
            if self.take() == ")":
                return out

    def call(self, obj: Any, name: str) -> Any:
        args = self.args()
        return _call(obj, name, args, self.scope)

    def postfix(self, v: Any) -> Any:
        while self.peek() in (".", "->", "["):
            if self.take() == "[":
                raise Unknown("subscript")
            if isinstance(v, tuple) and v[:1] == ("ref",) and v[1] in self.scope.vars:
                v = self.scope.vars[v[1]]
            member = self.take()
            v = self.call(v, member) if self.peek() == "(" else ("member", v, member)
        return self.scope.value(v)


def _int(v: Any) -> int:
    if isinstance(v, bool):
        return int(v)
    if not isinstance(v, int):
        raise Unknown(f"{v!r} is not an integer")
    return v


def _apply(op: str, a: Any, b: Any) -> int:
    a, b = _int(a), _int(b)
    if op in ("/", "%"):
        if b == 0:
            raise Unknown("division by zero")
        q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
        return q if op == "/" else a - q * b
    if op in ("<<", ">>") and not 0 <= b <= 63:
        raise Unknown("bad shift")
    return {"||": lambda: int(bool(a) or bool(b)), "&&": lambda: int(bool(a) and bool(b)), "|": lambda: a | b,
            "^": lambda: a ^ b, "&": lambda: a & b, "==": lambda: int(a == b), "!=": lambda: int(a != b),
            "<": lambda: int(a < b), ">": lambda: int(a > b), "<=": lambda: int(a <= b), ">=": lambda: int(a >= b),
            "<<": lambda: a << b, ">>": lambda: a >> b, "+": lambda: a + b, "-": lambda: a - b,
            "*": lambda: a * b}[op]()


_CONTEXT_SHAPES = {"GetInputShape", "GetInputTensor"}
_SHAPE_OF = {"GetOriginShape", "GetStorageShape", "GetShape"}


def _call(obj: Any, name: str, args: list[Any], scope: _Scope) -> Any:
    if isinstance(obj, _Shape):
        if name == "GetDimNum" and not args:
            return len(obj.dims)
        if name == "GetShapeSize" and not args:
            n = 1
            for d in obj.dims:
                n *= d
            return n
        if name == "GetDim" and len(args) == 1:
            i = _int(args[0])
            if not 0 <= i < len(obj.dims):
                raise Unknown(f"GetDim({i}) of a rank-{len(obj.dims)} shape")
            return obj.dims[i]
        raise Unknown(f"Shape::{name}")
    if isinstance(obj, tuple) and obj[:1] == ("input",):
        if name in _SHAPE_OF and not args:
            return _Shape(obj[1])
        raise Unknown(f"{name} of an input")
    if name in _CONTEXT_SHAPES and len(args) == 1:
        i = _int(args[0])
        if not 0 <= i < len(scope.shapes):
            raise Unknown(f"input {i} of {len(scope.shapes)}")
        return ("input", scope.shapes[i])
    if name in ("GetCoreNumAiv", "GetCoreNumAic") and not args and scope.cores.get(name) is not None:
        return scope.cores[name]
    if name in ("min", "max") and len(args) == 2:
        a, b = _int(args[0]), _int(args[1])
        return min(a, b) if name == "min" else max(a, b)
    if name in ("PlatformAscendC", "GetPlatformInfo"):
        return ("platform",)
    raise Unknown(f"call {name}()")


# ------------------------------------------------------------------------------------------ scopes
class _Scope:
    """Names known at one point of a function: locals, members through `this->`, file-scope constants."""

    def __init__(self, constants: Mapping[str, str], shapes: Sequence[tuple[int, ...]], cores: dict[str, int],
                 types: dict[str, str]) -> None:
        self.vars: dict[str, Any] = {}
        self.unknown: set[str] = set()
        self.constants, self.shapes, self.cores, self.types = constants, shapes, cores, types
        self._resolving: set[str] = set()

    def get(self, name: str) -> Any:
        if name in self.unknown:
            raise Unknown(f"{name} is not known before the kernel runs")
        if name in self.vars:
            return self.vars[name]
        if name in self.constants and name not in self._resolving:
            self._resolving.add(name)
            try:
                return _eval_text(self.constants[name], self)
            finally:
                self._resolving.discard(name)
        raise Unknown(f"{name} is not known")

    def value(self, v: Any) -> Any:
        if isinstance(v, tuple) and v[:1] == ("ref",):
            return self.get(v[1])
        if isinstance(v, tuple) and v[:1] == ("member",):
            base = v[1]
            if isinstance(base, tuple) and base[:1] == ("fields",):
                if v[2] not in base[1]:
                    raise Unknown(f"tiling field {v[2]} is not known")
                return base[1][v[2]]
            raise Unknown(f"member {v[2]}")
        return v


def _eval_text(text: str, scope: _Scope) -> Any:
    return _Expr(_tokens(text), scope).parse()


def _body(source: str, open_brace: int) -> tuple[str, int] | None:
    """The text between the brace at `open_brace` and its match, and the index after the match."""
    depth = 0
    for m in _BRACE.finditer(source, open_brace):
        depth += 1 if m.group() == "{" else -1
        if depth == 0:
            return source[open_brace + 1:m.start()], m.end()
    return None


_BRACE = re.compile(r"[{}]")
_IDENT = re.compile(r"[A-Za-z_]\w*")


def _relevant(text: str, constants: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The constants `text` can reach (by name, through other constants): what a run of it depends on."""
    seen: dict[str, str] = {}
    todo = set(_IDENT.findall(text))
    while todo:
        name = todo.pop()
        if name in constants and name not in seen:
            seen[name] = constants[name]
            todo |= set(_IDENT.findall(constants[name]))
    return tuple(sorted(seen.items()))


@lru_cache(maxsize=512)
def _run_once(body: str, consts: tuple[tuple[str, str], ...], shapes: tuple[tuple[int, ...], ...],
              cores: tuple[tuple[str, int], ...], types: tuple[tuple[str, str], ...],
              known: tuple[tuple[str, int], ...], unknown: frozenset[str], tiling: bool
              ) -> tuple[tuple[tuple[tuple[str, Any], ...], ...], tuple[tuple[str, int], ...]] | None:
    """`_run` of one function body, kept: candidates of one campaign mostly differ in constants the tiling
    function and the Init do not read, so their runs are the same (None: it raised Unknown)."""
    scope = _Scope(dict(consts), shapes, dict(cores), dict(types))
    scope.vars.update(known)
    scope.unknown |= unknown
    fields: dict[str, int] = {}
    try:
        marks = _run(body, scope, fields if tiling else None, stop=None if tiling else _INIT_BUFFER)
    except Unknown:
        return None
    return tuple(tuple(sorted(m.items())) for m in marks), tuple(sorted(fields.items()))


def _run_cached(body: str, scope_args: tuple[Any, ...], known: dict[str, int], unknown: set[str],
                tiling: bool) -> tuple[list[dict[str, Any]], dict[str, int]]:
    constants, shapes, cores, types = scope_args
    got = _run_once(body, _relevant(body, constants), tuple(shapes), tuple(sorted(cores.items())),
                    tuple(sorted(types.items())), tuple(sorted(known.items())), frozenset(unknown), tiling)
    if got is None:
        raise Unknown("an InitBuffer runs under a branch or loop")
    return [dict(m) for m in got[0]], dict(got[1])


def _statements(body: str) -> list[tuple[str, bool]]:
    """The body's top-level statements, each with whether it is (or holds) a block: a branch, loop or scope."""
    out: list[tuple[str, bool]] = []
    cur: list[str] = []
    depth_paren = depth_brace = 0
    block = False
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "(":
            depth_paren += 1
        elif ch == ")":
            depth_paren -= 1
        elif ch == "{":
            depth_brace += 1
            block = True
        elif ch == "}":
            depth_brace -= 1
            if depth_brace == 0 and depth_paren == 0:
                cur.append(ch)
                rest = body[i + 1:].lstrip()
                if not rest.startswith("else") and not rest.startswith(";"):
                    out.append(("".join(cur).strip(), True))
                    cur, block = [], False
                    i += 1
                    continue
        elif ch == ";" and depth_paren == 0 and depth_brace == 0:
            text = "".join(cur).strip()
            if text:
                out.append((text, block or bool(re.match(r"(if|for|while|do|switch|else)\b", text))))
            cur, block = [], False
            i += 1
            continue
        cur.append(ch)
        i += 1
    if "".join(cur).strip():
        out.append(("".join(cur).strip(), True))
    return out


_ASSIGNED = re.compile(r"(?:\bthis\s*->\s*)?\b([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)?(?:[-+*/%|&^]|<<|>>)?=(?!=)"
                       r"|\b([A-Za-z_]\w*)\s*(?:\+\+|--)|(?:\+\+|--)\s*([A-Za-z_]\w*)|&\s*([A-Za-z_]\w*)")
_DECL = re.compile(r"^(?:(?:const|constexpr|static|volatile|unsigned|signed|long|short|auto)\s+)*"
                   r"([A-Za-z_][\w:]*(?:\s*<[^<>]*>)?)(?:\s+|\s*[&*]\s*)([A-Za-z_]\w*)\s*=(?!=)\s*(.+)$", re.S)
_ASSIGN = re.compile(r"^(?:this\s*->\s*)?([A-Za-z_]\w*)\s*((?:[-+*/%]|<<|>>)?)=(?!=)\s*(.+)$", re.S)
_ANY_SETTER = re.compile(r"(?:\.|->)\s*set_(\w+)\s*\(")
_SETTER = re.compile(r"^(\w+)\s*(?:\.|->)\s*set_(\w+)\s*\((.*)\)$", re.S)
_MULTI_DECL = re.compile(r"^(?:(?:const|constexpr|static|unsigned|signed|long|short)\s+)*[A-Za-z_][\w:]*\s+"
                         r"[A-Za-z_]\w*\s*(?:=[^,]+)?,")


def _run(body: str, scope: _Scope, fields: dict[str, int] | None = None, *,
         stop: re.Pattern[str] | None = None) -> list[dict[str, Any]]:
    """Evaluate a function body's statements in order; returns the known names at each statement `stop` matches
    (at the end when there is none). A block (branch, loop) makes every name it may assign unknown."""
    marks: list[dict[str, Any]] = []
    for text, block in _statements(body):
        if stop is not None and stop.search(text):
            if block:
                raise Unknown("an InitBuffer runs under a branch or loop")
            marks.append(dict(scope.vars))
        if block or _MULTI_DECL.match(text):
            for m in _ASSIGNED.finditer(text):
                _forget(scope, next(g for g in m.groups() if g))
            if fields is not None:  # a field set under a branch or loop is not known either
                for f in _ANY_SETTER.findall(text):
                    fields.pop(f, None)
                    scope.unknown.add(f"field:{f}")
            continue
        m = _SETTER.match(text)
        if m and fields is not None:
            try:
                fields[m.group(2)] = _int(_eval_text(m.group(3), scope))
            except Unknown:
                fields.pop(m.group(2), None)
                scope.unknown.add(f"field:{m.group(2)}")
            continue
        m = _DECL.match(text)
        target, op, expr = (m.group(2), "", m.group(3)) if m and m.group(1) not in ("return",) else (None, "", "")
        if target is None:
            a = _ASSIGN.match(text)
            if a:
                target, op, expr = a.group(1), a.group(2), a.group(3)
        if target is not None:
            ctype = m.group(1).split("::")[-1] if m and target == m.group(2) else ""
            try:
                value = _eval_text(expr, scope)
                if op:
                    value = _apply(op, scope.get(target), value)
                _fits(ctype, value, target)
                scope.vars[target] = value
                scope.unknown.discard(target)
            except Unknown:
                _forget(scope, target)
            continue
        for m in _ASSIGNED.finditer(text):  # a call that may write through a reference, an increment
            _forget(scope, next(g for g in m.groups() if g))
        if fields is not None:
            for f in _ANY_SETTER.findall(text):
                fields.pop(f, None)
    if stop is None:
        marks.append(dict(scope.vars))
    return marks


def _fits(ctype: str, value: Any, name: str) -> None:
    """Unknown when `value` does not fit the integer type it is stored in (C would wrap it; we do not guess)."""
    if isinstance(value, int) and ctype in _INT_TYPES:
        bits = _INT_TYPES[ctype]
        lo = 0 if ctype.startswith("u") or ctype in ("size_t", "unsigned") else -(1 << (bits - 1))
        if not lo <= value < lo + (1 << bits):
            raise Unknown(f"{name} overflows {ctype}")


def _forget(scope: _Scope, name: str) -> None:
    scope.vars.pop(name, None)
    scope.unknown.add(name)


# ------------------------------------------------------------------------------------------ the kernel
# Each pattern starts with a literal, so the regex engine skips to it (a leading \\b scans every position).
_TILING_FUNC = re.compile(r"graphStatus\s+(\w+)\s*\(\s*gert::TilingContext\s*\*\s*\w+\s*\)\s*\{")
_GET_TILING = re.compile(r"GET_TILING_DATA\s*\(\s*(\w+)\s*,\s*\w+\s*\)")
_INIT_CALL = re.compile(r"\.\s*Init\s*\(")
_OBJ_BEFORE = re.compile(r"([A-Za-z_]\w*)\s*$")
_INIT_BUFFER = re.compile(r"InitBuffer\s*\(")
_FIELD_DEF = re.compile(r"TILING_DATA_FIELD_DEF\s*\(\s*([A-Za-z_]\w*)\s*,\s*([A-Za-z_]\w*)\s*\)")
_USING_T = re.compile(r"using\s+(\w+)\s*=\s*([A-Za-z_][\w:]*)\s*;")
_CONST = re.compile(r"^\s*(?:static\s+)?(?:constexpr|const)\s+(?:static\s+)?(?:unsigned\s+)?[A-Za-z_][\w:]*\s+"
                    r"([A-Za-z_]\w*)\s*=\s*([^;{}]+);", re.M)
_DEFINE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)\s+([^\n]+)$", re.M)
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def _constants(source: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in _DEFINE.finditer(source):
        out.setdefault(m.group(1), m.group(2))
    for m in _CONST.finditer(source):
        out[m.group(1)] = m.group(2)
    return out


def _tiling_fields(source: str, scope_args: tuple[Any, ...]) -> dict[str, int]:
    m = _TILING_FUNC.search(source)
    if m is None:
        return {}
    got = _body(source, m.end() - 1)
    if got is None:
        return {}
    return _run_cached(got[0], scope_args, {}, set(), tiling=True)[1]


def _init_values(source: str, raw: str, fields: dict[str, int], scope_args: tuple[Any, ...]) -> dict[str, int]:
    """The Init's names at its InitBuffer calls (`source` without comments; `raw` as written, whose every
    InitBuffer the checks count)."""
    g = _GET_TILING.search(source)
    if g is None:
        return {}
    var = g.group(1)
    call = _INIT_CALL.search(source, g.end())
    if call is None:
        return {}
    before = _OBJ_BEFORE.search(source[max(0, call.start() - 80):call.start()])
    if before is None:
        return {}
    obj = before.group(1)
    close = call_args(source, call.end())
    if close is None:
        return {}
    args, _ = close
    decl = None
    for d in re.compile(rf"{re.escape(obj)}\s*;").finditer(source, 0, call.start()):
        if d.start() and (source[d.start() - 1].isalnum() or source[d.start() - 1] == "_"):
            continue
        m = re.search(r"(?<![\w:])([A-Za-z_]\w*)(?:\s*<[^<>]*>)?\s+$", source[max(0, d.start() - 120):d.start()])
        decl = m or decl
    if decl is None:
        return {}
    cls = re.search(rf"class\s+{re.escape(decl.group(1))}\b[^;{{]*\{{", source) or re.search(
        rf"struct\s+{re.escape(decl.group(1))}\b[^;{{]*\{{", source)
    if cls is None:
        return {}
    cls_body = _body(source, cls.end() - 1)
    if cls_body is None:
        return {}
    init = re.search(r"\bInit\s*\(", cls_body[0])
    if init is None:
        return {}
    params = call_args(cls_body[0], init.end())
    if params is None:
        return {}
    brace = cls_body[0].find("{", params[1])
    if brace < 0 or cls_body[0][params[1]:brace].strip():
        return {}
    body = _body(cls_body[0], brace)
    if body is None:
        return {}
    # Every InitBuffer of the source runs here, in the straight-line part of this Init.
    if len(_INIT_BUFFER.findall(body[0])) != len(_INIT_BUFFER.findall(raw)) or not _INIT_BUFFER.search(body[0]):
        return {}
    fields_types = {m.group(2): m.group(1) for m in _FIELD_DEF.finditer(source)}
    scope = _Scope(*scope_args)
    entry = _Scope(*scope_args)
    entry.vars[var] = ("fields", fields)
    for name, arg in zip(params[0], args, strict=False):
        pname = re.search(r"([A-Za-z_]\w*)\s*(?:=[^,]*)?$", name.strip())
        if pname is None:
            continue
        ptype = re.search(r"([A-Za-z_]\w*)\s*[&*]?\s*[A-Za-z_]\w*\s*(?:=[^,]*)?$", name.strip())
        try:
            value = entry.value(_Expr(_tokens(arg), entry).primary_value())
            _fits(ptype.group(1) if ptype else "", value, pname.group(1))
            if fields_types.get(arg.split(".")[-1].strip()):
                _fits(fields_types[arg.split(".")[-1].strip()], value, pname.group(1))
        except Unknown:
            scope.unknown.add(pname.group(1))
            continue
        if isinstance(value, int):
            scope.vars[pname.group(1)] = value
    marks, _ = _run_cached(body[0], scope_args, scope.vars, scope.unknown, tiling=False)
    if not marks:
        return {}
    first, last = marks[0], marks[-1]
    return {k: v for k, v in last.items() if isinstance(v, int) and first.get(k) == v
            and all(mk.get(k) == v for mk in marks)}


def _primary_value(self: _Expr) -> Any:
    v = self.ternary()
    if self.peek() is not None:
        raise Unknown(f"unexpected {self.peek()!r}")
    return v


_Expr.primary_value = _primary_value  # type: ignore[attr-defined]


@lru_cache(maxsize=256)
def _kernel_values(source: str, shapes: tuple[tuple[int, ...], ...], cores: tuple[tuple[str, int], ...]) -> (
        tuple[tuple[str, int], ...]):
    code = _COMMENT.sub(" ", source)
    constants = _constants(code)
    types = {m.group(1): m.group(2).split("::")[-1] for m in _USING_T.finditer(code)}
    scope_args = (constants, shapes, dict(cores), types)
    try:
        fields = _tiling_fields(code, scope_args)
        values = _init_values(code, source, fields, scope_args)
    except (Unknown, RecursionError, ValueError):
        return ()
    return tuple(sorted((k, v) for k, v in values.items() if k not in constants))


def kernel_values(source: str, shapes: Sequence[Sequence[int]], hardware: Any = None) -> dict[str, int]:
    """The names the kernel's Init knows at its InitBuffer calls for inputs of `shapes` (the task's, in order)
    on `hardware` (a profile with soc.aiv_cores / soc.aic_cores): the `values` a check reads for them.
    Source constants are left out (the checks read those from the source); {} when nothing is known."""
    cores: list[tuple[str, int]] = []
    if hardware is not None:
        for name, key in (("GetCoreNumAiv", "aiv_cores"), ("GetCoreNumAic", "aic_cores")):
            v = hardware.get("soc", key)
            if isinstance(v, int):
                cores.append((name, v))
    key = tuple(tuple(int(d) for d in s) for s in shapes)
    return dict(_kernel_values(source, key, tuple(cores)))


def task_values(source: str, spec: Any, hardware: Any = None) -> dict[str, int]:
    """`kernel_values` for a hawk.v1.TaskSpec's inputs; `hardware` a profile or its name."""
    if isinstance(hardware, str):
        from npu_agent.hardware import load_profile

        hardware = load_profile(hardware)
    return kernel_values(source, [list(t.shape) for t in spec.inputs], hardware)
