"""`hawk farm init|serve`: set up and run the long-lived side of a deployed farm (docs/operations.md).

`init` writes what a compose farm needs before its first start (the shared token, mode 0600, and an example
campaign spec); `serve` runs in the controller container or KubeRay head after `ray start --head`: it creates
the detached scheduler actor with the farm's credentials and starts the Registry and the scheduler metrics
there, so agents join as soon as the farm is up, not when the first campaign starts; `health` is the agents'
liveness and readiness probe (gRPC health with the token).
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import threading
import time
from pathlib import Path

from npu_agent.errors import CliError, UnreachableError, UsageError

TOKEN_FILE = "token.txt"          # the farm token: agents and the Registry require it
RAY_TOKEN_FILE = "ray_token.txt"  # Ray's own token auth (RAY_AUTH_MODE=token): the Ray head, dashboard and drivers
SPEC_FILE = "specs/campaign.toml"
CONTAINER_TOKEN = "/run/secrets/hawk_token"  # where compose `secrets:` and the Kubernetes Secret mount it

EXAMPLE_SPEC = """\
# The compose farm's example campaign (written by `hawk farm init`). Inside the controller container:
#   hawk campaign run /specs/campaign.toml --ray-address auto --metrics-port 9101 --metrics-host 0.0.0.0
# Every key: docs/campaign-example.toml.
name = "compose-example"
tasks = ["softmax_fp32_small"]
hardware = "ascend910b2"
output_dir = "/var/lib/hawk/runs"   # reports, on the controller's state volume

[budget]
rounds = {rounds}
candidates_per_round = {candidates}

[proposers]
offline = 1.0

[agents]
registry = "0.0.0.0:50050"          # `hawk farm serve` already serves it; the campaign reuses that one
token_file = "{token}"
backend = "{backend}"               # the agents' --backend (compose: HAWK_AGENT_BACKEND, default simnpu)
"""


def write_token(path: Path, value: str, owner: int | None = None) -> bool:
    """Create a token file readable by its owner only; returns False (leaving it alone) if one exists, so
    re-running init never rotates a token behind running agents' backs (rotation: docs/operations.md)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as f:
        f.write(value)  # no newline: Ray reads its token file verbatim
    os.chmod(path, 0o600)  # whatever the umask
    if owner is not None:
        os.chown(path, owner, owner)
    return True


def init(directory: Path, *, backend: str = "simnpu", owner: int | None = None, rounds: int = 2,
         candidates: int = 4, force_spec: bool = False) -> list[str]:
    """Write DIR/token.txt, DIR/ray_token.txt and DIR/specs/campaign.toml; returns one line per thing done."""
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a directory (give the folder of docker-compose.yml)")
    if owner is not None and owner != os.geteuid() and os.geteuid() != 0:
        raise UsageError(f"--owner {owner}: only root can give a file to another user (run under sudo)")
    from npu_agent.auth import read_token_file

    done = []
    token = directory / TOKEN_FILE
    for path, value in ((token, secrets.token_urlsafe(32)), (directory / RAY_TOKEN_FILE, secrets.token_hex(32))):
        if write_token(path, value, owner):
            done.append(f"wrote {path} (mode 0600)")
            continue
        try:  # an existing token must still be usable: the agents refuse a token others can read
            read_token_file(path)
        except ValueError as e:
            raise UsageError(str(e)) from None
        done.append(f"kept {path} (exists; rotate it as docs/operations.md says)")
    spec = directory / SPEC_FILE
    if spec.exists() and not force_spec:
        done.append(f"kept {spec} (exists; --force-spec rewrites it)")
    else:
        spec.parent.mkdir(parents=True, exist_ok=True)
        spec.write_text(EXAMPLE_SPEC.format(backend=backend, token=CONTAINER_TOKEN, rounds=rounds,
                                            candidates=candidates))
        done.append(f"wrote {spec}")
    uid = token.stat().st_uid
    if uid != 0:
        done.append(f"note: {token} is owned by uid {uid}; containers run as root and accept only a token root "
                    "owns (rootful Docker: rerun under sudo with --owner 0; rootless Docker maps your uid to root)")
    return done


def _init(args: argparse.Namespace) -> int:
    from controller.spec import SpecError, load_spec

    for line in init(Path(args.dir), backend=args.backend, owner=args.owner, force_spec=args.force_spec):
        print(line)
    try:  # the example must be a valid spec (its token path exists only inside the containers)
        load_spec(Path(args.dir) / SPEC_FILE)
    except SpecError as e:
        raise CliError(f"the example spec is invalid: {e}", code=4) from None
    return 0


