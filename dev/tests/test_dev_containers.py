"""SENDFX_TEST_INFRA=containers: the real images, where a Docker engine answers."""

import pytest

from sendfx_dev import containers
from sendfx_dev.servers import kafka_bootstrap_answers, mongo_url_answers, postgres_answers


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


def test_the_images_are_the_production_ones() -> None:
    assert containers.POSTGRES_IMAGE == "postgres:18"
    assert containers.MONGO_IMAGE == "mongo:8"
    assert containers.KAFKA_IMAGE.startswith("apache/kafka:")


@pytest.mark.slow
@pytest.mark.skipif(not _docker_answers(), reason="no Docker engine answers here")
def test_the_containers_answer_like_the_local_servers() -> None:
    started = containers.start_all()
    try:
        assert postgres_answers(started.postgres_admin_url)
        assert kafka_bootstrap_answers(started.kafka_bootstrap_servers)
        assert mongo_url_answers(started.mongo_url)
    finally:
        started.stop()
