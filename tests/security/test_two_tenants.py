"""Two tenants at once on the same agent: tenant A submits hostile kernels (process-limit starvation, memory
exhaustion, a fork bomb, scribbling over the work root and the compile cache, reading other evaluations)
while tenant B submits correct kernels. B's kernels must all be OK, from a real run (not a cache entry A could
have poisoned); afterwards B's cached results and fresh re-runs must still be OK, and A's failures must not
have been cached against B's sources.

The agent accepts one bearer token, so both tenants hold it, each with its own client, campaign label and
evaluation ids; tenants are told apart by what the agent runs for them, which is what isolation must protect.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from hawk.v1 import agent_pb2, result_pb2
from tests.security.corpus import fp16_add_task, honest_source, load_corpus, render, skipped_cases
from tests.security.procs import AgentProcess

S = result_pb2
pytestmark = pytest.mark.timeout(600)
ATTACKS = ("threads_60_sleeping", "threads_unbounded", "memory_exhaustion", "fork_bomb", "scribble_work_root",
           "read_compile_cache", "read_work_root", "kill_everything")
ROUNDS = 3  # B's correct kernels per attack wave


def _values(agent: AgentProcess, mark: str) -> dict[str, str]:
    return {"MARK": mark, "WORK_ROOT": str(agent.work_dir), "SIM_ROOT": str(agent.work_dir), "HOME": "/nonexistent",
            "TOKEN_FILE": str(agent.token_file), "AGENT_PID": str(agent.pid), "CANARY": "/nonexistent/c",
            "CANARY2": "/nonexistent/c2"}


def test_hostile_tenant_cannot_spoil_a_correct_tenant(simnpu_agent: AgentProcess, ledger, case: str) -> None:
    agent = simnpu_agent
    if not agent.alive():
        agent.start(wait_s=300)
    mark = "hawksuite2t" + uuid.uuid4().hex[:8]
    corpus = {c.name: c for c in load_corpus()}
    names = [n for n in ATTACKS if n not in skipped_cases()]
    attacks = [render(corpus[n], _values(agent, mark)) for n in names]
    b_sources = [honest_source(f"tenant-b-{mark}-{i}") for i in range(len(ATTACKS) * ROUNDS // 2)]
    opts = agent_pb2.EvaluateOptions(verify_timeout_s=4, skip_profile=True)
    with agent.client(timeout_s=300) as a, agent.client(timeout_s=300) as b:
        [ha] = a.put_task(fp16_add_task(name="tenant_a_add"))
        [hb] = b.put_task(fp16_add_task(name="tenant_b_add"))

        def run_a(i: int, src: str):
            return a.evaluate(ha, src, evaluation_id=f"a-{mark}-{i}", campaign="tenant-a", options=opts)

        def run_b(i: int, src: str):
            return b.evaluate(hb, src, evaluation_id=f"b-{mark}-{i}", campaign="tenant-b", options=opts)

        with ThreadPoolExecutor(len(attacks) + len(b_sources)) as pool:
            fa = [pool.submit(run_a, i, s) for i, s in enumerate(attacks)]
            fb = [pool.submit(run_b, i, s) for i, s in enumerate(b_sources)]
            ra = [f.result(timeout=400) for f in fa]
            rb = [f.result(timeout=400) for f in fb]

        spoiled = [(i, S.Status.Name(r.status), r.message[:160]) for i, r in enumerate(rb)
                   if r.status != S.OK or r.cached]
        # B again: its cache entries must be the OK results of its own runs, and fresh runs must agree.
        cached = [run_b(100 + i, s) for i, s in enumerate(b_sources[:4])]
        fresh = [b.evaluate(hb, s, campaign="tenant-b", options=agent_pb2.EvaluateOptions(
            verify_timeout_s=4, skip_profile=True, bypass_cache=True)) for s in b_sources[:2]]
        healthy = b.health() == "SERVING"

    evidence = []
    if spoiled:
        evidence.append(f"{len(spoiled)} of {len(rb)} correct kernels of tenant B spoiled: {spoiled[:3]}")
    bad_cache = [(S.Status.Name(r.status), r.message[:120]) for r in cached + fresh if r.status != S.OK]
    if bad_cache:
        evidence.append(f"tenant B's sources cached or re-run as failures: {bad_cache[:3]}")
    if not healthy or not agent.alive():
        evidence.append("the agent is not serving after the attack")
    for e in evidence:
        ledger.escape(case, e)
    assert not evidence, evidence
    assert all(r.status != S.INTERNAL for r in ra), [(S.Status.Name(r.status), r.message[:120]) for r in ra]
    assert all(r.status != S.OK for r, n in zip(ra, names, strict=True)
               if n in ("fork_bomb", "memory_exhaustion", "kill_everything")), "an attack was recorded OK"
