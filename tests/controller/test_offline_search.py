"""The offline proposer's transformation search: blind when knowledge is off, led by the entries retrieved
for the parent's bottleneck when it is on, one named step per child, nothing proposed twice; and every
campaign with the offline proposer refuses, at start, a task it could not search.

The transformations here are registered by this test (over three `constexpr` knobs of a null-backend
kernel whose `hawk-null` directive follows the knobs), so the search is tested apart from the vector and
cube families; a real SQLite knowledge base and real null-backend agents do the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from controller.proposers import OfflineProposer, ProposalContext, ProposerError
from controller.search import EXPLORE_SHARE, offline_search_kind, template_key
from controller.store import ResultsStore
from hawk.v1 import result_pb2
from knowledge import transforms
from knowledge.transforms import NotApplicable, Param, Transform
from npu_agent.pipeline import source_hash
from npu_agent.taskspec import TaskDef, TaskError, load_task_file

# --------------------------------------------------------------------------- test transformations
KNOBS = {  # transformation -> (constant, parameter, domain, pipes)
    "test_depth": ("TEST_DEPTH", "depth", (1, 2, 3, 4), ("MTE2", "MTE3")),
    "test_tile": ("TEST_TILE", "tile", (1024, 2048, 4096, 8192, 16384, 32768), ("MTE2",)),
    "test_cores": ("TEST_CORES", "cores", (1, 2, 4, 8, 16, 24), ("VECTOR",)),
}
UB_LIMIT = 65536  # depth * tile above this "overflows UB": the null kernel fails its run


def _knob(source: str, const: str) -> int | None:
    m = re.search(rf"constexpr uint32_t {const} = (\d+);", source)
    return int(m.group(1)) if m else None


def _directive(source: str) -> str:
    """The null backend's run time follows the knobs: deeper queues, bigger tiles, more cores are faster."""
    depth, tile, cores = (_knob(source, KNOBS[n][0]) for n in ("test_depth", "test_tile", "test_cores"))
    if depth * tile > UB_LIMIT:
        return "// hawk-null: run_s=0.001 fail=run"
    run_s = 0.002 + 0.024 / min(depth, 2) * (4096 / tile) ** 0.3 * (8 / cores) ** 0.5 / 4
    return f"// hawk-null: run_s={run_s:.5f}"


def _make(name: str) -> Transform:
    const, pname, domain, pipes = KNOBS[name]

    def current(source: str) -> dict | None:
        v = _knob(source, const)
        return None if v is None else {pname: v}

    def apply(source: str, values: dict) -> str:
        out = re.sub(rf"constexpr uint32_t {const} = \d+;", f"constexpr uint32_t {const} = {values[pname]};", source)
        return re.sub(r"// hawk-null:.*", _directive(out), out)

    return Transform(name=name, family="vector", summary=f"set {const}", pipes=pipes,
                     params=(Param(pname, domain),), _current=current, _apply=apply)


for _name in KNOBS:
    try:
        transforms.get(_name)
    except NotApplicable:
        transforms.register(_make(_name))

BASELINE = """// k(
#include "kernel_operator.h"
constexpr uint32_t TEST_DEPTH = 1;
constexpr uint32_t TEST_TILE = 4096;
constexpr uint32_t TEST_CORES = 8;
// hawk-null: run_s=0
"""
BASELINE = re.sub(r"// hawk-null:.*", _directive(BASELINE), BASELINE)

TASKS = """
[[task]]
name = "{name}"
category = "test"
kernel_entry = "k"
baseline = "{baseline}"
reference = '''
def reference(x):
    return x
'''
inputs = [{{name = "x", shape = [4], dtype = "float32"}}]
outputs = [{{name = "y", shape = [4], dtype = "float32"}}]
"""


def _task_file(folder: Path, names: tuple[str, ...] = ("knobs",), plain: tuple[str, ...] = ()) -> Path:
    """Tasks over the transformable baseline (`names`) and over one no transformation recognises (`plain`)."""
    (folder / "knobs.cpp").write_text(BASELINE)
    (folder / "plain.cpp").write_text("// k(\n// a kernel without knobs\n// hawk-null: run_s=0.01\n")
    text = "".join(TASKS.format(name=n, baseline="knobs.cpp") for n in names)
    text += "".join(TASKS.format(name=n, baseline="plain.cpp") for n in plain)
    path = folder / "tasks.toml"
    path.write_text(text)
    return path


# --------------------------------------------------------------------------------------- helpers
def _result(time_us: float, pipe: int = result_pb2.MTE2) -> result_pb2.Result:
    r = result_pb2.Result(status=result_pb2.OK, hardware_profile="ascend910b2")
    r.profile.time_us = time_us
    r.profile.bottleneck.kind = result_pb2.Bottleneck.PIPE_BOUND
    r.profile.bottleneck.pipe = pipe
    r.profile.bottleneck.ratio = 0.9
    ct = r.profile.core_types.add(core_type=result_pb2.AIV, blocks=8)
    ct.pipes.add(pipe=pipe, ratio=0.9)
    return r


