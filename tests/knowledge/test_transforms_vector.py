"""The vector family's transformations: text rewrites on kernels, and their rewritten baselines on the twin.

The text tests pin what each rewrite must keep consistent (a queue's declared depth and its InitBuffer
count; a knob rewritten in one place); the twin tests show that for every vector-family task at least one
transformation applies to its baseline and that a transformed baseline still compiles and passes at the
task's test size, which is what makes the task searchable offline without a template.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from knowledge import transforms
from knowledge.transforms import NotApplicable
from tasks import catalogue

VECTOR_CATEGORIES = ("elementwise", "activation", "cast", "reduction", "softmax", "normalization", "transpose")
VECTOR_TASKS = [n for c in VECTOR_CATEGORIES for n in catalogue.categories()[c]]
KNOBBED = [n for n in VECTOR_TASKS if "template" not in catalogue.get_task(n).extra]

LITERAL = """
constexpr uint32_t TILE = 4096;
constexpr uint32_t ROWS_PER_TILE = 1;
namespace optiling {
static ge::graphStatus TilingFunc(gert::TilingContext* context)
{
    uint64_t cores = platform_ascendc::PlatformAscendC(context->GetPlatformInfo()).GetCoreNumAiv();
    context->SetBlockDim(cores);
    return ge::GRAPH_SUCCESS;
}
}
class K {
    __aicore__ inline void Init()
    {
        xGm.SetGlobalBuffer((__gm__ T*)x + start, len);
        pipe.InitBuffer(inX, 1, TILE * sizeof(T));
        pipe.InitBuffer(inY, 1, TILE * sizeof(T));
        pipe.InitBuffer(outZ, 1, TILE * sizeof(T));
        pipe.InitBuffer(tmp, TILE * sizeof(float));
    }
    __aicore__ inline void Process() { for (uint64_t off = 0; off < len; off += TILE * ROWS_PER_TILE) { CopyGmToUb(a, xGm[off], n); } }
    TPipe pipe;
    TQue<QuePosition::VECIN, 1> inX, inY;
    TQue<QuePosition::VECOUT, 1> outZ;
    TBuf<TPosition::VECCALC> tmp;
};
"""


def _depths(source: str) -> dict[str, tuple[str, str]]:
    """queue name -> (declared depth, InitBuffer count) as spelled in the source."""
    out = {}
    for m in re.finditer(r"TQue<QuePosition::VEC(?:IN|OUT), (\w+)> ([^;]+);", source):
        for q in (x.strip() for x in m.group(2).split(",")):
            count = re.search(rf"InitBuffer\({q}, (\w+),", source)
            out[q] = (m.group(1), count.group(1) if count else "")
    return out


def _baseline(name: str) -> str:
    return catalogue.get_task(name).baseline.read_text(encoding="utf-8")


# --- text: each transformation --------------------------------------------------------------------------


def test_the_vector_family_is_registered() -> None:
    names = {t.name for t in transforms.all_transforms() if t.family == "vector"}
    assert {"queue_depth", "tile", "core_count", "l2_bypass", "row_tile"} <= names
    for name in names:
        t = transforms.get(name)
        assert t.summary and "\n" not in t.summary and t.pipes and t.params
        for p in t.params:
            assert list(p.values) == sorted(p.values), f"{name}.{p.name}: the domain must be ordered"


@pytest.mark.parametrize("name, param, values", [
    ("queue_depth", "depth", (1, 2, 3, 4)),
    ("tile", "tile", (512, 1024, 8192, 32768)),
    ("core_count", "cores", (1, 8, 24, 48)),
    ("l2_bypass", "bypass", (0, 1)),
    ("row_tile", "rows", (1, 2, 8, 64)),
])
def test_round_trip_on_a_literal_kernel(name: str, param: str, values: tuple[int, ...]) -> None:
    t = transforms.get(name)
    assert t.current(LITERAL) is not None
    for v in values:
        out = t.apply(LITERAL, {param: v})
        assert t.current(out) == {param: v}
        # and back: moving to the present value again gives a kernel whose value reads the same
        assert t.current(t.apply(out, t.current(LITERAL))) == t.current(LITERAL)


def test_queue_depth_moves_declaration_and_init_buffer_together() -> None:
    qd = transforms.get("queue_depth")
    assert qd.current(LITERAL) == {"depth": 1}
    out = qd.apply(LITERAL, {"depth": 3})
    assert _depths(out) == {"inX": ("3", "3"), "inY": ("3", "3"), "outZ": ("3", "3")}
    assert "InitBuffer(tmp, TILE * sizeof(float))" in out  # a TBuf is not a queue


def test_queue_depth_on_a_named_knob_rewrites_one_place_and_repairs_literal_counts() -> None:
    src = ("constexpr int32_t BUFFER_NUM = 1;\n" + LITERAL.replace("VECIN, 1> inX, inY", "VECIN, BUFFER_NUM> inX, inY")
           .replace("InitBuffer(inY, 1,", "InitBuffer(inY, BUFFER_NUM,"))
    qd = transforms.get("queue_depth")
    assert qd.current(src) == {"depth": 1}
    out = qd.apply(src, {"depth": 2})
    assert "constexpr int32_t BUFFER_NUM = 2;" in out
    # inX's literal count disagreed with its declaration: it now names the knob; outZ keeps its own depth
    assert _depths(out) == {"inX": ("BUFFER_NUM", "BUFFER_NUM"), "inY": ("BUFFER_NUM", "BUFFER_NUM"),
                            "outZ": ("1", "1")}


def test_queue_depth_leaves_resident_queues_of_a_baseline_alone() -> None:
    out = transforms.apply(_baseline("layernorm_fp32"), "queue_depth", {"depth": 2})
    d = _depths(out)
    assert d["inX"] == d["outY"] == ("BUFFER_NUM", "BUFFER_NUM")
    assert d["inG"] == d["inB"] == ("1", "1")  # gamma and beta are loaded once and stay
    assert "constexpr int32_t BUFFER_NUM = 2;" in out


def test_core_count_caps_an_uncapped_kernel_with_a_named_knob() -> None:
    cc = transforms.get("core_count")
    assert cc.current(LITERAL) == {"cores": 48}  # every AIV core: the top of the domain
    out = cc.apply(LITERAL, {"cores": 4})
    assert "constexpr uint32_t BLOCK_DIM = 4;" in out and "cores = cores < BLOCK_DIM ? cores : BLOCK_DIM;" in out
    again = cc.apply(out, {"cores": 16})
    assert again.count("BLOCK_DIM = ") == 1 and cc.current(again) == {"cores": 16}


def test_core_count_on_a_literal_core_count() -> None:
    src = _baseline("add_fp16_small")  # `uint64_t cores = 1;`: a templated task's baseline, left as it is
    cc = transforms.get("core_count")
    assert cc.current(src) == {"cores": 1}
    assert "uint64_t cores = 8;" in cc.apply(src, {"cores": 8})


@pytest.mark.parametrize("name, values, needle", [
    ("queue_depth", {"depth": 5}, "depth=5"),
    ("queue_depth", {"depth": 0}, "depth=0"),
    ("tile", {"tile": 4000}, "tile=4000"),
    ("core_count", {"cores": 3}, "cores=3"),
    ("core_count", {"blocks": 8}, "unknown parameter"),
    ("l2_bypass", {"bypass": 2}, "bypass=2"),
    ("row_tile", {"rows": 3}, "rows=3"),
])
def test_off_domain_values_are_refused(name: str, values: dict, needle: str) -> None:
    with pytest.raises(NotApplicable, match=needle):
        transforms.apply(LITERAL, name, values)


def test_a_kernel_without_the_site_is_refused() -> None:
    plain = "__aicore__ void k() { }"
    for name in ("queue_depth", "tile", "core_count", "l2_bypass", "row_tile"):
        assert transforms.get(name).current(plain) is None
        with pytest.raises(NotApplicable, match="no site"):
            transforms.apply(plain, name, {})


def test_tile_and_l2_bypass_leave_cube_kernels_to_the_cube_family() -> None:
    cube = LITERAL + "\nMmad(c, a, b, params);\n"
    assert transforms.get("tile").current(cube) is None
    assert transforms.get("l2_bypass").current(_baseline("matmul_fp16_1024")) is None


def test_l2_bypass_hints_the_streamed_inputs_only() -> None:
    src = _baseline("add_bias_row_fp16")  # x is streamed row by row; the bias row is loaded whole by every core
    lb = transforms.get("l2_bypass")
    assert lb.current(src) == {"bypass": 0}
    out = lb.apply(src, {"bypass": 1})
    assert lb.current(out) == {"bypass": 1}
    assert "xGm.SetL2CacheHint(CacheMode::CACHE_MODE_DISABLE);" in out
    assert "bGm.SetL2CacheHint" not in out and "zGm.SetL2CacheHint" not in out
    assert lb.apply(out, {"bypass": 0}) == src
    assert lb.apply(out, {"bypass": 1}) == out


def test_l2_bypass_on_a_named_knob() -> None:
    src = "constexpr bool L2_BYPASS = false;\nvoid f() { if (L2_BYPASS) { xGm.SetL2CacheHint(x); } }\n"
    lb = transforms.get("l2_bypass")
    assert lb.current(src) == {"bypass": 0}
    assert "constexpr bool L2_BYPASS = true;" in lb.apply(src, {"bypass": 1})


def test_tile_rewrites_the_named_constant_only() -> None:
    src = _baseline("gelu_fp16")
    out = transforms.apply(src, "tile", {"tile": 8192})
    assert "constexpr uint32_t TILE = 8192;" in out
    assert out.replace("TILE = 8192", "TILE = 4096") == src


# --- the baselines -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", VECTOR_TASKS)
def test_every_vector_baseline_is_transformable(name: str) -> None:
    found = {t.name: cur for t, cur in transforms.applicable(_baseline(name))}
    assert "queue_depth" in found and "core_count" in found, f"{name}: {found}"


@pytest.mark.parametrize("name", KNOBBED)
def test_exposed_knobs_hold_the_baselines_present_values(name: str) -> None:
    """The knobs only name what the baseline did: one buffer per streaming queue, every AIV core."""
    src = _baseline(name)
    assert "constexpr int32_t BUFFER_NUM = 1;" in src and "constexpr uint32_t BLOCK_DIM = 48;" in src
    assert transforms.get("queue_depth").current(src) == {"depth": 1}
    assert transforms.get("core_count").current(src) == {"cores": 48}
    streaming = {q: d for q, d in _depths(src).items() if q in ("inX", "inY", "outY", "outZ")}
    assert streaming and set(streaming.values()) == {("BUFFER_NUM", "BUFFER_NUM")}, streaming


# --- the twin ----------------------------------------------------------------------------------------------


def _transformed(name: str) -> tuple[str, list[str]]:
    """The baseline double-buffered, one tile (or row tile) step up, one core-count step down and with L2 bypass,
    where each applies: one build per task covers every transformation that recognises its baseline."""
    src = _baseline(name)
    done = []
    for t, cur in transforms.applicable(src):
        if t.family != "vector":
            continue
        p = t.params[0]
        up = t.name in ("tile", "row_tile")
        target = {"queue_depth": 2, "l2_bypass": 1}.get(t.name) or p.step(cur[p.name], +1 if up else -1)
        if target is None or target == cur[p.name]:
            continue
        src = t.apply(src, {p.name: target})
        done.append(f"{t.name}={target}")
    return src, done


@pytest.fixture(scope="module")
def twin():
    from tasks.evaluate import twin_backend

    # Not tmp_path: the sandbox runs kernels as an unprivileged uid that must reach the work root.
    # HAWK_SIM_WORK_ROOT (a private twin work root) keeps the twin's runtime build between runs.
    keep = os.environ.get("HAWK_SIM_WORK_ROOT")
    root = Path(keep) / "test-transforms-vector" if keep else Path(tempfile.mkdtemp(prefix="hawk-xvec-twin-"))
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o711)
    backend = twin_backend(work_root=root)
    yield backend
    backend.close()
    if not keep:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("name", VECTOR_TASKS)
def test_a_transformed_baseline_passes_on_the_twin(twin, name: str) -> None:
    from tasks.evaluate import Compiled

    task = catalogue.get_task(name).reduced()
    source, done = _transformed(name)
    assert any(d.startswith("queue_depth=") for d in done), f"{name}: {done}"
    check = Compiled(twin, source, task.spec).check([31], profile=False)
    assert check.ok, f"{name} with {', '.join(done)}: {check.status}: {check.message}"


@pytest.mark.parametrize("name", ["row_max_fp16", "row_mean_fp32", "softmax_fp16", "layernorm_fp32", "add_bias_row_fp16"])
def test_row_tiles_with_a_tail_and_unaligned_rows_pass_on_the_twin(twin, name: str) -> None:
    """4 rows per copy over 37 rows on several cores (tail tiles) of 100 elements (rows not whole 32 B blocks)."""
    from tasks.evaluate import Compiled

    task = catalogue.get_task(name).with_dims(M=37, N=100)
    source = transforms.apply(_baseline(name), "row_tile", {"rows": 4})
    source = transforms.apply(source, "core_count", {"cores": 8})
    check = Compiled(twin, source, task.spec).check([41], profile=False)
    assert check.ok, f"{name} with row_tile=4, core_count=8 at 37x100: {check.status}: {check.message}"


# --- the UB-capacity check against the twin (knowledge/kernel_values.py; here to share this module's twin) -----

# (task, dims where the double-buffered baseline just fits the 192 KB UB, dims where it just overflows it)
UB_TIGHT = [("transpose_fp16", {"M": 8, "N": 2880}, {"M": 8, "N": 2896}),
            ("row_sum_fp32", {"M": 8, "N": 16000}, {"M": 8, "N": 16384})]


@pytest.mark.parametrize(("name", "fits", "overflows"), UB_TIGHT)
def test_the_ub_check_agrees_with_the_twin_on_both_sides_of_the_limit(twin, name: str, fits: dict,
                                                                       overflows: dict) -> None:
    from knowledge.checks import CheckSet
    from knowledge.kernel_values import task_values
    from knowledge.seed import load_pack
    from npu_agent.hardware import load_profile
    from tasks.evaluate import Compiled

    hw = load_profile("ascend910b2")
    src = transforms.apply(_baseline(name), "queue_depth", {"depth": 2})
    checks = CheckSet(load_pack(), hw)
    compiled = Compiled(twin, src, catalogue.get_task(name).with_dims(**fits).spec)
    for dims, should_fit in ((fits, True), (overflows, False)):
        spec = catalogue.get_task(name).with_dims(**dims).spec
        ran = compiled.check([3], spec=spec, profile=False)
        assert ran.ok is should_fit, f"{name} {dims}: the twin says {ran.status}: {ran.message}"
        if not should_fit:
            assert "UB_OUT_OF_BOUNDS" in ran.message, ran.message
        fired = [v.entry_id for v in checks.run(src, task_values(src, spec, hw))]
        assert ("seed-ascend910b2-ub-capacity" in fired) is (not should_fit), f"{name} {dims}: {fired}"
