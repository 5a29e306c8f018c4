"""`hawk demo`: the whole product on one machine, in a few minutes on two cores.

1. One agent on the Ascend C twin over real gRPC: a correct kernel, then a broken one (its hardware exception
   comes back pinned to the source line).
2. A small campaign on a local Ray cluster with two local agents that register with the scheduler: the offline
   proposer searches two tasks' kernel templates, the knowledge actor prunes and learns, results go to SQLite.
3. The campaign's report (text here, HTML on disk).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from importlib import resources
from pathlib import Path


def _demo_tasks() -> Path:
    return Path(str(resources.files("tasks") / "demo.toml"))


def _one_agent(work: Path) -> None:
    from controller.templates import template_for
    from npu_agent.client import AgentClient
    from npu_agent.result_text import describe
    from npu_agent.server import Agent, AgentConfig
    from npu_agent.taskspec import load_task_file

    task = next(t for t in load_task_file(_demo_tasks()) if t.name == "demo_add_fp16")
    good = template_for(task).render({"T": "half", "OP": "Add", "ENTRY": "add_custom", "TILE_LENGTH": 8192,
                                      "BUFFER_NUM": 2, "BLOCK_DIM": 48, "L2_BYPASS": "true"})
    lines = good.splitlines()
    at = next(i for i, line in enumerate(lines) if "pipe.InitBuffer(inX," in line)
    lines[at] = "        pipe.InitBuffer(inX, BUFFER_NUM, TILE_LENGTH * sizeof(T) * 16);  // 16x too big for UB"
    broken = "\n".join(lines) + "\n"
    print("== 1/3  One agent on the Ascend C twin, over gRPC on 127.0.0.1")
    # The demo is one user's: without root (no per-sandbox uids or cgroups) it runs single-tenant.
    with Agent(AgentConfig(backend="simnpu", devices=1, work_dir=work / "agent0",
                           single_tenant=os.geteuid() != 0)) as agent:
        client = AgentClient(agent.address)
        print(f"agent {agent.address}: health {client.health()}, backend {client.get_info().backend}, "
              f"hardware {client.get_info().hardware_profile}")
        (task_hash,) = client.put_task(task)
        print(describe(client.evaluate(task_hash, good), "double-buffered Add (48 cores)"))
        print(describe(client.evaluate(task_hash, broken), f"the same kernel with line {at + 1} overflowing UB"))
        print(describe(client.evaluate(task_hash, good), "the correct one again (answered from the agent's cache)"))
    print()


def run_demo(args: argparse.Namespace) -> int:
    from controller.farm import run_campaign
    from controller.progress import CampaignProgress
    from controller.report import summary_text, write_html
    from controller.spec import parse_spec
    from controller.store import ResultsStore

    work = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="hawk-demo-"))
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(work.stat().st_mode | 0o711)  # the agents' sandbox uid must traverse to its work dirs
    _one_agent(work)

    print("== 2/3  A campaign: local Ray, two local agents on the twin, offline search with knowledge")
    spec = parse_spec(f"""
name = "demo"
tasks = ["{_demo_tasks()}"]
output_dir = "{work}"
seed = 1
[budget]
rounds = 3
candidates_per_round = 4
[proposers]
offline = 1
[knowledge]
enabled = true
db = "{work / 'knowledge.sqlite'}"
[agents]
local = 2
local_devices = 1
local_backend = "simnpu"
""", base_dir=work)
    store = ResultsStore(work / "results.sqlite")
    with CampaignProgress() as progress:
        cid = asyncio.run(run_campaign(spec, store, on_update=progress, work_dir=work / "agents"))
    print()
    print("== 3/3  Report")
    print(summary_text(store, cid))
    from knowledge.store import KnowledgeStore

    kb = KnowledgeStore(work / "knowledge.sqlite")
    s = kb.summary()
    kb.close()
    print(f"knowledge: {s['entries']} entries by origin {s['by_origin']}, by state {s['by_state']}; "
          f"{s['effects']} effects credited")
    print(f"HTML report: {write_html(store, cid, work / f'{cid}.html')}")
    print(f"results database: {work / 'results.sqlite'} (hawk campaign status --store ...)")
    return 0
