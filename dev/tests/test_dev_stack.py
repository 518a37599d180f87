"""The local runner on real servers: start, reuse, refuse, stop."""

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from sendfx_dev import ownership
from sendfx_dev.databases import role_url
from sendfx_dev.ports import free_port
from sendfx_dev.servers import ComponentFailed, pid_alive
from sendfx_dev.stack import COMPONENTS, Stack, StackConfig, find_root, summary

ROOT = find_root(Path(__file__).parent)


def _config(state: Path, **overrides: object) -> StackConfig:
    return StackConfig.on_free_ports(ROOT, state, **overrides)


@pytest.fixture(scope="module")
def infra_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """PostgreSQL, Kafka and MongoDB started by the runner under a temp var/."""
    stack = Stack(_config(tmp_path_factory.mktemp("var")), say=lambda _: None)
    stack.up(only=["postgres", "kafka", "mongodb"])
    try:
        yield stack
    finally:
        stack.down()


def test_up_records_each_server_it_started(infra_stack: Stack) -> None:
    for component in ("postgres", "kafka", "mongodb"):
        record = infra_stack.read_record(component)
        assert record is not None and record.started_by_us
        assert record.pid is not None and pid_alive(record.pid)
        assert Path(record.log).parent == infra_stack.config.state_dir / "log"
    assert (infra_stack.config.state_dir / "postgres" / "PG_VERSION").exists()
    states = {c: s for c, s, _, _ in infra_stack.status()}
    assert states["postgres"] == states["kafka"] == states["mongodb"] == "running"
    assert states["core-api"] == "not started"


def test_up_creates_the_database_the_url_names(infra_stack: Stack) -> None:
    from sendfx_dev.servers import postgres_answers

    assert infra_stack.config.postgres_url.endswith("/sendfx")
    assert postgres_answers(infra_stack.config.postgres_url)


def test_a_second_up_reuses_what_runs(infra_stack: Stack) -> None:
    pids = {c: infra_stack.read_record(c).pid for c in ("postgres", "kafka", "mongodb")}  # type: ignore[union-attr]
    results = infra_stack.up(only=["postgres", "kafka", "mongodb"])
    assert {r.outcome for r in results} == {"reused"}
    assert {c: infra_stack.read_record(c).pid for c in pids} == pids  # type: ignore[union-attr]


