"""The compose farm starts and runs a campaign: its services' own commands, as local processes on loopback.

No Docker engine runs here, so this test does what compose would do with deploy/compose/docker-compose.yml:
it creates the token and the example spec with the documented one command (`hawk farm init`), then runs each
service's own command, arguments and environment, with the container paths its `secrets:`, `volumes:` and
`tmpfs:` name mapped to a temporary folder, service host names and 0.0.0.0 mapped to 127.0.0.1 and container
ports to free ports: the controller (its `ray start --head`, then `hawk farm serve`), the Registry it serves,
two replicas of the `agent` service (`--scale agent=2`, backend null through the file's HAWK_AGENT_BACKEND
interpolation), and the controller's documented campaign command (`x-campaign-command`, `--ray-address auto`).
Prometheus and Grafana are not started here (tests/test_deploy.py and the monitoring tests cover them).

The Ray head gets its own temp dir and ports and is stopped by killing its process group (never `ray stop`,
which would stop every Ray on the machine). The controller's RAY_ADDRESS (its port mapped) is what `auto`
resolves to, as in the container; `auto` alone would look in the shared /tmp/ray, where other clusters on
this machine may be recorded.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import yaml

from controller.store import ResultsStore
from hawk.v1 import agent_pb2, agent_pb2_grpc, registry_pb2, registry_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DIR = ROOT / "deploy" / "compose"
BIN = Path(sys.executable).parent
_HOST_PORT = re.compile(r"^([A-Za-z0-9_.-]+):(\d+)$")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


_ISSUED: set[int] = set()


def _free_port() -> int:
    """A loopback port free now and not handed out before in this run: the kernel may give a port it just gave
    again once its socket closed, and Ray refuses two components on one port (seen in CI)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _ISSUED:
            _ISSUED.add(port)
            return port


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR} and ${VAR:-default}."""
    return _VAR.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), value)


def _command(service: dict, env: dict[str, str]) -> list[list[str]]:
    """The service's command as steps: `sh -c "a && exec b"` becomes [a, b] (all but the last run to the end)."""
    cmd = [_interpolate(str(c), env) for c in service["command"]]
    if cmd[:2] != ["sh", "-c"]:
        return [cmd]
    steps: list[list[str]] = [[]]
    for token in shlex.split(cmd[2]):
        if token == "&&":
            steps.append([])
        else:
            steps[-1].append(token)
    return [s[1:] if s[0] == "exec" else s for s in steps]


