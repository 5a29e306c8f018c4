"""`hawk agent serve`: run an NPU agent until SIGTERM (graceful drain) or SIGINT."""

from __future__ import annotations

import argparse
import logging
import math
import signal
import sys
import threading
from collections.abc import Callable
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


def int_range(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer in [low, high] (no absurd values reach the agent)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is out of range {low}..{high}")
        return value

    parse.__name__ = "integer"
    return parse


def seconds_arg(low: float, high: float, allow_zero: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number of seconds in (low, high] (or exactly 0 when `allow_zero`)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text} is not a finite number of seconds")
        if (allow_zero and value == 0) or low < value <= high:
            return value
        lo = "0" if allow_zero else f"more than {low:g}"
        raise argparse.ArgumentTypeError(f"{value:g} s is out of range ({lo} .. {high:g} s)")

    parse.__name__ = "seconds"
    return parse


def host_arg(text: str) -> str:
    """An argparse type: an IP address or host name to bind (no port, no spaces)."""
    import ipaddress

    t = text.strip("[]")
    try:
        ipaddress.ip_address(t)
        return t
    except ValueError:
        if all(c.isdigit() or c == "." for c in t) or ":" in t:  # looks like an address, and is not one
            raise argparse.ArgumentTypeError(f"{text!r} is not an IP address") from None
    ok = t and len(t) <= 253 and all(c.isalnum() or c in "-." for c in t) and not t.startswith(("-", "."))
    if not ok:
        raise argparse.ArgumentTypeError(f"{text!r} is not an IP address or host name")
    return t


def address_arg(text: str) -> str:
    """An argparse type: HOST:PORT with a port in 1..65535."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT with a port in 1..65535")
    host_arg(host)
    return text


# --max-* task size flags -> taskspec.TaskLimits fields (0/absent: the default, see docs/agent.md)
_TASK_LIMIT_FLAGS = {"max_task_bytes": "max_task_bytes", "max_tensor_bytes": "max_tensor_bytes",
                     "max_tensor_elements": "max_tensor_elements", "max_tensor_rank": "max_rank",
                     "max_tensor_dim": "max_dim", "max_task_tensors": "max_tensors",
                     "max_reference_bytes": "max_reference_bytes"}


def _serve(args: argparse.Namespace) -> int:
    # Heavy imports here, so `hawk --help` stays fast.
    from npu_agent.auth import TlsFiles, read_token_file
    from npu_agent.errors import UnreachableError, UsageError
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
        raise UsageError(f"--token-file: {e}") from None
    cfg = AgentConfig(
        port=args.port, host=args.host, devices=args.devices, backend=args.backend, hardware=args.hardware,
        metrics_port=args.metrics_port, metrics_host=args.metrics_host, token=token,
        allow_expired_cert=args.allow_expired_cert,
        tls=TlsFiles(Path(args.tls_cert), Path(args.tls_key), Path(args.tls_ca) if args.tls_ca else None)
        if args.tls_cert else None,
        register=args.register, advertise=args.advertise, labels=dict(args.label or []),
        work_dir=Path(args.work_dir) if args.work_dir else None, compile_workers=args.compile_workers,
        max_concurrent=args.max_concurrent, max_source_bytes=args.max_source_bytes, max_batch=args.max_batch,
        max_message_bytes=args.max_message_bytes, cache_entries=args.cache_entries,
        compile_cache_entry_mb=args.compile_cache_entry_mb, compile_cache_mb=args.compile_cache_mb,
        timeouts=StageTimeouts(args.compile_timeout, args.verify_timeout, args.profile_timeout, args.heartbeat_interval),
        drain_timeout_s=args.drain_timeout, null_compile_s=args.null_compile_s, null_run_s=args.null_run_s,
        single_tenant=args.single_tenant, sandbox_uid_base=args.sandbox_uid_base,
        task_limits={field: getattr(args, flag) or 0 for flag, field in _TASK_LIMIT_FLAGS.items()},
        references=ReferenceSettings(timeout_s=args.reference_timeout, check_timeout_s=args.reference_check_timeout,
                                     check_concurrency=args.reference_check_concurrency,
                                     memory_bytes=args.reference_memory_bytes or 0),
    )
    try:
        agent = Agent(cfg)
    except (ValueError, RuntimeError, OSError) as e:  # bad profile or PEM, missing backend, unusable work dir
        raise UsageError(str(e)) from None
    try:
        agent.start()
    except (RuntimeError, OSError) as e:  # the port (or the metrics port) is taken or not ours to bind
        logging.disable(logging.WARNING)  # the error is the one line to show, not the shutdown's log
        try:
            agent.stop()
        finally:
            logging.disable(logging.NOTSET)
        text = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        if "cannot bind" not in text:
            text = f"port {args.port}" + (f" or metrics port {args.metrics_port}" if args.metrics_port is not None
                                          else "") + f": {text}"
        raise UnreachableError(text) from None

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
    s.add_argument("--host", type=host_arg, help="bind address (default 0.0.0.0 when secured, else 127.0.0.1)")
    s.add_argument("--devices", type=int_range(1, 1024), default=1, help="device slots; each runs one candidate at a time")
    s.add_argument("--backend", choices=("simnpu", "null", "cann"), default="simnpu",
                   help="simnpu: the Ascend C twin (default); null: waits only (load tests); cann: a real Ascend NPU "
                   "with CANN (needs ASCEND_HOME_PATH, docs/agent.md)")
    s.add_argument("--hardware", default="ascend910b2", help="hardware profile (SoC) name")
    s.add_argument("--metrics-port", type=port_arg, help="serve Prometheus metrics on this port")
    s.add_argument("--metrics-host", type=host_arg, default="127.0.0.1",
                   help="address the metrics port binds (default 127.0.0.1, loopback only; give 0.0.0.0 or an "
                   "interface address explicitly for a Prometheus on another host)")
    s.add_argument("--token-file", help="require 'authorization: Bearer <token>' on every call")
    s.add_argument("--tls-cert", help="PEM certificate chain of this agent")
    s.add_argument("--tls-key", help="PEM private key of this agent")
    s.add_argument("--tls-ca", help="PEM CA: clients must present a certificate it signed (mutual TLS)")
    s.add_argument("--allow-expired-cert", action="store_true",
                   help="serve a certificate that expired or is not yet valid (refused by default; warned)")
    s.add_argument("--register", type=address_arg, metavar="HOST:PORT", help="the controller's Registry to register with")
    s.add_argument("--advertise", type=address_arg, metavar="HOST:PORT", help="address to register (default: this host's name)")
    s.add_argument("--label", action="append", type=_label, metavar="KEY=VALUE", help="registration label")
    s.add_argument("--work-dir", help="where sandboxes and artifacts live (default: a temporary directory)")
    s.add_argument("--compile-workers", type=int_range(0, 1024), default=0, help="compile pool size (default: CPU count)")
    s.add_argument("--max-concurrent", type=int_range(1, 100_000), default=64,
                   help="queued + running evaluations (1..100000)")
    s.add_argument("--max-batch", type=int_range(1, 4096), default=256, help="evaluations per EvaluateBatch (1..4096)")
    s.add_argument("--max-source-bytes", type=int_range(1, 1 << 30), default=256 << 10)
    s.add_argument("--max-message-bytes", type=int_range(1 << 10, (1 << 31) - 1), default=64 << 20)
    s.add_argument("--cache-entries", type=int_range(0, 10_000_000), default=4096, help="result cache size (0 disables it)")
    s.add_argument("--compile-cache-entry-mb", type=int_range(1, 1 << 20), default=None, metavar="MB",
                   help="a compiled binary above this is run but not cached (default $HAWK_COMPILE_CACHE_ENTRY_MB "
                   "or 64)")
    s.add_argument("--compile-cache-mb", type=int_range(1, 1 << 20), default=None, metavar="MB",
                   help="total size of the compile cache; least recently used entries are evicted (default "
                   "$HAWK_COMPILE_CACHE_MB or 2048)")
    s.add_argument("--compile-timeout", type=seconds_arg(0, 86400), default=120.0, help="seconds, from compile start")
    s.add_argument("--verify-timeout", type=seconds_arg(0, 86400), default=120.0, help="seconds, from verification start")
    s.add_argument("--profile-timeout", type=seconds_arg(0, 86400), default=300.0, help="seconds, from profiling start")
    s.add_argument("--drain-timeout", type=seconds_arg(0, 86400, allow_zero=True), default=60.0, help="SIGTERM: seconds before cancelling")
    s.add_argument("--null-compile-s", type=seconds_arg(0, 3600, allow_zero=True), default=0.0, help="null backend: seconds per compile")
    s.add_argument("--null-run-s", type=seconds_arg(0, 3600, allow_zero=True), default=0.0, help="null backend: seconds per run")
    s.add_argument("--heartbeat-interval", type=seconds_arg(0, 3600, allow_zero=True), default=2.0,
                   help="seconds: the longest silence on an Evaluate stream (0: no heartbeats)")
    s.add_argument("--single-tenant", action="store_true",
                   help="start even when a sandbox guarantee is missing (e.g. not root); candidates of different "
                        "owners are then not isolated from each other")
    s.add_argument("--sandbox-uid-base", type=int_range(1000, 2**32 - 2 - 4096), default=None, metavar="UID",
                   help="first uid of the range sandboxes run as (default 200000; 4096 uids)")
    r = s.add_argument_group("task references and sizes",
                             "a task's numpy reference runs in the sandbox, never in the agent (docs/agent.md)")
    r.add_argument("--reference-timeout", type=seconds_arg(0, 86400), default=60.0,
                   help="seconds for the reference on all input sets of one evaluation (default 60)")
    r.add_argument("--reference-check-timeout", type=seconds_arg(0, 86400), default=10.0,
                   help="seconds for PutTask to load a new task's reference (default 10)")
    r.add_argument("--reference-check-concurrency", type=int_range(1, 2**62), default=2,
                   help="PutTask reference checks at once; more are refused with RESOURCE_EXHAUSTED (default 2)")
    r.add_argument("--reference-memory-bytes", type=int_range(1, 2**62),
                   help="address space of a reference process (default 1 GiB + 8x one input set's bytes)")
    r.add_argument("--max-task-bytes", type=int_range(1, 2**62),
                   help="bytes of all inputs and outputs of a task (default 4 GiB, at most the profile's HBM)")
    r.add_argument("--max-tensor-bytes", type=int_range(1, 2**62), help="bytes of one tensor (default: the profile's HBM)")
    r.add_argument("--max-tensor-elements", type=int_range(1, 2**62), help="elements of one tensor (default 2^32)")
    r.add_argument("--max-tensor-rank", type=int_range(1, 2**62), help="dims of one tensor (default 8)")
    r.add_argument("--max-tensor-dim", type=int_range(1, 2**62), help="size of one dimension (default 2^31-1)")
    r.add_argument("--max-task-tensors", type=int_range(1, 2**62), help="inputs + outputs of a task (default 64)")
    r.add_argument("--max-reference-bytes", type=int_range(1, 2**62),
                   help="bytes of a task's reference source (default 256 KiB)")
    s.set_defaults(handler=_serve)
