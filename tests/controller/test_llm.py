"""The LLM path end to end against a loopback OpenAI-compatible server: prompt, retries, parsing, accounting."""

from __future__ import annotations

import pytest

from controller.llm import LLMClient, LLMError
from controller.prompt import KnowledgeSnippet, ParseError, build_prompt, parse_source
from controller.spec import LLMSettings
from hawk.v1 import result_pb2, task_pb2
from tests.support.openai_server import FakeOpenAIServer

KERNEL = '#include "kernel_operator.h"\nextern "C" __global__ __aicore__ void add_custom(GM_ADDR x) {}\n'


def _spec() -> task_pb2.TaskSpec:
    return task_pb2.TaskSpec(
        name="add", category="elementwise", kernel_entry="add_custom", reference_entry="reference",
        reference_source="def reference(x, y):\n    return x + y\n",
        inputs=[task_pb2.TensorSpec(name="x", shape=[8, 8], dtype=task_pb2.FLOAT16)],
        outputs=[task_pb2.TensorSpec(name="z", shape=[8, 8], dtype=task_pb2.FLOAT16)])


def test_completion_retries_transient_errors_and_counts_tokens() -> None:
    calls = {"n": 0}

    def reply(req: dict) -> str | tuple[int, dict]:
        calls["n"] += 1
        if calls["n"] == 1:
            return 503, {"error": {"message": "overloaded"}}
        return f"Here it is:\n```cpp\n{KERNEL}```"

    with FakeOpenAIServer(reply) as srv:
        llm = LLMClient(LLMSettings(base_url=srv.base_url, model="m", max_retries=2,
                                    price_per_1k_prompt_usd=1.0, price_per_1k_completion_usd=2.0))
        out = llm.complete("sys", "user prompt words")
        assert out.attempts == 2 and parse_source(out.text, "add_custom") == KERNEL
        assert out.prompt_tokens == 4 and out.completion_tokens > 0
        assert out.cost_usd == pytest.approx(out.prompt_tokens / 1000 + 2 * out.completion_tokens / 1000)
        assert llm.usage.requests == 2 and llm.usage.failures == 1
        assert srv.requests[-1]["model"] == "m" and srv.requests[-1]["messages"][1]["content"] == "user prompt words"


def test_client_errors_are_not_retried_and_name_the_endpoint() -> None:
    with FakeOpenAIServer(lambda req: (400, {"error": {"message": "bad model"}})) as srv:
        llm = LLMClient(LLMSettings(base_url=srv.base_url, model="m", max_retries=3))
        with pytest.raises(LLMError, match="failed after 4 attempts") as err:
            llm.complete("s", "u")
        assert srv.base_url in str(err.value)
        assert len(srv.requests) == 1


def test_parse_source_picks_the_block_with_the_entry() -> None:
    answer = f"```cpp\nint helper();\n```\nfinal:\n```c++\n{KERNEL}```"
    assert parse_source(answer, "add_custom") == KERNEL
    with pytest.raises(ParseError, match="no ```cpp code block"):
        parse_source("I cannot do that", "add_custom")
    with pytest.raises(ParseError, match="'add_custom'"):
        parse_source("```cpp\nint main() {}\n```", "add_custom")


def test_prompt_carries_task_knowledge_and_line_pinned_feedback() -> None:
    parent = result_pb2.Result(status=result_pb2.HARDWARE_EXCEPTION, message="UB overflow")
    e = parent.hardware_exception
    e.code, e.kind, e.source_line, e.api, e.message = "507035", "UB_OUT_OF_BOUNDS", 2, "DataCopy", "ub out of bounds"
    text = build_prompt(_spec(), parent_source=KERNEL, parent_result=parent,
                        knowledge=[KnowledgeSnippet("k7", "UB capacity", "UB is 192 KB", "pipe.InitBuffer(q, 2, 8192);")])
    assert "def reference(x, y)" in text and "x: float16[8, 8]" in text
    assert "[k7] UB capacity" in text and "pipe.InitBuffer(q, 2, 8192);" in text
    assert "507035 (UB_OUT_OF_BOUNDS) at line 2 in DataCopy" in text
    assert '   2| extern "C"' in text