def _serve(args: argparse.Namespace) -> int:
    import ray

    from controller.agent_rpc import Credentials
    from controller.farm import init_ray
    from controller.scheduler_actor import get_scheduler

    try:
        credentials = Credentials.from_files(args.token_file, args.tls_ca, args.tls_cert, args.tls_key)
    except ValueError as e:
        raise UsageError(str(e)) from None
    end = time.monotonic() + args.wait_ray
    while True:  # a sidecar may start before its pod's Ray head does
        try:
            init_ray(args.ray_address)
            break
        except ConnectionError as e:
            ray.shutdown()
            if time.monotonic() > end:
                raise UnreachableError(f"no Ray cluster at {args.ray_address}: {e}") from None
            time.sleep(2)
    actor = get_scheduler(credentials=credentials, detached=True)
    host = args.registry.rpartition(":")[0]
    port = ray.get(actor.start_registry.remote(args.registry))
    print(f"registry on {host}:{port}", flush=True)
    if args.scheduler_metrics_port is not None:
        mport = ray.get(actor.serve_metrics.remote(args.scheduler_metrics_port, args.metrics_host))
        print(f"scheduler metrics on {args.metrics_host}:{mport}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    # Watch the actor: if it died (its node did), exit non-zero so the container or pod is restarted.
    while not stop.wait(args.check_interval):
        try:
            ray.get(actor.snapshot.remote(), timeout=60)
        except Exception as e:  # any failure of the actor or the cluster: the farm is down
            print(f"hawk farm serve: the scheduler actor is gone: {e}", file=sys.stderr)
            return 1
    ray.shutdown()
    return 0


def _health(args: argparse.Namespace) -> int:
    """grpc.health.v1 Check with the farm token: Kubernetes' built-in gRPC probe cannot send the token, and an
    agent with a token refuses every call without it, health included (npu_agent/auth.py)."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from npu_agent.auth import read_token_file

    try:
        metadata = [("authorization", f"Bearer {read_token_file(args.token_file)}")] if args.token_file else []
    except ValueError as e:
        raise UsageError(str(e)) from None
    with grpc.insecure_channel(args.address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=args.service), timeout=args.timeout, metadata=metadata)
        except grpc.RpcError as e:
            raise UnreachableError(f"{args.address}: {e.code().name}: {e.details()}") from None
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(f"{args.address} {args.service or '(server)'}: {status}")
    return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1


def add_farm_commands(sub: argparse._SubParsersAction) -> None:
    from npu_agent.cli import address_arg, host_arg, port_arg

    p = sub.add_parser("farm", help="set up and serve a deployed farm (compose, KubeRay)")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    i = verbs.add_parser("init", help="write the farm token (0600) and an example campaign spec into DIR")
    i.add_argument("dir", help="the compose folder, e.g. deploy/compose")
    i.add_argument("--backend", choices=["simnpu", "null"], default="simnpu",
                   help="the agents' backend the example spec asks for (default simnpu, the Ascend C twin)")
    i.add_argument("--owner", type=int, default=None, help="uid (and gid) to give the token file (root only)")
    i.add_argument("--force-spec", action="store_true", help="rewrite an existing example spec")
    i.set_defaults(handler=_init)
    s = verbs.add_parser("serve", help="on a running Ray head: start the scheduler, its Registry and metrics")
    s.add_argument("--ray-address", default="auto", help="the Ray cluster (default auto: the one on this host, "
                   "or RAY_ADDRESS)")
    s.add_argument("--registry", type=address_arg, default="0.0.0.0:50050", help="HOST:PORT to serve hawk.v1.Registry on")
    s.add_argument("--token-file", default="", help="the farm token agents and the Registry require")
    s.add_argument("--tls-ca", default="")
    s.add_argument("--tls-cert", default="")
    s.add_argument("--tls-key", default="")
    s.add_argument("--scheduler-metrics-port", type=port_arg, default=None,
                   help="serve hawk_scheduler_* metrics on this port")
    s.add_argument("--metrics-host", type=host_arg, default="127.0.0.1",
                   help="address the metrics port binds (default loopback; 0.0.0.0 for Prometheus elsewhere)")
    s.add_argument("--wait-ray", type=float, default=120.0, help="seconds to wait for the Ray cluster to come up")
    s.add_argument("--check-interval", type=float, default=10.0, help=argparse.SUPPRESS)
    s.set_defaults(handler=_serve)
    h = verbs.add_parser("health", help="check an agent's grpc.health.v1 status with the farm token (probes)")
    h.add_argument("address", type=address_arg, help="HOST:PORT, e.g. 127.0.0.1:50051")
    h.add_argument("--token-file", default="", help="the farm token the agent requires")
    h.add_argument("--service", default="hawk.v1.NpuAgent", help="service to check ('' = the whole server)")
    h.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the answer")
    h.set_defaults(handler=_health)
