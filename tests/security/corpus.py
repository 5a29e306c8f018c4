"""The hostile corpus (tests/security/hostile/*.cpp): parsing the header of each case and turning a case into a
candidate source for the fp16 add task.

Every case is a small Ascend C candidate: hostile code at file scope, a ``HOSTILE_ENTRY()`` macro that the
add_custom example kernel calls first, and the line ``//@ADD_KERNEL@`` where that kernel goes. ``@NAME@``
placeholders (paths of canaries, the token file, the agent's pid, ports of host listeners) are filled in
from the running test's environment, so the corpus attacks the real things the test watches.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from hawk.v1 import result_pb2, task_pb2

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "hostile"
EXAMPLE = HERE.parents[1] / "examples" / "kernels" / "add_custom.cpp"
N = 2048  # fp16 elements: the example's 8 blocks x 8 tiles x 2 buffers of 16 elements
CLASSES = ("symbol_override", "init_section", "exec", "fork", "write_outside", "socket", "cross_tenant",
           "starvation", "compiler_bomb", "profile_forgery", "secret", "signal", "proc", "ptrace", "privilege")


@dataclass(frozen=True)
class Case:
    name: str
    cls: str
    tries: str
    expect: frozenset[int]   # acceptable statuses; INTERNAL never is (a candidate's doing is its own fault)
    text: str

    @property
    def compile_time_only(self) -> bool:
        """Cases whose attack is the compile itself (bombs, includes of secrets): no run is expected."""
        return self.cls == "compiler_bomb" or self.name.startswith("include_")


def skipped_cases() -> set[str]:
    """Cases not to run here (HAWK_SUITE_SKIP_CASES, comma-separated): on a machine shared with other people's
    sandboxes under the same uid, kill(-1) or a fork bomb on a branch without per-slot uids hurts them. CI runs
    every case."""
    return {n.strip() for n in os.environ.get("HAWK_SUITE_SKIP_CASES", "").split(",") if n.strip()}


def load_corpus() -> list[Case]:
    cases = []
    for f in sorted(CORPUS.glob("*.cpp")):
        text = f.read_text()
        head = dict(re.findall(r"^// (name|class|tries|expect): (.*)$", text, re.M))
        expect = frozenset(result_pb2.Status.Value(s) for s in head["expect"].split())
        assert head["name"] == f.stem and head["class"] in CLASSES, f
        assert result_pb2.INTERNAL not in expect, f"{f}: INTERNAL is never a candidate's outcome"
        cases.append(Case(head["name"], head["class"], head["tries"], expect, text))
    return cases


def kernel_text() -> str:
    """The honest fp16 add kernel, its entry calling HOSTILE_ENTRY() (a no-op unless the case defines it)."""
    src = EXAMPLE.read_text()
    entry = re.search(r'extern "C" __global__ __aicore__ void add_custom\([^)]*\)\s*\{', src)
    assert entry, "the example kernel's entry point moved"
    return ("#ifndef HOSTILE_ENTRY\n#define HOSTILE_ENTRY() (void)0\n#endif\n" + src[:entry.start()] + src[entry.start():entry.end()]
            + "\n    HOSTILE_ENTRY();\n" + src[entry.end():])


def render(case: Case, values: dict[str, str]) -> str:
    """The candidate source of a case, every @NAME@ placeholder filled in."""
    text = re.sub(r"^//@ADD_KERNEL@$", lambda _: kernel_text(), case.text, count=1, flags=re.M)
    values = {"N": str(N), **values}

    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in values:
            raise KeyError(f"{case.name}: no value for placeholder @{key}@")
        return values[key]

    return re.sub(r"@([A-Z][A-Z0-9_]*)@", sub, text)


def honest_source(tag: str) -> str:
    """A correct candidate; `tag` (a comment) makes its source, and so its cache key, unique."""
    return f"// tenant source {tag}\n" + EXAMPLE.read_text()


def fp16_add_task(name: str = "add_fp16_security") -> task_pb2.TaskSpec:
    """z = x + y in fp16; `work` gives the agent (and the suite) the task's hardware floor."""
    return task_pb2.TaskSpec(
        name=name, category="elementwise", kernel_entry="add_custom", verify_sets=2,
        inputs=[task_pb2.TensorSpec(name="x", shape=[N], dtype=task_pb2.FLOAT16),
                task_pb2.TensorSpec(name="y", shape=[N], dtype=task_pb2.FLOAT16)],
        outputs=[task_pb2.TensorSpec(name="z", shape=[N], dtype=task_pb2.FLOAT16)],
        reference_source="def reference(x, y):\n    return (x + y).astype(np.float16)\n",
        reference_entry="reference",
        work=task_pb2.Work(vector_element_ops=N, vector_dtype=task_pb2.FLOAT16))
