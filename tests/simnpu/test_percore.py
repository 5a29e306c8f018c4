"""Kernels built as CANN's device compiler builds them (issue 12: public kernels run unchanged): compiled once per
core type when they need g_coreType as a constant (npu_agent/simnpu/percore.py), in-class explicit specializations
of member function templates (npu_agent/simnpu/memberspec.py), and constexpr constructors C++17 GCC refuses."""

from __future__ import annotations

import numpy as np
import pytest

from hawk.v1 import result_pb2 as S
from npu_agent.simnpu import percore
from npu_agent.simnpu.memberspec import fold_member_specializations

from .helpers import build, kernel_source, marked_line, run_task, task, tensor


def _ok(r) -> None:
    assert r.status == S.OK, f"{S.Status.Name(r.status)}: {r.message}\n{r.log_tail}"


def _variants(binary) -> set[str]:
    defined = set(percore.read_object(binary).defined)
    return {v for v in percore.VARIANTS if f"hawk_entry_launch_{v}" in defined}


def _matmul_inputs(rows: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"a": rng.uniform(-1, 1, (rows, 16)).astype(np.float16),
            "b": rng.uniform(-1, 1, (16, 16)).astype(np.float16)}


def _block_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.concatenate([blk.astype(np.float32) @ b.astype(np.float32) for blk in np.split(a, len(a) // 16)])


def test_catlass_style_mix_kernel_runs_per_core_type(twin) -> None:
    # Before: "the value of 'hawk::g' is not usable in a constant expression" and "explicit specialization in
    # non-namespace scope"; no kernel type declared, MIX 1:2 inferred from the two builds.
    rows = 48
    spec = task("catlass_mix", [tensor("a", [rows, 16]), tensor("b", [16, 16])], [tensor("z", [rows, 16], "float32")])
    ins = _matmul_inputs(rows, 5)
    source = kernel_source("catlass_mix.cpp")
    r, _ = run_task(twin, source, spec, inputs=ins)
    _ok(r)
    np.testing.assert_allclose(r.outputs["z"], np.maximum(_block_matmul(ins["a"], ins["b"]), 0) * 2, rtol=1e-6,
                               atol=1e-6)
    assert "1 AIC + 2 AIV" in r.message
    assert _variants(build(twin, source, "catlass_mix")) == {"aic", "aiv"}


def test_an_aic_only_kernel_type_is_inferred_and_its_aiv_half_not_linked(twin) -> None:
    rows = 32
    spec = task("catlass_aic_only", [tensor("a", [rows, 16]), tensor("b", [16, 16])],
                [tensor("z", [rows, 16], "float32")], block_dim=rows // 16)
    ins = _matmul_inputs(rows, 6)
    source = kernel_source("catlass_aic_only.cpp")
    r, _ = run_task(twin, source, spec, inputs=ins)
    _ok(r)
    np.testing.assert_allclose(r.outputs["z"], _block_matmul(ins["a"], ins["b"]), rtol=1e-6, atol=1e-6)
    assert "on AIC cores" in r.message
    assert _variants(build(twin, source, "catlass_aic_only")) == {"aic"}


def test_a_constant_core_type_the_scan_misses_is_compiled_per_core_type_on_retry(twin) -> None:
    spec = task("coretype_enum", [tensor("x", [256], "float32")], [tensor("z", [256], "float32")])
    r, ins = run_task(twin, kernel_source("coretype_enum.cpp"), spec)
    _ok(r)
    np.testing.assert_array_equal(r.outputs["z"], ins["x"] * np.float32(2))
    assert _variants(build(twin, kernel_source("coretype_enum.cpp"), "coretype_enum")) == {"aiv"}


@pytest.mark.parametrize("kernel,entry", [("mix_matmul_post.cpp", "mix_matmul_post"), ("mix_ids.cpp", "mix_ids")])
def test_kernels_with_a_runtime_core_type_compile_once(twin, kernel: str, entry: str) -> None:
    assert _variants(build(twin, kernel_source(kernel), entry)) == set()


def test_a_constexpr_constructor_c17_gcc_refuses_compiles_as_cxx20(twin) -> None:
    spec = task("constexpr_ctor", [tensor("x", [256], "float32")], [tensor("z", [256], "float32")])
    r, ins = run_task(twin, kernel_source("constexpr_ctor.cpp"), spec)
    _ok(r)
    np.testing.assert_array_equal(r.outputs["z"], ins["x"] * np.float32(3))


def test_an_error_inside_a_folded_specialization_keeps_its_line(twin) -> None:
    source = kernel_source("catlass_mix.cpp").replace("Relu(t, t, ROWS * F);", "Relu(t, t, ROWS * F, undeclared_x);"
                                                      "  // BROKEN")
    c = twin.compile(source, "catlass_mix")
    assert c.status == S.COMPILE_ERROR
    errors = [d for d in c.diagnostics if d.severity == "error"]
    assert errors and errors[0].line == marked_line(source, "// BROKEN"), errors
    assert "undeclared_x" in errors[0].message


# ------------------------------------------------------------------------------- the source rewrite alone
_CLASS = """\
template <class T>
struct K {
    struct P { int x; };
    template <int C = 1>
    void operator()(P const &p);  // primary

    template <>
    void operator()<1>(P const &p) { use(p, 1); }
    template <>
    void operator()<2>(P const &p)
    {
        use(p, 2);
    }
    template <typename U, int N> static int Get(const U&, int k = 3) { return -1; }
    template <> static int Get<float, 2>(const float& v, int k) { return k; }
};
template <>
struct K<int> {};
"""


def test_fold_keeps_every_line_and_leaves_namespace_scope_specializations() -> None:
    out = fold_member_specializations(_CLASS)
    assert out.count("\n") == _CLASS.count("\n")
    lines = out.splitlines()
    assert "hawk_primary_0(P const &p);" in lines[4] and "void operator()(P const &p)" in lines[4]
    assert "if constexpr ((C) == (1)) { return hawk_spec_0_0(" in lines[4]
    assert lines[6].strip() == "" and "void hawk_spec_0_0(P const &p) { use(p, 1); }" in lines[7]
    assert "void hawk_spec_0_1(P const &p)" in lines[9] and lines[11].strip() == "use(p, 2);"
    assert "::std::is_same<U, float>::value && (N) == (2)" in lines[13]
    assert "static int hawk_spec_1_0(const float& v, int k)" in lines[14]
    assert lines[16:] == ["template <>", "struct K<int> {};"]  # namespace scope: GCC accepts it as it is


def test_fold_leaves_text_without_in_class_specializations_alone() -> None:
    text = "template <class T> struct A { template <int N> void f(); };\ntemplate <> struct A<int> {};\n"
    assert fold_member_specializations(text) == text


# ------------------------------------------------------------------------------- the kernel-type choice
def _obj(calls: list[str] = (), defined: list[str] = (), sections: list[str] = ()) -> percore.ObjectInfo:
    return percore.ObjectInfo(defined=list(defined), undefined={f"_ZN4hawk{len(c)}{c}Ev" for c in calls},
                              sections=set(sections))


@pytest.mark.parametrize("aic,aiv,link,inferred", [
    (_obj(["mmad"]), _obj(["vec"]), ["aic", "aiv"], percore.MIX_AIC_1_2),
    (_obj(["mmad", "fixpipe"]), _obj(["set_flag"]), ["aic"], percore.AIC_ONLY),
    (_obj(["mmad", "cross_set"]), _obj([]), ["aic"], percore.MIX_AIC_1_0),
    (_obj([]), _obj(["copy", "vec"]), ["aiv"], None),
    (_obj(["mmad"]), _obj(["copy"]), ["aic", "aiv"], percore.MIX_AIC_1_2),  # the AIV only moves data
    # code of one core compiled in unguarded: its copies are that core's
    (_obj(["copy", "vec"]), _obj(["copy", "vec"]), ["aiv"], None),
    (_obj(["copy", "mmad"]), _obj(["copy", "mmad"]), ["aic"], percore.AIC_ONLY),
    (_obj([]), _obj([]), ["aiv"], None),
    # a declared type decides what is linked, whatever the code holds
    (_obj(["mmad"], ["_ZN4hawk13KernelTypeRegILi0ELxn1ELj9ELy7EE4doneE"]), _obj(["vec"]), ["aiv"], None),
    (_obj([], sections=["hawk_mix_1_2_text"]), _obj([]), ["aic", "aiv"], None),
    (_obj(["mmad"], ["hawk_matmul_client_kernel"]), _obj([], ["hawk_matmul_client_kernel"]), ["aic", "aiv"], None),
])
def test_the_kernel_type_decides_which_builds_are_linked(aic, aiv, link, inferred) -> None:
    d = percore.decide({"aic": aic, "aiv": aiv})
    assert (d.link, d.inferred_type) == (link, inferred), d.why