def test_down_stops_everything_up_started(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    stack = Stack(_config(tmp_path_factory.mktemp("var")), say=lambda _: None)
    stack.up(only=["kafka", "mongodb"])
    pids = [stack.read_record(c).pid for c in ("kafka", "mongodb")]  # type: ignore[union-attr]
    assert stack.down(only=["mongodb"]) == ["mongodb"]
    assert pids[0] and pid_alive(pids[0])
    (restarted,) = stack.up(only=["mongodb"])
    assert restarted.outcome == "started"
    pids.append(stack.read_record("mongodb").pid)  # type: ignore[union-attr]
    assert stack.down() == ["mongodb", "kafka"]
    assert not any(pid_alive(pid) for pid in pids if pid)
    assert not list((stack.config.state_dir / "run").glob("*.json"))
    assert stack.down() == []


def test_a_taken_kafka_port_is_refused_with_the_component_and_its_log(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        stack = Stack(
            _config(tmp_path, kafka_bootstrap_servers=f"127.0.0.1:{port}"), say=lambda _: None
        )
        with pytest.raises(ComponentFailed) as failure:
            stack.up(only=["kafka"])
    assert failure.value.component == "kafka"
    assert f"port {port}" in str(failure.value)
    assert "KAFKA_BOOTSTRAP_SERVERS" in str(failure.value)
    assert failure.value.log == tmp_path / "log" / "kafka.log"
    assert stack.read_record("kafka") is None


def test_an_external_server_that_does_not_answer_is_named(tmp_path: Path) -> None:
    config = _config(
        tmp_path, mongo_url=f"mongodb://127.0.0.1:{free_port()}/x", mongo_external=True
    )
    with pytest.raises(ComponentFailed, match="mongodb: MONGO_URL does not answer"):
        Stack(config, say=lambda _: None).up(only=["mongodb"])


def test_a_service_not_built_yet_is_skipped_with_a_clear_note(tmp_path: Path) -> None:
    config = _config(tmp_path, bin_dir=tmp_path / "no-bin")
    (result,) = Stack(config, say=lambda _: None).up(only=["core-api"])
    assert result.outcome == "skipped"
    assert "not built yet" in result.note and "core-api" in result.note


def test_a_service_that_dies_at_start_up_is_named_with_its_log(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "usage-ingestor"
    script.write_text("#!/bin/sh\necho 'cannot reach the database' >&2\nexit 3\n")
    script.chmod(0o755)
    stack = Stack(_config(tmp_path, bin_dir=bin_dir), say=lambda _: None)
    with pytest.raises(ComponentFailed) as failure:
        stack.up(only=["usage-ingestor"])
    assert failure.value.component == "usage-ingestor"
    assert "exited during start-up" in str(failure.value)
    assert failure.value.log is not None
    assert "cannot reach the database" in failure.value.log.read_text()
    assert stack.read_record("usage-ingestor") is None


def test_each_service_gets_only_its_own_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONGO_URL", "mongodb://elsewhere/x")
    monkeypatch.setenv("DATABASE_URL", "postgresql://elsewhere/x")
    monkeypatch.setenv("PORT", "9999")
    config = _config(tmp_path)
    for component, role in (
        ("core-api", ownership.CORE_API),
        ("usage-ingestor", ownership.USAGE_INGESTOR),
    ):
        env = config.service_env(component)
        # the same server, as the process's own role (never the admin's URL)
        assert env["POSTGRES_URL"] == role_url(config.postgres_url, role)
        assert env["POSTGRES_URL"].startswith(f"postgresql://{role}:")
        assert not {"MONGO_URL", "DATABASE_URL", "OPENAI_API_KEY", "PORT"} & set(env)
    feature = config.service_env("feature-api")
    assert feature["MONGO_URL"] == config.feature_mongo_url
    assert feature["MONGO_URL"].startswith("mongodb://feature-api:")
    assert feature["OPENAI_BASE_URL"] == config.openai_base_url
    assert not {"POSTGRES_URL", "DATABASE_URL", "ADMIN_PASSWORD", "PORT"} & set(feature)
    assert feature["JWT_JWKS_URL"] == config.jwks_url
    assert "JWT_PRIVATE_KEY" not in feature and feature["SENDFX_ENV"] == "development"


def test_configuration_comes_from_the_documented_variables() -> None:
    config = StackConfig.from_env(
        ROOT,
        {
            "DATABASE_URL": "postgresql://u@db:6543/x",
            "KAFKA_BOOTSTRAP_SERVERS": "k:1",
            "OPENAI_API_KEY": "sk-real",
            "GATEWAY_PORT": "9080",
            "CORE_API_PORT": "9001",
            "ADMIN_PASSWORD": "pw",
            "CORS_ORIGINS": "http://app",
        },
    )
    assert config.postgres_external and config.postgres_url == "postgresql://u@db:6543/x"
    assert config.postgres_port == 6543
    assert config.kafka_external and not config.mongo_external
    assert not config.fake_openai and config.openai_base_url == "https://api.openai.com/v1"
    assert (config.gateway_port, config.core_api_port, config.feature_api_port) == (
        9080,
        9001,
        8002,
    )
    assert config.state_dir == ROOT / "var"
    text = summary(config)
    assert "admin@sendfx.ai / pw" in text and "http://127.0.0.1:9080" in text


def test_defaults_are_the_documented_local_ones() -> None:
    config = StackConfig.from_env(ROOT, {})
    assert (config.postgres_port, config.kafka_port, config.mongo_port) == (54320, 9092, 27017)
    assert config.fake_openai and config.openai_base_url == "http://127.0.0.1:8090/v1"
    assert config.admin_password == "sendfx-admin"
    assert COMPONENTS[0] == "postgres" and COMPONENTS[-1] == "gateway"
    assert "prometheus" in COMPONENTS and config.prometheus_port == 9090