class Situation:
    """A results store holding one task's baseline (evaluated with the given bottleneck), as a campaign has it."""

    def __init__(self, tmp: Path, pipe: int = result_pb2.MTE2) -> None:
        self.task = load_task_file(_task_file(tmp))[0]
        self.store = ResultsStore(tmp / "r.sqlite")
        self.cid = self.store.create_campaign("t", "name='t'", "ascend910b2")
        bid = self.store.add_candidate(self.cid, self.task.name, self.task.hash, -1, BASELINE,
                                       source_hash(BASELINE), "baseline")
        self.store.record_evaluation(bid, _result(100.0, pipe))
        self.baseline = (self.store.candidate(bid), self.store.evaluation(bid))

    def ctx(self, seed: object, knowledge=None) -> ProposalContext:
        evals = {e.candidate_id: e for e in self.store.evaluations(self.cid)}
        history = [(c, evals.get(c.id)) for c in self.store.candidates(self.cid)]
        return ProposalContext(task=self.task, hardware="ascend910b2", round=0, history=history, best=None,
                               baseline=self.baseline, rng=random.Random(seed), knowledge=knowledge)

    def record(self, proposals) -> None:
        for p in proposals:
            assert self.store.add_candidate(self.cid, self.task.name, self.task.hash, 0, p.source, p.hash, p.proposer,
                                            parent_id=p.parent_id, knowledge_used=p.knowledge_used, params=p.params)


def _entry(eid: str, transform: str, values: dict, bottleneck: str, pipe: str, state: str = "active") -> dict:
    return {"id": eid, "title": f"{transform} {values} when {bottleneck}", "state": state,
            "rationale": f"On a {bottleneck} kernel, {transform} {values} shortens the {pipe} pipe's busy time.",
            "kind": "optimization", "origin": "manual", "hardware": "ascend910b2",
            "trigger": {"error_class": f"SLOW:{bottleneck}", "bottleneck": bottleneck},
            "features": {"bottleneck": bottleneck, "pipes": {pipe: 0.9}},
            "transform": {"name": transform, "values": values}}


@pytest.fixture()
def kb(tmp_path: Path):
    from controller.knowledge_client import CampaignKnowledge
    from knowledge.base import KnowledgeBase

    base = KnowledgeBase(tmp_path / "kb.sqlite", seed=False)
    base.add(_entry("t-mte2-depth", "test_depth", {"depth": "up"}, "PIPE_BOUND:MTE2", "MTE2"))
    base.add(_entry("t-vec-cores", "test_cores", {"cores": "up"}, "PIPE_BOUND:VECTOR", "VECTOR"))
    return base, CampaignKnowledge(base, "ascend910b2")


# ----------------------------------------------------------------------------------------- tests
def test_every_task_has_an_offline_search_kind(tmp_path: Path) -> None:
    from tests.support.null_task import write_null_task

    (tmp_path / "n").mkdir()
    templated = load_task_file(write_null_task(tmp_path / "n"))
    tasks = load_task_file(_task_file(tmp_path, plain=("plain",)))
    kinds = {t.name: offline_search_kind(t) for t in [*templated, *tasks]}
    assert kinds == {"nullsearch": "template", "knobs": "transform", "plain": ""}


def test_a_campaign_with_the_offline_proposer_refuses_an_unsearchable_task_at_start(tmp_path: Path) -> None:
    from controller.campaign import CampaignRunner
    from controller.spec import parse_spec

    store = ResultsStore(tmp_path / "r.sqlite")
    tasks = load_task_file(_task_file(tmp_path, plain=("plain",)))
    spec = parse_spec('name = "t"\ntasks = ["knobs", "plain"]\n[agents]\naddresses = ["127.0.0.1:1"]\n')
    with pytest.raises(TaskError, match=r"task plain: .*no kernel template.*no transformation.*plain\.cpp"):
        CampaignRunner(spec, store, evaluator=None, tasks=tasks, proposers={"offline": OfflineProposer()})
    assert store.campaigns() == [], "nothing may be created or evaluated before the refusal"
    # Without the offline proposer the same task is fine (an LLM needs no search space).
    llm_only = parse_spec('name = "t"\ntasks = ["plain"]\n[proposers]\nllm = 1\n[llm]\nbase_url = "http://127.0.0.1:1"\n'
                          'model = "m"\n[agents]\naddresses = ["127.0.0.1:1"]\n')
    CampaignRunner(llm_only, store, evaluator=None, tasks=tasks[1:], proposers={"offline": OfflineProposer()})
    # The proposer itself says the same if it is ever handed such a task.
    with pytest.raises(ProposerError, match="task plain"):
        OfflineProposer().propose(ProposalContext(task=tasks[1], hardware="ascend910b2", round=0, history=[],
                                                  best=None, baseline=None, rng=random.Random(0)), 1)


