"""In-class explicit specializations of member function templates, rewritten into a form GCC accepts.

CANN's device compiler (bisheng, clang-based) accepts an explicit specialization inside a class (CWG 727), as
catlass-style kernels write it::

    template <int32_t CORE_TYPE = g_coreType> void operator()(Params const &params);
    template <> void operator()<AscendC::AIC>(Params const &params) { ... }

GCC 12 rejects it ("explicit specialization in non-namespace scope"), and a member of a class template cannot be
specialized at namespace scope either. The twin's private copy of the source (never the user's) is rewritten with
the same meaning:

* the primary template keeps its declaration (and body, if it has one) under a new name, `hawk_primary_<n>`;
* each specialization becomes an ordinary member function `hawk_spec_<n>_<i>` where it stands (an ordinary member
  of a class template is instantiated only when used, like the specialization it replaces);
* a dispatcher with the primary's template head, specifiers, name and parameters is added right after the primary,
  on its last line: `if constexpr` on the template arguments calls the matching specialization, else the primary
  (left undefined when it was declaration-only, so a call the original could not link cannot link either).

No line is added or removed (moved and added text sits on existing lines), so diagnostics keep the kernel's own line
numbers. Whatever this does not recognise (overloaded primaries, packs, template template parameters, deduced
specialization arguments, specializations of member class templates) is left as it was, and GCC reports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from npu_agent.simnpu.cpptext import split_top, strip_comments

_SPEC_RE = re.compile(r"\btemplate\s*<\s*>")
_TEMPLATE_RE = re.compile(r"\btemplate\s*<")
_CLASS_HEAD = re.compile(r"\b(?:class|struct|union)\b[^;{}()]*$")
_ENUM_HEAD = re.compile(r"\benum\s+(?:class|struct)\b[^;{}()]*$")
# A member function's name: an identifier or an operator (operator() first: its parentheses are part of the name).
_NAME = (r"(?P<name>\boperator\s*\(\s*\)|\boperator\s*\[\s*\]|\boperator\s*(?:[-+*/%^&|~!=<>]+|new\b|delete\b)"
         r"|\b[A-Za-z_]\w*)")
_TEMPLATE_ID_RE = re.compile(_NAME + r"\s*<")
_CALL_NAME_RE = re.compile(_NAME + r"\s*\(")
_SKIP_CALLS = {"__attribute__", "__declspec", "alignas", "decltype", "noexcept"}
_KEYWORDS = {"alignas", "alignof", "auto", "bool", "char", "class", "const", "constexpr", "decltype", "double",
             "enum", "explicit", "extern", "float", "friend", "inline", "int", "long", "mutable", "noexcept",
             "operator", "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast", "struct",
             "template", "this", "typename", "union", "unsigned", "virtual", "void", "volatile", "const_cast",
             "reinterpret_cast", "dynamic_cast", "if", "while", "for", "switch", "using", "typedef", "new",
             "delete"}


@dataclass
class _Decl:
    """A member function declaration: where its pieces are in the text."""

    start: int            # `template` keyword
    head: tuple[int, int]  # the template parameter list, `<`..`>` inclusive
    name: tuple[int, int]  # the name (and, for a specialization, its template argument list)
    name_text: str
    args: str              # a specialization's template arguments (inside <>), "" for a primary
    params: tuple[int, int]  # the function parameter list, `(`..`)` inclusive
    trailing: tuple[int, int]  # between `)` and the `;` or `{`
    end: int               # just past the `;` or the body's `}`
    has_body: bool


def _blank_comments(text: str) -> str:
    """Comments replaced by spaces (string and character literals kept, unlike shapes.strip_comments)."""
    out, i, n = list(text), 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out[i:j] = " " * (j - i)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out[i:j] = ["\n" if ch == "\n" else " " for ch in text[i:j]]
            i = j
        elif text[i] in "\"'":
            j = i + 1
            while j < n and text[j] != text[i] and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            i = j + 1
        else:
            i += 1
    return "".join(out)



def _match(code: str, start: int, open_: str, close: str) -> int:
    """Index just past the bracket matching code[start] (== open_), or -1. Angle brackets skip parenthesised
    expressions (`N<(a > b)>`)."""
    depth, i, n = 0, start, len(code)
    while i < n:
        c = code[i]
        if open_ == "<" and c == "(":
            j = _match(code, i, "(", ")")
            if j < 0:
                return -1
            i = j
            continue
        if open_ == "<" and c in ";{}":
            return -1
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _norm_name(name: str) -> str:
    return re.sub(r"\s+", "", name)


def _braces(code: str) -> list[tuple[int, int, str]]:
    """Every `{`..`}` pair with its kind: "class" (class/struct/union body) or "other"."""
    out, stack = [], []
    last_delim = -1
    for i, c in enumerate(code):
        if c == "{":
            head = code[last_delim + 1:i]
            kind = "class" if _CLASS_HEAD.search(head) and not _ENUM_HEAD.search(head) else "other"
            stack.append((i, kind))
        elif c == "}" and stack:
            o, kind = stack.pop()
            out.append((o, i, kind))
        if c in ";{}":
            last_delim = i
    return out


def _innermost(braces: list[tuple[int, int, str]], pos: int) -> tuple[int, int, str] | None:
    best = None
    for b in braces:
        if b[0] < pos < b[1] and (best is None or b[0] > best[0]):
            best = b
    return best


def _parse_decl(code: str, tstart: int, head_open: int, specialization: bool) -> _Decl | None:
    """The member function declaration whose `template` keyword is at tstart (head `<` at head_open)."""
    head_end = _match(code, head_open, "<", ">")
    if head_end < 0:
        return None
    stop = re.compile(r"[;{}]").search(code, head_end)
    limit = stop.start() if stop else len(code)
    name_re = _TEMPLATE_ID_RE if specialization else _CALL_NAME_RE
    pos = head_end
    while True:
        m = name_re.search(code, pos, limit)
        if m is None:
            return None
        name = m.group("name")
        if name in _SKIP_CALLS and not specialization:  # __attribute__((...)) and friends among the specifiers
            close = _match(code, m.end() - 1, "(", ")")
            if close < 0:
                return None
            pos = close
            continue
        if name in _KEYWORDS or (not name.startswith("operator") and code[m.start() - 2:m.start()] == "::"):
            pos = m.end()
            continue
        args = ""
        if specialization:
            lt = m.end() - 1
            gt = _match(code, lt, "<", ">")
            if gt < 0:
                return None
            paren = re.match(r"\s*\(", code[gt:])
            if paren is None:
                pos = gt
                continue
            args = code[lt + 1:gt - 1]
            name_span = (m.start(), gt)
            popen = gt + paren.end() - 1
        else:
            name_span = (m.start(), m.start() + len(name))
            popen = m.end() - 1
        break
    pclose = _match(code, popen, "(", ")")
    if pclose < 0:
        return None
    tail = re.match(r"[^;{}]*", code[pclose:])
    assert tail is not None
    at = pclose + tail.end()
    if at >= len(code) or code[at] == "}":
        return None
    if code[at] == ";":
        end, has_body = at + 1, False
    else:
        close = _match(code, at, "{", "}")
        if close < 0:
            return None
        end, has_body = close, True
    return _Decl(start=tstart, head=(head_open, head_end), name=name_span, name_text=_norm_name(name), args=args,
                 params=(popen, pclose), trailing=(pclose, at), end=end, has_body=has_body)


def _template_params(head: str) -> list[tuple[str, str]] | None:
    """(kind, name) of each template parameter: kind "type" or "value"; None when one is not supported."""
    out = []
    for p in split_top(head):
        decl = _split_top_eq(p)[0].strip()
        if "..." in decl or re.match(r"template\b", decl):
            return None
        m = re.match(r"(?:typename|class)\s+([A-Za-z_]\w*)$", decl)
        if m:
            out.append(("type", m.group(1)))
            continue
        m = re.search(r"([A-Za-z_]\w*)$", decl)
        if m is None or m.group(1) in _KEYWORDS or len(decl.split()) < 2:
            return None
        out.append(("value", m.group(1)))
    return out


def _split_top_eq(param: str) -> tuple[str, str]:
    """A parameter split at its top-level `=` (declaration, default)."""
    depth = 0
    for i, ch in enumerate(param):
        if ch in "(<[{":
            depth += 1
        elif ch in ")>]}":
            depth -= 1
        elif ch == "=" and depth == 0 and param[i + 1:i + 2] != "=" and param[i - 1:i] not in ("=", "!", "<", ">"):
            return param[:i], param[i + 1:]
    return param, ""


def _function_params(params: str) -> tuple[list[str], list[str]] | None:
    """The dispatcher's parameter declarations (a name added where the primary left one out) and their names."""
    decls, names = [], []
    for j, p in enumerate(split_top(params)):
        if p in ("", "void"):
            continue
        decl, default = _split_top_eq(p)
        decl = decl.strip()
        if "(" in decl or "[" in decl or "..." in decl:
            return None
        tokens = re.findall(r"[A-Za-z_]\w*|::|[*&]+|<[^<>]*>|\S", decl)
        last = tokens[-1] if tokens else ""
        named = (re.fullmatch(r"[A-Za-z_]\w*", last) is not None and last not in _KEYWORDS and len(tokens) >= 2
                 and tokens[-2] != "::")
        name = last if named else f"hawk_a{j}"
        full = decl if named else f"{decl} {name}"
        decls.append(full + (f" = {default.strip()}" if default.strip() else ""))
        names.append(name)
    return decls, names


