"""What a CANN build provides, round 2 (docs/kernel-contract.md sections 9 and 10): the host glue CANN's own
operators use (IMPL_OP_INFERSHAPE, TilingParse with its compile info, the graph status codes, gert::Shape
comparison and brace assignment, tiling/tiling_base.h and the tiling-template registry) and the kernel-side names
of a bisheng build (block_idx, get_block_num(), the kernel_utils constants, AscendCUtils, vcadd, likely,
QuantMode_t, the `[aicore]` attribute). Each test failed to compile before the glue existed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hawk.v1 import result_pb2
from npu_agent import taskspec
from npu_agent.candidate import Candidate
from npu_agent.simnpu.shapes import blank_bisheng_attributes
from npu_agent.taskspec import load_task_file

PROJECTS = Path(__file__).resolve().parent / "projects"
ROW_SUM = PROJECTS / "row_sum"


@pytest.fixture(scope="module")
def spec():
    return next(d.spec for d in load_task_file(PROJECTS / "projects.toml") if d.name == "glue_row_sum")


def _run(twin, cand: Candidate, spec):
    built = twin.compile(cand, spec.kernel_entry, task=spec)
    assert built.ok, f"{built.message}\n{built.log_tail}"
    inputs = taskspec.generate_inputs(spec, 5)
    return twin.run(built.binary, spec, inputs), inputs


def test_cann_style_op_project_with_tiling_parse_templates_and_infershape_registration(twin, spec) -> None:
    r, inputs = _run(twin, Candidate.from_path(ROW_SUM), spec)
    assert r.status == result_pb2.OK, f"{r.message}\n{r.log_tail}"
    assert "4 block(s)" in r.message  # the block dim the template computed from the TilingParse compile info
    np.testing.assert_allclose(r.outputs["y"], inputs["x"].sum(axis=1), rtol=1e-5, atol=1e-5)


def _project(**replace: tuple[str, str]) -> Candidate:
    files = dict(Candidate.from_path(ROW_SUM).files)
    for path, (old, new) in replace.items():
        path = path.replace("__", "/").replace("_cpp", ".cpp")
        assert old in files[path], old
        files[path] = files[path].replace(old, new)
    return Candidate.from_files(files)


def test_impl_op_infershape_functions_are_run_by_the_opdef_check(twin, spec) -> None:
    cand = _project(op_host__row_sum_proto_cpp=("*y = {x->GetDim(0)};", "*y = {x->GetDim(0), 1};"))
    built = twin.compile(cand, spec.kernel_entry, task=spec)
    assert built.ok, built.message
    r = twin.run(built.binary, spec, taskspec.generate_inputs(spec, 5))
    assert any("InferShape function gives output 'y' the shape [32, 1]" in w for w in r.warnings), r.warnings


def test_a_failing_tiling_parse_function_ends_the_run(twin, spec) -> None:
    cand = _project(op_host__row_sum_cpp=("    return ge::GRAPH_SUCCESS;\n}\n\nIMPL_OP_OPTILING",
                                          "    return ge::GRAPH_PARAM_INVALID;\n}\n\nIMPL_OP_OPTILING"))
    built = twin.compile(cand, spec.kernel_entry, task=spec)
    assert built.ok, built.message
    r = twin.run(built.binary, spec, taskspec.generate_inputs(spec, 5))
    assert r.status == result_pb2.RUNTIME_ERROR, r.message
    assert "TilingParse function returned 50331649" in r.message


def test_no_applicable_tiling_template_fails_the_tiling(twin, spec) -> None:
    cand = _project(op_host__row_sum_cpp=("bool IsCapable() override { return true; }",
                                          "bool IsCapable() override { return false; }"))
    built = twin.compile(cand, spec.kernel_entry, task=spec)
    assert built.ok, built.message
    r = twin.run(built.binary, spec, taskspec.generate_inputs(spec, 5))
    assert r.status == result_pb2.RUNTIME_ERROR, r.message
    assert "tiling function returned 4294967295" in r.message  # DoTilingImpl: GRAPH_FAILED, no template applies


def test_aicore_attribute_is_blanked_keeping_columns_but_not_subscripts_or_comments() -> None:
    text = ("__forceinline__ [aicore]\nvoid f();\n  __forceinline__ [aicore] constexpr int g() { return a[aicore]; }\n"
            "[aicore] inline void h();\nint y = b[ aicore ];\n// __forceinline__ [aicore] stays\n")
    out = blank_bisheng_attributes(text)
    assert len(out) == len(text) and out.count("\n") == text.count("\n")
    assert out.splitlines()[0] == "__forceinline__         "
    assert "constexpr int g() { return a[aicore]; }" in out
    assert out.splitlines()[3].startswith("         inline void h();")
    assert "b[ aicore ]" in out and "// __forceinline__ [aicore] stays" in out
