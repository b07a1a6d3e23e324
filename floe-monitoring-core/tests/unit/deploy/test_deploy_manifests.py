"""deploy/: the container build file and the Kubernetes manifests agree with the code.

Nothing is built or applied here (no container engine, no cluster): every file is
parsed and checked against what the monitor really serves and reads.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from floe_monitoring.channels import ChannelRegistry, build_channel
from floe_monitoring.config import CONFIG_ENV, MonitorConfig, ServiceConfig, parse_config
from floe_monitoring.contracts import parse_contract
from floe_monitoring.sdk import InMemoryChannelState
from floe_monitoring.service import MonitorService

REPO = Path(__file__).resolve().parents[4]
DEPLOY = REPO / "deploy"
KUBE = DEPLOY / "kubernetes"
CONTAINERFILE = DEPLOY / "Containerfile"
NAMESPACE = "floe-monitoring"
# ${NAME} or ${NAME:-default}, as floe_monitoring.sdk.config_sources reads them.
REFERENCE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}")
# Plausible values for what the Secret provides, to validate the config with.
SAMPLE_ENV = {
    "FLOE_STATE_URL": "postgresql+asyncpg://floe:pw@postgres:5432/floe",
    "FLOE_CATALOG_CREDENTIAL": "client:secret",
    "FLOE_WEBHOOK_URL": "https://alerts.example.com/floe",
    "FLOE_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "FLOE_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/XXXX",
}


def _documents() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(KUBE.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document is not None:
                yield path, document


DOCUMENTS = list(_documents())


def _one(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [
        d
        for _, d in DOCUMENTS
        if d.get("kind") == kind and (name is None or d["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


@pytest.fixture(scope="module")
def deployment() -> dict[str, Any]:
    return _one("Deployment")


@pytest.fixture(scope="module")
def container(deployment: dict[str, Any]) -> dict[str, Any]:
    [monitor] = deployment["spec"]["template"]["spec"]["containers"]
    assert isinstance(monitor, dict)
    return monitor


@pytest.fixture(scope="module")
def env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container["env"]}


@pytest.fixture(scope="module")
def config_text(container: dict[str, Any], env: dict[str, dict[str, Any]]) -> str:
    """The floe-monitor.yaml the container reads (via FLOE_MONITOR_CONFIG)."""
    path = Path(env[CONFIG_ENV]["value"])
    volume = _volume_at(container, path.parent)
    configmap = _one("ConfigMap", volume["configMap"]["name"])
    text = configmap["data"][path.name]
    assert isinstance(text, str)
    return text


@pytest.fixture(scope="module")
def config(config_text: str) -> MonitorConfig:
    return parse_config(config_text, source="configmap floe-monitor.yaml", env=SAMPLE_ENV)


def _volume_at(container: dict[str, Any], mount_path: Path) -> dict[str, Any]:
    deployment = _one("Deployment")
    [mount] = [m for m in container["volumeMounts"] if Path(m["mountPath"]) == mount_path]
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    [volume] = [v for v in volumes if v["name"] == mount["name"]]
    assert isinstance(volume, dict)
    return volume


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str]]:
    """(method, path) of every route `MonitorService` serves (built, never started)."""
    # Building the service builds its store: a SQLite file under base_dir, kept in tmp.
    base = tmp_path_factory.mktemp("service")
    service = MonitorService(MonitorConfig(base_dir=base))
    return set(service.server.routes)


def _port_number(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    [named] = [p for p in container["ports"] if p.get("name") == port]
    number = named["containerPort"]
    assert isinstance(number, int)
    return number


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Containerfile, continuation lines joined."""
    text = CONTAINERFILE.read_text(encoding="utf-8")
    joined = re.sub(r"\\\n", " ", text)
    found = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            word, _, rest = stripped.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def _exec_form(argument: str) -> list[str]:
    value = json.loads(argument)
    assert isinstance(value, list)
    return [str(v) for v in value]


# -- every manifest ------------------------------------------------------------------


