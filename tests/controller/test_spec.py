"""Campaign spec parsing: valid specs load, every invalid key is named in the error."""

from __future__ import annotations

import pytest

from controller.spec import SpecError, parse_spec

GOOD = """
name = "demo"
tasks = ["add_fp16_small", "category:softmax"]
team = "kernels"
priority = 2
[budget]
rounds = 3
candidates_per_round = 2
wall_time_s = 60
[proposers]
offline = 1
[agents]
addresses = ["127.0.0.1:5001"]
"""


def test_good_spec_loads() -> None:
    spec = parse_spec(GOOD)
    assert spec.name == "demo" and spec.tasks == ("add_fp16_small", "category:softmax")
    assert spec.budget.rounds == 3 and spec.budget.wall_time_s == 60.0
    assert spec.agents.addresses == ("127.0.0.1:5001",) and spec.priority == 2
    assert spec.proposers == {"offline": 1.0} and not spec.llm.configured


@pytest.mark.parametrize("patch, needle", [
    (("rounds = 3", "rounds = 0"), "[budget].rounds must be at least 1"),
    (("rounds = 3", "roundz = 3"), "unknown keys ['roundz']"),
    (("offline = 1", "llm = 1"), "proposers.llm > 0 needs [llm].base_url"),
    (("offline = 1", "genetic = 1"), "unknown proposers ['genetic']"),
    (('"127.0.0.1:5001"', '"localhost"'), "'localhost' is not host:port"),
    (('tasks = ["add_fp16_small", "category:softmax"]', "tasks = []"), "tasks must be a non-empty list"),
    (("priority = 2", 'priority = "high"'), "priority must be int"),
    (("[budget]", "[budget]\nrounds = 3\n"), "Cannot overwrite a value"),
])
def test_bad_spec_names_the_key(patch: tuple[str, str], needle: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_spec(GOOD.replace(*patch))
    assert needle in str(err.value)


def test_documented_example_spec_is_valid() -> None:
    from pathlib import Path

    from controller.spec import load_spec

    spec = load_spec(Path(__file__).resolve().parents[2] / "docs" / "campaign-example.toml")
    assert spec.name == "softmax-sweep" and spec.agents.local == 2 and spec.knowledge.k == 5
