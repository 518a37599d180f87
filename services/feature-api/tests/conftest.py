"""Fixtures of the feature-api tests: the fake OpenAI server and the app."""

from collections.abc import Iterator

import pytest
from sendfx_dev.fake_openai import ThreadedFakeOpenAI
from sendfx_dev.ports import free_port


@pytest.fixture(scope="session")
def fake_openai() -> Iterator[ThreadedFakeOpenAI]:
    with ThreadedFakeOpenAI(free_port()) as server:
        yield server
