"""Every Kubernetes manifest in deploy/kubernetes/ is valid, strictly, and its pieces fit together.

Core kinds (DaemonSet, Service, Secret, ...) are validated with kubernetes-validate (PyPI), which ships the
Kubernetes OpenAPI schemas per release, in its strict mode (unknown fields are errors, as with
`kubectl apply --validate=strict`). No registry distributes the KubeRay CRD schemas, so the RayCluster is
validated with jsonschema against a schema we wrote from KubeRay's API reference (tests/deploy/schemas/README.md),
strict on unknown fields, and each of its pod templates strictly with kubernetes-validate as a core PodTemplate.
Each validator is shown to reject a typo.
Then the cross-references a schema cannot see: the stateful actors' placement, the Registry Service, the
Secret and volume names, the NPU scheduling of the agents.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBE = ROOT / "deploy" / "kubernetes"
RAYCLUSTER_SCHEMA = Path(__file__).parent / "schemas" / "raycluster-v1.schema.json"
# The oldest Kubernetes with every field used here (sidecar-era probes, PVC fields) and the newest the package ships.
K8S_VERSIONS = ("1.29.0", kubernetes_validate.latest_version())


def _docs() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(KUBE.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                out.append((f"{path.name}:{doc['kind']}/{doc['metadata']['name']}", doc))
    return out


DOCS = _docs()


def _kind(kind: str) -> list[dict[str, Any]]:
    return [d for _, d in DOCS if d["kind"] == kind]


@cache
def _raycluster_validator() -> jsonschema.Validator:
    schema = json.loads(RAYCLUSTER_SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def _validate(doc: dict[str, Any], version: str) -> None:
    if doc["apiVersion"] == "ray.io/v1" and doc["kind"] == "RayCluster":
        errors = sorted(_raycluster_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
        if errors:
            raise AssertionError("; ".join(f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors))
        spec = doc["spec"]
        for where, group in [("headGroupSpec", spec["headGroupSpec"]),
                             *((f"workerGroupSpecs.{i}", g) for i, g in enumerate(spec.get("workerGroupSpecs", [])))]:
            pod = {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": where.lower().replace(".", "-")},
                   "template": group["template"]}
            try:
                kubernetes_validate.validate(pod, version, strict=True)
            except kubernetes_validate.ValidationError as e:
                raise AssertionError(f"{where}.{'.'.join(map(str, e.path))}: {e.message}") from None
        return
    kubernetes_validate.validate(doc, version, strict=True)


def test_the_manifests_are_all_there() -> None:
    """A kind without a schema is an error in `_validate` (kubernetes-validate raises SchemaNotFoundError)."""
    kinds = {(d["apiVersion"], d["kind"]) for _, d in DOCS}
    assert {("ray.io/v1", "RayCluster"), ("apps/v1", "DaemonSet"), ("v1", "Service"), ("v1", "Secret"),
            ("v1", "PersistentVolumeClaim"), ("v1", "ConfigMap")} <= kinds, kinds


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("name,doc", DOCS, ids=[n for n, _ in DOCS])
def test_manifest_is_valid(name: str, doc: dict[str, Any], version: str) -> None:
    try:
        _validate(doc, version)
    except kubernetes_validate.ValidationError as e:
        pytest.fail(f"{name} (Kubernetes {version}): {'.'.join(map(str, e.path))}: {e.message}")


@pytest.mark.parametrize("kind,path,field", [
    ("RayCluster", ["spec", "headGroupSpec"], "rayStartParam"),
    ("RayCluster", ["spec", "headGroupSpec", "template", "spec", "containers", 0], "volumeMount"),
    ("DaemonSet", ["spec", "template", "spec"], "nodeSelektor"),
    ("Service", ["spec"], "selectr"),
])
def test_validators_reject_a_typo(kind: str, path: list, field: str) -> None:
    doc = copy.deepcopy(_kind(kind)[0])
    node = doc
    for key in path:
        node = node[key]
    node[field] = {}
    with pytest.raises((AssertionError, kubernetes_validate.ValidationError)):
        _validate(doc, K8S_VERSIONS[-1])


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def test_state_lives_where_its_actors_run() -> None:
    """The head alone offers the `hawk-state` resource and mounts the state volume; every process that creates
    the stateful actors (drivers in ray-head, `hawk farm serve`) asks for that resource by env."""
    from controller.scheduler_actor import STATE_RESOURCE_ENV

    (rc,) = _kind("RayCluster")
    head = rc["spec"]["headGroupSpec"]
    resource = next(iter(head["resources"]))
    assert float(head["resources"][resource]) >= 1
    for group in rc["spec"]["workerGroupSpecs"]:
        assert resource not in group.get("resources", {}) and "resources" not in group["rayStartParams"]
    pod = head["template"]["spec"]
    for c in pod["containers"]:
        assert _env(c)[STATE_RESOURCE_ENV] == resource, c["name"]
    ray_head = pod["containers"][0]
    home = _env(ray_head)["HAWK_HOME"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounted = {m["mountPath"]: m["name"] for m in ray_head["volumeMounts"]}
    claim = volumes[mounted[home]]["persistentVolumeClaim"]["claimName"]
    assert claim in {d["metadata"]["name"] for d in _kind("PersistentVolumeClaim")}
    for group in rc["spec"]["workerGroupSpecs"]:  # the volume is the head's alone (ReadWriteOnce)
        assert "persistentVolumeClaim" not in json.dumps(group)


def test_registry_service_reaches_the_scheduler() -> None:
    (rc,) = _kind("RayCluster")
    services = {d["metadata"]["name"]: d for d in _kind("Service")}
    pod = rc["spec"]["headGroupSpec"]["template"]["spec"]
    serve = next(c for c in pod["containers"] if c.get("command", [])[:3] == ["hawk", "farm", "serve"])
    registry_port = int(serve["command"][serve["command"].index("--registry") + 1].rpartition(":")[2])
    (ds,) = _kind("DaemonSet")
    agent = ds["spec"]["template"]["spec"]["containers"][0]
    host, _, port = agent["command"][agent["command"].index("--register") + 1].rpartition(":")
    svc = services[host]
    # KubeRay labels the head pod with its cluster's name and node type.
    assert svc["spec"]["selector"] == {"ray.io/cluster": rc["metadata"]["name"], "ray.io/node-type": "head"}
    (p,) = [p for p in svc["spec"]["ports"] if p["port"] == int(port)]
    assert p["targetPort"] == registry_port
    assert any(cp["containerPort"] == registry_port for c in pod["containers"] for cp in c.get("ports", []))


def test_token_secret_is_mounted_where_the_commands_read_it() -> None:
    secrets = {d["metadata"]["name"]: d for d in _kind("Secret")}
    (rc,) = _kind("RayCluster")
    (ds,) = _kind("DaemonSet")
    pods = [rc["spec"]["headGroupSpec"]["template"]["spec"], ds["spec"]["template"]["spec"]]
    seen = 0
    for pod in pods:
        volumes = {v["name"]: v for v in pod["volumes"]}
        for c in pod["containers"]:
            cmd = c.get("command", [])
            if "--token-file" not in cmd:
                continue
            path = cmd[cmd.index("--token-file") + 1]
            (mount,) = [m for m in c["volumeMounts"] if path.startswith(m["mountPath"] + "/")]
            secret = volumes[mount["name"]]["secret"]
            assert secret["defaultMode"] & 0o077 == 0, "hawk refuses a token file others can read"
            key = path[len(mount["mountPath"]) + 1:]
            assert key in secrets[secret["secretName"]]["stringData"]
            seen += 1
    assert seen == 2
    # The example campaign spec names the same token path and the registry the sidecar serves.
    from controller.spec import parse_spec

    (cm,) = _kind("ConfigMap")
    spec = parse_spec(cm["data"]["campaign.toml"])
    assert spec.agents.token_file == "/etc/hawk/token" and spec.agents.registry.endswith(":50050")


def test_agents_run_on_labelled_npu_nodes() -> None:
    (ds,) = _kind("DaemonSet")
    pod = ds["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"hawk.farm/npu": "true"}
    (agent,) = pod["containers"]
    npus = agent["resources"]["limits"]["huawei.com/Ascend910"]  # Huawei's Ascend Device Plugin resource
    cmd = agent["command"]
    assert cmd[cmd.index("--devices") + 1] == npus
    assert any(t["key"] == "huawei.com/Ascend910" for t in pod["tolerations"])
    drain = float(cmd[cmd.index("--drain-timeout") + 1])
    assert pod["terminationGracePeriodSeconds"] > drain
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        argv = agent[probe]["exec"]["command"]
        assert argv[:3] == ["hawk", "farm", "health"] and "--token-file" in argv, probe
        from controller.cli import build_parser

        build_parser().parse_args(argv[1:])  # the probe's command line is one the CLI accepts


def test_commands_parse() -> None:
    """Every hawk command in the manifests is accepted by the CLI as written (flags and values)."""
    from controller.cli import build_parser

    n = 0
    for _, doc in DOCS:
        for c in _containers(doc):
            cmd = [a.replace("$(POD_IP)", "10.0.0.1") for a in c.get("command", [])]
            if cmd[:1] == ["hawk"]:
                build_parser().parse_args(cmd[1:])
                n += 1
    assert n >= 2, f"only {n} hawk commands found"


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    if doc["kind"] == "RayCluster":
        groups = [doc["spec"]["headGroupSpec"], *doc["spec"]["workerGroupSpecs"]]
        return [c for g in groups for c in g["template"]["spec"]["containers"]]
    if doc["kind"] == "DaemonSet":
        return doc["spec"]["template"]["spec"]["containers"]
    return []
