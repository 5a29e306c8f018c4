"""The shared knowledge actor on a real local Ray cluster: concurrent writers, kill and restart by name."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from knowledge.actor import NAMESPACE, KnowledgeClient, get_or_create  # noqa: E402
from knowledge.base import KnowledgeBase  # noqa: E402
from knowledge.distill import DistillPolicy  # noqa: E402
from knowledge.evidence import effect_evidence  # noqa: E402
from knowledge.model import Entry, KnowledgeError, Outcome  # noqa: E402
from knowledge.seed import load_pack  # noqa: E402
from knowledge.store import KnowledgeStore  # noqa: E402
from tests.knowledge.helpers import kernel, observe, ok, ub_overflow  # noqa: E402

SEEDS = len(load_pack("ascend910b2"))
QUIET = {"distill_interval_s": None, "policy": DistillPolicy(every_effects=0)}


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield
    finally:
        ray.shutdown()


def _writer(name: str, w: int, shared: str, n: int) -> int:
    """One campaign's writes through the named actor (runs as a Ray task in its own worker)."""
    import ray as _ray

    from knowledge.actor import NAMESPACE as _NS
    from knowledge.model import Entry as _Entry
    from knowledge.model import Outcome as _Outcome

    actor = _ray.get_actor(name, namespace=_NS)
    acks = 0
    for i in range(n):
        acks += _ray.get(actor.record_effect.remote([shared], _Outcome(f"task{w}-ev{i}", passed=i % 3 != 0,
                                                                        parent_passed=True)))
        if i % 5 == 0:
            _ray.get(actor.add.remote(_Entry(id=f"kb-task{w}-{i}", title=f"task {w} #{i}", rationale="r")))
    return acks


def test_concurrent_writers_lose_nothing_and_a_restart_loses_nothing(cluster: None, tmp_path: Path) -> None:
    db = tmp_path / "knowledge.sqlite"
    name = "kb-test-concurrent"
    handle = get_or_create(db, name=name, **QUIET)
    kb = KnowledgeClient(handle)
    shared = kb.add({"title": "shared entry", "rationale": "every writer credits it"}).id

    tasks = [ray.remote(num_cpus=0.25)(_writer).remote(name, w, shared, 20) for w in range(4)]
    errors: list[BaseException] = []

    def via_client(t: int) -> None:  # a driver-side campaign
        try:
            for i in range(20):
                kb.record_effect([shared], Outcome(f"thread{t}-ev{i}", passed=True, parent_passed=False))
                kb.update(shared, {"features": {"last": f"thread{t}-{i}"}}, reason=f"thread {t}")
        except BaseException as e:
            errors.append(e)

    def direct(t: int) -> None:  # `hawk kb` or another process on the same file, beside the actor
        try:
            s = KnowledgeStore(db)
            for i in range(20):
                s.record_effect([shared], Outcome(f"direct{t}-ev{i}", passed=False, parent_passed=True))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=via_client, args=(t,)) for t in range(2)]
    threads.append(threading.Thread(target=direct, args=(0,)))
    for t in threads:
        t.start()
    acks = sum(ray.get(tasks))
    for t in threads:
        t.join()
    assert not errors and acks == 80
    # A retried call (same evaluation) is acknowledged as nothing new.
    assert kb.record_effect([shared], Outcome("task0-ev0", passed=True, parent_passed=True)) == 0

    def check(client: KnowledgeClient) -> None:
        s = client.get(shared).stats
        assert s.uses == 80 + 40 + 20
        assert s.fixes == 40 and s.breaks == 20 + 4 * 7
        assert client.get(shared).version == 1 + 40 and len(client.history(shared)) == 41
        assert len(client.entries()) == SEEDS + 1 + 4 * 4

    check(kb)
    ray.kill(handle, no_restart=True)
    handle2 = get_or_create(db, name=name, **QUIET)
    assert handle2._actor_id != handle._actor_id
    check(KnowledgeClient(handle2))
    # The file itself holds it all, without Ray.
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM effects WHERE entry_id=?", (shared,)).fetchone()[0] == 140
    ray.kill(handle2, no_restart=True)