def fold_member_specializations(text: str) -> str:
    """The text with every in-class explicit specialization of a member function template folded into its primary
    (see the module docstring); unchanged when there is none."""
    if "template" not in text:
        return text
    code = strip_comments(text)
    specs_at = list(_SPEC_RE.finditer(code))
    if not specs_at:
        return text
    clean = _blank_comments(text)
    braces = _braces(code)
    groups: dict[tuple[int, str], list[tuple[re.Match, _Decl]]] = {}
    for m in specs_at:
        scope = _innermost(braces, m.start())
        if scope is None or scope[2] != "class":
            continue
        d = _parse_decl(code, m.start(), code.index("<", m.start()), specialization=True)
        if d is None:
            continue
        groups.setdefault((scope[0], d.name_text), []).append((m, d))
    edits: list[tuple[int, int, str]] = []
    n = 0
    for (scope_open, name), specs in groups.items():
        scope = next(b for b in braces if b[0] == scope_open)
        primaries = []
        for t in _TEMPLATE_RE.finditer(code, scope[0] + 1, scope[1]):
            if _SPEC_RE.match(code, t.start()) or _innermost(braces, t.start()) != scope:
                continue
            d = _parse_decl(code, t.start(), t.end() - 1, specialization=False)
            if d is not None and d.name_text == name:
                primaries.append(d)
        if len(primaries) != 1:
            continue
        edit = _fold(text, clean, primaries[0], [d for _, d in specs], n)
        if edit is not None:
            edits += edit
            n += 1
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _keep_newlines(old: str, new: str) -> str:
    """`new` followed by the newlines `old` had, so the replaced span keeps its line count."""
    return new + "\n" * old.count("\n")


