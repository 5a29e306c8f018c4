"""The knowledge LLM client against a real OpenAI-compatible HTTP server on loopback."""

from __future__ import annotations

import pytest

from knowledge.llm import KnowledgeLLM, LLMConfig, LLMUnavailable, parse_json_object
from knowledge.model import Entry
from tests.support.openai_server import FakeOpenAIServer


def test_parse_json_object_accepts_fenced_or_bare_and_rejects_the_rest() -> None:
    assert parse_json_object('```json\n{"a": 1}\n```') == {"a": 1}
    assert parse_json_object('Answer: {"a": {"b": 2}} done') == {"a": {"b": 2}}
    with pytest.raises(LLMUnavailable, match="no JSON object"):
        parse_json_object("no idea")
    with pytest.raises(LLMUnavailable, match="does not parse"):
        parse_json_object("{'a': 1}")


def test_arbitration_answers_are_validated() -> None:
    a = Entry(id="a", title="t", rationale="r")
    b = Entry(id="b", title="t", rationale="r")
    answers = iter(['{"decision": "merge", "keep": "c", "reason": "x"}', '{"decision": "delete", "reason": "x"}',
                    '{"decision": "keep_both", "reason": "different pipes"}'])
    with FakeOpenAIServer(lambda req: next(answers)) as srv:
        llm = KnowledgeLLM(LLMConfig(base_url=srv.base_url, model="m"))
        with pytest.raises(LLMUnavailable, match="keeps 'c', which is neither a nor b"):
            llm.arbitrate_merge(a, b)
        with pytest.raises(LLMUnavailable, match="decision prune|keep"):
            llm.arbitrate_prune(a)
        decision, keep, rationale, reason, prompt, answer = llm.arbitrate_merge(a, b)
        assert (decision, keep, rationale, reason) == ("keep_both", "", "", "different pipes")
        assert "Entry A:\nid: a" in prompt and srv.requests[0]["temperature"] == 0.0


def test_config_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HAWK_KB_LLM_BASE_URL", raising=False)
    assert LLMConfig.from_env() is None
    monkeypatch.setenv("HAWK_KB_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("HAWK_KB_LLM_MODEL", "qwen")
    assert LLMConfig.from_env() == LLMConfig(base_url="http://127.0.0.1:9/v1", model="qwen")
    with pytest.raises(ValueError, match="needs base_url and model"):
        KnowledgeLLM(LLMConfig(base_url="", model="x"))