class Mapping:
    """Container paths, host names and ports of one service instance, mapped to this machine."""

    def __init__(self, compose: dict, service: dict, work: Path, hosts: dict[str, str],
                 ports: dict[str, str]) -> None:
        self.hosts = {"0.0.0.0": "127.0.0.1", **hosts}
        self.ports = ports
        self.paths: dict[str, str] = {}
        for name in service.get("secrets", []):
            self.paths[f"/run/secrets/{name}"] = str(COMPOSE_WORK(work) / compose["secrets"][name]["file"])
        for i, volume in enumerate(service.get("volumes", [])):
            src, _, dst = volume.partition(":")
            if not dst:  # an anonymous volume: this instance's own
                src, dst = f"anonymous-{id(self)}-{i}", src
            dst = dst.split(":")[0]
            local = COMPOSE_WORK(work) / src if src.startswith(".") else work / "volumes" / src
            local.mkdir(parents=True, exist_ok=True)
            self.paths[dst] = str(local.resolve())

    def path(self, value: str) -> str:
        for dst, local in sorted(self.paths.items(), key=lambda kv: -len(kv[0])):
            if value == dst or value.startswith(dst + "/"):
                return local + value[len(dst):]
        return value

    def arg(self, value: str) -> str:
        if value.startswith("--") and "=" in value:
            flag, _, v = value.partition("=")
            return f"{flag}={self.arg(v)}"
        if value in self.ports:
            return self.ports[value]
        if value in self.hosts:
            return self.hosts[value]
        m = _HOST_PORT.match(value)
        if m:
            return f"{self.hosts.get(m.group(1), m.group(1))}:{self.ports.get(m.group(2), m.group(2))}"
        if value in ("hawk", "ray"):
            return str(BIN / value)
        return self.path(value)

    def argv(self, cmd: list[str]) -> list[str]:
        return [self.arg(a) for a in cmd]

    def env(self, service: dict, extra: dict[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
        env.update({k: self.arg(str(v)) for k, v in (service.get("environment") or {}).items()})
        env.update(extra)
        return env


def COMPOSE_WORK(work: Path) -> Path:  # noqa: N802 - the compose folder's stand-in (token.txt, specs/)
    return work / "compose"


class Processes:
    """Every process this test starts, each in its own session, with its log; all stopped at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        out = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        p = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        self.procs.append((name, p))
        return p

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def tails(self) -> str:
        return "\n".join(f"--- {n}.log\n{self.log(n)[-3000:]}" for n, _ in self.procs)

    def stop(self) -> None:
        """SIGTERM every session (agents drain; the Ray head's daemons are in its session), SIGKILL what is
        left after a grace period (Ray's daemons may linger), then wait until every session is empty."""
        for _, p in reversed(self.procs):
            _signal_group(p.pid, signal.SIGTERM)
        for grace, sig in ((5, signal.SIGKILL), (10, None)):
            end = time.monotonic() + grace
            while time.monotonic() < end and self.alive():
                for _, p in self.procs:
                    p.poll()
                time.sleep(0.2)
            if sig is not None:
                for _, p in self.procs:
                    _signal_group(p.pid, sig)
        for _, p in self.procs:
            if p.poll() is None:
                p.wait()

    def alive(self) -> list[int]:
        return [pid for _, p in self.procs for pid in _session(p.pid)]


def _session(sid: int) -> list[int]:
    """Live processes of a session (a `ray start` leaves its daemons there after it exits)."""
    found = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.getsid(int(d)) == sid and not Path(f"/proc/{d}/stat").read_text().split(") ")[1].startswith("Z"):
                    found.append(int(d))
            except (OSError, IndexError):
                continue
    return found


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _wait_for(procs: Processes, name: str, text: str, timeout_s: float) -> None:
    end = time.monotonic() + timeout_s
    p = dict(procs.procs)[name]
    while text not in procs.log(name):
        if p.poll() is not None or time.monotonic() > end:
            pytest.fail(f"{name} did not print {text!r} (status {p.poll()}):\n{procs.tails()}")
        time.sleep(0.2)


@pytest.fixture
def work() -> Iterator[Path]:
    import tempfile

    # Short: Ray's unix sockets live under its temp dir, and their paths are limited to ~107 bytes.
    path = Path(tempfile.mkdtemp(prefix="hcs-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_compose_services_run_a_campaign(work: Path) -> None:
    compose = yaml.safe_load((COMPOSE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"controller", "agent", "prometheus", "grafana"} <= set(services)
    assert all("hawk_token" in services[s]["secrets"] for s in ("controller", "agent"))
    (work / "logs").mkdir()
    procs = Processes(work / "logs")
    env_in = {"HAWK_AGENT_BACKEND": "null"}  # `HAWK_AGENT_BACKEND=null docker compose up`
    loopback = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}  # Ray's switch that keeps a head on 127.0.0.1
    assert services["controller"]["environment"]["RAY_AUTH_MODE"] == "token"

    # The one documented setup command, into the compose folder's stand-in.
    cdir = COMPOSE_WORK(work)
    cdir.mkdir()
    init = subprocess.run([str(BIN / "hawk"), "farm", "init", str(cdir), "--backend", "null"],
                          capture_output=True, text=True)
    assert init.returncode == 0, init.stdout + init.stderr
    token_file = cdir / compose["secrets"]["hawk_token"]["file"]
    for secret in compose["secrets"].values():
        assert (cdir / secret["file"]).stat().st_mode & 0o777 == 0o600, secret
    token = token_file.read_text().strip()

    registry_port, gcs_port = _free_port(), _free_port()
    hosts = {"controller": "127.0.0.1"}
    try:
        # --- controller: `ray start --head`, then `hawk farm serve` (the Registry and scheduler metrics).
        ctl = services["controller"]
        ctl_map = Mapping(compose, ctl, work, hosts, {"6379": str(gcs_port), "50050": str(registry_port),
                                                        "9102": str(_free_port()), "9101": str(_free_port())})
        ray_address = f"127.0.0.1:{gcs_port}"
        ctl_env = ctl_map.env(ctl, loopback)
        assert ctl_env["RAY_ADDRESS"] == ray_address  # the controller's own RAY_ADDRESS, its port mapped
        steps = _command(ctl, env_in)
        assert [s[:3] for s in steps[:1]] == [["ray", "start", "--head"]], steps
        assert steps[-1][:3] == ["hawk", "farm", "serve"], steps
        ray_start = ctl_map.argv(steps[0]) + [  # its own temp dir and ports, as a second head on one machine needs
            f"--temp-dir={work / 'ray'}", "--include-dashboard=false",
            *(f"--{p}={_free_port()}" for p in ("ray-client-server-port", "dashboard-agent-listen-port",
                                                "dashboard-agent-grpc-port", "runtime-env-agent-port",
                                                "metrics-export-port", "node-manager-port", "object-manager-port"))]
        t0 = time.monotonic()
        head = procs.start("ray-head", ray_start, ctl_env)
        assert head.wait(120) == 0, procs.tails()
        t_head = time.monotonic()
        procs.start("controller", ctl_map.argv(steps[-1]), ctl_env)
        _wait_for(procs, "controller", "registry on", 90)
        t_registry = time.monotonic()

        # --- two replicas of the agent service, registering with the controller's Registry.
        agent = services["agent"]
        agent_ports: list[int] = []
        probes: list[tuple[list[str], dict[str, str]]] = []
        for i in range(2):
            port = _free_port()
            agent_ports.append(port)
            amap = Mapping(compose, agent, work, hosts, {"50050": str(registry_port), "50051": str(port),
                                                          "9100": str(_free_port())})
            (argv,) = _command(agent, env_in)
            assert "--token-file" in argv and "--register" in argv
            procs.start(f"agent-{i + 1}", amap.argv(argv), amap.env(agent, {}))
            probes.append((amap.argv(agent["healthcheck"]["test"][1:]), amap.env(agent, {})))

        # --- agents require the token: a request without it is refused, with it answered.
        for port in agent_ports:
            _wait_port(port, procs)
            with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
                stub = agent_pb2_grpc.NpuAgentStub(ch)
                with pytest.raises(grpc.RpcError) as refused:
                    stub.GetInfo(agent_pb2.GetInfoRequest(), timeout=10)
                assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
                info = stub.GetInfo(agent_pb2.GetInfoRequest(), timeout=10,
                                    metadata=[("authorization", f"Bearer {token}")])
                assert info.backend == "null"
        for argv, env in probes:  # each agent's own healthcheck command answers SERVING
            probe = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
            assert probe.returncode == 0 and "SERVING" in probe.stdout, probe.stdout + probe.stderr
        with grpc.insecure_channel(f"127.0.0.1:{registry_port}") as ch:
            with pytest.raises(grpc.RpcError) as refused:
                registry_pb2_grpc.RegistryStub(ch).Register(registry_pb2.RegisterRequest(address="127.0.0.1:1"),
                                                            timeout=10)
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED

        # --- the controller's documented campaign command, inside the controller's environment.
        spec = cdir / "specs" / "campaign.toml"
        text = spec.read_text()
        for dst in sorted(ctl_map.paths, key=len, reverse=True):
            text = text.replace(f'"{dst}', f'"{ctl_map.paths[dst]}')
        spec.write_text(text.replace('"0.0.0.0:50050"', f'"127.0.0.1:{registry_port}"'))
        campaign_cmd = [str(c) for c in ctl["x-campaign-command"]]
        assert campaign_cmd[:3] == ["hawk", "campaign", "run"] and "--ray-address" in campaign_cmd
        assert campaign_cmd[campaign_cmd.index("--ray-address") + 1] == "auto"
        t_campaign = time.monotonic()
        run = subprocess.run(ctl_map.argv(campaign_cmd) + ["--quiet"], env=ctl_env, capture_output=True, text=True,
                             timeout=240)
        assert run.returncode == 0, f"{run.stdout}\n{run.stderr}\n{procs.tails()}"

        store = ResultsStore(Path(ctl_map.path(ctl["environment"]["HAWK_HOME"])) / "results.sqlite")
        (row,) = store.campaigns()
        assert row["state"] == "finished", row
        counts = store.counts(row["id"])
        evaluated = sum(v for k, v in counts.items() if k != "pending")
        assert evaluated >= 8 and counts.get("pending", 0) == 0, counts
        # The scheduler and knowledge actors (detached, still alive) hold the controller's `hawk-state`
        # resource: that is what pins them to the node with the state volume (docs/operations.md).
        state = ctl["environment"]["HAWK_STATE_RESOURCE"]
        probe = ("import json, ray; ray.init(address='auto', log_to_driver=False); "
                 f"print(json.dumps([ray.cluster_resources().get({state!r}), "
                 f"ray.available_resources().get({state!r})]))")
        held = subprocess.run([sys.executable, "-c", probe], env=ctl_env, capture_output=True, text=True, timeout=120)
        assert held.returncode == 0, held.stderr[-3000:]
        total, available = json.loads(held.stdout.strip().splitlines()[-1])
        assert total == 1 and available == pytest.approx(total - 2 * 0.001), (total, available)
        print(f"campaign {row['id']}: {counts}; ray start {t_head - t0:.1f} s, farm serve "
              f"{t_registry - t_head:.1f} s, agents {t_campaign - t_registry:.1f} s, campaign "
              f"{time.monotonic() - t_campaign:.1f} s")
    finally:
        t_stop = time.monotonic()
        procs.stop()
        print(f"stop {time.monotonic() - t_stop:.1f} s")
    assert not procs.alive(), f"processes left running: {procs.alive()}"


def _wait_port(port: int, procs: Processes, timeout_s: float = 60) -> None:
    end = time.monotonic() + timeout_s
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > end:
            pytest.fail(f"nothing listens on {port}:\n{procs.tails()}")
        time.sleep(0.2)


def test_compose_mounts_exist_and_prometheus_config_is_valid(tmp_path: Path) -> None:
    """Every file the compose services mount is in the repository (except what `hawk farm init` writes), and
    the compose Prometheus configuration, with the rules it mounts beside it, passes promtool."""
    compose = yaml.safe_load((COMPOSE_DIR / "docker-compose.yml").read_text())
    written_by_init = {"./specs"} | {s["file"] for s in compose["secrets"].values()}
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            src, _, dst = volume.partition(":")
            if dst and src.startswith(".") and src not in written_by_init:
                assert (COMPOSE_DIR / src).exists(), f"{name}: {src} (mounted at {dst}) does not exist"
    mounts = {v.split(":")[1]: v.split(":")[0] for v in compose["services"]["prometheus"]["volumes"]}
    for dst, src in mounts.items():
        (tmp_path / Path(dst).name).write_bytes((COMPOSE_DIR / src).read_bytes())
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("HAWK_REQUIRE_PROMETHEUS") == "1":
            pytest.fail("promtool is required (HAWK_REQUIRE_PROMETHEUS=1) but not installed")
        pytest.skip("promtool not installed (.ci/run installs Debian's prometheus package)")
    out = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_farm_init_keeps_tokens_and_refuses_a_readable_one(tmp_path: Path) -> None:
    from controller.farm_cli import init
    from npu_agent.errors import UsageError

    hawk = str(BIN / "hawk")
    first = subprocess.run([hawk, "farm", "init", str(tmp_path)], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    token = (tmp_path / "token.txt").read_text()
    assert (tmp_path / "ray_token.txt").read_text() != token
    assert any(line.startswith("kept") for line in init(tmp_path))
    assert (tmp_path / "token.txt").read_text() == token  # never rotated behind running agents' backs
    (tmp_path / "token.txt").chmod(0o644)
    bad = subprocess.run([hawk, "farm", "init", str(tmp_path)], capture_output=True, text=True)
    assert bad.returncode == 2 and "token.txt" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    with pytest.raises(UsageError, match="not a directory"):
        init(tmp_path / "nope")
