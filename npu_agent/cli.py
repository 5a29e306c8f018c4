"""`hawk agent serve`: run an NPU agent until SIGTERM (graceful drain) or SIGINT."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

log = logging.getLogger("npu_agent")


def _label(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def port_arg(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (0..65535; 0 picks a free one)")
    return port


def _uid_base(text: str) -> int:
    try:
        uid = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a uid") from None
    if not 1000 <= uid <= 2**32 - 2 - 4096:
        raise argparse.ArgumentTypeError(f"{uid} is out of range (1000 .. {2**32 - 2 - 4096})")
    return uid


def _serve(args: argparse.Namespace) -> int:
    # Heavy imports here, so `hawk --help` stays fast.
    from npu_agent.auth import TlsFiles, read_token_file
    from npu_agent.pipeline import StageTimeouts
    from npu_agent.server import Agent, AgentConfig

    if bool(args.tls_cert) != bool(args.tls_key):
        raise SystemExit("hawk agent serve: --tls-cert and --tls-key go together")
    if args.tls_ca and not args.tls_cert:
        raise SystemExit("hawk agent serve: --tls-ca (mutual TLS) needs --tls-cert and --tls-key")
    if logging.getLogger().level > logging.INFO:
        logging.getLogger("npu_agent").setLevel(logging.INFO)  # the agent's log is its serving record
    try:
        token = read_token_file(args.token_file) if args.token_file else None
    except (OSError, ValueError) as e:
        raise SystemExit(f"hawk agent serve: --token-file: {e}") from None
    cfg = AgentConfig(
        port=args.port, host=args.host, devices=args.devices, backend=args.backend, hardware=args.hardware,
        metrics_port=args.metrics_port, token=token,
        tls=TlsFiles(Path(args.tls_cert), Path(args.tls_key), Path(args.tls_ca) if args.tls_ca else None)
        if args.tls_cert else None,
        register=args.register, advertise=args.advertise, labels=dict(args.label or []),
        work_dir=Path(args.work_dir) if args.work_dir else None, compile_workers=args.compile_workers,
        max_concurrent=args.max_concurrent, max_source_bytes=args.max_source_bytes,
        max_message_bytes=args.max_message_bytes, cache_entries=args.cache_entries,
        timeouts=StageTimeouts(args.compile_timeout, args.verify_timeout, args.profile_timeout, args.heartbeat_interval),
        drain_timeout_s=args.drain_timeout, null_compile_s=args.null_compile_s, null_run_s=args.null_run_s,
        single_tenant=args.single_tenant, sandbox_uid_base=args.sandbox_uid_base,
    )
    try:
        agent = Agent(cfg).start()
    except (ValueError, RuntimeError, OSError) as e:  # bad profile, missing backend, port taken, bad PEM
        raise SystemExit(f"hawk agent serve: {e}") from None

    def on_term(signum, frame) -> None:
        if agent.servicer.draining:  # a second signal: stop now
            threading.Thread(target=agent.stop, daemon=True).start()
            return
        log.info("received %s: draining", signal.Signals(signum).name)
        threading.Thread(target=agent.drain, name="hawk-drain", daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    try:
        while not agent.wait(0.5):
            pass
    finally:
        agent.stop()
    sys.stderr.flush()
    return 0


def add_agent_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("agent", help="run an NPU agent")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    s = verbs.add_parser("serve", help="serve the NpuAgent gRPC service",
                         description="Serve hawk.v1.NpuAgent (plus grpc.health.v1 and reflection) on one port. "
                                     "Without --token-file or TLS it listens on 127.0.0.1 only. SIGTERM drains.")
    s.add_argument("--port", type=port_arg, required=True, help="gRPC port (0: any free port, logged at start)")
    s.add_argument("--host", help="bind address (default 0.0.0.0 when secured, else 127.0.0.1)")
    s.add_argument("--devices", type=int, default=1, help="device slots; each runs one candidate at a time")
    s.add_argument("--backend", choices=("simnpu", "null"), default="simnpu")
    s.add_argument("--hardware", default="ascend910b2", help="hardware profile (SoC) name")
    s.add_argument("--metrics-port", type=port_arg, help="serve Prometheus metrics on this port")
    s.add_argument("--token-file", help="require 'authorization: Bearer <token>' on every call")
    s.add_argument("--tls-cert", help="PEM certificate chain of this agent")
    s.add_argument("--tls-key", help="PEM private key of this agent")
    s.add_argument("--tls-ca", help="PEM CA: clients must present a certificate it signed (mutual TLS)")
    s.add_argument("--register", metavar="HOST:PORT", help="the controller's Registry to register with")
    s.add_argument("--advertise", metavar="HOST:PORT", help="address to register (default: this host's name)")
    s.add_argument("--label", action="append", type=_label, metavar="KEY=VALUE", help="registration label")
    s.add_argument("--work-dir", help="where sandboxes and artifacts live (default: a temporary directory)")
    s.add_argument("--compile-workers", type=int, default=0, help="compile pool size (default: CPU count)")
    s.add_argument("--max-concurrent", type=int, default=64, help="queued + running evaluations")
    s.add_argument("--max-source-bytes", type=int, default=256 << 10)
    s.add_argument("--max-message-bytes", type=int, default=64 << 20)
    s.add_argument("--cache-entries", type=int, default=4096, help="result cache size (0 disables it)")
    s.add_argument("--compile-timeout", type=float, default=120.0, help="seconds, from compile start")
    s.add_argument("--verify-timeout", type=float, default=120.0, help="seconds, from verification start")
    s.add_argument("--profile-timeout", type=float, default=300.0, help="seconds, from profiling start")
    s.add_argument("--heartbeat-interval", type=float, default=2.0,
                   help="seconds: the longest silence on an Evaluate stream (0: no heartbeats)")
    s.add_argument("--drain-timeout", type=float, default=60.0, help="SIGTERM: seconds before cancelling")
    s.add_argument("--null-compile-s", type=float, default=0.0, help="null backend: seconds per compile")
    s.add_argument("--null-run-s", type=float, default=0.0, help="null backend: seconds per run")
    s.add_argument("--single-tenant", action="store_true",
                   help="start even when a sandbox guarantee is missing (e.g. not root); candidates of different "
                        "owners are then not isolated from each other")
    s.add_argument("--sandbox-uid-base", type=_uid_base, default=None, metavar="UID",
                   help="first uid of the range sandboxes run as (default 200000; 4096 uids)")
    s.set_defaults(handler=_serve)
