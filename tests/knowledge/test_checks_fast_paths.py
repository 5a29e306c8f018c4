"""The checks' fast paths decide exactly what the plain paths decide.

SourceFacts.parse's literal-led scans read exactly what the plain regex scans read.

The parse of a long kernel finds its constants, queue positions and InitBuffer calls by first looking for a
literal each pattern needs (its leading \\b or multi-line ^\\s* makes the regex engine try every position
otherwise). These tests hold it to the plain scans (the patterns as written, run with finditer) on every
built-in kernel and on thousands of generated sources made of the awkward cases: declarations after blank lines
or mid-line, `static const`, words glued to TQue/InitBuffer, multi-line values, CR/LF, tabs and Unicode spaces.
CheckSet.run (static conjuncts that hold dropped, leading matches() tried first, names tested by set) gives
what evaluating every entry's check on its own gives, on the same sources with tiling values.
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict
from pathlib import Path

from knowledge import checks
from knowledge.checks import SHORT_SOURCE_CHARS, CheckSet, SourceFacts, evaluate
from knowledge.model import Entry
from knowledge.seed import load_pack
from npu_agent.hardware import load_profile

KERNELS = Path(__file__).resolve().parents[2] / "tasks" / "kernels"


def _c_to_expr_plain(text: str) -> str:
    def size(m: re.Match[str]) -> str:
        t = m.group(1).split("::")[-1]
        return str(checks.TYPE_SIZES[t]) if t in checks.TYPE_SIZES else f"__sizeof_{t}"

    text = checks._SIZEOF.sub(size, text)
    text = checks._CAST.sub("", text)
    text = checks._INT_SUFFIX.sub(r"\1", text)
    return text.replace("this->", "").strip()


def _parse_plain(source: str) -> SourceFacts:
    """The scans as the patterns say them: finditer over the whole source."""
    facts = SourceFacts(source=source)
    for m in checks._DEFINE.finditer(source) if "define" in source else ():
        facts.constants.setdefault(m.group(1), _c_to_expr_plain(m.group(2).split("//")[0]))
    for m in checks._CONST.finditer(source) if "const" in source else ():
        facts.constants[m.group(1)] = _c_to_expr_plain(m.group(2))
    for m in checks._QUE_DECL.finditer(source) if "Position::" in source else ():
        for name in m.group(2).split(","):
            if name.strip():
                facts.queue_positions[name.strip()] = m.group(1)
    for m in checks._INIT_BUFFER.finditer(source) if "InitBuffer" in source else ():
        args = checks._split_args(source, m.end())
        if args and len(args) in (2, 3):
            facts.init_buffers.append((args[0].strip(), [_c_to_expr_plain(a) for a in args[1:]]))
    g = checks._GLOBAL_T.search(source) if "GlobalTensor" in source else None
    facts.elem_type = g.group(1).split("::")[-1] if g else ""
    aliases: dict[str, set[str]] = {}
    for m in checks._TYPE_ALIAS.finditer(source):
        alias, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        aliases.setdefault(alias, set()).add(target)
    facts.type_sizes = {a: checks.TYPE_SIZES[next(iter(t))] for a, t in aliases.items()
                        if len(t) == 1 and next(iter(t)) in checks.TYPE_SIZES}
    return facts


FRAGMENTS = [
    "const int A = 4;", "static constexpr uint32_t B = 8u;", "  const\n int C = sizeof(half) * 2;",
    "constexpr int32_t BUFFER_NUM = 2;", "const uint32_t TILE_LENGTH = 128UL;", "x; const int F = 1;",
    "const int G = 1\n", "const int H = static_cast<int32_t>(3) + (uint32_t)4;", "// const int Z = 9;",
    "static const int S = this->n;", "const gert::Shape& s = y;", "const int M = 2,\n  N = 3;",
    "#define D 16 // sixteen", " # define E (A*2)", "#define", "x #define Q 1", "#  define  LEN 2048L",
    "TQue<QuePosition::VECIN, 2> inQ, inQ2;", "xTQue<TPosition::VECOUT> bad;", "TBuf<TPosition::VECCALC> tmp;",
    "AscendC::TQue<AscendC::TPosition::VECOUT, BUFFER_NUM> outQ;", "TQue<TPosition::A1, 1> aQ;",
    "pipe.InitBuffer(inQ, BUFFER_NUM, TILE_LENGTH * sizeof(float));", "pipe.InitBuffer(tmp, 64);",
    "MyInitBuffer(x, 1);", "_InitBuffer(y, 2);", "InitBuffer (outQ, 2, f(a, b));", "InitBuffer(aQ, 1, 4",
    "GlobalTensor<half> x;", "GlobalTensor<AscendC::bfloat16_t> y;", "{", "}", ";", "static", "const",
    "\t", "\r\n", "\u00a0", "\n\n  ", "\x0b", "int main() { return 0; }",
]


def _generated(rng: random.Random) -> str:
    parts = [rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 60))]
    text = "".join(p + rng.choice(("", " ", "\n", "\n", "\n\n", "  ")) for p in parts)
    if rng.random() < 0.5:  # the long path too (SourceFacts.parse picks its scan by length)
        text = "// " + "-" * (SHORT_SOURCE_CHARS + 10) + "\n" + text
    return text


def _same(source: str) -> None:
    assert asdict(SourceFacts.parse(source)) == asdict(_parse_plain(source)), source


def test_every_built_in_kernel_parses_as_the_plain_scans_read_it() -> None:
    sources = [p.read_text(encoding="utf-8") for p in sorted(KERNELS.rglob("*.cpp"))]
    assert len(sources) >= 20 and any(len(s) > SHORT_SOURCE_CHARS for s in sources)
    found = 0
    for s in sources:
        _same(s)
        facts = SourceFacts.parse(s)
        found += len(facts.constants) + len(facts.queue_positions) + len(facts.init_buffers)
    assert found > 50, "the kernels must declare enough for the comparison to mean anything"


def test_generated_sources_parse_as_the_plain_scans_read_them() -> None:
    rng = random.Random(16)
    long = found = 0
    for _ in range(3000):
        s = _generated(rng)
        _same(s)
        long += len(s) > SHORT_SOURCE_CHARS
        facts = SourceFacts.parse(s)
        found += bool(facts.constants) and bool(facts.queue_positions) and bool(facts.init_buffers)
    assert long > 1000 and found > 500


def test_the_awkward_cases_one_by_one() -> None:
    pad = "// " + "=" * SHORT_SOURCE_CHARS + "\n"
    for s in ["\n\n   const int A = 1;", "static const int A = 1;", "x; const int A = 1;\nconst int B = 2;",
              "const int A = 1\n const int B = 2;", "  \n\t#define X 4\n", "a #define X 4", "xTQue<TPosition::VECIN> q;"
              " TQue<TPosition::VECIN> r;", "xTQue<TPosition::VECIN, TQue<TPosition::VECOUT> q;",
              "MyInitBuffer(a, 1); InitBuffer(b, 2);", "\u00a0const int U = 3;", "\r\nconst int R = 5;\r\n"]:
        _same(s)
        _same(pad + s)
    assert SourceFacts.parse(pad + "static const int A = 1;").constants == {"A": "1"}
    assert SourceFacts.parse(pad + "xTQue<TPosition::VECIN> q; TQue<TPosition::VECOUT> r;").queue_positions == {
        "r": "VECOUT"}


# Checks of every shape the fast paths treat apart, besides the seed pack's.
EXTRA_CHECKS = [
    {"when": "hw.memory.ub_bytes > 0 and matches('TQue') and matches('InitBuffer') and A > 2",
     "message": "A={A} with queues"},
    {"when": "matches('const') and count('const') > 2", "message": "many consts"},
    {"when": "matches('define') and (defined('D') and D > 8)", "message": "D {D}"},
    {"when": "hw.memory.ub_bytes > 0 and hw.memory.ub_bytes > 1", "message": "always"},
    {"when": "hw.memory.ub_bytes < 0 and matches('const')", "message": "never (static conjunct false)"},
    {"when": "not matches('GlobalTensor') and B >= 0", "message": "no global tensor, B={B}"},
    {"when": "elem_bytes == 2 and matches('half')", "message": "half {elem_bytes}"},
    {"when": "ub_bytes_requested > 100 and (matches('VECIN') and BUFFER_NUM >= 2)", "message": "{ub_bytes_requested}"},
    {"when": "matches('static') and C / 0 > 1", "message": "undetermined: division by zero"},
]


def test_check_set_verdicts_equal_each_check_evaluated_alone() -> None:
    hw = load_profile("ascend910b2")
    entries = [e for e in load_pack("ascend910b2") if e.check] + [
        Entry(id=f"extra-{i}", title=f"extra {i}", rationale="r", check=c) for i, c in enumerate(EXTRA_CHECKS)]
    fast = CheckSet(entries, hw)
    rng = random.Random(7)
    sources = [p.read_text(encoding="utf-8") for p in sorted(KERNELS.rglob("*.cpp"))]
    sources += [_generated(rng) for _ in range(600)]
    fired = set()
    for source in sources:
        values = {k: rng.choice((0, 1, 3, 16, 4096)) for k in rng.sample(["A", "B", "C", "D", "BUFFER_NUM"], 3)}
        want = []
        for e in entries:
            hit, message = evaluate(e.check, source, values, hw)
            if hit:
                want.append((e.id, message))
        got = [(v.entry_id, v.message) for v in fast.run(source, values)]
        assert got == want, source
        fired |= {eid for eid, _ in got}
    assert {"extra-0", "extra-1", "extra-2", "extra-3", "extra-5", "extra-6"} <= fired
    assert "extra-4" not in fired and "extra-8" not in fired
