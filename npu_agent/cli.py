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


def _positive_int(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} is not positive")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{value} is not a positive number of seconds")
    return value


# --max-* task size flags -> taskspec.TaskLimits fields (0/absent: the default, see docs/agent.md)
_TASK_LIMIT_FLAGS = {"max_task_bytes": "max_task_bytes", "max_tensor_bytes": "max_tensor_bytes",
                     "max_tensor_elements": "max_tensor_elements", "max_tensor_rank": "max_rank",
                     "max_tensor_dim": "max_dim", "max_task_tensors": "max_tensors",
                     "max_reference_bytes": "max_reference_bytes"}


def _serve(args: argparse.Namespace) -> int:
    # Heavy imports here, so `hawk --help` stays fast.
    from npu_agent.auth import TlsFiles, read_token_file
    from npu_agent.pipeline import StageTimeouts
    from npu_agent.references import ReferenceSettings
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
        timeouts=StageTimeouts(args.compile_timeout, args.verify_timeout, args.profile_timeout),
        drain_timeout_s=args.drain_timeout, null_compile_s=args.null_compile_s, null_run_s=args.null_run_s,
        task_limits={field: getattr(args, flag) or 0 for flag, field in _TASK_LIMIT_FLAGS.items()},
        references=ReferenceSettings(timeout_s=args.reference_timeout, check_timeout_s=args.reference_check_timeout,
                                     check_concurrency=args.reference_check_concurrency,
                                     memory_bytes=args.reference_memory_bytes or 0),
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
    s.add_argument("--drain-timeout", type=float, default=60.0, help="SIGTERM: seconds before cancelling")
    s.add_argument("--null-compile-s", type=float, default=0.0, help="null backend: seconds per compile")
    s.add_argument("--null-run-s", type=float, default=0.0, help="null backend: seconds per run")
    r = s.add_argument_group("task references and sizes",
                             "a task's numpy reference runs in the sandbox, never in the agent (docs/agent.md)")
    r.add_argument("--reference-timeout", type=_positive_float, default=60.0,
                   help="seconds for the reference on all input sets of one evaluation (default 60)")
    r.add_argument("--reference-check-timeout", type=_positive_float, default=10.0,
                   help="seconds for PutTask to load a new task's reference (default 10)")
    r.add_argument("--reference-check-concurrency", type=_positive_int, default=2,
                   help="PutTask reference checks at once; more are refused with RESOURCE_EXHAUSTED (default 2)")
    r.add_argument("--reference-memory-bytes", type=_positive_int,
                   help="address space of a reference process (default 1 GiB + 8x one input set's bytes)")
    r.add_argument("--max-task-bytes", type=_positive_int,
                   help="bytes of all inputs and outputs of a task (default 4 GiB, at most the profile's HBM)")
    r.add_argument("--max-tensor-bytes", type=_positive_int, help="bytes of one tensor (default: the profile's HBM)")
    r.add_argument("--max-tensor-elements", type=_positive_int, help="elements of one tensor (default 2^32)")
    r.add_argument("--max-tensor-rank", type=_positive_int, help="dims of one tensor (default 8)")
    r.add_argument("--max-tensor-dim", type=_positive_int, help="size of one dimension (default 2^31-1)")
    r.add_argument("--max-task-tensors", type=_positive_int, help="inputs + outputs of a task (default 64)")
    r.add_argument("--max-reference-bytes", type=_positive_int,
                   help="bytes of a task's reference source (default 256 KiB)")
    s.set_defaults(handler=_serve)
