"""The global UI theme and the admin log settings."""

import logging

from feature_api.database import LOG_SETTINGS, UI_SETTINGS, FeatureDatabase, now
from feature_api.models.settings_docs import LogSettings, LogSettingsIn, UiSettings, UiSettingsIn
from feature_api.repositories import settings_docs as repo
from sendfx_shared.auth import Principal

_ROOT_LOGGER = "feature_api"


async def get_ui_settings(database: FeatureDatabase) -> UiSettings:
    return await repo.get(database.db, UI_SETTINGS, UiSettings)


async def put_ui_settings(database: FeatureDatabase, body: UiSettingsIn) -> UiSettings:
    return await repo.put(database.db, UI_SETTINGS, UiSettings, body, updated_at=now())


async def get_log_settings(database: FeatureDatabase) -> LogSettings:
    return await repo.get(database.db, LOG_SETTINGS, LogSettings)


async def put_log_settings(
    database: FeatureDatabase, admin: Principal, body: LogSettingsIn
) -> LogSettings:
    settings = await repo.put(
        database.db,
        LOG_SETTINGS,
        LogSettings,
        body,
        updated_at=now(),
        updated_by=str(admin.user_id),
    )
    apply_log_settings(settings)
    return settings


def apply_log_settings(settings: LogSettings) -> None:
    """Take the levels into effect in this process at once."""
    logging.getLogger(_ROOT_LOGGER).setLevel(settings.level)
    for name, level in settings.loggers.items():
        logging.getLogger(name).setLevel(level)
