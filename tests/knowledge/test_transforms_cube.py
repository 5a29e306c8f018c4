"""Cube-family transformations (knowledge/transforms/cube.py): text rewrites of the matmul and attention kernels.

The text tests pin what each transformation reads and writes on the real baselines; the twin tests show that
every cube-family built-in task is searchable by them: at least one applies to its baseline, and a kernel
rewritten by all of them compiles and passes the task's verification at its test size.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest

from knowledge import transforms as T
from knowledge.transforms import NotApplicable
from tasks import catalogue

KERNELS = Path(__file__).resolve().parents[2] / "tasks" / "kernels"
MATMUL_BASELINES = ["matmul_fp16", "batched_matmul_fp16", "matmul_bias_relu_fp16"]
CUBE_TASKS = ["matmul_fp16_1024", "matmul_fp16_2048", "matmul_fp16_8192", "matmul_fp16_3000x1500x1000",
              "matmul_fp16_8192x1024x512", "batched_matmul_fp16", "matmul_bias_relu_fp16", "attention_fp16"]
CUBE_NAMES = {"mm_base_block", "mm_pingpong", "mm_core_split", "attn_chunk", "attn_pingpong"}


def baseline(name: str) -> str:
    return (KERNELS / name / "baseline.cpp").read_text(encoding="utf-8")


def test_cube_family_is_registered() -> None:
    by_name = {t.name: t for t in T.all_transforms()}
    assert set(by_name) >= CUBE_NAMES
    for name in CUBE_NAMES:
        t = by_name[name]
        assert t.family == "cube" and t.summary and "\n" not in t.summary and t.pipes
        for p in t.params:
            assert len(p.values) >= 2 and len(set(p.values)) == len(p.values), (name, p.name)


@pytest.mark.parametrize("kernel", MATMUL_BASELINES)
def test_matmul_baselines_expose_their_present_knobs(kernel: str) -> None:
    src = baseline(kernel)
    found = {t.name: cur for t, cur in T.applicable(src)}
    assert found["mm_base_block"] == {"BASE_M": 128, "BASE_N": 128, "BASE_K": 64}
    assert found["mm_pingpong"] == {"l1": 1, "l0": 1, "co1": 1}
    assert found["mm_core_split"] == {"cores": 64, "order": "n_first"}
    assert not {"attn_chunk", "attn_pingpong"} & set(found)


def test_attention_baseline_exposes_its_knobs() -> None:
    found = {t.name: cur for t, cur in T.applicable(baseline("attention_fp16"))}
    assert found["attn_chunk"] == {"chunk": 64}
    assert found["attn_pingpong"] == {"in": 1, "out": 1}
    assert not {"mm_base_block", "mm_pingpong", "mm_core_split"} & set(found)


def test_vector_kernels_are_not_cube_sites() -> None:
    src = baseline("add_fp16_small")
    for name in CUBE_NAMES:
        assert T.get(name).current(src) is None
        with pytest.raises(NotApplicable, match="no site"):
            T.apply(src, name, {})


def test_expert_matmul_takes_the_base_block_only() -> None:
    src = (KERNELS / "matmul_fp16" / "expert.cpp").read_text(encoding="utf-8")
    assert T.get("mm_base_block").current(src) == {"BASE_M": 128, "BASE_N": 256, "BASE_K": 64}
    assert T.get("mm_pingpong").current(src) is None  # static buffers and events, no TQue to deepen


# every (transformation, new values) worth a round trip, per kernel
ROUND_TRIPS = [
    ("matmul_fp16", "mm_base_block", {"BASE_M": 64, "BASE_N": 256, "BASE_K": 32}),
    ("matmul_fp16", "mm_pingpong", {"l1": 2, "l0": 2, "co1": 2}),
    ("matmul_fp16", "mm_pingpong", {"l0": 2}),
    ("batched_matmul_fp16", "mm_core_split", {"cores": 8, "order": "m_first"}),
    ("matmul_bias_relu_fp16", "mm_pingpong", {"co1": 2}),
    ("attention_fp16", "attn_chunk", {"chunk": 128}),
    ("attention_fp16", "attn_pingpong", {"in": 2, "out": 2}),
]


@pytest.mark.parametrize("kernel, name, values", ROUND_TRIPS, ids=[f"{k}-{n}-{i}" for i, (k, n, _) in
                                                                    enumerate(ROUND_TRIPS)])
def test_round_trip(kernel: str, name: str, values: dict) -> None:
    src = baseline(kernel)
    t = T.get(name)
    before = t.current(src)
    out = t.apply(src, values)
    assert out != src
    assert t.current(out) == {**before, **values}  # the new values are read back, the others kept
    # the family's other transformations still see the kernel as before (the vector family's queue_depth, which
    # also reads the attention kernel's queues, is not independent of attn_pingpong)
    for other, cur in T.applicable(src):
        if other.name != name and other.family == "cube":
            assert other.current(out) == cur, other.name
    assert t.apply(out, before) == src  # and moving back restores the text exactly
    assert t.apply(src, {}) == src


def test_pingpong_rewrites_declaration_and_init_buffer_together() -> None:
    src = baseline("matmul_fp16")
    out = T.apply(src, "mm_pingpong", {"l1": 2, "co1": 2})
    decl = {pos: int(d) for pos, d in re.findall(r"TQue<TPosition::(\w+), (\d+)> \w+;", out)}
    assert decl == {"A1": 2, "B1": 2, "A2": 1, "B2": 1, "CO1": 2}
    counts = {var: int(n) for var, n in re.findall(r"InitBuffer\((\w+), (\d+),", out)}
    assert counts == {"inA1": 2, "inB1": 2, "inA2": 1, "inB2": 1, "outCO1": 2}


def test_inconsistent_queue_is_not_a_site() -> None:
    """A queue declared with depth 2 but given one buffer is not guessed at: the kernel is not a site."""
    src = baseline("matmul_fp16").replace("TQue<TPosition::A1, 1> inA1;", "TQue<TPosition::A1, 2> inA1;")
    assert T.get("mm_pingpong").current(src) is None
    with pytest.raises(NotApplicable, match="no site"):
        T.apply(src, "mm_pingpong", {"l1": 2})
    # B1 and A1 disagree: the same
    src = baseline("matmul_fp16").replace("pipe.InitBuffer(inB1, 1,", "pipe.InitBuffer(inB1, 2,").replace(
        "TQue<TPosition::B1, 1> inB1;", "TQue<TPosition::B1, 2> inB1;")
    assert T.get("mm_pingpong").current(src) is None


def test_ambiguous_knob_is_not_a_site() -> None:
    src = baseline("matmul_fp16").replace("constexpr uint32_t BASE_K = 64;",
                                          "constexpr uint32_t BASE_K = 64;\nconstexpr uint32_t BASE_K = 32;")
    assert T.get("mm_base_block").current(src) is None


OFF_DOMAIN = [
    ("matmul_fp16", "mm_base_block", {"BASE_M": 48}, "BASE_M=48 is not one of"),  # not a 16-multiple power
    ("matmul_fp16", "mm_base_block", {"BASE_K": 8}, "BASE_K=8 is not one of"),    # below one fractal
    ("matmul_fp16", "mm_pingpong", {"l1": 3}, "l1=3 is not one of"),
    ("matmul_fp16", "mm_core_split", {"order": "diagonal"}, "order='diagonal' is not one of"),
    ("matmul_fp16", "mm_core_split", {"cores": 0}, "cores=0 is not one of"),
    ("attention_fp16", "attn_chunk", {"chunk": 256}, "chunk=256 is not one of"),   # repeat count > 255
    ("matmul_fp16", "mm_base_block", {"BASE_X": 64}, "unknown parameter"),
]


@pytest.mark.parametrize("kernel, name, values, message", OFF_DOMAIN, ids=[f"{n}-{list(v)[0]}" for _, n, v, _ in
                                                                              OFF_DOMAIN])
def test_off_domain_is_refused(kernel: str, name: str, values: dict, message: str) -> None:
    with pytest.raises(NotApplicable, match=re.escape(message)) as e:
        T.apply(baseline(kernel), name, values)
    assert name in str(e.value) and "\n" not in str(e.value)


def test_steps_walk_the_domain() -> None:
    t = T.get("mm_base_block")
    assert t.param("BASE_K").step(64, +1) == 128 and t.param("BASE_K").step(64, -1) == 32
    assert t.param("BASE_M").step(256, +1) is None
    assert T.get("mm_pingpong").param("l1").step(1, +1) == 2
    assert T.get("mm_core_split").param("cores").step(64, -1) == 24


# ---------------------------------------------------------------- on the twin

# One rewritten kernel per baseline, moving every knob it has (several K slices, tails, a core grid smaller than
# the tiles, M-first order) so each transformation's output is compiled and verified.
REWRITES = {
    "matmul_fp16": [("mm_pingpong", {"l1": 2, "l0": 2, "co1": 2}), ("mm_base_block", {"BASE_M": 32, "BASE_N": 64,
                                                                                      "BASE_K": 32}),
                    ("mm_core_split", {"cores": 4, "order": "m_first"})],
    "batched_matmul_fp16": [("mm_pingpong", {"l1": 2, "l0": 2, "co1": 2}),
                            ("mm_base_block", {"BASE_M": 32, "BASE_N": 32, "BASE_K": 16}),
                            ("mm_core_split", {"cores": 8, "order": "m_first"})],
    "matmul_bias_relu_fp16": [("mm_pingpong", {"l1": 2, "l0": 2, "co1": 2}),
                              ("mm_base_block", {"BASE_M": 32, "BASE_N": 64, "BASE_K": 32}),
                              ("mm_core_split", {"cores": 4, "order": "m_first"})],
    "attention_fp16": [("attn_chunk", {"chunk": 32}), ("attn_pingpong", {"in": 2, "out": 2})],
}


def rewritten(kernel: str) -> str:
    src = baseline(kernel)
    for name, values in REWRITES[kernel]:
        src = T.apply(src, name, values)
    return src


@pytest.fixture(scope="module")
def twin():
    from tasks.evaluate import twin_backend

    # Not tmp_path: pytest's base dir is private to this uid, and the sandbox runs kernels as nobody.
    root = Path(tempfile.mkdtemp(prefix="hawk-xform-cube-"))
    root.chmod(0o711)
    backend = twin_backend(work_root=root)
    yield backend
    backend.close()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def compiled(twin):
    """Each rewritten kernel compiled once (the matmul tasks share one baseline)."""
    from tasks.evaluate import Compiled

    cache: dict[str, Compiled] = {}

    def get(kernel: str, spec) -> Compiled:
        if kernel not in cache:
            cache[kernel] = Compiled(twin, rewritten(kernel), spec)
        return cache[kernel]

    return get


@pytest.mark.parametrize("task_name", CUBE_TASKS)
def test_cube_task_is_searchable_and_its_rewrite_passes(compiled, task_name: str) -> None:
    task = catalogue.get_task(task_name).reduced()
    kernel = task.baseline.parent.name
    assert T.applicable(task.baseline.read_text(encoding="utf-8")), f"{task_name}: no transformation applies"
    check = compiled(kernel, task.spec).check([3], spec=task.spec, profile=False)
    assert check.ok, f"{task_name} rewritten by {REWRITES[kernel]}: {check.status}: {check.message}"


def test_overflowing_base_block_is_reported_by_the_twin(twin) -> None:
    """The domain lets a blind search pick a 256 x 256 block; its float accumulator (256 KB) cannot fit L0C
    (128 KB) and the twin says so: that is the mistake knowledge is meant to prevent."""
    from tasks.evaluate import Compiled

    task = catalogue.get_task("matmul_fp16_1024").reduced()
    src = T.apply(baseline("matmul_fp16"), "mm_base_block", {"BASE_M": 256, "BASE_N": 256})
    check = Compiled(twin, src, task.spec).check([3], profile=False)
    assert not check.ok
    assert "CO1" in check.message or "L0C" in check.message, check.message


# --- the cube-buffer capacity check against the twin (knowledge/checks.py l0*_bytes_requested; here to share
# this module's twin) ----------------------------------------------------------------------------------------


def test_the_cube_buffer_check_agrees_with_the_twin_on_both_sides_of_l0c(twin) -> None:
    """A 128 x 256 fp32 accumulator fills L0C exactly: single-buffered it fits, ping-ponged it does not."""
    from knowledge.checks import CheckSet
    from knowledge.kernel_values import task_values
    from knowledge.seed import load_pack
    from npu_agent.hardware import load_profile
    from tasks.evaluate import Compiled

    hw = load_profile("ascend910b2")
    checks = CheckSet(load_pack(), hw)
    spec = catalogue.get_task("matmul_fp16_2048").with_dims(M=256, N=512, K=128).spec
    big = T.apply(baseline("matmul_fp16"), "mm_base_block", {"BASE_M": 128, "BASE_N": 256, "BASE_K": 64})
    for src, fits in ((big, True), (T.apply(big, "mm_pingpong", {"l1": 1, "l0": 1, "co1": 2}), False)):
        ran = Compiled(twin, src, spec).check([3], profile=False)
        assert ran.ok is fits, f"the twin says {ran.status}: {ran.message}"
        if not fits:
            assert "L0C_OUT_OF_BOUNDS" in ran.message, ran.message
        fired = [v for v in checks.run(src, task_values(src, spec, hw))
                 if v.entry_id == "seed-ascend910b2-cube-buffers-capacity"]
        assert bool(fired) is not fits, fired
        if fired:
            assert "L0C 262144 of 131072" in fired[0].message
