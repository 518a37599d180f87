"""docker-compose.yml cannot run here (no Docker engine), so check what can be:
it is a valid Compose file, and it stays in step with the local runner."""

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from sendfx_dev import gateway
from sendfx_dev.stack import DEFAULT_MONGO_URL, DEFAULT_POSTGRES_URL, StackConfig
from sendfx_shared.settings import DEFAULT_KAFKA

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("core-api", "usage-ingestor", "feature-api")
# Set in the containers only: where to bind and what the health check asks.
CONTAINER_ONLY = {"HOST", "HEALTH_URL"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


@pytest.fixture(scope="module")
def local() -> StackConfig:
    """The local runner's configuration with nothing set in the environment."""
    return StackConfig.from_env(ROOT, env={})


def _host_port(service: dict[str, Any], container_port: int) -> int:
    for mapping in service.get("ports", []):
        host, _, inside = str(mapping).rpartition(":")
        if int(inside) == container_port:
            return int(host.rsplit(":", 1)[-1])
    raise AssertionError(f"container port {container_port} is not published")


def _exposed(service: dict[str, Any]) -> set[int]:
    return {int(port) for port in service.get("expose", [])}


def test_compose_file_is_valid_against_the_compose_specification(
    compose: dict[str, Any],
) -> None:
    schema = json.loads((ROOT / "deploy" / "compose-spec.schema.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_schema_check_catches_a_broken_compose_file(compose: dict[str, Any]) -> None:
    """The schema is not vacuous: a typo in a service key is reported."""
    schema = json.loads((ROOT / "deploy" / "compose-spec.schema.json").read_text())
    broken = json.loads(json.dumps(compose))
    broken["services"]["core-api"]["enviroment"] = {"X": "1"}
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


def test_published_ports_match_the_local_defaults(
    compose: dict[str, Any], local: StackConfig
) -> None:
    services = compose["services"]
    assert _host_port(services["gateway"], 8080) == local.gateway_port == 8080
    # The others listen inside the internal network on the local ports.
    assert local.core_api_port in _exposed(services["core-api"])
    assert local.feature_api_port in _exposed(services["feature-api"])
    assert local.usage_ingestor_port in _exposed(services["usage-ingestor"])
    assert local.fake_openai_port in _exposed(services["fake-openai"])
    assert 5432 in _exposed(services["postgres"]) and 27017 in _exposed(services["mongo"])
    assert local.postgres_url == DEFAULT_POSTGRES_URL
    assert local.mongo_url == DEFAULT_MONGO_URL
    assert local.kafka_bootstrap_servers == DEFAULT_KAFKA


@pytest.mark.parametrize("component", SERVICES)
def test_each_service_gets_the_same_variables_as_locally(
    compose: dict[str, Any], local: StackConfig, component: str
) -> None:
    in_compose = set(compose["services"][component]["environment"]) - CONTAINER_ONLY
    assert in_compose == set(local.own_env(component))


@pytest.mark.parametrize(
    ("component", "forbidden"),
    [
        ("core-api", {"MONGO_URL", "LEGACY_MONGO_URL"}),
        ("usage-ingestor", {"MONGO_URL", "LEGACY_MONGO_URL"}),
        ("feature-api", {"POSTGRES_URL", "DATABASE_URL"}),
        ("migrator-extract", {"POSTGRES_URL", "DATABASE_URL"}),
        ("migrator-load", {"MONGO_URL", "LEGACY_MONGO_URL"}),
    ],
)
def test_no_process_is_given_the_other_store(
    compose: dict[str, Any], component: str, forbidden: set[str]
) -> None:
    assert not forbidden & set(compose["services"][component]["environment"])


def test_service_ports_in_the_environment_match_the_published_ones(
    compose: dict[str, Any],
) -> None:
    for component, variable in [
        ("core-api", "CORE_API_PORT"),
        ("feature-api", "FEATURE_API_PORT"),
        ("usage-ingestor", "USAGE_INGESTOR_PORT"),
    ]:
        service = compose["services"][component]
        port = int(service["environment"][variable])
        assert port in _exposed(service)
        assert service["environment"]["HEALTH_URL"] == f"http://127.0.0.1:{port}/healthz"


def test_every_built_service_names_a_console_script_of_its_package(
    compose: dict[str, Any],
) -> None:
    scripts: dict[str, set[str]] = {}
    for pyproject in [ROOT / "dev" / "pyproject.toml", *ROOT.glob("services/*/pyproject.toml")]:
        project = tomllib.loads(pyproject.read_text())["project"]
        scripts[project["name"]] = set(project.get("scripts", {}))
    built = {
        name: service["build"]["args"]
        for name, service in compose["services"].items()
        # the gateway's image has a recipe of its own (deploy/gateway.Dockerfile)
        if "build" in service and service["build"].get("dockerfile") == "deploy/Dockerfile"
    }
    assert {"core-api", "usage-ingestor", "feature-api", "migrator-load"} <= set(built)
    for name, args in built.items():
        package = args.get("PACKAGE", f"sendfx-{args['SERVICE']}")
        assert args["SERVICE"] in scripts[package], name


def test_the_dockerfile_builds_any_service_from_the_lock() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert re.search(r"^ARG SERVICE$", dockerfile, re.M)
    assert "uv sync --frozen" in dockerfile
    assert re.search(r"^FROM .* AS runtime$", dockerfile, re.M)


def test_mongo_is_a_one_node_replica_set_named_like_locally(compose: dict[str, Any]) -> None:
    mongo = compose["services"]["mongo"]
    assert mongo["image"].startswith("mongo:8")
    assert mongo["command"][:2] == ["--replSet", "secantus"]
    assert "rs.initiate" in " ".join(mongo["healthcheck"]["test"])
    assert "replicaSet=secantus" in compose["services"]["feature-api"]["environment"]["MONGO_URL"]


def test_every_process_has_its_own_store_principal_and_no_default_password(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    roles = {
        name: str(services[name]["environment"]["POSTGRES_URL"]).split("://")[1].split(":")[0]
        for name in ("core-api", "usage-ingestor", "migrator-load")
    }
    assert roles == {
        "core-api": "sendfx_core_api",
        "usage-ingestor": "sendfx_usage_ingestor",
        "migrator-load": "sendfx_migrator",
    }
    assert services["feature-api"]["environment"]["MONGO_URL"].startswith("mongodb://feature-api:")
    assert services["migrator-extract"]["environment"]["MONGO_USERNAME"] == "migrator-extract"
    assert "--auth" in services["mongo"]["command"]
    text = (ROOT / "docker-compose.yml").read_text()
    # every password is required from the environment: none ships with a default
    assert not re.search(r"PASSWORD:-", text)
    assert "/docker-entrypoint-initdb.d/" in json.dumps(services["postgres"]["volumes"])


def test_the_legacy_record_topic_has_a_finite_retention(compose: dict[str, Any]) -> None:
    command = " ".join(compose["services"]["kafka-topics"]["command"])
    assert "migrator.core-records" in command
    assert "retention.ms=604800000" in command


def test_kafka_runs_in_kraft_mode(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka")
    assert "controller" in kafka["environment"]["KAFKA_PROCESS_ROLES"]
    assert "ZOOKEEPER" not in json.dumps(kafka).upper()


def test_gateway_container_fills_every_template_placeholder(compose: dict[str, Any]) -> None:
    template = (ROOT / gateway.SERVER_TEMPLATE).read_text()
    nginx = compose["services"]["gateway"]
    dockerfile = (ROOT / nginx["build"]["dockerfile"]).read_text()
    assert "FROM ${NGINX_IMAGE} AS gateway" in dockerfile and "ARG NGINX_IMAGE=nginx:" in dockerfile
    assert "./deploy/nginx/templates:/etc/nginx/templates:ro" in nginx["volumes"]
    assert gateway.placeholders(template) == set(nginx["environment"])
    assert nginx["environment"]["CORE_API_UPSTREAM"] == "core-api:8001"
    assert nginx["environment"]["FEATURE_API_UPSTREAM"] == "feature-api:8002"
    assert gateway.DEFAULT_CORS_ORIGINS in nginx["environment"]["CORS_ORIGINS"]


def test_the_dockerfile_copies_every_workspace_member_and_nothing_missing() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    sources = [
        source
        for line in dockerfile.splitlines()
        if line.startswith("COPY ") and "--from=" not in line
        for source in line.split()[1:-1]
    ]
    for source in sources:
        assert (ROOT / source).exists(), source
    members = {
        "shared",
        "dev",
        *(str(p.parent.relative_to(ROOT)) for p in ROOT.glob("services/*/pyproject.toml")),
    }
    copied = {str(Path(s).parent) for s in sources if s.endswith("pyproject.toml")}
    assert members <= copied


def test_only_the_gateway_publishes_ports(compose: dict[str, Any]) -> None:
    publishing = {name for name, service in compose["services"].items() if service.get("ports")}
    assert publishing == {"gateway"}


def test_the_stores_sit_on_an_internal_network_only(compose: dict[str, Any]) -> None:
    networks = compose["networks"]
    internal = {name for name, net in networks.items() if (net or {}).get("internal")}
    assert internal == {"internal"}
    for store in ("postgres", "mongo", "kafka"):
        assert set(compose["services"][store]["networks"]) == internal, store
    for name, service in compose["services"].items():
        # Every container names its networks (none lands on the default one).
        assert "networks" in service or service.get("network_mode") == "none", name
    assert "internal" in compose["services"]["gateway"]["networks"]


def test_the_gateway_image_builds_the_admin_console_from_its_lock_file() -> None:
    """The multi-stage gateway image: npm ci from the lock, the Vite build, and
    the built files where the template's ADMIN_CONSOLE_ROOT points."""
    dockerfile = (ROOT / "deploy" / "gateway.Dockerfile").read_text()
    assert "COPY admin-console/package.json admin-console/package-lock.json ./" in dockerfile
    assert "npm ci" in dockerfile and "RUN npm run build" in dockerfile
    assert "COPY --from=console /console/dist /usr/share/sendfx-admin" in dockerfile
    assert "ENV ADMIN_CONSOLE_ROOT=/usr/share/sendfx-admin" in dockerfile
    assert (ROOT / "admin-console" / "package-lock.json").exists()


def test_the_gateway_image_generates_the_api_types_from_the_copied_snapshots() -> None:
    """The API types are not checked in: the image's build must see the OpenAPI
    snapshots (the context keeps them) and generate the types itself."""
    console = ROOT / "admin-console"
    ignore_file = (ROOT / "deploy" / "gateway.Dockerfile.dockerignore").read_text()
    ignored = [line for line in ignore_file.splitlines() if line and not line.startswith("#")]
    assert "COPY admin-console/ ./" in (ROOT / "deploy" / "gateway.Dockerfile").read_text()
    assert not [line for line in ignored if "openapi" in line or line in ("*.json", "**/*.json")]
    assert "admin-console/src/api/generated" in ignored
    snapshots = sorted(path.stem for path in (console / "openapi").glob("*.json"))
    assert snapshots == ["core-api", "feature-api", "usage-ingestor"]
    build = json.loads((console / "package.json").read_text())["scripts"]["build"]
    assert build.startswith("npm run --silent types && ")
    assert "src/api/generated" in (console / ".gitignore").read_text().splitlines()