def _fold(text: str, clean: str, primary: _Decl, specs: list[_Decl], n: int) -> list[tuple[int, int, str]] | None:
    head = _one_line(clean[primary.head[0] + 1:primary.head[1] - 1])
    tparams = _template_params(head)
    if tparams is None:
        return None
    specifiers = _one_line(clean[primary.head[1]:primary.name[0]])
    if re.search(r"\b(?:friend|virtual)\b", specifiers):
        return None
    trailing = _one_line(clean[primary.trailing[0]:primary.trailing[1]])
    if "=" in trailing or ":" in trailing:
        return None
    fn = _function_params(clean[primary.params[0] + 1:primary.params[1] - 1])
    if fn is None:
        return None
    decls, names = fn
    fwd = ", ".join(f"static_cast<decltype({a})&&>({a})" for a in names)
    primary_name = f"hawk_primary_{n}"
    branches = []
    for i, s in enumerate(specs):
        args = split_top(_one_line(s.args))
        if len(args) != len(tparams):
            return None
        conds = [f"::std::is_same<{p}, {a}>::value" if kind == "type" else f"({p}) == ({a})"
                 for (kind, p), a in zip(tparams, args, strict=True)]
        branches.append(f"if constexpr ({' && '.join(conds)}) {{ return hawk_spec_{n}_{i}({fwd}); }}")
    targs = ", ".join(p for _, p in tparams)
    dispatch = (f" template <{head}> {specifiers} {_one_line(text[primary.name[0]:primary.name[1]])}"
                f"({', '.join(decls)}) {trailing} {{ {' else '.join(branches)} else {{ return "
                f"{primary_name}<{targs}>({fwd}); }} }}")
    edits = [(primary.name[0], primary.name[1], _keep_newlines(text[primary.name[0]:primary.name[1]], primary_name)),
             (primary.end, primary.end, dispatch)]
    static = re.search(r"\bstatic\b", specifiers) is not None
    for i, s in enumerate(specs):
        blank = re.sub(r"[^\n]", " ", text[s.start:s.head[1]])  # `template <>`: at least 8 columns on its line
        if static and not re.search(r"\bstatic\b", clean[s.head[1]:s.name[0]]):
            blank = "static" + blank[len("static"):]
        edits.append((s.start, s.head[1], blank))
        edits.append((s.name[0], s.name[1], _keep_newlines(text[s.name[0]:s.name[1]], f"hawk_spec_{n}_{i}")))
    return edits
