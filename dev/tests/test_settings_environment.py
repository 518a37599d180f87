"""What the runner hands a service (``SendfxSettings.environment``) is what the
service's settings class reads back, field for field, for every service."""

from typing import Any

import pytest

from core_api.settings import CoreApiSettings
from feature_api.settings import FeatureSettings
from migrator.settings import ExtractSettings, LoadSettings
from sendfx_shared.settings import SendfxSettings
from usage_ingestor.settings import IngestorSettings

CLASSES = [CoreApiSettings, FeatureSettings, IngestorSettings, ExtractSettings, LoadSettings]


def _changed(default: Any) -> Any:
    """A value other than the default, within the fields' bounds (integers step
    down, since some defaults sit at their upper bound, such as the 15-minute
    access token)."""
    if isinstance(default, bool):
        return not default
    if isinstance(default, int):
        return default - 1 if default > 1 else default + 1
    if isinstance(default, float):
        return default + 0.5
    return f"{default}-x"


def _plain_fields(cls: type[SendfxSettings]) -> list[str]:
    # URLs gain the process's credentials on the way in: not a plain round trip.
    return [
        name
        for name, info in cls.model_fields.items()
        if info.annotation in (str, int, float, bool) and not name.endswith("_url")
    ]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_field_comes_back_from_the_environment_rendered_for_it(
    cls: type[SendfxSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    defaults = cls()
    values = {name: _changed(getattr(defaults, name)) for name in _plain_fields(cls)}
    assert values, cls
    for variable, value in cls.environment(**values).items():
        monkeypatch.setenv(variable, value)
    read = cls()
    assert {name: getattr(read, name) for name in values} == values


def test_a_service_variable_is_its_prefix_plus_the_field_and_platform_ones_keep_their_name() -> (
    None
):
    assert CoreApiSettings.variable_of("outbox_relay") == "CORE_API_OUTBOX_RELAY"
    assert FeatureSettings.variable_of("instance") == "FEATURE_API_INSTANCE"
    assert IngestorSettings.variable_of("port") == "USAGE_INGESTOR_PORT"
    assert IngestorSettings.variable_of("postgres_url") == "POSTGRES_URL"
    assert FeatureSettings.environment(openai_base_url=None, instance="2") == {
        "FEATURE_API_INSTANCE": "2"
    }
