"""Bench-only harness: many null-backend agents in one process, so a 2-core box can stand in for a farm of hosts.

Each agent is a real `npu_agent.server.Agent` (its own gRPC server on its own 127.0.0.1 port, device pool,
pipeline, registration and heartbeats), exactly what `hawk agent serve --backend null` runs, only N of them share
one Python process instead of one each: the scheduler sees N agents, not one giant one. Used by
benchmarks/bench_farm_large.py.

    python benchmarks/farm_agents_host.py --agents 16 --devices 16 --out addresses.txt [--register HOST:PORT]
                                          [--label group=g0]

Writes the agents' addresses (one a line) to --out once all serve, then runs until SIGTERM/SIGINT, when it
stops them all (deregistering each).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from npu_agent.server import Agent, AgentConfig  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, required=True)
    ap.add_argument("--devices", type=int, default=16)
    ap.add_argument("--register", default="", help="Registry HOST:PORT (default: none, static agents)")
    ap.add_argument("--label", action="append", default=[], help="KEY=VALUE registration label (repeatable)")
    ap.add_argument("--hardware", default="ascend910b2")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    if args.agents < 1 or args.devices < 1:
        ap.error("--agents and --devices must be at least 1")
    labels = dict(kv.split("=", 1) for kv in args.label)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    agents: list[Agent] = []
    try:
        for _ in range(args.agents):
            cfg = AgentConfig(port=0, host="127.0.0.1", devices=args.devices, backend="null", hardware=args.hardware,
                              register=args.register or None, labels=labels, compile_workers=1,
                              max_concurrent=2 * args.devices, single_tenant=os.geteuid() != 0,
                              drain_timeout_s=5.0)
            if not args.register:
                cfg.register = None
            agents.append(Agent(cfg).start())
        Path(args.out + ".tmp").write_text("".join(f"{a.address}\n" for a in agents))
        os.replace(args.out + ".tmp", args.out)
        stop.wait()
    finally:
        threads = [threading.Thread(target=a.stop, args=(1.0,)) for a in agents]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