def test_every_manifest_is_a_named_kubernetes_object_in_the_namespace() -> None:
    assert len(DOCUMENTS) >= 8
    for path, document in DOCUMENTS:
        assert {"apiVersion", "kind"} <= set(document), path
        if document["kind"] == "Kustomization":
            continue
        assert document["metadata"]["name"], path
        if document["kind"] != "Namespace":
            assert document["metadata"]["namespace"] == NAMESPACE, path
    assert _one("Namespace")["metadata"]["name"] == NAMESPACE


def test_the_kustomization_lists_every_manifest() -> None:
    kustomization = _one("Kustomization")
    listed = set(kustomization["resources"])
    present = {p.name for p in KUBE.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present
    assert kustomization["namespace"] == NAMESPACE
    image = _one("Deployment")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image in {i["name"] for i in kustomization["images"]}


# -- the Deployment ------------------------------------------------------------------


def test_replicas_selector_and_pod_labels_agree(deployment: dict[str, Any]) -> None:
    spec = deployment["spec"]
    assert spec["replicas"] == 3
    labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= labels.items()
    service = _one("Service")
    assert service["spec"]["selector"].items() <= labels.items()
    budget = _one("PodDisruptionBudget")
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert budget["spec"]["maxUnavailable"] < spec["replicas"]


def test_probes_use_the_paths_and_port_the_service_serves(
    container: dict[str, Any], routes: set[tuple[str, str]]
) -> None:
    expected_port = ServiceConfig().port
    assert [p["containerPort"] for p in container["ports"]] == [expected_port]
    probes = {
        name: container[name]["httpGet"]
        for name in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert probes["livenessProbe"]["path"] == "/healthz"
    assert probes["readinessProbe"]["path"] == "/readyz"
    for probe in probes.values():
        assert ("GET", probe["path"]) in routes
        assert _port_number(container, probe["port"]) == expected_port


def test_the_config_file_comes_from_the_configmap_named_by_the_code_s_env(
    container: dict[str, Any], env: dict[str, dict[str, Any]], config_text: str
) -> None:
    assert CONFIG_ENV == "FLOE_MONITOR_CONFIG"
    assert CONFIG_ENV in env
    assert env[CONFIG_ENV]["value"].endswith("/floe-monitor.yaml")
    assert "contracts:" in config_text
    mount = Path(env[CONFIG_ENV]["value"]).parent
    assert [m["readOnly"] for m in container["volumeMounts"] if Path(m["mountPath"]) == mount] == [
        True
    ]


def test_every_secret_the_config_refers_to_comes_from_the_secret(
    config_text: str, env: dict[str, dict[str, Any]]
) -> None:
    secret = _one("Secret")
    keys = set(secret["stringData"])
    required = {m.group(1) for m in REFERENCE.finditer(config_text) if m.group(2) is None}
    assert required, "the config should read its secrets from the environment"
    assert required <= set(env)
    assert required == set(SAMPLE_ENV)
    for name in required:
        source = env[name]["valueFrom"]["secretKeyRef"]
        assert source["name"] == secret["metadata"]["name"]
        assert source["key"] in keys
    # Nothing in the Secret goes unused.
    used = {
        e["valueFrom"]["secretKeyRef"]["key"]
        for e in env.values()
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    assert used == keys


def test_resources_and_security_context_are_set(
    deployment: dict[str, Any], container: dict[str, Any]
) -> None:
    resources = container["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"])
    assert {"cpu", "memory"} <= set(resources["limits"])
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["automountServiceAccountToken"] is False
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    writable = [m for m in container["volumeMounts"] if not m.get("readOnly")]
    assert [m["mountPath"] for m in writable] == ["/tmp"]  # noqa: S108 - an emptyDir


# -- the config in the ConfigMap -----------------------------------------------------


def test_the_configmap_config_validates_and_matches_the_deployment(
    config: MonitorConfig, deployment: dict[str, Any], container: dict[str, Any]
) -> None:
    assert config.service.port == container["ports"][0]["containerPort"]
    assert config.service.host == "0.0.0.0"  # noqa: S104 - the pod's probes come from outside
    assert config.service.prometheus is True
    grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert config.service.shutdown_grace.total_seconds() < grace
    assert config.state_url().startswith("postgresql+asyncpg://")
    [pattern] = config.contracts
    contracts_mount = Path(pattern).parent
    volume = _volume_at(container, contracts_mount)
    assert volume["configMap"]["name"] == "floe-monitor-contracts"
    assert {rule.channel for rule in config.routing} <= set(config.channels)


def test_every_channel_in_the_configmap_builds(config: MonitorConfig) -> None:
    registry = ChannelRegistry()
    built = {
        name: build_channel(
            entry.type,
            entry.settings(),
            instance_name=name,
            registry=registry,
            state=InMemoryChannelState(),
            env=SAMPLE_ENV,
        )
        for name, entry in config.channels.items()
    }
    assert {type(channel).name for channel in built.values()} == {"webhook", "slack"}


def test_every_contract_in_the_contracts_configmap_loads() -> None:
    data = _one("ConfigMap", "floe-monitor-contracts")["data"]
    assert data
    for name, text in data.items():
        assert name.endswith(".yaml")
        contract = parse_contract(text, source=name)
        assert contract.iceberg_server is not None
        assert contract.iceberg_server.catalog == "default"


def test_the_service_exposes_the_probe_port_for_metrics(
    container: dict[str, Any], routes: set[tuple[str, str]]
) -> None:
    service = _one("Service")
    [port] = service["spec"]["ports"]
    assert port["port"] == ServiceConfig().port
    assert _port_number(container, port["targetPort"]) == ServiceConfig().port
    annotations = service["metadata"]["annotations"]
    assert ("GET", annotations["prometheus.io/path"]) in routes
    assert int(annotations["prometheus.io/port"]) == ServiceConfig().port


# -- the Containerfile ---------------------------------------------------------------


def test_the_containerfile_runs_floe_sla_monitor_as_a_non_root_user(
    container: dict[str, Any],
) -> None:
    instructions = _instructions()
    kinds = [kind for kind, _ in instructions]
    assert kinds.count("FROM") >= 2  # multi-stage: build tools stay out of the image
    last_from = len(kinds) - 1 - kinds[::-1].index("FROM")
    final = instructions[last_from:]
    [entrypoint] = [_exec_form(a) for k, a in final if k == "ENTRYPOINT"]
    [cmd] = [_exec_form(a) for k, a in final if k == "CMD"]
    assert [*entrypoint, *cmd] == ["floe", "sla", "monitor"]
    # The Deployment's args replace CMD: they must still say `sla monitor`.
    assert [*entrypoint, *container["args"]] == ["floe", "sla", "monitor"]
    [user] = [a for k, a in final if k == "USER"]
    assert user.split(":")[0] not in ("root", "0")
    [exposed] = [a for k, a in final if k == "EXPOSE"]
    assert int(exposed.split("/")[0]) == ServiceConfig().port
    [healthcheck] = [a for k, a in final if k == "HEALTHCHECK"]
    assert f":{ServiceConfig().port}/healthz" in healthcheck


def test_the_containerfile_installs_the_core_extras_and_every_channel() -> None:
    text = " ".join(shlex.split(" ".join(a for k, a in _instructions() if k == "RUN")))
    assert (
        "--package floe-monitoring-core --extra iceberg --extra postgres --extra telemetry" in text
    )
    for channel in ("webhook", "slack", "pagerduty", "email"):
        assert f"/dist/floe_alert_{channel}-*.whl" in text
    assert "/dist/floe_monitoring_core-*.whl" in text
    assert "--require-hashes" in text
    env_lines = " ".join(a for k, a in _instructions() if k == "ENV")
    assert f"{CONFIG_ENV}=/etc/floe/config/floe-monitor.yaml" in env_lines


def test_the_readme_names_the_files_it_describes() -> None:
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    for path in [CONTAINERFILE, *KUBE.glob("*.yaml")]:
        assert path.name in readme, path.name
    assert CONFIG_ENV in readme
