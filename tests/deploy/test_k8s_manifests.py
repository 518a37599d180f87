"""deploy/k8s/: the rendered manifests are valid Kubernetes objects (checked
offline against the bundled JSON schemas), and each service is deployed the
way the platform needs: probes, resources, a disruption budget, autoscaling,
its own store's Secret, the variables its settings class reads."""

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from core_api.settings import CoreApiSettings
from feature_api.settings import FeatureSettings
from sendfx_dev import gateway, k8s
from sendfx_dev.stack import find_root
from sendfx_shared.settings import SendfxSettings
from usage_ingestor.settings import IngestorSettings

ROOT = find_root(Path(__file__).parent)
BASE = ROOT / "deploy" / "k8s" / "base"
OVERLAYS = sorted((ROOT / "deploy" / "k8s" / "overlays").iterdir())
KUBERNETES = "1.32"
SERVICES: dict[str, type[SendfxSettings]] = {
    "core-api": CoreApiSettings,
    "feature-api": FeatureSettings,
    "usage-ingestor": IngestorSettings,
}
STORE = {"core-api": "POSTGRES_URL", "usage-ingestor": "POSTGRES_URL", "feature-api": "MONGO_URL"}


@pytest.fixture(scope="module")
def objects() -> list[dict[str, Any]]:
    return k8s.render(BASE)


def _one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    [found] = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def test_every_object_is_valid_against_the_kubernetes_schemas(
    objects: list[dict[str, Any]],
) -> None:
    for manifest in objects:
        kubernetes_validate.validate(manifest, KUBERNETES, strict=True)
        assert manifest["kind"] == "Namespace" or manifest["metadata"]["namespace"] == "sendfx"
    example = list(yaml.safe_load_all((BASE / "secrets.example.yaml").read_text()))
    for secret in example:
        kubernetes_validate.validate(secret, KUBERNETES, strict=True)


@pytest.mark.parametrize("name", [*SERVICES, "gateway"])
def test_each_deployment_is_probed_bounded_budgeted_scaled_and_served(
    objects: list[dict[str, Any]], name: str
) -> None:
    deployment = _one(objects, "Deployment", name)
    labels = deployment["spec"]["selector"]["matchLabels"]
    assert deployment["spec"]["template"]["metadata"]["labels"] == labels
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert "livenessProbe" in container
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    assert _one(objects, "PodDisruptionBudget", name)["spec"]["selector"]["matchLabels"] == labels
    assert _one(objects, "Service", name)["spec"]["selector"] == labels
    autoscaler = _one(objects, "HorizontalPodAutoscaler", name)["spec"]
    assert autoscaler["scaleTargetRef"]["name"] == name
    assert autoscaler["minReplicas"] == deployment["spec"]["replicas"] >= 2
    assert any(m.get("resource", {}).get("name") == "cpu" for m in autoscaler["metrics"])


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_reads_its_own_store_from_its_secret_under_its_variables(
    objects: list[dict[str, Any]], name: str
) -> None:
    [container] = _one(objects, "Deployment", name)["spec"]["template"]["spec"]["containers"]
    assert [s["secretRef"]["name"] for s in container["envFrom"]] == ["kafka", name]
    env = {e["name"] for e in container["env"]}
    settings = SERVICES[name]
    assert {settings.variable_of("host"), settings.variable_of("port")} <= env
    port = next(e["value"] for e in container["env"] if e["name"] == settings.variable_of("port"))
    assert container["ports"][0]["containerPort"] == int(port)
    secrets = {
        s["metadata"]["name"]: s
        for s in yaml.safe_load_all((BASE / "secrets.example.yaml").read_text())
    }
    keys = set(secrets[name]["stringData"])
    assert STORE[name] in keys and not (set(STORE.values()) - {STORE[name]}) & keys


def test_ingestors_scale_on_consumer_lag_up_to_the_partition_count(
    objects: list[dict[str, Any]],
) -> None:
    autoscaler = _one(objects, "HorizontalPodAutoscaler", "usage-ingestor")["spec"]
    assert autoscaler["maxReplicas"] <= IngestorSettings().topic_partitions
    [lag] = [m for m in autoscaler["metrics"] if m["type"] == "External"]
    assert lag["external"]["metric"]["name"] == "sendfx_consumer_lag"
    assert lag["external"]["metric"]["selector"]["matchLabels"]["group"] == "usage-ingestor"


def test_each_feature_api_pod_has_a_projection_group_of_its_own(
    objects: list[dict[str, Any]],
) -> None:
    [container] = _one(objects, "Deployment", "feature-api")["spec"]["template"]["spec"][
        "containers"
    ]
    [instance] = [
        e for e in container["env"] if e["name"] == FeatureSettings.variable_of("instance")
    ]
    assert instance["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"


def test_the_gateway_serves_the_one_template_with_every_placeholder_set(
    objects: list[dict[str, Any]],
) -> None:
    template = (ROOT / gateway.SERVER_TEMPLATE).read_text()
    assert _one(objects, "ConfigMap", "gateway-templates")["data"] == {
        "default.conf.template": template
    }
    [container] = _one(objects, "Deployment", "gateway")["spec"]["template"]["spec"]["containers"]
    assert gateway.placeholders(template) == {e["name"] for e in container["env"]}
    upstreams = {e["name"]: e["value"] for e in container["env"] if e["name"].endswith("_UPSTREAM")}
    for name in SERVICES:
        service = _one(objects, "Service", name)
        assert f"{name}:{service['spec']['ports'][0]['port']}" in upstreams.values()


@pytest.mark.parametrize("folder", OVERLAYS, ids=lambda p: p.name)
def test_each_overlay_is_valid_and_pins_every_service_image(folder: Path) -> None:
    built = k8s.render(folder)
    for manifest in built:
        kubernetes_validate.validate(manifest, KUBERNETES, strict=True)
    deployments = {o["metadata"]["name"]: o for o in built if o["kind"] == "Deployment"}
    assert set(deployments) == {*SERVICES, "gateway"}
    for name in SERVICES:
        [container] = deployments[name]["spec"]["template"]["spec"]["containers"]
        registry, _, tag = container["image"].rpartition(":")
        assert registry.endswith(f"/sendfx/{name}") and tag


@pytest.mark.parametrize("folder", [BASE, *OVERLAYS], ids=lambda p: p.name)
def test_the_loader_builds_what_kubectl_kustomize_builds(folder: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed; the loader's output is validated above")
    built = subprocess.run(
        [kubectl, "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(folder)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def keyed(items: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
        return {(o["kind"], o["metadata"]["name"]): o for o in items}

    assert keyed(list(yaml.safe_load_all(built))) == keyed(k8s.render(folder))