def test_one_named_actor_serves_everyone_and_refuses_another_file(cluster: None, tmp_path: Path) -> None:
    name = "kb-test-shared"
    a = get_or_create(tmp_path / "a.sqlite", name=name, **QUIET)
    b = get_or_create(tmp_path / "a.sqlite", name=name, **QUIET)
    assert a._actor_id == b._actor_id and ray.get_actor(name, namespace=NAMESPACE)._actor_id == a._actor_id
    with pytest.raises(KnowledgeError, match="already runs on .*a.sqlite, not .*b.sqlite"):
        get_or_create(tmp_path / "b.sqlite", name=name, **QUIET)
    kb = KnowledgeClient(a)
    # The whole API through the actor: synthesis, retrieval, checks, effects, distillation.
    failed = observe(ub_overflow("ev1"), kernel(tile=40000))
    [pending] = kb.observe(failed)
    assert kb.get(pending).state == "pending"
    assert kb.observe(observe(ok("ev2", 100.0), kernel(tile=8192)), failed) == [pending]
    assert kb.get(pending).state == "trial" and pending not in {h.entry.id for h in kb.retrieve(failed, k=5)}
    hits = kb.retrieve(failed, k=2, include_trial=True)
    assert {h.entry.id for h in hits} == {pending, "seed-ascend910b2-ub-capacity"} and hits[0].reasons
    assert [v.entry_id for v in kb.check(kernel(tile=40000), {}, "ascend910b2")] == ["seed-ascend910b2-ub-capacity"]
    with pytest.raises(KnowledgeError, match="unknown knowledge entries"):
        kb.record_effect(["kb-ghost"], Outcome("ev9", passed=True))
    kb.record_effect([pending], Outcome("use-fix", passed=True, parent_passed=False), {"child_status": "OK"})
    assert kb.get(pending).state == "active"  # re-verified by a further use with a gain
    assert kb.effects(pending)[0]["evidence"] == {"child_status": "OK"}
    for i in range(5):
        kb.record_effect([pending], Outcome(f"use{i}", passed=False, parent_passed=True))
    assert kb.distill().pruned == [pending] and kb.get(pending).state == "deleted"
    assert isinstance(kb.get(pending), Entry) and kb.stats()["by_state"]["deleted"] == 1
    ray.kill(a, no_restart=True)


def test_observe_many_is_observe_then_credit_in_one_call_and_the_actor_reports_its_process(
        cluster: None, tmp_path: Path) -> None:
    """The campaign's batched observations through the actor give what one observe + record_effect per
    evaluation gives (same entries, same effects with their evidence); process_info names the actor's process."""
    import os

    name = "kb-test-batch"
    kb = KnowledgeClient(get_or_create(tmp_path / "batch.sqlite", name=name, **QUIET))
    one = KnowledgeBase(tmp_path / "one.sqlite", policy=DistillPolicy(every_effects=0))
    entry = "seed-ascend910b2-ub-capacity"
    failed = observe(ub_overflow("ev1"), kernel(tile=40000))
    items = [(failed, None, [], "offline"),
             (observe(ok("ev2", 100.0), kernel(tile=8192)), failed, [entry], "offline"),
             (observe(ok("ev3", 90.0), kernel(tile=4096)), failed, [entry], "llm")]
    changed = kb.observe_many(items)
    expected = 0
    for obs, parent, used, proposer in items:
        expected += len(one.observe(obs, parent))
        if used:
            evidence = effect_evidence(obs, parent, n_credited=len(used))
            one.record_effect(used, obs.outcome_vs(parent), {**evidence, "proposer": proposer})
    assert changed == expected >= 2   # the pending entry made, then changed by its fixes
    assert [(e["evaluation_id"], e["evidence"]) for e in kb.effects(entry)] == \
        [(e["evaluation_id"], e["evidence"]) for e in one.effects(entry)]
    assert {e.title for e in kb.entries(None) if e.origin == "synthesis"} == \
        {e.title for e in one.entries(None) if e.origin == "synthesis"}
    assert sorted(e.id for e in kb.check_entries("ascend910b2")) == \
        sorted(e.id for e in one.check_entries("ascend910b2")) != []
    info = kb.process_info()
    assert info["pid"] != os.getpid() and info["cpu_s"] > 0 and info["rss_bytes"] > 0
    ray.kill(ray.get_actor(name, namespace=NAMESPACE), no_restart=True)


def test_a_campaigns_packed_observations_are_viewed_by_the_actor_as_the_driver_would(
        cluster: None, tmp_path: Path) -> None:
    """CampaignKnowledge over the actor sends packed batches (observe_packed: the Observations are built in the
    actor's process); the store ends up as observing the same views directly does."""
    from controller.knowledge_client import CampaignKnowledge
    from knowledge.observation import unpack_observations
    from tests.knowledge.test_observation_packing import _items

    name = "kb-test-packed"
    client = KnowledgeClient(get_or_create(tmp_path / "packed.sqlite", name=name, **QUIET))
    one = KnowledgeBase(tmp_path / "one.sqlite", policy=DistillPolicy(every_effects=0))
    ck = CampaignKnowledge(client, "ascend910b2")
    items = _items()
    changed = ck.observe_many(items)
    assert ck._send_packed is True
    assert changed == one.observe_many(unpack_observations(ck.pack_observations(items))) >= 1
    entry = "seed-ascend910b2-ub-capacity"
    assert [e["evidence"] for e in client.effects(entry)] == [e["evidence"] for e in one.effects(entry)] != []
    assert sorted(e.title for e in client.entries(None)) == sorted(e.title for e in one.entries(None))
    ray.kill(ray.get_actor(name, namespace=NAMESPACE), no_restart=True)