def test_hawk_campaign_run_names_the_unsearchable_task_before_starting(tmp_path: Path) -> None:
    import subprocess
    import sys

    _task_file(tmp_path, names=(), plain=("plain",))
    (tmp_path / "spec.toml").write_text('name = "t"\ntasks = ["tasks.toml"]\n[agents]\nlocal = 1\n')
    run = subprocess.run([sys.executable, "-m", "controller.cli", "campaign", "run", "spec.toml", "--store",
                          str(tmp_path / "r.sqlite"), "--quiet"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2, run.stderr[-2000:]
    assert "task plain" in run.stderr and "extra.template" in run.stderr and "Traceback" not in run.stderr


def test_tasks_list_shows_the_search_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tasks.cli import add_tasks_commands

    path = _task_file(tmp_path, plain=("plain",))
    parser = argparse.ArgumentParser()
    add_tasks_commands(parser.add_subparsers(dest="cmd"))
    for extra in ([], ["--json"]):
        args = parser.parse_args(["tasks", "list", "--task-file", str(path), *extra])
        assert args.handler(args) == 0
        out = capsys.readouterr().out
        if extra:
            assert {r["name"]: r["search"] for r in json.loads(out)} == {"knobs": "transform", "plain": ""}
        else:
            header, *rows = out.splitlines()
            assert "SEARCH" in header
            row = {line.split()[0]: line for line in rows if line.startswith(("knobs", "plain"))}
            assert "transform" in row["knobs"] and "transform" not in row["plain"] and " - " in row["plain"]


def test_knowledge_off_steps_are_one_blind_transformation_drawn_uniformly(tmp_path: Path) -> None:
    s = Situation(tmp_path)
    names: Counter[str] = Counter()
    values: dict[str, Counter] = {n: Counter() for n in KNOBS}
    for seed in range(600):
        out = OfflineProposer().propose(s.ctx(seed), 1)
        (p,) = out.proposals
        assert p.knowledge_used == [] and p.parent_id == s.baseline[0].id and "retrieved" not in p.params
        name = p.params["transform"]
        (param, value), = p.params["values"].items()
        assert p.params["from"] == {param: transforms.get(name).current(BASELINE)[param]} and "entry" not in p.params
        assert p.source == transforms.apply(BASELINE, name, p.params["values"])
        names[name] += 1
        values[name][value] += 1
    assert set(names) == set(KNOBS)
    for n, c in names.items():  # 200 expected each; uniform, whatever the size of the domain
        assert 150 <= c <= 250, names
        domain = KNOBS[n][2]
        assert set(values[n]) == set(domain) - {transforms.get(n).current(BASELINE)[KNOBS[n][1]]}, values[n]


def test_nothing_is_proposed_twice_until_the_neighbourhood_is_exhausted(tmp_path: Path) -> None:
    s = Situation(tmp_path)
    moves = sum(len(KNOBS[n][2]) - 1 for n in KNOBS)  # every other value of every knob, from the baseline
    seen: list[tuple] = []
    for round_ in range(20):
        out = OfflineProposer().propose(s.ctx(round_), 3)
        s.record(out.proposals)
        seen += [(p.parent_id, p.params["transform"], json.dumps(p.params["values"])) for p in out.proposals]
        if not out.proposals:
            break
    assert len(seen) == len(set(seen)) == moves
    assert not OfflineProposer().propose(s.ctx("again"), 3).proposals


def test_a_template_point_has_one_key_as_proposed_and_as_read_back_from_the_store() -> None:
    points = [{"A": 1, "B": "x"}, {"A": 1.0, "B": "x"}, {"A": True, "B": "x"}, {"A": None, "B": "x"},
              {"A": [1, 2], "B": "x"}, {"B": "x", "A": 1}]
    for p in points:
        assert template_key(p) == template_key(json.loads(json.dumps(p)))
    # 1, 1.0 and True are three points (the template renders them differently); key order does not matter
    assert len({template_key(p) for p in points}) == len(points) - 1


@pytest.mark.parametrize("pipe,entry,knob", [(result_pb2.MTE2, "t-mte2-depth", "depth"),
                                               (result_pb2.VECTOR, "t-vec-cores", "cores")])
def test_knowledge_on_steps_follow_the_entry_for_the_parents_bottleneck(tmp_path: Path, kb, pipe, entry,
                                                                         knob) -> None:
    base, ck = kb
    s = Situation(tmp_path, pipe)
    used: Counter[str] = Counter()
    composed = 0
    for seed in range(120):
        out = OfflineProposer().propose(s.ctx(seed, knowledge=ck), 1)
        (p,) = out.proposals
        assert entry in p.params["retrieved"]
        if p.knowledge_used:
            # The entry on the parent's bottleneck pipe leads: alone, or first of the entries applied together.
            steps = p.params.get("steps") or [{"name": p.params["transform"], "values": p.params["values"],
                                               "from": p.params["from"], "entry": p.params["entry"]}]
            assert p.knowledge_used == [st["entry"] for st in steps], "exactly the entries that made the step"
            assert p.params["entry"] == steps[0]["entry"]
            composed += len(steps) > 1
            used[p.knowledge_used[0]] += 1
            for st in steps:  # "up": one step along the domain from the parent's present value
                k = KNOBS[st["name"]][1]
                cur = transforms.get(st["name"]).current(BASELINE)[k]
                domain = KNOBS[st["name"]][2]
                assert st["values"] == {k: domain[domain.index(cur) + 1]} and st["from"] == {k: cur}
        else:
            assert "entry" not in p.params
    # Most steps apply the entry on the parent's bottleneck pipe (both promising entries together, the best
    # first); about EXPLORE_SHARE of them stay blind (exploration).
    assert set(used) == {entry}
    assert composed == used[entry]
    assert (0.85 - EXPLORE_SHARE) * 120 <= used[entry] <= (1 - EXPLORE_SHARE / 3) * 120, used


def test_knowledge_on_fills_a_round_with_entries_first_then_blind_steps_and_prunes_by_checks(tmp_path: Path,
                                                                                             kb) -> None:
    base, ck = kb
    # A check that refuses deep queues: its steps are pruned before dispatch, never proposed.
    base.add({"id": "t-depth-limit", "title": "at most 2 queue buffers here", "rationale": "test constraint",
              "kind": "constraint", "hardware": "ascend910b2", "origin": "manual",
              "check": {"when": "defined(\"TEST_DEPTH\") and TEST_DEPTH > 2", "message": "depth {TEST_DEPTH} > 2"}})
    s = Situation(tmp_path, result_pb2.MTE2)
    out = OfflineProposer().propose(s.ctx(3, knowledge=ck), 8)
    assert len(out.proposals) == 8
    assert {e for p in out.proposals for e in p.knowledge_used} == {"t-mte2-depth", "t-vec-cores"}
    assert all(p.params["values"].get("depth", 0) <= 2 for p in out.proposals)
    assert all(json.dumps(v).count("depth") for v, _ in out.pruned) and \
        all(vs[0][0] == "t-depth-limit" for _, vs in out.pruned)
    assert len({p.hash for p in out.proposals}) == 8


def test_knowledge_on_composes_the_promising_entries_leaving_out_a_part_a_check_refuses(tmp_path: Path, kb) -> None:
    """An expert applies the known-good changes together: one candidate made of every promising entry's step
    (one per transformation, in the order they rank), each part kept only if the checks pass on its result."""
    base, ck = kb
    base.add(_entry("t-mte2-tile", "test_tile", {"tile": "double"}, "PIPE_BOUND:MTE2", "MTE2"))
    base.add({"id": "t-tile-limit", "title": "tiles of 4096 at most here", "rationale": "test constraint",
              "kind": "constraint", "hardware": "ascend910b2", "origin": "manual",
              "check": {"when": "defined(\"TEST_TILE\") and TEST_TILE > 4096", "message": "tile {TEST_TILE}"}})
    s = Situation(tmp_path, result_pb2.MTE2)
    seen = 0
    for seed in range(40):
        for p in OfflineProposer().propose(s.ctx(seed, knowledge=ck), 2).proposals:
            if p.params.get("transform") != "compose":
                continue
            seen += 1
            steps = p.params["steps"]
            assert p.knowledge_used == p.params["entries"] == [st["entry"] for st in steps]
            assert set(p.knowledge_used) == {"t-mte2-depth", "t-vec-cores"}, "the tile step breaks the check"
            assert steps[0]["entry"] == "t-mte2-depth", "the entry on the parent's bottleneck pipe first"
            src = BASELINE
            for st in steps:  # the parts applied in order give the candidate
                src = transforms.apply(src, st["name"], st["values"])
            assert src == p.source and _knob(src, "TEST_DEPTH") == 2 and _knob(src, "TEST_CORES") == 16
            assert p.params["values"] == {"test_depth.depth": 2, "test_cores.cores": 16}
    assert seen >= 20


def test_a_composed_steps_effect_is_credited_to_each_entry_it_applied_as_shared(tmp_path: Path, kb) -> None:
    base, ck = kb
    s = Situation(tmp_path, result_pb2.MTE2)
    (p,) = [p for p in OfflineProposer().propose(s.ctx(0, knowledge=ck), 1).proposals]
    assert p.params["transform"] == "compose" and len(p.knowledge_used) == 2
    s.record([p])
    cand = next(c for c in s.store.candidates(s.cid) if c.source_hash == p.hash)
    ck.observe(s.task, cand, _result(50.0), s.baseline)
    for eid in p.knowledge_used:
        (use,) = base.effects(eid)
        assert use["evaluation_id"] == cand.id and use["effect"] == pytest.approx(1.0)  # 100 -> 50 us
        assert use["evidence"]["counterfactual"] is False and "shared by the 2 entries" in use["evidence"]["credit"]


def test_an_entry_whose_record_hurts_is_not_composed(tmp_path: Path, kb) -> None:
    from knowledge.model import Outcome

    base, ck = kb
    base.add(_entry("t-mte2-tile", "test_tile", {"tile": "up"}, "PIPE_BOUND:MTE2", "MTE2"))
    for i in range(3):  # three uses that made their parents slower
        base.record_effect(["t-vec-cores"], Outcome(f"ev-{i}", True, True, 0.8, f"pev-{i}"))
    s = Situation(tmp_path, result_pb2.MTE2)
    composed = [p for seed in range(30) for p in OfflineProposer().propose(s.ctx(seed, knowledge=ck), 1).proposals
                if p.params.get("transform") == "compose"]
    assert composed and all(set(p.knowledge_used) == {"t-mte2-depth", "t-mte2-tile"} for p in composed)


def test_around_a_composed_kernel_its_parts_are_taken_back_one_at_a_time(tmp_path: Path, kb) -> None:
    """Refining a composed kernel: the entries' next steps and its parts taken back (the part off the kernel's
    bottleneck pipe first) in turn; a take-back that wins counts as a loss of its entry."""
    base, ck = kb
    s = Situation(tmp_path, result_pb2.MTE2)
    src = transforms.apply(transforms.apply(BASELINE, "test_depth", {"depth": 2}), "test_cores", {"cores": 16})
    steps = [{"name": "test_depth", "values": {"depth": 2}, "from": {"depth": 1}, "entry": "t-mte2-depth"},
             {"name": "test_cores", "values": {"cores": 16}, "from": {"cores": 8}, "entry": "t-vec-cores"}]
    comp = s.store.add_candidate(s.cid, s.task.name, s.task.hash, 0, src, source_hash(src), "offline",
                                 parent_id=s.baseline[0].id, knowledge_used=["t-mte2-depth", "t-vec-cores"],
                                 params={"transform": "compose", "values": {"test_depth.depth": 2,
                                                                            "test_cores.cores": 16},
                                         "from": {"test_depth.depth": 1, "test_cores.cores": 8},
                                         "entry": "t-mte2-depth", "entries": ["t-mte2-depth", "t-vec-cores"],
                                         "steps": steps})
    s.store.record_evaluation(comp, _result(60.0))  # the best, MTE2-bound
    pairs: Counter[tuple[str, str]] = Counter()
    for seed in range(40):
        props = OfflineProposer().propose(s.ctx(seed, knowledge=ck), 2).proposals
        steered = [p for p in props if p.parent_id == comp and (p.params.get("undo") or p.knowledge_used)]
        if len(steered) == 2:
            pairs[tuple("undo " + p.params["undo"] if p.params.get("undo") else "entry" for p in steered)] += 1
        for p in steered:
            assert p.params.get("transform") != "compose", "nothing composes again around a composed kernel"
            if p.params.get("undo"):
                assert p.knowledge_used == [] and p.params["values"] == {"cores": 8}
                assert p.source == transforms.apply(src, "test_cores", {"cores": 8})
    # In turn: an entry's next step, then the cores part (VECTOR, off the MTE2 bottleneck) taken back.
    assert pairs[("entry", "undo t-vec-cores")] >= 0.6 * 40 and set(pairs) <= {("entry", "undo t-vec-cores")}, pairs
    # Taking the cores part back made the kernel faster: the cores entry lost on this task (tried last now).
    back = transforms.apply(src, "test_cores", {"cores": 8})
    bid = s.store.add_candidate(s.cid, s.task.name, s.task.hash, 1, back, source_hash(back), "offline",
                                parent_id=comp, params={"transform": "test_cores", "values": {"cores": 8},
                                                        "from": {"cores": 16}, "undo": "t-vec-cores"})
    s.store.record_evaluation(bid, _result(50.0))
    from controller.search import HistoryIndex

    assert HistoryIndex().update(s.ctx(0).history).losing() == {"t-vec-cores": 1}


def test_entries_on_trial_are_proposed_now_and_then(tmp_path: Path, kb) -> None:
    base, ck = kb
    base.add(_entry("t-trial-tile", "test_tile", {"tile": "up"}, "PIPE_BOUND:MTE2", "MTE2", state="trial"))
    s = Situation(tmp_path, result_pb2.MTE2)
    used = Counter(e for seed in range(200) for p in OfflineProposer().propose(s.ctx(seed, knowledge=ck), 1).proposals
                   for e in p.knowledge_used)
    assert 0 < used["t-trial-tile"] < used["t-mte2-depth"], used


def test_a_failed_step_is_repaired_from_its_parent_with_a_smaller_value(tmp_path: Path) -> None:
    s = Situation(tmp_path)
    src = transforms.apply(BASELINE, "test_tile", {"tile": 32768})
    assert "fail=run" not in src  # 1 x 32768 fits; from a deeper parent the same jump overflows
    parent_src = transforms.apply(BASELINE, "test_depth", {"depth": 4})
    pid = s.store.add_candidate(s.cid, s.task.name, s.task.hash, 0, parent_src, source_hash(parent_src), "offline",
                                parent_id=s.baseline[0].id, params={"transform": "test_depth", "values": {"depth": 4},
                                                                    "from": {"depth": 1}})
    s.store.record_evaluation(pid, _result(50.0))
    bad_src = transforms.apply(parent_src, "test_tile", {"tile": 32768})
    assert "fail=run" in bad_src
    bad = s.store.add_candidate(s.cid, s.task.name, s.task.hash, 1, bad_src, source_hash(bad_src), "offline",
                                parent_id=pid, params={"transform": "test_tile", "values": {"tile": 32768},
                                                       "from": {"tile": 4096}})
    s.store.record_evaluation(bad, result_pb2.Result(status=result_pb2.RUNTIME_ERROR, message="ub overflow"))
    repairs = []
    for seed in range(60):
        for p in OfflineProposer().propose(s.ctx(seed), 1).proposals:
            if p.parent_id == pid and p.params["transform"] == "test_tile":
                repairs.append(p.params["values"]["tile"])
    # Between the parent's 4096 and the failed 32768, nearest the parent first: 8192.
    assert repairs and Counter(repairs).most_common(1)[0][0] == 8192, repairs


def test_campaign_with_knowledge_credits_effects_to_the_entries_that_made_each_step(tmp_path: Path, kb) -> None:
    """Two transform tasks on real null-backend agents, knowledge on: entry-made children credit their entry."""
    from controller.agent_rpc import AgentConnections
    from controller.campaign import CampaignRunner
    from controller.scheduler import Scheduler
    from controller.spec import parse_spec
    from npu_agent.server import Agent, AgentConfig

    base, ck = kb
    tasks = load_task_file(_task_file(tmp_path, names=("knobs", "knobs2")))
    store = ResultsStore(tmp_path / "r.sqlite")
    spec = parse_spec('name = "t"\ntasks = ["knobs", "knobs2"]\nseed = 5\n[budget]\nrounds = 3\n'
                      'candidates_per_round = 3\n[agents]\naddresses = ["127.0.0.1:1"]\n')
    with Agent(AgentConfig(backend="null", devices=2)) as agent:
        async def main() -> str:
            conns = AgentConnections()
            sched = Scheduler(conns.evaluate, conns.get_info)
            await sched.add_static_agent(agent.address)
            runner = CampaignRunner(spec, store, sched, tasks, {"offline": OfflineProposer()}, knowledge=ck,
                                    knowledge_sink=ck)
            cid = runner.create()
            await runner.run(cid)
            await conns.close()
            return cid

        cid = asyncio.run(main())
    cands = [c for c in store.candidates(cid) if c.proposer == "offline"]
    assert len(cands) == 18 and len({(c.task, c.source_hash) for c in cands}) == 18
    keys = [(c.parent_id, c.params["transform"], json.dumps(c.params["values"])) for c in cands]
    assert len(keys) == len(set(keys)), "a step was proposed twice from the same parent"
    by_id = {c.id: c for c in store.candidates(cid)}
    for c in cands:  # each child is its parent plus exactly the one named step
        assert c.source == transforms.apply(by_id[c.parent_id].source, c.params["transform"], c.params["values"])
    credited = [c for c in cands if c.knowledge_used]
    assert credited, "knowledge on, yet no step came from an entry"
    for c in credited:
        (eid,) = c.knowledge_used
        assert eid == c.params["entry"]
        assert any(e["evaluation_id"] == c.id for e in base.effects(eid)), f"no effect recorded for {c.id}"
    blind = {c.id for c in cands if not c.knowledge_used}
    for eid in ("t-mte2-depth", "t-vec-cores"):
        assert not {e["evaluation_id"] for e in base.effects(eid)} & blind, "a blind step was credited"
    assert store.campaign(cid)["state"] == "finished"


def test_parents_are_the_few_best_kernels_the_best_most_often(tmp_path: Path) -> None:
    s = Situation(tmp_path)
    ids = {}
    for depth, cores, time_us in ((2, 8, 50.0), (1, 16, 55.0), (1, 24, 60.0), (1, 1, 200.0)):
        src = transforms.apply(transforms.apply(BASELINE, "test_depth", {"depth": depth}), "test_cores",
                               {"cores": cores})
        cid = s.store.add_candidate(s.cid, s.task.name, s.task.hash, 0, src, source_hash(src), "offline",
                                    parent_id=s.baseline[0].id)
        s.store.record_evaluation(cid, _result(time_us))
        ids[time_us] = cid
    parents = Counter(p.parent_id for seed in range(300) for p in OfflineProposer().propose(s.ctx(seed), 1).proposals)
    assert set(parents) == {ids[50.0], ids[55.0], ids[60.0]}, "the slow kernel and the baseline are no parents"
    assert parents[ids[50.0]] > parents[ids[55.0]] > parents[ids[60.0]] > 0, parents


def _pending_step(s: Situation, parent: str, parent_src: str, name: str, knob: str, old: int, new: int,
                  entry: str) -> str:
    """An entry's step from `parent`, proposed and not evaluated yet (so it is tried: not proposed again)."""
    src = transforms.apply(parent_src, name, {knob: new})
    return s.store.add_candidate(s.cid, s.task.name, s.task.hash, 0, src, source_hash(src), "offline",
                                 parent_id=parent, knowledge_used=[entry],
                                 params={"transform": name, "values": {knob: new}, "from": {knob: old},
                                         "entry": entry})


def test_an_entry_that_only_lost_on_this_task_is_tried_after_the_others(tmp_path: Path, kb) -> None:
    base, ck = kb
    s = Situation(tmp_path, result_pb2.MTE2)
    src = transforms.apply(BASELINE, "test_depth", {"depth": 2})
    child = s.store.add_candidate(s.cid, s.task.name, s.task.hash, 0, src, source_hash(src), "offline",
                                  parent_id=s.baseline[0].id, knowledge_used=["t-mte2-depth"],
                                  params={"transform": "test_depth", "values": {"depth": 2}, "from": {"depth": 1},
                                          "entry": "t-mte2-depth"})
    s.store.record_evaluation(child, _result(120.0))  # slower than its parent (100 us), still MTE2-bound
    # The entries' steps refine the best kernel first: the baseline's other step is taken (not evaluated yet),
    # so what the entries propose next is from the child.
    _pending_step(s, s.baseline[0].id, BASELINE, "test_cores", "cores", 8, 16, "t-vec-cores")
    used: Counter[tuple[str, str]] = Counter()
    for seed in range(120):
        for p in OfflineProposer().propose(s.ctx(seed, knowledge=ck), 1).proposals:
            if p.knowledge_used:
                used[(p.parent_id, p.knowledge_used[0])] += 1
    # From the slower child, depth up would come first on the MTE2 pipe, but that entry has only lost here.
    assert used[(child, "t-vec-cores")] > 0 and used[(child, "t-mte2-depth")] == 0, used
    # Once the other entry's step from the child is taken, the one that lost is still tried (once lost only) ...
    taken = transforms.apply(src, "test_cores", {"cores": 16})
    s.store.add_candidate(s.cid, s.task.name, s.task.hash, 1, taken, source_hash(taken), "offline", parent_id=child,
                          knowledge_used=["t-vec-cores"], params={"transform": "test_cores", "values": {"cores": 16},
                                                                  "from": {"cores": 8}, "entry": "t-vec-cores"})

    def entries_from_child() -> set[str]:
        return {p.knowledge_used[0] for seed in range(80) for p in OfflineProposer().propose(
            s.ctx(seed, knowledge=ck), 1).proposals if p.parent_id == child and p.knowledge_used}

    assert entries_from_child() == {"t-mte2-depth"}
    # ... but after a second loss on this task (and no win) it is set aside: those proposals are blind instead.
    src2 = transforms.apply(BASELINE, "test_tile", {"tile": 8192})
    other = s.store.add_candidate(s.cid, s.task.name, s.task.hash, 0, src2, source_hash(src2), "offline",
                                  parent_id=s.baseline[0].id)
    s.store.record_evaluation(other, _result(110.0))
    _pending_step(s, other, src2, "test_cores", "cores", 8, 16, "t-vec-cores")  # its other entry step: taken
    src3 = transforms.apply(src2, "test_depth", {"depth": 2})
    lost = s.store.add_candidate(s.cid, s.task.name, s.task.hash, 1, src3, source_hash(src3), "offline",
                                 parent_id=other, knowledge_used=["t-mte2-depth"],
                                 params={"transform": "test_depth", "values": {"depth": 2}, "from": {"depth": 1},
                                         "entry": "t-mte2-depth"})
    s.store.record_evaluation(lost, result_pb2.Result(status=result_pb2.RUNTIME_ERROR, message="broke"))
    assert entries_from_child() == set()


def _template_task(tmp_path: Path, cores: str) -> TaskDef:
    """A template task over three knobs (depth, tile, cores) whose baseline is BASELINE."""
    (tmp_path / "tmpl.cpp").write_text("// k(\n#include \"kernel_operator.h\"\n"
                                       "constexpr uint32_t TEST_DEPTH = {{TEST_DEPTH}};\n"
                                       "constexpr uint32_t TEST_TILE = {{TEST_TILE}};\n"
                                       "constexpr uint32_t TEST_CORES = {{TEST_CORES}};\n")
    text = TASKS.format(name="tmpl", baseline="knobs.cpp") + (
        '[task.extra]\ntemplate = "tmpl.cpp"\n[task.extra.params]\nTEST_DEPTH = [1, 2, 3]\n'
        f'TEST_TILE = [2048, 4096]\nTEST_CORES = {cores}\n')
    (tmp_path / "knobs.cpp").write_text(BASELINE)
    (tmp_path / "t.toml").write_text(text)
    return load_task_file(tmp_path / "t.toml")[0]


def test_knowledge_on_steers_a_template_task_by_the_entries_steps_read_back_as_template_values(tmp_path: Path,
                                                                                                  kb) -> None:
    _, ck = kb
    task = _template_task(tmp_path, "[4, 8]")
    assert offline_search_kind(task) == "template"
    store = ResultsStore(tmp_path / "r.sqlite")
    cid = store.create_campaign("t", "name='t'", "ascend910b2")
    from controller.templates import template_for

    best_values = {"TEST_DEPTH": 1, "TEST_TILE": 4096, "TEST_CORES": 8}
    src = template_for(task).render(best_values)
    bid = store.add_candidate(cid, task.name, task.hash, 0, src, source_hash(src), "offline",
                              params={"values": best_values})
    store.record_evaluation(bid, _result(50.0, result_pb2.MTE2))
    best = (store.candidate(bid), store.evaluation(bid))
    steered = 0
    for seed in range(40):
        for knowledge in (ck, None):
            ctx = ProposalContext(task=task, hardware="ascend910b2", round=1, history=[best], best=best,
                                  baseline=None, rng=random.Random(seed), knowledge=knowledge)
            (p,) = OfflineProposer().propose(ctx, 1).proposals
            if knowledge is None:
                assert not p.knowledge_used and "entry" not in p.params
            elif p.knowledge_used:
                # The MTE2 entry's "depth up" on the best kernel is the template point with TEST_DEPTH 2.
                assert p.knowledge_used == ["t-mte2-depth"] and p.params["entry"] == "t-mte2-depth"
                assert p.params["values"] == {**best_values, "TEST_DEPTH": 2} and p.parent_id == bid
                steered += 1
    assert 0.6 * 40 <= steered <= 0.95 * 40, steered


def test_knowledge_on_steers_a_template_task_from_the_baselines_template_point_in_round_one(tmp_path: Path,
                                                                                            kb) -> None:
    """While the baseline is the best, the entries' steps start from the template point that the
    transformations read as the baseline (same knobs), so knowledge acts before any template point passed."""
    _, ck = kb
    task = _template_task(tmp_path, "[4, 8, 16]")
    store = ResultsStore(tmp_path / "r.sqlite")
    cid = store.create_campaign("t", "name='t'", "ascend910b2")
    bid = store.add_candidate(cid, task.name, task.hash, -1, BASELINE, source_hash(BASELINE), "baseline")
    store.record_evaluation(bid, _result(100.0, result_pb2.MTE2))
    base = (store.candidate(bid), store.evaluation(bid))
    steered = 0
    for seed in range(30):
        ctx = ProposalContext(task=task, hardware="ascend910b2", round=0, history=[base], best=base, baseline=base,
                              rng=random.Random(seed), knowledge=ck)
        for p in OfflineProposer().propose(ctx, 1).proposals:
            if p.knowledge_used:
                # Both entries' steps from the baseline's point (depth 1, tile 4096, cores 8), together.
                assert p.knowledge_used == ["t-mte2-depth", "t-vec-cores"] == p.params["entries"]
                assert p.params["values"] == {"TEST_DEPTH": 2, "TEST_TILE": 4096, "TEST_CORES": 16}
                assert p.parent_id == bid
                steered += 1
    assert (0.8 - EXPLORE_SHARE) * 30 <= steered <= 30, steered


class CountingHistory(list):
    """A campaign history that counts the entries read out of it (the proposer's per-round work)."""

    reads = 0

    def __iter__(self):
        CountingHistory.reads += len(self)
        return super().__iter__()

    def __reversed__(self):
        CountingHistory.reads += len(self)
        return super().__reversed__()

    def __getitem__(self, i):
        got = super().__getitem__(i)
        CountingHistory.reads += len(got) if isinstance(i, slice) else 1
        return got


@pytest.mark.parametrize("with_kb", [False, True])
def test_a_round_reads_what_is_new_in_the_history_not_all_of_it(tmp_path: Path, kb, with_kb: bool) -> None:
    """Rounds over a growing history (each round's proposals evaluated, as a campaign does): the proposer reads
    each candidate and each evaluation about once, and keys each recorded step once, whatever the rounds."""
    s = Situation(tmp_path)
    prop = OfflineProposer()
    knowledge = kb[1] if with_kb else None
    CountingHistory.reads = 0
    reads: list[int] = []
    for round_ in range(12):
        ctx = s.ctx(round_, knowledge)
        ctx.history = CountingHistory(ctx.history)
        seen = len(ctx.history)
        before = CountingHistory.reads
        out = prop.propose(ctx, 2)
        reads.append(CountingHistory.reads - before)
        for p in out.proposals:
            assert s.store.add_candidate(s.cid, s.task.name, s.task.hash, round_, p.source, p.hash, p.proposer,
                                         parent_id=p.parent_id, knowledge_used=p.knowledge_used, params=p.params)
        for c in s.store.candidates(s.cid):
            if s.store.evaluation(c.id) is None:
                run = re.search(r"run_s=([\d.]+)", c.source)
                if "fail=run" in c.source:
                    bad = result_pb2.Result(status=result_pb2.RUNTIME_ERROR, hardware_profile="ascend910b2")
                    s.store.record_evaluation(c.id, bad)
                else:
                    s.store.record_evaluation(c.id, _result(float(run.group(1)) * 1e6))  # type: ignore[union-attr]
    n = len(s.store.candidates(s.cid))
    assert n >= 20
    # Rescanning the history every round reads sum(len) ~ n^2/4 entries; what is new is read a bounded number of
    # times (as a new candidate, once more when its evaluation arrives, as a parent or repair now and then).
    assert sum(reads) <= 4 * n + 10 * len(reads), reads  # about 8-20 a round here; a rescan: 4 to 92, growing
    assert max(reads[-3:]) <= 30, reads
    index = prop._indexes[s.task.name]
    assert index.seen == seen and index.keys_computed == seen - 1  # every step but the baseline, keyed once
